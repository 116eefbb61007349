// A call's deadline and cancellation reach the database (issue 12): the
// statement timeout follows the time left, a cancelled call's work ends and
// is rolled back, no COMMIT is sent after the deadline, and waiting for a
// connection never outlasts the deadline, even while a connect hangs.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <pqxx/pqxx>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "src/store/pool.h"
#include "src/store/transaction.h"
#include "src/store/watchdog.h"
#include "tests/support/test_support.h"

namespace forum_registry::store {
namespace {

using ::forum_registry::testing::TestDatabase;

class DeadlineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = TestDatabase::Create(/*migrate=*/false).release();
    db_->Execute("CREATE TABLE scratch (label text)");
  }
  static void TearDownTestSuite() { delete db_; }

  DeadlineTest()
      : pool_({.url = db_->url(),
               .size = 2,
               .statement_timeout = absl::Seconds(5)}) {}

  // Inserts `label`, then sleeps in the database for `sleep`.
  absl::Status InsertThenSleep(const std::string& label, absl::Duration sleep,
                               absl::Time deadline) {
    return RunTransaction(
        pool_, deadline, [&](ConnectionPool::Lease&, pqxx::work& txn) {
          txn.exec_params("INSERT INTO scratch VALUES ($1)", label);
          txn.exec_params("SELECT pg_sleep($1)", absl::ToDoubleSeconds(sleep));
          return absl::OkStatus();
        });
  }

  static int64_t Rows(const std::string& label) {
    return std::stoll(db_->Query(absl::StrCat(
        "SELECT count(*) FROM scratch WHERE label = '", label, "'")));
  }

  static TestDatabase* db_;
  ConnectionPool pool_;
};

TestDatabase* DeadlineTest::db_ = nullptr;

TEST_F(DeadlineTest, AStatementEndsAtTheCallersDeadlineNotThePoolsTimeout) {
  const absl::Time start = absl::Now();
  const absl::Status status = InsertThenSleep("timeout", absl::Seconds(3),
                                              start + absl::Milliseconds(300));
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_GE(took, absl::Milliseconds(250));
  EXPECT_LT(took, absl::Milliseconds(900)) << "the 5 s pool timeout ruled";
  EXPECT_EQ(Rows("timeout"), 0);
  // The next call has the pool's full timeout again.
  EXPECT_TRUE(InsertThenSleep("after", absl::Milliseconds(600),
                              absl::Now() + absl::Seconds(5))
                  .ok());
  EXPECT_EQ(Rows("after"), 1);
}

TEST_F(DeadlineTest, ACancelledCallsStatementEndsAndItsWorkIsRolledBack) {
  std::atomic<bool> cancelled{false};
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    cancelled = true;
  });
  const absl::Time start = absl::Now();
  absl::Status status;
  {
    const CallScope scope([&] { return cancelled.load(); });
    status = InsertThenSleep("cancelled", absl::Seconds(3),
                             start + absl::Seconds(10));
  }
  const absl::Duration took = absl::Now() - start;
  canceller.join();
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled) << status;
  EXPECT_LT(took, absl::Milliseconds(800));
  EXPECT_EQ(Rows("cancelled"), 0);
  // The pool dropped that connection and lends a working one.
  EXPECT_TRUE(InsertThenSleep("next", absl::ZeroDuration(),
                              absl::Now() + absl::Seconds(5))
                  .ok());
}

TEST_F(DeadlineTest, NoCommitIsSentAfterTheDeadline) {
  const absl::Time deadline = absl::Now() + absl::Milliseconds(200);
  const absl::Status status = RunTransaction(
      pool_, deadline, [&](ConnectionPool::Lease&, pqxx::work& txn) {
        txn.exec("INSERT INTO scratch VALUES ('late')");
        // The work itself is done, but the caller's time runs out before
        // the commit.
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        return absl::OkStatus();
      });
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_EQ(Rows("late"), 0);
}

TEST_F(DeadlineTest, WaitingForAConnectionEndsByTheDeadlineWhileAConnectHangs) {
  // A listener that never answers: the TCP handshake completes (the kernel
  // does it), PostgreSQL's never starts.
  const int silent = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ASSERT_EQ(
      ::bind(silent, reinterpret_cast<sockaddr*>(&address), sizeof(address)),
      0);
  ASSERT_EQ(::listen(silent, 8), 0);
  ASSERT_EQ(
      ::getsockname(silent, reinterpret_cast<sockaddr*>(&address), &length), 0);
  {
    ConnectionPool pool(
        {.url = absl::StrCat("postgresql://127.0.0.1:", ntohs(address.sin_port),
                             "/none?sslmode=disable"),
         .size = 1});
    const absl::Time start = absl::Now();
    const absl::StatusOr<ConnectionPool::Lease> lease =
        pool.Acquire(start + absl::Milliseconds(200));
    const absl::Duration took = absl::Now() - start;
    EXPECT_EQ(lease.status().code(), absl::StatusCode::kUnavailable);
    EXPECT_LT(took, absl::Milliseconds(600))
        << "the caller waited for the connect, not for its deadline";
    // The pool's destructor waits for the connect (connect_timeout).
  }
  ::close(silent);
}

}  // namespace
}  // namespace forum_registry::store
