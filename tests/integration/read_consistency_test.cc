// Never stale: a Get that starts after a write was acknowledged, through any
// server process, returns that write or a newer one: with the record cache
// on (the default), which answers from memory once the change feed has
// applied the revision the primary reports (store/record_cache.h); with the
// cache off; with the feed down; and with a replica that is behind.
//
// Not older than (issue 29): a Get or List naming the revision the write
// returned (min_revision) returns that write or a newer one, in the same
// setups, without asking the primary for its revision; a List that names
// none may read a replica that is behind (the control).

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "forumregistry/v1/forum.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace forum_registry {
namespace {

namespace v1 = ::forumregistry::v1;
using ::forum_registry::testing::MetricSample;
using ::forum_registry::testing::ServerProcess;
using ::forum_registry::testing::TestDatabase;

constexpr int kPairs = 4;
constexpr int kAlternationsEach = 2500;  // 10,000 in all
constexpr int kWrites = kPairs * kAlternationsEach;

struct Outcome {
  int stale = 0;
  int failed = 0;
};

// How the reader reads the forum after each write.
enum class Read {
  kGet,                // a Get naming nothing: never stale
  kGetAtRevision,      // a Get naming the write's revision
  kListAtRevision,     // a List naming it
  kListNamingNothing,  // a List naming nothing: may read a stale replica
};

// The forum `name` as `reader` reads it in `mode`, at least as of
// `revision` when the mode names it.
grpc::Status ReadForum(v1::ForumService::Stub& reader, Read mode,
                       const std::string& name, int64_t revision,
                       v1::Forum* got) {
  grpc::ClientContext context;
  if (mode == Read::kGet || mode == Read::kGetAtRevision) {
    v1::GetForumRequest request;
    request.set_name(name);
    if (mode == Read::kGetAtRevision) request.set_min_revision(revision);
    return reader.GetForum(&context, request, got);
  }
  v1::ListForumsRequest request;
  request.set_page_size(100);
  if (mode == Read::kListAtRevision) request.set_min_revision(revision);
  v1::ListForumsResponse response;
  const grpc::Status status = reader.ListForums(&context, request, &response);
  if (!status.ok()) return status;
  for (const v1::Forum& forum : response.forums()) {
    if (forum.name() == name) {
      *got = forum;
      return grpc::Status::OK;
    }
  }
  return grpc::Status(grpc::StatusCode::NOT_FOUND, name + " is not listed");
}

// Writers and readers in pairs, each pair on a forum of its own
// (forums/alternating-N), all at once: concurrent Gets share revision
// checks, and a change to one forum must not let another's stale record
// through. Each write through `writer` is followed by two Gets through
// `reader`, each of which must return that write.
Outcome Alternate(ServerProcess& writer_process, ServerProcess& reader_process,
                  Read mode = Read::kGet,
                  int alternations = kAlternationsEach) {
  auto writer = v1::ForumService::NewStub(writer_process.Channel());
  auto reader = v1::ForumService::NewStub(reader_process.Channel());
  std::atomic<int> stale{0};
  std::atomic<int> failed{0};
  const auto alternate = [&](int pair) {
    v1::Forum forum;
    {
      grpc::ClientContext context;
      v1::GetForumRequest request;
      request.set_name(absl::StrCat("forums/alternating-", pair));
      if (!writer->GetForum(&context, request, &forum).ok()) {
        ++failed;
        return;
      }
    }
    for (int i = 0; i < alternations; ++i) {
      int64_t revision = 0;
      {
        grpc::ClientContext context;
        v1::UpdateForumRequest request;
        request.mutable_forum()->set_name(forum.name());
        request.mutable_forum()->set_description(absl::StrCat("write ", i));
        request.mutable_update_mask()->add_paths("description");
        if (!writer->UpdateForum(&context, request, &forum).ok() ||
            !absl::SimpleAtoi(testing::RevisionHeader(context), &revision)) {
          ++failed;
          return;
        }
      }
      // Twice: the first read decodes the new version, the second may be
      // served from memory; both must be the write just acknowledged.
      for (int read = 0; read < 2; ++read) {
        v1::Forum got;
        if (!ReadForum(*reader, mode, forum.name(), revision, &got).ok()) {
          ++failed;
          return;
        }
        if (got.etag() != forum.etag() ||
            got.description() != absl::StrCat("write ", i)) {
          ++stale;
        }
      }
    }
  };
  std::vector<std::thread> pairs;
  for (int pair = 0; pair < kPairs; ++pair) pairs.emplace_back(alternate, pair);
  for (std::thread& pair : pairs) pair.join();
  return {.stale = stale.load(), .failed = failed.load()};
}

// The forums the pairs write, in `db` (as their first version, when `db`
// plays a replica that never replays the writes).
void AddForums(const TestDatabase& db) {
  for (int pair = 0; pair < kPairs; ++pair) {
    db.Execute(absl::StrCat(
        "INSERT INTO forums (name, body) VALUES ('forums/alternating-", pair,
        "', '{\"kind\": \"FORUM_KIND_SUMMIT\", \"display_name\": "
        "\"Alternating\", \"status\": \"FORUM_STATUS_ACTIVE\"}')"));
  }
}

TEST(ReadConsistency, AGetThroughAnotherProcessSeesEveryAcknowledgedWrite) {
  auto db = TestDatabase::Create();
  AddForums(*db);
  auto writer_process = ServerProcess::Start(db->url());
  auto reader_process = ServerProcess::Start(db->url());
  const Outcome outcome = Alternate(*writer_process, *reader_process);
  ASSERT_EQ(outcome.failed, 0);
  EXPECT_EQ(outcome.stale, 0);

  // Every Get used the cache, and each asked for the current revision, at
  // most once. The feed holds each write as current once it has applied
  // it (record_cache.h), so most reads, the first after a write too, are
  // answered from memory; a read the feed had not caught up with misses.
  const std::string metrics = forum_registry::testing::HttpGet(
      reader_process->MetricsPort(), "/metrics");
  const double hits =
      MetricSample(metrics, "forum_registry_record_cache_hits_total");
  const double misses =
      MetricSample(metrics, "forum_registry_record_cache_misses_total");
  const double checks =
      MetricSample(metrics, "forum_registry_revision_checks_total");
  EXPECT_EQ(hits + misses, 2 * kWrites);
  EXPECT_GT(hits, kWrites) << "the first read after a write is mostly from "
                              "the record the feed installed";
  EXPECT_GT(checks, 0);
  EXPECT_LE(checks, 2 * kWrites);
}

// A primary, a replica, a writing process and a reading one that reads the
// replica. The replica here is another database that never replays the
// primary's writes: it holds each forum's first version, and its change log
// stays behind the primary's from the first update on, so a Get it answered
// would be stale (tests/e2e/lifecycle_test.cc reads one the same way).
struct BehindReplica {
  explicit BehindReplica(std::vector<std::string> reader_flags)
      : db(TestDatabase::Create()), replica(TestDatabase::Create()) {
    AddForums(*db);
    AddForums(*replica);
    writer = ServerProcess::Start(db->url());
    reader_flags.push_back("--read-database-url=" + replica->url());
    reader = ServerProcess::Start(db->url(), reader_flags);
  }
  std::unique_ptr<TestDatabase> db;
  std::unique_ptr<TestDatabase> replica;
  std::unique_ptr<ServerProcess> writer;
  std::unique_ptr<ServerProcess> reader;
};

TEST(ReadConsistency, WithTheCacheOffAReplicaThatIsBehindIsNeverRead) {
  BehindReplica setup({"--record-cache-size=0"});
  const Outcome outcome = Alternate(*setup.writer, *setup.reader);
  ASSERT_EQ(outcome.failed, 0);
  EXPECT_EQ(outcome.stale, 0);
}

// The reader's change feed is cut again and again while the pairs run (its
// LISTEN connection terminated as soon as it is back), so most Gets find
// the cache not following, and the rest may find it behind.
TEST(ReadConsistency, WithTheFeedDownAReplicaThatIsBehindIsNeverRead) {
  BehindReplica setup({});
  const TestDatabase& db = *setup.db;
  absl::Notification done;
  std::atomic<int> cuts{0};
  std::thread cutter([&] {
    while (!done.WaitForNotificationWithTimeout(absl::Milliseconds(20))) {
      const std::string cut = db.Query(
          "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM "
          "pg_stat_activity WHERE application_name = 'forum-registry-listen' "
          "AND datname = current_database()");
      cuts += std::stoi(cut);
    }
  });
  const Outcome outcome = Alternate(*setup.writer, *setup.reader);
  done.Notify();
  cutter.join();
  ASSERT_EQ(outcome.failed, 0);
  EXPECT_EQ(outcome.stale, 0);
  EXPECT_GT(cuts.load(), 0) << "the feed was cut";
}

// A Get naming the revision its write returned sees that write through
// another process, from memory once that process's feed has applied it:
// no Get asks the primary for its revision.
TEST(ReadConsistency, AGetNamingTheWritesRevisionSeesIt) {
  auto db = TestDatabase::Create();
  AddForums(*db);
  auto writer_process = ServerProcess::Start(db->url());
  auto reader_process = ServerProcess::Start(db->url());
  const Outcome outcome =
      Alternate(*writer_process, *reader_process, Read::kGetAtRevision);
  ASSERT_EQ(outcome.failed, 0);
  EXPECT_EQ(outcome.stale, 0);
  const std::string metrics = forum_registry::testing::HttpGet(
      reader_process->MetricsPort(), "/metrics");
  EXPECT_EQ(MetricSample(metrics, "forum_registry_revision_checks_total"), 0);
  EXPECT_GT(MetricSample(metrics, "forum_registry_record_cache_hits_total"),
            kWrites / 2)
      << "the second read is mostly from memory";
}

// The replica never catches up, so every read it answered would be stale:
// a tenth of the alternations finds that out as surely.
constexpr int kReplicaAlternations = kAlternationsEach / 10;

TEST(ReadConsistency, NamingTheRevisionNeverReadsAReplicaThatIsBehind) {
  for (const std::vector<std::string>& flags :
       {std::vector<std::string>{}, {"--record-cache-size=0"}}) {
    SCOPED_TRACE(flags.empty() ? "cache on" : flags[0]);
    BehindReplica setup(flags);
    for (const Read mode : {Read::kGetAtRevision, Read::kListAtRevision}) {
      const Outcome outcome =
          Alternate(*setup.writer, *setup.reader, mode, kReplicaAlternations);
      ASSERT_EQ(outcome.failed, 0);
      EXPECT_EQ(outcome.stale, 0);
    }
  }
}

// The control: the same List naming no revision reads the replica, which
// is behind; the test above could see a stale read if there were one.
TEST(ReadConsistency, AListNamingNoRevisionReadsTheReplicaAsItIs) {
  BehindReplica setup({"--record-cache-size=0"});
  const Outcome outcome =
      Alternate(*setup.writer, *setup.reader, Read::kListNamingNothing,
                kReplicaAlternations);
  ASSERT_EQ(outcome.failed, 0);
  EXPECT_EQ(outcome.stale, 2 * kPairs * kReplicaAlternations);
}

// A revision not written yet is refused, naming it; a negative one, or one
// beside as_of_revision, is a bad argument.
TEST(ReadConsistency, ARevisionNotWrittenYetIsOutOfRange) {
  auto db = TestDatabase::Create();
  AddForums(*db);
  auto server = ServerProcess::Start(db->url());
  auto stub = v1::ForumService::NewStub(server->Channel());
  const int64_t next =
      std::stoll(db->Query("SELECT coalesce(max(sequence), 0) FROM changes")) +
      1000;
  for (const bool list : {false, true}) {
    grpc::ClientContext context;
    v1::Forum got;
    grpc::Status status;
    if (list) {
      v1::ListForumsRequest request;
      request.set_min_revision(next);
      v1::ListForumsResponse response;
      status = stub->ListForums(&context, request, &response);
    } else {
      v1::GetForumRequest request;
      request.set_name("forums/alternating-0");
      request.set_min_revision(next);
      status = stub->GetForum(&context, request, &got);
    }
    EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE) << list;
    EXPECT_THAT(status.error_message(),
                ::testing::HasSubstr(absl::StrCat(
                    "min_revision: ", next, " has not been written yet")));
  }
  for (const auto& [min, as_of] : {std::pair<int64_t, int64_t>{-1, 0},
                                   std::pair<int64_t, int64_t>{1, 1}}) {
    grpc::ClientContext context;
    v1::GetForumRequest request;
    request.set_name("forums/alternating-0");
    request.set_min_revision(min);
    request.set_as_of_revision(as_of);
    v1::Forum got;
    const grpc::Status status = stub->GetForum(&context, request, &got);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), ::testing::HasSubstr("min_revision"));
  }
}

}  // namespace
}  // namespace forum_registry
