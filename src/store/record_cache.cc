#include "src/store/record_cache.h"

#include <utility>

namespace forum_registry::store {

RecordCache::RecordCache(size_t capacity) : capacity_(capacity) {}

int64_t RecordCache::VersionOf(absl::string_view name) {
  absl::MutexLock lock(&mu_);
  const auto found = index_.find(std::string(name));
  return found == index_.end() ? 0 : found->second->version;
}

std::shared_ptr<const google::protobuf::Message> RecordCache::Find(
    absl::string_view name, int64_t version) {
  absl::MutexLock lock(&mu_);
  const auto found = index_.find(std::string(name));
  if (found == index_.end() || found->second->version != version) {
    return nullptr;
  }
  ++hits_;
  order_.splice(order_.begin(), order_, found->second);
  return found->second->record;
}

void RecordCache::Put(const std::string& name, int64_t version,
                      std::shared_ptr<const google::protobuf::Message> record) {
  if (capacity_ == 0) return;
  absl::MutexLock lock(&mu_);
  ++misses_;
  if (const auto found = index_.find(name); found != index_.end()) {
    found->second->version = version;
    found->second->record = std::move(record);
    order_.splice(order_.begin(), order_, found->second);
    return;
  }
  order_.push_front({name, version, std::move(record)});
  index_[name] = order_.begin();
  while (order_.size() > capacity_) {
    index_.erase(order_.back().name);
    order_.pop_back();
  }
}

RecordCache::Stats RecordCache::GetStats() const {
  absl::MutexLock lock(&mu_);
  return {.hits = hits_,
          .misses = misses_,
          .size = order_.size(),
          .capacity = capacity_};
}

}  // namespace forum_registry::store
