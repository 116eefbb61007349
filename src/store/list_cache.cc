#include "src/store/list_cache.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "spdlog/spdlog.h"
#include "src/store/wire.h"

namespace forum_registry::store {
namespace {

// How long a kind whose load failed (not for its size) waits to be loaded
// again.
constexpr absl::Duration kRetryAfter = absl::Seconds(1);

size_t CostOf(absl::string_view name, absl::string_view bytes) {
  return name.size() + bytes.size() + kListCacheOverhead;
}

}  // namespace

ListCache::ListCache(size_t max_bytes) : max_bytes_(max_bytes) {}

ListCache::~ListCache() { Stop(); }

void ListCache::AddKind(std::string collection, std::string parent_collection,
                        Loader loader) {
  absl::MutexLock lock(&mu_);
  if (KindOfCollection(collection) != nullptr) {
    spdlog::warn("list cache: a second kind of collection {} is not held",
                 collection);
    return;
  }
  auto kind = std::make_unique<Kind>();
  kind->collection = std::move(collection);
  kind->parent_collection = std::move(parent_collection);
  kind->loader = std::move(loader);
  kinds_.push_back(std::move(kind));
}

void ListCache::Start() {
  if (max_bytes_ == 0 || loader_.joinable()) return;
  loader_ = std::thread([this] { LoadLoop(); });
}

void ListCache::RequestStop() {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
  stop_flag_ = true;
}

void ListCache::Stop() {
  RequestStop();
  if (loader_.joinable()) loader_.join();
}

ListCache::Kind* ListCache::KindOf(absl::string_view name) {
  // "forums/arf" or "forums/arf/sessions/s1": the collection is the
  // second segment from the end, the parent's the first of four.
  const std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 2 && parts.size() != 4) return nullptr;
  const absl::string_view collection = parts[parts.size() - 2];
  const absl::string_view parent =
      parts.size() == 4 ? parts[0] : absl::string_view();
  for (const auto& kind : kinds_) {
    if (kind->collection == collection && kind->parent_collection == parent) {
      return kind.get();
    }
  }
  return nullptr;
}

const ListCache::Kind* ListCache::KindOfCollection(
    absl::string_view collection) const {
  for (const auto& kind : kinds_) {
    if (kind->collection == collection) return kind.get();
  }
  return nullptr;
}

void ListCache::Forget(Kind& kind) {
  total_bytes_ -= kind.bytes;
  kind.bytes = 0;
  kind.records.clear();
  kind.kept.clear();
  kind.kept_bytes = 0;
}

bool ListCache::ApplyTo(Kind& kind, const Kept& change) {
  const auto found = kind.records.find(change.name);
  if (found != kind.records.end()) {
    const size_t cost = CostOf(found->first, found->second);
    kind.bytes -= cost;
    total_bytes_ -= cost;
  }
  if (change.deleted) {
    if (found != kind.records.end()) kind.records.erase(found);
    return true;
  }
  // A create or update whose record the feed did not read: what the kind
  // holds can no longer be told right.
  if (!change.readable) return false;
  const size_t cost = CostOf(change.name, change.bytes);
  if (total_bytes_ + cost > max_bytes_) return false;
  kind.bytes += cost;
  total_bytes_ += cost;
  if (found != kind.records.end()) {
    found->second = change.bytes;
  } else {
    kind.records.emplace(change.name, change.bytes);
  }
  return true;
}

void ListCache::Follow(int64_t from) {
  absl::MutexLock lock(&mu_);
  for (const auto& kind : kinds_) {
    Forget(*kind);
    kind->state = State::kCold;
    ++kind->generation;
  }
  applied_ = std::max(applied_, from);
  following_ = true;
}

void ListCache::Apply(const std::vector<Change>& changes, int64_t revision) {
  if (max_bytes_ == 0) return;
  // Encoded before the lock is taken: reads wait for no encoding.
  std::vector<Kept> encoded;
  encoded.reserve(changes.size());
  for (const Change& change : changes) {
    Kept& kept = encoded.emplace_back();
    kept.name = change.name;
    kept.revision = change.revision;
    kept.deleted = change.deleted;
    kept.readable = change.deleted || change.record != nullptr;
    if (change.record != nullptr)
      kept.bytes = change.record->SerializeAsString();
  }
  absl::MutexLock lock(&mu_);
  for (Kept& change : encoded) {
    Kind* kind = KindOf(change.name);
    if (kind == nullptr) continue;
    if (kind->state == State::kReady) {
      // A change its snapshot already held (the feed behind the load).
      if (change.revision <= kind->loaded_at) continue;
      if (!ApplyTo(*kind, change)) {
        spdlog::info(
            "list cache: {} no longer held ({}); their lists read the "
            "database",
            kind->collection,
            change.readable ? "past --list-cache-bytes"
                            : "a change came without its record");
        Forget(*kind);
        kind->state = State::kNotHeld;
      }
    } else if (kind->state == State::kLoading) {
      kind->kept_bytes += CostOf(change.name, change.bytes);
      if (kind->kept_bytes > max_bytes_) {
        // Written faster than it loads: dropped (LoadLoop sees the state).
        Forget(*kind);
        kind->state = State::kNotHeld;
        continue;
      }
      kind->kept.push_back(std::move(change));
    }
  }
  applied_ = std::max(applied_, revision);
  following_ = true;
}

void ListCache::StopFollowing() {
  absl::MutexLock lock(&mu_);
  following_ = false;
}

bool ListCache::AwaitRevision(int64_t revision, absl::Time deadline) {
  if (max_bytes_ == 0) return false;
  {
    // The common case, under the lock pages are read under.
    absl::ReaderMutexLock lock(&mu_);
    if (following_ && applied_ >= revision) return true;
  }
  absl::MutexLock lock(&mu_);
  const auto done = [this, revision]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return !following_ || applied_ >= revision;
  };
  mu_.AwaitWithDeadline(absl::Condition(&done), deadline);
  return following_ && applied_ >= revision;
}

bool ListCache::ReadPage(absl::string_view collection, absl::string_view prefix,
                         absl::string_view after, int page_size,
                         size_t max_bytes, int64_t min_revision,
                         int records_field, std::string* out,
                         std::string* next) const {
  absl::ReaderMutexLock lock(&mu_);
  if (!following_ || applied_ < min_revision) return false;
  const Kind* kind = KindOfCollection(collection);
  if (kind == nullptr || kind->state != State::kReady) return false;
  auto it = kind->records.lower_bound(prefix);
  if (!after.empty() && after >= prefix) {
    it = kind->records.upper_bound(after);
  }
  next->clear();
  int count = 0;
  size_t bytes = 0;
  const std::string* last = nullptr;
  for (; it != kind->records.end() && absl::StartsWith(it->first, prefix);
       ++it) {
    if ((page_size > 0 && count == page_size) ||
        (max_bytes > 0 && count > 0 && bytes + it->second.size() > max_bytes)) {
      *next = *last;
      break;
    }
    AppendLengthDelimited(records_field, it->second, out);
    bytes += it->second.size();
    ++count;
    last = &it->first;
  }
  pages_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool ListCache::HoldsAt(absl::string_view collection, int64_t revision) const {
  absl::ReaderMutexLock lock(&mu_);
  const Kind* kind = KindOfCollection(collection);
  return following_ && applied_ >= revision && kind != nullptr &&
         kind->state == State::kReady;
}

bool ListCache::Holds(absl::string_view collection) const {
  absl::ReaderMutexLock lock(&mu_);
  const Kind* kind = KindOfCollection(collection);
  return kind != nullptr && kind->state == State::kReady;
}

ListCache::Stats ListCache::GetStats() const {
  absl::ReaderMutexLock lock(&mu_);
  Stats stats;
  for (const auto& kind : kinds_) {
    if (kind->state != State::kReady) continue;
    ++stats.kinds_held;
    stats.records += kind->records.size();
  }
  stats.bytes = total_bytes_;
  stats.pages = pages_.load(std::memory_order_relaxed);
  return stats;
}

void ListCache::LoadLoop() {
  while (true) {
    Kind* kind = nullptr;
    int64_t generation = 0;
    size_t budget = 0;
    {
      absl::MutexLock lock(&mu_);
      const auto work = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        if (stopping_) return true;
        if (!following_) return false;
        for (const auto& each : kinds_) {
          if (each->state == State::kCold) return true;
        }
        return false;
      };
      mu_.Await(absl::Condition(&work));
      if (stopping_) return;
      for (const auto& each : kinds_) {
        if (each->state == State::kCold) {
          kind = each.get();
          break;
        }
      }
      // From here the feed keeps this kind's changes aside; the snapshot
      // read next begins after.
      kind->state = State::kLoading;
      kind->kept.clear();
      kind->kept_bytes = 0;
      generation = kind->generation;
      budget = max_bytes_ > total_bytes_ ? max_bytes_ - total_bytes_ : 0;
    }
    const absl::Time began = absl::Now();
    absl::btree_map<std::string, std::string> records;
    size_t bytes = 0;
    absl::StatusOr<int64_t> snapshot =
        kind->loader([&](std::string name, std::string data) {
          const size_t cost = CostOf(name, data);
          if (stop_flag_ || bytes + cost > budget) return false;
          bytes += cost;
          records.emplace_hint(records.end(), std::move(name), std::move(data));
          return true;
        });
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    if (kind->generation != generation || kind->state != State::kLoading) {
      continue;  // forgotten meanwhile (a gap, or written past the bound)
    }
    if (!snapshot.ok()) {
      kind->kept.clear();
      kind->kept_bytes = 0;
      if (absl::IsResourceExhausted(snapshot.status())) {
        spdlog::info(
            "list cache: {} not held: past --list-cache-bytes ({} bytes); "
            "their lists read the database",
            kind->collection, max_bytes_);
        kind->state = State::kNotHeld;
        continue;
      }
      spdlog::warn("list cache: cannot load {}: {}", kind->collection,
                   snapshot.status().ToString());
      kind->state = State::kCold;
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), kRetryAfter);
      continue;
    }
    if (total_bytes_ + bytes > max_bytes_) {
      // Others grew while it loaded: it no longer fits.
      kind->kept.clear();
      kind->kept_bytes = 0;
      kind->state = State::kNotHeld;
      spdlog::info(
          "list cache: {} not held: past --list-cache-bytes ({} bytes); "
          "their lists read the database",
          kind->collection, max_bytes_);
      continue;
    }
    kind->records = std::move(records);
    kind->bytes = bytes;
    kind->loaded_at = *snapshot;
    total_bytes_ += bytes;
    kind->state = State::kReady;
    // The changes kept aside since the snapshot began, past it.
    for (const Kept& change : kind->kept) {
      if (change.revision <= *snapshot) continue;
      if (!ApplyTo(*kind, change)) {
        Forget(*kind);
        kind->state = State::kNotHeld;
        break;
      }
    }
    kind->kept.clear();
    kind->kept.shrink_to_fit();
    kind->kept_bytes = 0;
    if (kind->state == State::kReady) {
      spdlog::info(
          "list cache: {} held: {} records, {} bytes, at revision {}, "
          "loaded in {} ms",
          kind->collection, kind->records.size(), kind->bytes, *snapshot,
          absl::ToInt64Milliseconds(absl::Now() - began));
    }
  }
}

}  // namespace forum_registry::store
