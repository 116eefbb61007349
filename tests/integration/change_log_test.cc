// The change log is read in revision order by followers that remember only
// the highest revision they have seen. That works only if revisions follow
// commit order: here writers commit in another order than they wrote, some
// roll back, and a follower polling all the while must read exactly the
// committed changes, each once, in one order.

#include "src/store/change_log.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "forumregistry/v1/participant.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/domain/resource_registry.h"
#include "src/store/kinds.h"
#include "src/store/migrator.h"
#include "src/store/pool.h"
#include "src/store/resource_store.h"
#include "src/store/revision_check.h"
#include "tests/support/test_support.h"

namespace forum_registry {
namespace {

using ::forum_registry::testing::TestDatabase;

// The statement that records participants/<id>, a state named <id>.
std::string InsertParticipant(absl::string_view id) {
  return absl::StrCat(
      "INSERT INTO participants (name, body) VALUES ('participants/", id,
      "', '{\"kind\": \"PARTICIPANT_KIND_STATE\", \"display_name\": \"", id,
      "\"}');");
}

struct Read {
  int64_t revision;
  std::string resource;
};

// Everything in the log after `after`, in revision order.
std::vector<Read> ReadAfter(pqxx::connection& connection, int64_t after) {
  pqxx::nontransaction txn(connection);
  std::vector<Read> out;
  for (const auto& row : txn.exec_params(
           "SELECT sequence, resource FROM changes WHERE sequence > $1 "
           "ORDER BY sequence",
           after)) {
    out.push_back(
        {row["sequence"].as<int64_t>(), row["resource"].as<std::string>()});
  }
  return out;
}

TEST(ChangeLog, AFollowerOfTheHighestRevisionMissesNoCommittedChange) {
  auto db = TestDatabase::Create();
  pqxx::connection setup(db->url());
  const int64_t start = [&] {
    pqxx::nontransaction txn(setup);
    return txn.exec1("SELECT coalesce(max(sequence), 0) FROM changes")[0]
        .as<int64_t>();
  }();

  // The follower: polls for what is after the highest revision it has seen.
  std::atomic<bool> writers_done{false};
  std::vector<Read> followed;
  std::thread follower([&] {
    pqxx::connection connection(db->url());
    int64_t cursor = start;
    bool last_pass = false;
    while (true) {
      const bool done = writers_done.load();
      for (Read& read : ReadAfter(connection, cursor)) {
        cursor = read.revision;
        followed.push_back(std::move(read));
      }
      if (last_pass) break;
      last_pass = done;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });

  // 16 writers; each writes early and commits (or rolls back) after a
  // random delay, so the order of writing is not the order of committing.
  const int committed = forum_registry::testing::WriteOutOfOrder(
      db->url(), "w", /*writers=*/16, /*rounds=*/6);
  writers_done = true;
  follower.join();

  const std::vector<Read> logged = ReadAfter(setup, start);
  EXPECT_EQ(static_cast<int>(logged.size()), committed);
  ASSERT_EQ(followed.size(), logged.size())
      << "the follower missed committed changes (or saw uncommitted ones)";
  for (size_t i = 0; i < logged.size(); ++i) {
    EXPECT_EQ(followed[i].revision, logged[i].revision);
    EXPECT_EQ(followed[i].resource, logged[i].resource);
  }
  // Nothing rolled back was logged: every logged record exists.
  pqxx::nontransaction txn(setup);
  EXPECT_EQ(txn.exec1("SELECT count(*) FROM changes c WHERE c.sequence > " +
                      std::to_string(start) +
                      " AND NOT EXISTS (SELECT 1 FROM participants p "
                      "WHERE p.name = c.resource)")[0]
                .as<int64_t>(),
            0);
}

// The revisions a transaction produced can be found after its commit by its
// transaction id: that is how a writer learns the revision of its write.
TEST(ChangeLog, ATransactionFindsItsRevisionsByItsId) {
  auto db = TestDatabase::Create();
  pqxx::connection connection(db->url());
  std::string xid;
  {
    pqxx::work txn(connection);
    xid = txn.exec1(
                 "INSERT INTO participants (name, body) VALUES "
                 "('participants/x', '{\"kind\": \"PARTICIPANT_KIND_STATE\", "
                 "\"display_name\": \"X\"}') RETURNING pg_current_xact_id()")[0]
              .as<std::string>();
    // Not yet logged: the row is written at commit.
    EXPECT_EQ(txn.exec1("SELECT count(*) FROM changes WHERE resource = "
                        "'participants/x'")[0]
                  .as<int>(),
              0);
    txn.commit();
  }
  pqxx::nontransaction txn(connection);
  const pqxx::row found = txn.exec_params1(
      "SELECT max(sequence) AS revision, count(*) AS n FROM changes "
      "WHERE transaction = $1::xid8",
      xid);
  EXPECT_EQ(found["n"].as<int>(), 1);
  EXPECT_EQ(found["revision"].as<int64_t>(),
            txn.exec1("SELECT max(sequence) FROM changes")[0].as<int64_t>());
}

// Retention: changes older than it go, the newest always stays (it holds the
// current revision), a call deletes at most a batch, and while one replica
// purges another skips.
TEST(ChangeLog, PurgeCompactsWhatIsOlderThanTheRetentionButTheNewest) {
  auto db = TestDatabase::Create();
  store::ConnectionPool pool({.url = db->url(), .size = 2});
  for (const char* id : {"a", "b", "c"}) db->Execute(InsertParticipant(id));
  db->Execute(
      "UPDATE participants SET body = body || '{\"display_name\": \"A\"}' "
      "WHERE name = 'participants/a'");
  db->Execute("DELETE FROM participants WHERE name = 'participants/b'");
  db->Execute(InsertParticipant("d"));
  // The log: a, b, c created, a updated, b deleted (two hours ago); d now.
  db->Execute(
      "UPDATE changes SET change_time = now() - interval '2 hours' "
      "WHERE resource <> 'participants/d'");
  const auto log = [&] {
    return db->Query(
        "SELECT string_agg(resource || ':' || operation, ',' ORDER BY "
        "sequence) FROM changes");
  };
  const absl::Time deadline = absl::Now() + absl::Seconds(10);

  // Another replica holds the purge lock: this one skips, deleting nothing.
  {
    pqxx::connection other(db->url());
    pqxx::work holding(other);
    holding.exec("SELECT pg_advisory_xact_lock(x'66722d7075726765'::bigint)");
    const auto skipped =
        store::PurgeChanges(&pool, absl::Hours(1), 2, deadline);
    ASSERT_TRUE(skipped.ok()) << skipped.status();
    EXPECT_FALSE(skipped->has_value());
    EXPECT_EQ(db->Count("changes"), 6);
  }

  // Batches of two move the horizon over the oldest changes. Past a and
  // b's creations: each is still its record's latest, and stays.
  const auto first = store::PurgeChanges(&pool, absl::Hours(1), 2, deadline);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ(**first, 2);
  EXPECT_EQ(
      log(),
      "participants/a:CREATE,participants/b:CREATE,participants/c:CREATE,"
      "participants/a:UPDATE,participants/b:DELETE,participants/d:CREATE");
  // Past c's creation and a's update: a's creation is no longer needed.
  const auto second = store::PurgeChanges(&pool, absl::Hours(1), 2, deadline);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(**second, 2);
  EXPECT_EQ(log(),
            "participants/b:CREATE,participants/c:CREATE,participants/a:UPDATE,"
            "participants/b:DELETE,participants/d:CREATE");
  // Past b's delete: nothing of b is needed. d is the newest: never passed.
  const auto third = store::PurgeChanges(&pool, absl::Hours(1), 2, deadline);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(**third, 1);
  EXPECT_EQ(
      log(),
      "participants/c:CREATE,participants/a:UPDATE,participants/d:CREATE");
  EXPECT_EQ(db->Query("SELECT revision FROM change_horizon"),
            db->Query("SELECT max(sequence) - 1 FROM changes"));

  // Shorter than the database's floor (retention_floor, migrations/0013):
  // refused, naming the flag, deleting nothing.
  const auto too_short =
      store::PurgeChanges(&pool, absl::Minutes(10), 2, deadline);
  EXPECT_EQ(too_short.status().code(), absl::StatusCode::kInvalidArgument)
      << too_short.status();
  EXPECT_THAT(too_short.status().message(),
              ::testing::HasSubstr("--change-retention"));
  EXPECT_THAT(too_short.status().message(),
              ::testing::HasSubstr("retention_floor.changes"));
  // A batch out of bounds: refused before the database is asked.
  for (int batch : {0, store::kMaxPurgeBatch + 1}) {
    const auto bad =
        store::PurgeChanges(&pool, absl::Hours(1), batch, deadline);
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(bad.status().message(),
                ::testing::HasSubstr("--change-purge-batch"));
  }
  EXPECT_EQ(db->Count("changes"), 3);

  // With the floor lowered by the migrating role, everything is older than
  // a zero-length retention, but the newest is never passed.
  db->Execute("UPDATE retention_floor SET changes = interval '0'");
  const auto all =
      store::PurgeChanges(&pool, absl::ZeroDuration(), 100, deadline);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(**all, 0);
  EXPECT_EQ(db->Count("changes"), 3);
}

// The horizon never falls inside a transaction: a forced delete (or an
// import) is compacted whole, so what an Undelete reads of it is all there
// or all gone. A transaction longer than a batch is passed whole.
TEST(ChangeLog, PurgeMovesTheHorizonOverWholeTransactions) {
  auto db = TestDatabase::Create();
  store::ConnectionPool pool({.url = db->url(), .size = 2});
  const auto insert = [&](const std::vector<std::string>& ids) {
    std::string sql = "BEGIN;";
    for (const std::string& id : ids)
      absl::StrAppend(&sql, InsertParticipant(id));
    db->Execute(absl::StrCat(sql, "COMMIT;"));
  };
  insert({"p0"});
  insert({"a", "b", "c"});  // one transaction
  insert({"z"});
  db->Execute(
      "DELETE FROM participants WHERE name IN ('participants/p0', "
      "'participants/a', 'participants/b', 'participants/c')");
  insert({"newest"});
  db->Execute("UPDATE changes SET change_time = now() - interval '2 hours'");
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  const auto horizon = [&] {
    return std::stoll(db->Query("SELECT revision FROM change_horizon"));
  };
  const auto sequence_of = [&](const std::string& id, const char* operation) {
    return std::stoll(db->Query(absl::StrCat(
        "SELECT sequence FROM changes WHERE resource = 'participants/", id,
        "' AND operation = '", operation, "'")));
  };
  const int64_t p0 = sequence_of("p0", "CREATE");
  const int64_t c = sequence_of("c", "CREATE");
  const int64_t z = sequence_of("z", "CREATE");
  // A batch of two would end inside {a, b, c}: it ends before it.
  auto passed = store::PurgeChanges(&pool, absl::Hours(1), 2, deadline);
  ASSERT_TRUE(passed.ok()) << passed.status();
  EXPECT_EQ(**passed, 1);
  EXPECT_EQ(horizon(), p0);
  // The transaction alone is longer than a batch: passed whole.
  passed = store::PurgeChanges(&pool, absl::Hours(1), 2, deadline);
  ASSERT_TRUE(passed.ok()) << passed.status();
  EXPECT_EQ(**passed, 3);
  EXPECT_EQ(horizon(), c);
  passed = store::PurgeChanges(&pool, absl::Hours(1), 2, deadline);
  ASSERT_TRUE(passed.ok()) << passed.status();
  EXPECT_EQ(**passed, 1);
  EXPECT_EQ(horizon(), z);
  // The delete of four in one transaction, then the newest: the delete's
  // transaction is passed whole, or not at all.
  passed = store::PurgeChanges(&pool, absl::Hours(1), 2, deadline);
  ASSERT_TRUE(passed.ok()) << passed.status();
  EXPECT_EQ(**passed, 4);
  EXPECT_EQ(db->Query("SELECT string_agg(resource, ',' ORDER BY sequence) "
                      "FROM changes"),
            "participants/z,participants/newest");
}

// A log an earlier version purged (the oldest changes deleted, whatever
// they were): migration 0015 gives each record whose last write is gone a
// change carrying it as it stands, and reads at a revision are exact from
// there; the feed stays whole from its oldest kept change.
TEST(ChangeLog, AnUpgradedLogThatWasPurgedIsWholeFromTheMigration) {
  auto db = TestDatabase::Create(/*migrate=*/false);
  std::vector<store::MigrationFile> before;
  for (const store::MigrationFile& file : store::EmbeddedMigrations()) {
    if (*store::MigrationVersion(file.file_name) < 15) before.push_back(file);
  }
  ASSERT_TRUE(store::Migrate(db->url(), before).ok());
  for (const char* id : {"a", "b"}) db->Execute(InsertParticipant(id));
  db->Execute(
      "UPDATE participants SET body = body || '{\"display_name\": \"A\"}', "
      "version = 2 WHERE name = 'participants/a'");
  // What the old purge did: the two oldest changes (a's and b's creation)
  // deleted, a's update kept.
  db->Execute("DELETE FROM changes WHERE sequence <= 2");
  const int64_t oldest_kept =
      std::stoll(db->Query("SELECT min(sequence) FROM changes"));
  ASSERT_TRUE(store::Migrate(db->url(), store::EmbeddedMigrations()).ok());
  EXPECT_EQ(db->Query("SELECT string_agg(resource || ':' || operation || ':' "
                      "|| version, ',' ORDER BY sequence) FROM changes"),
            "participants/a:UPDATE:2,participants/b:UPDATE:1")
      << "b, whose last write was purged, has a change again; a has its own";
  const int64_t newest =
      std::stoll(db->Query("SELECT max(sequence) FROM changes"));
  EXPECT_EQ(db->Query("SELECT history_from FROM change_horizon"),
            std::to_string(newest));
  // Run again: the same.
  ASSERT_TRUE(store::Migrate(db->url(), store::EmbeddedMigrations()).ok());
  EXPECT_EQ(db->Count("changes"), 2);

  store::ConnectionPool pool({.url = db->url(), .size = 2});
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  store::ChangeLog log(&pool);
  const auto bounds = log.Bounds(deadline);
  ASSERT_TRUE(bounds.ok()) << bounds.status();
  EXPECT_EQ(bounds->oldest, oldest_kept) << "the feed is whole from there";
  store::ResourceStore participants(
      &pool, &pool, store::KindOf(*domain::FindByName("participants/b")));
  forumregistry::v1::Participant record;
  const absl::Status at_newest =
      participants.GetAsOf("participants/b", newest, &record, deadline);
  EXPECT_TRUE(at_newest.ok()) << at_newest;
  EXPECT_EQ(record.display_name(), "b");
  const absl::Status older =
      participants.GetAsOf("participants/b", newest - 1, &record, deadline);
  EXPECT_EQ(older.code(), absl::StatusCode::kOutOfRange) << older;
  EXPECT_THAT(
      std::string(older.message()),
      ::testing::HasSubstr(absl::StrCat("begins at revision ", newest)));
}

// The plans PostgreSQL reports as notices (auto_explain at NOTICE).
class Notices final : public pqxx::errorhandler {
 public:
  explicit Notices(pqxx::connection_base& connection)
      : pqxx::errorhandler(connection) {}
  bool operator()(const char message[]) noexcept override {
    text += message;
    return true;
  }
  std::string text;
};

// The purge reads by index, so a batch stays short however many changes
// are kept: the statements inside purge_changes, as they run there (the
// first calls with custom plans, later ones with plpgsql's generic plan),
// read the batch by key and what it supersedes by record, never the whole
// log.
TEST(ChangeLog, PurgeBatchesFindTheirRowsByIndex) {
  auto db = TestDatabase::Create();
  // 60,000 changes, each its own transaction, analysed: enough that
  // without the index the planner would sort the whole log.
  db->Execute(
      "INSERT INTO changes (resource, operation, version, change_time, "
      "transaction) SELECT 'participants/p' || i, 'CREATE', 1, now() - "
      "interval '3 hours' + i * interval '100 ms', i::text::xid8 "
      "FROM generate_series(1, 60000) i");
  db->Execute("ANALYZE changes");
  pqxx::connection connection(db->url());
  Notices notices(connection);
  pqxx::nontransaction txn(connection);
  txn.exec("LOAD 'auto_explain'");
  txn.exec("SET auto_explain.log_min_duration = 0");
  txn.exec("SET auto_explain.log_nested_statements = on");
  txn.exec("SET auto_explain.log_level = notice");
  for (int call = 0; call < 8; ++call) {
    notices.text.clear();
    EXPECT_EQ(txn.exec1("SELECT purge_changes(interval '1 hour', 1000)")[0]
                  .as<int64_t>(),
              1000);
    // The batch is read by key from the horizon on; what it supersedes,
    // by record.
    EXPECT_THAT(notices.text, ::testing::HasSubstr("using changes_pkey"))
        << "call " << call << ":\n"
        << notices.text;
    const size_t at = notices.text.find("DELETE FROM changes");
    ASSERT_NE(at, std::string::npos) << notices.text;
    const std::string plan = notices.text.substr(at);
    EXPECT_THAT(plan, ::testing::HasSubstr("using changes_resource"))
        << "call " << call << ":\n"
        << plan;
    EXPECT_THAT(notices.text,
                ::testing::Not(::testing::HasSubstr("Seq Scan on changes")))
        << "call " << call << ":\n"
        << notices.text;
  }
}

// The first step of a Get from memory: the revision it is told must cover
// every write committed before it asked, although concurrent callers share
// checks (one that started before the write committed must not serve it).
TEST(RevisionCheck, CoversEveryWriteCommittedBeforeTheCallAndIsShared) {
  auto db = TestDatabase::Create();
  store::ConnectionPool pool({.url = db->url(), .size = 2});
  store::RevisionCheck check(&pool);
  constexpr int kThreads = 8;
  constexpr int kWritesEach = 100;
  std::atomic<int> behind{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      pqxx::connection connection(db->url());
      for (int i = 0; i < kWritesEach; ++i) {
        const std::string name = absl::StrCat("participants/p", t, "-", i);
        pqxx::work txn(connection);
        txn.exec_params(
            "INSERT INTO participants (name, body) VALUES ($1, "
            "'{\"kind\": \"PARTICIPANT_KIND_STATE\", \"display_name\": "
            "\"p\"}')",
            name);
        txn.commit();
        pqxx::nontransaction read(connection);
        const int64_t revision =
            read.exec_params1(
                    "SELECT sequence FROM changes WHERE resource = $1", name)[0]
                .as<int64_t>();
        read.commit();
        // Other threads' checks and calls are in flight all along.
        for (int call = 0; call < 2; ++call) {
          const absl::StatusOr<int64_t> now =
              check.Current(absl::Now() + absl::Seconds(10));
          if (!now.ok()) {
            ++failed;
          } else if (*now < revision) {
            ++behind;
          }
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(behind.load(), 0);
  constexpr int kCalls = kThreads * kWritesEach * 2;
  EXPECT_GT(check.checks(), 0);
  EXPECT_LT(check.checks(), kCalls) << "concurrent calls shared no check";
}

TEST(RevisionCheck, IsUnavailableWhenTheDatabaseIsNot) {
  store::ConnectionPool pool(
      {.url = "postgresql:///nowhere?host=/nonexistent", .size = 1});
  store::RevisionCheck check(&pool);
  const absl::StatusOr<int64_t> now =
      check.Current(absl::Now() + absl::Seconds(2));
  EXPECT_EQ(now.status().code(), absl::StatusCode::kUnavailable)
      << now.status();
  absl::Notification called;
  absl::Status told;
  check.Then([&](absl::StatusOr<int64_t> answer) {
    told = answer.status();
    called.Notify();
  });
  ASSERT_TRUE(called.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(told.code(), absl::StatusCode::kUnavailable) << told;
}

// A caller called back (Then) hears once, on the checker's thread, a
// revision covering the writes committed before it asked.
TEST(RevisionCheck, CallsBackEveryCallerOnceWithARevisionCoveringItsPast) {
  auto db = TestDatabase::Create();
  pqxx::connection connection(db->url());
  store::ConnectionPool pool({.url = db->url(), .size = 1});
  store::RevisionCheck check(&pool);
  constexpr int kCallers = 2000;
  std::vector<std::atomic<int>> calls(kCallers);
  std::atomic<int> behind{0};
  std::atomic<int> failed{0};
  std::atomic<int> answered{0};
  const std::thread::id caller_thread = std::this_thread::get_id();
  std::atomic<int> on_caller_thread{0};
  for (int i = 0; i < kCallers; ++i) {
    int64_t written = 0;
    if (i % 100 == 0) {
      pqxx::work txn(connection);
      txn.exec_params(
          "INSERT INTO participants (name, body) VALUES ($1, "
          "'{\"kind\": \"PARTICIPANT_KIND_STATE\", \"display_name\": "
          "\"p\"}')",
          absl::StrCat("participants/p", i));
      txn.commit();
      pqxx::nontransaction read(connection);
      written =
          read.exec1("SELECT max(sequence) FROM changes")[0].as<int64_t>();
    }
    check.Then([&, i, written](absl::StatusOr<int64_t> now) {
      ++calls[i];
      if (std::this_thread::get_id() == caller_thread) ++on_caller_thread;
      if (!now.ok()) {
        ++failed;
      } else if (*now < written) {
        ++behind;
      }
      ++answered;
    });
  }
  ASSERT_TRUE(testing::WaitFor([&] { return answered.load() == kCallers; },
                               absl::Seconds(60), "every caller answered"));
  for (int i = 0; i < kCallers; ++i) EXPECT_EQ(calls[i].load(), 1) << i;
  EXPECT_EQ(behind.load(), 0);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(on_caller_thread.load(), 0);
  EXPECT_LT(check.checks(), kCallers) << "callers shared no check";
}

// Callers still waiting when the check goes are told UNAVAILABLE, once;
// the destructor waits for the check that runs.
TEST(RevisionCheck, CallersWaitingWhenItStopsAreToldSo) {
  auto db = TestDatabase::Create();
  store::ConnectionPool pool({.url = db->url(), .size = 1});
  auto check = std::make_unique<store::RevisionCheck>(&pool);
  // The first check waits for a lock on the change log.
  pqxx::connection locker(db->url());
  pqxx::work lock(locker);
  lock.exec("LOCK TABLE changes IN ACCESS EXCLUSIVE MODE");
  std::atomic<int> first_calls{0};
  absl::StatusOr<int64_t> first = 0;
  check->Then([&](absl::StatusOr<int64_t> now) {
    first = std::move(now);
    ++first_calls;
  });
  ASSERT_TRUE(testing::WaitFor([&] { return db->LockWaiters() == 1; },
                               absl::Seconds(10),
                               "the first check waiting for the lock"));
  // These wait for the next check, which never runs.
  constexpr int kLater = 100;
  std::vector<std::atomic<int>> calls(kLater);
  std::atomic<int> unavailable{0};
  for (int i = 0; i < kLater; ++i) {
    check->Then([&, i](absl::StatusOr<int64_t> now) {
      ++calls[i];
      if (now.status().code() == absl::StatusCode::kUnavailable) {
        ++unavailable;
      }
    });
  }
  std::thread destroyer([&] { check.reset(); });
  absl::SleepFor(absl::Seconds(1));  // the destructor has begun
  lock.commit();
  destroyer.join();
  EXPECT_EQ(first_calls.load(), 1);
  EXPECT_TRUE(first.ok()) << first.status();
  for (int i = 0; i < kLater; ++i) EXPECT_EQ(calls[i].load(), 1) << i;
  EXPECT_EQ(unavailable.load(), kLater);
}

}  // namespace
}  // namespace forum_registry
