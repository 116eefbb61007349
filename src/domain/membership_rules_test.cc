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
using ::forum_registry::domain::rules_test::MinimalMembership;
using ::forum_registry::domain::rules_test::SetDate;
using ::testing::HasSubstr;
using v1::Membership;

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

}  // namespace
}  // namespace forum_registry::domain
