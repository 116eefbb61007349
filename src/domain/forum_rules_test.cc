// Unit tests of ValidateForum (resource_rules.cc): what a Forum must hold
// (lengths in code points, control characters, its parent, its dates, its
// initiators, its topics). The rules every kind shares (description, names,
// external ids, citations, enum values) are tested once, for every kind, in
// common_rules_test.cc. Each refusal is INVALID_ARGUMENT with a message that
// starts with the offending field.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "forumregistry/v1/common.pb.h"
#include "forumregistry/v1/forum.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/domain/resource_rules.h"
#include "src/domain/rules_test_support.h"

namespace forum_registry::domain {
namespace {

using ::forum_registry::domain::rules_test::Cyrillic;
using ::forum_registry::domain::rules_test::ExpectInvalid;
using ::forum_registry::domain::rules_test::MinimalForum;
using forumregistry::v1::Cadence;
using forumregistry::v1::Forum;
using forumregistry::v1::ForumKind;
using forumregistry::v1::ForumStatus;
using forumregistry::v1::MeetingLevel;
using forumregistry::v1::NameKind;
using ::testing::HasSubstr;

Forum FullForum() {
  Forum forum = MinimalForum();
  forum.set_name("forums/arf");
  auto* name = forum.add_names();
  name->set_text("ARF");
  name->set_language("en");
  name->set_kind(forumregistry::v1::NAME_KIND_ACRONYM);
  auto* former = forum.add_names();
  former->set_text("Региональный форум АСЕАН");
  former->set_language("ru");
  former->set_kind(forumregistry::v1::NAME_KIND_FORMER);
  former->mutable_validity()->mutable_start()->set_year(1994);
  former->mutable_validity()->mutable_end()->set_year(2000);
  forum.set_parent("forums/asean");
  forum.mutable_founded()->set_year(1994);
  forum.mutable_founded()->set_month(7);
  forum.mutable_founded()->set_day(25);
  forum.mutable_dissolved()->set_year(1994);
  forum.mutable_dissolved()->set_month(7);
  forum.add_initiated_by("participants/asean");
  forum.add_initiated_by("participants/russia");
  forum.set_meeting_level(forumregistry::v1::MEETING_LEVEL_MINISTERIAL);
  forum.set_cadence(forumregistry::v1::CADENCE_ANNUAL);
  forum.set_status(forumregistry::v1::FORUM_STATUS_ACTIVE);
  forum.set_description("Security dialogue.\nSince 1994.\tAnnual.\r\n");
  forum.add_topics("ict security");
  auto* external_id = forum.add_external_ids();
  external_id->set_scheme("wikidata");
  external_id->set_value("Q1140826");
  auto* citation = forum.add_citations();
  citation->set_source("sources/arf-chairman-statement-1994");
  citation->set_excerpt("The ARF met for the first time.");
  citation->set_locator("paragraph 3");
  return forum;
}

TEST(ValidateForum, AcceptsFullForum) {
  const absl::Status status = ValidateForum(FullForum(), "forum");
  EXPECT_TRUE(status.ok()) << status;
}

TEST(ValidateForum, RequiresKind) {
  Forum forum = MinimalForum();
  forum.clear_kind();
  ExpectInvalid(ValidateForum(forum, "forum"), "forum.kind: is required");
}

TEST(ValidateForum, AcceptsDisplayNameOfThreeHundredCharacters) {
  Forum forum = MinimalForum();
  forum.set_display_name(std::string(300, 'a'));
  EXPECT_TRUE(ValidateForum(forum, "forum").ok());
}

TEST(ValidateForum, RejectsDisplayNameOfThreeHundredAndOneCharacters) {
  Forum forum = MinimalForum();
  forum.set_display_name(std::string(301, 'a'));
  ExpectInvalid(ValidateForum(forum, "forum"), "forum.display_name: ");
  EXPECT_THAT(std::string(ValidateForum(forum, "forum").message()),
              HasSubstr("300"));
}

TEST(ValidateForum, CountsDisplayNameLengthInCodePointsNotBytes) {
  Forum forum = MinimalForum();
  forum.set_display_name(Cyrillic(300));
  ASSERT_EQ(forum.display_name().size(), 600u);
  EXPECT_TRUE(ValidateForum(forum, "forum").ok())
      << ValidateForum(forum, "forum");

  forum.set_display_name(Cyrillic(301));
  ExpectInvalid(ValidateForum(forum, "forum"), "forum.display_name: ");
}

TEST(ValidateForum, CountsFourByteCharactersAsOne) {
  Forum forum = MinimalForum();
  std::string emoji;
  for (int i = 0; i < 300; ++i) emoji += "\xF0\x9F\x8C\x8F";  // U+1F30F
  forum.set_display_name(emoji);
  EXPECT_TRUE(ValidateForum(forum, "forum").ok());
}

TEST(ValidateForum, RejectsControlCharacters) {
  for (const std::string& bad :
       {std::string("ARF\x01"), std::string("A\0RF", 4), std::string("ARF\x1b"),
        std::string("ARF\x7f")}) {
    Forum forum = MinimalForum();
    forum.set_display_name(bad);
    ExpectInvalid(ValidateForum(forum, "forum"), "forum.display_name: ");
    EXPECT_THAT(std::string(ValidateForum(forum, "forum").message()),
                HasSubstr("control characters"));
  }
}

TEST(ValidateForum, RejectsParentInAnotherCollection) {
  Forum forum = MinimalForum();
  forum.set_parent("participants/asean");
  ExpectInvalid(ValidateForum(forum, "forum"), "forum.parent: ");
}

TEST(ValidateForum, RejectsMalformedParent) {
  Forum forum = MinimalForum();
  forum.set_parent("asean");
  ExpectInvalid(ValidateForum(forum, "forum"), "forum.parent: ");
}

TEST(ValidateForum, RejectsForumAsItsOwnParent) {
  Forum forum = MinimalForum();
  forum.set_name("forums/arf");
  forum.set_parent("forums/arf");
  ExpectInvalid(ValidateForum(forum, "forum"), "forum.parent: ");
  EXPECT_THAT(std::string(ValidateForum(forum, "forum").message()),
              HasSubstr("own parent"));
}

TEST(ValidateForum, RejectsInvalidFoundedDate) {
  Forum forum = MinimalForum();
  forum.mutable_founded()->set_year(2023);
  forum.mutable_founded()->set_month(2);
  forum.mutable_founded()->set_day(29);
  ExpectInvalid(ValidateForum(forum, "forum"), "forum.founded.day: ");
}

TEST(ValidateForum, TreatsAllZeroDatesAsAbsent) {
  Forum forum = MinimalForum();
  forum.mutable_founded();
  forum.mutable_dissolved();
  EXPECT_TRUE(ValidateForum(forum, "forum").ok());
}

TEST(ValidateForum, RejectsDissolvedBeforeFounded) {
  Forum forum = MinimalForum();
  forum.mutable_founded()->set_year(2000);
  forum.mutable_dissolved()->set_year(1999);
  ExpectInvalid(ValidateForum(forum, "forum"), "forum.dissolved: ");
}

TEST(ValidateForum, ComparesFoundedAndDissolvedAtMixedPrecision) {
  Forum forum = MinimalForum();
  forum.mutable_founded()->set_year(2023);
  forum.mutable_founded()->set_month(6);
  forum.mutable_founded()->set_day(15);
  forum.mutable_dissolved()->set_year(2023);
  forum.mutable_dissolved()->set_month(6);
  EXPECT_TRUE(ValidateForum(forum, "forum").ok());

  forum.mutable_founded()->set_month(7);
  forum.mutable_founded()->set_day(0);
  forum.mutable_dissolved()->set_day(30);
  ExpectInvalid(ValidateForum(forum, "forum"), "forum.dissolved: ");
}

TEST(ValidateForum, RejectsBadInitiatorName) {
  Forum forum = MinimalForum();
  forum.add_initiated_by("forums/asean");
  ExpectInvalid(ValidateForum(forum, "forum"), "forum.initiated_by[0]: ");
}

TEST(ValidateForum, RejectsEmptyInitiatorName) {
  Forum forum = MinimalForum();
  forum.add_initiated_by("");
  ExpectInvalid(ValidateForum(forum, "forum"),
                "forum.initiated_by[0]: is required");
}

TEST(ValidateForum, RejectsDuplicateInitiator) {
  Forum forum = MinimalForum();
  forum.add_initiated_by("participants/russia");
  forum.add_initiated_by("participants/russia");
  ExpectInvalid(ValidateForum(forum, "forum"), "forum.initiated_by[1]: ");
  EXPECT_THAT(std::string(ValidateForum(forum, "forum").message()),
              HasSubstr("listed twice"));
}

TEST(ValidateForum, RejectsEmptyTopic) {
  Forum forum = MinimalForum();
  forum.add_topics("");
  ExpectInvalid(ValidateForum(forum, "forum"), "forum.topics[0]: is required");
}

TEST(ValidateForum, RejectsTooLongTopic) {
  Forum forum = MinimalForum();
  forum.add_topics("energy");
  forum.add_topics(std::string(201, 't'));
  ExpectInvalid(ValidateForum(forum, "forum"), "forum.topics[1]: ");
}

TEST(ValidateForum, RejectsMoreThanOneHundredTopics) {
  Forum forum = MinimalForum();
  for (int i = 0; i < 101; ++i) forum.add_topics(absl::StrCat("topic ", i));
  ExpectInvalid(ValidateForum(forum, "forum"), "forum.topics: ");
}

TEST(ValidateForum, IgnoresOutputOnlyFields) {
  Forum forum = MinimalForum();
  forum.set_etag("whatever");
  forum.mutable_create_time()->set_seconds(1);
  EXPECT_TRUE(ValidateForum(forum, "forum").ok());
}

}  // namespace
}  // namespace forum_registry::domain
