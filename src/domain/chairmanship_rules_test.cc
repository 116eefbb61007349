// Unit tests of ValidateChairmanship and NormalizeChairmanship
// (resource_rules.cc): the chairs (one to ten participants), the term, the
// chairmanship it continues (of the same forum, not itself), the status and
// its default, description, citations and external ids.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "forumregistry/v1/chairmanship.pb.h"
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
using ::forum_registry::domain::rules_test::MinimalChairmanship;
using ::forum_registry::domain::rules_test::SetDate;
using ::testing::HasSubstr;
using v1::Chairmanship;

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

}  // namespace
}  // namespace forum_registry::domain
