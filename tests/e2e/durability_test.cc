// PostgreSQL crashes under 100 concurrent writers (issue 13): it is killed
// with SIGKILL while the server writes, and started again. Every write the
// server acknowledged is there afterwards, and none twice; every write it
// did not acknowledge is either absent, or was reported as possibly applied
// (UNKNOWN, or the client's own deadline); retried with the same request id,
// each write ends up applied exactly once.
//
// The cluster is the test's own (PrivateCluster), so the crash touches no
// other test.

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "forumregistry/v1/participant.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "tests/support/tcp_proxy.h"
#include "tests/support/test_support.h"

namespace forum_registry::testing {
namespace {

namespace v1 = ::forumregistry::v1;

// One write a writer sent, and what became of its first attempt.
struct Write {
  bool create = true;  // else a rename of a record the writer created
  std::string name;    // participants/...
  std::string request_id;
  std::string display_name;
  grpc::StatusCode first = grpc::StatusCode::OK;
  std::string message;
};

grpc::Status Send(v1::ParticipantService::Stub& stub, const Write& write,
                  absl::Duration timeout) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  v1::Participant out;
  if (write.create) {
    v1::CreateParticipantRequest request;
    request.set_participant_id(write.name.substr(write.name.find('/') + 1));
    request.mutable_participant()->set_kind(v1::PARTICIPANT_KIND_STATE);
    request.mutable_participant()->set_display_name(write.display_name);
    request.set_request_id(write.request_id);
    return stub.CreateParticipant(&context, request, &out);
  }
  v1::UpdateParticipantRequest request;
  request.mutable_participant()->set_name(write.name);
  request.mutable_participant()->set_display_name(write.display_name);
  request.mutable_update_mask()->add_paths("display_name");
  request.set_request_id(write.request_id);
  return stub.UpdateParticipant(&context, request, &out);
}

// Outcomes that say the write may have been applied.
bool MayHaveApplied(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNKNOWN ||
         code == grpc::StatusCode::DEADLINE_EXCEEDED;
}

TEST(DatabaseCrash, NoAcknowledgedWriteLostNoneAppliedTwiceRetriesApplyOnce) {
  std::unique_ptr<PrivateCluster> cluster = PrivateCluster::Start();
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(cluster->Migrate());
  auto server = ServerProcess::Start(
      cluster->url(),
      {"--pool-size=24", "--health-check-interval=200ms",
       "--max-rpcs-in-flight=512", "--max-streams-per-connection=200"});
  ASSERT_NE(server, nullptr);
  auto channel = server->Channel();

  constexpr int kWriters = 100;
  std::atomic<bool> stop{false};
  std::atomic<int> sent{0};
  std::vector<std::vector<Write>> writes(kWriters);
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto stub = v1::ParticipantService::NewStub(channel);
      for (int i = 0; !stop; ++i) {
        Write create{.create = true,
                     .name = absl::StrCat("participants/w", w, "-", i),
                     .request_id = RandomUuid(),
                     .display_name = absl::StrCat("Writer ", w, " record ", i)};
        grpc::Status status = Send(*stub, create, absl::Seconds(5));
        create.first = status.error_code();
        create.message = status.error_message();
        writes[w].push_back(create);
        ++sent;
        if (!status.ok()) {
          // As a client would: back off a little before the next write (the
          // client's behaviour, not a wait for an event).
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          continue;
        }
        // A rename of what was just made: applied twice it would log two
        // changes.
        Write rename{
            .create = false,
            .name = create.name,
            .request_id = RandomUuid(),
            .display_name = absl::StrCat("Writer ", w, " renamed ", i)};
        status = Send(*stub, rename, absl::Seconds(5));
        rename.first = status.error_code();
        rename.message = status.error_message();
        writes[w].push_back(rename);
        ++sent;
      }
    });
  }
  // Let the writers get going, crash the database mid-traffic, and bring
  // it back while they keep writing.
  const auto await_sent = [&](int count) {
    return WaitFor([&] { return sent >= count; }, absl::Seconds(60),
                   absl::StrCat(count, " writes sent"), absl::Milliseconds(5));
  };
  const auto stop_writers = [&] {
    stop = true;
    for (std::thread& writer : writers) writer.join();
  };
  if (!await_sent(2000)) {
    stop_writers();
    FAIL() << "the writers stalled before the crash: " << sent.load();
  }
  cluster->Kill();
  const int at_crash = sent;
  // The outage itself: the database stays down this long while the writers
  // keep writing. Its length is part of what is tested, not a wait.
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  if (!cluster->Restart()) {
    stop_writers();
    FAIL() << "PostgreSQL did not start again";
  }
  WaitFor([&] { return HealthStatus(channel) == "SERVING"; }, absl::Seconds(20),
          "SERVING after the restart", absl::Milliseconds(50));
  EXPECT_EQ(HealthStatus(channel), "SERVING");
  const int at_restart = sent;
  const bool resumed = await_sent(at_restart + 1000);
  stop_writers();
  ASSERT_TRUE(resumed) << "writes did not resume after the restart";

  // What the database holds now, by request id.
  pqxx::connection db(cluster->url());
  pqxx::nontransaction read(db);
  std::map<std::string, int> changes_of;
  for (const pqxx::row& row : read.exec(
           "SELECT request_id::text, count(*) FROM changes WHERE request_id "
           "IS NOT NULL GROUP BY request_id")) {
    changes_of[row[0].as<std::string>()] = row[1].as<int>();
  }
  std::map<std::string, int> counts;  // first outcomes, by code
  int failed_during_outage = 0;
  for (const auto& of_writer : writes) {
    for (const Write& write : of_writer) {
      ++counts[CodeName(write.first)];
      const int changes = changes_of[write.request_id];
      EXPECT_LE(changes, 1) << write.request_id << " was applied twice";
      if (write.first == grpc::StatusCode::OK) {
        EXPECT_EQ(changes, 1) << "acknowledged, but lost: " << write.name;
      } else if (MayHaveApplied(write.first)) {
        // Either; the retries below settle it.
      } else {
        ++failed_during_outage;
        EXPECT_EQ(write.first, grpc::StatusCode::UNAVAILABLE)
            << write.name << ": " << write.message;
        EXPECT_EQ(changes, 0) << write.name << " was reported as not applied ("
                              << write.message << ") but was";
      }
    }
  }
  std::string summary;
  for (const auto& [code, count] : counts) {
    absl::StrAppend(&summary, code, "=", count, " ");
  }
  // How the server settled the commits the crash cut off (in_doubt.cc).
  const std::string log = server->Output();
  const auto occurrences = [&log](const std::string& text) {
    int n = 0;
    for (size_t at = log.find(text); at != std::string::npos;
         at = log.find(text, at + 1)) {
      ++n;
    }
    return n;
  };
  std::printf(
      "writes sent %d (crash at %d, back at %d): %s; commits in doubt: %d "
      "found committed, %d found not committed, %d unknown\n",
      sent.load(), at_crash, at_restart, summary.c_str(),
      occurrences(": committed"), occurrences(": not committed"),
      occurrences(": unknown by the deadline"));
  // The crash hit traffic: some writes were refused or left in doubt.
  EXPECT_GT(counts["OK"], 0);
  EXPECT_GT(sent.load() - counts["OK"], 0) << "the crash met no write";

  // Retried with their ids, the writes not acknowledged are applied, once.
  auto stub = v1::ParticipantService::NewStub(channel);
  for (const auto& of_writer : writes) {
    for (const Write& write : of_writer) {
      if (write.first == grpc::StatusCode::OK) continue;
      grpc::Status status;
      WaitFor(
          [&] {
            status = Send(*stub, write, absl::Seconds(10));
            return status.ok();
          },
          absl::Seconds(30), absl::StrCat("the retry of ", write.name),
          absl::Milliseconds(100));
      EXPECT_TRUE(status.ok()) << write.name << ": " << Describe(status);
    }
  }
  changes_of.clear();
  for (const pqxx::row& row : read.exec(
           "SELECT request_id::text, count(*) FROM changes WHERE request_id "
           "IS NOT NULL GROUP BY request_id")) {
    changes_of[row[0].as<std::string>()] = row[1].as<int>();
  }
  int creates = 0;
  for (const auto& of_writer : writes) {
    for (const Write& write : of_writer) {
      EXPECT_EQ(changes_of[write.request_id], 1) << write.name;
      creates += write.create;
    }
  }
  EXPECT_EQ(read.exec1("SELECT count(*) FROM participants")[0].as<int>(),
            creates);
  // Every record holds its last write.
  for (const auto& of_writer : writes) {
    for (const Write& write : of_writer) {
      if (write.create) continue;
      EXPECT_EQ(read.exec_params1("SELECT body->>'display_name' FROM "
                                  "participants WHERE name = $1",
                                  write.name)[0]
                    .as<std::string>(),
                write.display_name);
    }
  }
  EXPECT_EQ(server->Stop(), 0) << server->Output();
}

// Synchronous replication (the production overlay's): a COMMIT waits for a
// replica, and no statement timeout ends that wait. The server must not
// acknowledge the write, nor a retry of it, until a replica has it, and must
// not leave the COMMIT holding its worker past the deadline. Here no
// replica answers (synchronous_standby_names names none that exists) until
// the setting is lifted.
//
// PostgreSQL speaks German here (lc_messages, which script/bootstrap's
// de_DE.UTF-8 locale allows): nothing may depend on the language of its
// messages, not even the WARNING that tells a COMMIT was not replicated.
TEST(SynchronousReplica, ACommitNoReplicaConfirmedIsNeverAcknowledged) {
  std::unique_ptr<PrivateCluster> cluster = PrivateCluster::Start();
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(cluster->Migrate());
  {
    pqxx::connection admin(cluster->url());
    pqxx::nontransaction txn(admin);
    txn.exec("ALTER SYSTEM SET lc_messages = 'de_DE.UTF-8'");
    txn.exec("SELECT pg_reload_conf()");
  }
  WaitFor(
      [&] {
        pqxx::connection fresh(cluster->url());
        pqxx::nontransaction read(fresh);
        try {
          read.exec("SELECT 1 / 0");
        } catch (const pqxx::sql_error& e) {
          return std::string(e.what()).find("Division durch Null") !=
                 std::string::npos;
        }
        return false;
      },
      absl::Seconds(10), "PostgreSQL's messages in German");
  auto server = ServerProcess::Start(
      cluster->url(),
      {"--statement-timeout=1s", "--health-check-interval=200ms"});
  ASSERT_NE(server, nullptr);
  auto stub = v1::ParticipantService::NewStub(server->Channel());
  pqxx::connection admin(cluster->url());
  const auto set_replica = [&](const std::string& names) {
    pqxx::nontransaction txn(admin);
    txn.exec("ALTER SYSTEM SET synchronous_standby_names = " +
             txn.quote(names));
    txn.exec("SELECT pg_reload_conf()");
    // Until the postmaster has read the file (a new session sees the
    // value); it signals every session at the same time, and each reads
    // the file before its next statement.
    WaitFor(
        [&] {
          pqxx::connection fresh(cluster->url());
          pqxx::nontransaction read(fresh);
          return read.exec1("SHOW synchronous_standby_names")[0]
                     .as<std::string>() == names;
        },
        absl::Seconds(10), "the reload of synchronous_standby_names");
  };
  set_replica("no_such_replica");

  const Write write{.create = true,
                    .name = "participants/unreplicated",
                    .request_id = RandomUuid(),
                    .display_name = "Waits for a replica"};
  // The COMMIT waits for the replica past the call's deadline; the server
  // cuts it off there. Whatever the client sees, it is not an
  // acknowledgement.
  grpc::Status status = Send(*stub, write, absl::Seconds(3));
  EXPECT_TRUE(MayHaveApplied(status.error_code())) << Describe(status);
  // Retried while still no replica answers: not acknowledged either.
  status = Send(*stub, write, absl::Seconds(3));
  EXPECT_FALSE(status.ok()) << Describe(status);
  const auto unknown = [&] {
    return MetricSample(HttpGet(server->MetricsPort(), "/metrics"),
                        "forum_registry_db_errors_total{code=\"UNKNOWN\"}");
  };
  WaitFor([&] { return unknown() >= 1; }, absl::Seconds(5),
          "the cut-off COMMIT to be counted", absl::Milliseconds(50));
  EXPECT_GE(unknown(), 1)
      << "the server counts the COMMIT it cut off as of unknown outcome";

  // A cancel ends a COMMIT's wait for the replica: PostgreSQL commits on the
  // primary only and answers success with a WARNING, in German here, which
  // the server must recognise all the same.
  const Write cancelled{.create = true,
                        .name = "participants/cancelled-wait",
                        .request_id = RandomUuid(),
                        .display_name = "Its wait for a replica cancelled"};
  // Every COMMIT waiting for the replica, until the write returns (the
  // backends of the writes cut off above may still be waiting too).
  std::atomic<bool> sent{false};
  std::atomic<int> cancels{0};
  std::thread canceller([&] {
    pqxx::connection other(cluster->url());
    while (!sent) {
      pqxx::nontransaction cancel(other);
      cancels += cancel
                     .exec1(
                         "SELECT count(*) FILTER (WHERE "
                         "pg_cancel_backend(pid)) FROM pg_stat_activity "
                         "WHERE wait_event = 'SyncRep'")[0]
                     .as<int>();
      absl::SleepFor(absl::Milliseconds(20));
    }
  });
  status = Send(*stub, cancelled, absl::Seconds(20));
  sent = true;
  canceller.join();
  EXPECT_GT(cancels.load(), 0);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNKNOWN) << Describe(status);
  EXPECT_THAT(status.error_message(),
              ::testing::HasSubstr("no replica confirmed it"));
  set_replica("");  // a commit needs no replica any more
  WaitFor(
      [&] {
        status = Send(*stub, write, absl::Seconds(10));
        return status.ok();
      },
      absl::Seconds(30), "the write, with no replica needed",
      absl::Milliseconds(200));
  EXPECT_TRUE(status.ok()) << Describe(status);
  pqxx::nontransaction read(admin);
  EXPECT_EQ(read.exec_params1("SELECT count(*) FROM changes WHERE request_id "
                              "= $1::uuid",
                              write.request_id)[0]
                .as<int>(),
            1);
  EXPECT_EQ(server->Stop(), 0) << server->Output();
}

// Commits cut off on purpose, one outcome each. Records named slow-* take
// 1.5 s to commit (a deferred trigger sleeps at COMMIT), which leaves time
// to break the server's connection while its COMMIT is on the way: the
// server asks the database what became of it and answers accordingly.
class CommitInDoubt : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = TestDatabase::Create();
    db_->Execute(R"sql(
      CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_sleep(1.5); RETURN NULL; END $$;
      CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON participants
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
        WHEN (NEW.name LIKE 'participants/slow-%')
        EXECUTE FUNCTION slow_commit();
    )sql");
    proxy_ = std::make_unique<TcpProxy>(UnixSocketOf(db_->url()));
    server_ = ServerProcess::Start(proxy_->Url(db_->url()),
                                   {"--health-check-interval=200ms"});
    ASSERT_NE(server_, nullptr);
    stub_ = v1::ParticipantService::NewStub(server_->Channel());
  }

  // Creates participants/slow-{id} with `request_id`, in the background.
  std::future<grpc::Status> CreateSlowly(const std::string& id,
                                         const std::string& request_id,
                                         absl::Duration timeout) {
    return std::async(std::launch::async, [=, this] {
      Write write{.create = true,
                  .name = absl::StrCat("participants/slow-", id),
                  .request_id = request_id,
                  .display_name = "Slow to commit"};
      return Send(*stub_, write, timeout);
    });
  }

  // Waits until the database is inside the slow COMMIT.
  void AwaitCommitting() {
    WaitFor(
        [&] {
          return db_->Query(
                     "SELECT count(*) FROM pg_stat_activity WHERE "
                     "wait_event = 'PgSleep' AND datname = "
                     "current_database()") == "1";
        },
        absl::Seconds(5), "the COMMIT to start", absl::Milliseconds(10));
  }

  // Waits until the request's change is committed and visible.
  void AwaitCommitted(const std::string& request_id) {
    WaitFor([&] { return ChangesOf(request_id) != 0; }, absl::Seconds(10),
            "the COMMIT to finish", absl::Milliseconds(10));
    ASSERT_EQ(ChangesOf(request_id), 1) << "the COMMIT never finished";
  }

  // Commits whose outcome stayed unknown, from the server's metrics.
  double UnknownOutcomes() {
    return MetricSample(HttpGet(server_->MetricsPort(), "/metrics"),
                        "forum_registry_db_errors_total{code=\"UNKNOWN\"}");
  }

  int64_t ChangesOf(const std::string& request_id) {
    return std::stoll(db_->Query(absl::StrCat(
        "SELECT count(*) FROM changes WHERE request_id = '", request_id, "'")));
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<TcpProxy> proxy_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<v1::ParticipantService::Stub> stub_;
};

TEST_F(CommitInDoubt,
       AnAnswerLostAfterTheCommitIsFoundCommittedAndAcknowledged) {
  const std::string request_id = RandomUuid();
  auto call = CreateSlowly("lost-answer", request_id, absl::Seconds(10));
  AwaitCommitting();
  proxy_->Pause();  // the answer to COMMIT will not get through
  AwaitCommitted(request_id);
  proxy_->Cut();
  proxy_->Resume();
  const grpc::Status status = call.get();
  EXPECT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(ChangesOf(request_id), 1);
  EXPECT_THAT(server_->Output(), ::testing::HasSubstr(": committed"));
  EXPECT_EQ(UnknownOutcomes(), 0) << "resolved, so not counted as unknown";
}

TEST_F(CommitInDoubt, ACommitStillRunningWhenAskedIsAwaited) {
  const std::string request_id = RandomUuid();
  auto call = CreateSlowly("still-running", request_id, absl::Seconds(10));
  AwaitCommitting();
  // The server loses its connection; the database does not notice, and
  // goes on committing while the server asks about it.
  proxy_->Cut(/*database_side_too=*/false);
  const grpc::Status status = call.get();
  EXPECT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(ChangesOf(request_id), 1);
  EXPECT_THAT(server_->Output(), ::testing::HasSubstr(": committed"));
}

TEST_F(CommitInDoubt, ABackendThatDiesInsideCommitIsReportedNotApplied) {
  const std::string request_id = RandomUuid();
  auto call = CreateSlowly("died", request_id, absl::Seconds(10));
  AwaitCommitting();
  db_->Query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
      "wait_event = 'PgSleep'");
  const grpc::Status status = call.get();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << Describe(status);
  EXPECT_THAT(status.error_message(),
              ::testing::HasSubstr("the write was not applied"));
  EXPECT_EQ(ChangesOf(request_id), 0);
  EXPECT_EQ(db_->Query("SELECT count(*) FROM participants"), "0");
}

TEST_F(CommitInDoubt,
       AnOutcomeTheDatabaseCannotTellInTimeIsUnknownThenARetryIsAnswered) {
  const std::string request_id = RandomUuid();
  auto call = CreateSlowly("unknown", request_id, absl::Seconds(4));
  AwaitCommitting();
  proxy_->Pause();
  AwaitCommitted(request_id);
  proxy_->Cut();  // and the database stays out of reach
  const grpc::Status status = call.get();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNKNOWN) << Describe(status);
  EXPECT_THAT(status.error_message(),
              ::testing::HasSubstr("may or may not have been applied"));
  EXPECT_EQ(UnknownOutcomes(), 1);
  proxy_->Resume();
  // It was applied; the retry with its id says so and writes nothing.
  EXPECT_EQ(ChangesOf(request_id), 1);
  v1::CreateParticipantRequest request;
  request.set_participant_id("slow-unknown");
  request.mutable_participant()->set_kind(v1::PARTICIPANT_KIND_STATE);
  request.mutable_participant()->set_display_name("Slow to commit");
  request.set_request_id(request_id);
  v1::Participant out;
  grpc::Status retried;
  std::string replayed;
  WaitFor(  // until the server reconnects
      [&] {
        grpc::ClientContext context;  // one per call
        context.set_deadline(
            absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
        retried = stub_->CreateParticipant(&context, request, &out);
        const auto& headers = context.GetServerInitialMetadata();
        const auto found = headers.find("x-forum-registry-replayed");
        replayed = found == headers.end() ? ""
                                          : std::string(found->second.data(),
                                                        found->second.size());
        return retried.error_code() != grpc::StatusCode::UNAVAILABLE;
      },
      absl::Seconds(30), "the server to reconnect", absl::Milliseconds(100));
  EXPECT_TRUE(retried.ok()) << Describe(retried);
  EXPECT_EQ(out.name(), "participants/slow-unknown");
  EXPECT_EQ(replayed, "true");
  EXPECT_EQ(ChangesOf(request_id), 1);
}

}  // namespace
}  // namespace forum_registry::testing
