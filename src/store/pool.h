#ifndef FORUM_REGISTRY_STORE_POOL_H_
#define FORUM_REGISTRY_STORE_POOL_H_

// A fixed-size pool of PostgreSQL connections.
//
// libpqxx is blocking and a connection belongs to one thread at a time, so
// each RPC borrows a connection for the length of one transaction and gives it
// back. The size is a flag (--pool-size, 4 by default); keep replicas times
// pool size below the database's max_connections.
//
//   absl::StatusOr<ConnectionPool::Lease> lease = pool.Acquire(deadline);
//   if (!lease.ok()) return lease.status();     // UNAVAILABLE after deadline
//   lease->Prepare("forums.get", "SELECT ...");  // once per connection
//   pqxx::work txn(lease->connection());
//
// Connections open lazily, up to `size`, on a thread of their own: a caller
// waits for a connection (returned or newly opened) only until its deadline,
// then gets UNAVAILABLE, even while a connect hangs on a server that does not
// answer. A connect that fails is reported at once to the callers waiting.
// A connection that failed (lost, or marked broken by its user) is closed
// when returned and never handed out again; its place is refilled on demand.
//
// Every connection gets the settings of WithConnectionDefaults unless the URL
// sets them: connecting is bounded, and TCP keepalives and a user timeout
// notice a peer that vanished.
//
// Thread-safe.

#include <map>
#include <memory>
#include <optional>
#include <pqxx/connection>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace forum_registry::store {

// `url` (a libpq URL or connection string) as a connection string with the
// settings this program relies on added where `url` leaves them unset:
//   connect_timeout=3                      a connect gives up after 3 s
//   keepalives=1, keepalives_idle=10,      an idle connection whose peer
//     keepalives_interval=5,                 vanished is closed within ~25 s
//     keepalives_count=3
//   tcp_user_timeout=15000                 so is one whose sent data goes
//                                            unacknowledged for 15 s
//   options: -c jit=off                    no JIT compilation of a plan
//                                            (decisions §78), added to the
//                                            URL's options (or PGOPTIONS's,
//                                            without them) unless they set
//                                            jit
// INVALID_ARGUMENT if libpq cannot parse `url`.
absl::StatusOr<std::string> WithConnectionDefaults(const std::string& url);

struct PoolOptions {
  // libpq connection string or URL.
  std::string url;
  // Most connections open at once.
  int size = 4;
  // Longest a statement may run before the server cancels it.
  absl::Duration statement_timeout = absl::Seconds(5);
  // Shown in pg_stat_activity.
  std::string application_name = "forum-registry";
};

class ConnectionPool {
 private:
  struct Slot {
    std::unique_ptr<pqxx::connection> connection;
    std::set<std::string> prepared;
    // Statements prepared by their text (PrepareText): text -> name.
    std::map<std::string, std::string, std::less<>> prepared_text;
    int64_t statement_timeout_ms = 0;  // as set on the connection
  };

 public:
  // A borrowed connection; returned to the pool when destroyed.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease();

    pqxx::connection& connection() { return *slot_->connection; }

    // Prepares `sql` under `name` on this connection unless it already is.
    // Statements stay prepared for the connection's life.
    void Prepare(const std::string& name, const std::string& sql);

    // The name `sql` is prepared under on this connection, preparing it the
    // first time, for statements this program builds (a List's, whose text
    // depends on its filter and order): at most `max` of them a
    // connection, so a caller varying filters cannot grow it without
    // bound; nullopt past that (run it unprepared).
    std::optional<std::string> PrepareText(const std::string& sql,
                                           size_t max = 64);

    // The connection must not be reused (an error left it unusable).
    void MarkBroken() { broken_ = true; }

    // Fits the connection's statement timeout to a call that must end by
    // `deadline`: at most the time left (so the server ends a statement
    // the caller no longer waits for), at most the pool's statement timeout,
    // and at least 80 % of the smaller of the two (so calls with similar
    // deadlines reuse the setting instead of a round trip each).
    // DEADLINE_EXCEEDED if `deadline` has passed. May throw as libpqxx does.
    absl::Status FitStatementTimeout(absl::Time deadline);

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool* pool, std::unique_ptr<Slot> slot)
        : pool_(pool), slot_(std::move(slot)) {}

    ConnectionPool* pool_;
    std::unique_ptr<Slot> slot_;
    bool broken_ = false;
  };

  struct Stats {
    int size = 0;     // the most connections allowed
    int in_use = 0;   // lent out now
    int idle = 0;     // open and waiting in the pool
    int waiting = 0;  // callers waiting for a connection
  };

  explicit ConnectionPool(PoolOptions options);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Lends a connection, waiting until `deadline` if all are in use or a new
  // one is being opened. UNAVAILABLE if none is free by then or the database
  // cannot be reached.
  absl::StatusOr<Lease> Acquire(absl::Time deadline);

  // Closes idle connections, e.g. after the database restarted; lent ones are
  // closed when returned if they failed.
  void CloseIdle();

  Stats GetStats() const;

  const PoolOptions& options() const { return options_; }

 private:
  void Release(std::unique_ptr<Slot> slot, bool broken);
  absl::StatusOr<std::unique_ptr<Slot>> Connect();
  // Opens one connection on a thread of its own; it joins idle_.
  // false if no thread could be started (nothing changed then).
  bool StartConnect() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const PoolOptions options_;
  const std::string conninfo_;  // options_.url WithConnectionDefaults
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Slot>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;  // idle + lent + being opened
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
  int connecting_ ABSL_GUARDED_BY(mu_) = 0;
  // Connects that failed, and why the last one did.
  uint64_t connect_failures_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status last_connect_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace forum_registry::store

#endif  // FORUM_REGISTRY_STORE_POOL_H_
