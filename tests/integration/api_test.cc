// The gRPC API as a client sees it: the real `forum-registry` binary on a real
// port, its real PostgreSQL, and the generated C++ stubs.
//
// One database and one server serve the whole program (SharedRegistry, from
// test_support); every test makes its own records under ids of its own, so the
// tests do not depend on each other or on their order.
//
// Each refused request is checked three ways: its status code, a message that
// names the offending request field, and a database that holds exactly what it
// held before (TestDatabase::WriteState).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <latch>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "forumregistry/v1/change.grpc.pb.h"
#include "forumregistry/v1/forum.grpc.pb.h"
#include "forumregistry/v1/participant.grpc.pb.h"
#include "forumregistry/v1/source.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/client_context.h"
#include "grpcpp/impl/client_unary_call.h"
#include "grpcpp/impl/rpc_method.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/status.h"
#include "gtest/gtest.h"
#include "tests/support/resource_client.h"
#include "tests/support/test_support.h"

namespace forum_registry {
namespace {

namespace v1 = ::forumregistry::v1;

using ::forum_registry::testing::CodeName;
using ::forum_registry::testing::Describe;
using ::forum_registry::testing::ExpectSameMessage;
using ::forum_registry::testing::ResourceClient;
using ::forum_registry::testing::RevisionHeader;
using ::forum_registry::testing::ServerProcess;
using ::forum_registry::testing::SharedRegistry;
using ::forum_registry::testing::StandardMethod;
using ::forum_registry::testing::TestDatabase;
using ::forum_registry::testing::UniqueId;
using ::google::protobuf::util::MessageDifferencer;
using ::google::protobuf::util::TimeUtil;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Matcher;
using ::testing::Not;
using ::testing::StartsWith;

// ---------------------------------------------------------------------------
// The shared database and server.

[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new SharedRegistry);

// ---------------------------------------------------------------------------
// Helpers.

// Ids come from UniqueId (test_support). Only the pagination test gives a
// prefix that starts with a digit, so that it owns the ids that sort first.

std::string ForumName(const std::string& id) {
  return absl::StrCat("forums/", id);
}

std::string ParticipantName(const std::string& id) {
  return absl::StrCat("participants/", id);
}

int64_t Micros(const google::protobuf::Timestamp& t) {
  return TimeUtil::TimestampToMicroseconds(t);
}

int64_t NowMicros() { return Micros(TimeUtil::GetCurrentTime()); }

v1::Forum NewForum(const std::string& display_name) {
  v1::Forum forum;
  forum.set_kind(v1::FORUM_KIND_ORGANIZATION);
  forum.set_display_name(display_name);
  return forum;
}

v1::Participant NewParticipant(const std::string& display_name) {
  v1::Participant participant;
  participant.set_kind(v1::PARTICIPANT_KIND_STATE);
  participant.set_display_name(display_name);
  return participant;
}

google::protobuf::FieldMask Mask(const std::vector<std::string>& paths) {
  google::protobuf::FieldMask mask;
  for (const std::string& path : paths) mask.add_paths(path);
  return mask;
}

// The fixture every test stands on: the clients of both kinds over the
// shared server's port.
class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(SharedRegistry::db(), nullptr)
        << "the test database was not created";
    ASSERT_NE(SharedRegistry::server(), nullptr)
        << "the server was not started";
    ASSERT_GT(SharedRegistry::server()->pid(), 0)
        << "the server is not running:\n"
        << SharedRegistry::server()->Output();
  }

  static void SetDeadline(grpc::ClientContext* context) {
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(30));
  }

  TestDatabase& db() { return *SharedRegistry::db(); }

  // The clients of the two kinds these tests write (tests/support/
  // resource_client.h); each call has a context of its own with a 30-second
  // deadline unless it is given one.
  static ResourceClient<v1::Forum> Forums() {
    return ResourceClient<v1::Forum>(*SharedRegistry::channel());
  }
  static ResourceClient<v1::Participant> Participants() {
    return ResourceClient<v1::Participant>(*SharedRegistry::channel());
  }

  // A forum or participant of its own, named after `id`.
  static v1::Forum MustCreateForum(const std::string& id) {
    return Forums().MustCreate("", id, NewForum(absl::StrCat("Forum ", id)));
  }
  static v1::Participant MustCreateParticipant(const std::string& id) {
    return Participants().MustCreate(
        "", id, NewParticipant(absl::StrCat("State ", id)));
  }

  // --- Refusals ---

  // Runs `call` and expects it to be refused with `code` and a message that
  // `message` matches, and the database to hold afterwards exactly what it
  // held before.
  void ExpectRefusedWithoutWrite(const std::function<grpc::Status()>& call,
                                 grpc::StatusCode code,
                                 const Matcher<std::string>& message) {
    const std::string before = db().WriteState();
    const grpc::Status status = call();
    EXPECT_EQ(CodeName(status.error_code()), CodeName(code))
        << "message: " << status.error_message();
    EXPECT_THAT(status.error_message(), message);
    EXPECT_EQ(db().WriteState(), before)
        << "the refused request wrote to the database";
  }
};

// Expects the output-only fields of a just-created record.
template <typename Resource>
void ExpectFreshlyCreated(const Resource& created, const std::string& name,
                          int64_t requested_at) {
  EXPECT_EQ(created.name(), name);
  EXPECT_THAT(created.etag(), ::testing::StartsWith("v1."));
  ASSERT_TRUE(created.has_create_time());
  ASSERT_TRUE(created.has_update_time());
  // The server runs on this machine: its clock is ours, give or take.
  const int64_t slack = 60 * 1000 * 1000;
  EXPECT_GE(Micros(created.create_time()), requested_at - slack);
  EXPECT_LE(Micros(created.create_time()), NowMicros() + slack);
  EXPECT_GE(Micros(created.update_time()), Micros(created.create_time()));
  EXPECT_LE(Micros(created.update_time()) - Micros(created.create_time()),
            1000 * 1000)
      << "a new record's update_time is its create_time";
}

// ===========================================================================
// Forums: create, get, update, delete.

class ForumApi : public RegistryTest {};

TEST_F(ForumApi, CreateReturnsTheForumWithNameEtagAndTimes) {
  const std::string id = UniqueId("crud");
  v1::Forum forum = NewForum("ASEAN Regional Forum");
  forum.set_kind(v1::FORUM_KIND_MINISTERIAL);
  forum.set_description("Security dialogue in the Asia-Pacific.");
  forum.add_topics("security");
  forum.add_topics("ict security");
  forum.set_cadence(v1::CADENCE_ANNUAL);
  forum.mutable_founded()->set_year(1994);
  forum.set_name("forums/ignored-on-create");

  const int64_t requested_at = NowMicros();
  v1::Forum created;
  const grpc::Status status = Forums().Create("", id, forum, &created);
  ASSERT_TRUE(status.ok()) << Describe(status);

  ExpectFreshlyCreated(created, ForumName(id), requested_at);
  EXPECT_EQ(created.kind(), v1::FORUM_KIND_MINISTERIAL);
  EXPECT_EQ(created.display_name(), "ASEAN Regional Forum");
  EXPECT_EQ(created.description(), "Security dialogue in the Asia-Pacific.");
  EXPECT_THAT(created.topics(),
              ::testing::ElementsAre("security", "ict security"));
  EXPECT_EQ(created.cadence(), v1::CADENCE_ANNUAL);
  EXPECT_EQ(created.founded().year(), 1994);
  EXPECT_EQ(db().Query("SELECT count(*) FROM forums WHERE name = '" +
                       ForumName(id) + "'"),
            "1");
}

TEST_F(ForumApi, CreateTreatsUnspecifiedStatusAsActive) {
  const std::string id = UniqueId("status");
  const v1::Forum created = MustCreateForum(id);
  EXPECT_EQ(created.status(), v1::FORUM_STATUS_ACTIVE);
}

TEST_F(ForumApi, GetReturnsWhatCreateReturned) {
  const std::string id = UniqueId("get");
  v1::Forum forum = NewForum("East Asia Summit");
  forum.set_kind(v1::FORUM_KIND_SUMMIT);
  v1::Name* name = forum.add_names();
  name->set_text("EAS");
  name->set_language("en");
  name->set_kind(v1::NAME_KIND_ACRONYM);
  v1::ExternalId* external = forum.add_external_ids();
  external->set_scheme("wikidata");
  external->set_value("Q7159");
  const v1::Forum created = Forums().MustCreate("", id, forum);

  v1::Forum got;
  const grpc::Status status = Forums().Get(ForumName(id), &got);
  ASSERT_TRUE(status.ok()) << Describe(status);
  ExpectSameMessage(got, created);
}

TEST_F(ForumApi, UpdateChangesOnlyMaskedFieldsAndBumpsEtag) {
  const std::string id = UniqueId("update");
  v1::Forum forum = NewForum("Old name");
  forum.set_description("Old description");
  forum.add_topics("energy");
  const v1::Forum created = Forums().MustCreate("", id, forum);

  // Every field of the patch differs, but only display_name is masked.
  v1::Forum patch = NewForum("New name");
  patch.set_name(ForumName(id));
  patch.set_etag(created.etag());
  patch.set_kind(v1::FORUM_KIND_DIALOGUE);
  patch.set_description("New description");
  patch.add_topics("trade");
  v1::Forum updated;
  const grpc::Status status =
      Forums().Update(patch, {"display_name"}, &updated);
  ASSERT_TRUE(status.ok()) << Describe(status);

  EXPECT_EQ(updated.display_name(), "New name");
  EXPECT_THAT(updated.etag(), ::testing::StartsWith("v2."));
  EXPECT_EQ(updated.kind(), v1::FORUM_KIND_ORGANIZATION);
  EXPECT_EQ(updated.description(), "Old description");
  EXPECT_THAT(updated.topics(), ::testing::ElementsAre("energy"));
  EXPECT_EQ(Micros(updated.create_time()), Micros(created.create_time()));
  EXPECT_GT(Micros(updated.update_time()), Micros(created.update_time()));

  v1::Forum got;
  ASSERT_TRUE(Forums().Get(ForumName(id), &got).ok());
  ExpectSameMessage(got, updated);
}

TEST_F(ForumApi, UpdateClearsAMaskedFieldAbsentFromThePatch) {
  const std::string id = UniqueId("clear");
  v1::Forum forum = NewForum("Forum");
  forum.set_description("To be cleared");
  Forums().MustCreate("", id, forum);

  v1::Forum patch;
  patch.set_name(ForumName(id));
  v1::Forum updated;
  const grpc::Status status = Forums().Update(patch, {"description"}, &updated);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(updated.description(), "");
  EXPECT_EQ(updated.display_name(), "Forum");
  EXPECT_THAT(updated.etag(), ::testing::StartsWith("v2."));
}

TEST_F(ForumApi, UpdateThatChangesNothingKeepsEtagAndWritesNothing) {
  const std::string id = UniqueId("noop");
  const v1::Forum created = Forums().MustCreate("", id, NewForum("Same"));

  const std::string before = db().WriteState();
  v1::Forum patch = created;  // output-only fields are sent back unchanged
  v1::Forum updated;
  const grpc::Status status =
      Forums().Update(patch, {"display_name", "kind"}, &updated);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_THAT(updated.etag(), ::testing::StartsWith("v1."));
  EXPECT_EQ(Micros(updated.update_time()), Micros(created.update_time()));
  ExpectSameMessage(updated, created);
  EXPECT_EQ(db().WriteState(), before);
}

TEST_F(ForumApi, UpdateWithTheCurrentEtagSucceedsAndReturnsTheNextOne) {
  const std::string id = UniqueId("etag");
  std::string etag = MustCreateForum(id).etag();
  // "v1.<the incarnation>": only the version part moves.
  const std::string incarnation = etag.substr(etag.find('.'));
  v1::Forum patch;
  patch.set_name(ForumName(id));
  for (int version = 1; version <= 3; ++version) {
    EXPECT_EQ(etag, absl::StrCat("v", version, incarnation));
    patch.set_etag(etag);
    patch.set_display_name(absl::StrCat("Name ", version));
    v1::Forum updated;
    const grpc::Status status =
        Forums().Update(patch, {"display_name"}, &updated);
    ASSERT_TRUE(status.ok()) << Describe(status);
    etag = updated.etag();
  }
  EXPECT_EQ(etag, absl::StrCat("v4", incarnation));
}

TEST_F(ForumApi, DeleteRemovesTheForum) {
  const std::string id = UniqueId("delete");
  MustCreateForum(id);

  const grpc::Status deleted = Forums().Delete(ForumName(id));
  ASSERT_TRUE(deleted.ok()) << Describe(deleted);

  v1::Forum got;
  const grpc::Status status = Forums().Get(ForumName(id), &got);
  EXPECT_EQ(CodeName(status.error_code()), "NOT_FOUND");
  EXPECT_THAT(status.error_message(), HasSubstr(ForumName(id)));
  EXPECT_EQ(db().Query("SELECT count(*) FROM forums WHERE name = '" +
                       ForumName(id) + "'"),
            "0");
}

TEST_F(ForumApi, DeleteWithTheCurrentEtagSucceeds) {
  const std::string id = UniqueId("delete-etag");
  const v1::Forum created = MustCreateForum(id);
  const grpc::Status status =
      Forums().Delete(ForumName(id), {.etag = created.etag()});
  EXPECT_TRUE(status.ok()) << Describe(status);
}

TEST_F(ForumApi, GetOfMissingForumIsNotFound) {
  const std::string name = ForumName(UniqueId("missing"));
  v1::Forum got;
  ExpectRefusedWithoutWrite([&] { return Forums().Get(name, &got); },
                            grpc::StatusCode::NOT_FOUND, HasSubstr(name));
}

TEST_F(ForumApi, DeleteOfMissingForumIsNotFound) {
  const std::string name = ForumName(UniqueId("missing"));
  ExpectRefusedWithoutWrite([&] { return Forums().Delete(name); },
                            grpc::StatusCode::NOT_FOUND, HasSubstr(name));
}

TEST_F(ForumApi, UpdateOfMissingForumIsNotFound) {
  const std::string name = ForumName(UniqueId("missing"));
  v1::Forum patch = NewForum("Nobody");
  patch.set_name(name);
  v1::Forum out;
  ExpectRefusedWithoutWrite(
      [&] { return Forums().Update(patch, {"display_name"}, &out); },
      grpc::StatusCode::NOT_FOUND, HasSubstr(name));
}

TEST_F(ForumApi, CreateWithExistingIdIsAlreadyExistsAndWritesNothing) {
  const std::string id = UniqueId("dup");
  const v1::Forum first = Forums().MustCreate("", id, NewForum("First"));

  v1::Forum out;
  ExpectRefusedWithoutWrite(
      [&] { return Forums().Create("", id, NewForum("Second"), &out); },
      grpc::StatusCode::ALREADY_EXISTS, HasSubstr(ForumName(id)));

  v1::Forum got;
  ASSERT_TRUE(Forums().Get(ForumName(id), &got).ok());
  ExpectSameMessage(got, first);
}

TEST_F(ForumApi, CreateAcceptsAnIdOf63Characters) {
  const std::string unique = UniqueId("long");
  const std::string id = unique + "-" + std::string(62 - unique.size(), 'x');
  ASSERT_EQ(id.size(), 63u);
  v1::Forum created;
  const grpc::Status status =
      Forums().Create("", id, NewForum("Long id"), &created);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(created.name(), ForumName(id));
}

TEST_F(ForumApi, CreateAcceptsParentAndInitiatorsThatExist) {
  const std::string parent = UniqueId("asean");
  const std::string russia = UniqueId("russia");
  MustCreateForum(parent);
  MustCreateParticipant(russia);

  v1::Forum forum = NewForum("Child");
  forum.set_kind(v1::FORUM_KIND_MECHANISM);
  forum.set_parent(ForumName(parent));
  forum.add_initiated_by(ParticipantName(russia));
  const std::string id = UniqueId("child");
  v1::Forum created;
  const grpc::Status status = Forums().Create("", id, forum, &created);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(created.parent(), ForumName(parent));
  EXPECT_THAT(created.initiated_by(),
              ::testing::ElementsAre(ParticipantName(russia)));
}

// ---------------------------------------------------------------------------
// Forums: refused requests.

TEST_F(ForumApi, GetRefusesMalformedNamesAndWritesNothing) {
  for (const std::string name : {"forums/UPPER", "forum/x", "forums/a/b",
                                 "forums/", "forums/-x", "participants/x"}) {
    SCOPED_TRACE(name);
    v1::Forum out;
    ExpectRefusedWithoutWrite(
        [&] { return Forums().Get(name, &out); },
        grpc::StatusCode::INVALID_ARGUMENT,
        AllOf(StartsWith("name: "), HasSubstr("is not a valid name")));
  }
  v1::Forum out;
  ExpectRefusedWithoutWrite([&] { return Forums().Get("", &out); },
                            grpc::StatusCode::INVALID_ARGUMENT,
                            StartsWith("name: is required"));
}

TEST_F(ForumApi, UpdateRefusesMalformedNamesAndWritesNothing) {
  for (const std::string name :
       {"forums/UPPER", "forum/x", "forums/a/b", "forums/", ""}) {
    SCOPED_TRACE(name);
    v1::Forum patch = NewForum("Patched");
    patch.set_name(name);
    v1::Forum out;
    ExpectRefusedWithoutWrite(
        [&] { return Forums().Update(patch, {"display_name"}, &out); },
        grpc::StatusCode::INVALID_ARGUMENT, StartsWith("forum.name: "));
  }
}

TEST_F(ForumApi, DeleteRefusesMalformedNamesAndWritesNothing) {
  for (const std::string name :
       {"forums/UPPER", "forum/x", "forums/a/b", "forums/", ""}) {
    SCOPED_TRACE(name);
    ExpectRefusedWithoutWrite([&] { return Forums().Delete(name); },
                              grpc::StatusCode::INVALID_ARGUMENT,
                              StartsWith("name: "));
  }
}

TEST_F(ForumApi, CreateRefusesInvalidIdsAndWritesNothing) {
  for (const std::string& id :
       {std::string("Bad_Id"), std::string(64, 'a'), std::string("-lead"),
        std::string("trail-"), std::string("has space"),
        std::string("has/slash")}) {
    SCOPED_TRACE(id);
    v1::Forum out;
    ExpectRefusedWithoutWrite(
        [&] { return Forums().Create("", id, NewForum("Valid"), &out); },
        grpc::StatusCode::INVALID_ARGUMENT,
        AllOf(StartsWith("forum_id: "), HasSubstr("is not a valid id")));
  }
  v1::Forum out;
  ExpectRefusedWithoutWrite(
      [&] { return Forums().Create("", "", NewForum("Valid"), &out); },
      grpc::StatusCode::INVALID_ARGUMENT, StartsWith("forum_id: is required"));
}

TEST_F(ForumApi, CreateRefusesMissingForumMessageAndWritesNothing) {
  v1::CreateForumRequest request;
  request.set_forum_id(UniqueId("no-body"));
  v1::Forum out;
  ExpectRefusedWithoutWrite(
      [&] { return Forums().Call(StandardMethod::kCreate, request, &out); },
      grpc::StatusCode::INVALID_ARGUMENT, StartsWith("forum: is required"));
}

TEST_F(ForumApi, CreateRefusesEmptyDisplayNameAndWritesNothing) {
  v1::Forum out;
  ExpectRefusedWithoutWrite(
      [&] {
        return Forums().Create("", UniqueId("unnamed"), NewForum(""), &out);
      },
      grpc::StatusCode::INVALID_ARGUMENT,
      StartsWith("forum.display_name: is required"));
}

TEST_F(ForumApi, CreateRefusesUnspecifiedKindAndWritesNothing) {
  v1::Forum forum = NewForum("No kind");
  forum.set_kind(v1::FORUM_KIND_UNSPECIFIED);
  v1::Forum out;
  ExpectRefusedWithoutWrite(
      [&] { return Forums().Create("", UniqueId("kindless"), forum, &out); },
      grpc::StatusCode::INVALID_ARGUMENT,
      StartsWith("forum.kind: is required"));
}

TEST_F(ForumApi, CreateRefusesUnknownKindValueAndWritesNothing) {
  v1::Forum forum = NewForum("Unknown kind");
  forum.set_kind(static_cast<v1::ForumKind>(999));
  v1::Forum out;
  ExpectRefusedWithoutWrite(
      [&] { return Forums().Create("", UniqueId("kind999"), forum, &out); },
      grpc::StatusCode::INVALID_ARGUMENT, StartsWith("forum.kind: "));
}

TEST_F(ForumApi, CreateRefusesDisplayNameOf301CharactersAndWritesNothing) {
  v1::Forum out;
  ExpectRefusedWithoutWrite(
      [&] {
        return Forums().Create("", UniqueId("long"),
                               NewForum(std::string(301, 'n')), &out);
      },
      grpc::StatusCode::INVALID_ARGUMENT,
      AllOf(StartsWith("forum.display_name: "), HasSubstr("300")));
}

TEST_F(ForumApi, CreateAcceptsDisplayNameOf300CharactersCountedNotBytes) {
  // 300 two-byte characters: 600 bytes, but 300 characters.
  std::string name;
  for (int i = 0; i < 300; ++i) name += "\xC3\xA9";  // é
  v1::Forum created;
  const grpc::Status status =
      Forums().Create("", UniqueId("accented"), NewForum(name), &created);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(created.display_name(), name);
}

TEST_F(ForumApi, CreateRefusesDescriptionOf10001CharactersAndWritesNothing) {
  v1::Forum forum = NewForum("Wordy");
  forum.set_description(std::string(10001, 'd'));
  v1::Forum out;
  ExpectRefusedWithoutWrite(
      [&] { return Forums().Create("", UniqueId("wordy"), forum, &out); },
      grpc::StatusCode::INVALID_ARGUMENT,
      AllOf(StartsWith("forum.description: "), HasSubstr("10000")));
}

TEST_F(ForumApi, CreateAcceptsDescriptionOf10000Characters) {
  v1::Forum forum = NewForum("Wordy but fine");
  forum.set_description(std::string(10000, 'd'));
  v1::Forum created;
  const grpc::Status status =
      Forums().Create("", UniqueId("wordy-ok"), forum, &created);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(created.description().size(), 10000u);
}

TEST_F(ForumApi, CreateRefusesMissingParentAndWritesNothing) {
  const std::string missing = ForumName(UniqueId("no-such-parent"));
  v1::Forum forum = NewForum("Orphan");
  forum.set_parent(missing);
  v1::Forum out;
  ExpectRefusedWithoutWrite(
      [&] { return Forums().Create("", UniqueId("orphan"), forum, &out); },
      grpc::StatusCode::INVALID_ARGUMENT,
      HasSubstr(absl::StrCat("forum.parent: ", missing, " does not exist")));
}

TEST_F(ForumApi, UpdateRefusesMissingParentAndWritesNothing) {
  const std::string id = UniqueId("reparent");
  MustCreateForum(id);
  const std::string missing = ForumName(UniqueId("no-such-parent"));
  v1::Forum patch;
  patch.set_name(ForumName(id));
  patch.set_parent(missing);
  v1::Forum out;
  ExpectRefusedWithoutWrite(
      [&] { return Forums().Update(patch, {"parent"}, &out); },
      grpc::StatusCode::INVALID_ARGUMENT,
      HasSubstr(absl::StrCat("forum.parent: ", missing, " does not exist")));
}

TEST_F(ForumApi, CreateRefusesMalformedParentAndWritesNothing) {
  v1::Forum forum = NewForum("Bad parent");
  forum.set_parent("participants/x");
  v1::Forum out;
  ExpectRefusedWithoutWrite(
      [&] { return Forums().Create("", UniqueId("bad-parent"), forum, &out); },
      grpc::StatusCode::INVALID_ARGUMENT, StartsWith("forum.parent: "));
}

TEST_F(ForumApi, UpdateRefusesForumAsItsOwnParentAndWritesNothing) {
  const std::string id = UniqueId("selfparent");
  MustCreateForum(id);
  v1::Forum patch;
  patch.set_name(ForumName(id));
  patch.set_parent(ForumName(id));
  v1::Forum out;
  ExpectRefusedWithoutWrite(
      [&] { return Forums().Update(patch, {"parent"}, &out); },
      grpc::StatusCode::INVALID_ARGUMENT, StartsWith("forum.parent: "));
}

TEST_F(ForumApi, UpdateRefusesParentCycleAndWritesNothing) {
  const std::string a = UniqueId("cycle-a");
  const std::string b = UniqueId("cycle-b");
  MustCreateForum(a);
  v1::Forum child = NewForum("B under A");
  child.set_parent(ForumName(a));
  Forums().MustCreate("", b, child);

  v1::Forum patch;
  patch.set_name(ForumName(a));
  patch.set_parent(ForumName(b));
  v1::Forum out;
  ExpectRefusedWithoutWrite(
      [&] { return Forums().Update(patch, {"parent"}, &out); },
      grpc::StatusCode::INVALID_ARGUMENT,
      AllOf(HasSubstr("forum.parent"), HasSubstr("cycle")));

  v1::Forum got;
  ASSERT_TRUE(Forums().Get(ForumName(a), &got).ok());
  EXPECT_EQ(got.parent(), "");
}

TEST_F(ForumApi, UpdateRefusesLongerParentCycleAndWritesNothing) {
  const std::string a = UniqueId("cycle3-a");
  const std::string b = UniqueId("cycle3-b");
  const std::string c = UniqueId("cycle3-c");
  MustCreateForum(a);
  v1::Forum forum_b = NewForum("B under A");
  forum_b.set_parent(ForumName(a));
  Forums().MustCreate("", b, forum_b);
  v1::Forum forum_c = NewForum("C under B");
  forum_c.set_parent(ForumName(b));
  Forums().MustCreate("", c, forum_c);

  v1::Forum patch;
  patch.set_name(ForumName(a));
  patch.set_parent(ForumName(c));
  v1::Forum out;
  ExpectRefusedWithoutWrite(
      [&] { return Forums().Update(patch, {"parent"}, &out); },
      grpc::StatusCode::INVALID_ARGUMENT,
      AllOf(HasSubstr("forum.parent"), HasSubstr("cycle")));
}

TEST_F(ForumApi, CreateRefusesInitiatorThatDoesNotExistAndWritesNothing) {
  const std::string missing = ParticipantName(UniqueId("no-such-state"));
  v1::Forum forum = NewForum("Initiated by nobody");
  forum.add_initiated_by(missing);
  v1::Forum out;
  ExpectRefusedWithoutWrite(
      [&] { return Forums().Create("", UniqueId("nobody"), forum, &out); },
      grpc::StatusCode::INVALID_ARGUMENT,
      AllOf(HasSubstr("forum.initiated_by"),
            HasSubstr(absl::StrCat(missing, " does not exist"))));
}

TEST_F(ForumApi, UpdateRefusesInitiatorThatDoesNotExistAndWritesNothing) {
  const std::string id = UniqueId("initiators");
  const std::string present = UniqueId("present-state");
  MustCreateParticipant(present);
  MustCreateForum(id);
  const std::string missing = ParticipantName(UniqueId("no-such-state"));
  v1::Forum patch;
  patch.set_name(ForumName(id));
  patch.add_initiated_by(ParticipantName(present));
  patch.add_initiated_by(missing);
  v1::Forum out;
  ExpectRefusedWithoutWrite(
      [&] { return Forums().Update(patch, {"initiated_by"}, &out); },
      grpc::StatusCode::INVALID_ARGUMENT,
      AllOf(HasSubstr("forum.initiated_by"),
            HasSubstr(absl::StrCat(missing, " does not exist"))));
}

TEST_F(ForumApi, CreateRefusesInitiatorListedTwiceAndWritesNothing) {
  const std::string state = UniqueId("twice");
  MustCreateParticipant(state);
  v1::Forum forum = NewForum("Twice");
  forum.add_initiated_by(ParticipantName(state));
  forum.add_initiated_by(ParticipantName(state));
  v1::Forum out;
  ExpectRefusedWithoutWrite(
      [&] { return Forums().Create("", UniqueId("twice"), forum, &out); },
      grpc::StatusCode::INVALID_ARGUMENT,
      StartsWith("forum.initiated_by[1]: "));
}

TEST_F(ForumApi, CreateRefusesCitationWithMalformedSourceAndWritesNothing) {
  for (const std::string source :
       {"source/un", "sources/UN", "sources/a/b", "forums/x", ""}) {
    SCOPED_TRACE(source);
    v1::Forum forum = NewForum("Cited");
    v1::Citation* good = forum.add_citations();
    good->set_source("sources/un-charter");
    v1::Citation* bad = forum.add_citations();
    bad->set_source(source);
    bad->set_excerpt("a passage");
    v1::Forum out;
    ExpectRefusedWithoutWrite(
        [&] { return Forums().Create("", UniqueId("cited"), forum, &out); },
        grpc::StatusCode::INVALID_ARGUMENT,
        StartsWith("forum.citations[1].source: "));
  }
}

TEST_F(ForumApi, UpdateRefusesCitationWithMalformedSourceAndWritesNothing) {
  const std::string id = UniqueId("recite");
  MustCreateForum(id);
  v1::Forum patch;
  patch.set_name(ForumName(id));
  patch.add_citations()->set_source("sources/Not_Valid");
  v1::Forum out;
  ExpectRefusedWithoutWrite(
      [&] { return Forums().Update(patch, {"citations"}, &out); },
      grpc::StatusCode::INVALID_ARGUMENT,
      StartsWith("forum.citations[0].source: "));
}

TEST_F(ForumApi, CreateRefusesCitationOfAMissingSourceAndWritesNothing) {
  v1::Forum forum = NewForum("Cited nothing");
  forum.add_citations()->set_source("sources/never-recorded");
  v1::Forum created;
  ExpectRefusedWithoutWrite(
      [&] {
        return Forums().Create("", UniqueId("cited-missing"), forum, &created);
      },
      grpc::StatusCode::INVALID_ARGUMENT,
      StartsWith(
          "forum.citations.source: sources/never-recorded does not exist"));
}

TEST_F(ForumApi, CreateAcceptsCitationOfARecordedSource) {
  {
    v1::Source source;
    source.set_display_name("Charter of the United Nations");
    const grpc::Status status =
        ResourceClient<v1::Source>(*SharedRegistry::channel())
            .Create("", "un-charter", source, &source);
    ASSERT_TRUE(status.ok()) << Describe(status);
  }
  v1::Forum forum = NewForum("Cited well");
  v1::Citation* citation = forum.add_citations();
  citation->set_source("sources/un-charter");
  citation->set_excerpt("We the peoples");
  citation->set_locator("preamble");
  v1::Forum created;
  const grpc::Status status =
      Forums().Create("", UniqueId("cited-ok"), forum, &created);
  ASSERT_TRUE(status.ok()) << Describe(status);
  ASSERT_EQ(created.citations_size(), 1);
  EXPECT_EQ(created.citations(0).source(), "sources/un-charter");
  EXPECT_EQ(created.citations(0).excerpt(), "We the peoples");
}

TEST_F(ForumApi, UpdateWithStaleEtagIsAbortedAndWritesNothing) {
  const std::string id = UniqueId("stale");
  const v1::Forum created = Forums().MustCreate("", id, NewForum("Original"));
  v1::Forum patch;
  patch.set_name(ForumName(id));
  patch.set_display_name("Changed by someone else");
  v1::Forum out;
  ASSERT_TRUE(Forums().Update(patch, {"display_name"}, &out).ok());
  ASSERT_THAT(out.etag(), ::testing::StartsWith("v2."));

  patch.set_etag(created.etag());
  patch.set_display_name("Lost update");
  ExpectRefusedWithoutWrite(
      [&] { return Forums().Update(patch, {"display_name"}, &out); },
      grpc::StatusCode::ABORTED,
      AllOf(StartsWith("etag: does not match"), HasSubstr(ForumName(id))));

  v1::Forum got;
  ASSERT_TRUE(Forums().Get(ForumName(id), &got).ok());
  EXPECT_EQ(got.display_name(), "Changed by someone else");
}

TEST_F(ForumApi, UpdateWithMadeUpEtagIsAbortedAndWritesNothing) {
  const std::string id = UniqueId("madeup");
  MustCreateForum(id);
  v1::Forum patch = NewForum("Whatever");
  patch.set_name(ForumName(id));
  patch.set_etag("not-an-etag");
  v1::Forum out;
  ExpectRefusedWithoutWrite(
      [&] { return Forums().Update(patch, {"display_name"}, &out); },
      grpc::StatusCode::ABORTED, StartsWith("etag: "));
}

TEST_F(ForumApi, DeleteWithStaleEtagIsAbortedAndWritesNothing) {
  const std::string id = UniqueId("stale-delete");
  const v1::Forum created = MustCreateForum(id);
  v1::Forum patch = NewForum("Changed");
  patch.set_name(ForumName(id));
  v1::Forum out;
  ASSERT_TRUE(Forums().Update(patch, {"display_name"}, &out).ok());

  ExpectRefusedWithoutWrite(
      [&] { return Forums().Delete(ForumName(id), {.etag = created.etag()}); },
      grpc::StatusCode::ABORTED,
      AllOf(StartsWith("etag: does not match"), HasSubstr(ForumName(id))));
  v1::Forum got;
  EXPECT_TRUE(Forums().Get(ForumName(id), &got).ok());
}

TEST_F(ForumApi, AnEtagOfADeletedForumDoesNotMatchTheOneCreatedInItsPlace) {
  const std::string id = UniqueId("reborn");
  const v1::Forum first = Forums().MustCreate("", id, NewForum("First life"));
  ASSERT_TRUE(Forums().Delete(ForumName(id), {.etag = first.etag()}).ok());
  const v1::Forum second = Forums().MustCreate("", id, NewForum("Second life"));
  ASSERT_NE(second.etag(), first.etag()) << "both are version 1";

  v1::Forum patch = NewForum("Meant for the first life");
  patch.set_name(ForumName(id));
  patch.set_etag(first.etag());
  v1::Forum out;
  ExpectRefusedWithoutWrite(
      [&] { return Forums().Update(patch, {"display_name"}, &out); },
      grpc::StatusCode::ABORTED, StartsWith("etag: does not match"));
  ExpectRefusedWithoutWrite(
      [&] { return Forums().Delete(ForumName(id), {.etag = first.etag()}); },
      grpc::StatusCode::ABORTED, StartsWith("etag: does not match"));
  v1::Forum got;
  ASSERT_TRUE(Forums().Get(ForumName(id), &got).ok());
  EXPECT_EQ(got.display_name(), "Second life");
  EXPECT_EQ(got.etag(), second.etag());
}

TEST_F(ForumApi, UpdateRefusesUnknownFieldInMaskAndWritesNothing) {
  const std::string id = UniqueId("mask");
  MustCreateForum(id);
  for (const std::string path :
       {"no_such_field", "founded.no_such_part", "display_name.", ".kind"}) {
    SCOPED_TRACE(path);
    v1::Forum patch = NewForum("Masked");
    patch.set_name(ForumName(id));
    v1::Forum out;
    ExpectRefusedWithoutWrite(
        [&] {
          return Forums().Update(patch, {"display_name", path}, &out);
        },
        grpc::StatusCode::INVALID_ARGUMENT,
        AllOf(
            StartsWith("update_mask: "),
            HasSubstr(absl::StrCat("\"", path, "\" is not a field of Forum"))));
  }
}

TEST_F(ForumApi, UpdateRefusesEmptyMaskAndWritesNothing) {
  const std::string id = UniqueId("nomask");
  MustCreateForum(id);
  v1::Forum patch = NewForum("Unmasked");
  patch.set_name(ForumName(id));
  v1::Forum out;
  ExpectRefusedWithoutWrite([&] { return Forums().Update(patch, {}, &out); },
                            grpc::StatusCode::INVALID_ARGUMENT,
                            StartsWith("update_mask: is required"));
}

TEST_F(ForumApi, UpdateRefusesMissingForumMessageAndWritesNothing) {
  v1::UpdateForumRequest request;
  *request.mutable_update_mask() = Mask({"display_name"});
  v1::Forum out;
  ExpectRefusedWithoutWrite(
      [&] { return Forums().Call(StandardMethod::kUpdate, request, &out); },
      grpc::StatusCode::INVALID_ARGUMENT, StartsWith("forum: is required"));
}

TEST_F(ForumApi, UpdateRefusesChangeThatBreaksARuleAndWritesNothing) {
  const std::string id = UniqueId("rules");
  MustCreateForum(id);
  v1::Forum patch;
  patch.set_name(ForumName(id));
  v1::Forum out;
  // Masking display_name without giving one clears it, which a forum may not.
  ExpectRefusedWithoutWrite(
      [&] { return Forums().Update(patch, {"display_name"}, &out); },
      grpc::StatusCode::INVALID_ARGUMENT,
      StartsWith("forum.display_name: is required"));
}

TEST_F(ForumApi, DeleteRefusesForumThatIsAnotherForumsParent) {
  const std::string parent = UniqueId("parent");
  const std::string child = UniqueId("child");
  MustCreateForum(parent);
  v1::Forum forum = NewForum("Child");
  forum.set_parent(ForumName(parent));
  Forums().MustCreate("", child, forum);

  ExpectRefusedWithoutWrite(
      [&] { return Forums().Delete(ForumName(parent)); },
      grpc::StatusCode::FAILED_PRECONDITION,
      AllOf(HasSubstr(ForumName(parent)), HasSubstr(ForumName(child))));

  // Once the child is gone, so is the reason.
  ASSERT_TRUE(Forums().Delete(ForumName(child)).ok());
  const grpc::Status status = Forums().Delete(ForumName(parent));
  EXPECT_TRUE(status.ok()) << Describe(status);
}

// ===========================================================================
// Participants: create, get, update, delete, and refusals.

class ParticipantApi : public RegistryTest {};

TEST_F(ParticipantApi, CreateReturnsTheParticipantWithNameEtagAndTimes) {
  const std::string id = UniqueId("crud");
  v1::Participant participant = NewParticipant("Russian Federation");
  participant.set_description("A state.");
  v1::ExternalId* iso = participant.add_external_ids();
  iso->set_scheme("iso3166-1");
  iso->set_value("RU");
  participant.set_name("participants/ignored-on-create");

  const int64_t requested_at = NowMicros();
  v1::Participant created;
  const grpc::Status status =
      Participants().Create("", id, participant, &created);
  ASSERT_TRUE(status.ok()) << Describe(status);

  ExpectFreshlyCreated(created, ParticipantName(id), requested_at);
  EXPECT_EQ(created.kind(), v1::PARTICIPANT_KIND_STATE);
  EXPECT_EQ(created.display_name(), "Russian Federation");
  EXPECT_EQ(created.description(), "A state.");
  ASSERT_EQ(created.external_ids_size(), 1);
  EXPECT_EQ(created.external_ids(0).value(), "RU");
}

TEST_F(ParticipantApi, GetReturnsWhatCreateReturned) {
  const std::string state = UniqueId("state");
  MustCreateParticipant(state);
  v1::Participant person = NewParticipant("Sergey Lavrov");
  person.set_kind(v1::PARTICIPANT_KIND_PERSON);
  person.set_affiliation(ParticipantName(state));
  v1::Role* role = person.add_roles();
  role->set_title("Minister of Foreign Affairs");
  role->set_of(ParticipantName(state));
  role->mutable_period()->mutable_start()->set_year(2004);
  const std::string id = UniqueId("person");
  const v1::Participant created = Participants().MustCreate("", id, person);

  v1::Participant got;
  const grpc::Status status = Participants().Get(ParticipantName(id), &got);
  ASSERT_TRUE(status.ok()) << Describe(status);
  ExpectSameMessage(got, created);
}

TEST_F(ParticipantApi, UpdateChangesOnlyMaskedFieldsAndBumpsEtag) {
  const std::string id = UniqueId("update");
  v1::Participant participant = NewParticipant("Old name");
  participant.set_description("Old description");
  const v1::Participant created =
      Participants().MustCreate("", id, participant);

  v1::Participant patch = NewParticipant("Ignored name");
  patch.set_name(ParticipantName(id));
  patch.set_etag(created.etag());
  patch.set_kind(v1::PARTICIPANT_KIND_AGENCY);
  patch.set_description("New description");
  v1::Participant updated;
  const grpc::Status status =
      Participants().Update(patch, {"description"}, &updated);
  ASSERT_TRUE(status.ok()) << Describe(status);

  EXPECT_EQ(updated.description(), "New description");
  EXPECT_EQ(updated.display_name(), "Old name");
  EXPECT_EQ(updated.kind(), v1::PARTICIPANT_KIND_STATE);
  EXPECT_THAT(updated.etag(), ::testing::StartsWith("v2."));
  EXPECT_EQ(Micros(updated.create_time()), Micros(created.create_time()));
  EXPECT_GT(Micros(updated.update_time()), Micros(created.update_time()));

  v1::Participant got;
  ASSERT_TRUE(Participants().Get(ParticipantName(id), &got).ok());
  ExpectSameMessage(got, updated);
}

TEST_F(ParticipantApi, UpdateThatChangesNothingKeepsEtagAndWritesNothing) {
  const std::string id = UniqueId("noop");
  const v1::Participant created = MustCreateParticipant(id);
  const std::string before = db().WriteState();
  v1::Participant updated;
  const grpc::Status status = Participants().Update(created, {"*"}, &updated);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_THAT(updated.etag(), ::testing::StartsWith("v1."));
  ExpectSameMessage(updated, created);
  EXPECT_EQ(db().WriteState(), before);
}

TEST_F(ParticipantApi, DeleteRemovesTheParticipant) {
  const std::string id = UniqueId("delete");
  MustCreateParticipant(id);
  const grpc::Status deleted = Participants().Delete(ParticipantName(id));
  ASSERT_TRUE(deleted.ok()) << Describe(deleted);

  v1::Participant got;
  const grpc::Status status = Participants().Get(ParticipantName(id), &got);
  EXPECT_EQ(CodeName(status.error_code()), "NOT_FOUND");
  EXPECT_THAT(status.error_message(), HasSubstr(ParticipantName(id)));
}

TEST_F(ParticipantApi, DeleteOfMissingParticipantIsNotFound) {
  const std::string name = ParticipantName(UniqueId("missing"));
  ExpectRefusedWithoutWrite([&] { return Participants().Delete(name); },
                            grpc::StatusCode::NOT_FOUND, HasSubstr(name));
}

TEST_F(ParticipantApi, CreateWithExistingIdIsAlreadyExistsAndWritesNothing) {
  const std::string id = UniqueId("dup");
  MustCreateParticipant(id);
  v1::Participant out;
  ExpectRefusedWithoutWrite(
      [&] {
        return Participants().Create("", id, NewParticipant("Again"), &out);
      },
      grpc::StatusCode::ALREADY_EXISTS, HasSubstr(ParticipantName(id)));
}

TEST_F(ParticipantApi, GetUpdateDeleteRefuseMalformedNamesAndWriteNothing) {
  for (const std::string name : {"participants/UPPER", "participant/x",
                                 "participants/a/b", "forums/x", ""}) {
    SCOPED_TRACE(name);
    v1::Participant out;
    ExpectRefusedWithoutWrite([&] { return Participants().Get(name, &out); },
                              grpc::StatusCode::INVALID_ARGUMENT,
                              StartsWith("name: "));
    ExpectRefusedWithoutWrite([&] { return Participants().Delete(name); },
                              grpc::StatusCode::INVALID_ARGUMENT,
                              StartsWith("name: "));
    v1::Participant patch = NewParticipant("Patched");
    patch.set_name(name);
    ExpectRefusedWithoutWrite(
        [&] { return Participants().Update(patch, {"display_name"}, &out); },
        grpc::StatusCode::INVALID_ARGUMENT, StartsWith("participant.name: "));
  }
}

TEST_F(ParticipantApi, CreateRefusesInvalidIdsAndWritesNothing) {
  for (const std::string& id :
       {std::string("Bad_Id"), std::string(""), std::string(64, 'p')}) {
    SCOPED_TRACE(id);
    v1::Participant out;
    ExpectRefusedWithoutWrite(
        [&] {
          return Participants().Create("", id, NewParticipant("Valid"), &out);
        },
        grpc::StatusCode::INVALID_ARGUMENT, StartsWith("participant_id: "));
  }
}

TEST_F(ParticipantApi, CreateRefusesMissingParticipantMessageAndWritesNothing) {
  v1::CreateParticipantRequest request;
  request.set_participant_id(UniqueId("no-body"));
  v1::Participant out;
  ExpectRefusedWithoutWrite(
      [&] {
        return Participants().Call(StandardMethod::kCreate, request, &out);
      },
      grpc::StatusCode::INVALID_ARGUMENT,
      StartsWith("participant: is required"));
}

TEST_F(ParticipantApi, CreateRefusesMissingRequiredFieldsAndWritesNothing) {
  v1::Participant out;
  ExpectRefusedWithoutWrite(
      [&] {
        return Participants().Create("", UniqueId("unnamed"),
                                     NewParticipant(""), &out);
      },
      grpc::StatusCode::INVALID_ARGUMENT,
      StartsWith("participant.display_name: is required"));

  v1::Participant kindless = NewParticipant("No kind");
  kindless.set_kind(v1::PARTICIPANT_KIND_UNSPECIFIED);
  ExpectRefusedWithoutWrite(
      [&] {
        return Participants().Create("", UniqueId("kindless"), kindless, &out);
      },
      grpc::StatusCode::INVALID_ARGUMENT,
      StartsWith("participant.kind: is required"));
}

TEST_F(ParticipantApi, CreateRefusesFieldsTooLongAndWritesNothing) {
  v1::Participant out;
  ExpectRefusedWithoutWrite(
      [&] {
        return Participants().Create(
            "", UniqueId("long"), NewParticipant(std::string(301, 'n')), &out);
      },
      grpc::StatusCode::INVALID_ARGUMENT,
      StartsWith("participant.display_name: "));

  v1::Participant wordy = NewParticipant("Wordy");
  wordy.set_description(std::string(10001, 'd'));
  ExpectRefusedWithoutWrite(
      [&] { return Participants().Create("", UniqueId("wordy"), wordy, &out); },
      grpc::StatusCode::INVALID_ARGUMENT,
      StartsWith("participant.description: "));
}

TEST_F(ParticipantApi, CreateRefusesRoleOfMissingParticipantAndWritesNothing) {
  const std::string missing = ParticipantName(UniqueId("no-such-state"));
  v1::Participant person = NewParticipant("Nobody's minister");
  person.set_kind(v1::PARTICIPANT_KIND_PERSON);
  v1::Role* role = person.add_roles();
  role->set_title("Minister");
  role->set_of(missing);
  v1::Participant out;
  ExpectRefusedWithoutWrite(
      [&] {
        return Participants().Create("", UniqueId("minister"), person, &out);
      },
      grpc::StatusCode::INVALID_ARGUMENT,
      AllOf(HasSubstr("participant.roles.of"),
            HasSubstr(absl::StrCat(missing, " does not exist"))));
}

TEST_F(ParticipantApi, CreateRefusesMalformedRoleOfAndWritesNothing) {
  v1::Participant person = NewParticipant("Minister");
  person.set_kind(v1::PARTICIPANT_KIND_PERSON);
  v1::Role* role = person.add_roles();
  role->set_title("Minister");
  role->set_of("forums/x");
  v1::Participant out;
  ExpectRefusedWithoutWrite(
      [&] {
        return Participants().Create("", UniqueId("minister"), person, &out);
      },
      grpc::StatusCode::INVALID_ARGUMENT,
      StartsWith("participant.roles[0].of: "));
}

TEST_F(ParticipantApi, CreateRefusesAffiliationToMissingParticipant) {
  const std::string missing = ParticipantName(UniqueId("no-such-state"));
  v1::Participant agency = NewParticipant("Agency of nobody");
  agency.set_kind(v1::PARTICIPANT_KIND_AGENCY);
  agency.set_affiliation(missing);
  v1::Participant out;
  ExpectRefusedWithoutWrite(
      [&] {
        return Participants().Create("", UniqueId("agency"), agency, &out);
      },
      grpc::StatusCode::INVALID_ARGUMENT,
      AllOf(HasSubstr("participant.affiliation"),
            HasSubstr(absl::StrCat(missing, " does not exist"))));
}

TEST_F(ParticipantApi,
       CreateRefusesCitationWithMalformedSourceAndWritesNothing) {
  v1::Participant participant = NewParticipant("Cited");
  participant.add_citations()->set_source("forums/not-a-source");
  v1::Participant out;
  ExpectRefusedWithoutWrite(
      [&] {
        return Participants().Create("", UniqueId("cited"), participant, &out);
      },
      grpc::StatusCode::INVALID_ARGUMENT,
      StartsWith("participant.citations[0].source: "));
}

TEST_F(ParticipantApi, UpdateWithStaleEtagIsAbortedAndWritesNothing) {
  const std::string id = UniqueId("stale");
  MustCreateParticipant(id);
  v1::Participant patch = NewParticipant("Changed");
  patch.set_name(ParticipantName(id));
  v1::Participant out;
  ASSERT_TRUE(Participants().Update(patch, {"display_name"}, &out).ok());

  patch.set_etag("v1");
  patch.set_display_name("Lost update");
  ExpectRefusedWithoutWrite(
      [&] { return Participants().Update(patch, {"display_name"}, &out); },
      grpc::StatusCode::ABORTED, StartsWith("etag: does not match"));
  ExpectRefusedWithoutWrite(
      [&] {
        return Participants().Delete(ParticipantName(id), {.etag = "v1"});
      },
      grpc::StatusCode::ABORTED, StartsWith("etag: does not match"));
}

TEST_F(ParticipantApi, UpdateRefusesUnknownOrEmptyMaskAndWritesNothing) {
  const std::string id = UniqueId("mask");
  MustCreateParticipant(id);
  v1::Participant patch = NewParticipant("Masked");
  patch.set_name(ParticipantName(id));
  v1::Participant out;
  ExpectRefusedWithoutWrite(
      [&] { return Participants().Update(patch, {"parent"}, &out); },
      grpc::StatusCode::INVALID_ARGUMENT,
      AllOf(StartsWith("update_mask: "),
            HasSubstr("\"parent\" is not a field of Participant")));
  ExpectRefusedWithoutWrite(
      [&] { return Participants().Update(patch, {}, &out); },
      grpc::StatusCode::INVALID_ARGUMENT,
      StartsWith("update_mask: is required"));
}

TEST_F(ParticipantApi, DeleteRefusesParticipantStillReferredToByAForum) {
  const std::string state = UniqueId("initiator");
  const std::string forum_id = UniqueId("initiated");
  MustCreateParticipant(state);
  v1::Forum forum = NewForum("Initiated");
  forum.add_initiated_by(ParticipantName(state));
  Forums().MustCreate("", forum_id, forum);

  ExpectRefusedWithoutWrite(
      [&] { return Participants().Delete(ParticipantName(state)); },
      grpc::StatusCode::FAILED_PRECONDITION,
      AllOf(HasSubstr(ParticipantName(state)), HasSubstr(ForumName(forum_id)),
            HasSubstr("initiated_by")));

  // Dropping the reference lifts the refusal.
  v1::Forum patch;
  patch.set_name(ForumName(forum_id));
  v1::Forum out;
  ASSERT_TRUE(Forums().Update(patch, {"initiated_by"}, &out).ok());
  const grpc::Status status = Participants().Delete(ParticipantName(state));
  EXPECT_TRUE(status.ok()) << Describe(status);
}

TEST_F(ParticipantApi, DeleteRefusesParticipantStillReferredToByARole) {
  const std::string state = UniqueId("employer");
  const std::string person = UniqueId("employee");
  MustCreateParticipant(state);
  v1::Participant minister = NewParticipant("Minister");
  minister.set_kind(v1::PARTICIPANT_KIND_PERSON);
  v1::Role* role = minister.add_roles();
  role->set_title("Minister");
  role->set_of(ParticipantName(state));
  Participants().MustCreate("", person, minister);

  ExpectRefusedWithoutWrite(
      [&] { return Participants().Delete(ParticipantName(state)); },
      grpc::StatusCode::FAILED_PRECONDITION,
      HasSubstr(ParticipantName(person)));
}

// ===========================================================================
// Listing.

class ListingApi : public RegistryTest {
 protected:
  // Every forum name in the database, in name order.
  std::vector<std::string> ForumNamesInDatabase() {
    const std::string joined =
        db().Query("SELECT string_agg(name, ' ' ORDER BY name) FROM forums");
    return absl::StrSplit(joined, ' ', absl::SkipEmpty());
  }

  // Creates forums until at least `count` exist.
  void EnsureForums(int64_t count) {
    const int64_t missing = count - db().Count("forums");
    for (int64_t i = 0; i < missing; ++i) MustCreateForum(UniqueId("filler"));
    ASSERT_GE(db().Count("forums"), count);
  }
};

TEST_F(ListingApi, PagesVisitEveryForumOnceWhileForumsAreInserted) {
  // Ids starting with "0" sort before the ids of every other test (see
  // UniqueId), so the first pages are this test's own forums.
  const std::string prefix = UniqueId("0pg");
  for (int i = 0; i < 23; ++i)
    MustCreateForum(absl::StrCat(prefix, "-m", i < 10 ? "0" : "", i));
  const std::vector<std::string> at_start = ForumNamesInDatabase();
  ASSERT_GE(at_start.size(), 23u);

  std::vector<std::string> listed;
  std::set<std::string> inserted_behind;  // before the cursor: already passed
  std::set<std::string> inserted_ahead;   // after the cursor: still to come
  std::string token;
  int pages = 0;
  do {
    v1::ListForumsResponse page;
    const grpc::Status status =
        Forums().List({.page_size = 5, .page_token = token}, &page);
    ASSERT_TRUE(status.ok()) << "page " << pages << ": " << Describe(status);
    ASSERT_LE(page.forums_size(), 5);
    ++pages;
    ASSERT_LT(pages, 10000) << "the pages never end";
    for (const v1::Forum& forum : page.forums()) listed.push_back(forum.name());
    token = page.next_page_token();
    if (token.empty()) {
      break;
    }
    ASSERT_EQ(page.forums_size(), 5) << "a page short of page_size, not last";
    const std::string cursor =
        page.forums(4).name().substr(ForumName("").size());
    if (cursor.rfind(prefix + "-", 0) == 0) {
      // One forum just behind the last one returned, one just ahead of it.
      const std::string behind = absl::StrCat(
          cursor.substr(0, cursor.size() - 1), "-b", inserted_behind.size());
      const std::string ahead =
          absl::StrCat(cursor, "-a", inserted_ahead.size());
      ASSERT_LT(behind, cursor);
      ASSERT_GT(ahead, cursor);
      MustCreateForum(behind);
      MustCreateForum(ahead);
      inserted_behind.insert(ForumName(behind));
      inserted_ahead.insert(ForumName(ahead));
    }
  } while (true);

  EXPECT_GE(inserted_behind.size(), 3u) << "the test inserted too little";

  std::map<std::string, int> times;
  for (const std::string& name : listed) ++times[name];
  for (const auto& [name, count] : times) {
    EXPECT_EQ(count, 1) << name << " was listed " << count << " times";
  }
  for (const std::string& name : at_start) {
    EXPECT_TRUE(times.contains(name)) << name << " was never listed";
  }
  for (const std::string& name : inserted_ahead) {
    EXPECT_TRUE(times.contains(name))
        << name << " was inserted ahead of the cursor but never listed";
  }
  for (const std::string& name : inserted_behind) {
    EXPECT_FALSE(times.contains(name))
        << name << " was inserted behind the cursor but listed";
  }
  EXPECT_TRUE(std::is_sorted(listed.begin(), listed.end()))
      << "forums are not listed in name order";
}

TEST_F(ListingApi, PageSizeZeroMeansFifty) {
  EnsureForums(51);
  v1::ListForumsResponse page;
  const grpc::Status status =
      Forums().List({.page_size = 0, .page_token = ""}, &page);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(page.forums_size(), 50);
  EXPECT_NE(page.next_page_token(), "");
}

TEST_F(ListingApi, PageSizeAboveOneThousandIsReadAsOneThousand) {
  EnsureForums(1001);
  const int64_t total = db().Count("forums");

  v1::ListForumsResponse first;
  grpc::Status status =
      Forums().List({.page_size = 5000, .page_token = ""}, &first);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(first.forums_size(), 1000);
  ASSERT_NE(first.next_page_token(), "");

  v1::ListForumsResponse rest;
  status = Forums().List(
      {.page_size = 5000, .page_token = first.next_page_token()}, &rest);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(first.forums_size() + rest.forums_size(), total);
  EXPECT_EQ(rest.next_page_token(), "");
}

TEST_F(ListingApi, ParticipantPagesVisitEveryParticipantOnce) {
  for (int i = 0; i < 7; ++i) MustCreateParticipant(UniqueId("listed"));
  const std::string joined = db().Query(
      "SELECT string_agg(name, ' ' ORDER BY name) FROM participants");
  const std::vector<std::string> expected =
      absl::StrSplit(joined, ' ', absl::SkipEmpty());

  std::vector<std::string> listed;
  std::string token;
  int pages = 0;
  do {
    v1::ListParticipantsResponse page;
    const grpc::Status status =
        Participants().List({.page_size = 3, .page_token = token}, &page);
    ASSERT_TRUE(status.ok()) << Describe(status);
    ASSERT_LE(page.participants_size(), 3);
    ASSERT_LT(++pages, 10000);
    for (const auto& participant : page.participants()) {
      listed.push_back(participant.name());
    }
    token = page.next_page_token();
  } while (!token.empty());
  EXPECT_EQ(listed, expected);
}

TEST_F(ListingApi, NegativePageSizeIsRefusedAndWritesNothing) {
  v1::ListForumsResponse forums;
  ExpectRefusedWithoutWrite(
      [&] {
        return Forums().List({.page_size = -1, .page_token = ""}, &forums);
      },
      grpc::StatusCode::INVALID_ARGUMENT,
      StartsWith("page_size: must not be negative"));
  v1::ListParticipantsResponse participants;
  ExpectRefusedWithoutWrite(
      [&] {
        return Participants().List({.page_size = -1, .page_token = ""},
                                   &participants);
      },
      grpc::StatusCode::INVALID_ARGUMENT,
      StartsWith("page_size: must not be negative"));
}

TEST_F(ListingApi, TamperedPageTokenIsRefusedAndWritesNothing) {
  EnsureForums(3);
  v1::ListForumsResponse first;
  ASSERT_TRUE(Forums().List({.page_size = 1, .page_token = ""}, &first).ok());
  const std::string token = first.next_page_token();
  ASSERT_GT(token.size(), 4u);

  // Change one character at several places, each to another base64url one.
  for (const size_t at : {size_t{0}, token.size() / 2, token.size() - 1}) {
    std::string tampered = token;
    tampered[at] = tampered[at] == 'A' ? 'B' : 'A';
    SCOPED_TRACE(tampered);
    v1::ListForumsResponse page;
    ExpectRefusedWithoutWrite(
        [&] {
          return Forums().List({.page_size = 1, .page_token = tampered}, &page);
        },
        grpc::StatusCode::INVALID_ARGUMENT, StartsWith("page_token: "));
  }
  // And a token cut short or lengthened.
  for (const std::string& altered :
       {token.substr(0, token.size() - 1), token + "A", token + "="}) {
    SCOPED_TRACE(altered);
    v1::ListForumsResponse page;
    ExpectRefusedWithoutWrite(
        [&] {
          return Forums().List({.page_size = 1, .page_token = altered}, &page);
        },
        grpc::StatusCode::INVALID_ARGUMENT, StartsWith("page_token: "));
  }
  // The untouched token still works.
  v1::ListForumsResponse second;
  const grpc::Status status =
      Forums().List({.page_size = 1, .page_token = token}, &second);
  ASSERT_TRUE(status.ok()) << Describe(status);
  ASSERT_EQ(second.forums_size(), 1);
  EXPECT_GT(second.forums(0).name(), first.forums(0).name());
}

TEST_F(ListingApi, GarbagePageTokenIsRefusedAndWritesNothing) {
  for (const std::string garbage :
       {"garbage", "!!!not base64!!!", "AAAAAAAAAAAAAAAAAAAAAAAAAAAA", "x"}) {
    SCOPED_TRACE(garbage);
    v1::ListForumsResponse forums;
    ExpectRefusedWithoutWrite(
        [&] {
          return Forums().List({.page_size = 5, .page_token = garbage},
                               &forums);
        },
        grpc::StatusCode::INVALID_ARGUMENT, StartsWith("page_token: "));
    v1::ListParticipantsResponse participants;
    ExpectRefusedWithoutWrite(
        [&] {
          return Participants().List({.page_size = 5, .page_token = garbage},
                                     &participants);
        },
        grpc::StatusCode::INVALID_ARGUMENT, StartsWith("page_token: "));
  }
}

TEST_F(ListingApi, TokenOfOneListIsRefusedByTheOtherAndWritesNothing) {
  MustCreateParticipant(UniqueId("token-a"));
  MustCreateParticipant(UniqueId("token-b"));
  v1::ListParticipantsResponse participants;
  ASSERT_TRUE(Participants()
                  .List({.page_size = 1, .page_token = ""}, &participants)
                  .ok());
  const std::string participant_token = participants.next_page_token();
  ASSERT_NE(participant_token, "");

  v1::ListForumsResponse refused_forums;
  ExpectRefusedWithoutWrite(
      [&] {
        return Forums().List({.page_size = 1, .page_token = participant_token},
                             &refused_forums);
      },
      grpc::StatusCode::INVALID_ARGUMENT,
      AllOf(StartsWith("page_token: "), HasSubstr("different request")));

  EnsureForums(2);
  v1::ListForumsResponse forums;
  ASSERT_TRUE(Forums().List({.page_size = 1, .page_token = ""}, &forums).ok());
  const std::string forum_token = forums.next_page_token();
  ASSERT_NE(forum_token, "");
  v1::ListParticipantsResponse refused_participants;
  ExpectRefusedWithoutWrite(
      [&] {
        return Participants().List({.page_size = 1, .page_token = forum_token},
                                   &refused_participants);
      },
      grpc::StatusCode::INVALID_ARGUMENT,
      AllOf(StartsWith("page_token: "), HasSubstr("different request")));
}

// ===========================================================================
// Concurrency.

class ConcurrentUpdates : public RegistryTest {};

TEST_F(ConcurrentUpdates, OfTwoUpdatesWithTheSameEtagExactlyOneSucceeds) {
  for (int round = 0; round < 10; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round));
    const std::string id = UniqueId("race");
    const v1::Forum created =
        Forums().MustCreate("", id, NewForum("Before the race"));

    std::latch start(2);
    grpc::Status results[2];
    v1::Forum outs[2];
    const auto writer = [&](int i) {
      v1::UpdateForumRequest request;
      request.mutable_forum()->set_name(ForumName(id));
      request.mutable_forum()->set_etag(created.etag());
      request.mutable_forum()->set_display_name(absl::StrCat("Writer ", i));
      *request.mutable_update_mask() = Mask({"display_name"});
      grpc::ClientContext context;
      SetDeadline(&context);
      start.arrive_and_wait();
      results[i] =
          Forums().Call(StandardMethod::kUpdate, request, &outs[i], &context);
    };
    std::thread first(writer, 0);
    std::thread second(writer, 1);
    first.join();
    second.join();

    const int winners = results[0].ok() + results[1].ok();
    ASSERT_EQ(winners, 1) << Describe(results[0]) << " / "
                          << Describe(results[1]);
    const int winner = results[0].ok() ? 0 : 1;
    const grpc::Status& loser = results[1 - winner];
    EXPECT_EQ(CodeName(loser.error_code()), "ABORTED") << Describe(loser);
    EXPECT_THAT(loser.error_message(), StartsWith("etag: does not match"));
    EXPECT_THAT(outs[winner].etag(), ::testing::StartsWith("v2."));

    v1::Forum got;
    ASSERT_TRUE(Forums().Get(ForumName(id), &got).ok());
    EXPECT_EQ(got.display_name(), absl::StrCat("Writer ", winner));
    EXPECT_THAT(got.etag(), ::testing::StartsWith("v2."));
    EXPECT_EQ(db().Query("SELECT version FROM forums WHERE name = '" +
                         ForumName(id) + "'"),
              "2");
  }
}

// Bytes that are not a CreateForumRequest reach the service's handler as a
// parse failure: the call is refused, nothing is written, and the server
// goes on serving (the handler frees what it allocated for the request).
TEST_F(RegistryTest, UnparsableRequestIsRefusedAndWritesNothing) {
  const std::string before = db().WriteState();
  // Field 1 (the forum) as a length-delimited field claiming 100 bytes that
  // are not there.
  const std::string garbage("\x0a\x64\x01\x02", 4);
  for (int i = 0; i < 20; ++i) {
    grpc::Slice slice(garbage);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    grpc::ClientContext context;
    SetDeadline(&context);
    const grpc::internal::RpcMethod method(
        "/forumregistry.v1.ForumService/CreateForum",
        grpc::internal::RpcMethod::NORMAL_RPC, *SharedRegistry::channel());
    const grpc::Status status =
        grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
            SharedRegistry::channel()->get(), method, &context, request,
            &response);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(CodeName(status.error_code()), "INTERNAL") << Describe(status);
  }
  EXPECT_EQ(db().WriteState(), before);
  v1::Forum forum;
  forum.set_kind(v1::FORUM_KIND_SUMMIT);
  forum.set_display_name("After garbage");
  v1::Forum created;
  EXPECT_TRUE(
      Forums().Create("", UniqueId("after-garbage"), forum, &created).ok());
}

// Every write tells the revision of the change feed it produced: the
// record's latest change row. An update that changes nothing tells the
// revision the record already stood at; a refused write tells nothing.
TEST_F(RegistryTest, WritesTellTheRevisionTheyProduced) {
  const std::string id = UniqueId("revision");
  const std::string name = ForumName(id);
  const auto latest = [&] {
    return db().Query("SELECT max(sequence) FROM changes WHERE resource = '" +
                      name + "'");
  };

  v1::CreateForumRequest create;
  create.mutable_forum()->set_kind(v1::FORUM_KIND_SUMMIT);
  create.mutable_forum()->set_display_name("Revisions");
  create.set_forum_id(id);
  v1::Forum forum;
  grpc::ClientContext created;
  SetDeadline(&created);
  ASSERT_TRUE(
      Forums().Call(StandardMethod::kCreate, create, &forum, &created).ok());
  const std::string first = RevisionHeader(created);
  EXPECT_EQ(first, latest());
  ASSERT_FALSE(first.empty());

  v1::UpdateForumRequest update;
  update.mutable_forum()->set_name(name);
  update.mutable_forum()->set_display_name("Revisions, renamed");
  update.mutable_update_mask()->add_paths("display_name");
  grpc::ClientContext updated;
  SetDeadline(&updated);
  ASSERT_TRUE(
      Forums().Call(StandardMethod::kUpdate, update, &forum, &updated).ok());
  const std::string second = RevisionHeader(updated);
  EXPECT_EQ(second, latest());
  EXPECT_GT(std::stoll(second), std::stoll(first));

  grpc::ClientContext unchanged;
  SetDeadline(&unchanged);
  ASSERT_TRUE(
      Forums().Call(StandardMethod::kUpdate, update, &forum, &unchanged).ok());
  EXPECT_EQ(RevisionHeader(unchanged), second);

  v1::DeleteForumRequest stale;
  stale.set_name(name);
  stale.set_etag("v1");
  google::protobuf::Empty empty;
  grpc::ClientContext refused;
  SetDeadline(&refused);
  EXPECT_EQ(CodeName(Forums()
                         .Call(StandardMethod::kDelete, stale, &empty, &refused)
                         .error_code()),
            "ABORTED");
  EXPECT_EQ(RevisionHeader(refused), "");

  v1::DeleteForumRequest remove;
  remove.set_name(name);
  grpc::ClientContext deleted;
  SetDeadline(&deleted);
  ASSERT_TRUE(
      Forums().Call(StandardMethod::kDelete, remove, &empty, &deleted).ok());
  const std::string third = RevisionHeader(deleted);
  EXPECT_EQ(third, latest());
  EXPECT_GT(std::stoll(third), std::stoll(second));
  EXPECT_EQ(
      db().Query("SELECT operation FROM changes WHERE sequence = " + third),
      "DELETE");
}

// The change feed: a record's history through ListChanges, page by page,
// each change with the revision its write reported and the record as it
// stood after it.
TEST_F(RegistryTest, ListChangesGivesARecordsHistoryInCommitOrder) {
  auto changes = v1::ChangeService::NewStub(*SharedRegistry::channel());
  const std::string id = UniqueId("history");
  const std::string name = ForumName(id);
  std::vector<std::string> reported;

  v1::CreateForumRequest create;
  create.mutable_forum()->set_kind(v1::FORUM_KIND_SUMMIT);
  create.mutable_forum()->set_display_name("First");
  create.set_forum_id(id);
  v1::Forum forum;
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    ASSERT_TRUE(
        Forums().Call(StandardMethod::kCreate, create, &forum, &context).ok());
    reported.push_back(RevisionHeader(context));
  }
  v1::UpdateForumRequest update;
  update.mutable_forum()->set_name(name);
  update.mutable_forum()->set_display_name("Second");
  update.mutable_update_mask()->add_paths("display_name");
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    ASSERT_TRUE(
        Forums().Call(StandardMethod::kUpdate, update, &forum, &context).ok());
    reported.push_back(RevisionHeader(context));
  }
  {
    v1::DeleteForumRequest remove;
    remove.set_name(name);
    google::protobuf::Empty empty;
    grpc::ClientContext context;
    SetDeadline(&context);
    ASSERT_TRUE(
        Forums().Call(StandardMethod::kDelete, remove, &empty, &context).ok());
    reported.push_back(RevisionHeader(context));
  }

  // One change a page, following the tokens.
  v1::ListChangesRequest request;
  request.set_filter("resource = \"" + name + "\"");
  request.set_page_size(1);
  std::vector<v1::Change> history;
  for (int page = 0; page < 10; ++page) {
    v1::ListChangesResponse response;
    grpc::ClientContext context;
    SetDeadline(&context);
    const grpc::Status status =
        changes->ListChanges(&context, request, &response);
    ASSERT_TRUE(status.ok()) << Describe(status);
    for (const auto& change : response.changes()) history.push_back(change);
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  ASSERT_EQ(history.size(), 3u);
  const v1::ChangeOperation operations[] = {v1::CHANGE_OPERATION_CREATE,
                                            v1::CHANGE_OPERATION_UPDATE,
                                            v1::CHANGE_OPERATION_DELETE};
  for (size_t i = 0; i < history.size(); ++i) {
    EXPECT_EQ(history[i].resource(), name);
    EXPECT_EQ(history[i].operation(), operations[i]);
    EXPECT_EQ(std::to_string(history[i].revision()), reported[i]);
  }
  v1::Forum first, second;
  ASSERT_TRUE(history[0].record().UnpackTo(&first));
  ASSERT_TRUE(history[1].record().UnpackTo(&second));
  EXPECT_EQ(first.display_name(), "First");
  EXPECT_EQ(first.name(), name);
  EXPECT_THAT(first.etag(), ::testing::StartsWith("v1."));
  EXPECT_EQ(second.display_name(), "Second");
  EXPECT_THAT(history[1].etag(), ::testing::StartsWith("v2."));
  EXPECT_FALSE(history[2].has_record()) << "a delete carries no record";
  EXPECT_THAT(history[2].etag(), ::testing::StartsWith("v2."));

  // The other filter fields, from the history's first revision on (other
  // tests write too).
  const auto count = [&](const std::string& filter) {
    v1::ListChangesRequest query;
    query.set_filter(filter + " AND revision >= " + reported[0]);
    query.set_page_size(1000);
    v1::ListChangesResponse response;
    grpc::ClientContext context;
    SetDeadline(&context);
    const grpc::Status status =
        changes->ListChanges(&context, query, &response);
    EXPECT_TRUE(status.ok()) << filter << ": " << Describe(status);
    int n = 0;
    for (const auto& change : response.changes())
      n += change.resource() == name;
    return n;
  };
  EXPECT_EQ(count("collection = \"forums\""), 3);
  EXPECT_EQ(count("operation = DELETE"), 1);
  EXPECT_EQ(count("revision > " + reported[0]), 2);
  EXPECT_EQ(count("change_time >= \"2020-01-01\""), 3);
  EXPECT_EQ(count("change_time < \"2020-01-01\""), 0);
  // `=` and `!=` on the UTC day of the first change: as many of the three
  // as were written that day (all of them, unless the test ran across
  // midnight), and the others.
  const auto day_of = [](const v1::Change& change) {
    return absl::FormatTime("%Y-%m-%d",
                            absl::FromUnixMicros(Micros(change.change_time())),
                            absl::UTCTimeZone());
  };
  // How many of the three were written on a day that starts with `prefix`
  // (a day, or a year).
  const auto written_in = [&](const std::string& prefix) {
    return static_cast<int>(std::count_if(
        history.begin(), history.end(), [&](const v1::Change& change) {
          return absl::StartsWith(day_of(change), prefix);
        }));
  };
  const std::string day = day_of(history[0]);
  const std::string year = day.substr(0, 4);
  EXPECT_GE(written_in(day), 1);
  EXPECT_EQ(count("change_time = \"" + day + "\""), written_in(day));
  EXPECT_EQ(count("change_time != \"" + day + "\""), 3 - written_in(day));
  EXPECT_EQ(count("change_time = \"" + year + "\""), written_in(year));
  EXPECT_EQ(count("collection = \"participants\""), 0);
}

TEST_F(RegistryTest, ListChangesRefusesBadInputAndWritesNothing) {
  auto changes = v1::ChangeService::NewStub(*SharedRegistry::channel());
  const std::string before = db().WriteState();
  const auto refused = [&](v1::ListChangesRequest request,
                           const std::string& message) {
    v1::ListChangesResponse response;
    grpc::ClientContext context;
    SetDeadline(&context);
    const grpc::Status status =
        changes->ListChanges(&context, request, &response);
    EXPECT_EQ(CodeName(status.error_code()), "INVALID_ARGUMENT")
        << Describe(status);
    EXPECT_THAT(status.error_message(), HasSubstr(message));
  };
  v1::ListChangesRequest negative;
  negative.set_page_size(-1);
  refused(negative, "page_size");
  v1::ListChangesRequest unknown;
  unknown.set_filter("kind = SUMMIT");
  refused(unknown, "filter");
  v1::ListChangesRequest forged;
  forged.set_page_token("not-a-token");
  refused(forged, "page_token");
  EXPECT_EQ(db().WriteState(), before);
}

}  // namespace
}  // namespace forum_registry
