#include "src/server/parts.h"

#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/impl/server_builder_option.h"
#include "grpcpp/impl/server_builder_plugin.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"
#include "src/server/log.h"
#include "src/server/reflection_v1.h"
#include "src/server/rpc_log_interceptor.h"
#include "src/store/descriptors.h"

namespace forum_registry::server {
namespace {

// Threads of the synchronous server (reflection, and polling), and how many
// of them poll.
constexpr int kSyncThreads = 8;
constexpr int kPollers = 4;
// The change feed's workers, each with a connection of the feed's pool.
constexpr int kFeedWorkers = 2;

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

// The server with the services, reflection, health, limits and keepalive of
// `config`, listening; null if it cannot listen on every address asked for.
std::unique_ptr<grpc::Server> BuildServer(
    const ServeConfig& config, const std::vector<grpc::Service*>& services,
    Metrics* metrics, Ports* ports) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  // Reflection v1 beside gRPC's v1alpha (reflection_v1.h).
  builder.SetOption(ReflectionV1());
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
  for (grpc::Service* service : services) builder.RegisterService(service);
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
  builder.AddChannelArgument(
      GRPC_ARG_MAX_CONCURRENT_STREAMS,
      static_cast<int>(config.max_streams_per_connection));
  // Request headers: room for a bearer token, not for a flood.
  builder.AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE, 16 * 1024);
  builder.SetMaxReceiveMessageSize(static_cast<int>(config.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(config.max_message_bytes));
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

}  // namespace

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

void AwaitStopSignal(const sigset_t& stop_signals, absl::Duration drain_period,
                     absl::Duration shutdown_timeout,
                     const std::function<void()>& begin_drain,
                     const std::function<void(absl::Time)>& shutdown) {
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  LogEvent(spdlog::level::info, "draining",
           {{"signal", std::string(strsignal(signal_number))},
            {"drain_period_s", absl::ToDoubleSeconds(drain_period)}});
  begin_drain();
  absl::Notification second_signal;
  std::thread watcher([&] {
    // A second signal cuts the drain short. pthread_kill wakes it at the end.
    int again = 0;
    sigset_t set = stop_signals;
    sigaddset(&set, SIGUSR1);
    sigwait(&set, &again);
    if (again != SIGUSR1) second_signal.Notify();
  });
  if (second_signal.WaitForNotificationWithTimeout(drain_period)) {
    LogEvent(spdlog::level::info, "drain_cut_short");
  }
  LogEvent(spdlog::level::info, "shutting_down",
           {{"timeout_s", absl::ToDoubleSeconds(shutdown_timeout)}});
  shutdown(absl::Now() + shutdown_timeout);
  pthread_kill(watcher.native_handle(), SIGUSR1);
  watcher.join();
}

void PrepareDescriptors() {
  // The hard limit is the operator's; the handle on /proc/self/fd is opened
  // now, while a descriptor is to be had.
  const int64_t limit = store::RaiseDescriptorLimit();
  const int64_t open = static_cast<int64_t>(store::DescriptorNumbers().size());
  LogEvent(spdlog::level::info, "descriptors",
           {{"limit", limit}, {"open", open}});
}

void LogCallers(const ServeConfig& config) {
  if (config.no_auth) {
    LogEvent(
        config.no_auth_beyond_loopback ? spdlog::level::warn
                                       : spdlog::level::info,
        "callers",
        {{"summary", config.no_auth_beyond_loopback
                         ? "every caller may do everything (--no-auth), beyond "
                           "loopback (--no-auth-beyond-loopback)"
                         : "every caller may do everything (--no-auth), on "
                           "loopback only"},
         {"anonymous", "everything"}});
    return;
  }
  std::vector<std::string> known;
  if (!config.jwt_public_keys.empty()) {
    known.push_back(absl::StrCat("bearer tokens of issuer ", config.jwt_issuer,
                                 " for audience ", config.jwt_audience,
                                 ": the role their ", config.jwt_roles_claim,
                                 " claim names"));
  }
  if (!config.tls_client_ca.empty()) {
    known.push_back(absl::StrCat("client certificates of --tls-client-ca: ",
                                 config.tls_client_role));
  }
  if (!config.edge_address.empty()) {
    known.push_back(absl::StrCat(
        "client certificates the edge verified, if it verifies any: ",
        config.tls_client_role));
  }
  const char* anonymous = config.allow_anonymous_reads ? "read" : "nothing";
  known.push_back(config.allow_anonymous_reads
                      ? "callers without credentials: reads only"
                      : "callers without credentials: nothing");
  if (config.read_only) {
    known.push_back("writes: nobody (--read-only)");
  }
  LogEvent(spdlog::level::info, "callers",
           {{"summary", absl::StrJoin(known, "; ")},
            {"anonymous", anonymous},
            {"writes", config.read_only ? "nobody" : "by role"}});
}

namespace {

// Logs one read of a JWT key file: the keys it skipped (a warning each,
// naming the key), and what it gave, or on a reload that failed why, with
// the keys kept.
void LogKeyFileRead(const auth::KeyFileRead& read) {
  for (const auth::SkippedKey& key : read.skipped) {
    LogEvent(spdlog::level::warn, "jwt_key_skipped",
             {{"file", read.path},
              {"key", static_cast<int64_t>(key.index)},
              {"kid", key.kid},
              {"kty", key.kty},
              {"reason", key.reason}});
  }
  if (!read.status.ok()) {
    LogEvent(spdlog::level::warn, "jwt_keys_reload_failed",
             {{"file", read.path},
              {"reason", std::string(read.status.message())},
              {"keys_kept", static_cast<int64_t>(read.keys)}});
    return;
  }
  LogEvent(spdlog::level::info, read.reload ? "jwt_keys_reloaded" : "jwt_keys",
           {{"file", read.path},
            {"keys", static_cast<int64_t>(read.keys)},
            {"skipped", static_cast<int64_t>(read.skipped.size())}});
}

}  // namespace

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
             .roles_claim = config.jwt_roles_claim,
             .refresh_interval = config.jwt_refresh_interval,
             .on_read = LogKeyFileRead});
    if (!verifier.ok()) return verifier.status();
    jwt = *std::move(verifier);
  }
  return std::make_unique<auth::Authorizer>(
      auth::AuthOptions{
          .no_auth = config.no_auth,
          .allow_anonymous_reads = config.allow_anonymous_reads,
          .show_actors_to_anonymous = config.show_actors_to_anonymous,
          .read_only = config.read_only,
          .client_certificate_role = config.tls_client_role},
      std::move(jwt));
}

absl::StatusOr<std::optional<std::string>> ReadPageTokenSecret(
    const ServeConfig& config) {
  if (config.page_token_key_file.empty()) return std::nullopt;
  absl::StatusOr<std::string> key =
      store::ReadPageTokenKeyFile(config.page_token_key_file);
  if (!key.ok()) return key.status();
  return *std::move(key);
}

std::unique_ptr<store::PageTokenKey> MakePageTokenKey(
    std::optional<std::string> secret, store::ConnectionPool* primary) {
  if (!secret.has_value())
    return std::make_unique<store::PageTokenKey>(primary);
  return std::make_unique<store::PageTokenKey>(*std::move(secret));
}

Pools::Pools(const ServeConfig& config)
    : primary({.url = config.database_url,
               .size = static_cast<int>(config.pool_size),
               .statement_timeout = config.statement_timeout}) {
  if (!config.read_database_url.empty()) {
    replica = std::make_unique<store::ConnectionPool>(
        store::PoolOptions{.url = config.read_database_url,
                           .size = static_cast<int>(config.pool_size),
                           .statement_timeout = config.statement_timeout,
                           .application_name = "forum-registry-read"});
  }
}

void Pools::CloseIdle() {
  primary.CloseIdle();
  if (replica) replica->CloseIdle();
}

std::vector<std::pair<std::string, const store::ConnectionPool*>> Pools::Named(
    const store::ConnectionPool* feed) const {
  std::vector<std::pair<std::string, const store::ConnectionPool*>> named = {
      {"primary", &primary}};
  if (replica) named.emplace_back("read", replica.get());
  named.emplace_back("feed", feed);
  return named;
}

api::SizeLimits SizeLimitsOf(const ServeConfig& config) {
  const size_t three_quarters =
      static_cast<size_t>(config.max_message_bytes) / 4 * 3;
  return {.max_record_bytes = config.max_record_bytes > 0
                                  ? static_cast<size_t>(config.max_record_bytes)
                                  : three_quarters,
          .max_page_bytes = three_quarters};
}

api::Dispatcher::Options DispatcherOptionsOf(const ServeConfig& config) {
  return {
      .workers = static_cast<int>(config.worker_threads),
      .max_in_flight = static_cast<int>(config.max_rpcs_in_flight),
      .max_per_connection = static_cast<int>(config.max_streams_per_connection),
      .max_unsent_bytes = config.max_unsent_bytes,
      .max_cancels_per_connection =
          static_cast<int>(config.max_cancels_per_connection)};
}

store::PoolOptions FeedPoolOptionsOf(const ServeConfig& config) {
  return {.url = config.database_url,
          .size = kFeedWorkers,
          .statement_timeout = config.statement_timeout,
          .application_name = "forum-registry-feed"};
}

api::ChangeFeedOptions FeedOptionsOf(const ServeConfig& config,
                                     store::RecordCache* cache,
                                     store::ListCache* lists,
                                     api::Dispatcher* admission) {
  return {.database_url = config.database_url,
          .bookmark_interval = config.watch_bookmark_interval,
          .watcher_buffer = static_cast<int>(config.watch_buffer),
          .watcher_buffer_bytes = config.watch_buffer_bytes,
          .workers = kFeedWorkers,
          .max_message_bytes = static_cast<int>(config.max_message_bytes),
          .cache = cache,
          .lists = lists,
          .max_watchers = static_cast<int>(config.max_watches),
          .max_watchers_per_connection =
              static_cast<int>(config.max_watches_per_connection),
          .max_watchers_per_caller =
              static_cast<int>(config.max_watches_per_caller),
          // One caller's watchers may hold a quarter of the unsent bytes' bound
          // in pages; the rest is for everyone else.
          .held_bytes_per_caller =
              std::max<int64_t>(config.max_unsent_bytes / 4, 1 << 20),
          .stall_timeout = config.watch_stall_timeout,
          .admission = admission};
}

std::unique_ptr<api::CostlyLists> MakeCostlyLists(const ServeConfig& config) {
  // 0: half the pool, at least 1.
  const int slots =
      config.max_costly_lists > 0
          ? static_cast<int>(config.max_costly_lists)
          : std::max(1, static_cast<int>(config.pool_size + 1) / 2);
  return std::make_unique<api::CostlyLists>(
      slots, static_cast<double>(config.costly_list_cost),
      absl::Milliseconds(250));
}

std::vector<int> Ports::api() const {
  std::vector<int> ports;
  for (int port : {clients, edge}) {
    if (port > 0) ports.push_back(port);
  }
  return ports;
}

std::vector<int> Ports::all() const {
  std::vector<int> ports = api();
  if (probe > 0) ports.push_back(probe);
  return ports;
}

std::shared_ptr<grpc::Channel> Listeners::InProcessChannel(
    int64_t max_message_bytes) {
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(static_cast<int>(max_message_bytes));
  arguments.SetMaxSendMessageSize(static_cast<int>(max_message_bytes));
  return server_->InProcessChannel(arguments);
}

Listeners::Listeners(const ServeConfig& config,
                     const std::vector<grpc::Service*>& services,
                     Metrics* metrics) {
  server_ = BuildServer(config, services, metrics, &ports_);
  if (server_ == nullptr) {
    status_ = absl::UnavailableError(
        absl::StrCat("cannot listen on the address (--listen-address \"",
                     config.listen_address, "\", --edge-address \"",
                     config.edge_address, "\")"));
    return;
  }
  healths_.push_back(server_->GetHealthCheckService());
  if (ports_.clients > 0) {
    LogEvent(spdlog::level::info, "listening",
             {{"listen_address", config.listen_address},
              {"port", static_cast<int64_t>(ports_.clients)}});
  }
  if (ports_.edge > 0) {
    LogEvent(spdlog::level::info, "edge_listening",
             {{"edge_address", config.edge_address},
              {"port", static_cast<int64_t>(ports_.edge)}});
  }
  // Health alone, in plaintext, for probes that cannot speak TLS
  // (Kubernetes' gRPC probes): it serves nothing else, not even reflection,
  // with bounds of its own (BuildProbeServer).
  if (!config.probe_address.empty()) {
    probe_ = BuildProbeServer(config.probe_address, &ports_.probe);
    if (probe_ == nullptr) {
      status_ = absl::UnavailableError(
          absl::StrCat("cannot listen on the probe address (--probe-address \"",
                       config.probe_address, "\")"));
      return;
    }
    healths_.push_back(probe_->GetHealthCheckService());
    LogEvent(spdlog::level::info, "probe_listening",
             {{"probe_address", config.probe_address},
              {"port", static_cast<int64_t>(ports_.probe)}});
  }
}

Listeners::~Listeners() {
  if (probe_ != nullptr) probe_->Shutdown();
}

std::function<void(bool)> Listeners::Readiness(
    std::vector<std::string> services) {
  services.insert(services.begin(), "");
  auto set_ready = [healths = healths_, services](bool serving) {
    for (grpc::HealthCheckServiceInterface* health : healths) {
      for (const std::string& name : services) {
        health->SetServingStatus(name, serving);
      }
    }
  };
  set_ready(false);
  for (grpc::HealthCheckServiceInterface* health : healths_) {
    health->SetServingStatus("liveness", true);
  }
  return set_ready;
}

void Listeners::ShutdownHealth() {
  for (grpc::HealthCheckServiceInterface* health : healths_) health->Shutdown();
}

void Listeners::Shutdown(absl::Time deadline) {
  if (server_ != nullptr) server_->Shutdown(absl::ToChronoTime(deadline));
}

void Listeners::Wait() {
  if (server_ != nullptr) server_->Wait();
}

}  // namespace forum_registry::server
