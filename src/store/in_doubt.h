#ifndef FORUM_REGISTRY_STORE_IN_DOUBT_H_
#define FORUM_REGISTRY_STORE_IN_DOUBT_H_

// What became of a transaction whose COMMIT lost its connection.
//
// The database knows: once it answers again (after a restart, a failover, a
// healed network), pg_xact_status(xid) says whether the transaction is
// still running, committed or aborted. A transaction id can be reused after
// a crash when nothing the transaction wrote reached the WAL on disk, so the
// answer "committed" is trusted only together with a row the write itself
// left (`committed_sql`: its change row, or its stored request id), looked
// up in the same snapshot.
//
//   absl::Status s = RunTransaction(...);          // UNKNOWN, in doubt
//   if (IsCommitInDoubt(s)) s = ResolveCommit(pool, xid, sql, param, until);

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "src/store/pool.h"

namespace forum_registry::store {

// Asks the database, through `pool`, until `until`, what became of the
// transaction `xid` (pg_current_xact_id() as text). `committed_sql` is a
// query of one row and one boolean column, with `param` as $1 and `xid` as
// $2, that is true when the write's own rows exist. Returns OK if the
// transaction committed and a synchronous replica (if any) has it
// (ConfirmReplicated); UNAVAILABLE, saying it was not applied, if it did
// not commit; CommitNotReplicatedError if it committed and no replica
// confirmed it by `until`; and CommitInDoubtError() if the database could
// not tell by `until` (it stays unreachable, or the transaction runs on).
absl::Status ResolveCommit(ConnectionPool& pool, const std::string& xid,
                           const std::string& committed_sql,
                           const std::string& param, absl::Time until);

// Commits a transaction that does nothing but take an id: its COMMIT waits,
// like any write's, for a synchronous replica to have everything committed
// before it. OK once one has; CommitNotReplicatedError if the wait was cut
// short by `until`; on a database without synchronous replicas, at once.
absl::Status ConfirmReplicated(ConnectionPool& pool, absl::Time until);

// How long a writer looks for the outcome of an in-doubt commit, for a call
// with `deadline`: until shortly before the deadline (a margin of a tenth of
// the time left, at most 250 ms, is kept to answer), and at most 30 s.
absl::Time ResolveUntil(absl::Time deadline);

}  // namespace forum_registry::store

#endif  // FORUM_REGISTRY_STORE_IN_DOUBT_H_
