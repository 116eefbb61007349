#include "src/store/revision_check.h"

#include <exception>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"
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

// A check serves callers with other deadlines than the one that asked
// first: it gets time of its own, and each caller of Current waits only
// until its own deadline.
constexpr absl::Duration kCheckTimeout = absl::Seconds(5);

absl::Status Stopping() {
  return absl::UnavailableError(
      "the server is stopping: the database's current revision was not "
      "asked");
}

}  // namespace

RevisionCheck::RevisionCheck(ConnectionPool* primary)
    : primary_(primary), thread_([this] { Run(); }) {}

RevisionCheck::~RevisionCheck() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

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

void RevisionCheck::Run() {
  const auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !waiting_.empty() || stopping_;
  };
  for (;;) {
    std::vector<Done> batch;
    bool stop;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(&ready));
      batch.swap(waiting_);
      stop = stopping_;
    }
    if (stop) {
      // Then calls back at once from now on.
      for (Done& done : batch) CallBack(std::move(done), Stopping());
      return;
    }
    // Every caller in `batch` called before this query started.
    absl::StatusOr<int64_t> result = Query();
    {
      absl::MutexLock lock(&mu_);
      ++finished_;
    }
    for (Done& done : batch) CallBack(std::move(done), result);
  }
}

void RevisionCheck::CallBack(Done done, const absl::StatusOr<int64_t>& result) {
  // What a callback throws must not end the checker's thread (and with it
  // the process): the callers after it are still called back.
  try {
    std::move(done)(result);
  } catch (const std::exception& e) {
    spdlog::error("revision check: a caller's callback threw: {}", e.what());
  } catch (...) {
    spdlog::error("revision check: a caller's callback threw");
  }
}

void RevisionCheck::Then(Done done) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      waiting_.push_back(std::move(done));
      return;
    }
  }
  CallBack(std::move(done), Stopping());
}

absl::StatusOr<int64_t> RevisionCheck::Current(absl::Time deadline) {
  // From a callback (which should not ask): waiting for the thread it runs
  // on would never end.
  if (std::this_thread::get_id() == thread_.get_id()) {
    absl::StatusOr<int64_t> result = Query();
    absl::MutexLock lock(&mu_);
    ++finished_;
    return result;
  }
  // The answer outlives a caller that stopped waiting for it.
  struct Answer {
    absl::Mutex mu;
    std::optional<absl::StatusOr<int64_t>> result;  // under mu
  };
  const auto answer = std::make_shared<Answer>();
  Then([answer](absl::StatusOr<int64_t> result) {
    absl::MutexLock lock(&answer->mu);
    answer->result = std::move(result);
  });
  absl::MutexLock lock(&answer->mu);
  const auto answered = [&answer] { return answer->result.has_value(); };
  if (!answer->mu.AwaitWithDeadline(absl::Condition(&answered), deadline)) {
    return absl::UnavailableError(
        "the database did not tell its current revision before the "
        "deadline; retry");
  }
  return *std::move(answer->result);
}

int64_t RevisionCheck::checks() const {
  absl::MutexLock lock(&mu_);
  return finished_;
}

}  // namespace forum_registry::store
