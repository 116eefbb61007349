#ifndef FORUM_REGISTRY_STORE_WATCHDOG_H_
#define FORUM_REGISTRY_STORE_WATCHDOG_H_

// Ends database work nobody waits for any more.
//
// libpq is blocking: the thread that sent a statement cannot stop it, and on
// a connection whose traffic stopped it would wait for minutes (TCP gives up
// only when the kernel does). So every transaction registers its connection
// here with its deadline (a Watch), and one thread looks at what is
// registered every few milliseconds:
//
//   - when the RPC behind it was cancelled (the client gave up: CallScope)
//     and its statement still runs `kCancelGrace` later,
//   - or when its deadline passed more than `kGrace` ago (the statement
//     timeout, never longer than the time left, should have ended the
//     statement at the server by then; if it did not, the server or the
//     network is not answering),
//
// it shuts the connection's socket down. The blocked call fails at once with
// a broken connection, which the pool discards; PostgreSQL rolls the open
// transaction back when it notices the closed socket (at once when idle,
// within client_connection_check_interval when running a statement).
//
// Why not PQcancel: it opens a new connection to the server and waits for
// it, so it hangs exactly when the server does not answer, and it stops one
// statement, not the transaction.
//
// Thread-safe. The thread starts with the first Watch and runs until exit.

#include <functional>
#include <list>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "src/store/descriptors.h"

namespace pqxx {
class connection_base;
}

namespace forum_registry::store {

// The RPC a thread works for, as far as the store needs to know: whether it
// was cancelled. The API layer opens one around each call; the store's
// transactions read it. Without one, only the deadline counts.
class CallScope {
 public:
  // How often a wait (for a connection, for a slot) looks whether the call
  // was cancelled.
  static constexpr absl::Duration kCheckEvery = absl::Milliseconds(50);

  // `cancelled` is called from the watchdog's thread while the scope lives;
  // it must be thread-safe and quick (grpc::ServerContext::IsCancelled).
  explicit CallScope(std::function<bool()> cancelled);
  ~CallScope();
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;

  // The innermost scope of this thread, or null.
  static const CallScope* Current();

  bool Cancelled() const { return cancelled_(); }

 private:
  const std::function<bool()> cancelled_;
  const CallScope* const outer_;
};

// How a wait ended.
enum class Waited { kReady, kDeadline, kCancelled };

// With `mu` held, waits until `condition` holds (kReady), `deadline` passes
// (kDeadline), or the call of this thread's CallScope is cancelled
// (kCancelled, seen within CallScope::kCheckEvery): a wait for a resource
// that gives a cancelled call's thread back.
Waited AwaitUnlessCancelled(absl::Mutex& mu, const absl::Condition& condition,
                            absl::Time deadline)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

class Watchdog {
 public:
  // How long past its deadline a statement may run before its socket is
  // shut down.
  static constexpr absl::Duration kGrace = absl::Milliseconds(250);
  // How long a cancelled call's statement may still run before its socket
  // is shut down. Most end well within it and their transactions roll back
  // as usual (no COMMIT is sent for a cancelled call), so a client that
  // cancels calls by the thousand (HTTP/2 rapid reset) does not cost a
  // database connection each.
  static constexpr absl::Duration kCancelGrace = absl::Milliseconds(100);
  // How often the thread looks.
  static constexpr absl::Duration kTick = absl::Milliseconds(20);

  // Watches the connection while it lives: from its deadline + kGrace, or
  // from the moment the thread's CallScope (if any) is cancelled, its socket
  // is shut down.
  class Watch {
   public:
    Watch(pqxx::connection_base& connection, absl::Time deadline);
    ~Watch();
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;

    // Stops watching (before a COMMIT, whose outcome must not be cut off).
    void Disarm();
    // Whether the watchdog shut the socket down.
    bool Fired() const;
    // Whether the call was cancelled or its deadline has passed.
    bool Over() const;
    // The status to report for work this watch ended: CANCELLED or
    // DEADLINE_EXCEEDED.
    absl::Status Why() const;

   private:
    friend class Watchdog;
    struct Entry {
      SocketRef socket;
      absl::Time deadline;
      const CallScope* scope = nullptr;
      bool fired = false;
      bool cancelled = false;
      // When the thread first saw the call cancelled.
      absl::Time cancelled_seen = absl::InfiniteFuture();
    };
    std::list<Entry>::iterator entry_;
    bool armed_ = false;
    bool fired_ = false;      // once disarmed
    bool cancelled_ = false;  // once disarmed
    absl::Time deadline_;
    const CallScope* scope_ = nullptr;
  };

  // The process's watchdog.
  static Watchdog& Get();

  // Shut-downs so far, for the metrics.
  uint64_t fired() const;

 private:
  Watchdog() = default;
  void Run();

  mutable absl::Mutex mu_;
  std::list<Watch::Entry> entries_ ABSL_GUARDED_BY(mu_);
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t fired_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace forum_registry::store

#endif  // FORUM_REGISTRY_STORE_WATCHDOG_H_
