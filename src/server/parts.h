#ifndef FORUM_REGISTRY_SERVER_PARTS_H_
#define FORUM_REGISTRY_SERVER_PARTS_H_

// The parts the composition root (root.h) is built of that take more than a
// constructor call: each is made from the config here, so that the root
// reads as the list of what the process runs.

#include <signal.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "src/api/change_feed.h"
#include "src/api/costly_lists.h"
#include "src/api/dispatcher.h"
#include "src/api/resource_methods.h"
#include "src/auth/authorizer.h"
#include "src/server/metrics.h"
#include "src/server/serve_config.h"
#include "src/store/page_token_key.h"
#include "src/store/pool.h"
#include "src/store/record_cache.h"

namespace forum_registry::server {

// Blocks SIGTERM and SIGINT (and SIGUSR1, which wakes the second-signal
// watcher) in the calling thread; called before any other thread starts, so
// every thread inherits the mask and only AwaitStopSignal's sigwait sees
// them. Returns the stop signals.
sigset_t BlockStopSignals();

// Waits for a stop signal, then drains: `begin_drain` at once (health
// NOT_SERVING, watches ended), then the drain period, cut short by a second
// signal, then `shutdown` with the deadline `shutdown_timeout` from then.
// The signals are taken by this (normal) thread, never a handler.
void AwaitStopSignal(const sigset_t& stop_signals, absl::Duration drain_period,
                     absl::Duration shutdown_timeout,
                     const std::function<void()>& begin_drain,
                     const std::function<void(absl::Time)>& shutdown);

// Lifts the soft descriptor limit to the hard one, opens the handle the
// defences list sockets through (store/descriptors.h), and logs both.
void PrepareDescriptors();

// Logs, once at start, which callers may do what under `config` (the
// "callers" event): the first thing to read when a call is refused, or when
// it should have been.
void LogCallers(const ServeConfig& config);

// Who may call what, from the flags (auth/authorizer.h); INVALID_ARGUMENT if
// the JWT key files do not read. The key files are read again every
// --jwt-refresh-interval; each read is logged (keys skipped, reloads, and
// reloads that failed and kept the previous keys).
absl::StatusOr<std::unique_ptr<auth::Authorizer>> MakeAuthorizer(
    const ServeConfig& config);

// The secret of --page-token-key-file, read now; nullopt when the flag is
// empty (the key is then the one `migrate` stored in the database).
// INVALID_ARGUMENT if the file does not read.
absl::StatusOr<std::optional<std::string>> ReadPageTokenSecret(
    const ServeConfig& config);

// The key that signs page tokens, the same on every replica: `secret`, or
// the database's (the primary's: `migrate` writes it).
std::unique_ptr<store::PageTokenKey> MakePageTokenKey(
    std::optional<std::string> secret, store::ConnectionPool* primary);

// The primary's pool, and a replica's for reads if one is configured.
struct Pools {
  explicit Pools(const ServeConfig& config);
  store::ConnectionPool& reads() { return replica ? *replica : primary; }
  void CloseIdle();
  // Every pool by its metrics name, `feed` included.
  std::vector<std::pair<std::string, const store::ConnectionPool*>> Named(
      const store::ConnectionPool* feed) const;

  store::ConnectionPool primary;
  std::unique_ptr<store::ConnectionPool> replica;
};

// Sizes a record and a page may reach: a page's records stay within 3/4 of
// a message (their stored JSON measures them, and is rarely smaller than
// their protobuf encoding), and so does a record unless
// --max-record-bytes says less.
api::SizeLimits SizeLimitsOf(const ServeConfig& config);

// The options of the parts that take them from the flags: the dispatcher
// of unary calls, the feed's pool, the change feed (kept current: `cache`,
// or null), and the slots of costly reads.
api::Dispatcher::Options DispatcherOptionsOf(const ServeConfig& config);
store::PoolOptions FeedPoolOptionsOf(const ServeConfig& config);
api::ChangeFeedOptions FeedOptionsOf(const ServeConfig& config,
                                     store::RecordCache* cache,
                                     store::ListCache* lists,
                                     api::Dispatcher* admission);
std::unique_ptr<api::CostlyLists> MakeCostlyLists(const ServeConfig& config);

// The ports the listeners bound; 0 for one not asked for.
struct Ports {
  int clients = 0;  // --listen-address
  int edge = 0;     // --edge-address
  int probe = 0;    // --probe-address
  // Every port bound; those that carry API calls (not the probe's).
  std::vector<int> all() const;
  std::vector<int> api() const;
};

// The gRPC listeners: the server with the API, reflection and health on the
// clients' and the edge's addresses, and the probe server (health alone).
// They listen once built; status() says whether every address was bound.
class Listeners {
 public:
  Listeners(const ServeConfig& config,
            const std::vector<grpc::Service*>& services, Metrics* metrics);
  ~Listeners();

  const absl::Status& status() const { return status_; }
  const Ports& ports() const { return ports_; }

  // Readiness: `services` (and the server as a whole, "") SERVING or
  // NOT_SERVING on every listener's health service; NOT_SERVING until the
  // first call. "liveness" is SERVING while the process works, whatever
  // the database does, so a database outage takes replicas out of rotation
  // without restarting them.
  std::function<void(bool)> Readiness(std::vector<std::string> services);

  // Drain: every health service NOT_SERVING for good.
  void ShutdownHealth();
  // Refuses new calls, lets running ones finish until `deadline`.
  void Shutdown(absl::Time deadline);
  // Until the API server has shut down.
  void Wait();

  // A channel to the API server inside this process (the HTTP door's):
  // its calls go through the same services, interceptors and admission.
  std::shared_ptr<grpc::Channel> InProcessChannel(int64_t max_message_bytes);

 private:
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::Server> probe_;
  std::vector<grpc::HealthCheckServiceInterface*> healths_;
  Ports ports_;
  absl::Status status_;
};

}  // namespace forum_registry::server

#endif  // FORUM_REGISTRY_SERVER_PARTS_H_
