// Writes that survive retries and versions (issue 13), through the real
// server: request ids (AIP-155) make a retried Create, Update or Delete
// answer as the first did without writing again; an update keeps the fields
// of a stored record that this version does not know; a record carrying
// fields this version cannot store is refused rather than cut down.
//
// Runs in api_test's program, on its shared server (SharedRegistry).

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "forumregistry/v1/change.grpc.pb.h"
#include "forumregistry/v1/forum.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/unknown_field_set.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "tests/support/resource_client.h"
#include "tests/support/test_support.h"

namespace forum_registry {
namespace {

namespace v1 = ::forumregistry::v1;

using ::forum_registry::testing::Describe;
using ::forum_registry::testing::RandomUuid;
using ::forum_registry::testing::ResourceClient;
using ::forum_registry::testing::SharedRegistry;
using ::forum_registry::testing::StandardMethod;
using ::forum_registry::testing::TestDatabase;
using ::forum_registry::testing::UniqueId;
using ::google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;

class RetryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(SharedRegistry::server(), nullptr);
    changes_ = v1::ChangeService::NewStub(*SharedRegistry::channel());
  }

  TestDatabase& db() { return *SharedRegistry::db(); }

  static void SetDeadline(grpc::ClientContext* context) {
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(30));
  }

  // The value of the response header `name` ("" if absent).
  static std::string Header(const grpc::ClientContext& context,
                            const std::string& name) {
    const auto& headers = context.GetServerInitialMetadata();
    const auto found = headers.find(name);
    return found == headers.end()
               ? ""
               : std::string(found->second.data(), found->second.size());
  }

  // Calls `method` of ForumService (through the kind's client,
  // tests/support/resource_client.h) and reads whether the answer was a
  // replay.
  static grpc::Status Call(StandardMethod method,
                           const google::protobuf::Message& request,
                           google::protobuf::Message* out,
                           std::string* replayed = nullptr) {
    grpc::ClientContext context;
    SetDeadline(&context);
    const grpc::Status status =
        ResourceClient<v1::Forum>(*SharedRegistry::channel())
            .Call(method, request, out, &context);
    if (replayed != nullptr) {
      *replayed = Header(context, "x-forum-registry-replayed");
    }
    return status;
  }

  grpc::Status Create(const v1::CreateForumRequest& request, v1::Forum* out,
                      std::string* replayed = nullptr) {
    return Call(StandardMethod::kCreate, request, out, replayed);
  }

  grpc::Status Update(const v1::UpdateForumRequest& request, v1::Forum* out,
                      std::string* replayed = nullptr) {
    return Call(StandardMethod::kUpdate, request, out, replayed);
  }

  grpc::Status Delete(const v1::DeleteForumRequest& request) {
    google::protobuf::Empty empty;
    return Call(StandardMethod::kDelete, request, &empty);
  }

  static v1::CreateForumRequest CreateRequest(const std::string& id,
                                              const std::string& request_id) {
    v1::CreateForumRequest request;
    request.set_forum_id(id);
    request.mutable_forum()->set_kind(v1::FORUM_KIND_SUMMIT);
    request.mutable_forum()->set_display_name(absl::StrCat("Summit ", id));
    request.set_request_id(request_id);
    return request;
  }

  static v1::UpdateForumRequest RenameRequest(const v1::Forum& forum,
                                              const std::string& display_name,
                                              const std::string& request_id) {
    v1::UpdateForumRequest request;
    *request.mutable_forum() = forum;
    request.mutable_forum()->set_display_name(display_name);
    request.mutable_update_mask()->add_paths("display_name");
    request.set_request_id(request_id);
    return request;
  }

  // Change rows made by the request `request_id`.
  int64_t ChangesOf(const std::string& request_id) {
    return std::stoll(db().Query(absl::StrCat(
        "SELECT count(*) FROM changes WHERE request_id = '", request_id, "'")));
  }

  std::unique_ptr<v1::ChangeService::Stub> changes_;
};

TEST_F(RetryTest,
       ACreateSentTwiceWithItsRequestIdIsMadeOnceAndAnsweredTheSame) {
  const std::string id = UniqueId("retry-create");
  const std::string request_id = RandomUuid();
  v1::Forum first;
  std::string replayed;
  ASSERT_TRUE(Create(CreateRequest(id, request_id), &first, &replayed).ok());
  EXPECT_EQ(replayed, "");
  v1::Forum second;
  const grpc::Status again =
      Create(CreateRequest(id, request_id), &second, &replayed);
  ASSERT_TRUE(again.ok()) << Describe(again);
  EXPECT_EQ(replayed, "true");
  EXPECT_TRUE(MessageDifferencer::Equals(first, second))
      << first.DebugString() << "\n"
      << second.DebugString();
  EXPECT_EQ(ChangesOf(request_id), 1);
  // Without an id the same request is a second create, refused.
  v1::Forum third;
  EXPECT_EQ(Create(CreateRequest(id, ""), &third).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(RetryTest, AnUpdateRetriedAfterItsEtagMovedOnAnswersAsTheFirstTime) {
  const std::string id = UniqueId("retry-update");
  v1::Forum created;
  ASSERT_TRUE(Create(CreateRequest(id, ""), &created).ok());
  const std::string request_id = RandomUuid();
  // With the etag: a second application would be refused as stale.
  const v1::UpdateForumRequest rename =
      RenameRequest(created, "Renamed once", request_id);
  v1::Forum first;
  ASSERT_TRUE(Update(rename, &first).ok());
  v1::Forum second;
  std::string replayed;
  const grpc::Status again = Update(rename, &second, &replayed);
  ASSERT_TRUE(again.ok()) << Describe(again);
  EXPECT_EQ(replayed, "true");
  EXPECT_TRUE(MessageDifferencer::Equals(first, second));
  EXPECT_EQ(ChangesOf(request_id), 1);
  // The same update without an id meets the stale etag.
  v1::UpdateForumRequest without = rename;
  without.clear_request_id();
  v1::Forum third;
  EXPECT_EQ(Update(without, &third).error_code(), grpc::StatusCode::ABORTED);
}

TEST_F(RetryTest, ADeleteRetriedWithItsRequestIdSucceedsAgainWithoutWriting) {
  const std::string id = UniqueId("retry-delete");
  v1::Forum created;
  ASSERT_TRUE(Create(CreateRequest(id, ""), &created).ok());
  v1::DeleteForumRequest request;
  request.set_name(created.name());
  request.set_request_id(RandomUuid());
  ASSERT_TRUE(Delete(request).ok());
  const std::string before = db().WriteState();
  const grpc::Status again = Delete(request);
  EXPECT_TRUE(again.ok()) << Describe(again);
  EXPECT_EQ(db().WriteState(), before);
  EXPECT_EQ(ChangesOf(request.request_id()), 1);
  request.clear_request_id();
  EXPECT_EQ(Delete(request).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(RetryTest, AnIdReusedForAnotherRequestIsAlreadyExistsAndWritesNothing) {
  const std::string request_id = RandomUuid();
  v1::Forum created;
  ASSERT_TRUE(
      Create(CreateRequest(UniqueId("reuse-a"), request_id), &created).ok());
  const std::string before = db().WriteState();
  v1::Forum out;
  const grpc::Status status =
      Create(CreateRequest(UniqueId("reuse-b"), request_id), &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS)
      << Describe(status);
  EXPECT_THAT(status.error_message(),
              HasSubstr(absl::StrCat("request_id: ", request_id,
                                     " was already used for another request")));
  // An update of the record under the same id is another request too.
  const grpc::Status update =
      Update(RenameRequest(created, "Other", request_id), &out);
  EXPECT_EQ(update.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(db().WriteState(), before);
}

TEST_F(RetryTest, MalformedRequestIdsAreInvalidArgumentAndWriteNothing) {
  v1::Forum created;
  ASSERT_TRUE(Create(CreateRequest(UniqueId("bad-id"), ""), &created).ok());
  const std::string before = db().WriteState();
  for (const std::string bad :
       {"not-a-uuid", "00000000-0000-0000-0000-000000000000",
        "123e4567-e89b-42d3-a456-42661417400Z",
        " 123e4567-e89b-42d3-a456-426614174000"}) {
    v1::Forum out;
    grpc::Status status = Create(CreateRequest(UniqueId("bad-id"), bad), &out);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_THAT(status.error_message(), HasSubstr("request_id: "));
    status = Update(RenameRequest(created, "x", bad), &out);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_THAT(status.error_message(), HasSubstr("request_id: "));
    v1::DeleteForumRequest remove;
    remove.set_name(created.name());
    remove.set_request_id(bad);
    status = Delete(remove);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_THAT(status.error_message(), HasSubstr("request_id: "));
  }
  EXPECT_EQ(db().WriteState(), before);
}

TEST_F(RetryTest, ARefusedWriteLeavesItsRequestIdUnused) {
  const std::string request_id = RandomUuid();
  v1::CreateForumRequest bad = CreateRequest(UniqueId("refused"), request_id);
  bad.mutable_forum()->clear_display_name();
  const std::string before = db().WriteState();
  v1::Forum out;
  EXPECT_EQ(Create(bad, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(db().WriteState(), before);
  // Nothing happened, so the id is free for the corrected request.
  const grpc::Status fixed =
      Create(CreateRequest(UniqueId("refused"), request_id), &out);
  EXPECT_TRUE(fixed.ok()) << Describe(fixed);
}

TEST_F(RetryTest, ConcurrentCopiesOfOneRequestWriteOnceAndAllGetItsAnswer) {
  const v1::CreateForumRequest request =
      CreateRequest(UniqueId("concurrent"), RandomUuid());
  constexpr int kCopies = 8;
  std::vector<v1::Forum> answers(kCopies);
  std::vector<grpc::Status> statuses(kCopies);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCopies; ++i) {
    threads.emplace_back(
        [&, i] { statuses[i] = Create(request, &answers[i]); });
  }
  for (std::thread& thread : threads) thread.join();
  for (int i = 0; i < kCopies; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << i << ": " << Describe(statuses[i]);
    EXPECT_TRUE(MessageDifferencer::Equals(answers[0], answers[i])) << i;
  }
  EXPECT_EQ(ChangesOf(request.request_id()), 1);
}

TEST_F(RetryTest, TheChangeFeedNamesTheRequestThatMadeAChange) {
  const v1::CreateForumRequest request =
      CreateRequest(UniqueId("feed"), RandomUuid());
  v1::Forum created;
  ASSERT_TRUE(Create(request, &created).ok());
  v1::ListChangesRequest list;
  list.set_filter(absl::StrCat("resource = \"", created.name(), "\""));
  v1::ListChangesResponse changes;
  grpc::ClientContext context;
  SetDeadline(&context);
  ASSERT_TRUE(changes_->ListChanges(&context, list, &changes).ok());
  ASSERT_EQ(changes.changes_size(), 1);
  EXPECT_EQ(changes.changes(0).request_id(), request.request_id());
}

TEST_F(RetryTest, StoredRequestIdsOlderThanTheRetentionArePurged) {
  // The server runs with --request-id-retention=1m and purges every few
  // seconds (SharedRegistry's flags): an id made to look two minutes old
  // goes, a fresh one stays.
  const std::string old_id = RandomUuid();
  const std::string fresh_id = RandomUuid();
  v1::Forum out;
  ASSERT_TRUE(Create(CreateRequest(UniqueId("purge-old"), old_id), &out).ok());
  ASSERT_TRUE(
      Create(CreateRequest(UniqueId("purge-fresh"), fresh_id), &out).ok());
  db().Execute(absl::StrCat(
      "UPDATE write_requests SET create_time = now() - interval '2 minutes' "
      "WHERE request_id = '",
      old_id, "'"));
  const auto stored = [&](const std::string& id) {
    return db().Query(absl::StrCat(
        "SELECT count(*) FROM write_requests WHERE request_id = '", id, "'"));
  };
  for (int i = 0; i < 100 && stored(old_id) != "0"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(stored(old_id), "0");
  EXPECT_EQ(stored(fresh_id), "1");
}

// --- Fields across versions ---------------------------------------------

TEST_F(RetryTest, AnUpdateKeepsFieldsOfTheStoredRecordThisVersionDoesNotKnow) {
  const std::string id = UniqueId("newer");
  v1::CreateForumRequest request = CreateRequest(id, "");
  request.mutable_forum()->mutable_founded()->set_year(1994);
  v1::Forum created;
  ASSERT_TRUE(Create(request, &created).ok());
  // What a newer version would have written: a top-level field and a field
  // inside an object this version knows, unknown here.
  db().Execute(absl::StrCat(
      "UPDATE forums SET body = jsonb_set(body || '{\"rank_next\": 7}', "
      "'{founded,era_next}', '\"CE\"') WHERE name = 'forums/",
      id, "'"));
  v1::Forum read;
  ASSERT_TRUE(ResourceClient<v1::Forum>(*SharedRegistry::channel())
                  .Get(created.name(), &read)
                  .ok());
  v1::Forum updated;
  const grpc::Status status =
      Update(RenameRequest(read, "Renamed by an older version", ""), &updated);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(updated.display_name(), "Renamed by an older version");
  EXPECT_EQ(
      db().Query(absl::StrCat(
          "SELECT body->>'rank_next' || ' ' || (body->'founded'->>'year') "
          "|| ' ' || (body->'founded'->>'era_next') || ' ' || "
          "(body->>'display_name') FROM forums WHERE name = 'forums/",
          id, "'")),
      "7 1994 CE Renamed by an older version");
  // Changing the object they sit in keeps the unknown key inside it.
  v1::UpdateForumRequest refound;
  *refound.mutable_forum() = updated;
  refound.mutable_forum()->mutable_founded()->set_year(1995);
  refound.mutable_update_mask()->add_paths("founded");
  ASSERT_TRUE(Update(refound, &updated).ok());
  EXPECT_EQ(db().Query(absl::StrCat(
                "SELECT (body->'founded'->>'year') || ' ' || "
                "(body->'founded'->>'era_next') || ' ' || (body->>'rank_next') "
                "FROM forums WHERE name = 'forums/",
                id, "'")),
            "1995 CE 7");
}

TEST_F(RetryTest, AnEnumValueThisVersionDoesNotKnowSurvivesAnUpdateOfAnother) {
  const std::string id = UniqueId("newer-enum");
  v1::Forum created;
  ASSERT_TRUE(Create(CreateRequest(id, ""), &created).ok());
  // A newer version's status value; this one reads no status at all, and
  // its rules would fill in the default.
  db().Execute(
      absl::StrCat("UPDATE forums SET body = body || '{\"status\": "
                   "\"FORUM_STATUS_FROM_THE_FUTURE\"}' WHERE name = 'forums/",
                   id, "'"));
  const std::string version = db().Query(absl::StrCat(
      "SELECT version FROM forums WHERE name = 'forums/", id, "'"));
  v1::UpdateForumRequest touch = RenameRequest(created, "Summit " + id, "");
  touch.mutable_forum()->clear_etag();
  v1::Forum out;
  ASSERT_TRUE(Update(touch, &out).ok());
  EXPECT_EQ(db().Query(absl::StrCat(
                "SELECT version FROM forums WHERE name = 'forums/", id, "'")),
            version)
      << "an update that changes nothing writes nothing";
  // The mask in camelCase, as grpcurl sends it, names the same field.
  v1::UpdateForumRequest rename = RenameRequest(out, "Renamed", "");
  rename.mutable_update_mask()->set_paths(0, "displayName");
  ASSERT_TRUE(Update(rename, &out).ok());
  EXPECT_EQ(db().Query(absl::StrCat(
                "SELECT (body->>'status') || ' ' || (body->>'display_name') "
                "FROM forums WHERE name = 'forums/",
                id, "'")),
            "FORUM_STATUS_FROM_THE_FUTURE Renamed");
}

TEST_F(RetryTest, AnUpdateIsRefusedOnlyForUnknownFieldsItWouldWrite) {
  v1::Forum created;
  ASSERT_TRUE(Create(CreateRequest(UniqueId("partial"), ""), &created).ok());
  // A newer client sends the whole record, with a field this server does
  // not know in a part the mask leaves out.
  v1::UpdateForumRequest update = RenameRequest(created, "Renamed", "");
  v1::Citation* citation = update.mutable_forum()->add_citations();
  citation->set_source("sources/x");
  citation->GetReflection()->MutableUnknownFields(citation)->AddVarint(901, 1);
  v1::Forum out;
  const grpc::Status status = Update(update, &out);
  EXPECT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(out.display_name(), "Renamed");
  EXPECT_EQ(out.citations_size(), 0);
}

TEST_F(RetryTest, ARecordWithFieldsThisVersionCannotStoreIsRefusedNotCutDown) {
  v1::CreateForumRequest request = CreateRequest(UniqueId("from-newer"), "");
  request.mutable_forum()
      ->GetReflection()
      ->MutableUnknownFields(request.mutable_forum())
      ->AddVarint(900, 1);
  const std::string before = db().WriteState();
  v1::Forum out;
  grpc::Status status = Create(request, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << Describe(status);
  EXPECT_THAT(status.error_message(),
              HasSubstr("forum: carries field number 900"));
  EXPECT_EQ(db().WriteState(), before);

  v1::Forum created;
  ASSERT_TRUE(Create(CreateRequest(UniqueId("from-newer"), ""), &created).ok());
  const std::string after_create = db().WriteState();
  v1::UpdateForumRequest update = RenameRequest(created, "x", "");
  v1::Citation* citation = update.mutable_forum()->add_citations();
  citation->set_source("sources/x");
  citation->GetReflection()->MutableUnknownFields(citation)->AddVarint(901, 1);
  update.mutable_update_mask()->add_paths("citations");
  status = Update(update, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << Describe(status);
  EXPECT_THAT(status.error_message(),
              HasSubstr("forum.citations[0]: carries field number 901"));
  EXPECT_EQ(db().WriteState(), after_create);
}

}  // namespace
}  // namespace forum_registry
