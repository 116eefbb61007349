#include "src/auth/authorizer.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpc/grpc_security_constants.h"
#include "grpcpp/security/auth_context.h"
#include "src/auth/edge.h"

namespace forum_registry::auth {
namespace {

constexpr absl::string_view kBearer = "Bearer ";

// The name a verified client certificate gives its caller: the SPIFFE id,
// else the first URI or DNS subject alternative name, else the common name;
// none without a verified certificate. The certificate is the one gRPC's
// TLS verified, or on a call through the edge the one the edge verified
// (edge.h).
absl::StatusOr<std::optional<std::string>> CertificateIdentity(
    const grpc::ServerContextBase& context) {
  const std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (FromEdge(context)) {
    const std::optional<std::string> edge = EdgeClientCertificate(context);
    if (!edge.has_value()) return std::nullopt;
    absl::StatusOr<std::string> name = CertificateName(*edge);
    if (!name.ok()) return absl::UnauthenticatedError(name.status().message());
    return std::optional<std::string>(*std::move(name));
  }
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return std::nullopt;
  for (const char* property :
       {GRPC_PEER_SPIFFE_ID_PROPERTY_NAME, GRPC_PEER_URI_PROPERTY_NAME,
        GRPC_PEER_DNS_PROPERTY_NAME, GRPC_X509_CN_PROPERTY_NAME}) {
    const std::vector<grpc::string_ref> values =
        auth->FindPropertyValues(property);
    if (!values.empty() && values[0].size() > 0) {
      return std::optional<std::string>(
          std::string(values[0].data(), values[0].size()));
    }
  }
  return std::nullopt;
}

}  // namespace

Authorizer::Authorizer(AuthOptions options, std::unique_ptr<JwtVerifier> jwt)
    : options_(options), jwt_(std::move(jwt)) {}

absl::StatusOr<Caller> Authorizer::Identify(
    const grpc::ServerContextBase& context, bool* has_credentials) const {
  const auto& metadata = context.client_metadata();
  const auto found = metadata.find("authorization");
  *has_credentials = found != metadata.end();
  if (!*has_credentials) {
    absl::StatusOr<std::optional<std::string>> peer =
        CertificateIdentity(context);
    if (!peer.ok()) return peer.status();
    if (peer->has_value()) {
      *has_credentials = true;
      return Caller{.identity = **std::move(peer),
                    .role = ParseRole(options_.client_certificate_role)
                                .value_or(Role::kReader)};
    }
    return Caller{.identity = "anonymous"};
  }
  const absl::string_view header(found->second.data(), found->second.size());
  if (!absl::StartsWithIgnoreCase(header, kBearer) ||
      header.size() == kBearer.size()) {
    return absl::UnauthenticatedError(
        "authorization: expected \"Bearer <token>\"");
  }
  if (jwt_ == nullptr) {
    return absl::UnauthenticatedError(
        "bearer token: this server accepts no tokens (no --jwt-public-keys)");
  }
  absl::StatusOr<Claims> claims =
      jwt_->Verify(std::string(header.substr(kBearer.size())), absl::Now());
  if (!claims.ok()) return claims.status();
  return Caller{.identity = std::move(claims->subject), .role = claims->role};
}

absl::StatusOr<Caller> Authorizer::Authorize(
    const grpc::ServerContextBase& context, absl::string_view method,
    Verb verb) const {
  if (options_.read_only && IsWrite(verb)) {
    return absl::FailedPreconditionError(
        absl::StrCat(method,
                     ": this server is read-only (--read-only); write through "
                     "another"));
  }
  if (options_.no_auth) {
    return Caller{.identity = "anonymous", .role = Role::kAdmin};
  }
  bool has_credentials = false;
  absl::StatusOr<Caller> caller = Identify(context, &has_credentials);
  if (!caller.ok()) return caller.status();
  const Role needed = RequiredRole(verb);
  if (!has_credentials) {
    if (options_.allow_anonymous_reads && needed == Role::kReader) {
      caller->role = Role::kReader;
      caller->sees_actors = options_.show_actors_to_anonymous;
      return caller;
    }
    return absl::UnauthenticatedError(
        absl::StrCat(method, " needs the ", RoleName(needed),
                     " role: send \"authorization: Bearer <token>\""));
  }
  if (caller->role < needed) {
    return absl::PermissionDeniedError(
        absl::StrCat(method, verb == Verb::kForcedDelete ? " with force" : "",
                     " needs the ", RoleName(needed), " role; ",
                     caller->identity, " has ", RoleName(caller->role)));
  }
  return caller;
}

}  // namespace forum_registry::auth
