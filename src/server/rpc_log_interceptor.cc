#include "src/server/rpc_log_interceptor.h"

#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "src/server/log.h"

namespace forum_registry::server {
namespace {

using grpc::experimental::InterceptionHookPoints;

class RpcLogInterceptor final : public grpc::experimental::Interceptor {
 public:
  RpcLogInterceptor(grpc::experimental::ServerRpcInfo* info, Metrics* metrics)
      : info_(info), metrics_(metrics), start_(absl::Now()) {
    metrics_->RpcStarted(info_->method());
  }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      const absl::Duration took = absl::Now() - start_;
      metrics_->RpcHandled(info_->method(), status.error_code(),
                           absl::ToDoubleSeconds(took));
      LogFields fields = {
          {"method", std::string(info_->method())},
          {"code", std::string(CodeName(status.error_code()))},
          {"duration_ms", absl::ToDoubleMilliseconds(absl::Now() - start_)},
          {"peer", info_->server_context()->peer()},
      };
      if (!status.ok()) fields.push_back({"message", status.error_message()});
      LogEvent(spdlog::level::info, "rpc", fields);
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* info_;
  Metrics* metrics_;
  const absl::Time start_;
};

}  // namespace

grpc::experimental::Interceptor*
RpcLogInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new RpcLogInterceptor(info, metrics_);
}

}  // namespace forum_registry::server
