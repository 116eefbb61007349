// "As of": who chaired, who was a member, on a given day. `active_on`
// against terms and periods at year, month and day precision, open-ended
// ones, co-chairs and memberships that ended, within one forum and across
// every forum (forums/-).

#include <string>

#include "absl/strings/str_cat.h"
#include "forumregistry/v1/chairmanship.pb.h"
#include "forumregistry/v1/membership.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/query/query_fixture.h"

namespace forum_registry::query_test {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class AsOfTest : public QueryTest {};

TEST_F(AsOfTest, ChairmanshipsOnADay) {
  const std::string forum = NewForumId("asof");
  const std::string china = NewStateId("china");
  const std::string russia = NewStateId("russia");
  const std::string indonesia = NewStateId("indonesia");
  const std::string sole =
      Client<v1::Chairmanship>()
          .MustCreate(forum, "2021-2022",
                      NewChairmanship({china}, Span(Date(2021), Date(2022))))
          .name();
  const std::string co =
      Client<v1::Chairmanship>()
          .MustCreate(forum, "2023-2024",
                      NewChairmanship({russia, indonesia},
                                      Span(Date(2023), Date(2024))))
          .name();
  const auto on = [&](const std::string& day) {
    return ListNames<v1::Chairmanship>(
        {.parent = forum, .filter = absl::StrCat("active_on = \"", day, "\"")});
  };
  EXPECT_THAT(on("2020-12-31"), IsEmpty()) << "a day before any term";
  EXPECT_THAT(on("2021-01-01"), ElementsAre(sole));
  EXPECT_THAT(on("2022-12-31"), ElementsAre(sole));
  EXPECT_THAT(on("2023-01-01"), ElementsAre(co));
  EXPECT_THAT(on("2024-12-31"), ElementsAre(co));
  EXPECT_THAT(on("2025-01-01"), IsEmpty()) << "after every term";

  // 1 October 2023: one record, both co-chairs.
  v1::ListChairmanshipsResponse response;
  ASSERT_TRUE(
      Client<v1::Chairmanship>()
          .List({.parent = forum, .filter = "active_on = \"2023-10-01\""},
                &response)
          .ok());
  ASSERT_EQ(response.chairmanships_size(), 1);
  EXPECT_EQ(response.chairmanships(0).name(), co);
  EXPECT_THAT(response.chairmanships(0).chairs(),
              ElementsAre(russia, indonesia));
  // The same across every forum.
  EXPECT_THAT(ListNames<v1::Chairmanship>(
                  {.parent = "forums/-",
                   .filter = absl::StrCat("active_on = \"2023-10-01\" AND "
                                          "forum = \"",
                                          forum, "\"")}),
              ElementsAre(co));
  EXPECT_THAT(ListNames<v1::Chairmanship>(
                  {.parent = forum,
                   .filter = absl::StrCat("active_on = \"2023-10-01\" AND "
                                          "chairs:\"",
                                          indonesia, "\"")}),
              ElementsAre(co));
}

TEST_F(AsOfTest, MonthPrecisionTermCoversItsWholeLastMonth) {
  const std::string forum = NewForumId("asof-month");
  const std::string chair = NewStateId("chair");
  const std::string term =
      Client<v1::Chairmanship>()
          .MustCreate(
              forum, "h1-2023",
              NewChairmanship({chair}, Span(Date(2023, 1), Date(2023, 6))))
          .name();
  const auto on = [&](const std::string& day) {
    return ListNames<v1::Chairmanship>(
        {.parent = forum, .filter = absl::StrCat("active_on = \"", day, "\"")});
  };
  EXPECT_THAT(on("2022-12-31"), IsEmpty());
  EXPECT_THAT(on("2023-01-01"), ElementsAre(term));
  EXPECT_THAT(on("2023-06-30"), ElementsAre(term)) << "June 2023 has 30 days";
  EXPECT_THAT(on("2023-07-01"), IsEmpty());
}

TEST_F(AsOfTest, OpenEndedTermCoversEveryLaterDay) {
  const std::string forum = NewForumId("asof-open");
  const std::string chair = NewStateId("chair");
  const std::string term =
      Client<v1::Chairmanship>()
          .MustCreate(forum, "since-2025",
                      NewChairmanship({chair}, Span(Date(2025, 3, 15))))
          .name();
  const auto on = [&](const std::string& day) {
    return ListNames<v1::Chairmanship>(
        {.parent = forum, .filter = absl::StrCat("active_on = \"", day, "\"")});
  };
  EXPECT_THAT(on("2025-03-14"), IsEmpty());
  EXPECT_THAT(on("2025-03-15"), ElementsAre(term));
  EXPECT_THAT(on("2030-01-01"), ElementsAre(term));
  EXPECT_THAT(on("9999-12-31"), ElementsAre(term));
}

// Three chairs handing over at two summits: on a summit's day both the
// outgoing and the incoming chair are active; the day after, the new one
// alone.
TEST_F(AsOfTest, BothChairsAreActiveOnAHandoverDay) {
  const std::string forum = NewForumId("asof-handover");
  const std::string lao = NewStateId("lao");
  const std::string indonesia = NewStateId("indonesia");
  const std::string malaysia = NewStateId("malaysia");
  const auto create = [&](const std::string& id, const std::string& chair,
                          const v1::Period& term) {
    return Client<v1::Chairmanship>()
        .MustCreate(forum, id, NewChairmanship({chair}, term))
        .name();
  };
  const std::string first =
      create("lao", lao, Span(Date(2023, 1, 1), Date(2023, 9, 7)));
  const std::string second = create("indonesia", indonesia,
                                    Span(Date(2023, 9, 7), Date(2024, 10, 11)));
  const std::string third =
      create("malaysia", malaysia, Span(Date(2024, 10, 11)));
  const auto on = [&](const std::string& day) {
    return ListNames<v1::Chairmanship>(
        {.parent = forum, .filter = absl::StrCat("active_on = \"", day, "\"")});
  };
  EXPECT_THAT(on("2023-09-06"), ElementsAre(first));
  EXPECT_THAT(on("2023-09-07"), ElementsAre(second, first))
      << "the first summit's day";
  EXPECT_THAT(on("2023-09-08"), ElementsAre(second));
  EXPECT_THAT(on("2024-10-10"), ElementsAre(second));
  EXPECT_THAT(on("2024-10-11"), ElementsAre(second, third))
      << "the second summit's day";
  EXPECT_THAT(on("2024-10-12"), ElementsAre(third));
  // The same across every forum.
  EXPECT_THAT(
      ListNames<v1::Chairmanship>(
          {.parent = "forums/-",
           .filter = absl::StrCat("active_on = \"2023-09-07\" AND forum = \"",
                                  forum, "\"")}),
      ElementsAre(second, first));
}

TEST_F(AsOfTest, MembershipsOnADayIncludingOneThatEnded) {
  const std::string forum = NewForumId("asof-members");
  const std::string russia = NewStateId("russia");
  const std::string indonesia = NewStateId("indonesia");
  const std::string china = NewStateId("china");
  Client<v1::Membership>().MustCreate(
      forum, "russia", NewMembership(russia, Span(Date(2021, 3))));
  Client<v1::Membership>().MustCreate(
      forum, "indonesia",
      NewMembership(indonesia, Span(Date(2021, 3, 1), Date(2022, 6))));
  Client<v1::Membership>().MustCreate(
      forum, "china",
      NewMembership(china, Span(Date(2023, 5, 15)),
                    v1::MEMBERSHIP_ROLE_OBSERVER));
  const auto on = [&](const std::string& day) {
    return ListNames<v1::Membership>(
        {.parent = forum, .filter = absl::StrCat("active_on = \"", day, "\"")});
  };
  const std::string m = forum + "/memberships/";
  EXPECT_THAT(on("2021-02-28"), IsEmpty());
  EXPECT_THAT(on("2021-03-01"), ElementsAre(m + "indonesia", m + "russia"));
  EXPECT_THAT(on("2022-06-30"), ElementsAre(m + "indonesia", m + "russia"));
  EXPECT_THAT(on("2022-07-01"), ElementsAre(m + "russia"))
      << "Indonesia left at the end of June 2022";
  EXPECT_THAT(on("2023-05-14"), ElementsAre(m + "russia"));
  EXPECT_THAT(on("2023-05-15"), ElementsAre(m + "china", m + "russia"));
  EXPECT_THAT(on("2040-01-01"), ElementsAre(m + "china", m + "russia"));
  EXPECT_THAT(ListNames<v1::Membership>(
                  {.parent = forum,
                   .filter = "active_on = \"2024-01-01\" AND role = OBSERVER"}),
              ElementsAre(m + "china"));
}

}  // namespace
}  // namespace forum_registry::query_test
