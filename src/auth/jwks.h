#ifndef FORUM_REGISTRY_AUTH_JWKS_H_
#define FORUM_REGISTRY_AUTH_JWKS_H_

// JWK Sets (RFC 7517), the form issuers publish their keys in
// (/.well-known/jwks.json): turned into PEM public keys for libjwt, which
// reads only PEM. OpenSSL 3 builds the keys from their parameters; only RSA
// keys and EC keys on P-256, P-384 and P-521 are read, and keys whose "use"
// is not "sig" are skipped.

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace forum_registry::auth {

// The PEM public keys of the JWK Set `json`; INVALID_ARGUMENT if it is not
// one or holds no usable key.
absl::StatusOr<std::vector<std::string>> JwksToPem(const std::string& json);

}  // namespace forum_registry::auth

#endif  // FORUM_REGISTRY_AUTH_JWKS_H_
