// Hostile filters: refused, or matched literally; never SQL. SQL inside and
// outside strings, backslashes, LIKE wildcards, control characters, half
// surrogates, oversized and deeply nested filters, and bytes that are not
// UTF-8, against sessions of the shared data set whose names are hostile
// strings; afterwards every table exists and the database holds exactly what
// it held before.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "forumregistry/v1/session.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/support/status.h"
#include "gtest/gtest.h"
#include "tests/integration/query/query_fixture.h"
#include "tests/support/test_support.h"

namespace forum_registry::query_test {
namespace {

using ::forum_registry::testing::CodeName;
using ::forum_registry::testing::Describe;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

class HostileFilterTest : public DataSetTest {};

TEST_F(HostileFilterTest, AreRefusedOrMatchedLiterallyAndChangeNothing) {
  struct Case {
    std::string filter;
    bool refused;
    std::vector<std::string> ids;  // when not refused
  };
  const std::string long_string(3000, 'a');
  std::string deep = "mode = ONLINE";
  for (int i = 0; i < 40; ++i) deep = absl::StrCat("(", deep, ")");
  std::string many;
  for (int i = 0; i < 65; ++i) {
    absl::StrAppend(&many, i == 0 ? "" : " OR ", "ordinal = ", i);
  }
  std::string nots;
  for (int i = 0; i < 400; ++i) nots += "NOT ";
  nots += "display_name:\"DROP\"";
  const std::vector<Case> cases = {
      // SQL in a string is a string.
      {"display_name = \"'; DROP TABLE sessions; --\"", false, {"h-sql"}},
      {"display_name = \"\\u0027; DROP TABLE sessions; --\"", false, {"h-sql"}},
      {"display_name = \"\\\" OR 1=1 --\"", false, {}},
      {"display_name:\"' OR '1'='1\"", false, {}},
      {"display_name:\"/* */\"", false, {}},
      {"display_name:\";\"", false, {"h-sql"}},
      {"display_name:\"--\"", false, {"h-sql"}},
      {"display_name = \"x\" OR display_name != \"x\"",
       false,
       {"h-decoy", "h-literal", "h-sql"}},
      // SQL outside a string is not the filter language.
      {"display_name = \"\" OR 1=1 --\"", true, {}},
      {"'; DROP TABLE sessions; --", true, {}},
      {"display_name = \"x\" /* comment */", true, {}},
      {"display_name = \"x\"; DELETE FROM sessions", true, {}},
      {"mode = ONLINE; --", true, {}},
      {"display_name) OR (1 = 1", true, {}},
      {"body->>'display_name' = \"x\"", true, {}},
      {"display_name::text = \"x\"", true, {}},
      {"display_name = 'x'", true, {}},
      {"ordinal = 1 UNION SELECT 1", true, {}},
      // Backslashes.
      {"display_name = \"*\\\\*\"", false, {"h-literal"}},
      {"display_name = \"\\\\\"", false, {}},
      {"display_name = \"\\q\"", true, {}},
      {"display_name = \"ends with a backslash\\\"", true, {}},
      // '%' and '_' are characters, not LIKE wildcards.
      {"display_name = \"100%*\"", false, {"h-literal"}},
      {"display_name = \"1__0*\"", false, {}},
      {"display_name = \"*ARF_meeting*\"", false, {"h-literal"}},
      {"display_name = \"%\"", false, {}},
      {"display_name = \"*%\"", false, {}},
      {"display_name:\"%\"", false, {"h-literal"}},
      {"display_name:\"_\"", false, {"h-literal"}},
      {"display_name:\"ARF_m\"", false, {"h-literal"}},
      {"display_name = \"*O'Brien\"", false, {"h-literal"}},
      {"display_name = \"100\\*\"", false, {}},
      // Control characters, escaped or not, and half surrogates.
      {"display_name = \"\\u0000\"", true, {}},
      {std::string("display_name = \"a\0b\"", 20), true, {}},
      {"display_name = \"a\x01\"", true, {}},
      {"display_name = \"\\ud800\"", true, {}},
      // Size and depth.
      {absl::StrCat("display_name = \"", long_string, "\""), true, {}},
      {absl::StrCat("display_name = \"", std::string(1900, 'a'), "\""),
       false,
       {}},
      {deep, true, {}},
      {many, true, {}},
      {nots, false, {"h-sql"}},
  };
  const std::string before = FullWriteState();
  const std::string sessions_before =
      db().Query("SELECT count(*) FROM sessions");
  for (const Case& c : cases) {
    SCOPED_TRACE(c.filter.size() > 200
                     ? absl::StrCat(c.filter.substr(0, 80), "... (",
                                    c.filter.size(), " bytes)")
                     : c.filter);
    if (c.refused) {
      ExpectListRefused<v1::Session>({.parent = kHostile, .filter = c.filter},
                                     HasSubstr("filter"));
    } else {
      std::vector<std::string> expected;
      for (const std::string& id : c.ids) {
        expected.push_back(absl::StrCat(kHostile, "/sessions/", id));
      }
      EXPECT_THAT(ListNames<v1::Session>(
                      {.parent = kHostile, .filter = c.filter, .page_size = 2}),
                  ElementsAreArray(expected));
    }
  }
  ExpectEveryTableExists();
  EXPECT_EQ(FullWriteState(), before);
  EXPECT_EQ(db().Query("SELECT count(*) FROM sessions"), sessions_before);
}

TEST_F(HostileFilterTest, NestingUpToTheLimitWorks) {
  std::string deep = "mode = ONLINE";
  for (int i = 0; i < 32; ++i) deep = absl::StrCat("(", deep, ")");
  EXPECT_THAT(
      ListNames<v1::Session>({.parent = kArf, .filter = deep}),
      ElementsAre("forums/qf-arf/sessions/27", "forums/qf-arf/sessions/28"));
  deep = absl::StrCat("(", deep, ")");
  ExpectListRefused<v1::Session>(
      {.parent = kArf, .filter = deep},
      AllOf(HasSubstr("filter: at position 33"), HasSubstr("nest")));
}

// A filter with bytes that are not UTF-8 never reaches the filter parser: the
// `filter` field is a proto3 string, which protobuf requires to be UTF-8. The
// C++ client still serializes it (it only logs an error), and the server's
// gRPC library refuses to parse the request before any handler runs: the
// call fails as gRPC reports an unparsable request (INTERNAL), not with the
// filter parser's INVALID_ARGUMENT. Either way nothing is read or written.
TEST_F(HostileFilterTest,
       InvalidUtf8IsRefusedBeforeTheServiceAndChangesNothing) {
  for (const std::string& filter :
       {std::string("display_name = \"\xff\""),
        std::string("display_name = \"\xc3\x28\""),
        std::string("display_name = \"\xed\xa0\x80\""),  // a UTF-16 surrogate
        std::string("display_name = \"\xc0\xaf\""),      // an overlong '/'
        std::string("\xfe\xff mode = ONLINE")}) {
    v1::ListSessionsResponse out;
    const std::string before = FullWriteState();
    const grpc::Status status = Client<v1::Session>().List(
        {.parent = kHostile, .filter = filter}, &out);
    EXPECT_EQ(CodeName(status.error_code()), "INTERNAL") << Describe(status);
    EXPECT_EQ(out.sessions_size(), 0);
    EXPECT_EQ(FullWriteState(), before);
  }
  ExpectEveryTableExists();
  // The server is still serving.
  EXPECT_THAT(ListNames<v1::Session>({.parent = kHostile}),
              ::testing::SizeIs(3));
}

}  // namespace
}  // namespace forum_registry::query_test
