#include "src/auth/testing/tokens.h"

#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "absl/strings/str_cat.h"

namespace forum_registry::auth::testing {
namespace {

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(size));
}

std::string Sign(const TokenSpec& spec, jwt_alg_t alg, const std::string& key) {
  jwt_t* jwt = nullptr;
  if (jwt_new(&jwt) != 0) throw std::runtime_error("jwt_new");
  std::unique_ptr<jwt_t, void (*)(jwt_t*)> owned(jwt, jwt_free);
  jwt_add_grant(jwt, "iss", spec.issuer.c_str());
  jwt_add_grant(jwt, "aud", spec.audience.c_str());
  jwt_add_grant(jwt, "sub", spec.subject.c_str());
  if (spec.with_expiry) {
    jwt_add_grant_int(jwt, "exp", absl::ToUnixSeconds(spec.expires));
  }
  if (spec.not_before != absl::InfinitePast()) {
    jwt_add_grant_int(jwt, "nbf", absl::ToUnixSeconds(spec.not_before));
  }
  jwt_add_grants_json(
      jwt, absl::StrCat("{\"", spec.roles_claim, "\":", spec.roles_json, "}")
               .c_str());
  if (jwt_set_alg(jwt, alg, reinterpret_cast<const unsigned char*>(key.data()),
                  static_cast<int>(key.size())) != 0) {
    throw std::runtime_error("jwt_set_alg");
  }
  char* text = jwt_encode_str(jwt);
  if (text == nullptr) throw std::runtime_error("jwt_encode_str");
  std::string token(text);
  free(text);
  return token;
}

}  // namespace

KeyPair NewRsaKeyPair() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  if (key == nullptr) throw std::runtime_error("EVP_RSA_gen");
  BIO* private_bio = BIO_new(BIO_s_mem());
  BIO* public_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(private_bio, key, nullptr, nullptr, 0, nullptr,
                           nullptr);
  PEM_write_bio_PUBKEY(public_bio, key);
  KeyPair pair{BioText(private_bio), BioText(public_bio)};
  BIO_free(private_bio);
  BIO_free(public_bio);
  EVP_PKEY_free(key);
  return pair;
}

std::string SignedToken(const TokenSpec& spec, const std::string& private_pem) {
  return Sign(spec, JWT_ALG_RS256, private_pem);
}

std::string HmacToken(const TokenSpec& spec, const std::string& secret) {
  return Sign(spec, JWT_ALG_HS256, secret);
}

}  // namespace forum_registry::auth::testing
