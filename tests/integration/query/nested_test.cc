// Nested names and parents: the kinds that live under a forum (sessions,
// memberships, chairmanships) are listed under forums/{id} or, across every
// forum, under forums/-; a malformed or missing parent is refused naming it and
// writes nothing; and Get, Update and Delete take the nested name and no
// other.

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "forumregistry/v1/chairmanship.pb.h"
#include "forumregistry/v1/membership.pb.h"
#include "forumregistry/v1/session.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/support/status.h"
#include "gtest/gtest.h"
#include "tests/integration/query/query_fixture.h"
#include "tests/support/test_support.h"

namespace forum_registry::query_test {
namespace {

using ::forum_registry::testing::UniqueId;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

class NestedTest : public QueryTest {};

TEST_F(NestedTest, ForumsDashListsTheRecordsOfEveryForum) {
  const std::string a = NewForumId("dash-a");
  const std::string b = NewForumId("dash-b");
  const std::string c = NewForumId("dash-c");
  const std::string member = NewStateId("dash-member");
  const std::string chair = NewStateId("dash-chair");
  std::vector<std::string> sessions, memberships, chairmanships;
  for (const std::string& forum : {a, b, c}) {
    for (int i = 1; i <= 2; ++i) {
      sessions.push_back(Client<v1::Session>()
                             .MustCreate(forum, absl::StrCat(i),
                                         NewSession(absl::StrCat("Dash ", i),
                                                    Date(2023, i), i))
                             .name());
    }
    memberships.push_back(Client<v1::Membership>()
                              .MustCreate(forum, "m", NewMembership(member))
                              .name());
    chairmanships.push_back(
        Client<v1::Chairmanship>()
            .MustCreate(forum, "c", NewChairmanship({chair}, Span(Date(2023))))
            .name());
  }
  std::sort(sessions.begin(), sessions.end());
  const std::string scope = absl::StrCat("forum = \"", a, "\" OR forum = \"", b,
                                         "\" OR forum = \"", c, "\"");
  EXPECT_THAT(ListNames<v1::Session>(
                  {.parent = "forums/-", .filter = scope, .page_size = 2}),
              ElementsAreArray(sessions));
  EXPECT_THAT(ListNames<v1::Membership>(
                  {.parent = "forums/-", .filter = scope, .page_size = 2}),
              ElementsAreArray(memberships));
  EXPECT_THAT(ListNames<v1::Chairmanship>(
                  {.parent = "forums/-", .filter = scope, .page_size = 2}),
              ElementsAreArray(chairmanships));
  // A member's memberships in every forum at once.
  EXPECT_THAT(ListNames<v1::Membership>(
                  {.parent = "forums/-",
                   .filter = absl::StrCat("member = \"", member, "\"")}),
              ElementsAreArray(memberships));
  // A parent of its own lists only its own.
  EXPECT_THAT(ListNames<v1::Session>({.parent = b}),
              ElementsAre(b + "/sessions/1", b + "/sessions/2"));
}

TEST_F(NestedTest, MalformedParentIsInvalidArgumentAndWritesNothing) {
  const std::string forum = NewForumId("parent");
  for (const std::string& parent :
       {std::string(""), std::string("forums"), std::string("forums/"),
        std::string("forums/-/x"), std::string("participants/x"),
        std::string("forums/Not_A_Slug"), absl::StrCat(forum, "/sessions"),
        std::string("forums/x' OR '1'='1")}) {
    SCOPED_TRACE(absl::StrCat("parent \"", parent, "\""));
    ExpectListRefused<v1::Session>({.parent = parent}, HasSubstr("parent"));
    ExpectListRefused<v1::Membership>({.parent = parent}, HasSubstr("parent"));
    ExpectListRefused<v1::Chairmanship>({.parent = parent},
                                        HasSubstr("parent"));
    ExpectCreateRefused<v1::Session>(
        parent, "1", NewSession("Bad parent", Date(2023)),
        grpc::StatusCode::INVALID_ARGUMENT, HasSubstr("parent"));
  }
  // `forums/-` lists every forum but creates under none.
  ExpectCreateRefused<v1::Session>(
      "forums/-", "1", NewSession("Dash parent", Date(2023)),
      grpc::StatusCode::INVALID_ARGUMENT, HasSubstr("parent"));
  ExpectCreateRefused<v1::Membership>(
      "forums/-", "m", NewMembership(NewStateId("dash")),
      grpc::StatusCode::INVALID_ARGUMENT, HasSubstr("parent"));
}

TEST_F(NestedTest, CreateUnderAMissingForumIsRefusedNamingItAndWritesNothing) {
  const std::string missing = Forum(UniqueId("missing"));
  const std::string member = NewStateId("member");
  ExpectCreateRefused<v1::Session>(
      missing, "1", NewSession("Nowhere", Date(2023)),
      grpc::StatusCode::INVALID_ARGUMENT, HasSubstr(missing));
  ExpectCreateRefused<v1::Membership>(missing, "m", NewMembership(member),
                                      grpc::StatusCode::INVALID_ARGUMENT,
                                      HasSubstr(missing));
  ExpectCreateRefused<v1::Chairmanship>(
      missing, "c", NewChairmanship({member}, Span(Date(2023))),
      grpc::StatusCode::INVALID_ARGUMENT, HasSubstr(missing));
}

TEST_F(NestedTest, GetUpdateDeleteTakeTheNestedName) {
  const std::string forum = NewForumId("nested");
  const v1::Session created = Client<v1::Session>().MustCreate(
      forum, "30", NewSession("30th session", Date(2023, 7, 14), 30));
  ASSERT_EQ(created.name(), forum + "/sessions/30");

  v1::Session got;
  // A name of another collection, or without its forum, is not a session's.
  for (const std::string& name :
       {std::string("sessions/30"), forum + "/memberships/30",
        forum + "/sessions", std::string("forums/-/sessions/30"),
        forum + "/sessions/30/x"}) {
    SCOPED_TRACE(name);
    ExpectRefusedWithoutWrite(
        [&] { return Client<v1::Session>().Get(name, &got); },
        grpc::StatusCode::INVALID_ARGUMENT, HasSubstr("name"));
    ExpectRefusedWithoutWrite(
        [&] { return Client<v1::Session>().Delete(name); },
        grpc::StatusCode::INVALID_ARGUMENT, HasSubstr("name"));
  }
  // The same id under another forum is another record.
  const std::string other = NewForumId("nested");
  ExpectRefusedWithoutWrite(
      [&] { return Client<v1::Session>().Get(other + "/sessions/30", &got); },
      grpc::StatusCode::NOT_FOUND, HasSubstr(other + "/sessions/30"));

  v1::Session patch;
  patch.set_name(created.name());
  patch.set_display_name("Thirtieth session");
  v1::Session updated;
  ASSERT_TRUE(
      Client<v1::Session>().Update(patch, {"display_name"}, &updated).ok());
  EXPECT_EQ(updated.display_name(), "Thirtieth session");
  EXPECT_EQ(updated.ordinal(), 30);
  EXPECT_THAT(updated.etag(), ::testing::StartsWith("v2."));

  ASSERT_TRUE(Client<v1::Session>().Delete(created.name()).ok());
  EXPECT_EQ(Client<v1::Session>().Get(created.name(), &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace forum_registry::query_test
