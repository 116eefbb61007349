// Unit tests of ValidateStatement (resource_rules.cc): display name, names,
// kind, forum, adoption, initiators, status, topics, summary, text,
// citations and external ids of a Statement.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "forumregistry/v1/common.pb.h"
#include "forumregistry/v1/statement.pb.h"
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
using ::forum_registry::domain::rules_test::MinimalStatement;
using ::forum_registry::domain::rules_test::SetDate;
using v1::Statement;

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

TEST(ValidateStatement, AcceptsFullStatement) {
  const absl::Status status = ValidateStatement(FullStatement(), "statement");
  EXPECT_TRUE(status.ok()) << status;
}

TEST(ValidateStatement, LimitsDisplayNameToFiveHundredCharacters) {
  Statement statement = MinimalStatement();
  statement.set_display_name(std::string(500, 'x'));
  EXPECT_TRUE(ValidateStatement(statement, "statement").ok());
  statement.set_display_name(std::string(501, 'x'));
  ExpectInvalid(ValidateStatement(statement, "statement"),
                "statement.display_name: ");
}

TEST(ValidateStatement, RequiresKind) {
  Statement statement = MinimalStatement();
  statement.clear_kind();
  ExpectInvalid(ValidateStatement(statement, "statement"),
                "statement.kind: is required");
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

}  // namespace
}  // namespace forum_registry::domain
