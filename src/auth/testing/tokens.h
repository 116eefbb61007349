#ifndef FORUM_REGISTRY_AUTH_TESTING_TOKENS_H_
#define FORUM_REGISTRY_AUTH_TESTING_TOKENS_H_

// For tests only: key pairs made with OpenSSL and JWTs signed with libjwt,
// as an issuer would make them.

#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace forum_registry::auth::testing {

struct KeyPair {
  std::string private_pem;
  std::string public_pem;
};

// A new RSA key pair of `bits` with public exponent `exponent`.
KeyPair NewRsaKeyPair(int bits = 2048, unsigned long exponent = 65537);

// A new RSA-PSS key pair (2048 bits): a key RS* must not be verified with.
KeyPair NewRsaPssKeyPair();

// A new EC key pair on `curve`: "P-256", "P-384" or "P-521".
KeyPair NewEcKeyPair(const std::string& curve = "P-256");

// A JWK Set holding an encryption key (use "enc", which a verifier skips)
// and `public_pem` (RSA or EC), with key id `kid`.
std::string JwksOf(const std::string& public_pem, const std::string& kid);

// The JWK of `public_pem` (RSA or EC), with key id `kid` ("": none), for
// sets of several keys: {"keys": [JwkOf(...), ...]}.
std::string JwkOf(const std::string& public_pem, const std::string& kid);

// An Ed25519 (OKP) public key as issuers publish it beside their RSA keys,
// with key id `kid`: a key this server does not verify with.
std::string OkpJwk(const std::string& kid);

struct TokenSpec {
  std::string issuer = "https://issuer.test";
  std::string audience = "forum-registry";
  std::string subject = "alice@example.org";
  // JSON for the roles claim, e.g. ["editor"].
  std::string roles_json = "[\"reader\"]";
  std::string roles_claim = "roles";
  absl::Time expires = absl::Now() + absl::Hours(1);
  bool with_expiry = true;
  // Unset: no nbf claim.
  absl::Time not_before = absl::InfinitePast();
};

// The JWT of `spec`, signed RS256 with `private_pem`.
std::string SignedToken(const TokenSpec& spec, const std::string& private_pem);

// The JWT of `spec`, signed ES256 with the EC key `private_pem`.
std::string EcSignedToken(const TokenSpec& spec,
                          const std::string& private_pem);

// The JWT of `spec` signed HS256 with `secret` as the shared key.
std::string HmacToken(const TokenSpec& spec, const std::string& secret);

// The claims of `spec`, as JSON.
std::string ClaimsJson(const TokenSpec& spec);

// How an ECDSA signature is written in the token: as JWS says (R || S,
// RFC 7518 §3.4), or as OpenSSL makes it (DER), which verifiers must refuse.
enum class EcdsaForm { kJws, kDer };

// A token of exactly `header_json` and `claims_json`, signed with OpenSSL
// directly by `private_pem` with the digest of the header's alg (SHA-384
// for RS384/ES384, SHA-512 for RS512/ES512, else SHA-256): PKCS #1 v1.5
// with an RSA key, ECDSA with an EC key (the header must say which). For
// tokens libjwt would not make: another typ, a kid, claims out of range.
std::string SignedJws(const std::string& header_json,
                      const std::string& claims_json,
                      const std::string& private_pem,
                      EcdsaForm form = EcdsaForm::kJws);

// The token `header_b64`.`payload_b64`.signature, the two parts taken as
// they are (for encodings a verifier must refuse), signed as SignedJws
// does with the digest of `alg`.
std::string SignedParts(const std::string& header_b64,
                        const std::string& payload_b64,
                        const std::string& private_pem,
                        const std::string& alg = "RS256",
                        EcdsaForm form = EcdsaForm::kJws);

// `bytes` in base64url without padding.
std::string Base64Url(const std::string& bytes);

}  // namespace forum_registry::auth::testing

#endif  // FORUM_REGISTRY_AUTH_TESTING_TOKENS_H_
