#include "src/store/pool.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"
#include "src/store/errors.h"

namespace forum_registry::store {

ConnectionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_),
      slot_(std::move(other.slot_)),
      broken_(other.broken_) {
  other.pool_ = nullptr;
}

ConnectionPool::Lease::~Lease() {
  if (pool_ != nullptr && slot_ != nullptr) {
    pool_->Release(std::move(slot_), broken_);
  }
}

void ConnectionPool::Lease::Prepare(const std::string& name,
                                    const std::string& sql) {
  if (slot_->prepared.insert(name).second) {
    slot_->connection->prepare(name, sql);
  }
}

ConnectionPool::ConnectionPool(PoolOptions options)
    : options_(std::move(options)) {}

ConnectionPool::~ConnectionPool() {
  absl::MutexLock lock(&mu_);
  idle_.clear();
}

absl::StatusOr<std::unique_ptr<ConnectionPool::Slot>>
ConnectionPool::Connect() {
  try {
    auto slot = std::make_unique<Slot>();
    slot->connection = std::make_unique<pqxx::connection>(options_.url);
    // set_variable, unlike a plain SET, is replayed if libpqxx reconnects.
    slot->connection->set_variable(
        "statement_timeout",
        absl::StrCat(absl::ToInt64Milliseconds(options_.statement_timeout)));
    slot->connection->set_variable(
        "application_name", slot->connection->quote(options_.application_name));
    return slot;
  } catch (const std::exception& e) {
    spdlog::warn("cannot connect to the database: {}",
                 std::string(e.what()).substr(0, 300));
    CountDatabaseError(absl::StatusCode::kUnavailable);
    return absl::UnavailableError("the database is unavailable; retry");
  }
}

absl::StatusOr<ConnectionPool::Lease> ConnectionPool::Acquire(
    absl::Time deadline) {
  {
    absl::MutexLock lock(&mu_);
    ++waiting_;
    const auto available = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || open_ < options_.size;
    };
    const bool ready =
        mu_.AwaitWithDeadline(absl::Condition(&available), deadline);
    --waiting_;
    if (!ready) {
      return absl::UnavailableError(absl::StrCat(
          "all ", options_.size,
          " database connections stayed busy until the deadline; retry"));
    }
    if (!idle_.empty()) {
      std::unique_ptr<Slot> slot = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(slot));
    }
    ++open_;  // reserve the place while connecting without the lock
  }
  absl::StatusOr<std::unique_ptr<Slot>> slot = Connect();
  if (!slot.ok()) {
    absl::MutexLock lock(&mu_);
    --open_;
    return slot.status();
  }
  return Lease(this, std::move(*slot));
}

void ConnectionPool::Release(std::unique_ptr<Slot> slot, bool broken) {
  if (broken || !slot->connection->is_open()) {
    slot.reset();  // close outside the lock
    absl::MutexLock lock(&mu_);
    --open_;
    return;
  }
  absl::MutexLock lock(&mu_);
  idle_.push_back(std::move(slot));
}

void ConnectionPool::CloseIdle() {
  std::vector<std::unique_ptr<Slot>> closing;
  absl::MutexLock lock(&mu_);
  closing.swap(idle_);
  open_ -= static_cast<int>(closing.size());
  // `closing` is destroyed after the lock is released (declared before it).
}

ConnectionPool::Stats ConnectionPool::GetStats() const {
  absl::MutexLock lock(&mu_);
  Stats stats;
  stats.size = options_.size;
  stats.idle = static_cast<int>(idle_.size());
  stats.in_use = open_ - stats.idle;
  stats.waiting = waiting_;
  return stats;
}

}  // namespace forum_registry::store
