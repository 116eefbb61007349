#include "src/server/server.h"

#include <signal.h>

#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "httplib.h"
#include "src/api/action_plan_service.h"
#include "src/api/chairmanship_service.h"
#include "src/api/forum_service.h"
#include "src/api/membership_service.h"
#include "src/api/participant_service.h"
#include "src/api/session_service.h"
#include "src/api/source_service.h"
#include "src/api/statement_service.h"
#include "src/server/health_monitor.h"
#include "src/server/log.h"
#include "src/server/metrics.h"
#include "src/server/rpc_log_interceptor.h"
#include "src/store/embedded_migrations.h"
#include "src/store/migrator.h"
#include "src/store/pool.h"

namespace forum_registry::server {
int RunServer(const ServeConfig& config) {
  // Block the stop signals in this thread before any other starts, so every
  // thread inherits the mask and only the signal thread's sigwait sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigset_t blocked = stop_signals;
  sigaddset(&blocked, SIGUSR1);  // wakes the second-signal watcher below
  pthread_sigmask(SIG_BLOCK, &blocked, nullptr);

  store::ConnectionPool pool({.url = config.database_url,
                              .size = config.pool_size,
                              .statement_timeout = config.statement_timeout});
  std::unique_ptr<store::ConnectionPool> replica;
  if (!config.read_database_url.empty()) {
    replica = std::make_unique<store::ConnectionPool>(
        store::PoolOptions{.url = config.read_database_url,
                           .size = config.pool_size,
                           .statement_timeout = config.statement_timeout,
                           .application_name = "forum-registry-read"});
  }
  store::ConnectionPool* reads = replica ? replica.get() : &pool;
  api::ParticipantService participants(&pool, reads);
  api::ForumService forums(&pool, reads);
  api::SourceService sources(&pool, reads);
  api::MembershipService memberships(&pool, reads);
  api::SessionService sessions(&pool, reads);
  api::ChairmanshipService chairmanships(&pool, reads);
  api::ActionPlanService action_plans(&pool, reads);
  api::StatementService statements(&pool, reads);

  Metrics metrics;
  metrics.AddPool("primary", &pool);
  if (replica) metrics.AddPool("read", replica.get());

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(config.listen_address,
                           grpc::InsecureServerCredentials(), &port);
  for (grpc::Service* service : std::initializer_list<grpc::Service*>{
           &participants, &forums, &sources, &memberships, &sessions,
           &chairmanships, &action_plans, &statements}) {
    builder.RegisterService(service);
  }
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
  interceptors.push_back(std::make_unique<RpcLogInterceptorFactory>(&metrics));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));

  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    LogEvent(spdlog::level::err, "start_failed",
             {{"listen_address", config.listen_address},
              {"reason", std::string("cannot listen on the address")}});
    return 1;
  }
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  // Readiness: the server as a whole ("") and each API service follow the
  // database; NOT_SERVING until the first check says otherwise. Liveness:
  // "liveness" is SERVING while the process works, whatever the database
  // does, so a database outage takes replicas out of rotation without
  // restarting them. Drain turns everything NOT_SERVING.
  std::vector<std::string> ready_names = {""};
  namespace v1 = forumregistry::v1;
  for (const char* name : {v1::ParticipantService::service_full_name(),
                           v1::ForumService::service_full_name(),
                           v1::SourceService::service_full_name(),
                           v1::MembershipService::service_full_name(),
                           v1::SessionService::service_full_name(),
                           v1::ChairmanshipService::service_full_name(),
                           v1::ActionPlanService::service_full_name(),
                           v1::StatementService::service_full_name()}) {
    ready_names.push_back(name);
  }
  const auto set_ready = [health, ready_names](bool serving) {
    for (const std::string& name : ready_names) {
      health->SetServingStatus(name, serving);
    }
  };
  set_ready(false);
  health->SetServingStatus("liveness", true);
  LogEvent(spdlog::level::info, "listening",
           {{"listen_address", config.listen_address},
            {"port", static_cast<int64_t>(port)}});

  HealthMonitor monitor(config.database_url, config.health_check_interval,
                        set_ready, [&pool, &replica] {
                          pool.CloseIdle();
                          if (replica) replica->CloseIdle();
                        });
  monitor.Start();

  httplib::Server metrics_http;
  std::thread metrics_thread;
  if (!config.metrics_address.empty()) {
    metrics_http.Get("/metrics", [&metrics](const httplib::Request&,
                                            httplib::Response& response) {
      response.set_content(metrics.Render(),
                           "text/plain; version=0.0.4; charset=utf-8");
    });
    // Port 0 picks a free one; the log line tells which.
    const size_t colon = config.metrics_address.rfind(':');
    const std::string host = config.metrics_address.substr(0, colon);
    int metrics_port = -1;
    if (colon != std::string::npos) {
      const int wanted = std::atoi(config.metrics_address.c_str() + colon + 1);
      metrics_port = wanted == 0 ? metrics_http.bind_to_any_port(host)
                     : metrics_http.bind_to_port(host, wanted) ? wanted
                                                               : -1;
    }
    if (metrics_port <= 0) {
      LogEvent(
          spdlog::level::err, "start_failed",
          {{"metrics_address", config.metrics_address},
           {"reason", std::string("cannot listen on the metrics address")}});
      monitor.Stop();
      server->Shutdown();
      return 1;
    }
    metrics_thread =
        std::thread([&metrics_http] { metrics_http.listen_after_bind(); });
    LogEvent(spdlog::level::info, "metrics_listening",
             {{"metrics_address", config.metrics_address},
              {"port", static_cast<int64_t>(metrics_port)}});
  }

  std::thread signals([&] {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    LogEvent(spdlog::level::info, "draining",
             {{"signal", std::string(strsignal(signal_number))},
              {"drain_period_s", absl::ToDoubleSeconds(config.drain_period)}});
    monitor.Stop();
    // Every service, and the server as a whole, reads NOT_SERVING from now
    // on, and no later SetServingStatus can undo it.
    health->Shutdown();

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
  });

  server->Wait();
  signals.join();
  if (metrics_thread.joinable()) {
    metrics_http.stop();
    metrics_thread.join();
  }
  LogEvent(spdlog::level::info, "stopped");
  return 0;
}

}  // namespace forum_registry::server
