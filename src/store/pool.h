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
// Connections open lazily, up to `size`. When all are in use a caller waits
// until one is returned or its deadline passes, then gets UNAVAILABLE. A
// connection that failed (lost, or marked broken by its user) is closed when
// returned and never handed out again; its place is refilled on demand.
//
// Thread-safe.

#include <memory>
#include <pqxx/connection>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace forum_registry::store {

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

    // The connection must not be reused (an error left it unusable).
    void MarkBroken() { broken_ = true; }

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

  // Lends a connection, waiting until `deadline` if all are in use.
  // UNAVAILABLE if none is free by then or the database cannot be reached.
  absl::StatusOr<Lease> Acquire(absl::Time deadline);

  // Closes idle connections, e.g. after the database restarted; lent ones are
  // closed when returned if they failed.
  void CloseIdle();

  Stats GetStats() const;

  const PoolOptions& options() const { return options_; }

 private:
  void Release(std::unique_ptr<Slot> slot, bool broken);
  absl::StatusOr<std::unique_ptr<Slot>> Connect();

  const PoolOptions options_;
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Slot>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;  // idle + lent + being opened
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace forum_registry::store

#endif  // FORUM_REGISTRY_STORE_POOL_H_
