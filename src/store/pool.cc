#include "src/store/pool.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <pqxx/pqxx>
#include <system_error>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"
#include "src/store/errors.h"
#include "src/store/watchdog.h"

namespace forum_registry::store {
namespace {

// A value quoted for a libpq connection string.
std::string Quoted(const char* value) {
  std::string out = "'";
  for (const char* c = value; *c != '\0'; ++c) {
    if (*c == '\'' || *c == '\\') out += '\\';
    out += *c;
  }
  return out + "'";
}

// Whether libpq `options` set PostgreSQL's jit ("-c jit=on", "-cjit=off",
// "--jit=on"; setting names are case-insensitive), not a setting whose name
// merely holds it (jit_above_cost).
bool SetsJit(absl::string_view options) {
  const std::string lower = absl::AsciiStrToLower(options);
  for (size_t at = lower.find("jit="); at != std::string::npos;
       at = lower.find("jit=", at + 1)) {
    if (at == 0 || absl::ascii_isspace(lower[at - 1]) || lower[at - 1] == 'c' ||
        lower[at - 1] == '-') {
      return true;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<std::string> WithConnectionDefaults(const std::string& url) {
  static constexpr std::pair<const char*, const char*> kDefaults[] = {
      {"connect_timeout", "3"},  {"keepalives", "1"},
      {"keepalives_idle", "10"}, {"keepalives_interval", "5"},
      {"keepalives_count", "3"}, {"tcp_user_timeout", "15000"},
  };
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (options == nullptr) {
    std::string why = error == nullptr ? "out of memory" : error;
    PQfreemem(error);
    while (!why.empty() && why.back() == '\n') why.pop_back();
    return absl::InvalidArgumentError(
        absl::StrCat("the database URL cannot be parsed: ", why));
  }
  std::string conninfo;
  for (PQconninfoOption* option = options; option->keyword != nullptr;
       ++option) {
    const char* value = option->val;
    if (value == nullptr) {
      for (const auto& [keyword, fallback] : kDefaults) {
        if (std::string_view(option->keyword) == keyword &&
            // The environment's PGCONNECT_TIMEOUT still wins.
            !(option->envvar != nullptr && std::getenv(option->envvar))) {
          value = fallback;
        }
      }
    }
    // No JIT compilation (decisions §78), added to the options libpq would
    // send (the URL's, else PGOPTIONS's) unless they set jit themselves.
    std::string options;
    if (std::string_view(option->keyword) == "options") {
      const char* environment = std::getenv("PGOPTIONS");
      const std::string sent = value != nullptr         ? value
                               : environment != nullptr ? environment
                                                        : "";
      if (!SetsJit(sent)) {
        options =
            sent.empty() ? "-c jit=off" : absl::StrCat(sent, " -c jit=off");
        value = options.c_str();
      }
    }
    if (value == nullptr) continue;
    absl::StrAppend(&conninfo, conninfo.empty() ? "" : " ", option->keyword,
                    "=", Quoted(value));
  }
  PQconninfoFree(options);
  return conninfo;
}

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

std::optional<std::string> ConnectionPool::Lease::PrepareText(
    const std::string& sql, size_t max) {
  const auto found = slot_->prepared_text.find(sql);
  if (found != slot_->prepared_text.end()) return found->second;
  if (slot_->prepared_text.size() >= max) return std::nullopt;
  std::string name = absl::StrCat("text_", slot_->prepared_text.size() + 1);
  slot_->connection->prepare(name, sql);
  slot_->prepared_text.emplace(sql, name);
  return name;
}

absl::Status ConnectionPool::Lease::FitStatementTimeout(absl::Time deadline) {
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) {
    return absl::DeadlineExceededError(
        "the call's deadline passed before the database was asked");
  }
  const int64_t pool_limit =
      absl::ToInt64Milliseconds(pool_->options_.statement_timeout);
  const int64_t left_ms = std::max<int64_t>(1, absl::ToInt64Milliseconds(left));
  // A pool timeout of 0 means none: the time left alone bounds it.
  const int64_t limit =
      pool_limit > 0 ? std::min(pool_limit, left_ms) : left_ms;
  const int64_t now = slot_->statement_timeout_ms;
  if (now <= limit && now * 5 >= limit * 4) return absl::OkStatus();
  // set_variable, unlike a plain SET, is replayed if libpqxx reconnects.
  slot_->connection->set_variable("statement_timeout", absl::StrCat(limit));
  slot_->statement_timeout_ms = limit;
  return absl::OkStatus();
}

ConnectionPool::ConnectionPool(PoolOptions options)
    : options_(std::move(options)),
      conninfo_(WithConnectionDefaults(options_.url).value_or(options_.url)) {}

ConnectionPool::~ConnectionPool() {
  absl::MutexLock lock(&mu_);
  // Connects in flight end within connect_timeout; they touch this pool.
  mu_.Await(absl::Condition(
      +[](int* connecting) { return *connecting == 0; }, &connecting_));
  idle_.clear();
}

absl::StatusOr<std::unique_ptr<ConnectionPool::Slot>>
ConnectionPool::Connect() {
  try {
    auto slot = std::make_unique<Slot>();
    slot->connection = std::make_unique<pqxx::connection>(conninfo_);
    // connect_timeout bounds the connect; the watchdog bounds the settings
    // below, which a server that accepts and then stalls would not answer.
    Watchdog::Watch watch(*slot->connection, absl::Now() + absl::Seconds(5));
    slot->statement_timeout_ms =
        absl::ToInt64Milliseconds(options_.statement_timeout);
    slot->connection->set_variable("statement_timeout",
                                   absl::StrCat(slot->statement_timeout_ms));
    slot->connection->set_variable(
        "application_name", slot->connection->quote(options_.application_name));
    // A statement still running for a client that went away (its socket
    // closed by the watchdog, watchdog.h) is ended within a second.
    slot->connection->set_variable("client_connection_check_interval", "1000");
    // NOTICEs (a search of stop words alone draws one) are not for the log.
    slot->connection->set_variable("client_min_messages", "warning");
    return slot;
  } catch (const std::exception& e) {
    spdlog::warn("cannot connect to the database: {}",
                 std::string(e.what()).substr(0, 300));
    CountDatabaseError(absl::StatusCode::kUnavailable);
    return absl::UnavailableError("the database is unavailable; retry");
  }
}

bool ConnectionPool::StartConnect() {
  ++open_;
  ++connecting_;
  try {
    std::thread([this] {
      absl::StatusOr<std::unique_ptr<Slot>> slot = Connect();
      absl::MutexLock lock(&mu_);
      --connecting_;
      if (slot.ok()) {
        idle_.push_back(*std::move(slot));
      } else {
        --open_;
        ++connect_failures_;
        last_connect_error_ = slot.status();
      }
    }).detach();
  } catch (const std::system_error&) {
    --open_;
    --connecting_;
    return false;
  }
  return true;
}

absl::StatusOr<ConnectionPool::Lease> ConnectionPool::Acquire(
    absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  ++waiting_;
  const uint64_t failures = connect_failures_;
  for (;;) {
    if (!idle_.empty()) {
      std::unique_ptr<Slot> slot = std::move(idle_.back());
      idle_.pop_back();
      --waiting_;
      return Lease(this, std::move(slot));
    }
    if (connect_failures_ != failures) {
      --waiting_;
      return last_connect_error_;
    }
    // One connect per caller waiting, up to the size.
    if (open_ < options_.size && connecting_ < waiting_) {
      if (!StartConnect()) {
        --waiting_;
        return absl::UnavailableError(
            "no thread to open a database connection on; retry");
      }
      continue;
    }
    const auto changed = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || connect_failures_ != failures ||
             (open_ < options_.size && connecting_ < waiting_);
    };
    // A call its client cancelled stops waiting (and gives its worker back).
    const Waited waited =
        AwaitUnlessCancelled(mu_, absl::Condition(&changed), deadline);
    if (waited == Waited::kCancelled) {
      --waiting_;
      return absl::CancelledError(
          "the call was cancelled while it waited for a database connection");
    }
    if (waited == Waited::kDeadline) {
      --waiting_;
      if (connecting_ > 0) {
        return absl::UnavailableError(
            "no database connection could be opened before the deadline; "
            "retry");
      }
      return absl::UnavailableError(absl::StrCat(
          "all ", options_.size,
          " database connections stayed busy until the deadline; retry"));
    }
  }
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
  stats.in_use = open_ - stats.idle - connecting_;
  stats.waiting = waiting_;
  return stats;
}

}  // namespace forum_registry::store
