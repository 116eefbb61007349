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

// A new 2048-bit RSA key pair.
KeyPair NewRsaKeyPair();

// A new EC key pair on P-256.
KeyPair NewEcKeyPair();

// A JWK Set holding `public_pem` (RSA or EC), with key id `kid`.
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

// A token of exactly `header_json` and `claims_json`, signed with OpenSSL
// directly by `private_pem`: RS256 with an RSA key, ES256 with a P-256 key
// (the header must say so). For tokens libjwt would not make: another
// typ, a kid, claims out of range.
std::string SignedJws(const std::string& header_json,
                      const std::string& claims_json,
                      const std::string& private_pem);

}  // namespace forum_registry::auth::testing

#endif  // FORUM_REGISTRY_AUTH_TESTING_TOKENS_H_
