#ifndef FORUM_REGISTRY_STORE_REVISION_CHECK_H_
#define FORUM_REGISTRY_STORE_REVISION_CHECK_H_

// The newest revision committed, read from the primary — the first step of a
// read from memory (record_cache.h, KEP-2340's "consistent reads from
// cache"). Its answer covers every write acknowledged before the call: a
// caller only takes the answer of a check that started after it called.
//
// Concurrent callers share checks: one runs at a time, and every caller that
// arrived while it ran takes the next one, so N concurrent reads cost about
// two queries, not N.
//
// Thread-safe.

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "src/store/pool.h"

namespace forum_registry::store {

class RevisionCheck {
 public:
  // Reads from `primary`: a replica may not have replayed a write yet.
  explicit RevisionCheck(ConnectionPool* primary);

  // A revision at least as new as every write committed before the call
  // (0 while the log is empty). UNAVAILABLE if the database does not answer
  // by `deadline`.
  absl::StatusOr<int64_t> Current(absl::Time deadline);

  // Queries run so far (callers served: the reads counted elsewhere).
  int64_t checks() const;

 private:
  absl::StatusOr<int64_t> Query();

  ConnectionPool* const primary_;
  mutable absl::Mutex mu_;
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  int64_t started_ ABSL_GUARDED_BY(mu_) = 0;   // checks started
  int64_t finished_ ABSL_GUARDED_BY(mu_) = 0;  // the last one finished
  absl::StatusOr<int64_t> result_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace forum_registry::store

#endif  // FORUM_REGISTRY_STORE_REVISION_CHECK_H_
