#ifndef FORUM_REGISTRY_HTTP_DOOR_H_
#define FORUM_REGISTRY_HTTP_DOOR_H_

// The HTTP door: the API over plain HTTP/1.1, for clients that cannot speak
// gRPC (a browser, curl, a spreadsheet, a proxy that only knows HTTP/1.1).
// It answers three protocols on one port, all derived from the protos:
//
//   HTTP/JSON   the routes of the RPCs' google.api.http annotations
//               (routes.h): GET /v1/forums/arf, POST /v1/forums?forum_id=x
//               with the forum as body, ...; errors as google.rpc.Status
//               JSON with the HTTP status of their code. A method answering
//               google.api.HttpBody (the exports) answers the file itself:
//               GET /v1/forums/arf/sessions.ics is text/calendar, with its
//               ETag, and 304 for an If-None-Match that names it.
//   Connect     POST /forumregistry.v1.ForumService/GetForum with a JSON or
//               binary body (GET for reads), and WatchChanges as a Connect
//               server stream (connectrpc.com/docs/protocol).
//   SSE         GET /v1/changes:watch as Server-Sent Events: each event's id
//               is the revision to resume after, so a browser's EventSource
//               resumes by itself (Last-Event-ID).
//
// Every call goes through the same gRPC server the gRPC clients reach, over
// an in-process channel: the same authorization (`Authorization: Bearer`),
// admission, deadlines, logging, metrics and `x-forum-registry-*` headers.
// The door passes the HTTP client's address (and, behind the edge, the
// certificate the edge verified) the way the edge does (auth/edge.h).
//
// libmicrohttpd serves the connections (one epoll thread per worker; calls
// waiting on the API suspend their connection, holding no thread), with
// bounds on connections, per-address connections, idle time, header and
// body sizes.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "src/http/routes.h"

namespace forum_registry::http {

struct DoorOptions {
  // Where HTTP clients connect ("" for nowhere); HOST:PORT.
  std::string address;
  // Where the edge (deploy/edge) sends the HTTP requests of its clients
  // ("" for nowhere): loopback only; the edge's x-forum-registry-edge-*
  // headers are believed here and nowhere else.
  std::string edge_address;
  // Origins a browser may call from (CORS); "*" for any, without
  // credentials.
  std::vector<std::string> cors_origins;
  // A request body larger than this is refused (413), and the bodies held
  // at once across connections are bounded (429 past it).
  size_t max_body_bytes = 4 << 20;
  size_t max_buffered_bytes = 64 << 20;
  // A door on loopback for direct clients answers only requests whose Host
  // is loopback (DNS rebinding).
  bool loopback_hosts_only = false;
  // Connections at once, and from one address (direct clients only).
  unsigned max_connections = 1024;
  unsigned max_connections_per_address = 64;
  // A connection idle this long is closed (a watch is never idle long: it
  // gets a bookmark every --watch-bookmark-interval).
  absl::Duration idle_timeout = absl::Seconds(60);
  // Threads serving connections.
  unsigned threads = 2;
  // The OpenAPI document served at /openapi.json.
  std::string openapi;
};

class Door {
 public:
  // Listens on the addresses of `options`, calling the API through
  // `channel` (the server's in-process channel) by the routes of `routes`.
  // INVALID_ARGUMENT for an address that does not parse; UNAVAILABLE if
  // one cannot be bound.
  static absl::StatusOr<std::unique_ptr<Door>> Start(
      DoorOptions options, std::shared_ptr<grpc::Channel> channel,
      RouteTable routes);
  ~Door();

  Door(const Door&) = delete;
  Door& operator=(const Door&) = delete;

  int port() const { return port_; }            // 0 without an address
  int edge_port() const { return edge_port_; }  // 0 without one

  // What the door has answered, for the metrics.
  struct Stats {
    // Answers by protocol ("http_json", "connect", "sse") and class of
    // HTTP status (index 0 for 1xx ... 4 for 5xx).
    std::vector<std::pair<std::string, std::vector<int64_t>>> answered;
    // SSE and Connect streams, and files (HttpBody), being written.
    int64_t streams_open = 0;
  };
  Stats GetStats() const;

  // Stops taking connections, ends the calls in flight with their status
  // (watches end as the server's drain ends them), and closes once every
  // answer is written or `deadline` passes.
  void Shutdown(absl::Time deadline);

  struct State;  // the door's shared state (door.cc)

 private:
  Door() = default;

  std::shared_ptr<State> state_;
  std::vector<void*> listeners_;  // what each daemon's callbacks are given
  bool stopped_ = false;
  int port_ = 0;
  int edge_port_ = 0;
};

}  // namespace forum_registry::http

#endif  // FORUM_REGISTRY_HTTP_DOOR_H_
