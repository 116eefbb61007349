#include "src/server/change_purger.h"

#include "src/server/log.h"
#include "src/store/change_log.h"

namespace forum_registry::server {

ChangePurger::ChangePurger(store::ConnectionPool* primary,
                           absl::Duration retention,
                           absl::Duration request_id_retention,
                           absl::Duration interval)
    : primary_(primary),
      retention_(retention),
      request_id_retention_(request_id_retention),
      interval_(interval) {}

ChangePurger::~ChangePurger() { Stop(); }

void ChangePurger::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Run(); });
}

void ChangePurger::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

namespace {

// Logs what one purge did: `what` is "changes" or "request_ids".
void Report(const absl::StatusOr<std::optional<int64_t>>& purged,
            const std::string& what, absl::Duration retention) {
  if (!purged.ok()) {
    LogEvent(spdlog::level::warn, what + "_purge_failed",
             {{"reason", std::string(purged.status().message())}});
  } else if (purged->has_value() && **purged > 0) {
    LogEvent(spdlog::level::info, what + "_purged",
             {{"deleted", **purged},
              {"retention_s", absl::ToDoubleSeconds(retention)}});
  }
}

}  // namespace

void ChangePurger::Run() {
  do {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    Report(store::PurgeWriteRequests(primary_, request_id_retention_, deadline),
           "request_ids", request_id_retention_);
    if (retention_ > absl::ZeroDuration()) {
      Report(store::PurgeChanges(primary_, retention_, deadline), "changes",
             retention_);
    }
  } while (!stop_.WaitForNotificationWithTimeout(interval_));
}

}  // namespace forum_registry::server
