// Rules of the records beyond Forum and Participant: Membership,
// Chairmanship, Session, ActionPlan, Statement and Source.

#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "forumregistry/v1/action_plan.pb.h"
#include "forumregistry/v1/chairmanship.pb.h"
#include "forumregistry/v1/common.pb.h"
#include "forumregistry/v1/membership.pb.h"
#include "forumregistry/v1/session.pb.h"
#include "forumregistry/v1/source.pb.h"
#include "forumregistry/v1/statement.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/domain/resource_rules.h"

namespace forum_registry::domain {
namespace {

namespace v1 = forumregistry::v1;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using v1::ActionPlan;
using v1::Chairmanship;
using v1::Membership;
using v1::Session;
using v1::Source;
using v1::Statement;

std::string Cyrillic(int count) {
  std::string out;
  for (int i = 0; i < count; ++i) out += "д";
  return out;
}

std::string Message(const absl::Status& status) {
  return std::string(status.message());
}

// Expects INVALID_ARGUMENT whose message starts with `prefix`.
void ExpectInvalid(const absl::Status& status, absl::string_view prefix) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(Message(status), StartsWith(std::string(prefix))) << status;
}

void SetDate(v1::PartialDate* date, int year, int month = 0, int day = 0) {
  date->set_year(year);
  date->set_month(month);
  date->set_day(day);
}

void AddCitation(google::protobuf::RepeatedPtrField<v1::Citation>* citations,
                 absl::string_view source) {
  auto* citation = citations->Add();
  citation->set_source(std::string(source));
  citation->set_excerpt("The meeting was held.");
  citation->set_locator("paragraph 1");
}

void AddExternalId(google::protobuf::RepeatedPtrField<v1::ExternalId>* ids,
                   absl::string_view scheme, absl::string_view value) {
  auto* id = ids->Add();
  id->set_scheme(std::string(scheme));
  id->set_value(std::string(value));
}

// --- Membership ------------------------------------------------------------

Membership MinimalMembership() {
  Membership membership;
  membership.set_member("participants/russia");
  membership.set_role(v1::MEMBERSHIP_ROLE_MEMBER);
  return membership;
}

Membership FullMembership() {
  Membership membership;
  membership.set_name("forums/asean/memberships/russia");
  membership.set_member("participants/russia");
  membership.set_role(v1::MEMBERSHIP_ROLE_DIALOGUE_PARTNER);
  SetDate(membership.mutable_period()->mutable_start(), 1996, 7);
  SetDate(membership.mutable_period()->mutable_end(), 2018, 11, 14);
  membership.set_description("Full dialogue partner since July 1996.");
  AddCitation(membership.mutable_citations(), "sources/asean-russia");
  AddExternalId(membership.mutable_external_ids(), "wikidata", "Q1");
  membership.set_etag("output only");
  return membership;
}

TEST(ValidateMembership, AcceptsMinimalMembership) {
  const absl::Status status =
      ValidateMembership(MinimalMembership(), "membership");
  EXPECT_TRUE(status.ok()) << status;
}

TEST(ValidateMembership, AcceptsFullMembership) {
  const absl::Status status =
      ValidateMembership(FullMembership(), "membership");
  EXPECT_TRUE(status.ok()) << status;
}

TEST(ValidateMembership, ErrorsStartWithTheFieldGiven) {
  Membership membership = MinimalMembership();
  membership.clear_member();
  ExpectInvalid(ValidateMembership(membership, "request.membership"),
                "request.membership.member: is required");
}

TEST(ValidateMembership, AcceptsAnotherForumAsMember) {
  Membership membership = MinimalMembership();
  membership.set_name("forums/asean/memberships/arf");
  membership.set_member("forums/arf");
  EXPECT_TRUE(ValidateMembership(membership, "membership").ok());
}

TEST(ValidateMembership, RequiresMember) {
  Membership membership = MinimalMembership();
  membership.clear_member();
  ExpectInvalid(ValidateMembership(membership, "membership"),
                "membership.member: is required");
}

TEST(ValidateMembership, RefusesMemberThatIsNeitherParticipantNorForum) {
  for (const char* member :
       {"sources/russia", "russia", "participants/", "forums/ARF",
        "forums/asean/memberships/russia", "participants/russia/x"}) {
    Membership membership = MinimalMembership();
    membership.set_member(member);
    SCOPED_TRACE(member);
    ExpectInvalid(ValidateMembership(membership, "membership"),
                  "membership.member: ");
    EXPECT_THAT(Message(ValidateMembership(membership, "membership")),
                HasSubstr("participants/{id} or forums/{id}"));
  }
}

TEST(ValidateMembership, RefusesForumAsMemberOfItself) {
  Membership membership = MinimalMembership();
  membership.set_name("forums/asean/memberships/asean");
  membership.set_member("forums/asean");
  ExpectInvalid(ValidateMembership(membership, "membership"),
                "membership.member: ");
  EXPECT_THAT(Message(ValidateMembership(membership, "membership")),
              HasSubstr("itself"));
}

TEST(ValidateMembership, ChecksSelfMembershipOnlyWhenNameIsSet) {
  Membership membership = MinimalMembership();
  membership.set_member("forums/asean");
  EXPECT_TRUE(ValidateMembership(membership, "membership").ok());
}

TEST(ValidateMembership, RequiresRole) {
  Membership membership = MinimalMembership();
  membership.clear_role();
  ExpectInvalid(ValidateMembership(membership, "membership"),
                "membership.role: is required");
}

TEST(ValidateMembership, RefusesUnknownRole) {
  Membership membership = MinimalMembership();
  membership.set_role(static_cast<v1::MembershipRole>(99));
  ExpectInvalid(ValidateMembership(membership, "membership"),
                "membership.role: is not a known value");
}

TEST(ValidateMembership, AcceptsOpenPeriod) {
  Membership membership = MinimalMembership();
  SetDate(membership.mutable_period()->mutable_start(), 1996);
  EXPECT_TRUE(ValidateMembership(membership, "membership").ok());
}

TEST(ValidateMembership, RefusesPeriodEndingBeforeItStarts) {
  Membership membership = MinimalMembership();
  SetDate(membership.mutable_period()->mutable_start(), 2000);
  SetDate(membership.mutable_period()->mutable_end(), 1999, 12, 31);
  ExpectInvalid(ValidateMembership(membership, "membership"),
                "membership.period.end: ");
}

TEST(ValidateMembership, RefusesInvalidPeriodStart) {
  Membership membership = MinimalMembership();
  SetDate(membership.mutable_period()->mutable_start(), 1996, 13);
  ExpectInvalid(ValidateMembership(membership, "membership"),
                "membership.period.start.month: ");
}

TEST(ValidateMembership, RefusesTooLongDescription) {
  Membership membership = MinimalMembership();
  membership.set_description(std::string(10000, 'a'));
  EXPECT_TRUE(ValidateMembership(membership, "membership").ok());
  membership.set_description(std::string(10001, 'a'));
  ExpectInvalid(ValidateMembership(membership, "membership"),
                "membership.description: ");
}

TEST(ValidateMembership, RefusesCitationOutsideSources) {
  Membership membership = MinimalMembership();
  membership.add_citations()->set_source("forums/asean");
  ExpectInvalid(ValidateMembership(membership, "membership"),
                "membership.citations[0].source: ");
}

TEST(ValidateMembership, RefusesBadExternalIdScheme) {
  Membership membership = MinimalMembership();
  AddExternalId(membership.mutable_external_ids(), "Wikidata", "Q1");
  ExpectInvalid(ValidateMembership(membership, "membership"),
                "membership.external_ids[0].scheme: ");
}

// --- Chairmanship ----------------------------------------------------------

Chairmanship MinimalChairmanship() {
  Chairmanship chairmanship;
  chairmanship.add_chairs("participants/indonesia");
  SetDate(chairmanship.mutable_term()->mutable_start(), 2023);
  return chairmanship;
}

Chairmanship FullChairmanship() {
  Chairmanship chairmanship;
  chairmanship.set_name("forums/arf/chairmanships/2023-2024");
  chairmanship.add_chairs("participants/russia");
  chairmanship.add_chairs("participants/indonesia");
  SetDate(chairmanship.mutable_term()->mutable_start(), 2023, 7, 1);
  SetDate(chairmanship.mutable_term()->mutable_end(), 2024, 6);
  chairmanship.set_continues("forums/arf/chairmanships/2021-2022");
  chairmanship.set_status(v1::CHAIRMANSHIP_STATUS_ENDED);
  chairmanship.set_description("Co-chairs of the inter-sessional meeting.");
  AddCitation(chairmanship.mutable_citations(), "sources/arf-isdm");
  AddExternalId(chairmanship.mutable_external_ids(), "asean", "ISM-2023");
  return chairmanship;
}

TEST(ValidateChairmanship, AcceptsMinimalChairmanship) {
  const absl::Status status =
      ValidateChairmanship(MinimalChairmanship(), "chairmanship");
  EXPECT_TRUE(status.ok()) << status;
}

TEST(ValidateChairmanship, AcceptsFullChairmanship) {
  const absl::Status status =
      ValidateChairmanship(FullChairmanship(), "chairmanship");
  EXPECT_TRUE(status.ok()) << status;
}

TEST(ValidateChairmanship, RequiresAChair) {
  Chairmanship chairmanship = MinimalChairmanship();
  chairmanship.clear_chairs();
  ExpectInvalid(ValidateChairmanship(chairmanship, "chairmanship"),
                "chairmanship.chairs: is required");
}

TEST(ValidateChairmanship, AcceptsTenCoChairsButNotEleven) {
  Chairmanship chairmanship = MinimalChairmanship();
  chairmanship.clear_chairs();
  for (int i = 0; i < 10; ++i) {
    chairmanship.add_chairs(absl::StrCat("participants/p", i));
  }
  EXPECT_TRUE(ValidateChairmanship(chairmanship, "chairmanship").ok());
  chairmanship.add_chairs("participants/p10");
  ExpectInvalid(ValidateChairmanship(chairmanship, "chairmanship"),
                "chairmanship.chairs: ");
  EXPECT_THAT(Message(ValidateChairmanship(chairmanship, "chairmanship")),
              HasSubstr("at most 10"));
}

TEST(ValidateChairmanship, RefusesChairOutsideParticipants) {
  Chairmanship chairmanship = MinimalChairmanship();
  chairmanship.add_chairs("forums/asean");
  ExpectInvalid(ValidateChairmanship(chairmanship, "chairmanship"),
                "chairmanship.chairs[1]: ");
}

TEST(ValidateChairmanship, RefusesEmptyChair) {
  Chairmanship chairmanship = MinimalChairmanship();
  chairmanship.add_chairs("");
  ExpectInvalid(ValidateChairmanship(chairmanship, "chairmanship"),
                "chairmanship.chairs[1]: is required");
}

TEST(ValidateChairmanship, RefusesChairListedTwice) {
  Chairmanship chairmanship = MinimalChairmanship();
  chairmanship.add_chairs("participants/indonesia");
  ExpectInvalid(ValidateChairmanship(chairmanship, "chairmanship"),
                "chairmanship.chairs[1]: is listed twice");
}

TEST(ValidateChairmanship, RequiresTerm) {
  Chairmanship chairmanship = MinimalChairmanship();
  chairmanship.clear_term();
  ExpectInvalid(ValidateChairmanship(chairmanship, "chairmanship"),
                "chairmanship.term: is required");
}

TEST(ValidateChairmanship, RequiresTermStart) {
  Chairmanship chairmanship = MinimalChairmanship();
  chairmanship.mutable_term()->clear_start();
  SetDate(chairmanship.mutable_term()->mutable_end(), 2024);
  ExpectInvalid(ValidateChairmanship(chairmanship, "chairmanship"),
                "chairmanship.term.start: is required");
}

TEST(ValidateChairmanship, TreatsAllZeroTermStartAsMissing) {
  Chairmanship chairmanship = MinimalChairmanship();
  SetDate(chairmanship.mutable_term()->mutable_start(), 0);
  ExpectInvalid(ValidateChairmanship(chairmanship, "chairmanship"),
                "chairmanship.term.start: is required");
}

TEST(ValidateChairmanship, RefusesInvalidTermStart) {
  Chairmanship chairmanship = MinimalChairmanship();
  SetDate(chairmanship.mutable_term()->mutable_start(), 2023, 2, 30);
  ExpectInvalid(ValidateChairmanship(chairmanship, "chairmanship"),
                "chairmanship.term.start.day: ");
}

TEST(ValidateChairmanship, RefusesTermEndingBeforeItStarts) {
  Chairmanship chairmanship = MinimalChairmanship();
  SetDate(chairmanship.mutable_term()->mutable_end(), 2022, 12);
  ExpectInvalid(ValidateChairmanship(chairmanship, "chairmanship"),
                "chairmanship.term.end: ");
}

TEST(ValidateChairmanship, RefusesMalformedContinues) {
  for (const char* continues :
       {"chairmanships/2022", "forums/arf", "forums/arf/sessions/30",
        "participants/arf/chairmanships/2022", "forums/arf/chairmanships/"}) {
    Chairmanship chairmanship = MinimalChairmanship();
    chairmanship.set_continues(continues);
    SCOPED_TRACE(continues);
    ExpectInvalid(ValidateChairmanship(chairmanship, "chairmanship"),
                  "chairmanship.continues: ");
  }
}

TEST(ValidateChairmanship, AcceptsContinuesWhenNameIsNotSet) {
  Chairmanship chairmanship = MinimalChairmanship();
  chairmanship.set_continues("forums/arf/chairmanships/2022");
  EXPECT_TRUE(ValidateChairmanship(chairmanship, "chairmanship").ok());
}

TEST(ValidateChairmanship, RefusesContinuingAChairmanshipOfAnotherForum) {
  Chairmanship chairmanship = MinimalChairmanship();
  chairmanship.set_name("forums/arf/chairmanships/2023");
  chairmanship.set_continues("forums/eas/chairmanships/2022");
  ExpectInvalid(ValidateChairmanship(chairmanship, "chairmanship"),
                "chairmanship.continues: ");
  EXPECT_THAT(Message(ValidateChairmanship(chairmanship, "chairmanship")),
              HasSubstr("same forum"));
}

TEST(ValidateChairmanship, RefusesContinuingItself) {
  Chairmanship chairmanship = MinimalChairmanship();
  chairmanship.set_name("forums/arf/chairmanships/2023");
  chairmanship.set_continues("forums/arf/chairmanships/2023");
  ExpectInvalid(ValidateChairmanship(chairmanship, "chairmanship"),
                "chairmanship.continues: ");
  EXPECT_THAT(Message(ValidateChairmanship(chairmanship, "chairmanship")),
              HasSubstr("itself"));
}

TEST(ValidateChairmanship, AcceptsEveryKnownStatus) {
  for (auto status :
       {v1::CHAIRMANSHIP_STATUS_UNSPECIFIED, v1::CHAIRMANSHIP_STATUS_PLANNED,
        v1::CHAIRMANSHIP_STATUS_CURRENT, v1::CHAIRMANSHIP_STATUS_ENDED}) {
    Chairmanship chairmanship = MinimalChairmanship();
    chairmanship.set_status(status);
    EXPECT_TRUE(ValidateChairmanship(chairmanship, "chairmanship").ok())
        << status;
  }
}

TEST(ValidateChairmanship, RefusesUnknownStatus) {
  Chairmanship chairmanship = MinimalChairmanship();
  chairmanship.set_status(static_cast<v1::ChairmanshipStatus>(7));
  ExpectInvalid(ValidateChairmanship(chairmanship, "chairmanship"),
                "chairmanship.status: is not a known value");
}

TEST(ValidateChairmanship, RefusesTooLongDescription) {
  Chairmanship chairmanship = MinimalChairmanship();
  chairmanship.set_description(Cyrillic(10001));
  ExpectInvalid(ValidateChairmanship(chairmanship, "chairmanship"),
                "chairmanship.description: ");
}

TEST(ValidateChairmanship, RefusesCitationWithoutSource) {
  Chairmanship chairmanship = MinimalChairmanship();
  chairmanship.add_citations()->set_excerpt("quoted");
  ExpectInvalid(ValidateChairmanship(chairmanship, "chairmanship"),
                "chairmanship.citations[0].source: is required");
}

TEST(ValidateChairmanship, RefusesDuplicateExternalId) {
  Chairmanship chairmanship = MinimalChairmanship();
  AddExternalId(chairmanship.mutable_external_ids(), "wikidata", "Q1");
  AddExternalId(chairmanship.mutable_external_ids(), "wikidata", "Q1");
  ExpectInvalid(ValidateChairmanship(chairmanship, "chairmanship"),
                "chairmanship.external_ids[1]: ");
}

TEST(NormalizeChairmanship, MakesUnspecifiedStatusCurrent) {
  Chairmanship chairmanship = MinimalChairmanship();
  NormalizeChairmanship(&chairmanship);
  EXPECT_EQ(chairmanship.status(), v1::CHAIRMANSHIP_STATUS_CURRENT);
}

TEST(NormalizeChairmanship, KeepsExplicitStatus) {
  Chairmanship chairmanship = MinimalChairmanship();
  chairmanship.set_status(v1::CHAIRMANSHIP_STATUS_PLANNED);
  NormalizeChairmanship(&chairmanship);
  EXPECT_EQ(chairmanship.status(), v1::CHAIRMANSHIP_STATUS_PLANNED);
}

// --- Session ---------------------------------------------------------------

Session MinimalSession() {
  Session session;
  session.set_display_name("30th ASEAN Regional Forum");
  SetDate(session.mutable_start_date(), 2023, 7, 14);
  return session;
}

Session FullSession() {
  Session session = MinimalSession();
  session.set_name("forums/arf/sessions/30");
  session.set_kind(v1::SESSION_KIND_SESSION);
  session.set_ordinal(30);
  session.set_level(v1::MEETING_LEVEL_MINISTERIAL);
  session.set_parent_session("forums/asean/sessions/amm-56");
  SetDate(session.mutable_end_date(), 2023, 7, 14);
  session.mutable_venue()->set_city("Jakarta");
  session.mutable_venue()->set_country("participants/indonesia");
  session.mutable_venue()->set_site("Shangri-La Hotel");
  session.set_mode(v1::SESSION_MODE_IN_PERSON);
  session.set_status(v1::SESSION_STATUS_HELD);
  auto* host = session.add_participants();
  host->set_participant("participants/indonesia");
  host->set_role(v1::SESSION_ROLE_CHAIR);
  host->set_represented_by("participants/retno-marsudi");
  auto* russia = session.add_participants();
  russia->set_participant("participants/russia");
  russia->set_represented_by("participants/sergey-lavrov");
  session.add_topics("maritime security");
  session.add_topics("продовольственная безопасность");
  session.set_description("Chaired by Indonesia.\nHeld in Jakarta.");
  AddCitation(session.mutable_citations(), "sources/arf-30-chair-statement");
  AddExternalId(session.mutable_external_ids(), "wikidata", "Q120000000");
  return session;
}

TEST(ValidateSession, AcceptsMinimalSession) {
  const absl::Status status = ValidateSession(MinimalSession(), "session");
  EXPECT_TRUE(status.ok()) << status;
}

TEST(ValidateSession, AcceptsFullSession) {
  const absl::Status status = ValidateSession(FullSession(), "session");
  EXPECT_TRUE(status.ok()) << status;
}

TEST(ValidateSession, ErrorsStartWithTheFieldGiven) {
  Session session = MinimalSession();
  session.clear_start_date();
  ExpectInvalid(ValidateSession(session, "request.session"),
                "request.session.start_date: is required");
}

TEST(ValidateSession, RequiresDisplayName) {
  Session session = MinimalSession();
  session.clear_display_name();
  ExpectInvalid(ValidateSession(session, "session"),
                "session.display_name: is required");
}

TEST(ValidateSession, LimitsDisplayNameToThreeHundredCharacters) {
  Session session = MinimalSession();
  session.set_display_name(Cyrillic(300));
  EXPECT_TRUE(ValidateSession(session, "session").ok());
  session.set_display_name(Cyrillic(301));
  ExpectInvalid(ValidateSession(session, "session"), "session.display_name: ");
}

TEST(ValidateSession, RefusesUnknownKind) {
  Session session = MinimalSession();
  session.set_kind(static_cast<v1::SessionKind>(42));
  ExpectInvalid(ValidateSession(session, "session"),
                "session.kind: is not a known value");
}

TEST(ValidateSession, RefusesUnknownLevel) {
  Session session = MinimalSession();
  session.set_level(static_cast<v1::MeetingLevel>(42));
  ExpectInvalid(ValidateSession(session, "session"),
                "session.level: is not a known value");
}

TEST(ValidateSession, RefusesUnknownMode) {
  Session session = MinimalSession();
  session.set_mode(static_cast<v1::SessionMode>(-1));
  ExpectInvalid(ValidateSession(session, "session"),
                "session.mode: is not a known value");
}

TEST(ValidateSession, RefusesUnknownStatus) {
  Session session = MinimalSession();
  session.set_status(static_cast<v1::SessionStatus>(5));
  ExpectInvalid(ValidateSession(session, "session"),
                "session.status: is not a known value");
}

TEST(ValidateSession, AcceptsZeroOrdinalForUnnumberedSessions) {
  Session session = MinimalSession();
  session.set_ordinal(0);
  EXPECT_TRUE(ValidateSession(session, "session").ok());
}

TEST(ValidateSession, RefusesNegativeOrdinal) {
  Session session = MinimalSession();
  session.set_ordinal(-1);
  ExpectInvalid(ValidateSession(session, "session"),
                "session.ordinal: must not be negative");
}

TEST(ValidateSession, AcceptsParentSessionOfAnotherForum) {
  Session session = MinimalSession();
  session.set_name("forums/arf/sessions/30");
  session.set_parent_session("forums/asean/sessions/56");
  EXPECT_TRUE(ValidateSession(session, "session").ok());
}

TEST(ValidateSession, RefusesMalformedParentSession) {
  for (const char* parent :
       {"forums/arf", "sessions/30", "forums/arf/chairmanships/30",
        "forums/arf/sessions/", "forums/arf/sessions/30/x",
        "participants/arf/sessions/30"}) {
    Session session = MinimalSession();
    session.set_parent_session(parent);
    SCOPED_TRACE(parent);
    ExpectInvalid(ValidateSession(session, "session"),
                  "session.parent_session: ");
  }
}

TEST(ValidateSession, RefusesItselfAsParentSession) {
  Session session = MinimalSession();
  session.set_name("forums/arf/sessions/30");
  session.set_parent_session("forums/arf/sessions/30");
  ExpectInvalid(ValidateSession(session, "session"),
                "session.parent_session: ");
  EXPECT_THAT(Message(ValidateSession(session, "session")),
              HasSubstr("own parent"));
}

TEST(ValidateSession, RequiresStartDate) {
  Session session = MinimalSession();
  session.clear_start_date();
  ExpectInvalid(ValidateSession(session, "session"),
                "session.start_date: is required");
}

TEST(ValidateSession, TreatsAllZeroStartDateAsMissing) {
  Session session = MinimalSession();
  SetDate(session.mutable_start_date(), 0);
  ExpectInvalid(ValidateSession(session, "session"),
                "session.start_date: is required");
}

TEST(ValidateSession, RefusesInvalidStartDate) {
  Session session = MinimalSession();
  SetDate(session.mutable_start_date(), 2023, 6, 31);
  ExpectInvalid(ValidateSession(session, "session"),
                "session.start_date.day: ");
  SetDate(session.mutable_start_date(), 0, 6, 1);
  ExpectInvalid(ValidateSession(session, "session"),
                "session.start_date.year: ");
}

TEST(ValidateSession, AcceptsStartDateKnownOnlyToTheYear) {
  Session session = MinimalSession();
  SetDate(session.mutable_start_date(), 1994);
  EXPECT_TRUE(ValidateSession(session, "session").ok());
}

TEST(ValidateSession, RefusesInvalidEndDate) {
  Session session = MinimalSession();
  SetDate(session.mutable_end_date(), 2023, 14);
  ExpectInvalid(ValidateSession(session, "session"),
                "session.end_date.month: ");
}

TEST(ValidateSession, TreatsAllZeroEndDateAsAbsent) {
  Session session = MinimalSession();
  session.mutable_end_date();
  EXPECT_TRUE(ValidateSession(session, "session").ok());
}

TEST(ValidateSession, RefusesEndBeforeStart) {
  Session session = MinimalSession();
  SetDate(session.mutable_end_date(), 2023, 7, 13);
  ExpectInvalid(ValidateSession(session, "session"), "session.end_date: ");
  EXPECT_THAT(Message(ValidateSession(session, "session")),
              HasSubstr("before start_date"));
}

TEST(ValidateSession, ComparesEndAndStartByTheDaysTheyCover) {
  Session session = MinimalSession();  // starts 2023-07-14
  SetDate(session.mutable_end_date(), 2023, 7);
  EXPECT_TRUE(ValidateSession(session, "session").ok());
  SetDate(session.mutable_end_date(), 2023);
  EXPECT_TRUE(ValidateSession(session, "session").ok());
  SetDate(session.mutable_end_date(), 2023, 6);
  ExpectInvalid(ValidateSession(session, "session"), "session.end_date: ");

  SetDate(session.mutable_start_date(), 2023);
  SetDate(session.mutable_end_date(), 2023, 1, 1);
  EXPECT_TRUE(ValidateSession(session, "session").ok());
  SetDate(session.mutable_end_date(), 2022, 12, 31);
  ExpectInvalid(ValidateSession(session, "session"), "session.end_date: ");
}

TEST(ValidateSession, AcceptsEndOnStartDay) {
  Session session = MinimalSession();
  SetDate(session.mutable_end_date(), 2023, 7, 14);
  EXPECT_TRUE(ValidateSession(session, "session").ok());
}

TEST(ValidateSession, RefusesTooLongVenueCity) {
  Session session = MinimalSession();
  session.mutable_venue()->set_city(Cyrillic(200));
  EXPECT_TRUE(ValidateSession(session, "session").ok());
  session.mutable_venue()->set_city(Cyrillic(201));
  ExpectInvalid(ValidateSession(session, "session"), "session.venue.city: ");
}

TEST(ValidateSession, RefusesVenueCountryOutsideParticipants) {
  for (const char* country : {"forums/asean", "indonesia", "participants/"}) {
    Session session = MinimalSession();
    session.mutable_venue()->set_country(country);
    SCOPED_TRACE(country);
    ExpectInvalid(ValidateSession(session, "session"),
                  "session.venue.country: ");
  }
}

TEST(ValidateSession, AcceptsVenueWithoutCountry) {
  Session session = MinimalSession();
  session.mutable_venue()->set_city("Jakarta");
  EXPECT_TRUE(ValidateSession(session, "session").ok());
}

TEST(ValidateSession, RefusesTooLongVenueSite) {
  Session session = MinimalSession();
  session.mutable_venue()->set_site(std::string(300, 's'));
  EXPECT_TRUE(ValidateSession(session, "session").ok());
  session.mutable_venue()->set_site(std::string(301, 's'));
  ExpectInvalid(ValidateSession(session, "session"), "session.venue.site: ");
}

TEST(ValidateSession, AcceptsTwoHundredParticipantsButNotMore) {
  Session session = MinimalSession();
  for (int i = 0; i < 200; ++i) {
    session.add_participants()->set_participant(
        absl::StrCat("participants/p", i));
  }
  EXPECT_TRUE(ValidateSession(session, "session").ok());
  session.add_participants()->set_participant("participants/p200");
  ExpectInvalid(ValidateSession(session, "session"), "session.participants: ");
  EXPECT_THAT(Message(ValidateSession(session, "session")),
              HasSubstr("at most 200"));
}

TEST(ValidateSession, RequiresParticipantName) {
  Session session = MinimalSession();
  session.add_participants()->set_participant("participants/russia");
  session.add_participants()->set_role(v1::SESSION_ROLE_HOST);
  ExpectInvalid(ValidateSession(session, "session"),
                "session.participants[1].participant: is required");
}

TEST(ValidateSession, RefusesParticipantOutsideParticipants) {
  Session session = MinimalSession();
  session.add_participants()->set_participant("forums/asean");
  ExpectInvalid(ValidateSession(session, "session"),
                "session.participants[0].participant: ");
}

TEST(ValidateSession, RefusesUnknownParticipantRole) {
  Session session = MinimalSession();
  auto* participant = session.add_participants();
  participant->set_participant("participants/russia");
  participant->set_role(static_cast<v1::SessionRole>(99));
  ExpectInvalid(ValidateSession(session, "session"),
                "session.participants[0].role: is not a known value");
}

TEST(ValidateSession, RefusesRepresentativeOutsideParticipants) {
  Session session = MinimalSession();
  auto* participant = session.add_participants();
  participant->set_participant("participants/russia");
  participant->set_represented_by("sergey-lavrov");
  ExpectInvalid(ValidateSession(session, "session"),
                "session.participants[0].represented_by: ");
}

TEST(ValidateSession, RefusesParticipantListedTwiceEvenInAnotherRole) {
  Session session = MinimalSession();
  auto* first = session.add_participants();
  first->set_participant("participants/indonesia");
  first->set_role(v1::SESSION_ROLE_HOST);
  session.add_participants()->set_participant("participants/russia");
  auto* again = session.add_participants();
  again->set_participant("participants/indonesia");
  again->set_role(v1::SESSION_ROLE_CHAIR);
  ExpectInvalid(ValidateSession(session, "session"),
                "session.participants[2].participant: is listed twice");
}

TEST(ValidateSession, AllowsOneRepresentativeForSeveralParticipants) {
  Session session = MinimalSession();
  for (const char* who : {"participants/russia", "participants/belarus"}) {
    auto* participant = session.add_participants();
    participant->set_participant(who);
    participant->set_represented_by("participants/envoy");
  }
  EXPECT_TRUE(ValidateSession(session, "session").ok());
}

TEST(ValidateSession, RefusesEmptyTopic) {
  Session session = MinimalSession();
  session.add_topics("energy");
  session.add_topics("");
  ExpectInvalid(ValidateSession(session, "session"),
                "session.topics[1]: is required");
}

TEST(ValidateSession, LimitsTopicsToTwoHundredCharacters) {
  Session session = MinimalSession();
  session.add_topics(Cyrillic(200));
  EXPECT_TRUE(ValidateSession(session, "session").ok());
  session.add_topics(Cyrillic(201));
  ExpectInvalid(ValidateSession(session, "session"), "session.topics[1]: ");
}

TEST(ValidateSession, RefusesMoreThanOneHundredTopics) {
  Session session = MinimalSession();
  for (int i = 0; i < 100; ++i) session.add_topics(absl::StrCat("topic ", i));
  EXPECT_TRUE(ValidateSession(session, "session").ok());
  session.add_topics("one more");
  ExpectInvalid(ValidateSession(session, "session"), "session.topics: ");
}

TEST(ValidateSession, RefusesTooLongDescription) {
  Session session = MinimalSession();
  session.set_description(std::string(10000, 'd'));
  EXPECT_TRUE(ValidateSession(session, "session").ok());
  session.set_description(std::string(10001, 'd'));
  ExpectInvalid(ValidateSession(session, "session"), "session.description: ");
}

TEST(ValidateSession, RefusesTooLongCitationLocator) {
  Session session = MinimalSession();
  auto* citation = session.add_citations();
  citation->set_source("sources/a");
  citation->set_locator(std::string(201, 'l'));
  ExpectInvalid(ValidateSession(session, "session"),
                "session.citations[0].locator: ");
}

TEST(ValidateSession, RequiresExternalIdValue) {
  Session session = MinimalSession();
  session.add_external_ids()->set_scheme("wikidata");
  ExpectInvalid(ValidateSession(session, "session"),
                "session.external_ids[0].value: is required");
}

TEST(NormalizeSession, FillsKindStatusAndParticipantRoles) {
  Session session = MinimalSession();
  session.add_participants()->set_participant("participants/russia");
  session.add_participants()->set_participant("participants/china");
  NormalizeSession(&session);
  EXPECT_EQ(session.kind(), v1::SESSION_KIND_MEETING);
  EXPECT_EQ(session.status(), v1::SESSION_STATUS_HELD);
  EXPECT_EQ(session.participants(0).role(), v1::SESSION_ROLE_PARTICIPANT);
  EXPECT_EQ(session.participants(1).role(), v1::SESSION_ROLE_PARTICIPANT);
}

TEST(NormalizeSession, KeepsExplicitValues) {
  Session session = MinimalSession();
  session.set_kind(v1::SESSION_KIND_SUMMIT);
  session.set_status(v1::SESSION_STATUS_PLANNED);
  session.set_mode(v1::SESSION_MODE_ONLINE);
  auto* host = session.add_participants();
  host->set_participant("participants/indonesia");
  host->set_role(v1::SESSION_ROLE_HOST);
  session.add_participants()->set_participant("participants/russia");
  NormalizeSession(&session);
  EXPECT_EQ(session.kind(), v1::SESSION_KIND_SUMMIT);
  EXPECT_EQ(session.status(), v1::SESSION_STATUS_PLANNED);
  EXPECT_EQ(session.mode(), v1::SESSION_MODE_ONLINE);
  EXPECT_EQ(session.participants(0).role(), v1::SESSION_ROLE_HOST);
  EXPECT_EQ(session.participants(1).role(), v1::SESSION_ROLE_PARTICIPANT);
}

TEST(NormalizeSession, LeavesModeAndLevelUnspecified) {
  Session session = MinimalSession();
  NormalizeSession(&session);
  EXPECT_EQ(session.mode(), v1::SESSION_MODE_UNSPECIFIED);
  EXPECT_EQ(session.level(), v1::MEETING_LEVEL_UNSPECIFIED);
}

TEST(NormalizeSession, ProducesAValidSession) {
  Session session = FullSession();
  session.clear_kind();
  session.clear_status();
  NormalizeSession(&session);
  EXPECT_TRUE(ValidateSession(session, "session").ok());
}

// --- ActionPlan ------------------------------------------------------------

ActionPlan MinimalActionPlan() {
  ActionPlan plan;
  plan.set_display_name("ASEAN-Russia Energy Work Plan 2021-2025");
  plan.set_status(v1::ACTION_PLAN_STATUS_ADOPTED);
  return plan;
}

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

TEST(ValidateActionPlan, AcceptsMinimalActionPlan) {
  const absl::Status status =
      ValidateActionPlan(MinimalActionPlan(), "action_plan");
  EXPECT_TRUE(status.ok()) << status;
}

TEST(ValidateActionPlan, AcceptsFullActionPlan) {
  const absl::Status status =
      ValidateActionPlan(FullActionPlan(), "action_plan");
  EXPECT_TRUE(status.ok()) << status;
}

TEST(ValidateActionPlan, RequiresDisplayName) {
  ActionPlan plan = MinimalActionPlan();
  plan.clear_display_name();
  ExpectInvalid(ValidateActionPlan(plan, "action_plan"),
                "action_plan.display_name: is required");
}

TEST(ValidateActionPlan, LimitsDisplayNameToFiveHundredCharacters) {
  ActionPlan plan = MinimalActionPlan();
  plan.set_display_name(Cyrillic(500));
  EXPECT_TRUE(ValidateActionPlan(plan, "action_plan").ok());
  plan.set_display_name(Cyrillic(501));
  ExpectInvalid(ValidateActionPlan(plan, "action_plan"),
                "action_plan.display_name: ");
}

TEST(ValidateActionPlan, RefusesBadNameLanguage) {
  ActionPlan plan = MinimalActionPlan();
  auto* name = plan.add_names();
  name->set_text("Plan");
  name->set_language("russian");
  ExpectInvalid(ValidateActionPlan(plan, "action_plan"),
                "action_plan.names[0].language: ");
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

TEST(ValidateActionPlan, RefusesUnknownStatus) {
  ActionPlan plan = MinimalActionPlan();
  plan.set_status(static_cast<v1::ActionPlanStatus>(9));
  ExpectInvalid(ValidateActionPlan(plan, "action_plan"),
                "action_plan.status: is not a known value");
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

TEST(ValidateActionPlan, RefusesTooLongDescription) {
  ActionPlan plan = MinimalActionPlan();
  plan.set_description(std::string(10001, 'd'));
  ExpectInvalid(ValidateActionPlan(plan, "action_plan"),
                "action_plan.description: ");
}

TEST(ValidateActionPlan, RefusesBadCitationSource) {
  ActionPlan plan = MinimalActionPlan();
  plan.add_citations()->set_source("sources/Bad");
  ExpectInvalid(ValidateActionPlan(plan, "action_plan"),
                "action_plan.citations[0].source: ");
}

TEST(ValidateActionPlan, RefusesBadExternalIdScheme) {
  ActionPlan plan = MinimalActionPlan();
  AddExternalId(plan.mutable_external_ids(), "", "x");
  ExpectInvalid(ValidateActionPlan(plan, "action_plan"),
                "action_plan.external_ids[0].scheme: ");
}

// --- Statement -------------------------------------------------------------

Statement MinimalStatement() {
  Statement statement;
  statement.set_display_name("Chairman's Statement of the 30th ARF");
  statement.set_kind(v1::STATEMENT_KIND_CHAIRS_STATEMENT);
  statement.set_status(v1::STATEMENT_STATUS_ADOPTED);
  return statement;
}

Statement FullStatement() {
  Statement statement = MinimalStatement();
  statement.set_name("statements/arf-30-chair");
  auto* name = statement.add_names();
  name->set_text("Заявление председателя АРФ");
  name->set_language("ru");
  statement.set_forum("forums/arf");
  statement.mutable_adoption()->set_session("forums/arf/sessions/30");
  SetDate(statement.mutable_adoption()->mutable_date(), 2023, 7, 14);
  statement.mutable_adoption()->set_level(v1::MEETING_LEVEL_MINISTERIAL);
  statement.add_initiated_by("participants/indonesia");
  statement.add_topics("maritime security");
  statement.set_summary("The ministers reviewed the regional situation.");
  statement.set_text("1. The 30th ARF was held in Jakarta.\n2. ...");
  AddCitation(statement.mutable_citations(), "sources/arf-30");
  AddExternalId(statement.mutable_external_ids(), "akn",
                "/akn/asean/statement/2023-07-14/arf-30");
  return statement;
}

TEST(ValidateStatement, AcceptsMinimalStatement) {
  const absl::Status status =
      ValidateStatement(MinimalStatement(), "statement");
  EXPECT_TRUE(status.ok()) << status;
}

TEST(ValidateStatement, AcceptsFullStatement) {
  const absl::Status status = ValidateStatement(FullStatement(), "statement");
  EXPECT_TRUE(status.ok()) << status;
}

TEST(ValidateStatement, RequiresDisplayName) {
  Statement statement = MinimalStatement();
  statement.clear_display_name();
  ExpectInvalid(ValidateStatement(statement, "statement"),
                "statement.display_name: is required");
}

TEST(ValidateStatement, LimitsDisplayNameToFiveHundredCharacters) {
  Statement statement = MinimalStatement();
  statement.set_display_name(std::string(500, 'x'));
  EXPECT_TRUE(ValidateStatement(statement, "statement").ok());
  statement.set_display_name(std::string(501, 'x'));
  ExpectInvalid(ValidateStatement(statement, "statement"),
                "statement.display_name: ");
}

TEST(ValidateStatement, RequiresNameText) {
  Statement statement = MinimalStatement();
  statement.add_names()->set_language("en");
  ExpectInvalid(ValidateStatement(statement, "statement"),
                "statement.names[0].text: is required");
}

TEST(ValidateStatement, RequiresKind) {
  Statement statement = MinimalStatement();
  statement.clear_kind();
  ExpectInvalid(ValidateStatement(statement, "statement"),
                "statement.kind: is required");
}

TEST(ValidateStatement, RefusesUnknownKind) {
  Statement statement = MinimalStatement();
  statement.set_kind(static_cast<v1::StatementKind>(70));
  ExpectInvalid(ValidateStatement(statement, "statement"),
                "statement.kind: is not a known value");
}

TEST(ValidateStatement, RefusesForumOutsideForums) {
  for (const char* forum :
       {"participants/arf", "arf", "forums/arf/sessions/30"}) {
    Statement statement = MinimalStatement();
    statement.set_forum(forum);
    SCOPED_TRACE(forum);
    ExpectInvalid(ValidateStatement(statement, "statement"),
                  "statement.forum: ");
  }
}

TEST(ValidateStatement, RefusesAdoptionSessionThatIsNotASession) {
  Statement statement = MinimalStatement();
  statement.mutable_adoption()->set_session("forums/arf");
  ExpectInvalid(ValidateStatement(statement, "statement"),
                "statement.adoption.session: ");
}

TEST(ValidateStatement, RefusesInvalidAdoptionDate) {
  Statement statement = MinimalStatement();
  SetDate(statement.mutable_adoption()->mutable_date(), 10000);
  ExpectInvalid(ValidateStatement(statement, "statement"),
                "statement.adoption.date.year: ");
}

TEST(ValidateStatement, RefusesUnknownAdoptionLevel) {
  Statement statement = MinimalStatement();
  statement.mutable_adoption()->set_level(static_cast<v1::MeetingLevel>(-3));
  ExpectInvalid(ValidateStatement(statement, "statement"),
                "statement.adoption.level: ");
}

TEST(ValidateStatement, RefusesInitiatorOutsideParticipants) {
  Statement statement = MinimalStatement();
  statement.add_initiated_by("forums/asean");
  ExpectInvalid(ValidateStatement(statement, "statement"),
                "statement.initiated_by[0]: ");
}

TEST(ValidateStatement, RefusesInitiatorListedTwice) {
  Statement statement = MinimalStatement();
  statement.add_initiated_by("participants/russia");
  statement.add_initiated_by("participants/china");
  statement.add_initiated_by("participants/russia");
  ExpectInvalid(ValidateStatement(statement, "statement"),
                "statement.initiated_by[2]: is listed twice");
}

TEST(ValidateStatement, RefusesMoreThanOneHundredInitiators) {
  Statement statement = MinimalStatement();
  for (int i = 0; i < 101; ++i) {
    statement.add_initiated_by(absl::StrCat("participants/p", i));
  }
  ExpectInvalid(ValidateStatement(statement, "statement"),
                "statement.initiated_by: ");
}

TEST(ValidateStatement, RequiresStatus) {
  Statement statement = MinimalStatement();
  statement.clear_status();
  ExpectInvalid(ValidateStatement(statement, "statement"),
                "statement.status: is required");
}

TEST(ValidateStatement, RefusesUnknownStatus) {
  Statement statement = MinimalStatement();
  statement.set_status(static_cast<v1::StatementStatus>(3));
  ExpectInvalid(ValidateStatement(statement, "statement"),
                "statement.status: is not a known value");
}

TEST(ValidateStatement, RefusesEmptyOrTooLongTopic) {
  Statement statement = MinimalStatement();
  statement.add_topics("");
  ExpectInvalid(ValidateStatement(statement, "statement"),
                "statement.topics[0]: is required");
  statement.mutable_topics(0)->assign(std::string(201, 't'));
  ExpectInvalid(ValidateStatement(statement, "statement"),
                "statement.topics[0]: ");
}

TEST(ValidateStatement, RefusesMoreThanOneHundredTopics) {
  Statement statement = MinimalStatement();
  for (int i = 0; i < 101; ++i) statement.add_topics(absl::StrCat("t", i));
  ExpectInvalid(ValidateStatement(statement, "statement"),
                "statement.topics: ");
}

TEST(ValidateStatement, LimitsSummaryToTenThousandCharacters) {
  Statement statement = MinimalStatement();
  statement.set_summary(std::string(10000, 's'));
  EXPECT_TRUE(ValidateStatement(statement, "statement").ok());
  statement.set_summary(std::string(10001, 's'));
  ExpectInvalid(ValidateStatement(statement, "statement"),
                "statement.summary: ");
}

TEST(ValidateStatement, LimitsTextToOneMillionCharacters) {
  Statement statement = MinimalStatement();
  statement.set_text(std::string(1000000, 'x'));
  EXPECT_TRUE(ValidateStatement(statement, "statement").ok());
  statement.set_text(std::string(1000001, 'x'));
  ExpectInvalid(ValidateStatement(statement, "statement"), "statement.text: ");
}

TEST(ValidateStatement, RefusesControlCharactersInText) {
  Statement statement = MinimalStatement();
  statement.set_text("page one\fpage two");
  ExpectInvalid(ValidateStatement(statement, "statement"), "statement.text: ");
}

TEST(ValidateStatement, RefusesBadCitationSource) {
  Statement statement = MinimalStatement();
  statement.add_citations()->set_source("statements/x");
  ExpectInvalid(ValidateStatement(statement, "statement"),
                "statement.citations[0].source: ");
}

TEST(ValidateStatement, RefusesBadExternalIdValue) {
  Statement statement = MinimalStatement();
  AddExternalId(statement.mutable_external_ids(), "akn", std::string(201, 'v'));
  ExpectInvalid(ValidateStatement(statement, "statement"),
                "statement.external_ids[0].value: ");
}

// --- Source ----------------------------------------------------------------

Source MinimalSource() {
  Source source;
  source.set_display_name("Chairman's Statement of the 30th ARF");
  return source;
}

Source FullSource() {
  Source source = MinimalSource();
  source.set_name("sources/mid-1374-11-07-2023");
  source.set_publisher("participants/russia-mfa");
  source.set_document_number("1374-11-07-2023");
  source.mutable_publish_time()->set_seconds(1689000000);
  SetDate(source.mutable_publish_date(), 2023, 7, 11);
  source.set_uri("https://mid.ru/ru/foreign_policy/news/1896530/");
  source.set_language("ru");
  auto* trade = source.add_facts();
  trade->add_subjects("participants/russia");
  trade->add_subjects("forums/asean");
  trade->set_metric("trade turnover");
  SetDate(trade->mutable_period()->mutable_start(), 2022);
  SetDate(trade->mutable_period()->mutable_end(), 2022);
  trade->set_value(19.1e9);
  trade->set_unit("USD");
  trade->set_change(-4.4);
  trade->set_change_unit("percent");
  trade->set_excerpt("Товарооборот составил 19,1 млрд долларов.");
  auto* students = source.add_facts();
  students->add_subjects("participants/russia");
  students->set_metric("students");
  students->set_value(0);
  source.set_description("Press release of the Russian MFA.");
  AddExternalId(source.mutable_external_ids(), "mid-ru", "1896530");
  return source;
}

TEST(ValidateSource, AcceptsMinimalSource) {
  const absl::Status status = ValidateSource(MinimalSource(), "source");
  EXPECT_TRUE(status.ok()) << status;
}

TEST(ValidateSource, AcceptsFullSource) {
  const absl::Status status = ValidateSource(FullSource(), "source");
  EXPECT_TRUE(status.ok()) << status;
}

TEST(ValidateSource, RequiresDisplayName) {
  Source source = MinimalSource();
  source.clear_display_name();
  ExpectInvalid(ValidateSource(source, "source"),
                "source.display_name: is required");
}

TEST(ValidateSource, LimitsDisplayNameToOneThousandCharacters) {
  Source source = MinimalSource();
  source.set_display_name(Cyrillic(1000));
  EXPECT_TRUE(ValidateSource(source, "source").ok());
  source.set_display_name(Cyrillic(1001));
  ExpectInvalid(ValidateSource(source, "source"), "source.display_name: ");
}

TEST(ValidateSource, RefusesPublisherOutsideParticipants) {
  Source source = MinimalSource();
  source.set_publisher("forums/asean");
  ExpectInvalid(ValidateSource(source, "source"), "source.publisher: ");
}

TEST(ValidateSource, LimitsDocumentNumberToOneHundredCharacters) {
  Source source = MinimalSource();
  source.set_document_number(std::string(100, '1'));
  EXPECT_TRUE(ValidateSource(source, "source").ok());
  source.set_document_number(std::string(101, '1'));
  ExpectInvalid(ValidateSource(source, "source"), "source.document_number: ");
}

TEST(ValidateSource, RefusesInvalidPublishDate) {
  Source source = MinimalSource();
  SetDate(source.mutable_publish_date(), 2023, 4, 31);
  ExpectInvalid(ValidateSource(source, "source"), "source.publish_date.day: ");
}

TEST(ValidateSource, TreatsAllZeroPublishDateAsAbsent) {
  Source source = MinimalSource();
  source.mutable_publish_date();
  EXPECT_TRUE(ValidateSource(source, "source").ok());
}

TEST(ValidateSource, AcceptsHttpAndHttpsUris) {
  for (const char* uri : {"http://asean.org/", "https://mid.ru/ru/x?a=1#b"}) {
    Source source = MinimalSource();
    source.set_uri(uri);
    EXPECT_TRUE(ValidateSource(source, "source").ok()) << uri;
  }
}

TEST(ValidateSource, RefusesUriWithOtherScheme) {
  for (const char* uri :
       {"ftp://mid.ru/x", "mid.ru/ru", "javascript:alert(1)", "https://",
        "http:/mid.ru", " https://mid.ru", "file:///etc/passwd"}) {
    Source source = MinimalSource();
    source.set_uri(uri);
    SCOPED_TRACE(uri);
    ExpectInvalid(ValidateSource(source, "source"), "source.uri: ");
    EXPECT_THAT(Message(ValidateSource(source, "source")),
                HasSubstr("http:// or https://"));
  }
}

TEST(ValidateSource, LimitsUriToTwoThousandCharacters) {
  Source source = MinimalSource();
  const std::string prefix = "https://mid.ru/";
  source.set_uri(prefix + std::string(2000 - prefix.size(), 'a'));
  EXPECT_TRUE(ValidateSource(source, "source").ok());
  source.set_uri(prefix + std::string(2001 - prefix.size(), 'a'));
  ExpectInvalid(ValidateSource(source, "source"), "source.uri: ");
  EXPECT_THAT(Message(ValidateSource(source, "source")), HasSubstr("2000"));
}

TEST(ValidateSource, RefusesWhitespaceAndControlCharactersInUri) {
  for (const char* uri : {"https://mid.ru/\n", "https://mid.ru/a b",
                          "https://mid.ru/\t", "https://mid.ru/\x01"}) {
    Source source = MinimalSource();
    source.set_uri(uri);
    SCOPED_TRACE(uri);
    ExpectInvalid(ValidateSource(source, "source"), "source.uri: ");
  }
}

TEST(ValidateSource, AcceptsCommonLanguageTags) {
  for (const char* tag : {"en", "ru", "zh-Hant", "es-419", "fil"}) {
    Source source = MinimalSource();
    source.set_language(tag);
    EXPECT_TRUE(ValidateSource(source, "source").ok()) << tag;
  }
}

TEST(ValidateSource, RefusesBadLanguageTag) {
  for (const char* tag : {"e", "russian", "en_US", "en-", "1n"}) {
    Source source = MinimalSource();
    source.set_language(tag);
    SCOPED_TRACE(tag);
    ExpectInvalid(ValidateSource(source, "source"), "source.language: ");
    EXPECT_THAT(Message(ValidateSource(source, "source")), HasSubstr("BCP-47"));
  }
}

TEST(ValidateSource, AcceptsTwoHundredFactsButNotMore) {
  Source source = MinimalSource();
  for (int i = 0; i < 200; ++i) source.add_facts()->set_metric("m");
  EXPECT_TRUE(ValidateSource(source, "source").ok());
  source.add_facts()->set_metric("m");
  ExpectInvalid(ValidateSource(source, "source"), "source.facts: ");
}

TEST(ValidateSource, RequiresFactMetric) {
  Source source = MinimalSource();
  source.add_facts()->set_metric("trade");
  source.add_facts()->set_value(1);
  ExpectInvalid(ValidateSource(source, "source"),
                "source.facts[1].metric: is required");
}

TEST(ValidateSource, LimitsFactMetricToTwoHundredCharacters) {
  Source source = MinimalSource();
  source.add_facts()->set_metric(std::string(200, 'm'));
  EXPECT_TRUE(ValidateSource(source, "source").ok());
  source.mutable_facts(0)->set_metric(std::string(201, 'm'));
  ExpectInvalid(ValidateSource(source, "source"), "source.facts[0].metric: ");
}

TEST(ValidateSource, AcceptsParticipantsAndForumsAsFactSubjects) {
  Source source = MinimalSource();
  auto* fact = source.add_facts();
  fact->set_metric("trade");
  fact->add_subjects("participants/russia");
  fact->add_subjects("forums/asean");
  EXPECT_TRUE(ValidateSource(source, "source").ok());
}

TEST(ValidateSource, RefusesFactSubjectThatIsNeitherParticipantNorForum) {
  for (const char* subject :
       {"sources/x", "forums/asean/sessions/1", "russia", ""}) {
    Source source = MinimalSource();
    auto* fact = source.add_facts();
    fact->set_metric("trade");
    fact->add_subjects("participants/russia");
    fact->add_subjects(subject);
    SCOPED_TRACE(subject);
    ExpectInvalid(ValidateSource(source, "source"),
                  "source.facts[0].subjects[1]: ");
  }
}

TEST(ValidateSource, RefusesFactSubjectListedTwice) {
  Source source = MinimalSource();
  auto* fact = source.add_facts();
  fact->set_metric("trade");
  fact->add_subjects("forums/asean");
  fact->add_subjects("forums/asean");
  ExpectInvalid(ValidateSource(source, "source"),
                "source.facts[0].subjects[1]: is listed twice");
}

TEST(ValidateSource, AcceptsTwentyFactSubjectsButNotMore) {
  Source source = MinimalSource();
  auto* fact = source.add_facts();
  fact->set_metric("trade");
  for (int i = 0; i < 20; ++i) {
    fact->add_subjects(absl::StrCat("participants/p", i));
  }
  EXPECT_TRUE(ValidateSource(source, "source").ok());
  fact->add_subjects("forums/f20");
  ExpectInvalid(ValidateSource(source, "source"), "source.facts[0].subjects: ");
}

TEST(ValidateSource, RefusesFactPeriodEndingBeforeItStarts) {
  Source source = MinimalSource();
  auto* fact = source.add_facts();
  fact->set_metric("trade");
  SetDate(fact->mutable_period()->mutable_start(), 2022, 6);
  SetDate(fact->mutable_period()->mutable_end(), 2022, 5, 31);
  ExpectInvalid(ValidateSource(source, "source"),
                "source.facts[0].period.end: ");
}

TEST(ValidateSource, RefusesNonFiniteFactValue) {
  for (double value : {std::numeric_limits<double>::quiet_NaN(),
                       std::numeric_limits<double>::infinity(),
                       -std::numeric_limits<double>::infinity()}) {
    Source source = MinimalSource();
    auto* fact = source.add_facts();
    fact->set_metric("trade");
    fact->set_value(value);
    SCOPED_TRACE(value);
    ExpectInvalid(ValidateSource(source, "source"),
                  "source.facts[0].value: must be a finite number");
  }
}

TEST(ValidateSource, RefusesNonFiniteFactChange) {
  for (double change : {std::numeric_limits<double>::quiet_NaN(),
                        std::numeric_limits<double>::infinity(),
                        -std::numeric_limits<double>::infinity()}) {
    Source source = MinimalSource();
    auto* fact = source.add_facts();
    fact->set_metric("trade");
    fact->set_change(change);
    SCOPED_TRACE(change);
    ExpectInvalid(ValidateSource(source, "source"),
                  "source.facts[0].change: must be a finite number");
  }
}

TEST(ValidateSource, AcceptsNegativeAndHugeFiniteFigures) {
  Source source = MinimalSource();
  auto* fact = source.add_facts();
  fact->set_metric("balance");
  fact->set_value(-std::numeric_limits<double>::max());
  fact->set_change(std::numeric_limits<double>::denorm_min());
  EXPECT_TRUE(ValidateSource(source, "source").ok());
}

TEST(ValidateSource, LimitsFactUnitsToFiftyCharacters) {
  Source source = MinimalSource();
  auto* fact = source.add_facts();
  fact->set_metric("trade");
  fact->set_unit(std::string(50, 'u'));
  fact->set_change_unit(std::string(50, 'u'));
  EXPECT_TRUE(ValidateSource(source, "source").ok());
  fact->set_unit(std::string(51, 'u'));
  ExpectInvalid(ValidateSource(source, "source"), "source.facts[0].unit: ");
  fact->set_unit("USD");
  fact->set_change_unit(std::string(51, 'u'));
  ExpectInvalid(ValidateSource(source, "source"),
                "source.facts[0].change_unit: ");
}

TEST(ValidateSource, LimitsFactExcerptToFiveThousandCharacters) {
  Source source = MinimalSource();
  auto* fact = source.add_facts();
  fact->set_metric("trade");
  fact->set_excerpt(Cyrillic(5000));
  EXPECT_TRUE(ValidateSource(source, "source").ok());
  fact->set_excerpt(Cyrillic(5001));
  ExpectInvalid(ValidateSource(source, "source"), "source.facts[0].excerpt: ");
}

TEST(ValidateSource, RefusesTooLongDescription) {
  Source source = MinimalSource();
  source.set_description(std::string(10001, 'd'));
  ExpectInvalid(ValidateSource(source, "source"), "source.description: ");
}

TEST(ValidateSource, RefusesBadExternalIdScheme) {
  Source source = MinimalSource();
  AddExternalId(source.mutable_external_ids(), "AKN", "/akn/x");
  ExpectInvalid(ValidateSource(source, "source"),
                "source.external_ids[0].scheme: ");
}

}  // namespace
}  // namespace forum_registry::domain
