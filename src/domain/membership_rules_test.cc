// Unit tests of ValidateMembership (resource_rules.cc): the member (a
// participant or another forum, never the forum itself), role, period,
// description, citations and external ids of a Membership.

#include <string>

#include "absl/status/status.h"
#include "forumregistry/v1/common.pb.h"
#include "forumregistry/v1/membership.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/domain/resource_rules.h"
#include "src/domain/rules_test_support.h"

namespace forum_registry::domain {
namespace {

namespace v1 = forumregistry::v1;
using ::forum_registry::domain::rules_test::AddCitation;
using ::forum_registry::domain::rules_test::AddExternalId;
using ::forum_registry::domain::rules_test::ExpectInvalid;
using ::forum_registry::domain::rules_test::Message;
using ::forum_registry::domain::rules_test::SetDate;
using ::testing::HasSubstr;
using v1::Membership;

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

}  // namespace
}  // namespace forum_registry::domain
