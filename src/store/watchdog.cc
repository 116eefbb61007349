#include "src/store/watchdog.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <pqxx/connection_base>
#include <thread>

namespace forum_registry::store {
namespace {

thread_local const CallScope* current_scope = nullptr;

}  // namespace

CallScope::CallScope(std::function<bool()> cancelled)
    : cancelled_(std::move(cancelled)), outer_(current_scope) {
  current_scope = this;
}

CallScope::~CallScope() { current_scope = outer_; }

const CallScope* CallScope::Current() { return current_scope; }

Waited AwaitUnlessCancelled(absl::Mutex& mu, const absl::Condition& condition,
                            absl::Time deadline) {
  const CallScope* scope = CallScope::Current();
  for (;;) {
    const absl::Time until =
        scope == nullptr
            ? deadline
            : std::min(deadline, absl::Now() + CallScope::kCheckEvery);
    if (mu.AwaitWithDeadline(condition, until)) return Waited::kReady;
    if (absl::Now() >= deadline) return Waited::kDeadline;
    if (scope->Cancelled()) return Waited::kCancelled;
  }
}

Watchdog& Watchdog::Get() {
  static Watchdog* const watchdog = new Watchdog();  // never destroyed
  return *watchdog;
}

uint64_t Watchdog::fired() const {
  absl::MutexLock lock(&mu_);
  return fired_;
}

Watchdog::Watch::Watch(pqxx::connection_base& connection, absl::Time deadline)
    : deadline_(deadline), scope_(CallScope::Current()) {
  Watchdog& dog = Get();
  absl::MutexLock lock(&dog.mu_);
  if (!dog.running_) {
    std::thread([&dog] { dog.Run(); }).detach();  // may throw: not running
    dog.running_ = true;
  }
  // A duplicate of the socket: shutting it down acts on the connection's
  // socket, and its number stays ours until Disarm, whatever libpq closes
  // (at EMFILE, the number and the socket's identity: descriptors.h).
  dog.entries_.push_front(
      Entry{.socket = SocketRef(connection.sock(), "watchdog"),
            .deadline = deadline,
            .scope = scope_});
  entry_ = dog.entries_.begin();
  armed_ = true;
}

Watchdog::Watch::~Watch() { Disarm(); }

void Watchdog::Watch::Disarm() {
  if (!armed_) return;
  Watchdog& dog = Get();
  absl::MutexLock lock(&dog.mu_);
  // Keep what happened for Fired() and Why().
  fired_ = entry_->fired;
  cancelled_ = entry_->cancelled;
  dog.entries_.erase(entry_);
  armed_ = false;
}

bool Watchdog::Watch::Fired() const {
  if (!armed_) return fired_;
  absl::MutexLock lock(&Get().mu_);
  return entry_->fired;
}

bool Watchdog::Watch::Over() const {
  return absl::Now() >= deadline_ || (scope_ != nullptr && scope_->Cancelled());
}

absl::Status Watchdog::Watch::Why() const {
  bool cancelled = false;
  if (armed_) {
    absl::MutexLock lock(&Get().mu_);
    cancelled = entry_->cancelled;
  } else {
    cancelled = cancelled_;
  }
  if (cancelled || (scope_ != nullptr && scope_->Cancelled())) {
    return absl::CancelledError(
        "the call was cancelled; its transaction was rolled back");
  }
  return absl::DeadlineExceededError(
      "the call's deadline passed before the database answered; its "
      "transaction was rolled back");
}

void Watchdog::Run() {
  for (;;) {
    absl::SleepFor(kTick);
    absl::MutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    for (Watch::Entry& entry : entries_) {
      if (entry.fired || !entry.socket.valid()) continue;
      const bool cancelled = entry.scope != nullptr && entry.scope->Cancelled();
      if (cancelled && entry.cancelled_seen == absl::InfiniteFuture()) {
        entry.cancelled_seen = now;
      }
      const bool overdue = now >= entry.deadline + kGrace;
      if (!overdue &&
          !(cancelled && now >= entry.cancelled_seen + kCancelGrace)) {
        continue;
      }
      // The blocked recv() or send() returns at once.
      entry.socket.Shutdown();
      entry.fired = true;
      entry.cancelled = cancelled;
      ++fired_;
    }
  }
}

}  // namespace forum_registry::store
