#ifndef FORUM_REGISTRY_STORE_LIST_CACHE_H_
#define FORUM_REGISTRY_STORE_LIST_CACHE_H_

// Every record of each kind, in name order, as the bytes a List answers
// with, kept current by the change feed: a List in name order with no filter
// is a walk over memory (decisions §74), as Kubernetes' watch cache answers
// a list.
//
// How it stays right (the same anchors as RecordCache's):
//
// - Loading a kind: a loader thread marks the kind loading, from which point
//   the feed's changes to it are kept aside, then reads all its records in
//   one snapshot of the primary, with that snapshot's newest revision S.
//   The snapshot began after the changes were first kept aside, so the kept
//   changes cover everything after S; those past S are applied over the
//   snapshot, in order, and the kind is ready.
// - Ready: the feed applies every committed change, in revision order, to
//   the kinds held (a create or update holds the record it wrote, a delete
//   drops it). Once it has applied revision R, a kind held is as of R or
//   later.
// - A gap (Follow: the feed starts, or changes were purged while it was
//   away) forgets everything; each kind is loaded again.
// - Bounded: at most `max_bytes` of records for all kinds together. A kind
//   that does not fit is not held (its Lists read the database) until the
//   next gap.
//
// Thread-safe: pages are read under a shared lock.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"

namespace forum_registry::store {

class ListCache {
 public:
  // Reads every record of a kind in one snapshot, in any order, giving
  // `each` its name and encoded bytes; returns the snapshot's newest
  // revision. Stops when `each` returns false (the kind does not fit), with
  // RESOURCE_EXHAUSTED.
  using Each = std::function<bool(std::string name, std::string bytes)>;
  using Loader = std::function<absl::StatusOr<int64_t>(const Each& each)>;

  // Holds at most `max_bytes` of records (with their names and a per-record
  // overhead); 0 holds none.
  explicit ListCache(size_t max_bytes);
  // Stops the loader (Stop).
  ~ListCache();
  ListCache(const ListCache&) = delete;
  ListCache& operator=(const ListCache&) = delete;

  // Before Start: a kind, by the collection its names end in and its
  // parent's (empty for a top-level kind), and how to read it. Pages name
  // a kind by its collection alone: collections are unique in the
  // registry (a second kind of the same collection is ignored).
  void AddKind(std::string collection, std::string parent_collection,
               Loader loader);
  // Starts the loader thread: it loads each kind once the feed follows.
  void Start();
  // Asks the loader thread to stop, without waiting: a load in progress
  // ends at its next record.
  void RequestStop();
  // Stops the loader thread, waiting for a load in progress to end.
  void Stop();

  // The feed, as RecordCache's: every change after `from` will be applied,
  // and none before was; what is held is forgotten and loaded again.
  void Follow(int64_t from);
  struct Change {
    std::string name;
    int64_t revision = 0;
    // What a create or update wrote (as a Get answers it); null for a
    // delete, or for a change the feed could not read the record of (the
    // kind is then no longer held).
    std::shared_ptr<const google::protobuf::Message> record;
    bool deleted = false;
  };
  // The feed applied every change up to `revision`, among them `changes`.
  void Apply(const std::vector<Change>& changes, int64_t revision);
  void StopFollowing();

  // Whether `collection`'s kind is held and the feed follows and has
  // applied `revision`, now (no wait): a page read next will be answered
  // but in a race with a gap.
  bool HoldsAt(absl::string_view collection, int64_t revision) const;

  // Waits until the feed has applied `revision`, or until `deadline` or the
  // feed is not following; tells whether it has.
  bool AwaitRevision(int64_t revision, absl::Time deadline);

  // One page of a List in name order: the records named after `after` (all
  // if empty) that begin with `prefix`, at most `page_size` of them and
  // `max_bytes` of their bytes (0: no bound; at least one), each appended to
  // `out` as field `records_field`. `*next` is the last name sent when more
  // follow, else empty. False (and nothing appended) if the kind of
  // `collection` is not held, or the feed is not following or has not
  // applied `min_revision`.
  bool ReadPage(absl::string_view collection, absl::string_view prefix,
                absl::string_view after, int page_size, size_t max_bytes,
                int64_t min_revision, int records_field, std::string* out,
                std::string* next) const;

  // Whether the kind of `collection` is held now.
  bool Holds(absl::string_view collection) const;

  struct Stats {
    size_t records = 0;
    size_t bytes = 0;  // as counted against max_bytes
    int kinds_held = 0;
    int64_t pages = 0;  // pages answered from memory
  };
  Stats GetStats() const;

 private:
  // kNotHeld: past the bound, or a change came without its record; until
  // the next Follow.
  enum class State { kCold, kLoading, kReady, kNotHeld };
  // A change as applied: its record encoded.
  struct Kept {
    std::string name;
    int64_t revision = 0;
    std::string bytes;
    bool deleted = false;
    bool readable = true;
  };
  struct Kind {
    std::string collection;
    std::string parent_collection;
    Loader loader;
    State state = State::kCold;
    // Bumped by every Follow: a load begun before it is dropped.
    int64_t generation = 0;
    // The newest revision of the snapshot it was loaded from: the feed's
    // changes up to it are in the records already.
    int64_t loaded_at = 0;
    absl::btree_map<std::string, std::string> records;
    size_t bytes = 0;
    // While loading: the feed's changes, applied past the snapshot.
    std::vector<Kept> kept;
    size_t kept_bytes = 0;
  };

  // The kind a record's name belongs to, or null.
  Kind* KindOf(absl::string_view name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  const Kind* KindOfCollection(absl::string_view collection) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Applies one change to a ready kind; false if it no longer fits.
  bool ApplyTo(Kind& kind, const Kept& change)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Forget(Kind& kind) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void LoadLoop();

  const size_t max_bytes_;
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Kind>> kinds_ ABSL_GUARDED_BY(mu_);
  int64_t applied_ ABSL_GUARDED_BY(mu_) = 0;
  bool following_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  size_t total_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  // stopping_, for a load in progress to read without the lock.
  std::atomic<bool> stop_flag_{false};
  mutable std::atomic<int64_t> pages_{0};
  std::thread loader_;
};

// The bytes a held record counts for, beyond its name and encoding: the
// map's node and the strings' headers, roughly.
inline constexpr size_t kListCacheOverhead = 96;

}  // namespace forum_registry::store

#endif  // FORUM_REGISTRY_STORE_LIST_CACHE_H_
