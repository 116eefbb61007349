#include "src/server/root.h"

#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "src/api/openapi.h"
#include "src/server/flags.h"
#include "src/server/log.h"

namespace forum_registry::server {
namespace {

// The audit log: one line per write, naming the caller.
void LogWrite(const std::string& method, const std::string& name,
              const auth::Caller& caller) {
  LogEvent(spdlog::level::info, "write",
           {{"method", method},
            {"resource", name},
            {"caller", caller.identity},
            {"role", std::string(auth::RoleName(caller.role))}});
}

}  // namespace

absl::StatusOr<std::unique_ptr<Root>> Root::Create(const ServeConfig& config) {
  // Before any thread starts, so that every thread inherits the mask.
  const sigset_t stop_signals = BlockStopSignals();
  PrepareDescriptors();
  absl::StatusOr<std::unique_ptr<auth::Authorizer>> authorizer =
      MakeAuthorizer(config);
  if (!authorizer.ok()) return authorizer.status();
  absl::StatusOr<std::optional<std::string>> secret =
      ReadPageTokenSecret(config);
  if (!secret.ok()) return secret.status();
  std::unique_ptr<Root> root(new Root(
      config, stop_signals, *std::move(authorizer), *std::move(secret)));
  if (!root->listeners_.status().ok()) return root->listeners_.status();
  if (!root->metrics_endpoint_.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "cannot serve metrics on --metrics-address \"", config.metrics_address,
        "\": ", root->metrics_endpoint_.status().message()));
  }
  if (!root->door_.ok()) return root->door_.status();
  return root;
}

Root::Root(const ServeConfig& config, sigset_t stop_signals,
           std::unique_ptr<auth::Authorizer> authorizer,
           std::optional<std::string> page_token_secret)
    : config_(config),
      stop_signals_(stop_signals),
      authorizer_(std::move(authorizer)),
      pools_(config),
      feed_pool_(FeedPoolOptionsOf(config)),
      page_token_key_(
          MakePageTokenKey(std::move(page_token_secret), &pools_.primary)),
      dispatcher_(DispatcherOptionsOf(config)),
      costly_lists_(MakeCostlyLists(config)),
      limits_(SizeLimitsOf(config)),
      common_({.dispatcher = dispatcher_,
               .authorizer = *authorizer_,
               .page_token_key = *page_token_key_,
               .costly_lists = *costly_lists_,
               .read_pool = pools_.reads()}),
      record_cache_(static_cast<size_t>(config.record_cache_size)),
      list_cache_(static_cast<size_t>(config.list_cache_bytes)),
      revision_check_(&pools_.primary),
      feed_(FeedOptionsOf(config, cached() ? &record_cache_ : nullptr, lists(),
                          &dispatcher_),
            &feed_pool_),
      resources_(api::ResourceService::ForEveryKind(
          {.common = common_,
           .pool = pools_.primary,
           .limits = limits_,
           .cache = cached() ? &record_cache_ : nullptr,
           .revisions = &revision_check_,
           .lists = lists(),
           .list_pool = &feed_pool_,
           .on_write = LogWrite})),
      changes_({.common = common_, .feed = feed_, .limits = limits_}),
      search_(common_),
      exports_({.common = common_,
                .primary = pools_.primary,
                .database_url = config.read_database_url.empty()
                                    ? config.database_url
                                    : config.read_database_url,
                .max_concurrent_exports =
                    static_cast<int>(config.max_concurrent_exports),
                .max_export_duration = config.max_export_duration}),
      listeners_(config, Services(), &metrics_),
      heap_guard_(listeners_.ports().all(), config.max_heap_mib << 20,
                  [this] {
                    return static_cast<int64_t>(list_cache_.GetStats().bytes);
                  }),
      monitor_(config.database_url, config.health_check_interval,
               listeners_.Readiness(ServiceNames()),
               [this] { pools_.CloseIdle(); }),
      purger_(&pools_.primary,
              {.retention = config.change_retention,
               .request_id_retention = config.request_id_retention,
               .interval = config.change_purge_interval,
               .batch = static_cast<int>(config.change_purge_batch)}),
      door_(StartDoor()),
      metrics_endpoint_(
          config.metrics_address.empty() || !listeners_.status().ok()
              ? absl::StatusOr<std::unique_ptr<MetricsEndpoint>>(nullptr)
              : MetricsEndpoint::Start(config.metrics_address, [this] {
                  return metrics_.Render(Sources());
                })) {
  // The per-connection defences act on clients' connections and on the
  // edge's, which carry one client each (deploy/edge/haproxy.cfg); the
  // ports are known once bound.
  dispatcher_.set_ports(listeners_.ports().api());
  if (listeners_.status().ok()) LogCallers(config);
  if (metrics_endpoint_.ok() && *metrics_endpoint_ != nullptr) {
    LogEvent(spdlog::level::info, "metrics_listening",
             {{"metrics_address", config.metrics_address},
              {"port", static_cast<int64_t>((*metrics_endpoint_)->port())}});
  }
}

absl::StatusOr<std::unique_ptr<http::Door>> Root::StartDoor() {
  if (!listeners_.status().ok() ||
      (config_.http_address.empty() && config_.http_edge_address.empty())) {
    return nullptr;
  }
  absl::StatusOr<http::RouteTable> routes =
      http::RouteTable::FromServices(ServiceNames());
  if (!routes.ok()) return routes.status();
  http::DoorOptions options{
      .address = config_.http_address,
      .edge_address = config_.http_edge_address,
      .max_body_bytes = static_cast<size_t>(config_.max_message_bytes),
      .loopback_hosts_only = !config_.http_address.empty() &&
                             IsLoopbackAddress(config_.http_address),
      .threads = static_cast<unsigned>(config_.http_threads),
      .openapi = std::string(api::OpenApiDocument())};
  for (absl::string_view origin :
       absl::StrSplit(config_.http_cors_origins, ',', absl::SkipWhitespace())) {
    options.cors_origins.emplace_back(absl::StripAsciiWhitespace(origin));
  }
  absl::StatusOr<std::unique_ptr<http::Door>> door =
      http::Door::Start(std::move(options),
                        listeners_.InProcessChannel(config_.max_message_bytes),
                        *std::move(routes));
  if (!door.ok()) return door.status();
  if ((*door)->port() > 0) {
    LogEvent(spdlog::level::info, "http_listening",
             {{"http_address", config_.http_address},
              {"port", static_cast<int64_t>((*door)->port())}});
  }
  if ((*door)->edge_port() > 0) {
    LogEvent(spdlog::level::info, "http_edge_listening",
             {{"http_edge_address", config_.http_edge_address},
              {"port", static_cast<int64_t>((*door)->edge_port())}});
  }
  return door;
}

std::vector<grpc::Service*> Root::Services() {
  std::vector<grpc::Service*> services;
  for (const auto& resource : resources_) services.push_back(resource.get());
  services.push_back(&changes_);
  services.push_back(&search_);
  services.push_back(&exports_);
  return services;
}

std::vector<std::string> Root::ServiceNames() const {
  std::vector<std::string> names;
  for (const auto& resource : resources_) {
    names.push_back(resource->full_name());
  }
  names.push_back(forumregistry::v1::ChangeService::service_full_name());
  names.push_back(forumregistry::v1::SearchService::service_full_name());
  names.push_back(forumregistry::v1::ExportService::service_full_name());
  return names;
}

MetricSources Root::Sources() const {
  return {.pools = pools_.Named(&feed_pool_),
          .feed = &feed_,
          .dispatcher = &dispatcher_,
          .heap_guard = &heap_guard_,
          .cache = &record_cache_,
          .revisions = &revision_check_,
          .lists = config_.list_cache_bytes > 0 ? &list_cache_ : nullptr,
          .jwt = authorizer_->jwt(),
          .purger = &purger_,
          .door = door_.ok() ? door_->get() : nullptr};
}

int Root::Run() {
  monitor_.Start();
  purger_.Start();
  feed_.Start();
  list_cache_.Start();
  std::thread signals([this] {
    AwaitStopSignal(
        stop_signals_, config_.drain_period, config_.shutdown_timeout,
        [this] {
          monitor_.Stop();
          // Watch streams never end by themselves: end them now, each
          // naming the revision to resume from, so clients move to another
          // replica while this one drains.
          feed_.Stop();
          // A load in progress ends at its next record; its thread is
          // joined once the listeners are done.
          list_cache_.RequestStop();
          // Exports end too (UNAVAILABLE, a cut file): a slow client's
          // would otherwise hold the shutdown until its next write.
          exports_.Stop();
          // A purge in batches stops after the batch in flight.
          purger_.BeginStop();
          // Every service, and the server as a whole, reads NOT_SERVING
          // from now on, and no later SetServingStatus can undo it.
          listeners_.ShutdownHealth();
        },
        [this](absl::Time deadline) {
          // The door first: it stops taking connections and lets its calls
          // end, which the server's shutdown then need not cut.
          if (door_.ok() && *door_ != nullptr) (*door_)->Shutdown(deadline);
          listeners_.Shutdown(deadline);
        });
  });
  listeners_.Wait();
  signals.join();
  list_cache_.Stop();
  purger_.Stop();
  LogEvent(spdlog::level::info, "stopped");
  return 0;
}

int RunServer(const ServeConfig& config) {
  absl::StatusOr<std::unique_ptr<Root>> root = Root::Create(config);
  if (!root.ok()) {
    LogEvent(spdlog::level::err, "start_failed",
             {{"reason", std::string(root.status().message())}});
    return root.status().code() == absl::StatusCode::kUnavailable ? 1 : 2;
  }
  // The rest stops as the root is destroyed, in reverse order of start.
  return (*root)->Run();
}

}  // namespace forum_registry::server
