#ifndef FORUM_REGISTRY_STORE_TRANSACTION_H_
#define FORUM_REGISTRY_STORE_TRANSACTION_H_

// Runs a function in one database transaction on a pooled connection:
// commits if it returns OK, rolls back otherwise, and turns anything libpqxx
// throws into a status (see errors.h). A connection that failed is marked
// broken, so the pool never lends it again.
//
// The function gets the lease and the transaction (pqxx::work, or
// pqxx::nontransaction for RunSingleRead).
//
// The caller's deadline reaches the database: each statement's timeout is at
// most the time left (Lease::FitStatementTimeout), the watchdog
// (watchdog.h) shuts the connection down if the call is cancelled or the
// database does not answer past the deadline, and no COMMIT is sent once the
// deadline has passed or the call was cancelled: the transaction is rolled
// back and the caller gets DEADLINE_EXCEEDED or CANCELLED. A COMMIT sent in
// time but still running past the deadline (waiting for a synchronous
// replica) is cut off too, and reported in doubt. A COMMIT that
// PostgreSQL made on the primary without the synchronous replica's
// confirmation it waits for is CommitNotReplicatedError (errors.h), and one
// whose connection broke is CommitInDoubtError (in_doubt.h resolves it).
//
//   absl::Status s = RunTransaction(pool, deadline,
//       [&](ConnectionPool::Lease& lease, pqxx::work& txn) -> absl::Status {
//         lease.Prepare("forums.get", kGetSql);
//         pqxx::result r = txn.exec_prepared("forums.get", name);
//         ...
//         return absl::OkStatus();
//       });

#include <cstring>
#include <pqxx/pqxx>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "src/store/errors.h"
#include "src/store/pool.h"
#include "src/store/watchdog.h"

namespace forum_registry::store {

// Notices a COMMIT whose wait for a synchronous replica PostgreSQL cut
// short (the statement timeout, a cancel, a lost client): the transaction
// committed on the primary only, and PostgreSQL reports success with a
// WARNING ("canceling wait for synchronous replication ... has already
// committed locally, but might not have been replicated").
//
// That text is in the language of the session's lc_messages, which the
// serving role cannot set, and its SQLSTATE is the generic 01000; what
// names it in every language is where it comes from, the function
// SyncRepWaitForLSN, which libpq adds to a notice's text (LOCATION) only
// at verbose verbosity. So the watch makes the connection verbose for as
// long as it lives (the COMMIT) and restores it after: errors keep their
// usual text everywhere else. (errors.cc reads an error's SQLSTATE from its
// field and our own message from its prefix, so a COMMIT's verbose error
// text changes no status.)
class ReplicaWaitWatch final : public pqxx::errorhandler {
 public:
  explicit ReplicaWaitWatch(pqxx::connection_base& connection)
      : pqxx::errorhandler(connection),
        connection_(connection),
        verbosity_(connection.get_verbosity()) {
    connection_.set_verbosity(pqxx::connection_base::verbose);
  }
  ~ReplicaWaitWatch() override { connection_.set_verbosity(verbosity_); }
  ReplicaWaitWatch(const ReplicaWaitWatch&) = delete;
  ReplicaWaitWatch& operator=(const ReplicaWaitWatch&) = delete;

  bool operator()(const char message[]) noexcept override {
    if (std::strstr(message, "SyncRepWaitForLSN") != nullptr) {
      cut_short_ = true;
    }
    return true;  // still logged as before
  }
  bool cut_short() const { return cut_short_; }

 private:
  pqxx::connection_base& connection_;
  const pqxx::connection_base::error_verbosity verbosity_;
  bool cut_short_ = false;
};

template <typename Txn = pqxx::work, typename Fn>
absl::Status RunTransaction(ConnectionPool& pool, absl::Time deadline,
                            Fn&& fn) {
  absl::StatusOr<ConnectionPool::Lease> lease = pool.Acquire(deadline);
  if (!lease.ok()) return lease.status();
  Watchdog::Watch watch(lease->connection(), deadline);
  absl::Status status;
  try {
    status = lease->FitStatementTimeout(deadline);
    if (status.ok()) {
      Txn txn(lease->connection());
      status = fn(*lease, txn);
      if constexpr (!std::is_same_v<Txn, pqxx::nontransaction>) {
        if (status.ok() && watch.Over()) {
          status = watch.Why();  // rolled back, not committed
        }
        // The watch stays on through COMMIT: a COMMIT still waiting past
        // the deadline (for a synchronous replica, which no statement
        // timeout ends) is cut off, and its outcome is in doubt.
      }
      if (status.ok()) {
        if constexpr (std::is_same_v<Txn, pqxx::nontransaction>) {
          txn.commit();  // a read: nothing to replicate
        } else {
          ReplicaWaitWatch replica(lease->connection());
          txn.commit();
          if (replica.cut_short()) status = CommitNotReplicatedError();
        }
      }
    }
  } catch (const std::exception& e) {
    if (IsConnectionBroken(e)) lease->MarkBroken();
    // A COMMIT cut off is in doubt, whoever cut it.
    const bool in_doubt =
        dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr;
    status = watch.Fired() && !in_doubt ? watch.Why() : StatusFromException(e);
  }
  // A socket the watchdog shut down, even after the last statement, must
  // not go back to the pool.
  watch.Disarm();
  if (watch.Fired()) lease->MarkBroken();
  return status;
}

// For a read that is one statement: no BEGIN and COMMIT round trips, and the
// statement is its own snapshot. (A read of several statements that must
// agree needs RunTransaction.)
template <typename Fn>
absl::Status RunSingleRead(ConnectionPool& pool, absl::Time deadline, Fn&& fn) {
  return RunTransaction<pqxx::nontransaction>(pool, deadline,
                                              std::forward<Fn>(fn));
}

}  // namespace forum_registry::store

#endif  // FORUM_REGISTRY_STORE_TRANSACTION_H_
