#ifndef FORUM_REGISTRY_AUTH_EDGE_H_
#define FORUM_REGISTRY_AUTH_EDGE_H_

// What the edge (deploy/edge: HAProxy in front of the server) tells the
// server about a client, and when the server believes it.
//
// The edge terminates TLS, so the server no longer sees the client's
// certificate or address itself; the edge sends them with each request, as
// metadata:
//
//   x-forum-registry-edge-client-address   the client's IP address
//   x-forum-registry-edge-client-cert      its verified certificate, DER in
//                                          base64 (mutual TLS only)
//
// The server believes them only on calls that arrived on its edge listener
// (--edge-address): a loopback address served with gRPC's local
// credentials, which refuse any peer not on the same host, so gRPC marks
// those calls' transport as "local". On every other listener the headers
// are ignored, whoever sends them; and the edge drops any a client sent
// before it sets its own (deploy/edge/haproxy.cfg).

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/security/auth_context.h"
#include "grpcpp/server_context.h"

namespace forum_registry::auth {

// The HTTP door (src/http) calls the API in-process, as an edge inside the
// process: it sends the same headers, of the HTTP client, and marks its
// calls with a secret this process made at random and never sends
// anywhere else, so no other caller can pass for it. Its calls also name
// the HTTP connection they came on, for the bounds per connection.
inline constexpr char kDoorMark[] = "x-forum-registry-door";
inline constexpr char kDoorConnection[] = "x-forum-registry-door-connection";

// The secret of this process's door calls (32 random bytes, hex).
const std::string& DoorSecret();

// Whether the call came from this process's HTTP door.
bool FromDoor(const grpc::ServerContextBase& context);

// Which connection a call came on, for bounds per connection: gRPC's peer,
// or for a door call the HTTP connection it names.
std::string ConnectionKey(const grpc::ServerContextBase& context);

inline constexpr char kEdgeClientAddress[] =
    "x-forum-registry-edge-client-address";
inline constexpr char kEdgeClientCertificate[] =
    "x-forum-registry-edge-client-cert";

// Whether the call came in on the edge listener, or from the HTTP door.
bool FromEdge(const grpc::ServerContextBase& context);
// Whether the call came in on the edge listener, from its auth context.
bool FromEdgeListener(const grpc::AuthContext* auth);

// The client's address the edge sent for this call; nullopt on calls not
// from the edge.
std::optional<std::string> EdgeClientAddress(
    const grpc::ServerContextBase& context);

// The client's host alone: the edge's word on an edge call, else the host
// of gRPC's peer ("10.1.2.3", "::1"; the peer as it is if it has none).
std::string ClientHost(const grpc::ServerContextBase& context);

// The host of a gRPC peer string: "10.1.2.3" of "ipv4:10.1.2.3:5000",
// "::1" of "ipv6:%5B::1%5D:5000"; anything else as it is.
std::string PeerHost(absl::string_view peer);

// Who a call is, for bounds per caller: the caller's `identity`, or for an
// anonymous caller the host it calls from ("anonymous@10.1.2.3").
std::string CallerKey(const grpc::ServerContextBase& context,
                      const std::string& identity);

// The certificate the edge verified for this call's client, DER in base64;
// nullopt on calls not from the edge, or without one.
std::optional<std::string> EdgeClientCertificate(
    const grpc::ServerContextBase& context);

// The name a certificate gives its holder, as for one gRPC verified itself
// (authorizer.h): its SPIFFE id (a URI subject alternative name with the
// scheme spiffe), else its first URI, else its first DNS name, else its
// common name. `base64_der` is the certificate as the edge sends it.
// INVALID_ARGUMENT if it is not base64 of a DER certificate, or names
// nothing.
absl::StatusOr<std::string> CertificateName(absl::string_view base64_der);

}  // namespace forum_registry::auth

#endif  // FORUM_REGISTRY_AUTH_EDGE_H_
