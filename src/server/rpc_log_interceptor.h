#ifndef FORUM_REGISTRY_SERVER_RPC_LOG_INTERCEPTOR_H_
#define FORUM_REGISTRY_SERVER_RPC_LOG_INTERCEPTOR_H_

// Logs one JSON line per RPC when its status is sent: method, status code,
// duration in milliseconds, and the peer; the status message too when the RPC
// failed. See log.h for the format.

#include "grpcpp/server_context.h"
#include "grpcpp/support/server_interceptor.h"

namespace forum_registry::server {

class RpcLogInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;
};

}  // namespace forum_registry::server

#endif  // FORUM_REGISTRY_SERVER_RPC_LOG_INTERCEPTOR_H_
