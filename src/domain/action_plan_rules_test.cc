// Unit tests of ValidateActionPlan (resource_rules.cc): display name, names,
// forums, parties, period, adoption, status, priority areas, items, the plan
// it implements (not itself), description, citations and external ids of an
// ActionPlan.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "forumregistry/v1/action_plan.pb.h"
#include "forumregistry/v1/common.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/domain/resource_rules.h"
#include "src/domain/rules_test_support.h"

namespace forum_registry::domain {
namespace {

namespace v1 = forumregistry::v1;
using ::forum_registry::domain::rules_test::AddCitation;
using ::forum_registry::domain::rules_test::AddExternalId;
using ::forum_registry::domain::rules_test::Cyrillic;
using ::forum_registry::domain::rules_test::ExpectInvalid;
using ::forum_registry::domain::rules_test::Message;
using ::forum_registry::domain::rules_test::MinimalActionPlan;
using ::forum_registry::domain::rules_test::SetDate;
using ::testing::HasSubstr;
using v1::ActionPlan;

ActionPlan FullActionPlan() {
  ActionPlan plan = MinimalActionPlan();
  plan.set_name("actionPlans/asean-russia-energy-2021-2025");
  auto* name = plan.add_names();
  name->set_text("План работы АСЕАН-Россия в области энергетики");
  name->set_language("ru");
  plan.add_forums("forums/asean-russia");
  plan.add_forums("forums/amem");
  plan.add_parties("participants/asean");
  plan.add_parties("participants/russia");
  SetDate(plan.mutable_period()->mutable_start(), 2021);
  SetDate(plan.mutable_period()->mutable_end(), 2025);
  plan.mutable_adoption()->set_session("forums/amem/sessions/38");
  SetDate(plan.mutable_adoption()->mutable_date(), 2020, 11, 19);
  plan.mutable_adoption()->set_level(v1::MEETING_LEVEL_MINISTERIAL);
  plan.set_status(v1::ACTION_PLAN_STATUS_IN_FORCE);
  plan.add_priority_areas("energy security");
  plan.add_priority_areas("renewable energy");
  plan.add_items("Hold an annual energy dialogue.");
  plan.set_implements("actionPlans/asean-russia-strategic-partnership");
  plan.set_description("Adopted at the 38th AMEM.");
  AddCitation(plan.mutable_citations(), "sources/amem-38");
  AddExternalId(plan.mutable_external_ids(), "asean", "EWP-2021");
  return plan;
}

TEST(ValidateActionPlan, AcceptsFullActionPlan) {
  const absl::Status status =
      ValidateActionPlan(FullActionPlan(), "action_plan");
  EXPECT_TRUE(status.ok()) << status;
}

TEST(ValidateActionPlan, LimitsDisplayNameToFiveHundredCharacters) {
  ActionPlan plan = MinimalActionPlan();
  plan.set_display_name(Cyrillic(500));
  EXPECT_TRUE(ValidateActionPlan(plan, "action_plan").ok());
  plan.set_display_name(Cyrillic(501));
  ExpectInvalid(ValidateActionPlan(plan, "action_plan"),
                "action_plan.display_name: ");
}

TEST(ValidateActionPlan, RefusesForumOutsideForums) {
  ActionPlan plan = MinimalActionPlan();
  plan.add_forums("participants/asean");
  ExpectInvalid(ValidateActionPlan(plan, "action_plan"),
                "action_plan.forums[0]: ");
}

TEST(ValidateActionPlan, RefusesForumListedTwice) {
  ActionPlan plan = MinimalActionPlan();
  plan.add_forums("forums/amem");
  plan.add_forums("forums/amem");
  ExpectInvalid(ValidateActionPlan(plan, "action_plan"),
                "action_plan.forums[1]: is listed twice");
}

TEST(ValidateActionPlan, AcceptsTwentyForumsButNotMore) {
  ActionPlan plan = MinimalActionPlan();
  for (int i = 0; i < 20; ++i) plan.add_forums(absl::StrCat("forums/f", i));
  EXPECT_TRUE(ValidateActionPlan(plan, "action_plan").ok());
  plan.add_forums("forums/f20");
  ExpectInvalid(ValidateActionPlan(plan, "action_plan"),
                "action_plan.forums: ");
}

TEST(ValidateActionPlan, RefusesPartyOutsideParticipants) {
  ActionPlan plan = MinimalActionPlan();
  plan.add_parties("participants/russia");
  plan.add_parties("forums/asean");
  ExpectInvalid(ValidateActionPlan(plan, "action_plan"),
                "action_plan.parties[1]: ");
}

TEST(ValidateActionPlan, RefusesPartyListedTwice) {
  ActionPlan plan = MinimalActionPlan();
  plan.add_parties("participants/russia");
  plan.add_parties("participants/russia");
  ExpectInvalid(ValidateActionPlan(plan, "action_plan"),
                "action_plan.parties[1]: is listed twice");
}

TEST(ValidateActionPlan, AcceptsOneHundredPartiesButNotMore) {
  ActionPlan plan = MinimalActionPlan();
  for (int i = 0; i < 100; ++i) {
    plan.add_parties(absl::StrCat("participants/p", i));
  }
  EXPECT_TRUE(ValidateActionPlan(plan, "action_plan").ok());
  plan.add_parties("participants/p100");
  ExpectInvalid(ValidateActionPlan(plan, "action_plan"),
                "action_plan.parties: ");
}

TEST(ValidateActionPlan, RefusesPeriodEndingBeforeItStarts) {
  ActionPlan plan = MinimalActionPlan();
  SetDate(plan.mutable_period()->mutable_start(), 2025);
  SetDate(plan.mutable_period()->mutable_end(), 2021);
  ExpectInvalid(ValidateActionPlan(plan, "action_plan"),
                "action_plan.period.end: ");
}

TEST(ValidateActionPlan, RefusesAdoptionSessionThatIsNotASession) {
  for (const char* session :
       {"forums/amem", "sessions/38", "forums/amem/memberships/38"}) {
    ActionPlan plan = MinimalActionPlan();
    plan.mutable_adoption()->set_session(session);
    SCOPED_TRACE(session);
    ExpectInvalid(ValidateActionPlan(plan, "action_plan"),
                  "action_plan.adoption.session: ");
  }
}

TEST(ValidateActionPlan, RefusesInvalidAdoptionDate) {
  ActionPlan plan = MinimalActionPlan();
  SetDate(plan.mutable_adoption()->mutable_date(), 2020, 0, 19);
  ExpectInvalid(ValidateActionPlan(plan, "action_plan"),
                "action_plan.adoption.date.day: ");
}

TEST(ValidateActionPlan, TreatsAllZeroAdoptionDateAsAbsent) {
  ActionPlan plan = MinimalActionPlan();
  plan.mutable_adoption()->mutable_date();
  EXPECT_TRUE(ValidateActionPlan(plan, "action_plan").ok());
}

TEST(ValidateActionPlan, RefusesUnknownAdoptionLevel) {
  ActionPlan plan = MinimalActionPlan();
  plan.mutable_adoption()->set_level(static_cast<v1::MeetingLevel>(99));
  ExpectInvalid(ValidateActionPlan(plan, "action_plan"),
                "action_plan.adoption.level: is not a known value");
}

TEST(ValidateActionPlan, RequiresStatus) {
  ActionPlan plan = MinimalActionPlan();
  plan.clear_status();
  ExpectInvalid(ValidateActionPlan(plan, "action_plan"),
                "action_plan.status: is required");
}

TEST(ValidateActionPlan, RefusesEmptyPriorityArea) {
  ActionPlan plan = MinimalActionPlan();
  plan.add_priority_areas("");
  ExpectInvalid(ValidateActionPlan(plan, "action_plan"),
                "action_plan.priority_areas[0]: is required");
}

TEST(ValidateActionPlan, LimitsPriorityAreasToTwoHundredCharacters) {
  ActionPlan plan = MinimalActionPlan();
  plan.add_priority_areas(std::string(200, 'p'));
  EXPECT_TRUE(ValidateActionPlan(plan, "action_plan").ok());
  plan.add_priority_areas(std::string(201, 'p'));
  ExpectInvalid(ValidateActionPlan(plan, "action_plan"),
                "action_plan.priority_areas[1]: ");
}

TEST(ValidateActionPlan, RefusesMoreThanOneHundredPriorityAreas) {
  ActionPlan plan = MinimalActionPlan();
  for (int i = 0; i < 101; ++i) plan.add_priority_areas(absl::StrCat(i));
  ExpectInvalid(ValidateActionPlan(plan, "action_plan"),
                "action_plan.priority_areas: ");
}

TEST(ValidateActionPlan, RefusesEmptyItem) {
  ActionPlan plan = MinimalActionPlan();
  plan.add_items("Hold a dialogue.");
  plan.add_items("");
  ExpectInvalid(ValidateActionPlan(plan, "action_plan"),
                "action_plan.items[1]: is required");
}

TEST(ValidateActionPlan, LimitsItemsToTwoThousandCharacters) {
  ActionPlan plan = MinimalActionPlan();
  plan.add_items(Cyrillic(2000));
  EXPECT_TRUE(ValidateActionPlan(plan, "action_plan").ok());
  plan.mutable_items(0)->assign(Cyrillic(2001));
  ExpectInvalid(ValidateActionPlan(plan, "action_plan"),
                "action_plan.items[0]: ");
}

TEST(ValidateActionPlan, AcceptsFiveHundredItemsButNotMore) {
  ActionPlan plan = MinimalActionPlan();
  for (int i = 0; i < 500; ++i) plan.add_items(absl::StrCat("item ", i));
  EXPECT_TRUE(ValidateActionPlan(plan, "action_plan").ok());
  plan.add_items("item 500");
  ExpectInvalid(ValidateActionPlan(plan, "action_plan"), "action_plan.items: ");
}

TEST(ValidateActionPlan, RefusesImplementsOutsideActionPlans) {
  for (const char* implements :
       {"forums/asean", "action_plans/x", "actionplans/x", "actionPlans/"}) {
    ActionPlan plan = MinimalActionPlan();
    plan.set_implements(implements);
    SCOPED_TRACE(implements);
    ExpectInvalid(ValidateActionPlan(plan, "action_plan"),
                  "action_plan.implements: ");
  }
}

TEST(ValidateActionPlan, RefusesImplementingItself) {
  ActionPlan plan = MinimalActionPlan();
  plan.set_name("actionPlans/ewp");
  plan.set_implements("actionPlans/ewp");
  ExpectInvalid(ValidateActionPlan(plan, "action_plan"),
                "action_plan.implements: ");
  EXPECT_THAT(Message(ValidateActionPlan(plan, "action_plan")),
              HasSubstr("itself"));
}

}  // namespace
}  // namespace forum_registry::domain
