#include "src/store/in_doubt.h"

#include <algorithm>
#include <optional>
#include <pqxx/pqxx>

#include "absl/time/clock.h"
#include "spdlog/spdlog.h"
#include "src/store/errors.h"
#include "src/store/transaction.h"

namespace forum_registry::store {
namespace {

// Between two questions while the database does not answer.
constexpr absl::Duration kPause = absl::Milliseconds(100);

enum class Outcome { kCommitted, kAborted, kRunning };

}  // namespace

absl::Time ResolveUntil(absl::Time deadline) {
  const absl::Time now = absl::Now();
  const absl::Time cap = now + absl::Seconds(30);
  if (deadline >= cap) return cap;
  const absl::Duration margin =
      std::min(absl::Milliseconds(250), (deadline - now) / 10);
  return deadline - margin;
}

absl::Status ConfirmReplicated(ConnectionPool& pool, absl::Time until) {
  const absl::Status confirmed =
      RunTransaction(pool, until, [](ConnectionPool::Lease&, pqxx::work& txn) {
        txn.exec("SELECT pg_current_xact_id()");
        return absl::OkStatus();
      });
  // Its own COMMIT cut off at `until`: no replica confirmed in time.
  if (IsCommitInDoubt(confirmed)) return CommitNotReplicatedError();
  return confirmed;
}

absl::Status ResolveCommit(ConnectionPool& pool, const std::string& xid,
                           const std::string& committed_sql,
                           const std::string& param, absl::Time until) {
  absl::Status last;
  while (absl::Now() < until) {
    std::optional<Outcome> outcome;
    last = RunSingleRead(
        pool, until,
        [&](ConnectionPool::Lease&,
            pqxx::transaction_base& txn) -> absl::Status {
          // An id at or past the one this statement is given was never
          // assigned by the database as it is now: a crash lost it, and the
          // transaction never committed (pg_xact_status refuses such ids).
          // The commit log says "committed" as soon as the commit record is
          // written, before the transaction stops running (it may still
          // wait for a synchronous replica): only once it is visible to a
          // snapshot can the absence of its rows mean it was not ours.
          const pqxx::row row = txn.exec_params1(
              "SELECT CASE WHEN $2::xid8 >= pg_current_xact_id() THEN "
              "'aborted' ELSE pg_xact_status($2::xid8) END AS status, "
              "pg_visible_in_snapshot($2::xid8, pg_current_snapshot()) AS "
              "visible, (" +
                  committed_sql + ") AS written",
              param, xid);
          const std::string status =
              row["status"].is_null() ? "" : row["status"].as<std::string>();
          if (row["written"].as<bool>()) {
            outcome = Outcome::kCommitted;  // its own rows are there
          } else if (status == "in progress" ||
                     (status == "committed" && !row["visible"].as<bool>())) {
            outcome = Outcome::kRunning;
          } else {
            // Aborted, lost in a crash, or an id reused since by another
            // transaction (its rows would be there otherwise); NULL is an
            // id so old its status is gone, which cannot be a transaction
            // this process just ran.
            outcome = Outcome::kAborted;
          }
          return absl::OkStatus();
        });
    if (outcome == Outcome::kCommitted) {
      spdlog::info("in-doubt commit of transaction {}: committed", xid);
      // Committed, but a replica may not have it (a lost connection cuts a
      // COMMIT's wait for a synchronous replica short). A transaction of
      // our own that commits later is confirmed only once a replica has
      // everything before it.
      return ConfirmReplicated(pool, until);
    }
    if (outcome == Outcome::kAborted) {
      spdlog::info("in-doubt commit of transaction {}: not committed", xid);
      return absl::UnavailableError(
          "the connection to the database was lost during COMMIT, and the "
          "database says the write was not applied; it is safe to retry");
    }
    absl::SleepFor(std::min(kPause, until - absl::Now()));
  }
  // Counted here, once the outcome is known to stay unknown (errors.h).
  CountDatabaseError(absl::StatusCode::kUnknown);
  spdlog::warn(
      "in-doubt commit of transaction {}: unknown by the deadline ({})", xid,
      last.ToString());
  return CommitInDoubtError();
}

}  // namespace forum_registry::store
