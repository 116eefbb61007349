#ifndef FORUM_REGISTRY_AUTH_AUTHORIZER_H_
#define FORUM_REGISTRY_AUTH_AUTHORIZER_H_

// Decides, for one call, who the caller is and whether it may do what it
// asks (roles.h has the table). Callers are known by a bearer token in the
// `authorization` metadata (jwt_verifier.h), else by the client certificate
// the TLS handshake verified (its SPIFFE id, URI or DNS name, with the
// configured role); a caller with neither is anonymous. Who made each
// change and its request id (Change.actor, Change.request_id) are for
// callers with credentials: an anonymous reader gets them cleared unless
// --show-actors-to-anonymous (Caller::sees_actors).
//
//   --read-only            every write: FAILED_PRECONDITION, whoever asks
//   no credentials         UNAUTHENTICATED, unless the call is a read and
//                          --allow-anonymous-reads is on
//   bad credentials        UNAUTHENTICATED, saying which check failed
//   a role too low         PERMISSION_DENIED, naming the role needed
//   --no-auth              every caller may do everything (local use only)
//
// Thread-safe (immutable, but for the verifier's keys, which it replaces
// whole when their files change).

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/server_context.h"
#include "src/auth/jwt_verifier.h"
#include "src/auth/roles.h"

namespace forum_registry::auth {

struct AuthOptions {
  bool no_auth = false;
  bool allow_anonymous_reads = false;
  // Anonymous readers see Change.actor and Change.request_id too.
  bool show_actors_to_anonymous = false;
  bool read_only = false;
  // The role of a caller known by a verified client certificate (mutual
  // TLS, --tls-client-ca): "reader", "editor" or "admin".
  std::string client_certificate_role = "reader";
};

struct Caller {
  std::string identity;  // the token's sub, or "anonymous"
  Role role = Role::kNone;
  // May see who made each change and its request id: false for a caller
  // admitted without credentials by --allow-anonymous-reads, unless
  // --show-actors-to-anonymous; true for every other (and under --no-auth).
  bool sees_actors = true;
};

class Authorizer {
 public:
  // `jwt` may be null: no tokens are accepted.
  Authorizer(AuthOptions options, std::unique_ptr<JwtVerifier> jwt);

  // The caller of `context` if it may call `method` (for messages, e.g.
  // "CreateForum"), a call of `verb`.
  absl::StatusOr<Caller> Authorize(const grpc::ServerContextBase& context,
                                   absl::string_view method, Verb verb) const;

  // The verifier of bearer tokens (its keys' stats), or null.
  const JwtVerifier* jwt() const { return jwt_.get(); }

 private:
  absl::StatusOr<Caller> Identify(const grpc::ServerContextBase& context,
                                  bool* has_credentials) const;

  const AuthOptions options_;
  const std::unique_ptr<JwtVerifier> jwt_;
};

}  // namespace forum_registry::auth

#endif  // FORUM_REGISTRY_AUTH_AUTHORIZER_H_
