#ifndef FORUM_REGISTRY_STORE_RECORD_CACHE_H_
#define FORUM_REGISTRY_STORE_RECORD_CACHE_H_

// Decoded records, by name and version, so that a read of a record that has
// not changed skips decoding its stored JSON (the largest part of a Get's
// CPU, docs/benchmarks.md) and the transfer of the body.
//
// Never stale by construction: the cache is only ever asked "is version V of
// this record what you hold?" by a read that has just read the record's
// current version from the database, in the same statement that would have
// returned its body (ResourceStore::Get). The database stays the only source
// of truth; the cache saves work, never a round trip.
//
// Bounded: at most `capacity` records, the least recently used dropped first.
// Thread-safe.

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/message.h"

namespace forum_registry::store {

class RecordCache {
 public:
  // Holds at most `capacity` records; 0 holds none.
  explicit RecordCache(size_t capacity);

  // The version of `name` held, or 0.
  int64_t VersionOf(absl::string_view name);

  // The record `name` at `version`, or null if another version (or none) is
  // held. A hit makes the record the most recently used.
  std::shared_ptr<const google::protobuf::Message> Find(absl::string_view name,
                                                        int64_t version);

  // Holds `record` as `name` at `version`, replacing what was held: a read
  // that had to decode it (counted as a miss).
  void Put(const std::string& name, int64_t version,
           std::shared_ptr<const google::protobuf::Message> record);

  struct Stats {
    int64_t hits = 0;    // reads served from the cache
    int64_t misses = 0;  // reads that decoded the record (and cached it)
    size_t size = 0;
    size_t capacity = 0;
  };
  Stats GetStats() const;

 private:
  struct Entry {
    std::string name;
    int64_t version;
    std::shared_ptr<const google::protobuf::Message> record;
  };
  using Order = std::list<Entry>;  // most recently used first

  const size_t capacity_;
  mutable absl::Mutex mu_;
  Order order_ ABSL_GUARDED_BY(mu_);
  std::unordered_map<std::string, Order::iterator> index_ ABSL_GUARDED_BY(mu_);
  int64_t hits_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t misses_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace forum_registry::store

#endif  // FORUM_REGISTRY_STORE_RECORD_CACHE_H_
