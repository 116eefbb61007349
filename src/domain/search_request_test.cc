#include "src/domain/search_request.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace forum_registry::domain {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

void ExpectInvalid(const absl::StatusOr<SearchQuery>& query,
                   const std::string& message) {
  ASSERT_FALSE(query.ok()) << message;
  EXPECT_EQ(query.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(query.status().message(), HasSubstr(message));
}

TEST(ParseSearchRequest, ResolvesTypesToSortedCollectionsAndPageSizes) {
  const absl::StatusOr<SearchQuery> query = ParseSearchRequest(
      "ASEAN Regional Forum", {"sessions", "forumregistry.org/Forum", "forums"},
      "", 0);
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ(query->text, "ASEAN Regional Forum");
  EXPECT_THAT(query->collections, ElementsAre("forums", "sessions"));
  EXPECT_FALSE(query->filter.has_value());
  EXPECT_EQ(query->page_size, kDefaultSearchPageSize);
  EXPECT_EQ(ParseSearchRequest("x", {}, "", 500)->page_size,
            kMaxSearchPageSize);
  EXPECT_EQ(ParseSearchRequest("x", {}, "", 7)->page_size, 7);
}

TEST(ParseSearchRequest, KeepsTheWordsForNamesApartFromTheExcludedOnes) {
  absl::StatusOr<SearchQuery> query =
      ParseSearchRequest("\"East Asia\" or EAS -tourism -", {}, "", 0);
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ(query->text, "\"East Asia\" or EAS -tourism -");
  EXPECT_EQ(query->fuzzy_text, "East Asia EAS");
  EXPECT_EQ(query->excluded, "tourism");
  query = ParseSearchRequest("-a -b c", {}, "", 0);
  EXPECT_EQ(query->fuzzy_text, "c");
  EXPECT_EQ(query->excluded, "a or b");
  // An excluded phrase is excluded whole; a '-' inside a phrase or a word
  // is part of it.
  query = ParseSearchRequest("summit -\"East Asia\" \"x -y\" Russia-ASEAN", {},
                             "", 0);
  EXPECT_EQ(query->fuzzy_text, "summit x -y Russia-ASEAN");
  EXPECT_EQ(query->excluded, "\"East Asia\"");
}

TEST(ParseSearchRequest, RefusesBadQueriesNamingTheField) {
  ExpectInvalid(ParseSearchRequest("", {}, "", 0), "query: is required");
  ExpectInvalid(ParseSearchRequest(" \t ", {}, "", 0), "query: is required");
  ExpectInvalid(ParseSearchRequest(std::string(257, 'a'), {}, "", 0),
                "query: must be at most 256 characters");
  std::string many;
  for (int i = 0; i < 33; ++i) many += "w ";
  ExpectInvalid(ParseSearchRequest(many, {}, "", 0),
                "query: must have at most 32 words, got 33");
  // Words as the parser reads them, whatever separates them.
  std::string commas = "w";
  for (int i = 0; i < 40; ++i) commas += ",w";
  ExpectInvalid(ParseSearchRequest(commas, {}, "", 0),
                "query: must have at most 32 words, got 41");
  ExpectInvalid(ParseSearchRequest(std::string("a\0b", 3), {}, "", 0),
                "query: must not contain control characters");
  ExpectInvalid(ParseSearchRequest("x", {"forums", "Forum"}, "", 0),
                "types[1]: \"Forum\" is not a kind of record");
  ExpectInvalid(ParseSearchRequest("x", {}, "", -1),
                "page_size: must not be negative");
}

TEST(ParseSearchRequest, TakesFiltersOnSourcesAndExternalIdsOnly) {
  const absl::StatusOr<SearchQuery> query = ParseSearchRequest(
      "x", {},
      "citations.source = \"sources/mfa\" AND external_ids:\"wikidata:Q7768\"",
      0);
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ(filter::Canonical(query->filter),
            "AND(citations.source:\"sources/mfa\", "
            "external_ids:\"wikidata:Q7768\")");
  ExpectInvalid(ParseSearchRequest("x", {}, "kind = SUMMIT", 0),
                "filter: at position 1");
  ExpectInvalid(
      ParseSearchRequest("x", {}, "citations.source = \"forums/arf\"", 0),
      "citations.source");
  ExpectInvalid(ParseSearchRequest("x", {}, "external_ids:\"Q7768\"", 0),
                "external_ids: \"Q7768\" is not an external id");
  ExpectInvalid(ParseSearchRequest("x", {}, "external_ids:\"Wiki data:Q1\"", 0),
                "is not an external id");
  ExpectInvalid(ParseSearchRequest("x", {}, "external_ids:\"wikidata:\"", 0),
                "external_ids: is required");
  ExpectInvalid(ParseSearchRequest("x", {}, "citations.source = \"\"", 0),
                "citations.source");
}

TEST(SearchFingerprint, IgnoresTheSpellingOfTypesAndTellsQueriesApart) {
  const auto fingerprint = [](const std::string& text,
                              std::vector<std::string> types) {
    return SearchFingerprint(*ParseSearchRequest(text, types, "", 0));
  };
  EXPECT_EQ(fingerprint("arf", {"forums", "sessions"}),
            fingerprint("arf", {"forumregistry.org/Session", "forums"}));
  EXPECT_NE(fingerprint("arf", {}), fingerprint("arf", {"forums"}));
  EXPECT_NE(fingerprint("arf", {}), fingerprint("asean", {}));
}

TEST(SplitHighlights, GivesPlainTextAndRangesInCodePoints) {
  const std::string s(kHighlightStart), e(kHighlightEnd);
  HighlightedText out =
      SplitHighlights("The " + s + "ASEAN" + e + " " + s + "Regional" + e +
                      " " + s + "Forum" + e + ", " + s + "АРФ" + e + ".");
  EXPECT_EQ(out.text, "The ASEAN Regional Forum, АРФ.");
  EXPECT_THAT(out.highlights, ElementsAre(Pair(4, 24), Pair(26, 29)));

  out = SplitHighlights("no marks");
  EXPECT_EQ(out.text, "no marks");
  EXPECT_TRUE(out.highlights.empty());

  // An unclosed mark runs to the end; stray ends and empty ranges vanish.
  out = SplitHighlights(e + "форум " + s + s + e + "x" + s + "ab");
  EXPECT_EQ(out.text, "форум xab");
  EXPECT_THAT(out.highlights, ElementsAre(Pair(7, 9)));
}

TEST(ValidateLookupExternalId, TakesSchemeColonValue) {
  EXPECT_TRUE(ValidateLookupExternalId("wikidata:Q7768").ok());
  EXPECT_TRUE(ValidateLookupExternalId("iso3166-1:RU").ok());
  EXPECT_TRUE(ValidateLookupExternalId("Wikidata:q7768").ok());
  for (const char* bad : {"", "Q7768", ":Q1", "wiki data:Q1", "wikidata:"}) {
    const absl::Status status = ValidateLookupExternalId(bad);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(status.message(), HasSubstr("external_id: ")) << bad;
  }
}

}  // namespace
}  // namespace forum_registry::domain
