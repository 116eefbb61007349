#ifndef FORUM_REGISTRY_SERVER_METRICS_ENDPOINT_H_
#define FORUM_REGISTRY_SERVER_METRICS_ENDPOINT_H_

// GET /metrics over HTTP/1.1, served by GNU libmicrohttpd (Debian's
// libmicrohttpd12) from one epoll thread: every connection is an event, not
// a thread, so clients that send slowly or never finish a request cannot
// hold the scrapes up. Bounds:
//
//   kIdleTimeoutSeconds      a connection idle this long is closed
//   kMaxConnections          open at once (kMaxConnectionsPerIp per address)
//   kMemoryPerConnection     for a request's line and headers: a larger
//                            request is refused (431) without growing memory
//
// Anything but GET or HEAD of /metrics is 404 or 405, its body unread.

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

struct MHD_Daemon;

namespace forum_registry::server {

class MetricsEndpoint {
 public:
  static constexpr unsigned kIdleTimeoutSeconds = 5;
  static constexpr unsigned kMaxConnections = 256;
  static constexpr unsigned kMaxConnectionsPerIp = 32;
  static constexpr size_t kMemoryPerConnection = 16 * 1024;

  // Listens on `address` ("0.0.0.0:9090", "[::]:9090", "127.0.0.1:0" for a
  // free port) and answers /metrics with `render()` (called on the
  // endpoint's thread). UNAVAILABLE if it cannot listen there.
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(
      const std::string& address, std::function<std::string()> render);
  ~MetricsEndpoint();  // stops serving

  int port() const { return port_; }

 private:
  explicit MetricsEndpoint(std::function<std::string()> render)
      : render_(std::move(render)) {}

  const std::function<std::string()> render_;
  MHD_Daemon* daemon_ = nullptr;
  int port_ = 0;
};

}  // namespace forum_registry::server

#endif  // FORUM_REGISTRY_SERVER_METRICS_ENDPOINT_H_
