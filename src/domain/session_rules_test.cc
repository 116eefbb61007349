// Unit tests of ValidateSession and NormalizeSession (resource_rules.cc):
// display name, kind, level, mode, status, ordinal, parent session, start and
// end dates, venue, participants and their roles and representatives,
// topics, description, citations and external ids; and the defaults
// NormalizeSession fills in.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "forumregistry/v1/common.pb.h"
#include "forumregistry/v1/session.pb.h"
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
using ::forum_registry::domain::rules_test::MinimalSession;
using ::forum_registry::domain::rules_test::SetDate;
using ::testing::HasSubstr;
using v1::Session;

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

TEST(ValidateSession, LimitsDisplayNameToThreeHundredCharacters) {
  Session session = MinimalSession();
  session.set_display_name(Cyrillic(300));
  EXPECT_TRUE(ValidateSession(session, "session").ok());
  session.set_display_name(Cyrillic(301));
  ExpectInvalid(ValidateSession(session, "session"), "session.display_name: ");
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

}  // namespace
}  // namespace forum_registry::domain
