#include "src/http/transcode.h"

#include "forumregistry/v1/change.pb.h"
#include "forumregistry/v1/forum.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace forum_registry::http {
namespace {

using ::testing::HasSubstr;
namespace v1 = ::forumregistry::v1;

TEST(BuildRequest, QueryParametersFillScalarFieldsByEitherName) {
  v1::ListForumsRequest request;
  ASSERT_TRUE(BuildRequest("", "",
                           {{"page_size", "20"},
                            {"filter", "kind = \"FORUM_KIND_SUMMIT\""},
                            {"pageToken", "abc"}},
                           {}, &request)
                  .ok());
  EXPECT_EQ(request.page_size(), 20);
  EXPECT_EQ(request.filter(), "kind = \"FORUM_KIND_SUMMIT\"");
  EXPECT_EQ(request.page_token(), "abc");
}

TEST(BuildRequest, PathBindsNestedFieldsAndTheBodyFillsItsField) {
  v1::UpdateForumRequest request;
  const absl::Status built =
      BuildRequest("forum", R"({"displayName": "ARF", "name": "forums/other"})",
                   {{"update_mask", "displayName,kind"}, {"request_id", "r-1"}},
                   {{"forum.name", "forums/arf"}}, &request);
  ASSERT_TRUE(built.ok()) << built;
  EXPECT_EQ(request.forum().name(), "forums/arf") << "the path wins";
  EXPECT_EQ(request.forum().display_name(), "ARF");
  ASSERT_EQ(request.update_mask().paths_size(), 2);
  EXPECT_EQ(request.update_mask().paths(0), "display_name");
  EXPECT_EQ(request.request_id(), "r-1");
}

TEST(BuildRequest, BoolsAndRepeatedParameters) {
  v1::DeleteForumRequest request;
  ASSERT_TRUE(BuildRequest("", "", {{"force", "true"}}, {{"name", "forums/a"}},
                           &request)
                  .ok());
  EXPECT_TRUE(request.force());
  v1::WatchChangesRequest watch;
  ASSERT_TRUE(
      BuildRequest("", "", {{"after_revision", "9007199254740993"}}, {}, &watch)
          .ok());
  EXPECT_EQ(watch.after_revision(), 9007199254740993);
}

TEST(BuildRequest, NamesTheParameterAndTheRule) {
  struct Case {
    Params query;
    std::string wanted;
  };
  for (const Case& c : std::vector<Case>{
           {{{"page_size", "many"}}, "\"page_size\": must be an integer"},
           {{{"page_size", "99999999999"}}, "\"page_size\""},
           {{{"pages", "1"}}, "has no field \"pages\""},
           {{{"page_size", "1"}, {"page_size", "2"}}, "given twice"},
           {{{"filter.x", "1"}}, "\"filter\" is not a message"},
       }) {
    v1::ListForumsRequest request;
    const absl::Status built = BuildRequest("", "", c.query, {}, &request);
    EXPECT_EQ(built.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(built.message(), HasSubstr(c.wanted)) << built;
  }
  v1::DeleteForumRequest request;
  EXPECT_THAT(BuildRequest("", "", {{"force", "yes"}}, {}, &request).message(),
              HasSubstr("\"force\": must be true or false"));
}

TEST(BuildRequest, BodiesWhereTheRouteTakesNone) {
  v1::ListForumsRequest list;
  EXPECT_THAT(BuildRequest("", "{}", {}, {}, &list).message(),
              HasSubstr("takes no request body"));
  v1::UpdateForumRequest update;
  EXPECT_THAT(BuildRequest("forum", "{\"nme\": 1}", {}, {}, &update).message(),
              HasSubstr("request body"));
  EXPECT_THAT(
      BuildRequest("forum", "{}", {{"forum.display_name", "x"}}, {}, &update)
          .message(),
      HasSubstr("is sent as the request body"));
  EXPECT_THAT(
      BuildRequest("forum", "", {{"forum", "x"}}, {}, &update).message(),
      HasSubstr("\"forum\""));
  EXPECT_THAT(
      BuildRequest("*", "{}", {{"request_id", "x"}}, {}, &update).message(),
      HasSubstr("in the request body"));
}

TEST(Json, StatusAndQuoting) {
  EXPECT_EQ(StatusJson(
                grpc::Status(grpc::StatusCode::NOT_FOUND, "no \"forums/x\"\n")),
            R"({"code":5,"message":"no \"forums/x\"\n","details":[]})");
  EXPECT_EQ(JsonQuote(std::string("a\x01"
                                  "b",
                                  3)),
            "\"a\\u0001b\"");
  EXPECT_EQ(
      ConnectErrorJson(grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "who?")),
      R"({"code":"unauthenticated","message":"who?"})");
}

TEST(Codes, HttpStatusesOfCodeProto) {
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::OK), 200);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::INVALID_ARGUMENT), 400);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::FAILED_PRECONDITION), 400);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::UNAUTHENTICATED), 401);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::PERMISSION_DENIED), 403);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::NOT_FOUND), 404);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::ABORTED), 409);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::RESOURCE_EXHAUSTED), 429);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::CANCELLED), 499);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::UNIMPLEMENTED), 501);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::UNAVAILABLE), 503);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::DEADLINE_EXCEEDED), 504);
  EXPECT_EQ(ConnectCodeName(grpc::StatusCode::CANCELLED), "canceled");
}

TEST(Timeouts, SecondsOrConnectMilliseconds) {
  EXPECT_DOUBLE_EQ(*ParseTimeoutSeconds("X-Server-Timeout", "2.5"), 2.5);
  EXPECT_DOUBLE_EQ(*ParseTimeoutSeconds("Connect-Timeout-Ms", "1500"), 1.5);
  for (const char* bad : {"", "0", "-1", "soon", "inf"}) {
    EXPECT_THAT(ParseTimeoutSeconds("X-Server-Timeout", bad).status().message(),
                HasSubstr("X-Server-Timeout"))
        << bad;
  }
}

}  // namespace
}  // namespace forum_registry::http
