#ifndef FORUM_REGISTRY_SERVER_ROOT_H_
#define FORUM_REGISTRY_SERVER_ROOT_H_

// The composition root of `forum-registry serve`: every listener, pool,
// thread and service the process runs is a member below, built from one
// ServeConfig. Members are declared in the order they start; C++ destroys
// them in reverse, which is the order they must stop (a call ends on a
// dispatcher worker, so the dispatcher outlives the services and the
// server; the feed outlives every watch; ...). A service gets what it needs
// in one struct at construction (api/service_deps.h); nothing is wired
// after.
//
// To add a service: a member after what it stands on and before
// `listeners_`, and its address in Services(). To add a listener: a member
// after `listeners_` (see `metrics_endpoint_`) or a port of Listeners
// (parts.h). To add a flag: serve_flags.cc. docs/adding-a-resource.md says
// more.
//
// Start: the pools connect lazily; the services are registered with
// reflection and health, and the listeners listen. Health turns SERVING
// once the database answers and holds every migration (health_monitor.h).
//
// Stop, on SIGTERM or SIGINT: health NOT_SERVING at once, so load balancers
// and probes stop sending new work; then the drain period, while RPCs already
// sent still arrive and are served; then Shutdown with a deadline, which
// refuses new RPCs and lets running ones finish until the deadline, then
// cancels what is left. A second signal skips the rest of the drain. The
// signal is taken by a normal thread (sigwait), never in a signal handler.

#include <signal.h>

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "src/api/change_feed.h"
#include "src/api/change_service.h"
#include "src/api/connection_cutter.h"
#include "src/api/costly_lists.h"
#include "src/api/dispatcher.h"
#include "src/api/export_service.h"
#include "src/api/resource_service.h"
#include "src/api/search_service.h"
#include "src/api/service_deps.h"
#include "src/auth/authorizer.h"
#include "src/http/door.h"
#include "src/server/change_purger.h"
#include "src/server/health_monitor.h"
#include "src/server/metrics.h"
#include "src/server/metrics_endpoint.h"
#include "src/server/parts.h"
#include "src/server/serve_config.h"
#include "src/store/list_cache.h"
#include "src/store/page_token_key.h"
#include "src/store/pool.h"
#include "src/store/record_cache.h"
#include "src/store/revision_check.h"

namespace forum_registry::server {

class Root {
 public:
  // Builds every part and listens on every address; the background work
  // (health checks, purges, the feed) starts in Run. INVALID_ARGUMENT: a
  // file the config names does not read; UNAVAILABLE: an address cannot be
  // bound.
  static absl::StatusOr<std::unique_ptr<Root>> Create(
      const ServeConfig& config);

  // Serves until a stop signal, drains, and returns the exit code.
  int Run();

 private:
  Root(const ServeConfig& config, sigset_t stop_signals,
       std::unique_ptr<auth::Authorizer> authorizer,
       std::optional<std::string> page_token_secret);

  // The HTTP door if an address asks for it (null if none), listening.
  absl::StatusOr<std::unique_ptr<http::Door>> StartDoor();
  std::vector<grpc::Service*> Services();
  std::vector<std::string> ServiceNames() const;
  MetricSources Sources() const;
  // Whether Gets may answer from the record cache (and the feed keeps it).
  bool cached() const { return config_.record_cache_size > 0; }
  store::ListCache* lists() {
    return config_.list_cache_bytes > 0 ? &list_cache_ : nullptr;
  }

  const ServeConfig config_;
  // Blocked in the thread that built the root, before any other started.
  const sigset_t stop_signals_;
  const std::unique_ptr<auth::Authorizer> authorizer_;
  // The primary's pool, and a replica's for reads if one is configured.
  Pools pools_;
  // The feed's reads for starting watchers, and the list cache's loads,
  // have connections of their own, so neither a crowd of watchers nor a
  // long load holds one a write or a revision check needs.
  store::ConnectionPool feed_pool_;
  const std::unique_ptr<store::PageTokenKey> page_token_key_;
  api::Dispatcher dispatcher_;
  const std::unique_ptr<api::CostlyLists> costly_lists_;
  const api::SizeLimits limits_;
  const api::CommonDeps common_;
  store::RecordCache record_cache_;
  // Every record of each kind that fits (--list-cache-bytes), for Lists;
  // its loader reads through `resources_`' stores, so it stops before they
  // go (Run).
  store::ListCache list_cache_;
  // Gets answer from the cache once it holds the current revision, which
  // the feed keeps it at (store/record_cache.h). Its thread calls back
  // into `resources_`' handlers (decisions §75), which go before it: by
  // then the server has shut down, and gRPC's shutdown waits for every
  // call to finish, so no caller is left waiting.
  store::RevisionCheck revision_check_;
  api::ChangeFeed feed_;
  std::vector<std::unique_ptr<api::ResourceService>> resources_;
  api::ChangeService changes_;
  api::SearchService search_;
  // Exports run on threads of their own, each with a snapshot of its own on
  // the read database, at most --max-concurrent-exports at once.
  api::ExportService exports_;
  Metrics metrics_;
  Listeners listeners_;
  // Watches every port a client reaches, the probe's too.
  api::HeapGuard heap_guard_;
  HealthMonitor monitor_;
  ChangePurger purger_;
  // The HTTP door (--http-address, --http-edge-address), calling the API
  // through `listeners_`' in-process channel; null without an address.
  absl::StatusOr<std::unique_ptr<http::Door>> door_;
  absl::StatusOr<std::unique_ptr<MetricsEndpoint>> metrics_endpoint_;
};

// Runs until stopped by a signal; returns the process exit code.
int RunServer(const ServeConfig& config);

}  // namespace forum_registry::server

#endif  // FORUM_REGISTRY_SERVER_ROOT_H_
