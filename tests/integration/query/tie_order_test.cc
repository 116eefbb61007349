// order_by with several keys (AIP-132) over a collection full of ties: 64
// sessions of one forum on four start dates (one of them a year alone,
// "2023", which orders as its first day, with 2023-01-01), three ordinals
// and three display names, their ids shuffled against every key. For each
// ordering, in mixed directions, the pages of a small page size put end to
// end must equal one big page, and both the order this test computes from
// the records themselves (not by the server's code). Refused orderings name
// the key and write nothing; a page token is bound to the whole ordering.

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "forumregistry/v1/session.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/support/status.h"
#include "gtest/gtest.h"
#include "tests/integration/query/query_fixture.h"
#include "tests/support/test_support.h"

namespace forum_registry::query_test {
namespace {

using ::forum_registry::testing::Describe;
using ::testing::AllOf;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int kSessions = 64;

// The order of `a` and `b` under one key: negative, 0 or positive.
int CompareKey(const v1::Session& a, const v1::Session& b,
               const std::string& field) {
  const auto sign = [](const auto& x, const auto& y) {
    return x < y ? -1 : (y < x ? 1 : 0);
  };
  if (field == "start_date") {
    // A partial date orders as its first day.
    const auto first_day = [](const v1::PartialDate& d) {
      return std::make_tuple(d.year(), d.month() == 0 ? 1 : d.month(),
                             d.month() == 0 || d.day() == 0 ? 1 : d.day());
    };
    return sign(first_day(a.start_date()), first_day(b.start_date()));
  }
  if (field == "ordinal") return sign(a.ordinal(), b.ordinal());
  if (field == "display_name") return sign(a.display_name(), b.display_name());
  if (field == "create_time") {
    return sign(
        std::make_pair(a.create_time().seconds(), a.create_time().nanos()),
        std::make_pair(b.create_time().seconds(), b.create_time().nanos()));
  }
  if (field == "name") return sign(a.name(), b.name());
  ADD_FAILURE() << "the test cannot order by " << field;
  return 0;
}

// `records` sorted by `order_by` as AIP-132 reads it: keys in turn, each
// ascending unless " desc", then by name ascending unless the order ends
// with "name desc".
std::vector<std::string> SortedNames(std::vector<v1::Session> records,
                                     const std::string& order_by) {
  std::vector<std::pair<std::string, bool>> keys;
  for (absl::string_view item : absl::StrSplit(order_by, ',')) {
    std::vector<std::string> words =
        absl::StrSplit(absl::StripAsciiWhitespace(item), ' ');
    keys.emplace_back(words[0], words.size() > 1 && words[1] == "desc");
  }
  if (keys.back().first != "name") keys.emplace_back("name", false);
  std::sort(records.begin(), records.end(),
            [&](const v1::Session& a, const v1::Session& b) {
              for (const auto& [field, descending] : keys) {
                const int c = CompareKey(a, b, field);
                if (c != 0) return descending ? c > 0 : c < 0;
              }
              return false;
            });
  return NamesOf(records);
}

class TieOrderTest : public QueryTest {
 protected:
  static void SetUpTestSuite() {
    forum_ = new std::string(NewForumId("ties"));
    records_ = new std::vector<v1::Session>;
    const v1::PartialDate dates[] = {Date(2023, 1, 1), Date(2023),
                                     Date(2024, 7, 14), Date(2022, 12, 31)};
    const char* const names[] = {"Plenary", "Retreat", "Working lunch"};
    for (int i = 0; i < kSessions; ++i) {
      // Ids in an order unrelated to any key: 37 is prime to 64.
      const std::string id = absl::StrFormat("s-%02d", (i * 37) % kSessions);
      records_->push_back(Client<v1::Session>().MustCreate(
          *forum_, id,
          NewSession(names[(i / 4) % 3], dates[i % 4], /*ordinal=*/i % 3)));
    }
  }
  static void TearDownTestSuite() {
    delete forum_;
    delete records_;
  }

  static std::string* forum_;
  static std::vector<v1::Session>* records_;
};
std::string* TieOrderTest::forum_ = nullptr;
std::vector<v1::Session>* TieOrderTest::records_ = nullptr;

TEST_F(TieOrderTest, PagesOfEveryOrderingEqualOneBigPageSortedByTheTest) {
  for (const std::string order_by :
       {"start_date desc, display_name", "start_date, ordinal desc",
        "start_date, ordinal desc, display_name desc", "display_name, ordinal",
        "ordinal desc, start_date, name desc",
        "display_name desc, start_date desc, ordinal desc",
        "ordinal, display_name desc, start_date",
        "start_date, create_time desc", "display_name, name desc",
        "name desc"}) {
    SCOPED_TRACE(order_by);
    const std::vector<std::string> expected = SortedNames(*records_, order_by);
    ASSERT_EQ(expected.size(), static_cast<size_t>(kSessions));
    const std::vector<std::string> one_page = ListNames<v1::Session>(
        {.parent = *forum_, .order_by = order_by, .page_size = 1000});
    EXPECT_THAT(one_page, ElementsAreArray(expected));
    for (int page_size : {3, 7}) {
      int pages = 0;
      std::vector<v1::Session> records;
      const grpc::Status status = Client<v1::Session>().ListAll(
          {.parent = *forum_, .order_by = order_by, .page_size = page_size},
          &records, &pages);
      ASSERT_TRUE(status.ok()) << Describe(status);
      EXPECT_EQ(pages, (kSessions + page_size - 1) / page_size);
      EXPECT_THAT(NamesOf(records), ElementsAreArray(expected))
          << "page_size " << page_size;
    }
    // Across every forum, kept to this one by a filter.
    EXPECT_THAT(ListNames<v1::Session>(
                    {.parent = "forums/-",
                     .filter = absl::StrCat("forum = \"", *forum_, "\""),
                     .order_by = order_by,
                     .page_size = 5}),
                ElementsAreArray(expected));
  }
  // Page by page: one ordering with a page of one.
  EXPECT_THAT(ListNames<v1::Session>({.parent = *forum_,
                                      .order_by = "start_date desc, ordinal",
                                      .page_size = 1}),
              ElementsAreArray(SortedNames(*records_,
                                           "start_date desc, "
                                           "ordinal")));
}

TEST_F(TieOrderTest, SpellingsOfOneOrderingSortAlikeAndShareTokens) {
  v1::ListSessionsResponse first;
  ASSERT_TRUE(Client<v1::Session>()
                  .List({.parent = *forum_,
                         .order_by = "start_date desc, display_name",
                         .page_size = 10},
                        &first)
                  .ok());
  ASSERT_FALSE(first.next_page_token().empty());
  // The same ordering written otherwise continues where the page ended.
  v1::ListSessionsResponse next;
  const grpc::Status status = Client<v1::Session>().List(
      {.parent = *forum_,
       .order_by = " start_date DESC ,display_name asc, name",
       .page_size = 10,
       .page_token = first.next_page_token()},
      &next);
  ASSERT_TRUE(status.ok()) << Describe(status);
  const std::vector<std::string> expected =
      SortedNames(*records_, "start_date desc, display_name");
  std::vector<v1::Session> both(first.sessions().begin(),
                                first.sessions().end());
  both.insert(both.end(), next.sessions().begin(), next.sessions().end());
  EXPECT_THAT(NamesOf(both), ElementsAreArray(std::vector<std::string>(
                                 expected.begin(), expected.begin() + 20)));

  // Another ordering — a key more, less, or in another direction — refuses
  // the token.
  for (const char* other :
       {"start_date desc", "start_date desc, display_name desc",
        "start_date desc, display_name, name desc", "start_date, display_name",
        "display_name, start_date desc", "start_date desc, ordinal",
        "start_date desc, display_name, ordinal"}) {
    SCOPED_TRACE(other);
    ExpectListRefused<v1::Session>({.parent = *forum_,
                                    .order_by = other,
                                    .page_size = 10,
                                    .page_token = first.next_page_token()},
                                   HasSubstr("page_token"));
  }
}

TEST_F(TieOrderTest, BadOrderingsAreRefusedNamingTheKeyAndWriteNothing) {
  struct Case {
    std::string order_by;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"start_date, venue.city", "\"venue.city\" cannot be ordered by"},
           {"start_date desc, Ordinal", "\"Ordinal\" cannot be ordered by"},
           {"ordinal, start_date, ordinal desc",
            "\"ordinal\" is repeated; each key may appear once"},
           {"display_name, display_name", "\"display_name\" is repeated"},
           {"name, start_date", "\"start_date\" follows name"},
           {"start_date upward, ordinal",
            "\"upward\" after \"start_date\" is not asc or desc"},
           {"start_date,,ordinal", "key 2 is empty"},
           {"start_date desc nulls first", "cannot read"}}) {
    SCOPED_TRACE(c.order_by);
    ExpectListRefused<v1::Session>(
        {.parent = *forum_, .order_by = c.order_by},
        AllOf(StartsWith(absl::StrCat("order_by: ", c.message)),
              HasSubstr("name, start_date, ordinal, display_name")));
    ExpectListRefused<v1::Session>(
        {.parent = "forums/-", .order_by = c.order_by, .page_size = 2},
        StartsWith(absl::StrCat("order_by: ", c.message)));
  }
}

}  // namespace
}  // namespace forum_registry::query_test
