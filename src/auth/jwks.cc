#include "src/auth/jwks.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
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
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

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

absl::StatusOr<std::string> Pem(const char* type, OSSL_PARAM_BLD* builder) {
  Params params(OSSL_PARAM_BLD_to_param(builder));
  KeyContext context(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (params == nullptr || context == nullptr ||
      EVP_PKEY_fromdata_init(context.get()) != 1 ||
      EVP_PKEY_fromdata(context.get(), &raw, EVP_PKEY_PUBLIC_KEY,
                        params.get()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("a ", type, " key OpenSSL does not accept"));
  }
  Key key(raw);
  Bio bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PUBKEY(bio.get(), key.get()) != 1) {
    return absl::InternalError("cannot write a PEM key");
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

absl::StatusOr<std::string> RsaPem(const Struct& jwk) {
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
  return Pem("RSA", builder.get());
}

absl::StatusOr<std::string> EcPem(const Struct& jwk) {
  const std::string crv = Field(jwk, "crv");
  const char* group = crv == "P-256"   ? "prime256v1"
                      : crv == "P-384" ? "secp384r1"
                      : crv == "P-521" ? "secp521r1"
                                       : nullptr;
  if (group == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("an EC key on curve \"", crv, "\""));
  }
  const std::string x = Bytes(jwk, "x");
  const std::string y = Bytes(jwk, "y");
  if (x.empty() || x.size() != y.size()) {
    return absl::InvalidArgumentError("an EC key without x and y");
  }
  // The uncompressed point: 0x04, x, y.
  const std::string point = absl::StrCat("\x04", x, y);
  ParamBuilder builder(OSSL_PARAM_BLD_new());
  if (builder == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                      group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                       point.data(), point.size()) != 1) {
    return absl::InvalidArgumentError("an EC key OpenSSL does not accept");
  }
  return Pem("EC", builder.get());
}

}  // namespace

absl::StatusOr<std::vector<std::string>> JwksToPem(const std::string& json) {
  Struct set;
  if (!google::protobuf::util::JsonStringToMessage(json, &set).ok()) {
    return absl::InvalidArgumentError("not JSON");
  }
  const auto keys = set.fields().find("keys");
  if (keys == set.fields().end() || !keys->second.has_list_value()) {
    return absl::InvalidArgumentError("no \"keys\" array");
  }
  std::vector<std::string> pems;
  int index = 0;
  for (const google::protobuf::Value& value :
       keys->second.list_value().values()) {
    const Struct& jwk = value.struct_value();
    const std::string use = Field(jwk, "use");
    const std::string kty = Field(jwk, "kty");
    ++index;
    if (!use.empty() && use != "sig") continue;
    absl::StatusOr<std::string> pem =
        kty == "RSA"  ? RsaPem(jwk)
        : kty == "EC" ? EcPem(jwk)
                      : absl::InvalidArgumentError(
                            absl::StrCat("a key of type \"", kty, "\""));
    if (!pem.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("key ", index, ": ", pem.status().message()));
    }
    pems.push_back(*std::move(pem));
  }
  if (pems.empty()) return absl::InvalidArgumentError("no signing key");
  return pems;
}

}  // namespace forum_registry::auth
