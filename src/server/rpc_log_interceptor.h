#ifndef FORUM_REGISTRY_SERVER_RPC_LOG_INTERCEPTOR_H_
#define FORUM_REGISTRY_SERVER_RPC_LOG_INTERCEPTOR_H_

// Observes every RPC: one JSON log line when its status is sent (method,
// status code, duration in milliseconds, peer; the status message too when
// the RPC failed; see log.h), and the RPC and latency metrics (metrics.h).
//
// The lines of failed RPCs are budgeted (LogBudget): a client resetting
// thousands of streams a second, or sending as many bad tokens, would
// otherwise write as many lines, and a flood would cost disk and CPU twice.
// Past the budget, failed RPCs are still counted in the metrics; the next
// line logged says how many lines were left out ("suppressed").

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_interceptor.h"
#include "src/server/metrics.h"

namespace forum_registry::server {

// A token bucket: `per_second` lines a second, up to `burst` at once.
// Thread-safe.
class LogBudget {
 public:
  LogBudget(double per_second, double burst)
      : per_second_(per_second), burst_(burst), tokens_(burst) {}

  // Whether a line may be written at `now`; if so, `*suppressed` is how many
  // were refused since the last one allowed.
  bool Take(absl::Time now, int64_t* suppressed);

 private:
  const double per_second_;
  const double burst_;
  absl::Mutex mu_;
  double tokens_ ABSL_GUARDED_BY(mu_);
  absl::Time last_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int64_t suppressed_ ABSL_GUARDED_BY(mu_) = 0;
};

class RpcLogInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RpcLogInterceptorFactory(Metrics* metrics) : metrics_(metrics) {}

  // Lines of failed RPCs: 100 a second, 200 at once.
  static constexpr double kFailedLinesPerSecond = 100;
  static constexpr double kFailedLinesBurst = 200;
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  Metrics* metrics_;
  LogBudget failed_lines_{kFailedLinesPerSecond, kFailedLinesBurst};
};

}  // namespace forum_registry::server

#endif  // FORUM_REGISTRY_SERVER_RPC_LOG_INTERCEPTOR_H_
