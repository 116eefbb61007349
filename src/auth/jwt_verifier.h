#ifndef FORUM_REGISTRY_AUTH_JWT_VERIFIER_H_
#define FORUM_REGISTRY_AUTH_JWT_VERIFIER_H_

// Bearer tokens: JWTs signed by an issuer whose public keys the operator
// mounts. Signatures are checked by libjwt (Debian's libjwt 1.10, on
// OpenSSL); this file only chooses what to accept:
//   - algorithms RS256/384/512 and ES256/384/512 only: never "none", never
//     HMAC (a public key must not double as a shared secret);
//   - the signature must verify with one of the configured keys;
//   - `iss` equal to the configured issuer, `aud` (a string or an array)
//     holding the configured audience;
//   - `exp` required and `nbf` honoured, each with a small leeway;
//   - `sub` required: it names the caller;
//   - the caller's role: the highest of the known role names found in the
//     roles claim (a dotted path such as "realm_access.roles"; an array of
//     strings, or one space-separated string).
// An error names the check that failed, never the token.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "src/auth/roles.h"

namespace forum_registry::auth {

struct JwtOptions {
  // PEM files, each holding one public key (RSA or EC).
  std::vector<std::string> public_key_files;
  std::string issuer;
  std::string audience;
  std::string roles_claim = "roles";
  absl::Duration leeway = absl::Seconds(60);
};

struct Claims {
  std::string subject;
  Role role = Role::kNone;
};

class JwtVerifier {
 public:
  // Reads the keys; INVALID_ARGUMENT naming the file or the missing option.
  static absl::StatusOr<std::unique_ptr<JwtVerifier>> Create(
      JwtOptions options);

  // The claims of `token` if it passes every check at `now`, else
  // UNAUTHENTICATED saying which check failed.
  absl::StatusOr<Claims> Verify(const std::string& token, absl::Time now) const;

 private:
  JwtVerifier(JwtOptions options, std::vector<std::string> keys);

  const JwtOptions options_;
  const std::vector<std::string> keys_;  // PEM text
};

}  // namespace forum_registry::auth

#endif  // FORUM_REGISTRY_AUTH_JWT_VERIFIER_H_
