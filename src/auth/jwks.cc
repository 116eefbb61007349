#include "src/auth/jwks.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace forum_registry::auth {
namespace {

using google::protobuf::Struct;

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using Bignum = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using ParamBuilder =
    std::unique_ptr<OSSL_PARAM_BLD,
                    Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using Params =
    std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using KeyContext =
    std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

std::shared_ptr<EVP_PKEY> Own(EVP_PKEY* key) {
  return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}

// The algorithms a token may be signed with, and the EC curves (OpenSSL's
// names) ES256, ES384 and ES512 are for (RFC 7518 §3.4).
constexpr const char* kAlgorithms[] = {"RS256", "RS384", "RS512",
                                       "ES256", "ES384", "ES512"};
struct Curve {
  const char* jwk;      // "crv"
  const char* openssl;  // the group's name
  const char* algorithm;
  size_t coordinate_bytes;
};
constexpr Curve kCurves[] = {{"P-256", "prime256v1", "ES256", 32},
                             {"P-384", "secp384r1", "ES384", 48},
                             {"P-521", "secp521r1", "ES512", 66}};

std::string Field(const Struct& key, const char* name) {
  const auto found = key.fields().find(name);
  return found == key.fields().end() ? "" : found->second.string_value();
}

// The base64url field `name`, decoded; empty if absent or malformed.
std::string Bytes(const Struct& key, const char* name) {
  std::string out;
  if (!absl::WebSafeBase64Unescape(Field(key, name), &out)) return "";
  return out;
}

// The algorithms `key` may verify; INVALID_ARGUMENT for a key of another
// type or curve.
absl::StatusOr<std::vector<std::string>> AlgorithmsOf(EVP_PKEY* key) {
  // EVP_PKEY_is_a(key, "RSA") is false for an RSA-PSS key, which RS* must
  // not use.
  if (EVP_PKEY_is_a(key, "RSA"))
    return std::vector<std::string>(kAlgorithms, kAlgorithms + 3);
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = {0};
    size_t length = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                       sizeof(group), &length) == 1) {
      for (const Curve& curve : kCurves) {
        if (std::string(group) == curve.openssl) {
          return std::vector<std::string>{curve.algorithm};
        }
      }
    }
    return absl::InvalidArgumentError(
        absl::StrCat("an EC key on curve ", group,
                     " (P-256, P-384 and P-521 are verified)"));
  }
  const char* type = EVP_PKEY_get0_type_name(key);
  return absl::InvalidArgumentError(
      absl::StrCat("a key of type ", type == nullptr ? "unknown" : type,
                   " (RSA and EC keys are verified)"));
}

absl::StatusOr<std::shared_ptr<EVP_PKEY>> FromParams(const char* type,
                                                     OSSL_PARAM_BLD* builder) {
  Params params(OSSL_PARAM_BLD_to_param(builder));
  KeyContext context(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (params == nullptr || context == nullptr ||
      EVP_PKEY_fromdata_init(context.get()) != 1 ||
      EVP_PKEY_fromdata(context.get(), &raw, EVP_PKEY_PUBLIC_KEY,
                        params.get()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("an ", type, " key OpenSSL does not accept"));
  }
  return Own(raw);
}

absl::StatusOr<std::shared_ptr<EVP_PKEY>> RsaKey(const Struct& jwk) {
  const std::string n = Bytes(jwk, "n");
  const std::string e = Bytes(jwk, "e");
  if (n.empty() || e.empty()) {
    return absl::InvalidArgumentError("an RSA key without n and e");
  }
  Bignum modulus(BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()),
                           static_cast<int>(n.size()), nullptr));
  Bignum exponent(BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()),
                            static_cast<int>(e.size()), nullptr));
  ParamBuilder builder(OSSL_PARAM_BLD_new());
  if (modulus == nullptr || exponent == nullptr || builder == nullptr ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N,
                             modulus.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E,
                             exponent.get()) != 1) {
    return absl::InvalidArgumentError("an RSA key OpenSSL does not accept");
  }
  return FromParams("RSA", builder.get());
}

absl::StatusOr<std::shared_ptr<EVP_PKEY>> EcKey(const Struct& jwk) {
  const std::string crv = Field(jwk, "crv");
  const Curve* curve = nullptr;
  for (const Curve& known : kCurves) {
    if (crv == known.jwk) curve = &known;
  }
  if (curve == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("an EC key on curve \"", absl::CHexEscape(crv),
                     "\" (P-256, P-384 and P-521 are verified)"));
  }
  const std::string x = Bytes(jwk, "x");
  const std::string y = Bytes(jwk, "y");
  if (x.size() != curve->coordinate_bytes ||
      y.size() != curve->coordinate_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "an EC key without x and y of ", curve->coordinate_bytes, " bytes"));
  }
  // The uncompressed point: 0x04, x, y. OpenSSL checks it is on the curve.
  const std::string point = absl::StrCat("\x04", x, y);
  ParamBuilder builder(OSSL_PARAM_BLD_new());
  if (builder == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                      curve->openssl, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                       point.data(), point.size()) != 1) {
    return absl::InvalidArgumentError("an EC key OpenSSL does not accept");
  }
  return FromParams("EC", builder.get());
}

// One JWK as a key, or why it cannot be one.
absl::StatusOr<PublicKey> JwkKey(const Struct& jwk) {
  const std::string kty = Field(jwk, "kty");
  const std::string crv = Field(jwk, "crv");
  const std::string alg = Field(jwk, "alg");
  if (kty != "RSA" && kty != "EC") {
    return absl::InvalidArgumentError(absl::StrCat(
        "a key of type \"", absl::CHexEscape(kty), "\"",
        crv.empty() ? ""
                    : absl::StrCat(" (crv \"", absl::CHexEscape(crv), "\")"),
        ", which this server does not verify (RSA and EC keys only)"));
  }
  if (!alg.empty() && std::find(std::begin(kAlgorithms), std::end(kAlgorithms),
                                alg) == std::end(kAlgorithms)) {
    return absl::InvalidArgumentError(
        absl::StrCat("its alg \"", absl::CHexEscape(alg),
                     "\" is not one this server verifies (RS256, RS384, "
                     "RS512, ES256, ES384, ES512)"));
  }
  absl::StatusOr<std::shared_ptr<EVP_PKEY>> key =
      kty == "RSA" ? RsaKey(jwk) : EcKey(jwk);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::vector<std::string>> algorithms =
      AlgorithmsOf(key->get());
  if (!algorithms.ok()) return algorithms.status();
  if (!alg.empty()) {
    if (std::find(algorithms->begin(), algorithms->end(), alg) ==
        algorithms->end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "its alg ", alg, " does not fit the key (which verifies ",
          absl::StrJoin(*algorithms, ", "), ")"));
    }
    *algorithms = {alg};
  }
  return PublicKey{.kid = Field(jwk, "kid"),
                   .algorithms = *std::move(algorithms),
                   .key = *std::move(key)};
}

absl::StatusOr<KeyFileContents> ReadPem(const std::string& text) {
  Bio bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  EVP_PKEY* raw = bio == nullptr ? nullptr
                                 : PEM_read_bio_PUBKEY(bio.get(), nullptr,
                                                       nullptr, nullptr);
  if (raw == nullptr) {
    return absl::InvalidArgumentError("a PEM public key OpenSSL cannot read");
  }
  std::shared_ptr<EVP_PKEY> key = Own(raw);
  absl::StatusOr<std::vector<std::string>> algorithms = AlgorithmsOf(key.get());
  if (!algorithms.ok()) return algorithms.status();
  KeyFileContents contents;
  contents.keys.push_back(
      {.algorithms = *std::move(algorithms), .key = std::move(key)});
  return contents;
}

absl::StatusOr<KeyFileContents> ReadJwkSet(const std::string& json) {
  Struct set;
  if (!google::protobuf::util::JsonStringToMessage(json, &set).ok()) {
    return absl::InvalidArgumentError("not JSON");
  }
  const auto keys = set.fields().find("keys");
  if (keys == set.fields().end() || !keys->second.has_list_value()) {
    return absl::InvalidArgumentError("no \"keys\" array");
  }
  KeyFileContents contents;
  int index = 0;
  for (const google::protobuf::Value& value :
       keys->second.list_value().values()) {
    ++index;
    const Struct& jwk = value.struct_value();
    const std::string use = Field(jwk, "use");
    if (!use.empty() && use != "sig") continue;  // not a signing key
    absl::StatusOr<PublicKey> key =
        value.has_struct_value()
            ? JwkKey(jwk)
            : absl::InvalidArgumentError("not a JSON object");
    if (key.ok()) {
      contents.keys.push_back(*std::move(key));
    } else {
      contents.skipped.push_back(
          {.index = index,
           .kid = Field(jwk, "kid"),
           .kty = Field(jwk, "kty"),
           .reason = std::string(key.status().message())});
    }
  }
  if (contents.keys.empty()) {
    std::string why = "no signing key";
    for (const SkippedKey& skipped : contents.skipped) {
      absl::StrAppend(&why,
                      skipped.index == contents.skipped[0].index ? " (" : "; ",
                      "key ", skipped.index, ": ", skipped.reason);
    }
    if (!contents.skipped.empty()) absl::StrAppend(&why, ")");
    return absl::InvalidArgumentError(why);
  }
  return contents;
}

}  // namespace

absl::StatusOr<KeyFileContents> ReadPublicKeys(const std::string& text) {
  if (text.find("-----BEGIN PUBLIC KEY-----") != std::string::npos) {
    return ReadPem(text);
  }
  return ReadJwkSet(text);
}

}  // namespace forum_registry::auth
