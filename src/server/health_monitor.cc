#include "src/server/health_monitor.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "src/server/log.h"
#include "src/store/migrator.h"

namespace forum_registry::server {

HealthMonitor::HealthMonitor(std::string database_url, absl::Duration interval,
                             std::function<void(bool)> set_serving,
                             std::function<void()> on_recovered)
    : database_url_(std::move(database_url)),
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
  // A fresh connection each time (PendingMigrations opens one): it proves the
  // database accepts new connections, which is what the pool will need, and
  // it cannot go stale.
  std::string problem;
  absl::StatusOr<std::vector<std::string>> pending = store::PendingMigrations(
      database_url_, store::EmbeddedMigrations(),
      absl::Now() + std::max(interval_, absl::Seconds(2)));
  if (!pending.ok()) {
    problem = std::string(pending.status().message());
  } else if (!pending->empty()) {
    problem = absl::StrCat("the database lacks migration ", pending->front(),
                           "; run `forum-registry migrate`");
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
