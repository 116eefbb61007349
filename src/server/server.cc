#include "src/server/server.h"

#include <signal.h>

#include <algorithm>
#include <memory>
#include <thread>

#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/impl/server_builder_option.h"
#include "grpcpp/impl/server_builder_plugin.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"
#include "src/api/change_service.h"
#include "src/api/resource_service.h"
#include "src/api/search_service.h"
#include "src/auth/authorizer.h"
#include "src/domain/resource_registry.h"
#include "src/server/change_purger.h"
#include "src/server/health_monitor.h"
#include "src/server/log.h"
#include "src/server/metrics.h"
#include "src/server/metrics_endpoint.h"
#include "src/server/rpc_log_interceptor.h"
#include "src/store/descriptors.h"
#include "src/store/pool.h"

namespace forum_registry::server {
namespace {

using Services = std::vector<std::unique_ptr<api::ResourceService>>;

// Threads of the synchronous server (reflection, and polling), and how many
// of them poll.
constexpr int kSyncThreads = 8;
constexpr int kPollers = 4;

// Blocks SIGTERM and SIGINT (and SIGUSR1, which wakes the second-signal
// watcher) in the calling thread before any other starts, so every thread
// inherits the mask and only the signal thread's sigwait sees them. Returns
// the stop signals.
sigset_t BlockStopSignals() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigset_t blocked = stop_signals;
  sigaddset(&blocked, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &blocked, nullptr);
  return stop_signals;
}

// The primary's pool, and a replica's for reads if one is configured.
struct Pools {
  explicit Pools(const ServeConfig& config)
      : primary({.url = config.database_url,
                 .size = config.pool_size,
                 .statement_timeout = config.statement_timeout}) {
    if (!config.read_database_url.empty()) {
      replica = std::make_unique<store::ConnectionPool>(
          store::PoolOptions{.url = config.read_database_url,
                             .size = config.pool_size,
                             .statement_timeout = config.statement_timeout,
                             .application_name = "forum-registry-read"});
    }
  }
  store::ConnectionPool* reads() { return replica ? replica.get() : &primary; }
  void CloseIdle() {
    primary.CloseIdle();
    if (replica) replica->CloseIdle();
  }

  store::ConnectionPool primary;
  std::unique_ptr<store::ConnectionPool> replica;
};

// One service per kind of the resource registry.
Services MakeServices(Pools& pools, api::Dispatcher* dispatcher) {
  Services services;
  for (const domain::ResourceType& type : domain::Resources()) {
    services.push_back(std::make_unique<api::ResourceService>(
        type, &pools.primary, pools.reads(), dispatcher));
  }
  return services;
}

// TLS when --tls-cert and --tls-key are given: gRPC's file watcher re-reads
// them (and --tls-client-ca) every --tls-refresh-interval, so cert-manager
// can rotate them without a restart. With --tls-client-ca, a client must
// present a certificate that CA signed (mutual TLS).
std::shared_ptr<grpc::ServerCredentials> ServerCredentials(
    const ServeConfig& config) {
  if (config.tls_cert.empty()) return grpc::InsecureServerCredentials();
  const unsigned int refresh = static_cast<unsigned int>(
      std::max<int64_t>(1, absl::ToInt64Seconds(config.tls_refresh_interval)));
  auto provider =
      std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
          config.tls_key, config.tls_cert, config.tls_client_ca, refresh);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (!config.tls_client_ca.empty()) {
    options.watch_root_certs();
    options.set_cert_request_type(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

// The ports a server bound: the clients' (--listen-address) and the edge's
// (--edge-address); 0 for one not asked for.
struct Ports {
  int clients = 0;
  int edge = 0;
  int probe = 0;
  std::vector<int> all() const {
    std::vector<int> ports;
    for (int port : {clients, edge, probe}) {
      if (port > 0) ports.push_back(port);
    }
    return ports;
  }
};

// The server with the services, reflection, health, limits and keepalive of
// `config`, listening; null if it cannot listen on every address asked for.
std::unique_ptr<grpc::Server> BuildServer(const ServeConfig& config,
                                          const Services& services,
                                          api::ChangeService* changes,
                                          api::SearchService* search,
                                          Metrics* metrics, Ports* ports) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  if (!config.listen_address.empty()) {
    builder.AddListeningPort(config.listen_address, ServerCredentials(config),
                             &ports->clients);
  }
  // The edge's door: gRPC's local credentials refuse any peer that is not
  // on this host, and mark the calls they let in as "local", which is how
  // auth/edge.h tells them from the rest.
  if (!config.edge_address.empty()) {
    builder.AddListeningPort(
        config.edge_address,
        grpc::experimental::LocalServerCredentials(LOCAL_TCP), &ports->edge);
  }
  for (const auto& service : services) builder.RegisterService(service.get());
  builder.RegisterService(changes);
  builder.RegisterService(search);
  // Every method of ours is a callback method: unary calls run on the
  // dispatcher's workers, watches on no thread. What is left to the
  // synchronous server is reflection; its threads are bounded, and a call
  // that finds them busy is refused at once ("Server Threadpool
  // Exhausted").
  grpc::ResourceQuota quota("forum-registry");
  quota.SetMaxThreads(kSyncThreads);
  builder.SetResourceQuota(quota);
  // The synchronous server's threads are also the threads that poll every
  // connection (epoll1 shares one epoll set): with a single poller, one
  // connection flooding it (rapid reset) kept it busy and stalled every
  // other connection for seconds. Several pollers take turns.
  builder.SetSyncServerOption(
      grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, kPollers);
  builder.SetSyncServerOption(
      grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, kPollers);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             config.max_streams_per_connection);
  // Request headers: room for a bearer token, not for a flood.
  builder.AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE, 16 * 1024);
  builder.SetMaxReceiveMessageSize(config.max_message_bytes);
  builder.SetMaxSendMessageSize(config.max_message_bytes);
  const auto ms = [](absl::Duration d) {
    return static_cast<int>(absl::ToInt64Milliseconds(d));
  };
  if (config.max_connection_age > absl::ZeroDuration()) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                               ms(config.max_connection_age));
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                               ms(config.max_connection_age_grace));
  }
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             ms(config.keepalive_time));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                             ms(config.keepalive_timeout));
  // Clients may ping as often as every 10 s without being sent away.
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(std::make_unique<RpcLogInterceptorFactory>(metrics));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr ||
      (!config.listen_address.empty() && ports->clients == 0) ||
      (!config.edge_address.empty() && ports->edge == 0)) {
    return nullptr;
  }
  return server;
}

// Removes server reflection, which gRPC adds to every server it builds (a
// plugin registered for the whole process), from one server.
class WithoutReflection final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>*
                         plugins) override {
    plugins->erase(
        std::remove_if(plugins->begin(), plugins->end(),
                       [](const std::unique_ptr<grpc::ServerBuilderPlugin>& p) {
                         return p->name().find("reflection") !=
                                std::string::npos;
                       }),
        plugins->end());
  }
};

// The probe port: gRPC health and nothing else, in plaintext, with bounds
// sized for a kubelet, not a client: 4 streams a connection, 4 KiB of
// headers, 1 KiB requests, idle connections closed after a minute. Health
// runs on a thread of its own (gRPC's default service).
std::unique_ptr<grpc::Server> BuildProbeServer(const std::string& address,
                                               int* port) {
  // Any other method is answered UNIMPLEMENTED by a callback generic
  // service (its default), which also gives the server the callback queue
  // gRPC requires once reflection's synchronous methods are gone.
  static grpc::CallbackGenericService* const kUnimplemented =
      new grpc::CallbackGenericService();
  grpc::ServerBuilder builder;
  builder.SetOption(std::make_unique<WithoutReflection>());
  builder.RegisterCallbackGenericService(kUnimplemented);
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), port);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, 4);
  builder.AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE, 4 * 1024);
  builder.SetMaxReceiveMessageSize(1024);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, 60 * 1000);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, 5 * 60 * 1000);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, 5 * 1000);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || *port == 0) return nullptr;
  return server;
}

// Readiness: the server as a whole ("") and each API service follow the
// database; NOT_SERVING until the first check says otherwise. Liveness:
// "liveness" is SERVING while the process works, whatever the database
// does, so a database outage takes replicas out of rotation without
// restarting them. Drain turns everything NOT_SERVING.
std::function<void(bool)> SetUpHealth(
    std::vector<grpc::HealthCheckServiceInterface*> healths,
    const Services& services) {
  std::vector<std::string> ready_names = {""};
  for (const auto& service : services) {
    ready_names.push_back(service->full_name());
  }
  ready_names.push_back(forumregistry::v1::ChangeService::service_full_name());
  ready_names.push_back(forumregistry::v1::SearchService::service_full_name());
  auto set_ready = [healths, ready_names](bool serving) {
    for (grpc::HealthCheckServiceInterface* health : healths) {
      for (const std::string& name : ready_names) {
        health->SetServingStatus(name, serving);
      }
    }
  };
  set_ready(false);
  for (grpc::HealthCheckServiceInterface* health : healths) {
    health->SetServingStatus("liveness", true);
  }
  return set_ready;
}

// Waits for a stop signal, then drains: health NOT_SERVING at once, the
// drain period (cut short by a second signal), then Shutdown with a
// deadline.
void DrainOnStopSignal(
    const ServeConfig& config, const sigset_t& stop_signals,
    HealthMonitor* monitor, api::ChangeFeed* feed,
    const std::vector<grpc::HealthCheckServiceInterface*>& healths,
    grpc::Server* server) {
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  LogEvent(spdlog::level::info, "draining",
           {{"signal", std::string(strsignal(signal_number))},
            {"drain_period_s", absl::ToDoubleSeconds(config.drain_period)}});
  monitor->Stop();
  // Watch streams never end by themselves: end them now, each naming the
  // revision to resume from, so clients move to another replica while this
  // one drains.
  feed->Stop();
  // Every service, and the server as a whole, reads NOT_SERVING from now
  // on, and no later SetServingStatus can undo it.
  for (grpc::HealthCheckServiceInterface* health : healths) health->Shutdown();

  absl::Notification second_signal;
  std::thread watcher([&] {
    // A second signal cuts the drain short. pthread_kill wakes it at the end.
    int again = 0;
    sigset_t set = stop_signals;
    sigaddset(&set, SIGUSR1);
    sigwait(&set, &again);
    if (again != SIGUSR1) second_signal.Notify();
  });
  if (second_signal.WaitForNotificationWithTimeout(config.drain_period)) {
    LogEvent(spdlog::level::info, "drain_cut_short");
  }
  LogEvent(spdlog::level::info, "shutting_down",
           {{"timeout_s", absl::ToDoubleSeconds(config.shutdown_timeout)}});
  server->Shutdown(absl::ToChronoTime(absl::Now() + config.shutdown_timeout));
  pthread_kill(watcher.native_handle(), SIGUSR1);
  watcher.join();
}

// Who may call what, from the flags (auth/authorizer.h).
absl::StatusOr<std::unique_ptr<auth::Authorizer>> MakeAuthorizer(
    const ServeConfig& config) {
  std::unique_ptr<auth::JwtVerifier> jwt;
  if (!config.jwt_public_keys.empty()) {
    absl::StatusOr<std::unique_ptr<auth::JwtVerifier>> verifier =
        auth::JwtVerifier::Create(
            {.public_key_files =
                 absl::StrSplit(config.jwt_public_keys, ',', absl::SkipEmpty()),
             .issuer = config.jwt_issuer,
             .audience = config.jwt_audience,
             .roles_claim = config.jwt_roles_claim});
    if (!verifier.ok()) return verifier.status();
    jwt = *std::move(verifier);
  }
  return std::make_unique<auth::Authorizer>(
      auth::AuthOptions{.no_auth = config.no_auth,
                        .allow_anonymous_reads = config.allow_anonymous_reads,
                        .read_only = config.read_only,
                        .client_certificate_role = config.tls_client_role},
      std::move(jwt));
}

}  // namespace

int RunServer(const ServeConfig& config) {
  const sigset_t stop_signals = BlockStopSignals();
  // Descriptors: the hard limit is the operator's; and the handle on
  // /proc/self/fd that the defences list sockets through is opened now,
  // while a descriptor is to be had (store/descriptors.h).
  const int64_t descriptor_limit = store::RaiseDescriptorLimit();
  const int64_t descriptors_open =
      static_cast<int64_t>(store::DescriptorNumbers().size());
  LogEvent(spdlog::level::info, "descriptors",
           {{"limit", descriptor_limit}, {"open", descriptors_open}});

  absl::StatusOr<std::unique_ptr<auth::Authorizer>> authorizer =
      MakeAuthorizer(config);
  if (!authorizer.ok()) {
    LogEvent(spdlog::level::err, "start_failed",
             {{"reason", std::string(authorizer.status().message())}});
    return 2;
  }
  // One key for every replica: a mounted file, or the database's (the
  // primary's: the key is written by `migrate`).
  std::unique_ptr<store::PageTokenKey> page_token_key;
  Pools pools(config);
  // Declared before the services and the server, so destroyed after them:
  // a call ends on one of its workers.
  api::Dispatcher dispatcher(
      {.workers = config.worker_threads,
       .max_in_flight = config.max_rpcs_in_flight,
       .max_per_connection = config.max_streams_per_connection,
       .max_unsent_bytes = config.max_unsent_bytes,
       .max_cancels_per_connection = config.max_cancels_per_connection});
  if (!config.page_token_key_file.empty()) {
    absl::StatusOr<std::string> key =
        store::ReadPageTokenKeyFile(config.page_token_key_file);
    if (!key.ok()) {
      LogEvent(spdlog::level::err, "start_failed",
               {{"reason", std::string(key.status().message())}});
      return 2;
    }
    page_token_key = std::make_unique<store::PageTokenKey>(*std::move(key));
  } else {
    page_token_key = std::make_unique<store::PageTokenKey>(&pools.primary);
  }
  const Services services = MakeServices(pools, &dispatcher);
  // A page's records stay within 3/4 of a message (their stored JSON
  // measures them, and is rarely smaller than their protobuf encoding).
  const size_t three_quarters =
      static_cast<size_t>(config.max_message_bytes) / 4 * 3;
  const api::SizeLimits limits = {
      .max_record_bytes = config.max_record_bytes > 0
                              ? static_cast<size_t>(config.max_record_bytes)
                              : three_quarters,
      .max_page_bytes = three_quarters};
  api::CostlyLists costly_lists(
      config.max_costly_lists > 0 ? config.max_costly_lists
                                  : std::max(1, (config.pool_size + 1) / 2),
      config.costly_list_cost, absl::Milliseconds(250));
  for (const auto& service : services) {
    service->set_size_limits(limits);
    service->set_costly_lists(&costly_lists);
    service->set_page_token_key(page_token_key.get());
    service->set_authorizer(authorizer->get());
    // The audit log: one line per write, naming the caller.
    service->set_write_observer([](const std::string& method,
                                   const std::string& name,
                                   const auth::Caller& caller) {
      LogEvent(spdlog::level::info, "write",
               {{"method", method},
                {"resource", name},
                {"caller", caller.identity},
                {"role", std::string(auth::RoleName(caller.role))}});
    });
  }
  store::RecordCache record_cache(
      static_cast<size_t>(std::max(0, config.record_cache_size)));
  // Gets answer from the cache once it holds the current revision, which
  // the feed keeps it at (store/record_cache.h).
  store::RevisionCheck revision_check(&pools.primary);
  if (config.record_cache_size > 0) {
    for (const auto& service : services) {
      service->set_cache(&record_cache, &revision_check);
    }
  }
  // Declared before the server, so destroyed after it: the feed outlives
  // every watch. Its reads for starting watchers have connections of their
  // own, so a crowd of watchers never holds one that a write or a revision
  // check needs.
  constexpr int kFeedWorkers = 2;
  store::ConnectionPool feed_pool(
      {.url = config.database_url,
       .size = kFeedWorkers,
       .statement_timeout = config.statement_timeout,
       .application_name = "forum-registry-feed"});
  api::ChangeFeed feed(
      {.database_url = config.database_url,
       .bookmark_interval = config.watch_bookmark_interval,
       .watcher_buffer = config.watch_buffer,
       .watcher_buffer_bytes = config.watch_buffer_bytes,
       .workers = kFeedWorkers,
       .max_message_bytes = config.max_message_bytes,
       .cache = config.record_cache_size > 0 ? &record_cache : nullptr,
       .max_watchers = config.max_watches,
       .max_watchers_per_connection = config.max_watches_per_connection,
       .max_watchers_per_caller = config.max_watches_per_caller,
       // One caller's watchers may hold a quarter of the unsent bytes'
       // bound in pages; the rest is for everyone else.
       .held_bytes_per_caller =
           std::max<int64_t>(config.max_unsent_bytes / 4, 1 << 20),
       .stall_timeout = config.watch_stall_timeout,
       .admission = &dispatcher},
      &feed_pool);
  api::ChangeService changes(pools.reads(), &feed, &dispatcher);
  changes.set_authorizer(authorizer->get());
  changes.set_page_token_key(page_token_key.get());
  changes.set_max_page_bytes(limits.max_page_bytes);
  changes.set_costly_lists(&costly_lists);
  api::SearchService search(pools.reads(), &dispatcher);
  search.set_authorizer(authorizer->get());
  search.set_page_token_key(page_token_key.get());
  search.set_costly_lists(&costly_lists);
  Metrics metrics;
  metrics.AddPool("primary", &pools.primary);
  if (pools.replica) metrics.AddPool("read", pools.replica.get());
  metrics.AddPool("feed", &feed_pool);
  metrics.SetChangeFeed(&feed);
  metrics.SetDispatcher(&dispatcher);
  metrics.SetRecordCache(&record_cache, &revision_check);

  Ports ports;
  std::unique_ptr<grpc::Server> server =
      BuildServer(config, services, &changes, &search, &metrics, &ports);
  if (server == nullptr) {
    LogEvent(spdlog::level::err, "start_failed",
             {{"listen_address", config.listen_address},
              {"edge_address", config.edge_address},
              {"reason", std::string("cannot listen on the address")}});
    return 1;
  }
  // The per-connection defences act on clients' connections and on the
  // edge's, which carry one client each (deploy/edge/haproxy.cfg).
  dispatcher.set_ports(ports.all());
  std::vector<grpc::HealthCheckServiceInterface*> healths = {
      server->GetHealthCheckService()};
  if (ports.clients > 0) {
    LogEvent(spdlog::level::info, "listening",
             {{"listen_address", config.listen_address},
              {"port", static_cast<int64_t>(ports.clients)}});
  }
  if (ports.edge > 0) {
    LogEvent(spdlog::level::info, "edge_listening",
             {{"edge_address", config.edge_address},
              {"port", static_cast<int64_t>(ports.edge)}});
  }
  // Health alone, in plaintext, for probes that cannot speak TLS
  // (Kubernetes' gRPC probes): it serves nothing else, not even reflection,
  // with bounds of its own (BuildProbeServer).
  std::unique_ptr<grpc::Server> probe_server;
  if (!config.probe_address.empty()) {
    int probe_port = 0;
    probe_server = BuildProbeServer(config.probe_address, &probe_port);
    if (probe_server == nullptr || probe_port == 0) {
      LogEvent(spdlog::level::err, "start_failed",
               {{"probe_address", config.probe_address},
                {"reason", std::string("cannot listen on the probe address")}});
      server->Shutdown();
      return 1;
    }
    healths.push_back(probe_server->GetHealthCheckService());
    ports.probe = probe_port;
    LogEvent(spdlog::level::info, "probe_listening",
             {{"probe_address", config.probe_address},
              {"port", static_cast<int64_t>(probe_port)}});
  }
  // The heap guard watches every port a client reaches, the probe port too.
  api::HeapGuard heap_guard(ports.all(), int64_t{config.max_heap_mib} << 20);
  metrics.SetHeapGuard(&heap_guard);
  const std::function<void(bool)> set_ready = SetUpHealth(healths, services);

  HealthMonitor monitor(config.database_url, config.health_check_interval,
                        set_ready, [&pools] { pools.CloseIdle(); });
  monitor.Start();
  ChangePurger purger(&pools.primary, config.change_retention,
                      config.request_id_retention,
                      config.change_purge_interval);
  purger.Start();
  feed.Start();

  std::unique_ptr<MetricsEndpoint> metrics_endpoint;
  if (!config.metrics_address.empty()) {
    absl::StatusOr<std::unique_ptr<MetricsEndpoint>> started =
        MetricsEndpoint::Start(config.metrics_address,
                               [&metrics] { return metrics.Render(); });
    if (!started.ok()) {
      LogEvent(spdlog::level::err, "start_failed",
               {{"metrics_address", config.metrics_address},
                {"reason", std::string(started.status().message())}});
      monitor.Stop();
      server->Shutdown();
      return 1;
    }
    metrics_endpoint = *std::move(started);
    LogEvent(spdlog::level::info, "metrics_listening",
             {{"metrics_address", config.metrics_address},
              {"port", static_cast<int64_t>(metrics_endpoint->port())}});
  }

  std::thread signals([&] {
    DrainOnStopSignal(config, stop_signals, &monitor, &feed, healths,
                      server.get());
  });
  server->Wait();
  signals.join();
  if (probe_server != nullptr) probe_server->Shutdown();
  purger.Stop();
  metrics_endpoint.reset();
  LogEvent(spdlog::level::info, "stopped");
  return 0;
}

}  // namespace forum_registry::server
