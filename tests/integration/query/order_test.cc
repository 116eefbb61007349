// order_by, ascending and descending, across pages, against the shared data
// set (DataSetTest): ties go by name, records without the date come first
// ascending and last descending, and every order gives every row once
// whatever the page size.

#include <string>
#include <vector>

#include "forumregistry/v1/action_plan.pb.h"
#include "forumregistry/v1/chairmanship.pb.h"
#include "forumregistry/v1/forum.pb.h"
#include "forumregistry/v1/membership.pb.h"
#include "forumregistry/v1/participant.pb.h"
#include "forumregistry/v1/session.pb.h"
#include "forumregistry/v1/source.pb.h"
#include "forumregistry/v1/statement.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/query/query_fixture.h"

namespace forum_registry::query_test {
namespace {

using ::testing::ElementsAreArray;

class OrderTest : public DataSetTest {};

TEST_F(OrderTest, SessionsByStartDateOrdinalAndDisplayName) {
  using R = v1::Session;
  const Scope& s = kSessionScope;
  // Ties (the 30th and the sideline meeting start on one day) go by name.
  ExpectOrder<R>(s, "start_date",
                 {"27", "28", "29", "som-2023", "30", "side-2023", "31", "32"});
  ExpectOrder<R>(s, "start_date asc",
                 {"27", "28", "29", "som-2023", "30", "side-2023", "31", "32"});
  ExpectOrder<R>(s, "start_date desc",
                 {"32", "31", "30", "side-2023", "som-2023", "29", "28", "27"});
  ExpectOrder<R>(s, "ordinal",
                 {"side-2023", "som-2023", "27", "28", "29", "30", "31", "32"});
  ExpectOrder<R>(s, "ordinal desc",
                 {"32", "31", "30", "29", "28", "27", "side-2023", "som-2023"});
  ExpectOrder<R>(s, "display_name",
                 {"27", "28", "29", "30", "31", "32", "som-2023", "side-2023"});
  ExpectOrder<R>(s, "display_name desc",
                 {"side-2023", "som-2023", "32", "31", "30", "29", "28", "27"});
  ExpectOrder<R>(s, "name",
                 {"27", "28", "29", "30", "31", "32", "side-2023", "som-2023"});
  ExpectOrder<R>(s, "start_date desc", {"31", "30", "side-2023", "29"},
                 "mode = IN_PERSON");
}

TEST_F(OrderTest, EveryOrderGivesEveryRowOnceWhateverThePageSize) {
  for (const char* order_by :
       {"start_date", "start_date desc", "ordinal", "ordinal desc",
        "display_name", "display_name desc", "create_time", "create_time desc",
        "update_time desc"}) {
    std::vector<std::string> one_page =
        ListNames<v1::Session>({.parent = kArf, .order_by = order_by});
    ASSERT_EQ(one_page.size(), 8u) << order_by;
    for (int page_size : {1, 2, 3, 7}) {
      EXPECT_THAT(
          ListNames<v1::Session>(
              {.parent = kArf, .order_by = order_by, .page_size = page_size}),
          ElementsAreArray(one_page))
          << order_by << ", page_size " << page_size;
    }
  }
}

TEST_F(OrderTest, OtherKindsAscendingAndDescending) {
  // Records without the date come first ascending, last descending.
  ExpectOrder<v1::Forum>(
      kForumScope, "founded",
      {"qf-hostile", "qf-old", "qf-arf", "qf-eas", "qf-ism"});
  ExpectOrder<v1::Forum>(
      kForumScope, "founded desc",
      {"qf-ism", "qf-eas", "qf-arf", "qf-old", "qf-hostile"});
  ExpectOrder<v1::Participant>(kParticipantScope, "display_name desc",
                               {"qf-vietnam", "qf-russia", "qf-indonesia",
                                "qf-mfa", "qf-china", "qf-arf-unit"});
  ExpectOrder<v1::Source>(kSourceScope, "publish_date",
                          {"qf-src-4", "qf-src-3", "qf-src-2", "qf-src-1"});
  ExpectOrder<v1::Source>(kSourceScope, "publish_date desc",
                          {"qf-src-1", "qf-src-2", "qf-src-3", "qf-src-4"});
  ExpectOrder<v1::Membership>(
      kMembershipScope, "period",
      {"china", "indonesia", "russia", "vietnam", "eas"});
  ExpectOrder<v1::Membership>(
      kMembershipScope, "period desc",
      {"eas", "vietnam", "russia", "china", "indonesia"});
  ExpectOrder<v1::Chairmanship>(kChairmanshipScope, "term desc",
                                {"ch-2026", "ch-2024", "ch-2023", "ch-2020"});
  ExpectOrder<v1::ActionPlan>(kActionPlanScope, "end_date",
                              {"qf-roadmap", "qf-wp", "qf-hpa"});
  ExpectOrder<v1::ActionPlan>(kActionPlanScope, "end_date desc",
                              {"qf-hpa", "qf-wp", "qf-roadmap"});
  ExpectOrder<v1::ActionPlan>(kActionPlanScope, "adoption.date desc",
                              {"qf-hpa", "qf-wp", "qf-roadmap"});
  ExpectOrder<v1::Statement>(kStatementScope, "adoption.date",
                             {"qf-st-draft", "qf-st-chair", "qf-st-joint"});
  ExpectOrder<v1::Statement>(kStatementScope, "adoption.date desc",
                             {"qf-st-joint", "qf-st-chair", "qf-st-draft"});
}

}  // namespace
}  // namespace forum_registry::query_test
