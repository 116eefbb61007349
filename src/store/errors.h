#ifndef FORUM_REGISTRY_STORE_ERRORS_H_
#define FORUM_REGISTRY_STORE_ERRORS_H_

// The store's boundary: libpqxx throws, everything above the store gets an
// absl::Status. The mapping, by SQLSTATE:
//
//   unique violation (23505)             ALREADY_EXISTS
//   foreign key, on insert or update     INVALID_ARGUMENT (a reference to a
//                                          record that does not exist)
//   foreign key, on delete               FAILED_PRECONDITION (still referred
//   to) check (23514), data exception (22)   INVALID_ARGUMENT exclusion (23P01)
//   FAILED_PRECONDITION serialization failure, deadlock      ABORTED (retry the
//   transaction) query canceled (57014)               DEADLINE_EXCEEDED
//   connection lost, shutdown (08, 57P)  UNAVAILABLE
//   connection lost during COMMIT        UNKNOWN (CommitInDoubtError)
//   anything else                        INTERNAL
//
// Messages a client may read come only from this project's own SQL: text
// raised as 'forum-registry: <field>: <rule>' is passed on without the
// prefix. Any other database text — SQL, table and constraint names — is
// logged and replaced by a generic message.

#include <cstdint>
#include <exception>
#include <map>

#include "absl/status/status.h"

namespace forum_registry::store {

// Converts an exception thrown while using libpqxx into a status.
absl::Status StatusFromException(const std::exception& e);

// A COMMIT whose outcome is unknown: the connection broke after COMMIT was
// sent and before its answer came (libpqxx's in_doubt_error). UNKNOWN, with
// a message that says the write may have been applied, and a payload that
// IsCommitInDoubt recognises. A writer that knows its transaction's id asks
// the database what became of it (in_doubt.h) before answering with this.
inline constexpr char kCommitInDoubtPayload[] =
    "type.forum-registry.org/commit-in-doubt";
absl::Status CommitInDoubtError();
bool IsCommitInDoubt(const absl::Status& status);

// A COMMIT that PostgreSQL made on the primary while no synchronous replica
// confirmed it in time (its wait was cut short): applied, and visible, but
// lost if the primary fails before a replica has it. UNKNOWN as well, for
// the client (it retries with the same request id, whose answer again waits
// for a replica), but not in doubt: there is nothing to look up.
absl::Status CommitNotReplicatedError();

// True if the exception means the connection cannot be used again.
bool IsConnectionBroken(const std::exception& e);

// Failures of the database itself (not refusals of bad records): connection
// losses and failed connects (UNAVAILABLE), timeouts (DEADLINE_EXCEEDED),
// conflicts (ABORTED), unexpected errors (INTERNAL), and commits whose
// outcome stayed unknown (UNKNOWN, counted by ResolveCommit), counted since
// the process started, by status code. For the metrics endpoint.
std::map<int, uint64_t> DatabaseErrorCounts();

// Counts one such failure; StatusFromException and the pool call it.
void CountDatabaseError(absl::StatusCode code);

}  // namespace forum_registry::store

#endif  // FORUM_REGISTRY_STORE_ERRORS_H_
