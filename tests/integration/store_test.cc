// The store against a real PostgreSQL: the connection pool, the mapping of
// database errors to statuses, and what the database guarantees on its own.

#include <atomic>
#include <chrono>
#include <pqxx/pqxx>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "forumregistry/v1/forum.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/store/kinds.h"
#include "src/store/migrator.h"
#include "src/store/pool.h"
#include "src/store/resource_store.h"
#include "src/store/transaction.h"
#include "tests/support/test_support.h"

namespace forum_registry::store {
namespace {

using ::forum_registry::testing::TestDatabase;
using ::testing::HasSubstr;
using ::testing::Not;

class StoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { db_ = TestDatabase::Create().release(); }
  static void TearDownTestSuite() { delete db_; }

  static PoolOptions Options(int size = 2) {
    return {
        .url = db_->url(), .size = size, .statement_timeout = absl::Seconds(5)};
  }

  // Runs `sql` through RunTransaction and returns the status it maps to.
  static absl::Status Exec(ConnectionPool& pool, const std::string& sql) {
    return RunTransaction(pool, absl::Now() + absl::Seconds(5),
                          [&](ConnectionPool::Lease&, pqxx::work& txn) {
                            txn.exec(sql);
                            return absl::OkStatus();
                          });
  }

  static std::string Message(const absl::Status& status) {
    return std::string(status.message());
  }

  static TestDatabase* db_;
};

TestDatabase* StoreTest::db_ = nullptr;

TEST_F(StoreTest, PoolLendsUpToItsSizeThenCallersWaitUntilTheDeadline) {
  ConnectionPool pool(Options(/*size=*/1));
  absl::StatusOr<ConnectionPool::Lease> first =
      pool.Acquire(absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(pool.GetStats().in_use, 1);

  const absl::Time start = absl::Now();
  absl::StatusOr<ConnectionPool::Lease> second =
      pool.Acquire(start + absl::Milliseconds(200));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(Message(second.status()), HasSubstr("busy"));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(190))
      << "the caller waited for its deadline";
}

TEST_F(StoreTest, PoolHandsAReturnedConnectionToAWaitingCaller) {
  ConnectionPool pool(Options(/*size=*/1));
  auto first = std::make_unique<absl::StatusOr<ConnectionPool::Lease>>(
      pool.Acquire(absl::Now() + absl::Seconds(5)));
  ASSERT_TRUE(first->ok());
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    first.reset();
  });
  absl::StatusOr<ConnectionPool::Lease> second =
      pool.Acquire(absl::Now() + absl::Seconds(5));
  releaser.join();
  EXPECT_TRUE(second.ok()) << second.status();
}

TEST_F(StoreTest, PoolReplacesABrokenConnectionAndNeverLendsItAgain) {
  ConnectionPool pool(Options(/*size=*/1));
  int first_backend = 0;
  ASSERT_TRUE(
      RunTransaction(pool, absl::Now() + absl::Seconds(5),
                     [&](ConnectionPool::Lease&, pqxx::work& txn) {
                       first_backend =
                           txn.exec1("SELECT pg_backend_pid()")[0].as<int>();
                       return absl::OkStatus();
                     })
          .ok());
  // The server ends that session, as a restart or a failover would.
  db_->Query(absl::StrCat("SELECT pg_terminate_backend(", first_backend, ")"));

  // The next use finds the connection dead: UNAVAILABLE, and it is dropped.
  const absl::Status lost = Exec(pool, "SELECT 1");
  EXPECT_EQ(lost.code(), absl::StatusCode::kUnavailable) << lost;
  EXPECT_EQ(pool.GetStats().idle, 0);

  // The one after gets a new, working connection.
  int second_backend = 0;
  ASSERT_TRUE(
      RunTransaction(pool, absl::Now() + absl::Seconds(5),
                     [&](ConnectionPool::Lease&, pqxx::work& txn) {
                       second_backend =
                           txn.exec1("SELECT pg_backend_pid()")[0].as<int>();
                       return absl::OkStatus();
                     })
          .ok());
  EXPECT_NE(second_backend, first_backend);
}

TEST_F(StoreTest, PoolReportsUnavailableWhenTheDatabaseCannotBeReached) {
  ConnectionPool pool(
      {.url = "postgresql:///no_such_database_here?host=/nonexistent",
       .size = 1});
  absl::StatusOr<ConnectionPool::Lease> lease =
      pool.Acquire(absl::Now() + absl::Seconds(5));
  EXPECT_EQ(lease.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(Message(lease.status()), Not(HasSubstr("nonexistent")))
      << "connection details stay in the log";
  EXPECT_EQ(pool.GetStats().in_use, 0) << "the failed slot is given back";
}

// A plan above jit_above_cost had been compiled by LLVM on every run: the
// change feed's read of a large log, 2 ms to run, 350 ms to compile
// (decisions §78).
TEST_F(StoreTest, PoolConnectionsCompileNoPlan) {
  ConnectionPool pool(Options(/*size=*/1));
  const absl::Status status = RunTransaction(
      pool, absl::Now() + absl::Seconds(5),
      [&](ConnectionPool::Lease&, pqxx::work& txn) {
        EXPECT_EQ(txn.exec1("SHOW jit")[0].as<std::string>(), "off");
        return absl::OkStatus();
      });
  EXPECT_TRUE(status.ok()) << status;
}

TEST_F(StoreTest, StatementTimeoutIsDeadlineExceeded) {
  ConnectionPool pool({.url = db_->url(),
                       .size = 1,
                       .statement_timeout = absl::Milliseconds(100)});
  const absl::Status status = Exec(pool, "SELECT pg_sleep(2)");
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
}

TEST_F(StoreTest, PreparesEachStatementOncePerConnection) {
  ConnectionPool pool(Options(/*size=*/1));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(RunTransaction(
                    pool, absl::Now() + absl::Seconds(5),
                    [&](ConnectionPool::Lease& lease, pqxx::work& txn) {
                      lease.Prepare("store_test.one", "SELECT $1::int");
                      EXPECT_EQ(
                          txn.exec_prepared1("store_test.one", i)[0].as<int>(),
                          i);
                      return absl::OkStatus();
                    })
                    .ok());
  }
  const absl::Status status = RunTransaction(
      pool, absl::Now() + absl::Seconds(5),
      [&](ConnectionPool::Lease&, pqxx::work& txn) {
        EXPECT_EQ(txn.exec1("SELECT count(*) FROM pg_prepared_statements "
                            "WHERE name = 'store_test.one'")[0]
                      .as<int>(),
                  1);
        return absl::OkStatus();
      });
  EXPECT_TRUE(status.ok()) << status;
}

// The SQLSTATE mapping of ARCHITECTURE.md, each provoked for real.
TEST_F(StoreTest, MapsDatabaseErrorsToStatuses) {
  ConnectionPool pool(Options());
  struct Case {
    const char* sql;
    absl::StatusCode code;
  };
  const Case cases[] = {
      // unique violation
      {"INSERT INTO participants (name, body) VALUES "
       "('participants/dup', "
       "'{\"kind\":\"PARTICIPANT_KIND_STATE\",\"display_name\":\"A\"}'),"
       "('participants/dup', "
       "'{\"kind\":\"PARTICIPANT_KIND_STATE\",\"display_name\":\"A\"}')",
       absl::StatusCode::kAlreadyExists},
      // foreign key, on insert: a reference to nothing
      {"INSERT INTO participant_references VALUES "
       "('forums/x', 'initiated_by', 'participants/nobody')",
       absl::StatusCode::kInvalidArgument},
      // check constraint
      {"INSERT INTO forums (name, body) VALUES "
       "('forums/Bad Name', "
       "'{\"kind\":\"FORUM_KIND_SUMMIT\",\"display_name\":\"x\"}')",
       absl::StatusCode::kInvalidArgument},
      // exclusion violation
      {"DO $$ BEGIN RAISE exclusion_violation; END $$",
       absl::StatusCode::kFailedPrecondition},
      // serialization failure and deadlock
      {"DO $$ BEGIN RAISE serialization_failure; END $$",
       absl::StatusCode::kAborted},
      {"DO $$ BEGIN RAISE deadlock_detected; END $$",
       absl::StatusCode::kAborted},
      // connection loss
      {"SELECT pg_terminate_backend(pg_backend_pid())",
       absl::StatusCode::kUnavailable},
      // anything else
      {"SELECT * FROM no_such_table", absl::StatusCode::kInternal},
  };
  for (const Case& c : cases) {
    const absl::Status status = Exec(pool, c.sql);
    EXPECT_EQ(status.code(), c.code) << c.sql << "\n" << status;
    // A client never sees SQL or internal names.
    EXPECT_THAT(Message(status), Not(HasSubstr("INSERT"))) << c.sql;
    EXPECT_THAT(Message(status), Not(HasSubstr("_fkey"))) << c.sql;
    EXPECT_THAT(Message(status), Not(HasSubstr("no_such_table"))) << c.sql;
  }
}

TEST_F(StoreTest, ForeignKeyOnDeleteIsFailedPrecondition) {
  ConnectionPool pool(Options());
  ASSERT_TRUE(
      Exec(pool,
           "INSERT INTO participants (name, body) VALUES ('participants/held', "
           "'{\"kind\":\"PARTICIPANT_KIND_STATE\",\"display_name\":\"Held\"}');"
           "INSERT INTO forums (name, body) VALUES ('forums/holder', "
           "'{\"kind\":\"FORUM_KIND_SUMMIT\",\"display_name\":\"H\","
           "\"initiated_by\":[\"participants/held\"]}')")
          .ok());
  const absl::Status status =
      Exec(pool, "DELETE FROM participants WHERE name = 'participants/held'");
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
}

TEST_F(StoreTest, DatabaseWrittenMessagesReachTheClientWithoutPrefix) {
  ConnectionPool pool(Options());
  const absl::Status status =
      Exec(pool,
           "INSERT INTO forums (name, body) VALUES ('forums/orphan', "
           "'{\"kind\":\"FORUM_KIND_SUMMIT\",\"display_name\":\"O\",\"parent\":"
           "\"forums/none\"}')");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(status), "forum.parent: forums/none does not exist");
}

TEST_F(StoreTest, EveryWriteLeavesAChangeRowInItsTransaction) {
  ConnectionPool pool(Options());
  ResourceStore forums(
      &pool, &pool,
      KindOf(*domain::FindByMessage(forumregistry::v1::Forum::descriptor())));
  const int64_t before = db_->Count("changes");
  forumregistry::v1::Forum forum;
  forum.set_kind(forumregistry::v1::FORUM_KIND_SUMMIT);
  forum.set_display_name("Logged");
  forum.set_status(forumregistry::v1::FORUM_STATUS_ACTIVE);
  forumregistry::v1::Forum stored;
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  ASSERT_TRUE(forums.Create("forums/logged", forum, &stored, deadline).ok());
  ASSERT_TRUE(
      forums.Delete("forums/logged", stored.etag(), /*force=*/false, deadline)
          .ok());
  EXPECT_EQ(db_->Count("changes"), before + 2);
  EXPECT_EQ(
      db_->Query(
          "SELECT string_agg(operation, ',' ORDER BY sequence) FROM changes "
          "WHERE resource = 'forums/logged'"),
      "CREATE,DELETE");

  // A transaction that rolls back leaves no change row behind.
  const absl::Status failed = RunTransaction(
      pool, deadline, [&](ConnectionPool::Lease&, pqxx::work& txn) {
        txn.exec(
            "INSERT INTO forums (name, body) VALUES ('forums/rolled-back', "
            "'{\"kind\":\"FORUM_KIND_SUMMIT\",\"display_name\":\"R\"}')");
        return absl::AbortedError("changed my mind");
      });
  EXPECT_EQ(failed.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(db_->Count("changes"), before + 2);
  EXPECT_EQ(
      db_->Query(
          "SELECT count(*) FROM forums WHERE name = 'forums/rolled-back'"),
      "0");
}

TEST_F(StoreTest, MigrateRefusesAChangedMigrationAndNamesTheFile) {
  std::vector<MigrationFile> edited = EmbeddedMigrations();
  edited.front().sql += "\n-- an edit after release\n";
  const absl::StatusOr<MigrationReport> report = Migrate(db_->url(), edited);
  EXPECT_EQ(report.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(report.status()), HasSubstr(edited.front().file_name));
}

TEST_F(StoreTest, PendingMigrationsListsWhatIsNotApplied) {
  absl::StatusOr<std::vector<std::string>> pending =
      PendingMigrations(db_->url());
  ASSERT_TRUE(pending.ok()) << pending.status();
  EXPECT_TRUE(pending->empty());
  std::vector<MigrationFile> more = EmbeddedMigrations();
  more.push_back({"9999_future.sql", "SELECT 1"});
  pending = PendingMigrations(db_->url(), more);
  ASSERT_TRUE(pending.ok());
  EXPECT_THAT(*pending, ::testing::ElementsAre("9999_future.sql"));
}

TEST_F(StoreTest, MigrationVersionComesFromTheFileName) {
  EXPECT_EQ(*MigrationVersion("0012_more.sql"), 12);
  EXPECT_FALSE(MigrationVersion("more.sql").ok());
  EXPECT_FALSE(MigrationVersion("0000_zero.sql").ok());
}

}  // namespace
}  // namespace forum_registry::store
