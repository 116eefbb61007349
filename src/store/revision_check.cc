#include "src/store/revision_check.h"

#include <pqxx/pqxx>
#include <string>

#include "absl/strings/str_cat.h"
#include "src/store/change_log.h"
#include "src/store/transaction.h"

namespace forum_registry::store {
namespace {

constexpr char kStatementName[] = "changes.newest";

const std::string& StatementSql() {
  static const std::string* const sql =
      new std::string(absl::StrCat("SELECT ", kNewestRevisionSql));
  return *sql;
}

// A check serves callers with other deadlines than the one that runs it: it
// gets time of its own, and each caller waits only until its own deadline.
constexpr absl::Duration kCheckTimeout = absl::Seconds(5);

}  // namespace

RevisionCheck::RevisionCheck(ConnectionPool* primary) : primary_(primary) {}

absl::StatusOr<int64_t> RevisionCheck::Query() {
  int64_t revision = 0;
  absl::Status status = RunSingleRead(
      *primary_, absl::Now() + kCheckTimeout,
      [&](ConnectionPool::Lease& lease,
          pqxx::transaction_base& txn) -> absl::Status {
        lease.Prepare(kStatementName, StatementSql());
        revision = txn.exec_prepared1(kStatementName)[0].as<int64_t>();
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return revision;
}

absl::StatusOr<int64_t> RevisionCheck::Current(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  // The first check that starts from now on.
  const int64_t needed = started_ + 1;
  const auto done = [this, needed]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return finished_ >= needed || !running_;
  };
  while (finished_ < needed) {
    if (!running_) {
      running_ = true;
      const int64_t check = ++started_;
      mu_.Unlock();
      absl::StatusOr<int64_t> result = Query();
      mu_.Lock();
      running_ = false;
      finished_ = check;
      result_ = std::move(result);
      break;
    }
    if (!mu_.AwaitWithDeadline(absl::Condition(&done), deadline)) {
      return absl::UnavailableError(
          "the database did not tell its current revision before the "
          "deadline; retry");
    }
  }
  return result_;
}

int64_t RevisionCheck::checks() const {
  absl::MutexLock lock(&mu_);
  return finished_;
}

}  // namespace forum_registry::store
