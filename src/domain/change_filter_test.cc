#include "src/domain/change_filter.h"

#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace forum_registry::domain {
namespace {

// A change to forums/arf/sessions/30 on 2026-11-28 at revision 120.
ChangeFacts Session30() {
  return {.resource = "forums/arf/sessions/30",
          .operation = "CHANGE_OPERATION_UPDATE",
          .revision = 120,
          .change_day = absl::CivilDay(2026, 11, 28)};
}

bool Matches(const std::string& text, const ChangeFacts& facts = Session30()) {
  absl::StatusOr<std::optional<filter::Node>> node =
      filter::Parse(text, ChangeFilterSchema());
  EXPECT_TRUE(node.ok()) << node.status();
  EXPECT_TRUE(node->has_value()) << text;
  return MatchesChange(**node, facts);
}

TEST(MatchesChange, Resource) {
  EXPECT_TRUE(Matches(R"(resource = "forums/arf/sessions/30")"));
  EXPECT_FALSE(Matches(R"(resource = "forums/arf")"));
  EXPECT_TRUE(Matches(R"(resource != "forums/arf")"));
  EXPECT_FALSE(Matches(R"(resource = "")"));
}

TEST(MatchesChange, CollectionIsTheNameWithoutItsLastSegment) {
  EXPECT_TRUE(Matches(R"(collection = "forums/arf/sessions")"));
  EXPECT_FALSE(Matches(R"(collection = "forums")"));
  EXPECT_TRUE(Matches(R"(collection = "forums")",
                      {.resource = "forums/arf",
                       .operation = "CHANGE_OPERATION_CREATE",
                       .change_day = absl::CivilDay(2026, 1, 1)}));
  EXPECT_TRUE(Matches(R"(collection = "forums/*")"));
  EXPECT_TRUE(Matches(R"(collection = "*/sessions")"));
  EXPECT_FALSE(Matches(R"(collection != "*sessions")"));
  EXPECT_TRUE(Matches(R"(collection:"ARF/SESS")"));
  EXPECT_TRUE(Matches(R"(collection > "forums/arf")"));
  EXPECT_FALSE(Matches(R"(collection < "forums/arf")"));
}

TEST(MatchesChange, OperationAndRevision) {
  EXPECT_TRUE(Matches("operation = UPDATE"));
  EXPECT_FALSE(Matches("operation = DELETE"));
  EXPECT_TRUE(Matches("operation != CHANGE_OPERATION_CREATE"));
  EXPECT_TRUE(Matches("revision > 119"));
  EXPECT_FALSE(Matches("revision > 120"));
  EXPECT_TRUE(Matches("revision <= 120"));
  EXPECT_FALSE(Matches("revision != 120"));
}

TEST(MatchesChange, ChangeTimeByDay) {
  EXPECT_TRUE(Matches(R"(change_time = "2026-11")"));
  EXPECT_TRUE(Matches(R"(change_time = "2026-11-28")"));
  EXPECT_FALSE(Matches(R"(change_time != "2026")"));
  EXPECT_TRUE(Matches(R"(change_time >= "2026-11-28")"));
  EXPECT_FALSE(Matches(R"(change_time > "2026-11")"));
  EXPECT_TRUE(Matches(R"(change_time <= "2026-11")"));
  EXPECT_FALSE(Matches(R"(change_time < "2026-11-28")"));
  EXPECT_TRUE(Matches(R"(change_time < "2027")"));
}

TEST(MatchesChange, Logic) {
  EXPECT_TRUE(
      Matches(R"(collection = "forums/arf/sessions" AND revision > 100)"));
  EXPECT_FALSE(Matches(R"(collection = "forums" AND revision > 100)"));
  EXPECT_TRUE(Matches(R"(collection = "forums" OR operation = UPDATE)"));
  EXPECT_FALSE(Matches(R"(NOT operation = UPDATE)"));
  EXPECT_TRUE(Matches(R"(-(operation = DELETE OR revision < 5))"));
}

TEST(ParseChangeFilter, TakesNamesOfRecordsOfEveryKind) {
  for (const char* text :
       {R"(resource = "forums/arf")", R"(resource = "participants/ru")",
        R"(resource != "forums/arf/sessions/30")", R"(resource = "")",
        R"(collection = "anything")"}) {
    EXPECT_TRUE(ParseChangeFilter(text).ok()) << text;
  }
}

TEST(ParseChangeFilter, RefusesAResourceThatNamesNoRecord) {
  for (const char* text :
       {R"(resource = "forums")", R"(resource = "forums/ARF")",
        R"(revision > 1 AND resource = "forums/arf/meetings/30")",
        R"(resource = "unicorns/1")", R"(resource = "forums/arf/")"}) {
    const absl::StatusOr<std::optional<filter::Node>> node =
        ParseChangeFilter(text);
    ASSERT_FALSE(node.ok()) << text;
    EXPECT_EQ(node.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(node.status().message()),
                ::testing::StartsWith("filter: at position "))
        << text;
    EXPECT_THAT(std::string(node.status().message()),
                ::testing::HasSubstr("is not the name of a record"));
  }
}

TEST(ParseChangeFilter, ReportsSyntaxErrorsAndUnknownFields) {
  const absl::StatusOr<std::optional<filter::Node>> node =
      ParseChangeFilter("colour = RED");
  ASSERT_FALSE(node.ok());
  EXPECT_THAT(std::string(node.status().message()),
              ::testing::HasSubstr("colour"));
}

}  // namespace
}  // namespace forum_registry::domain
