#ifndef FORUM_REGISTRY_SERVER_RPC_LOG_INTERCEPTOR_H_
#define FORUM_REGISTRY_SERVER_RPC_LOG_INTERCEPTOR_H_

// Observes every RPC: one JSON log line when its status is sent (method,
// status code, duration in milliseconds, peer; the status message too when
// the RPC failed; see log.h), and the RPC and latency metrics (metrics.h).

#include "grpcpp/server_context.h"
#include "grpcpp/support/server_interceptor.h"
#include "src/server/metrics.h"

namespace forum_registry::server {

class RpcLogInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RpcLogInterceptorFactory(Metrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  Metrics* metrics_;
};

}  // namespace forum_registry::server

#endif  // FORUM_REGISTRY_SERVER_RPC_LOG_INTERCEPTOR_H_
