#ifndef FORUM_REGISTRY_SERVER_CHANGE_PURGER_H_
#define FORUM_REGISTRY_SERVER_CHANGE_PURGER_H_

// Keeps the change log to `--change-retention` and request ids to
// `--request-id-retention`: a background thread purges older rows every
// `--change-purge-interval`, through the primary's pool, in batches of
// `--change-purge-batch` rows, each batch its own short transaction (a
// call of migrations/0013's purge functions), until none older is left or
// the server stops. A backlog of millions thus never holds a connection,
// a lock or a snapshot for longer than one batch, and each batch finds its
// rows by index, so it costs the same whatever the backlog.
// Every replica runs one; a database lock lets one run a batch at a time,
// and a replica that finds it taken skips that round. Rounds that delete
// are logged; every batch is counted (metrics.h).

#include <cstdint>
#include <optional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "src/store/pool.h"

namespace forum_registry::server {

struct ChangePurgerOptions {
  // A zero `retention` keeps every change.
  absl::Duration retention;
  absl::Duration request_id_retention;
  absl::Duration interval;
  // Rows one batch deletes at most (store::kMinPurgeBatch..kMaxPurgeBatch).
  int batch = 5000;
};

class ChangePurger {
 public:
  ChangePurger(store::ConnectionPool* primary, ChangePurgerOptions options);
  ~ChangePurger();

  void Start();
  // No batch starts after it; returns at once.
  void BeginStop();
  // BeginStop, and waits for the batch in flight.
  void Stop();

  struct Stats {
    int64_t changes_purged = 0;
    int64_t request_ids_purged = 0;
    int64_t change_batches = 0;      // transactions run, whatever they
    int64_t request_id_batches = 0;  // deleted
    int64_t failures = 0;            // rounds that ended on an error
    // The last round that ended: how long it took, and when it ended
    // without an error (InfinitePast: none yet).
    absl::Duration last_round;
    absl::Time last_success = absl::InfinitePast();
  };
  Stats GetStats() const;

 private:
  void Run();
  // One round: every batch until none older is left; false on an error.
  bool Round();

  store::ConnectionPool* const primary_;
  const ChangePurgerOptions options_;
  absl::Notification stop_;
  std::thread thread_;
  mutable absl::Mutex mu_;
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace forum_registry::server

#endif  // FORUM_REGISTRY_SERVER_CHANGE_PURGER_H_
