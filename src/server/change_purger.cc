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

void ChangePurger::Run() {
  do {
    PurgeRequestIds();
    if (retention_ <= absl::ZeroDuration()) continue;
    const absl::StatusOr<std::optional<int64_t>> purged = store::PurgeChanges(
        primary_, retention_, absl::Now() + absl::Seconds(30));
    if (!purged.ok()) {
      LogEvent(spdlog::level::warn, "changes_purge_failed",
               {{"reason", std::string(purged.status().message())}});
    } else if (purged->has_value() && **purged > 0) {
      LogEvent(spdlog::level::info, "changes_purged",
               {{"deleted", **purged},
                {"retention_s", absl::ToDoubleSeconds(retention_)}});
    }
  } while (!stop_.WaitForNotificationWithTimeout(interval_));
}

void ChangePurger::PurgeRequestIds() {
  const absl::StatusOr<std::optional<int64_t>> purged =
      store::PurgeWriteRequests(primary_, request_id_retention_,
                                absl::Now() + absl::Seconds(30));
  if (!purged.ok()) {
    LogEvent(spdlog::level::warn, "request_ids_purge_failed",
             {{"reason", std::string(purged.status().message())}});
  } else if (purged->has_value() && **purged > 0) {
    LogEvent(spdlog::level::info, "request_ids_purged",
             {{"deleted", **purged},
              {"retention_s", absl::ToDoubleSeconds(request_id_retention_)}});
  }
}

}  // namespace forum_registry::server
