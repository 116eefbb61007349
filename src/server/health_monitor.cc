#include "src/server/health_monitor.h"

#include <memory>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "src/server/log.h"

namespace forum_registry::server {

HealthMonitor::HealthMonitor(std::string database_url, int latest_migration,
                             absl::Duration interval,
                             std::function<void(bool)> set_serving,
                             std::function<void()> on_recovered)
    : database_url_(std::move(database_url)),
      latest_migration_(latest_migration),
      interval_(interval),
      set_serving_(std::move(set_serving)),
      on_recovered_(std::move(on_recovered)) {}

HealthMonitor::~HealthMonitor() { Stop(); }

void HealthMonitor::Start() {
  thread_ = std::thread([this] { Run(); });
}

void HealthMonitor::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

bool HealthMonitor::CheckOnce() {
  std::string problem;
  try {
    // A fresh connection each time: it proves the database accepts new
    // connections, which is what the pool will need, and it cannot go stale.
    pqxx::connection connection(database_url_);
    pqxx::read_transaction txn(connection);
    // Two statements: a missing table fails a query that names it at parse
    // time, whatever the rest of the query says.
    const bool has_table =
        txn.exec1("SELECT to_regclass('schema_migrations') IS NOT NULL")[0]
            .as<bool>();
    const bool current =
        has_table && txn.exec_params1(
                            "SELECT EXISTS (SELECT 1 FROM schema_migrations "
                            "WHERE version = $1)",
                            latest_migration_)[0]
                         .as<bool>();
    if (!current) {
      problem = absl::StrCat("the database lacks migration ", latest_migration_,
                             "; run `forum-registry migrate`");
    }
  } catch (const std::exception& e) {
    problem = std::string(e.what()).substr(0, 300);
  }
  const int state = problem.empty() ? 1 : 0;
  if (state != last_state_ || problem != last_problem_) {
    if (state == 1) {
      LogEvent(spdlog::level::info, "health",
               {{"status", std::string("SERVING")}});
    } else {
      LogEvent(spdlog::level::warn, "health",
               {{"status", std::string("NOT_SERVING")}, {"reason", problem}});
    }
    if (state == 1 && last_state_ == 0 && on_recovered_) on_recovered_();
    if (state != last_state_) set_serving_(state == 1);
    last_state_ = state;
    last_problem_ = problem;
  }
  return state == 1;
}

void HealthMonitor::Run() {
  do {
    CheckOnce();
  } while (!stop_.WaitForNotificationWithTimeout(interval_));
}

}  // namespace forum_registry::server
