// Never stale: a Get that starts after a write was acknowledged, through any
// server process, returns that write or a newer one: with the record cache
// on (the default), which answers from memory once the change feed has
// applied the revision the primary reports (store/record_cache.h); with the
// cache off; with the feed down; and with a replica that is behind.
//
// Not older than (issue 29): a Get or List naming the revision the write
// returned (min_revision) returns that write or a newer one, in the same
// setups, without asking the primary for its revision. A List in name order
// naming none is never stale as a Get is, from the list cache
// (store/list_cache.h) or else the database at the primary's revision; with
// the list cache off it may read a replica that is behind (the control).

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
  kListNamingNothing,  // a List naming nothing: stale only with the list cache
                       // off
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

// A process that reads after each write, and how.
struct Reader {
  ServerProcess* process;
  Read mode = Read::kGet;
};

// Writers in pairs with readers, each pair on a forum of its own
// (forums/alternating-N), all at once: concurrent Gets share revision
// checks, and a change to one forum must not let another's stale record
// through. Each write through `writer` is followed by two reads through
// each of `readers`, all readers at once, each of which must return that
// write. One outcome a reader: readers that share the writes test their
// setups in one run, each reading first after every write.
std::vector<Outcome> Alternate(ServerProcess& writer_process,
                               const std::vector<Reader>& readers,
                               int alternations = kAlternationsEach) {
  auto writer = v1::ForumService::NewStub(writer_process.Channel());
  std::vector<std::unique_ptr<v1::ForumService::Stub>> stubs;
  for (const Reader& reader : readers) {
    stubs.push_back(v1::ForumService::NewStub(reader.process->Channel()));
  }
  std::vector<std::atomic<int>> stale(readers.size());
  std::vector<std::atomic<int>> failed(readers.size());
  const auto fail_all = [&] {
    for (std::atomic<int>& count : failed) ++count;
  };
  const auto alternate = [&](int pair) {
    v1::Forum forum;
    {
      grpc::ClientContext context;
      v1::GetForumRequest request;
      request.set_name(absl::StrCat("forums/alternating-", pair));
      if (!writer->GetForum(&context, request, &forum).ok()) {
        fail_all();
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
          fail_all();
          return;
        }
      }
      // Every reader at once, each reading first after the write. Twice:
      // the first read decodes the new version, the second may be served
      // from memory; both must be the write just acknowledged.
      std::atomic<bool> read_failed{false};
      const auto read_twice = [&](size_t r) {
        for (int read = 0; read < 2; ++read) {
          v1::Forum got;
          if (!ReadForum(*stubs[r], readers[r].mode, forum.name(), revision,
                         &got)
                   .ok()) {
            ++failed[r];
            read_failed = true;
            return;
          }
          if (got.etag() != forum.etag() ||
              got.description() != absl::StrCat("write ", i)) {
            ++stale[r];
          }
        }
      };
      std::vector<std::thread> others;
      for (size_t r = 1; r < readers.size(); ++r) {
        others.emplace_back(read_twice, r);
      }
      read_twice(0);
      for (std::thread& other : others) other.join();
      if (read_failed) return;
    }
  };
  std::vector<std::thread> pairs;
  for (int pair = 0; pair < kPairs; ++pair) pairs.emplace_back(alternate, pair);
  for (std::thread& pair : pairs) pair.join();
  std::vector<Outcome> outcomes;
  for (size_t r = 0; r < readers.size(); ++r) {
    outcomes.push_back({.stale = stale[r].load(), .failed = failed[r].load()});
  }
  return outcomes;
}

// Expects every reader's reads to have succeeded and none to be stale.
void ExpectNoneStale(const std::vector<Outcome>& outcomes) {
  for (size_t r = 0; r < outcomes.size(); ++r) {
    EXPECT_EQ(outcomes[r].failed, 0) << "reader " << r;
    EXPECT_EQ(outcomes[r].stale, 0) << "reader " << r;
  }
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

// Two readers of the same writes, reading at once after each: a Get naming
// nothing, which asks the primary for its revision, and a Get naming the
// revision its write returned, which asks nothing.
TEST(ReadConsistency, AGetThroughAnotherProcessSeesEveryAcknowledgedWrite) {
  auto db = TestDatabase::Create();
  AddForums(*db);
  auto writer_process = ServerProcess::Start(db->url());
  auto plain = ServerProcess::Start(db->url());
  auto at_revision = ServerProcess::Start(db->url());
  ExpectNoneStale(Alternate(
      *writer_process,
      {{plain.get(), Read::kGet}, {at_revision.get(), Read::kGetAtRevision}}));

  // Every Get used the cache, and each asked for the current revision, at
  // most once. The feed holds each write as current once it has applied
  // it (record_cache.h), so most reads, the first after a write too, are
  // answered from memory; a read the feed had not caught up with misses.
  const std::string metrics =
      forum_registry::testing::HttpGet(plain->MetricsPort(), "/metrics");
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
  // And waited for the check on no worker (decisions §75): answered on the
  // check's thread when the feed had applied the revision, else on a
  // worker; either way once.
  const double at_once = MetricSample(
      metrics, "forum_registry_calls_after_wait_total{ran=\"at_once\"}");
  const double on_worker = MetricSample(
      metrics, "forum_registry_calls_after_wait_total{ran=\"worker\"}");
  EXPECT_EQ(at_once + on_worker, 2 * kWrites);
  EXPECT_GT(at_once, kWrites / 2)
      << "the second read at least; on a worker " << on_worker;

  // Naming the revision (issue 29), from memory once the feed has applied
  // it: no Get asks the primary for its revision.
  const std::string named =
      forum_registry::testing::HttpGet(at_revision->MetricsPort(), "/metrics");
  EXPECT_EQ(MetricSample(named, "forum_registry_revision_checks_total"), 0);
  EXPECT_GT(MetricSample(named, "forum_registry_record_cache_hits_total"),
            kWrites / 2)
      << "the second read is mostly from memory";
}

// A primary, a replica, a writing process and reading ones that read the
// replica, one for each set of flags. The replica here is another database
// that never replays the primary's writes: it holds each forum's first
// version, and its change log stays behind the primary's from the first
// update on, so a Get it answered would be stale
// (tests/e2e/lifecycle_test.cc reads one the same way).
struct BehindReplica {
  explicit BehindReplica(std::vector<std::vector<std::string>> reader_flags)
      : db(TestDatabase::Create()), replica(TestDatabase::Create()) {
    AddForums(*db);
    AddForums(*replica);
    writer = ServerProcess::Start(db->url());
    for (std::vector<std::string>& flags : reader_flags) {
      flags.push_back("--read-database-url=" + replica->url());
      readers.push_back(ServerProcess::Start(db->url(), flags));
    }
  }
  std::unique_ptr<TestDatabase> db;
  std::unique_ptr<TestDatabase> replica;
  std::unique_ptr<ServerProcess> writer;
  std::vector<std::unique_ptr<ServerProcess>> readers;
};

// Cuts a server's change feed again and again while it lives: its LISTEN
// connection terminated every 20 ms, as soon as it is back.
class FeedCutter {
 public:
  explicit FeedCutter(const TestDatabase& db)
      : thread_([this, &db] {
          while (
              !done_.WaitForNotificationWithTimeout(absl::Milliseconds(20))) {
            const std::string cut = db.Query(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) "
                "FROM pg_stat_activity WHERE application_name = "
                "'forum-registry-listen' AND datname = current_database()");
            cuts_ += std::stoi(cut);
          }
        }) {}
  ~FeedCutter() { Stop(); }
  void Stop() {
    if (!done_.HasBeenNotified()) done_.Notify();
    if (thread_.joinable()) thread_.join();
  }
  int cuts() const { return cuts_.load(); }

 private:
  absl::Notification done_;
  std::atomic<int> cuts_{0};
  std::thread thread_;
};

// Two readers of the same writes: one with the cache off, and one whose
// change feed is cut again and again while the pairs run, so that most of
// its Gets find the cache not following, and the rest may find it behind.
TEST(ReadConsistency, AReplicaThatIsBehindIsNeverRead) {
  BehindReplica setup({{"--record-cache-size=0"}, {}});
  FeedCutter cutter(*setup.db);
  const std::vector<Outcome> outcomes =
      Alternate(*setup.writer, {{setup.readers[0].get(), Read::kGet},
                                {setup.readers[1].get(), Read::kGet}});
  cutter.Stop();
  ExpectNoneStale(outcomes);
  EXPECT_GT(cutter.cuts(), 0) << "the feed was cut";
}

// The replica never catches up, so every read it answered would be stale:
// a tenth of the alternations finds that out as surely. Gets and Lists
// naming the revision, with the caches on and off, and a List naming none
// with the list cache on, never read it; a List naming no revision with the
// list cache off (the control) reads it, so this test could see a stale
// read if there were one.
constexpr int kReplicaAlternations = kAlternationsEach / 10;

TEST(ReadConsistency, NamingTheRevisionNeverReadsAReplicaThatIsBehind) {
  BehindReplica setup({{}, {"--record-cache-size=0", "--list-cache-bytes=0"}});
  ServerProcess* cache_on = setup.readers[0].get();
  ServerProcess* cache_off = setup.readers[1].get();
  const std::vector<Outcome> outcomes =
      Alternate(*setup.writer,
                {{cache_on, Read::kGetAtRevision},
                 {cache_on, Read::kListAtRevision},
                 {cache_on, Read::kListNamingNothing},
                 {cache_off, Read::kGetAtRevision},
                 {cache_off, Read::kListAtRevision},
                 {cache_off, Read::kListNamingNothing}},
                kReplicaAlternations);
  ExpectNoneStale(std::vector<Outcome>(outcomes.begin(), outcomes.end() - 1));
  EXPECT_EQ(outcomes.back().failed, 0);
  EXPECT_EQ(outcomes.back().stale, 2 * kPairs * kReplicaAlternations)
      << "the control read the replica";
  // The cache-on server's Lists (two readers, two reads after each write)
  // came from the list cache, but for those the feed had not caught up
  // with in 50 ms (a loaded machine may have many).
  const double pages = MetricSample(
      forum_registry::testing::HttpGet(cache_on->MetricsPort(), "/metrics"),
      "forum_registry_list_cache_pages_total");
  EXPECT_GT(pages, 0);
  EXPECT_LE(pages, 4 * kPairs * kReplicaAlternations);
}

// A List naming no revision through a server whose feed is cut again and
// again, beside a replica that never catches up: from memory while the feed
// follows, else from the database at the primary's revision, never from the
// replica as it stands (a tenth of the alternations, as above).
TEST(ReadConsistency, AListNamingNothingIsNeverStaleWithTheFeedCut) {
  BehindReplica setup(std::vector<std::vector<std::string>>{{}});
  FeedCutter cutter(*setup.db);
  const std::vector<Outcome> outcomes = Alternate(
      *setup.writer, {{setup.readers[0].get(), Read::kListNamingNothing}},
      kReplicaAlternations);
  cutter.Stop();
  ExpectNoneStale(outcomes);
  EXPECT_GT(cutter.cuts(), 0) << "the feed was cut";
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
