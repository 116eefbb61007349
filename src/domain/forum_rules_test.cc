// Unit tests of ValidateForum (resource_rules.cc): what a Forum must hold,
// and the rules every kind shares (lengths in code points, control
// characters, names, language tags, dates, external ids, citations) as a
// forum meets them. Each refusal is INVALID_ARGUMENT with a message that
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
using forumregistry::v1::Cadence;
using forumregistry::v1::Forum;
using forumregistry::v1::ForumKind;
using forumregistry::v1::ForumStatus;
using forumregistry::v1::MeetingLevel;
using forumregistry::v1::NameKind;
using ::testing::HasSubstr;

Forum MinimalForum() {
  Forum forum;
  forum.set_kind(forumregistry::v1::FORUM_KIND_MINISTERIAL);
  forum.set_display_name("ASEAN Regional Forum");
  return forum;
}

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

TEST(ValidateForum, AcceptsMinimalForum) {
  const absl::Status status = ValidateForum(MinimalForum(), "forum");
  EXPECT_TRUE(status.ok()) << status;
}

TEST(ValidateForum, AcceptsFullForum) {
  const absl::Status status = ValidateForum(FullForum(), "forum");
  EXPECT_TRUE(status.ok()) << status;
}

TEST(ValidateForum, ErrorsStartWithTheFieldGiven) {
  Forum forum = MinimalForum();
  forum.clear_display_name();
  ExpectInvalid(ValidateForum(forum, "request.forum"),
                "request.forum.display_name: is required");
}

TEST(ValidateForum, RequiresKind) {
  Forum forum = MinimalForum();
  forum.clear_kind();
  ExpectInvalid(ValidateForum(forum, "forum"), "forum.kind: is required");
}

TEST(ValidateForum, RejectsUnknownKind) {
  Forum forum = MinimalForum();
  forum.set_kind(static_cast<ForumKind>(99));
  ExpectInvalid(ValidateForum(forum, "forum"), "forum.kind: ");
  EXPECT_THAT(std::string(ValidateForum(forum, "forum").message()),
              HasSubstr("not a known value"));
}

TEST(ValidateForum, RequiresDisplayName) {
  Forum forum = MinimalForum();
  forum.clear_display_name();
  ExpectInvalid(ValidateForum(forum, "forum"),
                "forum.display_name: is required");
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

TEST(ValidateForum, AllowsTabAndLineBreaksInDescription) {
  Forum forum = MinimalForum();
  forum.set_description("line one\nline two\r\n\tindented");
  EXPECT_TRUE(ValidateForum(forum, "forum").ok());
}

TEST(ValidateForum, RejectsControlCharacterInDescription) {
  Forum forum = MinimalForum();
  forum.set_description("bell\x07");
  ExpectInvalid(ValidateForum(forum, "forum"), "forum.description: ");
}

TEST(ValidateForum, RejectsTooLongDescription) {
  Forum forum = MinimalForum();
  forum.set_description(std::string(10000, 'a'));
  EXPECT_TRUE(ValidateForum(forum, "forum").ok());
  forum.set_description(std::string(10001, 'a'));
  ExpectInvalid(ValidateForum(forum, "forum"), "forum.description: ");
}

TEST(ValidateForum, RequiresNameText) {
  Forum forum = MinimalForum();
  forum.add_names()->set_text("ARF");
  forum.add_names()->set_language("en");
  ExpectInvalid(ValidateForum(forum, "forum"),
                "forum.names[1].text: is required");
}

TEST(ValidateForum, RejectsTooLongNameText) {
  Forum forum = MinimalForum();
  forum.add_names()->set_text(std::string(500, 'a'));
  EXPECT_TRUE(ValidateForum(forum, "forum").ok());
  forum.mutable_names(0)->set_text(std::string(501, 'a'));
  ExpectInvalid(ValidateForum(forum, "forum"), "forum.names[0].text: ");
}

TEST(ValidateForum, RejectsBadNameLanguage) {
  for (const char* tag :
       {"e", "english", "en_US", "en-", "1n", "en-toolongtag"}) {
    Forum forum = MinimalForum();
    auto* name = forum.add_names();
    name->set_text("ARF");
    name->set_language(tag);
    SCOPED_TRACE(tag);
    ExpectInvalid(ValidateForum(forum, "forum"), "forum.names[0].language: ");
  }
}

TEST(ValidateForum, AcceptsCommonLanguageTags) {
  for (const char* tag : {"en", "ru", "zh-Hant", "id-ID", "fil", "es-419"}) {
    Forum forum = MinimalForum();
    auto* name = forum.add_names();
    name->set_text("ARF");
    name->set_language(tag);
    EXPECT_TRUE(ValidateForum(forum, "forum").ok()) << tag;
  }
}

TEST(ValidateForum, RejectsUnknownNameKind) {
  Forum forum = MinimalForum();
  auto* name = forum.add_names();
  name->set_text("ARF");
  name->set_kind(static_cast<NameKind>(42));
  ExpectInvalid(ValidateForum(forum, "forum"), "forum.names[0].kind: ");
}

TEST(ValidateForum, RejectsNameValidityEndingBeforeItStarts) {
  Forum forum = MinimalForum();
  auto* name = forum.add_names();
  name->set_text("ARF");
  name->mutable_validity()->mutable_start()->set_year(2000);
  name->mutable_validity()->mutable_end()->set_year(1999);
  ExpectInvalid(ValidateForum(forum, "forum"), "forum.names[0].validity.end: ");
}

TEST(ValidateForum, RejectsMoreThanOneHundredNames) {
  Forum forum = MinimalForum();
  for (int i = 0; i < 101; ++i) forum.add_names()->set_text("n");
  ExpectInvalid(ValidateForum(forum, "forum"), "forum.names: ");
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

TEST(ValidateForum, RejectsUnknownMeetingLevel) {
  Forum forum = MinimalForum();
  forum.set_meeting_level(static_cast<MeetingLevel>(99));
  ExpectInvalid(ValidateForum(forum, "forum"), "forum.meeting_level: ");
}

TEST(ValidateForum, RejectsUnknownCadence) {
  Forum forum = MinimalForum();
  forum.set_cadence(static_cast<Cadence>(-1));
  ExpectInvalid(ValidateForum(forum, "forum"), "forum.cadence: ");
}

TEST(ValidateForum, RejectsUnknownStatus) {
  Forum forum = MinimalForum();
  forum.set_status(static_cast<ForumStatus>(5));
  ExpectInvalid(ValidateForum(forum, "forum"), "forum.status: ");
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

TEST(ValidateForum, RejectsBadExternalIdScheme) {
  for (const char* scheme :
       {"", "Wikidata", "1wikidata", "-wikidata", "wiki data", "wiki_data",
        "abcdefghijklmnopqrstuvwxyz1234567"}) {
    Forum forum = MinimalForum();
    auto* id = forum.add_external_ids();
    id->set_scheme(scheme);
    id->set_value("Q1");
    SCOPED_TRACE(scheme);
    ExpectInvalid(ValidateForum(forum, "forum"),
                  "forum.external_ids[0].scheme: ");
  }
}

TEST(ValidateForum, RequiresExternalIdValue) {
  Forum forum = MinimalForum();
  forum.add_external_ids()->set_scheme("wikidata");
  ExpectInvalid(ValidateForum(forum, "forum"),
                "forum.external_ids[0].value: is required");
}

TEST(ValidateForum, RejectsDuplicateExternalId) {
  Forum forum = MinimalForum();
  for (int i = 0; i < 2; ++i) {
    auto* id = forum.add_external_ids();
    id->set_scheme("wikidata");
    id->set_value("Q1");
  }
  ExpectInvalid(ValidateForum(forum, "forum"), "forum.external_ids[1]: ");
}

TEST(ValidateForum, AllowsSameValueInDifferentSchemes) {
  Forum forum = MinimalForum();
  for (const char* scheme : {"iso3166-1", "un-symbol"}) {
    auto* id = forum.add_external_ids();
    id->set_scheme(scheme);
    id->set_value("RU");
  }
  EXPECT_TRUE(ValidateForum(forum, "forum").ok());
}

TEST(ValidateForum, RejectsCitationSourceOutsideSources) {
  Forum forum = MinimalForum();
  forum.add_citations()->set_source("forums/arf");
  ExpectInvalid(ValidateForum(forum, "forum"), "forum.citations[0].source: ");
}

TEST(ValidateForum, RequiresCitationSource) {
  Forum forum = MinimalForum();
  forum.add_citations()->set_excerpt("quoted");
  ExpectInvalid(ValidateForum(forum, "forum"),
                "forum.citations[0].source: is required");
}

TEST(ValidateForum, RejectsTooLongCitationExcerpt) {
  Forum forum = MinimalForum();
  auto* citation = forum.add_citations();
  citation->set_source("sources/a");
  citation->set_excerpt(Cyrillic(5000));
  EXPECT_TRUE(ValidateForum(forum, "forum").ok());
  citation->set_excerpt(Cyrillic(5001));
  ExpectInvalid(ValidateForum(forum, "forum"), "forum.citations[0].excerpt: ");
}

TEST(ValidateForum, IgnoresOutputOnlyFields) {
  Forum forum = MinimalForum();
  forum.set_etag("whatever");
  forum.mutable_create_time()->set_seconds(1);
  EXPECT_TRUE(ValidateForum(forum, "forum").ok());
}

}  // namespace
}  // namespace forum_registry::domain
