// The filter language, end to end, against the shared data set
// (DataSetTest): every operator on numbers, partial dates, enums, text,
// references and lists; AND, OR, NOT and parentheses (OR binding tighter than
// AND, as in AIP-160); the fields of each kind; and the refusal of bad filters
// and orders, with the position of the error and the fields allowed.

#include <string>

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

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Matcher;

class FilterTest : public DataSetTest {};

TEST_F(FilterTest, SessionsByEveryOperatorOnNumbers) {
  using R = v1::Session;
  const Scope& s = kSessionScope;
  ExpectSelects<R>(s, "ordinal = 30", {"30"});
  ExpectSelects<R>(s, "ordinal = 0", {"side-2023", "som-2023"});
  ExpectSelects<R>(s, "ordinal != 0", {"27", "28", "29", "30", "31", "32"});
  ExpectSelects<R>(s, "ordinal < 28", {"27", "side-2023", "som-2023"});
  ExpectSelects<R>(s, "ordinal <= 28", {"27", "28", "side-2023", "som-2023"});
  ExpectSelects<R>(s, "ordinal > 30", {"31", "32"});
  ExpectSelects<R>(s, "ordinal >= 30", {"30", "31", "32"});
  ExpectSelects<R>(
      s, "ordinal > -1",
      {"27", "28", "29", "30", "31", "32", "side-2023", "som-2023"});
  ExpectSelects<R>(s, "ordinal = 030", {"30"});
}

TEST_F(FilterTest, SessionsByDatesAtYearMonthAndDayPrecision) {
  using R = v1::Session;
  const Scope& s = kSessionScope;
  // '=' means "shares a day".
  ExpectSelects<R>(s, "start_date = \"2023\"", {"30", "side-2023", "som-2023"});
  ExpectSelects<R>(s, "start_date = \"2023-07\"", {"30", "side-2023"});
  ExpectSelects<R>(s, "start_date = \"2023-07-14\"", {"30", "side-2023"});
  ExpectSelects<R>(s, "start_date = \"2023-06-15\"", {"som-2023"},
                   "a session in June 2023 shares 15 June 2023");
  ExpectSelects<R>(s, "start_date = \"2024-07-31\"", {"31"});
  ExpectSelects<R>(s, "start_date = \"2025-12-31\"", {"32"});
  ExpectSelects<R>(s, "start_date != \"2023\"", {"27", "28", "29", "31", "32"});
  // '<' and '>=' compare first days; '<=' and '>' the value's last day.
  ExpectSelects<R>(s, "start_date < \"2021\"", {"27"});
  ExpectSelects<R>(s, "start_date <= \"2021\"", {"27", "28"});
  ExpectSelects<R>(s, "start_date > \"2024-06\"", {"31", "32"});
  ExpectSelects<R>(s, "start_date >= \"2024-07-02\"", {"32"},
                   "July 2024 starts on the 1st");
  ExpectSelects<R>(s, "start_date >= \"2023-07\" AND start_date <= \"2023-07\"",
                   {"30", "side-2023"});
  ExpectSelects<R>(s, "start_date >= \"2023\" AND start_date <= \"2023\"",
                   {"30", "side-2023", "som-2023"});
  // A missing date matches no comparison; NOT is still the complement.
  ExpectSelects<R>(s, "end_date = \"2022-08\"", {"29"});
  ExpectSelects<R>(s, "end_date != \"2022\"", {});
  ExpectSelects<R>(s, "NOT end_date = \"2022\"",
                   {"27", "28", "30", "31", "32", "side-2023", "som-2023"});
  // A meeting of several days is active on each of them.
  ExpectSelects<R>(s, "active_on = \"2022-08-04\"", {"29"});
  ExpectSelects<R>(s, "active_on = \"2022-08-06\"", {});
  ExpectSelects<R>(s, "active_on = \"2023-06-30\"", {"som-2023"});
  ExpectSelects<R>(s, "active_on = \"2023-07-01\"", {});
}

TEST_F(FilterTest, SessionsByEnumsInShortFullAndQuotedSpelling) {
  using R = v1::Session;
  const Scope& s = kSessionScope;
  ExpectSelects<R>(s, "mode = ONLINE", {"27", "28"});
  ExpectSelects<R>(s, "mode = SESSION_MODE_IN_PERSON",
                   {"29", "30", "31", "side-2023"});
  ExpectSelects<R>(s, "mode = \"HYBRID\"", {"som-2023"});
  ExpectSelects<R>(s, "mode != ONLINE",
                   {"29", "30", "31", "32", "side-2023", "som-2023"});
  ExpectSelects<R>(s, "level = SENIOR_OFFICIALS", {"som-2023"});
  ExpectSelects<R>(s, "level = MEETING_LEVEL_EXPERT", {"side-2023"});
  ExpectSelects<R>(s, "kind = MEETING", {"side-2023", "som-2023"});
  ExpectSelects<R>(s, "status = PLANNED", {"32"});
  ExpectSelects<R>(s, "status = SESSION_STATUS_HELD",
                   {"27", "28", "29", "30", "31", "side-2023", "som-2023"});
}

TEST_F(FilterTest, SessionsByTextReferencesAndLists) {
  using R = v1::Session;
  const Scope& s = kSessionScope;
  ExpectSelects<R>(s, "venue.city = \"Jakarta\"",
                   {"30", "side-2023", "som-2023"});
  ExpectSelects<R>(s, "venue.city = \"jakarta\"", {}, "'=' is exact");
  ExpectSelects<R>(s, "venue.city:\"PENH\"", {"29"}, "':' ignores case");
  ExpectSelects<R>(s, "venue.city = \"V*\"", {"31"});
  ExpectSelects<R>(s, "venue.city = \"*ta\"", {"30", "side-2023", "som-2023"});
  ExpectSelects<R>(s, "venue.city = \"*Seri*\"", {"28"});
  ExpectSelects<R>(s, "venue.city < \"I\"", {"27", "28", "32"},
                   "an unset city is \"\"");
  ExpectSelects<R>(s, "venue.city >= \"Phnom Penh\"", {"29", "31"});
  ExpectSelects<R>(s, "display_name:\"30TH\"", {"30"});
  ExpectSelects<R>(s, "display_name > \"3\"",
                   {"30", "31", "32", "side-2023", "som-2023"});
  ExpectSelects<R>(s, "venue.country = \"participants/qf-indonesia\"", {"30"});
  ExpectSelects<R>(s, "participants:\"participants/qf-russia\"", {"30"});
  ExpectSelects<R>(s, "topics:\"ict security\"", {"30"});
  ExpectSelects<R>(s, "topics:\"ict\"", {}, "':' on a list is an element");
  ExpectSelects<R>(s, "parent_session = \"forums/qf-arf/sessions/30\"",
                   {"side-2023"});
  ExpectSelects<R>(s, "parent_session = \"\"",
                   {"27", "28", "29", "30", "31", "32", "som-2023"});
  // Across forums: the ISM's meeting on the sidelines of the 30th ARF too.
  EXPECT_THAT(ListNames<R>(
                  {.parent = "forums/-",
                   .filter = "parent_session = \"forums/qf-arf/sessions/30\""}),
              ElementsAre("forums/qf-arf/sessions/side-2023",
                          "forums/qf-ism/sessions/1"));
}

// A proto3 string that is not set is "": `!=` holds for it, as it does for an
// unset enum, reference or number, and `field != x` is `NOT field = x`.
TEST_F(FilterTest, UnsetTextIsTheEmptyString) {
  ExpectSelects<v1::Session>(kSessionScope, "venue.city != \"Jakarta\"",
                             {"27", "28", "29", "31", "32"});
  ExpectSelects<v1::Session>(kSessionScope, "venue.city = \"\"", {"32"});
  ExpectSelects<v1::Source>(kSourceScope, "language != \"ru\"",
                            {"qf-src-1", "qf-src-3", "qf-src-4"});
  ExpectSelects<v1::Source>(kSourceScope, "language = \"\"", {"qf-src-4"});
}

TEST_F(FilterTest, AndOrNotAndParentheses) {
  using R = v1::Session;
  const Scope& s = kSessionScope;
  ExpectSelects<R>(s, "ordinal = 27 OR ordinal = 31", {"27", "31"});
  ExpectSelects<R>(s, "mode = ONLINE AND ordinal > 27", {"28"});
  ExpectSelects<R>(s, "mode = IN_PERSON ordinal >= 30", {"30", "31"},
                   "side by side means AND");
  ExpectSelects<R>(s, "NOT mode = ONLINE",
                   {"29", "30", "31", "32", "side-2023", "som-2023"});
  ExpectSelects<R>(s, "-mode = ONLINE",
                   {"29", "30", "31", "32", "side-2023", "som-2023"});
  ExpectSelects<R>(s, "NOT NOT mode = ONLINE", {"27", "28"});
  ExpectSelects<R>(s, "NOT (mode = ONLINE OR mode = IN_PERSON)",
                   {"32", "som-2023"});
  ExpectSelects<R>(s, "(ordinal = 27 OR ordinal = 29) AND mode = ONLINE",
                   {"27"});
  // OR binds tighter than AND (AIP-160), unlike SQL.
  ExpectSelects<R>(s, "ordinal = 27 AND mode = ONLINE OR mode = HYBRID",
                   {"27"});
  ExpectSelects<R>(s, "mode = HYBRID OR mode = ONLINE AND ordinal = 28",
                   {"28"});
  ExpectSelects<R>(
      s, "(start_date = \"2023\" OR start_date = \"2020\") -kind = MEETING",
      {"27", "30"});
}

TEST_F(FilterTest, ParticipantsByNamesInAnyLanguageIgnoringCase) {
  using R = v1::Participant;
  const Scope& s = kParticipantScope;
  ExpectSelects<R>(s, "names:\"russia\"", {"qf-russia"});
  ExpectSelects<R>(s, "names:\"RUSSIA\"", {"qf-russia"});
  ExpectSelects<R>(s, "names:\"россия\"", {"qf-russia"});
  ExpectSelects<R>(s, "names:\"РОССИЙСКАЯ ФЕДЕРАЦИЯ\"", {"qf-russia"});
  ExpectSelects<R>(s, "names = \"индонезия\"", {"qf-indonesia"});
  ExpectSelects<R>(s, "names:\"qf china\"", {"qf-china"},
                   "the display name is a name too");
  ExpectSelects<R>(s, "names:\"arf\"", {"qf-arf-unit"});
  ExpectSelects<R>(s, "names:\"Russ\"", {}, "a name, not a part of one");
  ExpectSelects<R>(s, "kind = AGENCY", {"qf-mfa"});
  ExpectSelects<R>(s, "kind != STATE", {"qf-arf-unit", "qf-mfa"});
  ExpectSelects<R>(s, "kind = PARTICIPANT_KIND_ORGANIZATION", {"qf-arf-unit"});
  ExpectSelects<R>(s, "affiliation = \"participants/qf-russia\"", {"qf-mfa"});
  ExpectSelects<R>(s, "display_name:\"REPUBLIC\"", {"qf-indonesia"});
  ExpectSelects<R>(s, "display_name < \"QF D\"", {"qf-arf-unit", "qf-china"});
  ExpectSelects<R>(s, "display_name >= \"QF R\"",
                   {"qf-indonesia", "qf-russia", "qf-vietnam"});
  ExpectSelects<R>(s, "display_name = \"QF China\"", {"qf-china"});
  ExpectSelects<R>(s, "kind = STATE AND names:\"россия\"", {"qf-russia"});
}

TEST_F(FilterTest, ForumsByNamesParentStatusDatesAndTopics) {
  using R = v1::Forum;
  const Scope& s = kForumScope;
  ExpectSelects<R>(s, "names:\"arf\"", {"qf-arf"});
  ExpectSelects<R>(s, "names:\"Arf\"", {"qf-arf"});
  ExpectSelects<R>(s, "names:\"арф\"", {"qf-arf"});
  ExpectSelects<R>(s, "names:\"АРФ\"", {"qf-arf"});
  ExpectSelects<R>(s, "names:\"региональный форум асеан\"", {"qf-arf"});
  ExpectSelects<R>(s, "names:\"ASEAN\"", {});
  ExpectSelects<R>(s, "names:\"arf\" OR parent = \"forums/qf-arf\"",
                   {"qf-arf", "qf-ism"});
  ExpectSelects<R>(s, "parent = \"forums/qf-arf\"", {"qf-ism"});
  ExpectSelects<R>(s, "parent = \"\"",
                   {"qf-arf", "qf-eas", "qf-hostile", "qf-old"});
  ExpectSelects<R>(s, "status = DORMANT", {"qf-ism"});
  ExpectSelects<R>(s, "status = FORUM_STATUS_DISSOLVED", {"qf-old"});
  ExpectSelects<R>(s, "status = \"ACTIVE\"",
                   {"qf-arf", "qf-eas", "qf-hostile"});
  ExpectSelects<R>(s, "kind = SUMMIT", {"qf-eas"});
  ExpectSelects<R>(s, "cadence = ANNUAL", {"qf-arf", "qf-eas"});
  ExpectSelects<R>(s, "meeting_level = SUMMIT", {"qf-eas"});
  ExpectSelects<R>(s, "founded < \"2000\"", {"qf-arf", "qf-old"});
  ExpectSelects<R>(s, "founded <= \"1994\"", {"qf-arf", "qf-old"});
  ExpectSelects<R>(s, "founded = \"1994-07\"", {"qf-arf"});
  ExpectSelects<R>(s, "founded >= \"2005-12\"", {"qf-eas", "qf-ism"});
  ExpectSelects<R>(s, "founded > \"2005-12-13\"", {"qf-eas", "qf-ism"});
  ExpectSelects<R>(s, "founded > \"2005-12-14\"", {"qf-ism"});
  ExpectSelects<R>(s, "dissolved = \"2000\"", {"qf-old"});
  ExpectSelects<R>(s, "topics:\"ict security\"", {"qf-arf", "qf-ism"});
  ExpectSelects<R>(s, "initiated_by:\"participants/qf-indonesia\"", {"qf-arf"});
  ExpectSelects<R>(s, "display_name:\"asean\"", {"qf-arf"});
}

TEST_F(FilterTest, SourcesByPublisherLanguageAndDate) {
  using R = v1::Source;
  const Scope& s = kSourceScope;
  ExpectSelects<R>(s, "publish_date = \"2023-07\"", {"qf-src-1", "qf-src-2"});
  ExpectSelects<R>(s, "publish_date = \"2023-07-14\"",
                   {"qf-src-1", "qf-src-2"});
  ExpectSelects<R>(s, "publish_date < \"2023\"", {"qf-src-3"});
  ExpectSelects<R>(s, "publish_date >= \"2023-07-02\"", {"qf-src-1"});
  ExpectSelects<R>(s, "publisher = \"participants/qf-russia\"",
                   {"qf-src-2", "qf-src-3"});
  ExpectSelects<R>(s, "publisher = \"\"", {"qf-src-4"});
  ExpectSelects<R>(s, "language = \"ru\"", {"qf-src-2"});
  ExpectSelects<R>(s, "document_number = \"QF-003\"", {"qf-src-3"});
  ExpectSelects<R>(s, "display_name:\"press\"", {"qf-src-2"});
}

TEST_F(FilterTest, MembershipsByRoleMemberPeriodAndDay) {
  using R = v1::Membership;
  const Scope& s = kMembershipScope;
  ExpectSelects<R>(s, "role = OBSERVER", {"vietnam"});
  ExpectSelects<R>(s, "role != MEMBER", {"eas", "indonesia", "vietnam"});
  ExpectSelects<R>(s, "member = \"forums/qf-eas\"", {"eas"});
  ExpectSelects<R>(s, "member = \"participants/qf-china\"", {"china"});
  ExpectSelects<R>(s, "active_on = \"2010-06-30\"",
                   {"china", "indonesia", "russia"});
  ExpectSelects<R>(s, "active_on = \"2010-07-01\"", {"indonesia", "russia"});
  ExpectSelects<R>(s, "period = \"2019\"",
                   {"eas", "indonesia", "russia", "vietnam"});
  ExpectSelects<R>(s, "period < \"1994-07\"", {"china", "indonesia"});
  ExpectSelects<R>(s, "forum = \"forums/qf-arf\" AND role = FOUNDING_MEMBER",
                   {"indonesia"});
}

TEST_F(FilterTest, ChairmanshipsByChairsTermStatusAndContinues) {
  using R = v1::Chairmanship;
  const Scope& s = kChairmanshipScope;
  ExpectSelects<R>(s, "chairs:\"participants/qf-indonesia\"",
                   {"ch-2023", "ch-2024"});
  ExpectSelects<R>(s, "status = PLANNED", {"ch-2026"});
  ExpectSelects<R>(s, "status = CURRENT", {"ch-2024"}, "the default");
  ExpectSelects<R>(s, "continues = \"forums/qf-arf/chairmanships/ch-2023\"",
                   {"ch-2024"});
  ExpectSelects<R>(s, "term = \"2023-06\"", {"ch-2023"});
  ExpectSelects<R>(s, "term >= \"2024\"", {"ch-2024", "ch-2026"});
  ExpectSelects<R>(s, "active_on = \"2026-05-05\"", {"ch-2024", "ch-2026"});
  ExpectSelects<R>(s, "active_on = \"2021-05-05\"", {});
}

TEST_F(FilterTest, ActionPlansByNamesStatusPeriodAndAdoption) {
  using R = v1::ActionPlan;
  const Scope& s = kActionPlanScope;
  ExpectSelects<R>(s, "names:\"hpa\"", {"qf-hpa"});
  ExpectSelects<R>(s, "names:\"ХАНОЙСКИЙ ПЛАН ДЕЙСТВИЙ\"", {"qf-hpa"});
  ExpectSelects<R>(s, "names:\"qf roadmap\"", {"qf-roadmap"});
  ExpectSelects<R>(s, "end_date = \"2025\"", {"qf-hpa"});
  ExpectSelects<R>(s, "end_date = \"2025\" AND status != EXPECTED", {"qf-hpa"});
  ExpectSelects<R>(s, "status = EXPIRED", {"qf-wp"});
  ExpectSelects<R>(s, "forums:\"forums/qf-arf\"", {"qf-hpa", "qf-roadmap"});
  ExpectSelects<R>(s, "parties:\"participants/qf-china\"", {"qf-wp"});
  ExpectSelects<R>(s, "active_on = \"2018-03-01\"", {"qf-wp"});
  ExpectSelects<R>(s, "active_on = \"2030-01-01\"", {"qf-roadmap"});
  ExpectSelects<R>(s, "period = \"2020\"", {"qf-wp"});
  ExpectSelects<R>(s, "start_date >= \"2021\"", {"qf-hpa", "qf-roadmap"});
  ExpectSelects<R>(s, "adoption.date < \"2020\"", {"qf-wp"});
  ExpectSelects<R>(s, "adoption.session = \"forums/qf-arf/sessions/28\"",
                   {"qf-hpa"});
  ExpectSelects<R>(s, "adoption.session = \"\"", {"qf-roadmap", "qf-wp"});
  ExpectSelects<R>(s, "implements = \"actionPlans/qf-hpa\"", {"qf-roadmap"});
  ExpectSelects<R>(s, "priority_areas:\"energy\"", {"qf-wp"});
}

TEST_F(FilterTest, StatementsByNamesKindInitiatorAndAdoption) {
  using R = v1::Statement;
  const Scope& s = kStatementScope;
  ExpectSelects<R>(
      s,
      "initiated_by:\"participants/qf-russia\" AND forum = \"forums/qf-eas\"",
      {"qf-st-joint"});
  ExpectSelects<R>(s, "names:\"заявление председателя\"", {"qf-st-chair"});
  ExpectSelects<R>(s, "names:\"arf ict STATEMENT\"", {"qf-st-joint"});
  ExpectSelects<R>(s, "kind = JOINT_STATEMENT", {"qf-st-joint"});
  ExpectSelects<R>(s, "status = EXPECTED", {"qf-st-draft"});
  ExpectSelects<R>(s, "forum = \"\"", {"qf-st-draft"});
  ExpectSelects<R>(s, "adoption.date = \"2023\"",
                   {"qf-st-chair", "qf-st-joint"});
  ExpectSelects<R>(s, "adoption.date > \"2023-07\"", {"qf-st-joint"});
  ExpectSelects<R>(s, "adoption.session = \"forums/qf-arf/sessions/30\"",
                   {"qf-st-chair"});
  ExpectSelects<R>(s, "topics:\"energy\"", {"qf-st-draft"});
}

// No field of any resource is a bool today; a bool literal is refused where
// it does not fit.
TEST_F(FilterTest, BoolLiteralOnANonBoolFieldIsRefused) {
  ExpectListRefused<v1::Session>(
      {.parent = kArf, .filter = "ordinal = true"},
      AllOf(HasSubstr("at position 11"), HasSubstr("ordinal")));
  ExpectListRefused<v1::Session>({.parent = kArf, .filter = "mode = false"},
                                 HasSubstr("mode"));
}

TEST_F(FilterTest, SyntaxErrorsGiveThePosition) {
  const auto refused = [](const std::string& filter,
                          const Matcher<std::string>& message) {
    SCOPED_TRACE(filter);
    ExpectListRefused<v1::Session>({.parent = kArf, .filter = filter}, message);
  };
  refused("mode =",
          HasSubstr("filter: at position 7: expected a value after '='"));
  refused("(mode = ONLINE",
          HasSubstr("filter: at position 15: expected ')' to close the '(' at "
                    "position 1"));
  refused("mode = ONLINE)", HasSubstr("filter: at position 14: ')' closes no"));
  refused("mode = ONLINE and ordinal = 1",
          AllOf(HasSubstr("filter: at position 15"), HasSubstr("upper case")));
  refused("ordinal = \"30\"",
          AllOf(HasSubstr("filter: at position 11"), HasSubstr("ordinal")));
  refused("mode = online",
          AllOf(HasSubstr("at position 8"), HasSubstr("upper case")));
  refused("mode = BOGUS",
          AllOf(HasSubstr("at position 8"), HasSubstr("ONLINE, HYBRID")));
  refused("mode : ONLINE",
          AllOf(HasSubstr("at position 6"), HasSubstr("':' is not allowed")));
  refused("start_date = \"2023-13\"",
          AllOf(HasSubstr("at position 14"), HasSubstr("is not a date")));
  refused("active_on = \"2023-06\"",
          AllOf(HasSubstr("at position 13"), HasSubstr("not a full date")));
  refused("display_name = \"unterminated",
          AllOf(HasSubstr("at position 16"), HasSubstr("unterminated")));
  refused("mode ! ONLINE", HasSubstr("at position 6"));
  refused("AND mode = ONLINE", HasSubstr("at position 1"));
  refused("mode = ONLINE OR", HasSubstr("at position 17"));
  refused("parent_session = forums", HasSubstr("at position 18"));
  // Positions count characters, not bytes.
  ExpectListRefused<v1::Forum>(
      {.filter = "names:\"АРФ\" AND bogus = 1"},
      AllOf(HasSubstr("filter: at position 17: unknown field"),
            HasSubstr("bogus")));
}

TEST_F(FilterTest, UnknownFieldsListTheFieldsAllowed) {
  ExpectListRefused<v1::Session>(
      {.parent = kArf, .filter = "mode = ONLINE AND city = \"Jakarta\""},
      AllOf(HasSubstr("filter: at position 19: unknown field"),
            HasSubstr("city"),
            HasSubstr("forum, display_name, kind, ordinal, level, "
                      "parent_session, start_date, end_date, active_on, mode, "
                      "status, venue.city, venue.country, participants, "
                      "topics")));
  ExpectListRefused<v1::Membership>(
      {.parent = kArf, .filter = "name = \"x\""},
      AllOf(HasSubstr("at position 1"),
            HasSubstr("forum, member, role, active_on, period")));
  ExpectListRefused<v1::Chairmanship>(
      {.parent = kArf, .filter = "chair:\"x\""},
      AllOf(HasSubstr("at position 1"),
            HasSubstr("forum, chairs, active_on, term, status, continues")));
  ExpectListRefused<v1::Source>(
      {.filter = "uri = \"x\""},
      AllOf(HasSubstr("at position 1"),
            HasSubstr("display_name, publisher, document_number, language, "
                      "publish_date")));
  ExpectListRefused<v1::ActionPlan>(
      {.filter = "items:\"x\""},
      AllOf(HasSubstr("at position 1"), HasSubstr("priority_areas")));
  ExpectListRefused<v1::Statement>(
      {.filter = "text:\"x\""},
      AllOf(HasSubstr("at position 1"), HasSubstr("initiated_by, topics")));
  // A field of the message that is not a filter field.
  ExpectListRefused<v1::Session>(
      {.parent = kArf, .filter = "description:\"x\""},
      AllOf(HasSubstr("at position 1"), HasSubstr("description")));
}

TEST_F(FilterTest, UnknownOrderByFieldIsInvalidArgument) {
  for (const std::string& order_by :
       {std::string("venue.city"), std::string("start_date sideways"),
        std::string("name, start_date"), std::string("ordinal, ordinal"),
        std::string("start_date; DROP TABLE sessions"),
        std::string("display_name COLLATE \"C\"")}) {
    SCOPED_TRACE(order_by);
    ExpectListRefused<v1::Session>(
        {.parent = kArf, .order_by = order_by},
        AllOf(HasSubstr("order_by"),
              HasSubstr("name, start_date, ordinal, display_name")));
  }
  ExpectListRefused<v1::Membership>({.parent = kArf, .order_by = "member"},
                                    HasSubstr("period"));
  ExpectListRefused<v1::Statement>({.order_by = "kind"},
                                   HasSubstr("adoption.date"));
}

}  // namespace
}  // namespace forum_registry::query_test
