#ifndef FORUM_REGISTRY_STORE_RECORD_CACHE_H_
#define FORUM_REGISTRY_STORE_RECORD_CACHE_H_

// Decoded records, by name, kept current by the change feed, so that a Get
// can be answered from memory without reading the record (decisions §29).
//
// Two uses, with two guarantees:
//
// 1. Decoding saved. A row read from the database names one write of a
//    record: its version and update time. Find(name, version, update_micros)
//    returns the record of that very write if it is held, whatever else is
//    true; the content of a write never changes, so this is never stale.
//
// 2. Reads from memory (KEP-2340's "consistent reads from cache"). The
//    change feed applies every committed change, in revision order, to the
//    cache (Apply): a change drops the record it names, or, when the feed
//    read the record the change wrote, holds that record as current. So once
//    the cache has applied revision R, each record it holds as *current* is the
//    record as of R or later. A Get first learns the newest revision
//    committed (RevisionCheck), waits until the cache has applied it
//    (AwaitRevision), and then may answer with FindCurrent — it sees every
//    write acknowledged before it started, through any replica.
//
//    A record read from the database at revision S (the newest revision in
//    the read's snapshot) becomes current only if no change to it newer
//    than S has been applied already: otherwise that change's drop came
//    first and the record would be older than the cache. The check is
//    conservative: the newest revision applied per hash bucket of names,
//    so memory stays bounded whatever the log's length.
//
// Bounded: at most `capacity` records, the least recently used dropped first.
// Thread-safe.

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"

namespace forum_registry::store {

class RecordCache {
 public:
  // Holds at most `capacity` records; 0 holds none.
  explicit RecordCache(size_t capacity);

  // The version of `name` held, or 0.
  int64_t VersionOf(absl::string_view name);

  // The record `name` as written at `version` and `update_micros`, or null.
  // A hit makes the record the most recently used, and current if the row
  // was read at `read_revision` (see Put).
  std::shared_ptr<const google::protobuf::Message> Find(
      absl::string_view name, int64_t version, int64_t update_micros,
      int64_t read_revision = 0);

  // The record `name` as of the revision applied, or null if it is not
  // held as current. Use only after AwaitRevision returned true.
  std::shared_ptr<const google::protobuf::Message> FindCurrent(
      absl::string_view name);

  // Holds `record`, decoded from a row of `name` at `version` and
  // `update_micros` read in a snapshot whose newest revision was
  // `read_revision` (0: unknown, never current), replacing what was held:
  // a read that had to decode it (counted as a miss).
  void Put(const std::string& name, int64_t version, int64_t update_micros,
           std::shared_ptr<const google::protobuf::Message> record,
           int64_t read_revision);

  // The feed: every change after revision `from` will be applied, in order,
  // and none before it was. Records held lose their currency; only reads at
  // `from` or later may become current. Also after a gap in the log.
  void Follow(int64_t from);
  // A change the feed applies: the record it names is dropped; with
  // `record` (what a create or update wrote, at `version` and
  // `update_micros`), that record is held as current instead, so that a
  // read after the write finds it in memory.
  struct Change {
    std::string name;
    int64_t revision;
    std::shared_ptr<const google::protobuf::Message> record = nullptr;
    int64_t version = 0;
    int64_t update_micros = 0;
  };
  // The feed applied every change up to `revision`, among them `changes`.
  void Apply(const std::vector<Change>& changes, int64_t revision);
  // The feed stopped following (its connection failed, or the server
  // stops): AwaitRevision returns false at once until Apply is called again.
  void StopFollowing();

  // Whether the feed follows and has applied `revision`, now (no wait).
  bool HasApplied(int64_t revision) const;

  // Waits until the feed has applied `revision`, or until `deadline` or
  // the feed is not following; tells whether it has.
  bool AwaitRevision(int64_t revision, absl::Time deadline);

  struct Stats {
    int64_t hits = 0;    // reads served from the cache
    int64_t misses = 0;  // reads that decoded the record (and cached it)
    size_t size = 0;
    size_t capacity = 0;
    int64_t revision = 0;  // the newest revision applied
  };
  Stats GetStats() const;

 private:
  struct Entry {
    std::string name;
    int64_t version;
    int64_t update_micros;
    bool current;
    std::shared_ptr<const google::protobuf::Message> record;
  };
  using Order = std::list<Entry>;  // most recently used first

  // The newest revision applied to a name that hashes like `name`.
  int64_t& BucketOf(absl::string_view name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether a record read at `read_revision` is as of the revision applied.
  bool IsCurrent(absl::string_view name, int64_t read_revision)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Touch(Order::iterator entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t capacity_;
  mutable absl::Mutex mu_;
  Order order_ ABSL_GUARDED_BY(mu_);
  std::unordered_map<std::string, Order::iterator> index_ ABSL_GUARDED_BY(mu_);
  std::vector<int64_t> buckets_ ABSL_GUARDED_BY(mu_);
  // Reads before this revision may have missed a change never applied.
  int64_t floor_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t applied_ ABSL_GUARDED_BY(mu_) = 0;
  bool following_ ABSL_GUARDED_BY(mu_) = false;
  int64_t hits_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t misses_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace forum_registry::store

#endif  // FORUM_REGISTRY_STORE_RECORD_CACHE_H_
