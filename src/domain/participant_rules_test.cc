// Unit tests of ValidateParticipant (resource_rules.cc): kind, display
// name, names, roles (their titles, whose they are and their periods),
// affiliation, description, external ids and citations of a Participant.

#include <string>

#include "absl/status/status.h"
#include "forumregistry/v1/common.pb.h"
#include "forumregistry/v1/participant.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/domain/resource_rules.h"
#include "src/domain/rules_test_support.h"

namespace forum_registry::domain {
namespace {

using ::forum_registry::domain::rules_test::Cyrillic;
using ::forum_registry::domain::rules_test::ExpectInvalid;
using ::forum_registry::domain::rules_test::MinimalParticipant;
using forumregistry::v1::Participant;
using forumregistry::v1::ParticipantKind;
using ::testing::HasSubstr;

Participant FullParticipant() {
  Participant participant;
  participant.set_name("participants/sergey-lavrov");
  participant.set_kind(forumregistry::v1::PARTICIPANT_KIND_PERSON);
  participant.set_display_name("Sergey Lavrov");
  auto* name = participant.add_names();
  name->set_text("Сергей Лавров");
  name->set_language("ru");
  auto* role = participant.add_roles();
  role->set_title("Minister of Foreign Affairs");
  role->set_of("participants/russia");
  role->mutable_period()->mutable_start()->set_year(2004);
  role->mutable_period()->mutable_start()->set_month(3);
  role->mutable_period()->mutable_start()->set_day(9);
  participant.set_affiliation("participants/russia");
  auto* external_id = participant.add_external_ids();
  external_id->set_scheme("wikidata");
  external_id->set_value("Q161155");
  auto* citation = participant.add_citations();
  citation->set_source("sources/mid-ru");
  return participant;
}

TEST(ValidateParticipant, AcceptsFullParticipant) {
  const absl::Status status =
      ValidateParticipant(FullParticipant(), "participant");
  EXPECT_TRUE(status.ok()) << status;
}

TEST(ValidateParticipant, RequiresKind) {
  Participant participant = MinimalParticipant();
  participant.clear_kind();
  ExpectInvalid(ValidateParticipant(participant, "participant"),
                "participant.kind: is required");
}

TEST(ValidateParticipant, CountsDisplayNameLengthInCodePoints) {
  Participant participant = MinimalParticipant();
  participant.set_display_name(Cyrillic(300));
  EXPECT_TRUE(ValidateParticipant(participant, "participant").ok());
  participant.set_display_name(Cyrillic(301));
  ExpectInvalid(ValidateParticipant(participant, "participant"),
                "participant.display_name: ");
}

TEST(ValidateParticipant, RequiresRoleTitle) {
  Participant participant = MinimalParticipant();
  participant.add_roles()->set_of("participants/russia");
  ExpectInvalid(ValidateParticipant(participant, "participant"),
                "participant.roles[0].title: is required");
}

TEST(ValidateParticipant, RequiresRoleOfToBeAParticipantName) {
  for (const char* of :
       {"forums/arf", "russia", "participants/", "participants/Russia"}) {
    Participant participant = MinimalParticipant();
    auto* role = participant.add_roles();
    role->set_title("Minister");
    role->set_of(of);
    SCOPED_TRACE(of);
    ExpectInvalid(ValidateParticipant(participant, "participant"),
                  "participant.roles[0].of: ");
  }
}

TEST(ValidateParticipant, AllowsRoleWithoutOf) {
  Participant participant = MinimalParticipant();
  participant.add_roles()->set_title("Envoy");
  EXPECT_TRUE(ValidateParticipant(participant, "participant").ok());
}

TEST(ValidateParticipant, RejectsRolePeriodEndingBeforeItStarts) {
  Participant participant = MinimalParticipant();
  auto* role = participant.add_roles();
  role->set_title("Minister");
  role->mutable_period()->mutable_start()->set_year(2004);
  role->mutable_period()->mutable_end()->set_year(2003);
  ExpectInvalid(ValidateParticipant(participant, "participant"),
                "participant.roles[0].period.end: ");
}

TEST(ValidateParticipant, ReportsIndexOfBadRole) {
  Participant participant = MinimalParticipant();
  participant.add_roles()->set_title("Minister");
  participant.add_roles()->set_title("");
  ExpectInvalid(ValidateParticipant(participant, "participant"),
                "participant.roles[1].title: ");
}

TEST(ValidateParticipant, RejectsAffiliationOutsideParticipants) {
  Participant participant = MinimalParticipant();
  participant.set_affiliation("forums/asean");
  ExpectInvalid(ValidateParticipant(participant, "participant"),
                "participant.affiliation: ");
}

TEST(ValidateParticipant, RejectsAffiliationToItself) {
  Participant participant = MinimalParticipant();
  participant.set_name("participants/russia");
  participant.set_affiliation("participants/russia");
  ExpectInvalid(ValidateParticipant(participant, "participant"),
                "participant.affiliation: ");
  EXPECT_THAT(
      std::string(ValidateParticipant(participant, "participant").message()),
      HasSubstr("itself"));
}

}  // namespace
}  // namespace forum_registry::domain
