// ChangeService.WatchChanges as clients see it: the real server binary (one
// or two processes), its real PostgreSQL, the generated C++ stubs.
//
// What a follower relies on, each tested here: every committed change once,
// in commit order, across resumes, whatever order concurrent writers commit
// in; a write through one process reaching a watcher on another within a
// second; the initial state, then its bookmark, then live changes; filters
// that select what ListChanges selects; a slow client ended without hurting
// the others; streams ended with UNAVAILABLE when the server drains; and
// every bad request refused with INVALID_ARGUMENT or OUT_OF_RANGE.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <memory>
#include <pqxx/pqxx>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "forumregistry/v1/change.grpc.pb.h"
#include "forumregistry/v1/participant.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "tests/support/resource_client.h"
#include "tests/support/test_support.h"

namespace forum_registry {
namespace {

namespace v1 = ::forumregistry::v1;

using ::forum_registry::testing::Describe;
using ::forum_registry::testing::ResourceClient;
using ::forum_registry::testing::RevisionHeader;
using ::forum_registry::testing::ServerProcess;
using ::forum_registry::testing::TestDatabase;
using ::forum_registry::testing::UniqueId;
using ::testing::HasSubstr;

// Bookmarks come often, so that tests waiting for one do not wait long.
const std::vector<std::string> kFastBookmarks = {
    "--watch-bookmark-interval=200ms"};

// One database and one server for the tests that need nothing of their own.
class WatchTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = TestDatabase::Create().release();
    server_ = ServerProcess::Start(db_->url(), kFastBookmarks).release();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete db_;
  }
  static TestDatabase* db_;
  static ServerProcess* server_;
};
TestDatabase* WatchTest::db_ = nullptr;
ServerProcess* WatchTest::server_ = nullptr;

int64_t Newest(const TestDatabase& db) {
  return std::stoll(db.Query("SELECT coalesce(max(sequence), 0) FROM changes"));
}

// Inserts participants/{id} directly, in a transaction of its own.
void InsertParticipant(pqxx::connection& connection, const std::string& id,
                       const std::string& description = "") {
  pqxx::work txn(connection);
  txn.exec_params(
      "INSERT INTO participants (name, body) VALUES ($1, "
      "jsonb_build_object('kind', 'PARTICIPANT_KIND_STATE', 'display_name', "
      "$2::text, 'description', $3::text))",
      absl::StrCat("participants/", id), id, description);
  txn.commit();
}

// An open WatchChanges stream.
struct Watch {
  Watch(const std::shared_ptr<grpc::Channel>& channel,
        const v1::WatchChangesRequest& request, int deadline_s = 60)
      : stub(v1::ChangeService::NewStub(channel)) {
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(deadline_s));
    reader = stub->WatchChanges(&context, request);
  }
  // The next message; false when the stream ended.
  bool Next(v1::WatchChangesResponse* response) {
    return reader->Read(response);
  }
  // Reads until a message whose revision is `revision` or later; the
  // changes up to it.
  std::vector<v1::Change> ChangesThrough(int64_t revision) {
    std::vector<v1::Change> changes;
    v1::WatchChangesResponse response;
    while (Next(&response)) {
      changes.insert(changes.end(), response.changes().begin(),
                     response.changes().end());
      if (response.revision() >= revision) return changes;
    }
    ADD_FAILURE() << "the stream ended before revision " << revision << ": "
                  << Describe(reader->Finish());
    return changes;
  }
  grpc::Status Cancel() {
    context.TryCancel();
    v1::WatchChangesResponse ignored;
    while (reader->Read(&ignored)) {
    }
    return reader->Finish();
  }

  std::unique_ptr<v1::ChangeService::Stub> stub;
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<v1::WatchChangesResponse>> reader;
};

v1::WatchChangesRequest After(int64_t revision,
                              const std::string& filter = "") {
  v1::WatchChangesRequest request;
  request.set_after_revision(revision);
  request.set_filter(filter);
  return request;
}

std::vector<int64_t> Revisions(const std::vector<v1::Change>& changes) {
  std::vector<int64_t> out;
  for (const v1::Change& change : changes) out.push_back(change.revision());
  return out;
}

// The revision in "... resume with after_revision=N ..."; -1 if none.
int64_t ResumeRevision(const std::string& message) {
  const std::string marker = "after_revision=";
  const size_t at = message.find(marker);
  if (at == std::string::npos) return -1;
  int64_t revision = -1;
  const size_t start = at + marker.size();
  size_t end = start;
  while (end < message.size() && isdigit(message[end])) ++end;
  if (!absl::SimpleAtoi(message.substr(start, end - start), &revision)) {
    return -1;
  }
  return revision;
}

TEST_F(WatchTest, AWatchFromNowStartsWithABookmarkThenGetsEachWrite) {
  Watch watch(server_->Channel(), After(0));
  v1::WatchChangesResponse first;
  ASSERT_TRUE(watch.Next(&first));
  EXPECT_EQ(first.changes_size(), 0) << first.DebugString();
  EXPECT_EQ(first.revision(), Newest(*db_));

  // A write through the API: its revision header names the change.
  grpc::ClientContext context;
  const std::string id = UniqueId("watched");
  v1::Participant participant;
  participant.set_display_name("Watched");
  participant.set_kind(v1::PARTICIPANT_KIND_STATE);
  v1::Participant created;
  ASSERT_TRUE(ResourceClient<v1::Participant>(server_->Channel())
                  .Create("", id, participant, &created, &context)
                  .ok());
  const std::string revision_text = RevisionHeader(context);
  ASSERT_NE(revision_text, "");
  const int64_t revision = std::stoll(revision_text);

  v1::WatchChangesResponse next;
  ASSERT_TRUE(watch.Next(&next));
  ASSERT_EQ(next.changes_size(), 1) << next.DebugString();
  EXPECT_EQ(next.revision(), revision);
  const v1::Change& change = next.changes(0);
  EXPECT_EQ(change.revision(), revision);
  EXPECT_EQ(change.resource(), created.name());
  EXPECT_EQ(change.operation(), v1::CHANGE_OPERATION_CREATE);
  EXPECT_EQ(change.etag(), created.etag());
  v1::Participant record;
  ASSERT_TRUE(change.record().UnpackTo(&record));
  EXPECT_EQ(record.display_name(), "Watched");

  // Idle, it gets bookmarks at that revision.
  ASSERT_TRUE(watch.Next(&next));
  EXPECT_EQ(next.changes_size(), 0) << next.DebugString();
  EXPECT_EQ(next.revision(), revision);
  EXPECT_FALSE(next.initial_state_end());

  // Operators see the open stream and what the feed has read.
  const std::string metrics =
      forum_registry::testing::HttpGet(server_->MetricsPort(), "/metrics");
  EXPECT_THAT(metrics,
              ::testing::ContainsRegex("\nforum_registry_watch_streams [1-9]"));
  EXPECT_THAT(metrics,
              HasSubstr(absl::StrCat("\nforum_registry_watch_revision ",
                                     revision, "\n")));
  EXPECT_EQ(watch.Cancel().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(WatchTest, InitialStateThenItsBookmarkThenLiveChanges) {
  pqxx::connection connection(db_->url());
  const std::string prefix = UniqueId("init");
  for (const char* suffix : {"-b", "-a", "-c"}) {
    InsertParticipant(connection, prefix + suffix);
  }
  {  // One of them deleted, one changed: the initial state is what is now.
    pqxx::work txn(connection);
    txn.exec("DELETE FROM participants WHERE name = 'participants/" + prefix +
             "-c'");
    txn.exec(
        "UPDATE participants SET version = version + 1, body = body || "
        "'{\"display_name\": \"B2\"}' WHERE name = 'participants/" +
        prefix + "-b'");
    txn.commit();
  }
  const int64_t now = Newest(*db_);

  v1::WatchChangesRequest request;
  request.set_initial_state(true);
  request.set_filter(absl::StrCat(R"(collection = "participants" AND )",
                                  R"(resource != "participants/zzz")"));
  Watch watch(server_->Channel(), request);
  std::vector<std::string> names;
  v1::WatchChangesResponse response;
  while (watch.Next(&response)) {
    for (const v1::Change& change : response.changes()) {
      EXPECT_EQ(change.revision(), 0);
      EXPECT_EQ(change.operation(), v1::CHANGE_OPERATION_CREATE);
      if (change.resource().rfind("participants/" + prefix, 0) == 0) {
        names.push_back(change.resource());
        if (names.back().ends_with("-b")) {
          v1::Participant b;
          ASSERT_TRUE(change.record().UnpackTo(&b));
          EXPECT_EQ(b.display_name(), "B2");
          EXPECT_EQ(change.etag(), b.etag());
        }
      }
    }
    if (response.initial_state_end()) break;
    // Until the initial state is whole, there is nothing to resume from.
    EXPECT_EQ(response.revision(), 0);
  }
  EXPECT_THAT(names, ::testing::ElementsAre("participants/" + prefix + "-a",
                                            "participants/" + prefix + "-b"));
  EXPECT_TRUE(response.initial_state_end()) << response.DebugString();
  EXPECT_EQ(response.revision(), now);

  InsertParticipant(connection, prefix + "-d");
  const std::vector<v1::Change> live = watch.ChangesThrough(Newest(*db_));
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].resource(), "participants/" + prefix + "-d");
  EXPECT_EQ(live[0].revision(), Newest(*db_));
  watch.Cancel();
}

// The watch matches changes in memory, ListChanges in SQL: they must agree,
// for live changes and for those read back after a resume.
TEST_F(WatchTest, FiltersSelectWhatListChangesSelects) {
  const std::string p = UniqueId("flt");
  const std::vector<std::string> filters = {
      R"(collection = "participants")",
      R"(collection = "forums")",
      "operation = DELETE",
      absl::StrCat(R"(resource = "participants/)", p, R"(-2")"),
      R"(collection:"FORUM")",
      R"(collection = "for*" OR operation = UPDATE)",
      R"(NOT operation = CREATE AND collection != "forums")",
      R"(change_time >= "2020" AND change_time < "2200")",
      R"(change_time < "2020")",
  };
  const int64_t start = Newest(*db_);
  std::vector<std::unique_ptr<Watch>> live;
  for (const std::string& filter : filters) {
    live.push_back(
        std::make_unique<Watch>(server_->Channel(), After(0, filter)));
    v1::WatchChangesResponse first;
    ASSERT_TRUE(live.back()->Next(&first));  // live from here
  }

  pqxx::connection connection(db_->url());
  for (int i = 0; i < 4; ++i)
    InsertParticipant(connection, absl::StrCat(p, "-", i));
  {
    pqxx::work txn(connection);
    txn.exec("INSERT INTO forums (name, body) VALUES ('forums/" + p +
             "', '{\"kind\": \"FORUM_KIND_SUMMIT\", \"display_name\": "
             "\"F\"}')");
    txn.exec(
        "UPDATE participants SET version = version + 1 WHERE name = "
        "'participants/" +
        p + "-2'");
    txn.exec("DELETE FROM participants WHERE name = 'participants/" + p +
             "-3'");
    txn.commit();
  }
  const int64_t end = Newest(*db_);

  auto stub = v1::ChangeService::NewStub(server_->Channel());
  for (size_t f = 0; f < filters.size(); ++f) {
    SCOPED_TRACE(filters[f]);
    std::vector<int64_t> listed;
    v1::ListChangesRequest list;
    list.set_filter(absl::StrCat("(", filters[f], ") AND revision > ", start));
    list.set_page_size(3);
    do {
      grpc::ClientContext context;
      v1::ListChangesResponse page;
      ASSERT_TRUE(stub->ListChanges(&context, list, &page).ok());
      for (const v1::Change& change : page.changes()) {
        listed.push_back(change.revision());
      }
      list.set_page_token(page.next_page_token());
    } while (!list.page_token().empty());

    EXPECT_EQ(Revisions(live[f]->ChangesThrough(end)), listed) << "live";
    Watch resumed(server_->Channel(), After(start, filters[f]));
    EXPECT_EQ(Revisions(resumed.ChangesThrough(end)), listed) << "resumed";
    resumed.Cancel();
    live[f]->Cancel();
  }
}

TEST_F(WatchTest, BadRequestsAreRefusedNamingTheFieldAndWriteNothing) {
  struct Case {
    v1::WatchChangesRequest request;
    grpc::StatusCode code;
    std::string message;
  };
  v1::WatchChangesRequest initial_with_revision = After(1);
  initial_with_revision.set_initial_state(true);
  const std::vector<Case> cases = {
      {After(-1), grpc::StatusCode::INVALID_ARGUMENT,
       "after_revision: must not be negative"},
      {After(0, "colour = RED"), grpc::StatusCode::INVALID_ARGUMENT,
       "filter: "},
      {After(0, R"(resource = "forums/")"), grpc::StatusCode::INVALID_ARGUMENT,
       "is not the name of a record"},
      {After(0, "revision >"), grpc::StatusCode::INVALID_ARGUMENT, "filter: "},
      {initial_with_revision, grpc::StatusCode::INVALID_ARGUMENT,
       "after_revision: must be 0 with initial_state"},
      {After(std::numeric_limits<int64_t>::max()),
       grpc::StatusCode::OUT_OF_RANGE, "is newer than the newest revision"},
  };
  const std::string before = db_->WriteState();
  for (const Case& c : cases) {
    SCOPED_TRACE(c.request.DebugString());
    Watch watch(server_->Channel(), c.request, 10);
    v1::WatchChangesResponse response;
    EXPECT_FALSE(watch.Next(&response)) << response.DebugString();
    const grpc::Status status = watch.reader->Finish();
    EXPECT_EQ(status.error_code(), c.code) << Describe(status);
    EXPECT_THAT(status.error_message(), HasSubstr(c.message));
  }
  EXPECT_EQ(db_->WriteState(), before);
}

// A revision whose successors were purged cannot be resumed from: the error
// names the oldest revision kept.
TEST(WatchRetention, ARevisionOlderThanTheLogIsOutOfRange) {
  auto db = TestDatabase::Create();
  auto server = ServerProcess::Start(db->url(), kFastBookmarks);
  pqxx::connection connection(db->url());
  for (const char* id : {"a", "b", "c", "d"}) InsertParticipant(connection, id);
  const int64_t newest = Newest(*db);
  // What --change-retention does, all at once.
  db->Execute("DELETE FROM changes WHERE sequence < " +
              std::to_string(newest - 1));

  Watch old(server->Channel(), After(newest - 3));
  v1::WatchChangesResponse response;
  EXPECT_FALSE(old.Next(&response));
  const grpc::Status status = old.reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE)
      << Describe(status);
  EXPECT_THAT(
      status.error_message(),
      HasSubstr(absl::StrCat("the oldest kept is revision ", newest - 1)));
  EXPECT_THAT(status.error_message(), HasSubstr("initial_state"));

  // Right after the last purged revision is still fine.
  Watch fine(server->Channel(), After(newest - 2));
  EXPECT_EQ(Revisions(fine.ChangesThrough(newest)),
            (std::vector<int64_t>{newest - 1, newest}));
  fine.Cancel();
}

// 16 writers commit in another order than they wrote, some roll back, while
// three watchers keep disconnecting and resuming from the last revision they
// got: each sees exactly the committed changes, each once, in one order.
TEST_F(WatchTest, EveryCommittedChangeOnceInCommitOrderAcrossResumes) {
  const int64_t start = Newest(*db_);
  constexpr int64_t kNotYet = std::numeric_limits<int64_t>::max();
  std::atomic<int64_t> final_revision{kNotYet};

  struct Seen {
    std::vector<std::pair<int64_t, std::string>> changes;
    int resumes = 0;
    std::vector<std::string> errors;
  };
  std::vector<Seen> seen(3);
  std::vector<std::thread> watchers;
  for (int w = 0; w < 3; ++w) {
    watchers.emplace_back([&, w] {
      std::mt19937 random(77 + w);
      Seen& mine = seen[w];
      int64_t resume = start;
      for (bool caught_up = false; !caught_up; ++mine.resumes) {
        Watch watch(server_->Channel(), After(resume));
        v1::WatchChangesResponse response;
        for (int budget = 1 + random() % 5; budget > 0 && !caught_up;
             --budget) {
          if (!watch.Next(&response)) {
            mine.errors.push_back(Describe(watch.reader->Finish()));
            break;
          }
          for (const v1::Change& change : response.changes()) {
            mine.changes.emplace_back(change.revision(), change.resource());
          }
          resume = response.revision();
          caught_up = resume >= final_revision.load();
        }
        if (mine.errors.empty()) watch.Cancel();
        if (mine.errors.size() > 0) return;
      }
    });
  }

  const int committed = forum_registry::testing::WriteOutOfOrder(
      db_->url(), UniqueId("once"), /*writers=*/16, /*rounds=*/6);
  final_revision = Newest(*db_);
  for (auto& watcher : watchers) watcher.join();

  std::vector<std::pair<int64_t, std::string>> logged;
  {
    pqxx::connection connection(db_->url());
    pqxx::nontransaction txn(connection);
    for (const auto& row : txn.exec_params(
             "SELECT sequence, resource FROM changes WHERE sequence > $1 "
             "ORDER BY sequence",
             start)) {
      logged.emplace_back(row[0].as<int64_t>(), row[1].as<std::string>());
    }
  }
  EXPECT_EQ(static_cast<int>(logged.size()), committed);
  for (int w = 0; w < 3; ++w) {
    SCOPED_TRACE(absl::StrCat("watcher ", w));
    EXPECT_THAT(seen[w].errors, ::testing::IsEmpty());
    EXPECT_GT(seen[w].resumes, 3);
    EXPECT_EQ(seen[w].changes, logged);
  }
}

// Two processes of one database: a write through one reaches a watcher of
// the other within a second.
TEST_F(WatchTest, AWriteThroughOneProcessReachesAWatcherOnAnother) {
  auto other = ServerProcess::Start(db_->url(), kFastBookmarks);
  Watch watch(other->Channel(), After(0));
  v1::WatchChangesResponse response;
  ASSERT_TRUE(watch.Next(&response));  // the bookmark: live from here

  const ResourceClient<v1::Participant> participants(server_->Channel());
  v1::Participant far;
  far.set_display_name("Far");
  far.set_kind(v1::PARTICIPANT_KIND_STATE);
  for (int i = 0; i < 5; ++i) {
    v1::Participant created;
    ASSERT_TRUE(participants.Create("", UniqueId("far"), far, &created).ok());
    const auto acknowledged = std::chrono::steady_clock::now();
    do {
      ASSERT_TRUE(watch.Next(&response));
    } while (response.changes_size() == 0);
    const auto delay = std::chrono::steady_clock::now() - acknowledged;
    EXPECT_EQ(response.changes(0).resource(), created.name());
    EXPECT_LT(delay, std::chrono::seconds(1));
  }
  watch.Cancel();
}

// A slow client's connection: no window growth, a small window, so the
// server's writes to it block soon.
std::shared_ptr<grpc::Channel> SlowChannel(const ServerProcess& server) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 65536);
  return grpc::CreateCustomChannel(server.address(),
                                   grpc::InsecureChannelCredentials(), args);
}

// The same bound in bytes: a few large changes fill a buffer long before
// their count does (--watch-buffer-bytes).
TEST(WatchSlowClient, IsEndedWhenTheBytesWaitingPassTheBound) {
  auto db = TestDatabase::Create();
  auto server = ServerProcess::Start(
      db->url(), {"--watch-buffer=100000", "--watch-buffer-bytes=1000000",
                  "--watch-bookmark-interval=200ms"});
  Watch slow(SlowChannel(*server), After(0));
  v1::WatchChangesResponse response;
  ASSERT_TRUE(slow.Next(&response));
  {
    pqxx::connection connection(db->url());
    const std::string description(30000, 'x');
    for (int i = 0; i < 200; ++i) {  // 6 MB of changes, 200 of them
      InsertParticipant(connection, absl::StrCat("bulky-", i), description);
    }
  }
  while (slow.Next(&response)) {
  }
  const grpc::Status status = slow.reader->Finish();
  ASSERT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << Describe(status);
  EXPECT_THAT(status.error_message(), HasSubstr("1000000 bytes"));
}

// A client that stops reading is ended with RESOURCE_EXHAUSTED once more
// than --watch-buffer changes wait for it, told where to resume; another
// watcher of the same server gets everything meanwhile.
TEST(WatchSlowClient, IsEndedAndResumesWhileOthersAreUnaffected) {
  auto db = TestDatabase::Create();
  auto server = ServerProcess::Start(
      db->url(), {"--watch-buffer=50", "--watch-bookmark-interval=200ms"});
  Watch slow(SlowChannel(*server), After(0));
  Watch fast(server->Channel(), After(0));
  v1::WatchChangesResponse response;
  ASSERT_TRUE(slow.Next(&response));
  ASSERT_TRUE(fast.Next(&response));
  const int64_t start = response.revision();

  constexpr int kWrites = 400;
  std::thread writer([&] {
    pqxx::connection connection(db->url());
    const std::string description(30000, 'x');
    for (int i = 0; i < kWrites; ++i) {
      InsertParticipant(connection, absl::StrCat("slow-", i), description);
    }
  });
  const std::vector<v1::Change> all = fast.ChangesThrough(start + kWrites);
  writer.join();
  EXPECT_EQ(all.size(), static_cast<size_t>(kWrites));

  // Now the slow client reads: what was written to it, then the end.
  std::vector<int64_t> got;
  while (slow.Next(&response)) {
    for (const v1::Change& change : response.changes()) {
      got.push_back(change.revision());
    }
  }
  const grpc::Status status = slow.reader->Finish();
  ASSERT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << Describe(status);
  EXPECT_THAT(status.error_message(), HasSubstr("more than 50 changes"));
  ASSERT_LT(got.size(), static_cast<size_t>(kWrites));
  const int64_t resume = ResumeRevision(status.error_message());
  EXPECT_EQ(resume, got.empty() ? start : got.back());

  // It resumes where it was told and gets the rest.
  Watch again(server->Channel(), After(resume));
  std::vector<int64_t> rest = Revisions(again.ChangesThrough(start + kWrites));
  got.insert(got.end(), rest.begin(), rest.end());
  EXPECT_EQ(got, Revisions(all));
  again.Cancel();
  fast.Cancel();
}

// A change too large for one message (--max-message-bytes) cannot be sent:
// the watch ends naming it, and a resume after it goes on.
TEST(WatchLimits, AChangeLargerThanAMessageEndsTheWatchNamingIt) {
  auto db = TestDatabase::Create();
  auto server = ServerProcess::Start(
      db->url(),
      {"--max-message-bytes=8192", "--watch-bookmark-interval=200ms"});
  Watch watch(server->Channel(), After(0));
  v1::WatchChangesResponse response;
  ASSERT_TRUE(watch.Next(&response));
  pqxx::connection connection(db->url());
  InsertParticipant(connection, "huge", std::string(20000, 'x'));
  const int64_t huge = Newest(*db);
  InsertParticipant(connection, "small");

  EXPECT_FALSE(watch.Next(&response)) << response.DebugString();
  const grpc::Status status = watch.reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << Describe(status);
  EXPECT_THAT(status.error_message(), HasSubstr("--max-message-bytes"));
  EXPECT_EQ(ResumeRevision(status.error_message()), huge);

  Watch after(server->Channel(), After(huge));
  const std::vector<v1::Change> rest = after.ChangesThrough(huge + 1);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].resource(), "participants/small");
  after.Cancel();
}

// SIGTERM: every watch ends with UNAVAILABLE at the start of the drain,
// naming where to resume, and the server still stops in time.
TEST(WatchShutdown, StreamsEndUnavailableEarlyInTheDrain) {
  auto db = TestDatabase::Create();
  auto server = ServerProcess::Start(
      db->url(), {"--drain-period=3s", "--watch-bookmark-interval=200ms"});
  pqxx::connection connection(db->url());
  InsertParticipant(connection, "before");
  const int64_t revision = Newest(*db);

  std::vector<std::unique_ptr<Watch>> watches;
  for (int i = 0; i < 3; ++i) {
    watches.push_back(std::make_unique<Watch>(server->Channel(), After(0)));
    v1::WatchChangesResponse response;
    ASSERT_TRUE(watches.back()->Next(&response));
  }
  const auto signalled = std::chrono::steady_clock::now();
  std::thread stopper([&] { EXPECT_EQ(server->Stop(SIGTERM, 20), 0); });
  for (auto& watch : watches) {
    v1::WatchChangesResponse response;
    while (watch->Next(&response)) {
    }
    const grpc::Status status = watch->reader->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
        << Describe(status);
    EXPECT_EQ(ResumeRevision(status.error_message()), revision)
        << status.error_message();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - signalled,
            std::chrono::seconds(2))
      << "the streams ended only after the drain";
  stopper.join();
}

}  // namespace
}  // namespace forum_registry
