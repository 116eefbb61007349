#include "src/server/rpc_log_interceptor.h"

#include <algorithm>
#include <optional>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "src/auth/edge.h"
#include "src/server/log.h"

namespace forum_registry::server {
namespace {

using grpc::experimental::InterceptionHookPoints;

class RpcLogInterceptor final : public grpc::experimental::Interceptor {
 public:
  RpcLogInterceptor(grpc::experimental::ServerRpcInfo* info, Metrics* metrics,
                    LogBudget* failed_lines)
      : info_(info),
        metrics_(metrics),
        failed_lines_(failed_lines),
        start_(absl::Now()) {
    metrics_->RpcStarted(info_->method());
  }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      const absl::Time now = absl::Now();
      const absl::Duration took = now - start_;
      metrics_->RpcHandled(info_->method(), status.error_code(),
                           absl::ToDoubleSeconds(took));
      int64_t suppressed = 0;
      if (!status.ok() && !failed_lines_->Take(now, &suppressed)) {
        methods->Proceed();
        return;
      }
      LogFields fields = {
          {"method", std::string(info_->method())},
          {"code", std::string(CodeName(status.error_code()))},
          {"duration_ms", absl::ToDoubleMilliseconds(absl::Now() - start_)},
          {"peer", info_->server_context()->peer()},
      };
      // Behind the edge, the peer is the edge; the client is named apart.
      if (std::optional<std::string> client =
              auth::EdgeClientAddress(*info_->server_context())) {
        fields.push_back({"client_address", *std::move(client)});
      }
      if (!status.ok()) fields.push_back({"message", status.error_message()});
      if (suppressed > 0) fields.push_back({"suppressed", suppressed});
      LogEvent(spdlog::level::info, "rpc", fields);
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* info_;
  Metrics* metrics_;
  LogBudget* failed_lines_;
  const absl::Time start_;
};

}  // namespace

bool LogBudget::Take(absl::Time now, int64_t* suppressed) {
  absl::MutexLock lock(&mu_);
  if (last_ != absl::InfinitePast() && now > last_) {
    tokens_ = std::min(
        burst_, tokens_ + absl::ToDoubleSeconds(now - last_) * per_second_);
  }
  last_ = std::max(last_, now);
  if (tokens_ < 1) {
    ++suppressed_;
    return false;
  }
  tokens_ -= 1;
  *suppressed = suppressed_;
  suppressed_ = 0;
  return true;
}

grpc::experimental::Interceptor*
RpcLogInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new RpcLogInterceptor(info, metrics_, &failed_lines_);
}

}  // namespace forum_registry::server
