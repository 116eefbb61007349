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
//   absl::Status s = RunTransaction(pool, deadline,
//       [&](ConnectionPool::Lease& lease, pqxx::work& txn) -> absl::Status {
//         lease.Prepare("forums.get", kGetSql);
//         pqxx::result r = txn.exec_prepared("forums.get", name);
//         ...
//         return absl::OkStatus();
//       });

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "src/store/errors.h"
#include "src/store/pool.h"

namespace forum_registry::store {

template <typename Txn = pqxx::work, typename Fn>
absl::Status RunTransaction(ConnectionPool& pool, absl::Time deadline,
                            Fn&& fn) {
  absl::StatusOr<ConnectionPool::Lease> lease = pool.Acquire(deadline);
  if (!lease.ok()) return lease.status();
  try {
    Txn txn(lease->connection());
    absl::Status status = fn(*lease, txn);
    if (status.ok()) txn.commit();
    return status;
  } catch (const std::exception& e) {
    if (IsConnectionBroken(e)) lease->MarkBroken();
    return StatusFromException(e);
  }
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
