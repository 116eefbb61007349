#include "src/server/metrics_endpoint.h"

#include <microhttpd.h>
#include <netdb.h>
#include <sys/socket.h>

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "src/http/listen_address.h"

namespace forum_registry::server {
namespace {

MHD_Result Respond(MHD_Connection* connection, unsigned status,
                   const std::string& body, const char* content_type) {
  MHD_Response* response = MHD_create_response_from_buffer(
      body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
  if (response == nullptr) return MHD_NO;
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
  const MHD_Result queued = MHD_queue_response(connection, status, response);
  MHD_destroy_response(response);
  return queued;
}

// libmicrohttpd's request callback: one answer per request, queued on the
// first call (after the headers), so no request body is ever read.
MHD_Result Handle(void* cls, MHD_Connection* connection, const char* url,
                  const char* method, const char* /*version*/,
                  const char* /*upload_data*/, size_t* /*upload_data_size*/,
                  void** /*request_state*/) {
  const auto* render = static_cast<const std::function<std::string()>*>(cls);
  constexpr char kText[] = "text/plain; charset=utf-8";
  if (std::strcmp(url, "/metrics") != 0) {
    return Respond(connection, MHD_HTTP_NOT_FOUND, "not found\n", kText);
  }
  if (std::strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
      std::strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
    return Respond(connection, MHD_HTTP_METHOD_NOT_ALLOWED,
                   "only GET /metrics\n", kText);
  }
  return Respond(connection, MHD_HTTP_OK, (*render)(),
                 "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    const std::string& address, std::function<std::string()> render) {
  absl::StatusOr<http::ListenAddress> resolved =
      http::ResolveListenAddress(address, "metrics-address");
  if (!resolved.ok()) return resolved.status();
  const addrinfo* found = resolved->info.get();
  std::unique_ptr<MetricsEndpoint> endpoint(
      new MetricsEndpoint(std::move(render)));
  unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD;
  if (found->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
  endpoint->daemon_ = MHD_start_daemon(
      flags, resolved->port, nullptr, nullptr, &Handle,
      const_cast<std::function<std::string()>*>(&endpoint->render_),
      MHD_OPTION_SOCK_ADDR, found->ai_addr,  //
      MHD_OPTION_CONNECTION_TIMEOUT, kIdleTimeoutSeconds,
      MHD_OPTION_CONNECTION_LIMIT, kMaxConnections,
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, kMaxConnectionsPerIp,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, kMemoryPerConnection, MHD_OPTION_END);
  if (endpoint->daemon_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on the metrics address ", address));
  }
  const MHD_DaemonInfo* info =
      MHD_get_daemon_info(endpoint->daemon_, MHD_DAEMON_INFO_BIND_PORT);
  endpoint->port_ = info == nullptr ? resolved->port : info->port;
  return endpoint;
}

MetricsEndpoint::~MetricsEndpoint() {
  if (daemon_ != nullptr) MHD_stop_daemon(daemon_);
}

}  // namespace forum_registry::server
