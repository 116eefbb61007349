#ifndef FORUM_REGISTRY_STORE_REVISION_CHECK_H_
#define FORUM_REGISTRY_STORE_REVISION_CHECK_H_

// The newest revision committed, read from the primary — the first step of a
// read from memory (record_cache.h, KEP-2340's "consistent reads from
// cache"). Its answer covers every write acknowledged before the call: a
// caller only takes the answer of a check that started after it called.
//
// Concurrent callers share checks: a thread of the checker's own runs one
// at a time, and every caller that arrived while it ran takes the next one,
// so N concurrent reads cost about two queries, not N.
//
// A caller waits for its answer (Current), or is called back with it on the
// checker's thread (Then): a read that can then answer from memory does so
// there, with no worker of the server's held while the primary answers
// (api/resource_service.cc). A callback must be quick and must not block:
// every check after it waits for it.
//
// Thread-safe. The destructor calls back whoever still waits, UNAVAILABLE.

#include <cstdint>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "src/store/pool.h"

namespace forum_registry::store {

class RevisionCheck {
 public:
  // Reads from `primary`: a replica may not have replayed a write yet.
  explicit RevisionCheck(ConnectionPool* primary);
  ~RevisionCheck();
  RevisionCheck(const RevisionCheck&) = delete;
  RevisionCheck& operator=(const RevisionCheck&) = delete;

  // A revision at least as new as every write committed before the call
  // (0 while the log is empty). UNAVAILABLE if the database does not answer
  // by `deadline`.
  absl::StatusOr<int64_t> Current(absl::Time deadline);

  // The same answer, given to `done` once, on the checker's thread (or on
  // the calling one while the checker stops). The check has time of its own
  // (kCheckTimeout): `done` may be called past the caller's deadline, and
  // is UNAVAILABLE when the database did not answer.
  using Done = absl::AnyInvocable<void(absl::StatusOr<int64_t>) &&>;
  void Then(Done done);

  // Queries run so far (callers served: the reads counted elsewhere).
  int64_t checks() const;

 private:
  absl::StatusOr<int64_t> Query();
  void Run();  // the checker's thread
  static void CallBack(Done done, const absl::StatusOr<int64_t>& result);

  ConnectionPool* const primary_;
  mutable absl::Mutex mu_;
  std::vector<Done> waiting_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t finished_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace forum_registry::store

#endif  // FORUM_REGISTRY_STORE_REVISION_CHECK_H_
