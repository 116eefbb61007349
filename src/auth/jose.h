#ifndef FORUM_REGISTRY_AUTH_JOSE_H_
#define FORUM_REGISTRY_AUTH_JOSE_H_

// What the token verifier (jwt_verifier.h) and the key reader (jwks.h)
// share: strict base64url, and OpenSSL's error queue left empty.

#include <string>

#include "absl/strings/string_view.h"

namespace forum_registry::auth {

// `in` decoded as base64url without padding (RFC 7515 §2, RFC 7518 §6):
// false for any character outside [A-Za-z0-9_-] (no '=', no whitespace), a
// length that leaves one character over (len % 4 == 1), or an encoding
// that is not the canonical one (unused trailing bits set), so that each
// value has exactly one spelling.
bool Base64UrlDecode(absl::string_view in, std::string* out);

// Empties this thread's OpenSSL error queue when made and when it goes out
// of scope. OpenSSL leaves an error on the queue of the thread whose call
// failed (a signature that does not verify, a key that does not read); the
// dispatcher's workers also run libpq's and gRPC's TLS, whose
// SSL_get_error reads that queue and would misreport a stale error. Every
// entry point that calls OpenSSL holds one.
class OpenSslErrorScope {
 public:
  OpenSslErrorScope();
  ~OpenSslErrorScope();
  OpenSslErrorScope(const OpenSslErrorScope&) = delete;
  OpenSslErrorScope& operator=(const OpenSslErrorScope&) = delete;
};

}  // namespace forum_registry::auth

#endif  // FORUM_REGISTRY_AUTH_JOSE_H_
