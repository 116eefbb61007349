// Page tokens are bound to the parent, filter and order_by: a token reused
// with another filter, order, parent or collection, or one that is not a token
// at all, is INVALID_ARGUMENT naming page_token; the same query spelled
// differently, or with another page size, continues where the first page
// ended. The pages are those of the shared data set (DataSetTest).

#include "src/domain/page_token.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "forumregistry/v1/membership.pb.h"
#include "forumregistry/v1/session.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/support/status.h"
#include "gtest/gtest.h"
#include "tests/integration/query/query_fixture.h"
#include "tests/support/test_support.h"

namespace forum_registry::query_test {
namespace {

using ::forum_registry::testing::Describe;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class PageTokenTest : public DataSetTest {
 protected:
  // The token after the first page of one in-person session by start date.
  static std::string FirstToken() {
    v1::ListSessionsResponse page;
    const grpc::Status status =
        Client<v1::Session>().List({.parent = kArf,
                                    .filter = "mode = IN_PERSON",
                                    .order_by = "start_date",
                                    .page_size = 1},
                                   &page);
    EXPECT_TRUE(status.ok()) << Describe(status);
    EXPECT_EQ(page.sessions_size(), 1);
    EXPECT_FALSE(page.next_page_token().empty());
    return page.next_page_token();
  }
};

TEST_F(PageTokenTest, ReusedWithAnotherFilterOrderOrParentIsInvalidArgument) {
  const std::string token = FirstToken();
  for (const ListArgs& args :
       std::vector<ListArgs>{{.parent = kArf,
       .filter = "mode = ONLINE",
       .order_by = "start_date",
       .page_size = 1,
       .page_token = token},
                             {.parent = kArf,
                             .filter = "",
                             .order_by = "start_date",
                             .page_size = 1,
                             .page_token = token},
                             {.parent = kArf,
                             .filter = "mode = IN_PERSON",
                             .order_by = "start_date desc",
                             .page_size = 1,
                             .page_token = token},
                             {.parent = kArf,
                             .filter = "mode = IN_PERSON",
                             .order_by = "",
                             .page_size = 1,
                             .page_token = token},
                             {.parent = kArf,
                             .filter = "mode = IN_PERSON",
                             .order_by = "ordinal",
                             .page_size = 1,
                             .page_token = token},
                             {.parent = "forums/-",
                             .filter = "mode = IN_PERSON",
                             .order_by = "start_date",
                             .page_size = 1,
                             .page_token = token},
                             {.parent = "forums/qf-ism",
                             .filter = "mode = IN_PERSON",
                             .order_by = "start_date",
                             .page_size = 1,
                             .page_token = token}}) {
    SCOPED_TRACE(
        absl::StrCat(args.parent, " | ", args.filter, " | ", args.order_by));
    ExpectListRefused<v1::Session>(args, HasSubstr("page_token"));
  }
  // A token of another collection.
  ExpectListRefused<v1::Membership>({.parent = kArf, .page_token = token},
                                    HasSubstr("page_token"));
  // Not a token at all.
  for (const std::string& bad :
       {std::string("abc"), std::string("'; DROP TABLE sessions; --"),
        token.substr(0, token.size() - 2), token + "AA"}) {
    ExpectListRefused<v1::Session>({.parent = kArf,
                                    .filter = "mode = IN_PERSON",
                                    .order_by = "start_date",
                                    .page_token = bad},
                                   HasSubstr("page_token"));
  }
}

TEST_F(PageTokenTest, SameQuerySpelledDifferentlyOrAnotherPageSizeContinues) {
  const std::string token = FirstToken();
  // In-person by start date: 29, 30, side-2023, 31; the first page held 29.
  for (const char* filter :
       {"mode = IN_PERSON", "mode = SESSION_MODE_IN_PERSON",
        "  (mode =   \"IN_PERSON\")  ", "NOT NOT mode = IN_PERSON"}) {
    v1::ListSessionsResponse page;
    const grpc::Status status =
        Client<v1::Session>().List({.parent = kArf,
                                    .filter = filter,
                                    .order_by = "start_date",
                                    .page_size = 5,
                                    .page_token = token},
                                   &page);
    ASSERT_TRUE(status.ok()) << filter << ": " << Describe(status);
    std::vector<std::string> names;
    for (const v1::Session& s : page.sessions()) names.push_back(s.name());
    EXPECT_THAT(names, ElementsAre("forums/qf-arf/sessions/30",
                                   "forums/qf-arf/sessions/side-2023",
                                   "forums/qf-arf/sessions/31"))
        << filter;
    EXPECT_THAT(page.next_page_token(), IsEmpty());
  }
}

TEST_F(PageTokenTest, ForgedTokensAreRefusedBeforeTheirKeysReachTheDatabase) {
  const std::string genuine = FirstToken();
  std::string raw;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(genuine, &raw));
  // The layout is no secret: version, the 8-byte fingerprint of the query,
  // fields, signature. Keep the fingerprint, change the key.
  const std::string fingerprint = raw.substr(1, 8);
  const ListArgs args = {.parent = kArf,
                         .filter = "mode = IN_PERSON",
                         .order_by = "start_date",
                         .page_size = 1};

  // Signed with a key that is not the service's.
  const domain::PageTokens stranger("not the key of this registry......");
  ListArgs forged = args;
  forged.page_token = stranger.Encode(fingerprint, {"2023-07-01", "forums/x"});
  ExpectListRefused<v1::Session>(forged, HasSubstr("page_token"));

  // Signed with the service's own key (as if it leaked), carrying a key that
  // is not a date: refused as a bad page_token, not a database error.
  const std::string key = absl::HexStringToBytes(
      db().Query("SELECT encode(key, 'hex') FROM server_keys "
                 "WHERE name = 'page_token'"));
  ASSERT_GE(key.size(), domain::PageTokens::kMinKeySize);
  const domain::PageTokens service(key);
  ASSERT_TRUE(service.Decode(genuine, fingerprint).ok())
      << "the test reads the service's key";
  for (const char* bad : {"not-a-date", "2023-02-30", "'; SELECT 1; --", ""}) {
    SCOPED_TRACE(bad);
    forged.page_token = service.Encode(fingerprint, {bad, "forums/x"});
    ExpectListRefused<v1::Session>(forged, HasSubstr("page_token"));
  }
  // The same key with a real date is a token like any other.
  v1::ListSessionsResponse page;
  forged.page_token = service.Encode(fingerprint, {"2000-01-01", ""});
  EXPECT_TRUE(Client<v1::Session>().List(forged, &page).ok());
}

}  // namespace
}  // namespace forum_registry::query_test
