// Unit tests of ValidateSource (resource_rules.cc): display name, publisher,
// document number, publish date, URI (http or https only), language, the
// facts it reports (metric, subjects, period, finite figures, units,
// excerpt), description and external ids of a Source.

#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "forumregistry/v1/common.pb.h"
#include "forumregistry/v1/source.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/domain/resource_rules.h"
#include "src/domain/rules_test_support.h"

namespace forum_registry::domain {
namespace {

namespace v1 = forumregistry::v1;
using ::forum_registry::domain::rules_test::AddExternalId;
using ::forum_registry::domain::rules_test::Cyrillic;
using ::forum_registry::domain::rules_test::ExpectInvalid;
using ::forum_registry::domain::rules_test::Message;
using ::forum_registry::domain::rules_test::MinimalSource;
using ::forum_registry::domain::rules_test::SetDate;
using ::testing::HasSubstr;
using v1::Source;

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

TEST(ValidateSource, AcceptsFullSource) {
  const absl::Status status = ValidateSource(FullSource(), "source");
  EXPECT_TRUE(status.ok()) << status;
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

}  // namespace
}  // namespace forum_registry::domain
