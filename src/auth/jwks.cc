#include "src/auth/jwks.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
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
#include "src/auth/jose.h"

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

// The base64url field `name`, decoded; empty if absent or malformed (not
// strict base64url: Base64UrlDecode).
std::string Bytes(const Struct& key, const char* name) {
  std::string out;
  if (!Base64UrlDecode(Field(key, name), &out)) return "";
  return out;
}

// RFC 7518 §3.3: a key of 2048 bits at least; 8192 at most here (a longer
// one costs every verification, and no issuer signs with one). The public
// exponent odd and at least 65537: e = 1 verifies anything, a small e
// invites the attacks on PKCS #1 v1.5 verifiers that parse loosely.
absl::Status CheckRsaStrength(EVP_PKEY* key) {
  constexpr int kFewestBits = 2048;
  constexpr int kMostBits = 8192;
  const int bits = EVP_PKEY_get_bits(key);
  if (bits < kFewestBits || bits > kMostBits) {
    return absl::InvalidArgumentError(
        absl::StrCat("an RSA key of ", bits, " bits (", kFewestBits, " to ",
                     kMostBits, " bits are accepted, RFC 7518 3.3)"));
  }
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &raw) != 1) {
    return absl::InvalidArgumentError("an RSA key without a public exponent");
  }
  const Bignum exponent(raw);
  if (!BN_is_odd(exponent.get()) || BN_num_bits(exponent.get()) < 17) {
    // 65537 = 2^16 + 1 is the least odd number of 17 bits.
    std::string shown = "(unprintable)";
    if (char* decimal = BN_bn2dec(exponent.get()); decimal != nullptr) {
      shown = decimal;
      OPENSSL_free(decimal);
    }
    if (shown.size() > 24) shown = shown.substr(0, 24) + "...";
    return absl::InvalidArgumentError(
        absl::StrCat("an RSA key whose public exponent is ", shown,
                     " (it must be odd and at least 65537)"));
  }
  return absl::OkStatus();
}

// The algorithms `key` may verify; INVALID_ARGUMENT for a key of another
// type or curve.
absl::StatusOr<std::vector<std::string>> AlgorithmsOf(EVP_PKEY* key) {
  // EVP_PKEY_is_a(key, "RSA") is false for an RSA-PSS key, which RS* must
  // not use.
  if (EVP_PKEY_is_a(key, "RSA")) {
    if (absl::Status strong = CheckRsaStrength(key); !strong.ok()) {
      return strong;
    }
    return std::vector<std::string>(kAlgorithms, kAlgorithms + 3);
  }
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

// Why a JWK is not for verifying signatures, if it is not: a member that
// must be a string and is not, a "use" other than "sig" (an encryption
// key), "key_ops" (RFC 7517 §4.3) without "verify".
absl::Status CheckPurpose(const Struct& jwk) {
  for (const char* name : {"use", "alg", "kid"}) {
    const auto found = jwk.fields().find(name);
    if (found != jwk.fields().end() && !found->second.has_string_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("its ", name, " is not a string"));
    }
  }
  const std::string use = Field(jwk, "use");
  if (!use.empty() && use != "sig") {
    return absl::InvalidArgumentError(
        absl::StrCat("its use \"", absl::CHexEscape(use),
                     "\" is not sig (an encryption key)"));
  }
  const auto ops = jwk.fields().find("key_ops");
  if (ops == jwk.fields().end()) return absl::OkStatus();
  bool verify = false;
  if (ops->second.has_list_value()) {
    for (const google::protobuf::Value& op :
         ops->second.list_value().values()) {
      if (!op.has_string_value()) {
        verify = false;
        break;
      }
      verify |= op.string_value() == "verify";
    }
  }
  if (!verify) {
    return absl::InvalidArgumentError(
        "its key_ops is not an array of strings including \"verify\"");
  }
  return absl::OkStatus();
}

// One JWK as a key, or why it cannot be one.
absl::StatusOr<PublicKey> JwkKey(const Struct& jwk) {
  if (absl::Status purpose = CheckPurpose(jwk); !purpose.ok()) return purpose;
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

// INVALID_ARGUMENT saying that `contents` has no usable key, and why each
// was skipped.
absl::Status NoUsableKey(absl::string_view what,
                         const KeyFileContents& contents) {
  std::string why(what);
  for (const SkippedKey& skipped : contents.skipped) {
    absl::StrAppend(&why,
                    skipped.index == contents.skipped[0].index ? " (" : "; ",
                    "key ", skipped.index, ": ", skipped.reason);
  }
  if (!contents.skipped.empty()) absl::StrAppend(&why, ")");
  return absl::InvalidArgumentError(why);
}

template <typename T>
struct OpenSslFree {
  void operator()(T* p) const { OPENSSL_free(p); }
};

// Every PEM block of `text`, in order: a PUBLIC KEY block is a key (old
// and new keys concatenated while rotating), a block of another type is
// skipped; a block OpenSSL cannot read makes the file unreadable.
absl::StatusOr<KeyFileContents> ReadPem(const std::string& text) {
  Bio bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (bio == nullptr) {
    return absl::InvalidArgumentError("a PEM public key OpenSSL cannot read");
  }
  KeyFileContents contents;
  for (int index = 1;; ++index) {
    char* raw_name = nullptr;
    char* raw_header = nullptr;
    unsigned char* raw_data = nullptr;
    long length = 0;
    ERR_clear_error();
    if (PEM_read_bio(bio.get(), &raw_name, &raw_header, &raw_data, &length) !=
        1) {
      const unsigned long error = ERR_peek_last_error();
      if (index > 1 && ERR_GET_LIB(error) == ERR_LIB_PEM &&
          ERR_GET_REASON(error) == PEM_R_NO_START_LINE) {
        break;  // no block left
      }
      return absl::InvalidArgumentError(absl::StrCat(
          "a PEM public key OpenSSL cannot read (block ", index, ")"));
    }
    const std::unique_ptr<char, OpenSslFree<char>> name(raw_name);
    const std::unique_ptr<char, OpenSslFree<char>> header(raw_header);
    const std::unique_ptr<unsigned char, OpenSslFree<unsigned char>> data(
        raw_data);
    if (std::string(name.get()) != "PUBLIC KEY") {
      contents.skipped.push_back(
          {.index = index,
           .reason = absl::StrCat("a PEM block of type ",
                                  absl::CHexEscape(name.get()),
                                  " (only PUBLIC KEY blocks are read)")});
      continue;
    }
    const unsigned char* cursor = data.get();
    EVP_PKEY* raw = d2i_PUBKEY(nullptr, &cursor, length);
    if (raw == nullptr || cursor != data.get() + length) {
      EVP_PKEY_free(raw);
      return absl::InvalidArgumentError(absl::StrCat(
          "a PEM public key OpenSSL cannot read (block ", index, ")"));
    }
    std::shared_ptr<EVP_PKEY> key = Own(raw);
    absl::StatusOr<std::vector<std::string>> algorithms =
        AlgorithmsOf(key.get());
    if (!algorithms.ok()) {
      const char* type = EVP_PKEY_get0_type_name(key.get());
      contents.skipped.push_back(
          {.index = index,
           .kty = type == nullptr ? "" : type,
           .reason = std::string(algorithms.status().message())});
      continue;
    }
    contents.keys.push_back(
        {.algorithms = *std::move(algorithms), .key = std::move(key)});
  }
  if (contents.keys.empty()) return NoUsableKey("no usable key", contents);
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
  if (contents.keys.empty()) return NoUsableKey("no signing key", contents);
  return contents;
}

}  // namespace

absl::StatusOr<KeyFileContents> ReadPublicKeys(const std::string& text) {
  const OpenSslErrorScope errors;
  if (text.find("-----BEGIN PUBLIC KEY-----") != std::string::npos) {
    return ReadPem(text);
  }
  return ReadJwkSet(text);
}

}  // namespace forum_registry::auth
