#include "src/store/record_cache.h"

#include <algorithm>
#include <functional>
#include <string_view>
#include <utility>

namespace forum_registry::store {
namespace {

// Hash buckets of names for the newest revision applied: 32 KiB, and a
// false "changed since" only when two names in flight share a bucket.
constexpr size_t kBuckets = 4096;

}  // namespace

RecordCache::RecordCache(size_t capacity)
    : capacity_(capacity), buckets_(kBuckets, 0) {}

int64_t& RecordCache::BucketOf(absl::string_view name) {
  return buckets_[std::hash<std::string_view>()(
                      std::string_view(name.data(), name.size())) %
                  kBuckets];
}

void RecordCache::Touch(Order::iterator entry) {
  order_.splice(order_.begin(), order_, entry);
}

int64_t RecordCache::VersionOf(absl::string_view name) {
  absl::MutexLock lock(&mu_);
  const auto found = index_.find(std::string(name));
  return found == index_.end() ? 0 : found->second->version;
}

bool RecordCache::IsCurrent(absl::string_view name, int64_t read_revision) {
  // No change to it newer than the read has been applied (its drop would
  // have come before), and nothing before the read was missed.
  return read_revision > 0 && read_revision >= floor_ &&
         read_revision >= BucketOf(name);
}

std::shared_ptr<const google::protobuf::Message> RecordCache::Find(
    absl::string_view name, int64_t version, int64_t update_micros,
    int64_t read_revision) {
  absl::MutexLock lock(&mu_);
  const auto found = index_.find(std::string(name));
  if (found == index_.end() || found->second->version != version ||
      found->second->update_micros != update_micros) {
    return nullptr;
  }
  ++hits_;
  if (IsCurrent(name, read_revision)) found->second->current = true;
  Touch(found->second);
  return found->second->record;
}

std::shared_ptr<const google::protobuf::Message> RecordCache::FindCurrent(
    absl::string_view name) {
  absl::MutexLock lock(&mu_);
  const auto found = index_.find(std::string(name));
  if (found == index_.end() || !found->second->current) return nullptr;
  ++hits_;
  Touch(found->second);
  return found->second->record;
}

void RecordCache::Put(const std::string& name, int64_t version,
                      int64_t update_micros,
                      std::shared_ptr<const google::protobuf::Message> record,
                      int64_t read_revision) {
  if (capacity_ == 0) return;
  absl::MutexLock lock(&mu_);
  ++misses_;
  const bool current = IsCurrent(name, read_revision);
  if (const auto found = index_.find(name); found != index_.end()) {
    Entry& entry = *found->second;
    // A current record is never replaced by one that may be older.
    if (entry.current && !current) return;
    entry.version = version;
    entry.update_micros = update_micros;
    entry.current = current;
    entry.record = std::move(record);
    Touch(found->second);
    return;
  }
  order_.push_front({name, version, update_micros, current, std::move(record)});
  index_[name] = order_.begin();
  while (order_.size() > capacity_) {
    index_.erase(order_.back().name);
    order_.pop_back();
  }
}

void RecordCache::Follow(int64_t from) {
  absl::MutexLock lock(&mu_);
  for (Entry& entry : order_) entry.current = false;
  floor_ = std::max(floor_, from);
  applied_ = std::max(applied_, from);
  following_ = true;
}

void RecordCache::Apply(const std::vector<Change>& changes, int64_t revision) {
  absl::MutexLock lock(&mu_);
  for (const Change& change : changes) {
    int64_t& bucket = BucketOf(change.name);
    bucket = std::max(bucket, change.revision);
    if (const auto found = index_.find(change.name); found != index_.end()) {
      order_.erase(found->second);
      index_.erase(found);
    }
    if (change.record != nullptr && capacity_ > 0) {
      // The latest change to it up to `revision` (a later one in this
      // batch comes after and replaces it): current.
      order_.push_front({change.name, change.version, change.update_micros,
                         /*current=*/true, change.record});
      index_[change.name] = order_.begin();
    }
  }
  while (order_.size() > capacity_) {
    index_.erase(order_.back().name);
    order_.pop_back();
  }
  applied_ = std::max(applied_, revision);
  following_ = true;
}

void RecordCache::StopFollowing() {
  absl::MutexLock lock(&mu_);
  following_ = false;
}

bool RecordCache::HasApplied(int64_t revision) const {
  absl::MutexLock lock(&mu_);
  return capacity_ > 0 && following_ && applied_ >= revision;
}

bool RecordCache::AwaitRevision(int64_t revision, absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  if (capacity_ == 0) return false;
  const auto reached = [this, revision]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return applied_ >= revision || !following_;
  };
  mu_.AwaitWithDeadline(absl::Condition(&reached), deadline);
  return following_ && applied_ >= revision;
}

RecordCache::Stats RecordCache::GetStats() const {
  absl::MutexLock lock(&mu_);
  return {.hits = hits_,
          .misses = misses_,
          .size = order_.size(),
          .capacity = capacity_,
          .revision = applied_};
}

}  // namespace forum_registry::store
