#include "src/auth/testing/tokens.h"

#include <jwt.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
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

KeyPair PairOf(EVP_PKEY* key) {
  if (key == nullptr) throw std::runtime_error("key generation");
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

namespace {

// A new key pair of `type`, "RSA" or "RSA-PSS".
KeyPair NewRsaKeyPairOf(const char* type, int bits, unsigned long exponent) {
  EVP_PKEY_CTX* context = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  BIGNUM* e = BN_new();
  EVP_PKEY* key = nullptr;
  if (context == nullptr || e == nullptr || BN_set_word(e, exponent) != 1 ||
      EVP_PKEY_keygen_init(context) != 1 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(context, bits) != 1 ||
      EVP_PKEY_CTX_set1_rsa_keygen_pubexp(context, e) != 1 ||
      EVP_PKEY_generate(context, &key) != 1) {
    key = nullptr;
  }
  BN_free(e);
  EVP_PKEY_CTX_free(context);
  return PairOf(key);
}

}  // namespace

KeyPair NewRsaKeyPair(int bits, unsigned long exponent) {
  return NewRsaKeyPairOf("RSA", bits, exponent);
}

KeyPair NewRsaPssKeyPair() { return NewRsaKeyPairOf("RSA-PSS", 2048, 65537); }

KeyPair NewEcKeyPair(const std::string& curve) {
  return PairOf(EVP_EC_gen(curve.c_str()));
}

std::string JwkOf(const std::string& public_pem, const std::string& kid) {
  BIO* bio =
      BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) throw std::runtime_error("PEM_read_bio_PUBKEY");
  const auto field = [key](const char* name, int size) {
    BIGNUM* number = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &number) != 1) {
      throw std::runtime_error(name);
    }
    std::string bytes(size > 0 ? size : BN_num_bytes(number), '\0');
    if (size > 0) {
      BN_bn2binpad(number, reinterpret_cast<unsigned char*>(bytes.data()),
                   size);
    } else {
      BN_bn2bin(number, reinterpret_cast<unsigned char*>(bytes.data()));
    }
    BN_free(number);
    std::string encoded;
    absl::WebSafeBase64Escape(bytes, &encoded);
    return encoded;
  };
  const std::string id =
      kid.empty() ? "" : absl::StrCat(R"("kid":")", kid, R"(",)");
  std::string jwk;
  if (EVP_PKEY_is_a(key, "RSA")) {
    jwk = absl::StrCat(R"({"kty":"RSA","use":"sig",)", id, R"("n":")",
                       field("n", 0), R"(","e":")", field("e", 0), R"("})");
  } else {
    const int bytes = (EVP_PKEY_get_bits(key) + 7) / 8;
    const char* crv = bytes == 32 ? "P-256" : bytes == 48 ? "P-384" : "P-521";
    jwk = absl::StrCat(R"({"kty":"EC","crv":")", crv, R"(",)", id, R"("x":")",
                       field("qx", bytes), R"(","y":")", field("qy", bytes),
                       R"("})");
  }
  EVP_PKEY_free(key);
  return jwk;
}

std::string JwksOf(const std::string& public_pem, const std::string& kid) {
  // An encryption key the verifier must skip, and the signing key.
  return absl::StrCat(
      R"({"keys":[{"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB"},)",
      JwkOf(public_pem, kid), "]}");
}

std::string OkpJwk(const std::string& kid) {
  return absl::StrCat(R"({"kty":"OKP","crv":"Ed25519","use":"sig","kid":")",
                      kid,
                      R"(","alg":"EdDSA",)"
                      R"("x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})");
}

std::string SignedToken(const TokenSpec& spec, const std::string& private_pem) {
  return Sign(spec, JWT_ALG_RS256, private_pem);
}

std::string EcSignedToken(const TokenSpec& spec,
                          const std::string& private_pem) {
  return Sign(spec, JWT_ALG_ES256, private_pem);
}

std::string HmacToken(const TokenSpec& spec, const std::string& secret) {
  return Sign(spec, JWT_ALG_HS256, secret);
}

std::string ClaimsJson(const TokenSpec& spec) {
  std::string json = absl::StrCat(
      R"({"iss":")", spec.issuer, R"(","aud":")", spec.audience, R"(","sub":")",
      spec.subject, R"(",")", spec.roles_claim, R"(":)", spec.roles_json);
  if (spec.with_expiry) {
    absl::StrAppend(&json, R"(,"exp":)", absl::ToUnixSeconds(spec.expires));
  }
  if (spec.not_before != absl::InfinitePast()) {
    absl::StrAppend(&json, R"(,"nbf":)", absl::ToUnixSeconds(spec.not_before));
  }
  return absl::StrCat(json, "}");
}

std::string Base64Url(const std::string& bytes) {
  std::string encoded;
  absl::WebSafeBase64Escape(bytes, &encoded);
  return encoded;
}

std::string SignedJws(const std::string& header_json,
                      const std::string& claims_json,
                      const std::string& private_pem, EcdsaForm form) {
  // The header's alg, read roughly: the tests write their headers.
  std::string alg = "RS256";
  const size_t at = header_json.find(R"("alg":")");
  if (at != std::string::npos) {
    const size_t start = at + 7;
    alg = header_json.substr(start, header_json.find('"', start) - start);
  }
  return SignedParts(Base64Url(header_json), Base64Url(claims_json),
                     private_pem, alg, form);
}

std::string SignedParts(const std::string& header_b64,
                        const std::string& payload_b64,
                        const std::string& private_pem, const std::string& alg,
                        EcdsaForm form) {
  const std::string input = absl::StrCat(header_b64, ".", payload_b64);
  const EVP_MD* digest = absl::EndsWith(alg, "384")   ? EVP_sha384()
                         : absl::EndsWith(alg, "512") ? EVP_sha512()
                                                      : EVP_sha256();
  BIO* bio =
      BIO_new_mem_buf(private_pem.data(), static_cast<int>(private_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) throw std::runtime_error("PEM_read_bio_PrivateKey");
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  size_t size = 0;
  std::string signature;
  if (EVP_DigestSignInit(context, nullptr, digest, nullptr, key) != 1 ||
      EVP_DigestSign(context, nullptr, &size,
                     reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1) {
    throw std::runtime_error("EVP_DigestSign");
  }
  signature.resize(size);
  if (EVP_DigestSign(context,
                     reinterpret_cast<unsigned char*>(signature.data()), &size,
                     reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1) {
    throw std::runtime_error("EVP_DigestSign");
  }
  signature.resize(size);
  EVP_MD_CTX_free(context);
  if (EVP_PKEY_is_a(key, "EC") && form == EcdsaForm::kJws) {
    // DER ECDSA-Sig-Value to JWS's R || S, each as long as the curve's
    // order.
    const int half = (EVP_PKEY_get_bits(key) + 7) / 8;
    const unsigned char* der =
        reinterpret_cast<const unsigned char*>(signature.data());
    ECDSA_SIG* ecdsa =
        d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(signature.size()));
    if (ecdsa == nullptr) throw std::runtime_error("d2i_ECDSA_SIG");
    std::string raw(2 * half, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(ecdsa),
                 reinterpret_cast<unsigned char*>(raw.data()), half);
    BN_bn2binpad(ECDSA_SIG_get0_s(ecdsa),
                 reinterpret_cast<unsigned char*>(raw.data()) + half, half);
    ECDSA_SIG_free(ecdsa);
    signature = raw;
  }
  EVP_PKEY_free(key);
  return absl::StrCat(input, ".", Base64Url(signature));
}

}  // namespace forum_registry::auth::testing
