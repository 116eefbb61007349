#include "src/server/change_purger.h"

#include <string>

#include "src/server/log.h"
#include "src/store/change_log.h"

namespace forum_registry::server {
namespace {

// The longest one batch may wait for a connection and run (the statement
// timeout of the pool bounds it too).
constexpr absl::Duration kBatchDeadline = absl::Seconds(30);

}  // namespace

ChangePurger::ChangePurger(store::ConnectionPool* primary,
                           ChangePurgerOptions options)
    : primary_(primary), options_(options) {}

ChangePurger::~ChangePurger() { Stop(); }

void ChangePurger::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Run(); });
}

void ChangePurger::BeginStop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
}

void ChangePurger::Stop() {
  BeginStop();
  if (thread_.joinable()) thread_.join();
}

ChangePurger::Stats ChangePurger::GetStats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

bool ChangePurger::Round() {
  using Purge = absl::StatusOr<std::optional<int64_t>> (*)(
      store::ConnectionPool*, absl::Duration, int, absl::Time);
  // Batches of `purge` until one deletes fewer than a batch, another
  // replica holds the lock, or the server stops. `what` is "changes" or
  // "request_ids"; `purged` and `batches` the counters it adds to.
  const auto purge_all = [&](Purge purge, const std::string& what,
                             absl::Duration retention, int64_t Stats::*purged,
                             int64_t Stats::*batches) {
    const absl::Time start = absl::Now();
    int64_t deleted = 0;
    int64_t ran = 0;
    bool ok = true;
    while (!stop_.HasBeenNotified()) {
      const absl::StatusOr<std::optional<int64_t>> batch = purge(
          primary_, retention, options_.batch, absl::Now() + kBatchDeadline);
      if (!batch.ok()) {
        LogEvent(spdlog::level::warn, what + "_purge_failed",
                 {{"reason", std::string(batch.status().message())},
                  {"deleted", deleted}});
        ok = false;
        break;
      }
      if (!batch->has_value()) break;  // another replica is purging
      ++ran;
      deleted += **batch;
      {
        absl::MutexLock lock(&mu_);
        stats_.*purged += **batch;
        ++(stats_.*batches);
      }
      if (**batch < options_.batch) break;  // none older is left
    }
    if (deleted > 0) {
      LogEvent(spdlog::level::info, what + "_purged",
               {{"deleted", deleted},
                {"batches", ran},
                {"seconds", absl::ToDoubleSeconds(absl::Now() - start)},
                {"retention_s", absl::ToDoubleSeconds(retention)}});
    }
    return ok;
  };
  bool ok = purge_all(store::PurgeWriteRequests, "request_ids",
                      options_.request_id_retention, &Stats::request_ids_purged,
                      &Stats::request_id_batches);
  if (options_.retention > absl::ZeroDuration()) {
    ok = purge_all(store::PurgeChanges, "changes", options_.retention,
                   &Stats::changes_purged, &Stats::change_batches) &&
         ok;
  }
  return ok;
}

void ChangePurger::Run() {
  do {
    const absl::Time start = absl::Now();
    const bool ok = Round();
    const absl::Time end = absl::Now();
    absl::MutexLock lock(&mu_);
    stats_.last_round = end - start;
    if (ok) {
      stats_.last_success = end;
    } else {
      ++stats_.failures;
    }
  } while (!stop_.WaitForNotificationWithTimeout(options_.interval));
}

}  // namespace forum_registry::server
