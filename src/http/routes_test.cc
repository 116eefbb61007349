#include "src/http/routes.h"

#include "forumregistry/v1/change.pb.h"
#include "forumregistry/v1/forum.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace forum_registry::http {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

TEST(PathTemplate, BindsAVariableOfSeveralSegments) {
  auto path = PathTemplate::Parse("/v1/{name=forums/*/sessions/*}");
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_THAT(*path->Match("/v1/forums/arf/sessions/30"),
              ElementsAre(Pair("name", "forums/arf/sessions/30")));
  EXPECT_FALSE(path->Match("/v1/forums/arf/sessions").has_value());
  EXPECT_FALSE(path->Match("/v1/forums/arf/sessions/30/x").has_value());
  EXPECT_FALSE(path->Match("/v1/forums//sessions/30").has_value());
  EXPECT_FALSE(path->Match("/v1/participants/arf/sessions/30").has_value());
}

TEST(PathTemplate, LiteralsAfterAVariableAndAVerb) {
  auto list = PathTemplate::Parse("/v1/{parent=forums/*}/sessions");
  ASSERT_TRUE(list.ok());
  EXPECT_THAT(*list->Match("/v1/forums/-/sessions"),
              ElementsAre(Pair("parent", "forums/-")));
  auto watch = PathTemplate::Parse("/v1/changes:watch");
  ASSERT_TRUE(watch.ok());
  EXPECT_TRUE(watch->Match("/v1/changes:watch").has_value());
  EXPECT_FALSE(watch->Match("/v1/changes").has_value());
  auto plain = PathTemplate::Parse("/v1/changes");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->Match("/v1/changes:watch").has_value());
}

TEST(PathTemplate, DecodesSegmentsButNeverSplitsOne) {
  auto path = PathTemplate::Parse("/v1/{name=forums/*}");
  ASSERT_TRUE(path.ok());
  EXPECT_THAT(*path->Match("/v1/forums/a%20b"),
              ElementsAre(Pair("name", "forums/a b")));
  EXPECT_THAT(*path->Match("/v1/forums/a%2Fb"),
              ElementsAre(Pair("name", "forums/a%2Fb")));
  EXPECT_FALSE(path->Match("/v1/forums/a%2").has_value());
  EXPECT_FALSE(path->Match("/v1/forums/a%zz").has_value());
}

TEST(PathTemplate, ShortFormsAndTheRest) {
  auto short_form = PathTemplate::Parse("/v1/items/{id}");
  ASSERT_TRUE(short_form.ok());
  EXPECT_THAT(*short_form->Match("/v1/items/7"), ElementsAre(Pair("id", "7")));
  auto rest = PathTemplate::Parse("/v1/{path=files/**}");
  ASSERT_TRUE(rest.ok());
  EXPECT_THAT(*rest->Match("/v1/files/a/b/c"),
              ElementsAre(Pair("path", "files/a/b/c")));
}

TEST(PathTemplate, RefusesWhatIsNotATemplate) {
  for (const char* bad :
       {"v1/forums", "/v1/{name=forums/*", "/v1/{1x=forums/*}", "/v1//x",
        "/v1/{name=**}/more", "/v1/x:", "/v1/{a=b}c", "/v1/a{b}"}) {
    const auto parsed = PathTemplate::Parse(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    if (!parsed.ok()) {
      EXPECT_THAT(parsed.status().message(), HasSubstr(bad));
    }
  }
}

TEST(RouteTable, EveryMethodOfTheServicesHasARoute) {
  auto table = RouteTable::FromServices(
      {"forumregistry.v1.ForumService", "forumregistry.v1.ChangeService"});
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->routes().size(), 8u);  // six of forums, two of changes
  for (const Route& route : table->routes()) {
    EXPECT_NE(route.method, nullptr);
    EXPECT_EQ(table->MethodByPath(GrpcPath(*route.method)), route.method);
  }
}

TEST(RouteTable, FindsByMethodAndPath) {
  auto table = RouteTable::FromServices({"forumregistry.v1.ForumService"});
  ASSERT_TRUE(table.ok());
  auto get = table->Find("GET", "/v1/forums/arf");
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_EQ(get->route->method->name(), "GetForum");
  EXPECT_THAT(get->bindings, ElementsAre(Pair("name", "forums/arf")));
  auto head = table->Find("HEAD", "/v1/forums/arf");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->route->method->name(), "GetForum");
  auto patch = table->Find("PATCH", "/v1/forums/arf");
  ASSERT_TRUE(patch.ok());
  EXPECT_EQ(patch->route->method->name(), "UpdateForum");
  EXPECT_THAT(patch->bindings, ElementsAre(Pair("forum.name", "forums/arf")));
  EXPECT_EQ(patch->route->body, "forum");
  auto create = table->Find("POST", "/v1/forums");
  ASSERT_TRUE(create.ok());
  EXPECT_EQ(create->route->method->name(), "CreateForum");

  auto wrong = table->Find("PUT", "/v1/forums/arf");
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(wrong.status().message(), HasSubstr("DELETE, GET, PATCH"));
  auto missing = table->Find("GET", "/v2/forums");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(table->MethodByPath("/forumregistry.v1.ForumService/Nope"),
            nullptr);
}

}  // namespace
}  // namespace forum_registry::http
