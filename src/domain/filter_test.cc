#include "src/domain/filter.h"

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "forumregistry/v1/forum.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace forum_registry::domain::filter {
namespace {

using ::testing::AnyOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

// One field of every type, as a resource's schema would list them.
const Schema& TestSchema() {
  static const auto* const kSchema = new Schema{
      {.name = "display_name", .type = FieldType::kString},
      {.name = "status",
       .type = FieldType::kEnum,
       .enum_type = forumregistry::v1::ForumStatus_descriptor()},
      {.name = "kind",
       .type = FieldType::kEnum,
       .enum_type = forumregistry::v1::ForumKind_descriptor()},
      {.name = "session_count", .type = FieldType::kInteger},
      {.name = "inferred", .type = FieldType::kBool},
      {.name = "founded", .type = FieldType::kDate},
      {.name = "active_on", .type = FieldType::kDay},
      {.name = "topics", .type = FieldType::kStringList},
      {.name = "names", .type = FieldType::kNames},
      {.name = "parent", .type = FieldType::kReference, .collection = "forums"},
      {.name = "venue.city", .type = FieldType::kString},
  };
  return *kSchema;
}

constexpr absl::string_view kFieldList =
    "display_name, status, kind, session_count, inferred, founded, active_on, "
    "topics, names, parent, venue.city";

absl::StatusOr<std::optional<Node>> ParseTest(absl::string_view text) {
  return Parse(text, TestSchema());
}

// The tree of a filter that must parse and not be empty.
Node MustParse(absl::string_view text) {
  absl::StatusOr<std::optional<Node>> node = ParseTest(text);
  EXPECT_TRUE(node.ok()) << text << " -> " << node.status();
  if (!node.ok() || !node->has_value()) {
    ADD_FAILURE() << text << " gave no tree";
    return Node{};
  }
  return **std::move(node);
}

// The one comparison a filter of one comparison holds.
Comparison OnlyComparison(absl::string_view text) {
  const Node node = MustParse(text);
  EXPECT_EQ(node.kind, Node::Kind::kComparison) << text;
  return node.comparison;
}

std::string CanonicalOf(absl::string_view text) {
  absl::StatusOr<std::optional<Node>> node = ParseTest(text);
  if (!node.ok()) return absl::StrCat("error: ", node.status().message());
  return Canonical(*node);
}

// The message of a filter that must be INVALID_ARGUMENT.
std::string ErrorOf(absl::string_view text) {
  absl::StatusOr<std::optional<Node>> node = ParseTest(text);
  if (node.ok()) return absl::StrCat("parsed: ", Canonical(*node));
  EXPECT_EQ(node.status().code(), absl::StatusCode::kInvalidArgument)
      << node.status();
  return std::string(node.status().message());
}

// The operators a field accepts with `value`, in the order = != < <= > >= :.
std::vector<std::string> AcceptedOps(absl::string_view field,
                                     absl::string_view value) {
  std::vector<std::string> accepted;
  for (absl::string_view op : {"=", "!=", "<", "<=", ">", ">=", ":"}) {
    const std::string text = absl::StrCat(field, " ", op, " ", value);
    absl::StatusOr<std::optional<Node>> node = ParseTest(text);
    if (node.ok()) {
      accepted.emplace_back(op);
    } else {
      EXPECT_THAT(
          std::string(node.status().message()),
          HasSubstr(absl::StrCat(field, ": '", op, "' is not allowed; use ")))
          << text;
    }
  }
  return accepted;
}

std::string StringOf(const Comparison& c) {
  return std::get<std::string>(c.value.value);
}

// --- Empty filters ---------------------------------------------------------

TEST(Filter, EmptyFilterMatchesEverything) {
  absl::StatusOr<std::optional<Node>> node = ParseTest("");
  ASSERT_TRUE(node.ok());
  EXPECT_FALSE(node->has_value());
  EXPECT_EQ(Canonical(*node), "");
}

TEST(Filter, WhitespaceOnlyFilterMatchesEverything) {
  absl::StatusOr<std::optional<Node>> node = ParseTest(" \t\r\n  ");
  ASSERT_TRUE(node.ok());
  EXPECT_FALSE(node->has_value());
}

// --- Operators -------------------------------------------------------------

TEST(Filter, EqualsComparesAFieldWithAValue) {
  const Comparison c = OnlyComparison("display_name = \"ASEAN\"");
  ASSERT_NE(c.field, nullptr);
  EXPECT_EQ(c.field, &TestSchema()[0]);
  EXPECT_EQ(c.field->name, "display_name");
  EXPECT_EQ(c.op, Op::kEq);
  EXPECT_EQ(StringOf(c), "ASEAN");
  EXPECT_FALSE(c.value.wildcard_prefix);
  EXPECT_FALSE(c.value.wildcard_suffix);
  EXPECT_EQ(c.position, 1);
}

TEST(Filter, NotEqualsIsBangEquals) {
  EXPECT_EQ(OnlyComparison("session_count != 3").op, Op::kNe);
}

TEST(Filter, LessThan) {
  EXPECT_EQ(OnlyComparison("session_count < 3").op, Op::kLt);
}

TEST(Filter, LessOrEqual) {
  EXPECT_EQ(OnlyComparison("session_count <= 3").op, Op::kLe);
}

TEST(Filter, GreaterThan) {
  EXPECT_EQ(OnlyComparison("session_count > 3").op, Op::kGt);
}

TEST(Filter, GreaterOrEqual) {
  EXPECT_EQ(OnlyComparison("session_count >= 3").op, Op::kGe);
}

TEST(Filter, ColonIsHas) {
  const Comparison c = OnlyComparison("display_name:\"asean\"");
  EXPECT_EQ(c.op, Op::kHas);
  EXPECT_EQ(StringOf(c), "asean");
}

TEST(Filter, OperatorsNeedNoSpaces) {
  EXPECT_EQ(CanonicalOf("session_count>=3"), "session_count >= 3");
  EXPECT_EQ(CanonicalOf("session_count!=3"), "session_count != 3");
  EXPECT_EQ(CanonicalOf("status=ACTIVE"), "status = FORUM_STATUS_ACTIVE");
}

TEST(Filter, DottedFieldNames) {
  const Comparison c = OnlyComparison("venue.city = \"Vientiane\"");
  EXPECT_EQ(c.field->name, "venue.city");
  EXPECT_EQ(StringOf(c), "Vientiane");
}

// --- Allowed operators per field type ---------------------------------------

TEST(Filter, StringFieldsTakeEveryOperator) {
  EXPECT_THAT(AcceptedOps("display_name", "\"x\""),
              ElementsAre("=", "!=", "<", "<=", ">", ">=", ":"));
}

TEST(Filter, EnumFieldsTakeEqualsAndNotEquals) {
  EXPECT_THAT(AcceptedOps("status", "ACTIVE"), ElementsAre("=", "!="));
}

TEST(Filter, IntegerFieldsTakeComparisonsButNotHas) {
  EXPECT_THAT(AcceptedOps("session_count", "3"),
              ElementsAre("=", "!=", "<", "<=", ">", ">="));
}

TEST(Filter, BoolFieldsTakeEqualsAndNotEquals) {
  EXPECT_THAT(AcceptedOps("inferred", "true"), ElementsAre("=", "!="));
}

TEST(Filter, DateFieldsTakeComparisonsButNotHas) {
  EXPECT_THAT(AcceptedOps("founded", "\"2023\""),
              ElementsAre("=", "!=", "<", "<=", ">", ">="));
}

TEST(Filter, DayFieldsTakeOnlyEquals) {
  EXPECT_THAT(AcceptedOps("active_on", "\"2024-03-01\""), ElementsAre("="));
}

TEST(Filter, StringListFieldsTakeOnlyHas) {
  EXPECT_THAT(AcceptedOps("topics", "\"energy\""), ElementsAre(":"));
}

TEST(Filter, NamesFieldsTakeHasAndEquals) {
  EXPECT_THAT(AcceptedOps("names", "\"ARF\""), ElementsAre("=", ":"));
}

TEST(Filter, ReferenceFieldsTakeEqualsAndNotEquals) {
  EXPECT_THAT(AcceptedOps("parent", "\"forums/arf\""), ElementsAre("=", "!="));
}

TEST(Filter, RefusedOperatorNamesFieldOperatorAndPosition) {
  EXPECT_EQ(ErrorOf("topics = \"energy\""),
            "filter: at position 8: topics: '=' is not allowed; use ':'");
  EXPECT_EQ(ErrorOf("status < ACTIVE"),
            "filter: at position 8: status: '<' is not allowed; use '=' or "
            "'!='");
}

TEST(Filter, NamesEqualsMeansTheSameAsHas) {
  EXPECT_EQ(OnlyComparison("names = \"ARF\"").op, Op::kHas);
  EXPECT_EQ(CanonicalOf("names = \"ARF\""), CanonicalOf("names:\"ARF\""));
}

// --- Literals --------------------------------------------------------------

TEST(Filter, StringLiteralDecodesEscapes) {
  const Comparison c =
      OnlyComparison(R"(display_name = "say \"hi\" \\ a\nb\tc\rd")");
  EXPECT_EQ(StringOf(c), "say \"hi\" \\ a\nb\tc\rd");
}

TEST(Filter, StringLiteralTakesUnicodeEscapes) {
  EXPECT_EQ(StringOf(OnlyComparison(R"(display_name = "caf\u00e9")")),
            "caf\xc3\xa9");
  EXPECT_EQ(StringOf(OnlyComparison(R"(display_name = "\u0424\u20AC")")),
            "\xd0\xa4\xe2\x82\xac");
}

TEST(Filter, StringLiteralKeepsUtf8AsWritten) {
  EXPECT_EQ(StringOf(OnlyComparison("names:\"Региональный форум\"")),
            "Региональный форум");
}

TEST(Filter, StringLiteralMayBeEmpty) {
  EXPECT_EQ(StringOf(OnlyComparison("display_name = \"\"")), "");
}

TEST(Filter, IntegerLiteral) {
  EXPECT_EQ(std::get<int64_t>(OnlyComparison("session_count = 42").value.value),
            42);
}

TEST(Filter, NegativeIntegerLiteral) {
  EXPECT_EQ(std::get<int64_t>(OnlyComparison("session_count > -5").value.value),
            -5);
  EXPECT_EQ(
      std::get<int64_t>(
          OnlyComparison("session_count >= -9223372036854775808").value.value),
      INT64_MIN);
}

TEST(Filter, IntegerLiteralOutOfRangeIsAnError) {
  EXPECT_EQ(ErrorOf("session_count = 9223372036854775808"),
            "filter: at position 17: session_count: \"9223372036854775808\" is "
            "out of range for a 64-bit integer");
}

TEST(Filter, IntegerLiteralNeedsItsMinusAttached) {
  EXPECT_EQ(ErrorOf("session_count = - 5"),
            "filter: at position 17: expected a value after '='");
}

TEST(Filter, IntegerFieldRefusesOtherLiterals) {
  for (absl::string_view value : {"\"3\"", "three", "3.5", "true", "0x10"}) {
    EXPECT_THAT(ErrorOf(absl::StrCat("session_count = ", value)),
                StartsWith("filter: at position 17: session_count: takes an "
                           "integer"))
        << value;
  }
}

TEST(Filter, BoolLiterals) {
  EXPECT_TRUE(std::get<bool>(OnlyComparison("inferred = true").value.value));
  EXPECT_FALSE(std::get<bool>(OnlyComparison("inferred = false").value.value));
}

TEST(Filter, BoolFieldRefusesOtherLiterals) {
  for (absl::string_view value : {"TRUE", "\"true\"", "1", "yes"}) {
    EXPECT_THAT(ErrorOf(absl::StrCat("inferred = ", value)),
                StartsWith("filter: at position 12: inferred: takes true or "
                           "false"))
        << value;
  }
}

TEST(Filter, StringFieldsNeedQuotes) {
  EXPECT_EQ(ErrorOf("display_name = ASEAN"),
            "filter: at position 16: display_name: takes a string in double "
            "quotes, e.g. display_name = \"text\"");
  EXPECT_THAT(ErrorOf("topics:energy"),
              StartsWith("filter: at position 8: topics: takes a string"));
  EXPECT_THAT(ErrorOf("names:5"),
              StartsWith("filter: at position 7: names: takes a string"));
  EXPECT_THAT(ErrorOf("parent = forums"),
              StartsWith("filter: at position 10: parent: takes a resource "
                         "name"));
}

// --- Enums -----------------------------------------------------------------

TEST(Filter, EnumTakesShortName) {
  EXPECT_EQ(StringOf(OnlyComparison("status = ACTIVE")), "FORUM_STATUS_ACTIVE");
  EXPECT_EQ(StringOf(OnlyComparison("kind = BUSINESS_FORUM")),
            "FORUM_KIND_BUSINESS_FORUM");
}

TEST(Filter, EnumTakesFullName) {
  EXPECT_EQ(StringOf(OnlyComparison("status = FORUM_STATUS_DORMANT")),
            "FORUM_STATUS_DORMANT");
}

TEST(Filter, EnumTakesQuotedName) {
  EXPECT_EQ(StringOf(OnlyComparison("status != \"DISSOLVED\"")),
            "FORUM_STATUS_DISSOLVED");
}

TEST(Filter, EnumShortAndFullNamesAreTheSameFilter) {
  EXPECT_EQ(CanonicalOf("kind = SUMMIT"),
            CanonicalOf("kind = FORUM_KIND_SUMMIT"));
}

TEST(Filter, EnumUnknownValueListsShortNames) {
  EXPECT_EQ(ErrorOf("status = HELD"),
            "filter: at position 10: status: \"HELD\" is not a value you can "
            "filter on; use one of PROPOSED, ACTIVE, DORMANT, DISSOLVED");
}

TEST(Filter, EnumRefusesUnspecified) {
  EXPECT_THAT(ErrorOf("status = UNSPECIFIED"),
              StartsWith("filter: at position 10: status: \"UNSPECIFIED\" is "
                         "not a value you can filter on"));
  EXPECT_THAT(ErrorOf("status = FORUM_STATUS_UNSPECIFIED"),
              HasSubstr("use one of PROPOSED, ACTIVE, DORMANT, DISSOLVED"));
}

TEST(Filter, EnumNamesAreCaseSensitive) {
  EXPECT_EQ(ErrorOf("status = active"),
            "filter: at position 10: status: \"active\" is not a value you can "
            "filter on (value names are upper case); use one of PROPOSED, "
            "ACTIVE, DORMANT, DISSOLVED");
}

TEST(Filter, EnumRefusesNumbersAndOtherEnumsValues) {
  EXPECT_THAT(ErrorOf("status = 2"), HasSubstr("\"2\" is not a value"));
  EXPECT_THAT(ErrorOf("status = -2"), HasSubstr("\"-2\" is not a value"));
  EXPECT_THAT(ErrorOf("status = FORUM_KIND_SUMMIT"),
              HasSubstr("\"FORUM_KIND_SUMMIT\" is not a value"));
}

// --- Dates -----------------------------------------------------------------

TEST(Filter, DateAtYearPrecision) {
  const Comparison c = OnlyComparison("founded = \"1994\"");
  const auto& d = std::get<PartialDate>(c.value.value);
  EXPECT_EQ(d.year(), 1994);
  EXPECT_EQ(d.month(), 0);
  EXPECT_EQ(d.day(), 0);
}

TEST(Filter, DateAtMonthPrecision) {
  const Comparison c = OnlyComparison("founded >= \"1994-07\"");
  const auto& d = std::get<PartialDate>(c.value.value);
  EXPECT_EQ(d.year(), 1994);
  EXPECT_EQ(d.month(), 7);
  EXPECT_EQ(d.day(), 0);
}

TEST(Filter, DateAtDayPrecision) {
  const Comparison c = OnlyComparison("founded < \"1994-07-25\"");
  const auto& d = std::get<PartialDate>(c.value.value);
  EXPECT_EQ(d.year(), 1994);
  EXPECT_EQ(d.month(), 7);
  EXPECT_EQ(d.day(), 25);
}

TEST(Filter, BadDatesAreErrorsNamingTheField) {
  for (absl::string_view value :
       {"\"June 2023\"", "\"2023-13\"", "\"2023-02-30\"", "\"94\"",
        "\"2023-6\"", "\"0000\"", "\"\"", "\"2023-06-15T00:00\""}) {
    EXPECT_THAT(ErrorOf(absl::StrCat("founded = ", value)),
                StartsWith(absl::StrCat("filter: at position 11: founded: ",
                                        value, " is not a date")))
        << value;
  }
}

TEST(Filter, DateNeedsQuotes) {
  EXPECT_EQ(
      ErrorOf("founded = 1994"),
      "filter: at position 11: founded: takes a date in double quotes: "
      "\"YYYY\", \"YYYY-MM\" or \"YYYY-MM-DD\", e.g. founded >= \"1994\"");
  EXPECT_THAT(ErrorOf("founded = 1994-07-25"),
              StartsWith("filter: at position 11: founded: takes a date"));
}

TEST(Filter, DayTakesAFullDate) {
  const Comparison c = OnlyComparison("active_on = \"2024-02-29\"");
  EXPECT_EQ(std::get<absl::CivilDay>(c.value.value),
            absl::CivilDay(2024, 2, 29));
}

TEST(Filter, DayRefusesPartialAndBadDates) {
  for (absl::string_view value :
       {"\"2024\"", "\"2024-03\"", "\"2023-02-29\"", "\"yesterday\""}) {
    EXPECT_THAT(
        ErrorOf(absl::StrCat("active_on = ", value)),
        StartsWith(absl::StrCat("filter: at position 13: active_on: ", value,
                                " is not a full date: use "
                                "\"YYYY-MM-DD\"")))
        << value;
  }
  EXPECT_THAT(ErrorOf("active_on = 2024-03-01"),
              StartsWith("filter: at position 13: active_on: takes a full "
                         "date in double quotes"));
}

// --- References ------------------------------------------------------------

TEST(Filter, ReferenceTakesAResourceName) {
  EXPECT_EQ(StringOf(OnlyComparison("parent = \"forums/asean\"")),
            "forums/asean");
}

TEST(Filter, ReferenceEmptyMeansNone) {
  EXPECT_EQ(StringOf(OnlyComparison("parent = \"\"")), "");
}

TEST(Filter, ReferenceOfTheWrongCollectionIsAnError) {
  EXPECT_THAT(ErrorOf("parent = \"participants/russia\""),
              StartsWith("filter: at position 10: parent: "
                         "\"participants/russia\" is not a valid name"));
  EXPECT_THAT(ErrorOf("parent = \"arf\""),
              StartsWith("filter: at position 10: parent: "));
}

// --- Wildcards -------------------------------------------------------------

TEST(Filter, TrailingStarIsASuffixWildcard) {
  const Comparison c = OnlyComparison("display_name = \"ASEAN*\"");
  EXPECT_EQ(StringOf(c), "ASEAN");
  EXPECT_FALSE(c.value.wildcard_prefix);
  EXPECT_TRUE(c.value.wildcard_suffix);
}

TEST(Filter, LeadingStarIsAPrefixWildcard) {
  const Comparison c = OnlyComparison("display_name != \"*Forum\"");
  EXPECT_EQ(StringOf(c), "Forum");
  EXPECT_TRUE(c.value.wildcard_prefix);
  EXPECT_FALSE(c.value.wildcard_suffix);
}

TEST(Filter, StarsAtBothEndsAreBothWildcards) {
  const Comparison c = OnlyComparison("display_name = \"*ICT*\"");
  EXPECT_EQ(StringOf(c), "ICT");
  EXPECT_TRUE(c.value.wildcard_prefix);
  EXPECT_TRUE(c.value.wildcard_suffix);
}

TEST(Filter, LoneStarIsOneWildcard) {
  const Comparison c = OnlyComparison("display_name = \"*\"");
  EXPECT_EQ(StringOf(c), "");
  EXPECT_TRUE(c.value.wildcard_prefix);
  EXPECT_FALSE(c.value.wildcard_suffix);
}

TEST(Filter, StarInTheMiddleIsLiteral) {
  const Comparison c = OnlyComparison("display_name = \"A*B\"");
  EXPECT_EQ(StringOf(c), "A*B");
  EXPECT_FALSE(c.value.wildcard_prefix);
  EXPECT_FALSE(c.value.wildcard_suffix);
}

TEST(Filter, EscapedStarIsLiteral) {
  const Comparison c = OnlyComparison(R"(display_name = "\*A\*")");
  EXPECT_EQ(StringOf(c), "*A*");
  EXPECT_FALSE(c.value.wildcard_prefix);
  EXPECT_FALSE(c.value.wildcard_suffix);
}

TEST(Filter, StarIsLiteralWithOtherOperatorsAndTypes) {
  for (absl::string_view text :
       {"display_name:\"*a*\"", "display_name < \"*a*\"", "topics:\"*a*\"",
        "names:\"*a*\""}) {
    const Comparison c = OnlyComparison(text);
    EXPECT_EQ(StringOf(c), "*a*") << text;
    EXPECT_FALSE(c.value.wildcard_prefix || c.value.wildcard_suffix) << text;
  }
}

// --- Precedence and structure ------------------------------------------------

TEST(Filter, OrBindsTighterThanAnd) {
  EXPECT_EQ(CanonicalOf("session_count = 1 AND session_count = 2 OR "
                        "session_count = 3"),
            "AND(OR(session_count = 2, session_count = 3), session_count = 1)");
  EXPECT_EQ(CanonicalOf("session_count = 1 OR session_count = 2 AND "
                        "session_count = 3"),
            "AND(OR(session_count = 1, session_count = 2), session_count = 3)");
}

TEST(Filter, TermsSideBySideMeanAnd) {
  EXPECT_EQ(CanonicalOf("status = ACTIVE kind = SUMMIT"),
            CanonicalOf("status = ACTIVE AND kind = SUMMIT"));
  const Node node = MustParse("status = ACTIVE kind = SUMMIT");
  EXPECT_EQ(node.kind, Node::Kind::kAnd);
  EXPECT_EQ(node.children.size(), 2u);
}

TEST(Filter, ImplicitAndBindsLooserThanOr) {
  EXPECT_EQ(CanonicalOf("session_count = 1 OR session_count = 2 "
                        "session_count = 3"),
            "AND(OR(session_count = 1, session_count = 2), session_count = 3)");
}

TEST(Filter, NotNegatesTheNextTerm) {
  const Node node = MustParse("NOT status = ACTIVE");
  ASSERT_EQ(node.kind, Node::Kind::kNot);
  ASSERT_EQ(node.children.size(), 1u);
  EXPECT_EQ(node.children[0].kind, Node::Kind::kComparison);
  EXPECT_EQ(CanonicalOf("NOT status = ACTIVE"),
            "NOT(status = FORUM_STATUS_ACTIVE)");
}

TEST(Filter, MinusIsNot) {
  EXPECT_EQ(CanonicalOf("-status = ACTIVE"),
            CanonicalOf("NOT status = ACTIVE"));
  EXPECT_EQ(CanonicalOf("- status = ACTIVE"),
            CanonicalOf("NOT status = ACTIVE"));
  EXPECT_EQ(CanonicalOf("-(kind = SUMMIT OR kind = DIALOGUE)"),
            "NOT(OR(kind = FORUM_KIND_DIALOGUE, kind = FORUM_KIND_SUMMIT))");
}

TEST(Filter, NotBindsTighterThanOr) {
  EXPECT_EQ(CanonicalOf("NOT kind = SUMMIT OR kind = DIALOGUE"),
            "OR(NOT(kind = FORUM_KIND_SUMMIT), kind = FORUM_KIND_DIALOGUE)");
}

TEST(Filter, DoubleNegationCancels) {
  EXPECT_EQ(CanonicalOf("NOT NOT kind = SUMMIT"), "kind = FORUM_KIND_SUMMIT");
  EXPECT_EQ(CanonicalOf("-NOT kind = SUMMIT"), "kind = FORUM_KIND_SUMMIT");
  EXPECT_EQ(CanonicalOf("NOT (NOT kind = SUMMIT)"), "kind = FORUM_KIND_SUMMIT");
  EXPECT_EQ(MustParse("NOT NOT NOT kind = SUMMIT").kind, Node::Kind::kNot);
}

TEST(Filter, ParenthesesGroup) {
  EXPECT_EQ(CanonicalOf("(kind = SUMMIT AND status = ACTIVE) OR "
                        "kind = DIALOGUE"),
            "OR(AND(kind = FORUM_KIND_SUMMIT, status = FORUM_STATUS_ACTIVE), "
            "kind = FORUM_KIND_DIALOGUE)");
}

TEST(Filter, RedundantParenthesesLeaveNoTrace) {
  EXPECT_EQ(MustParse("((status = ACTIVE))").kind, Node::Kind::kComparison);
  EXPECT_EQ(CanonicalOf("((status = ACTIVE))"), CanonicalOf("status = ACTIVE"));
}

TEST(Filter, NestedAndsAndOrsAreFlattened) {
  const Node node = MustParse(
      "session_count = 1 AND (session_count = 2 AND "
      "(session_count = 3 session_count = 4))");
  ASSERT_EQ(node.kind, Node::Kind::kAnd);
  EXPECT_EQ(node.children.size(), 4u);
  for (const Node& child : node.children) {
    EXPECT_EQ(child.kind, Node::Kind::kComparison);
  }
  EXPECT_EQ(MustParse("(kind = SUMMIT OR kind = DIALOGUE) OR kind = PLATFORM")
                .children.size(),
            3u);
}

TEST(Filter, ComparisonPositionIsWhereItsFieldStarts) {
  const Node node = MustParse("status = ACTIVE AND  (kind = SUMMIT)");
  ASSERT_EQ(node.children.size(), 2u);
  EXPECT_EQ(node.children[0].comparison.position, 1);
  EXPECT_EQ(node.children[1].comparison.position, 23);
}

// --- Canonical ---------------------------------------------------------------

TEST(Filter, CanonicalIgnoresSpacingParenthesesAndOrder) {
  const std::string expected = CanonicalOf("status=ACTIVE AND kind!=SUMMIT");
  EXPECT_EQ(expected,
            "AND(kind != FORUM_KIND_SUMMIT, status = FORUM_STATUS_ACTIVE)");
  for (absl::string_view text : {
           "  status = ACTIVE\n\tAND   kind != SUMMIT  ",
           "(status = FORUM_STATUS_ACTIVE) (kind != FORUM_KIND_SUMMIT)",
           "kind != SUMMIT AND status = \"ACTIVE\"",
           "((status=ACTIVE)AND(kind!=SUMMIT))",
       }) {
    EXPECT_EQ(CanonicalOf(text), expected) << text;
  }
}

TEST(Filter, CanonicalDiffersForDifferentMeanings) {
  EXPECT_NE(CanonicalOf("session_count = 1 AND session_count = 2 OR "
                        "session_count = 3"),
            CanonicalOf("(session_count = 1 AND session_count = 2) OR "
                        "session_count = 3"));
  EXPECT_NE(CanonicalOf("display_name = \"A*\""),
            CanonicalOf("display_name = \"A\\*\""));
  EXPECT_NE(CanonicalOf("display_name = \"*\""),
            CanonicalOf("display_name = \"\\*\""));
  EXPECT_NE(CanonicalOf("founded = \"2023\""),
            CanonicalOf("founded = \"2023-01\""));
}

TEST(Filter, CanonicalWritesEveryLiteralType) {
  EXPECT_EQ(CanonicalOf("session_count = 007"), "session_count = 7");
  EXPECT_EQ(CanonicalOf("inferred != false"), "inferred != false");
  EXPECT_EQ(CanonicalOf("founded >= \"1994-07\""), "founded >= \"1994-07\"");
  EXPECT_EQ(CanonicalOf("active_on = \"0999-01-02\""),
            "active_on = \"0999-01-02\"");
  EXPECT_EQ(CanonicalOf("topics : \"ict\""), "topics:\"ict\"");
  EXPECT_EQ(CanonicalOf("parent = \"forums/asean\""),
            "parent = \"forums/asean\"");
}

TEST(Filter, CanonicalQuotesStringsSafely) {
  EXPECT_EQ(CanonicalOf(R"(display_name = "a\"b\\c\nd")"),
            R"(display_name = "a\"b\\c\nd")");
  EXPECT_EQ(CanonicalOf(R"(display_name = "*A*B\*")"),
            R"(display_name = "*A*B\*")");
  EXPECT_EQ(CanonicalOf(R"(display_name = "\u0041")"), R"(display_name = "A")");
}

// --- Errors and their positions ----------------------------------------------

TEST(Filter, MissingValueIsAnErrorAtTheEnd) {
  EXPECT_EQ(ErrorOf("display_name ="),
            "filter: at position 15: expected a value after '='");
  EXPECT_EQ(ErrorOf("status = )"),
            "filter: at position 10: expected a value after '=', got ')'");
  EXPECT_EQ(ErrorOf("status = AND kind = SUMMIT"),
            "filter: at position 10: expected a value after '=', got AND");
}

TEST(Filter, MissingOperatorIsAnError) {
  EXPECT_EQ(ErrorOf("status"),
            "filter: at position 7: expected an operator (=, !=, <, <=, >, >= "
            "or :) after status");
  EXPECT_THAT(ErrorOf("display_name \"ASEAN\""),
              StartsWith("filter: at position 14: expected an operator"));
}

TEST(Filter, UnknownFieldIsAnErrorListingTheFields) {
  EXPECT_EQ(ErrorOf("colour = \"red\""),
            absl::StrCat("filter: at position 1: unknown field \"colour\"; "
                         "fields you can filter on: ",
                         kFieldList));
  EXPECT_THAT(ErrorOf("status = ACTIVE AND Status = ACTIVE"),
              StartsWith("filter: at position 21: unknown field \"Status\""));
}

TEST(Filter, LowerCaseKeywordsAreNotKeywords) {
  EXPECT_THAT(ErrorOf("status = ACTIVE and kind = SUMMIT"),
              StartsWith("filter: at position 17: unknown field \"and\" "
                         "(write AND, OR and NOT in upper case)"));
}

TEST(Filter, PositionsCountCharactersNotBytes) {
  EXPECT_THAT(ErrorOf("names:\"Форум\" AND colour = \"x\""),
              StartsWith("filter: at position 19: unknown field"));
}

TEST(Filter, UnterminatedStringIsAnErrorAtItsQuote) {
  EXPECT_EQ(ErrorOf("display_name = \"ASEAN"),
            "filter: at position 16: unterminated string: it needs a closing "
            "'\"'");
  EXPECT_THAT(ErrorOf(R"(display_name = "ASEAN\")"),
              StartsWith("filter: at position 16: unterminated string"));
}

TEST(Filter, BadEscapesAreErrors) {
  EXPECT_THAT(ErrorOf(R"(display_name = "a\qb")"),
              StartsWith("filter: at position 18: unknown escape \\q"));
  EXPECT_THAT(ErrorOf(R"(display_name = "\u12")"),
              StartsWith("filter: at position 17: \\u needs four hex digits"));
  EXPECT_THAT(ErrorOf(R"(display_name = "\uD83D\uDE00")"),
              StartsWith("filter: at position 17: \\uD83D is half of a "
                         "surrogate pair"));
  EXPECT_THAT(ErrorOf(R"(display_name = "\u0000")"),
              StartsWith("filter: at position 17: \\u0000 is a control "
                         "character"));
  EXPECT_THAT(ErrorOf(R"(display_name = "\u001b")"),
              HasSubstr("is a control character"));
}

TEST(Filter, ParenthesesMustBalance) {
  EXPECT_EQ(ErrorOf("(status = ACTIVE"),
            "filter: at position 17: expected ')' to close the '(' at "
            "position 1");
  EXPECT_EQ(ErrorOf("status = ACTIVE)"),
            "filter: at position 16: ')' closes no '('");
  EXPECT_EQ(ErrorOf("()"),
            "filter: at position 2: expected a comparison such as name = "
            "\"value\" after '(', got ')'");
}

TEST(Filter, DanglingKeywordsAreErrors) {
  EXPECT_EQ(ErrorOf("status = ACTIVE AND"),
            "filter: at position 20: expected a comparison such as name = "
            "\"value\" after AND");
  EXPECT_THAT(ErrorOf("status = ACTIVE OR"),
              StartsWith("filter: at position 19: expected a comparison such "
                         "as name = \"value\" after OR"));
  EXPECT_THAT(ErrorOf("NOT"), StartsWith("filter: at position 4: expected a "
                                         "comparison such as name = \"value\" "
                                         "after NOT"));
  EXPECT_THAT(ErrorOf("-"), HasSubstr("after '-'"));
  EXPECT_THAT(ErrorOf("AND status = ACTIVE"),
              StartsWith("filter: at position 1: expected a comparison such "
                         "as name = \"value\", got AND"));
  EXPECT_THAT(ErrorOf("status = ACTIVE OR OR kind = SUMMIT"),
              StartsWith("filter: at position 20: expected a comparison"));
}

TEST(Filter, BareValuesAreNotComparisons) {
  EXPECT_THAT(ErrorOf("\"ASEAN\""),
              StartsWith("filter: at position 1: expected a comparison such "
                         "as name = \"value\", got a string"));
  EXPECT_THAT(ErrorOf("status = ACTIVE 5"),
              StartsWith("filter: at position 17: unknown field \"5\""));
}

TEST(Filter, LoneBangIsAnError) {
  EXPECT_THAT(ErrorOf("status ! ACTIVE"),
              StartsWith("filter: at position 8: '!' is not an operator"));
  EXPECT_THAT(ErrorOf("!status = ACTIVE"),
              StartsWith("filter: at position 1: '!' is not an operator"));
}

TEST(Filter, TheLeftmostErrorIsReported) {
  EXPECT_THAT(ErrorOf("colour = 1 AND display_name = \"unterminated"),
              StartsWith("filter: at position 1: unknown field"));
  EXPECT_THAT(ErrorOf("status = ACTIVE AND display_name = \"x"),
              StartsWith("filter: at position 36: unterminated string"));
}

// --- Hostile input -----------------------------------------------------------

TEST(Filter, SqlInsideStringsIsPlainText) {
  for (absl::string_view text : {
           "'; DROP TABLE forums; --",
           "\" OR 1=1 --",
           "Robert'); DROP TABLE forums;--",
           "x' OR '1'='1",
           "/* comment */ 1; SELECT pg_sleep(10)",
           "$1 $$ E'\\\\' \\x00",
       }) {
    std::string quoted;
    for (char c : text) {
      if (c == '"' || c == '\\') quoted.push_back('\\');
      quoted.push_back(c);
    }
    const Comparison c =
        OnlyComparison(absl::StrCat("display_name = \"", quoted, "\""));
    EXPECT_EQ(StringOf(c), text);
  }
}

TEST(Filter, QuotesInsideStrings) {
  EXPECT_EQ(StringOf(OnlyComparison(R"(display_name = "\" OR 1=1 --")")),
            "\" OR 1=1 --");
  EXPECT_EQ(StringOf(OnlyComparison("display_name = \"it's\"")), "it's");
}

TEST(Filter, SqlOutsideStringsIsRefused) {
  for (absl::string_view text : {
           "'; DROP TABLE forums; --",
           "\" OR 1=1 --",
           "display_name = \"x\" OR 1=1 --",
           "display_name = \"x\"; DROP TABLE forums",
           "display_name = \"x\" -- comment",
           "display_name = \"x\" /* comment */",
           "status = ACTIVE; DELETE FROM forums",
           "display_name = 'x'",
           "display_name = \"x\" UNION SELECT * FROM participants",
           "session_count = 1; --",
           "session_count = 1 OR 1 = 1",
           "1=1",
           "display_name = $1",
       }) {
    const absl::StatusOr<std::optional<Node>> node = ParseTest(text);
    EXPECT_EQ(node.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(std::string(node.status().message()), StartsWith("filter: "))
        << text;
  }
}

TEST(Filter, FilterOfExactlyTheLimitIsAccepted) {
  const std::string prefix = "display_name = \"";
  const std::string text = absl::StrCat(
      prefix, std::string(kMaxFilterBytes - prefix.size() - 1, 'x'), "\"");
  ASSERT_EQ(text.size(), 2000u);
  EXPECT_TRUE(ParseTest(text).ok());
}

TEST(Filter, FilterOverTheLimitIsRefused) {
  const std::string prefix = "display_name = \"";
  const std::string text = absl::StrCat(
      prefix, std::string(kMaxFilterBytes - prefix.size(), 'x'), "\"");
  ASSERT_EQ(text.size(), 2001u);
  EXPECT_EQ(ErrorOf(text), "filter: must be at most 2000 bytes, got 2001");
}

std::string Nested(int depth) {
  return absl::StrCat(std::string(depth, '('), "status = ACTIVE",
                      std::string(depth, ')'));
}

TEST(Filter, ParenthesesMayNest32Deep) {
  EXPECT_EQ(CanonicalOf(Nested(32)), "status = FORUM_STATUS_ACTIVE");
}

TEST(Filter, ParenthesesNested33DeepAreRefused) {
  EXPECT_EQ(ErrorOf(Nested(33)),
            "filter: at position 33: parentheses nest more than 32 deep");
}

TEST(Filter, ManyOpenParenthesesAreRefusedWithoutRecursingOnThem) {
  EXPECT_THAT(ErrorOf(std::string(2000, '(')),
              StartsWith("filter: at position 33: parentheses nest"));
}

std::string Comparisons(int count) {
  std::string text;
  for (int i = 0; i < count; ++i) {
    absl::StrAppend(&text, i == 0 ? "" : " OR ", "session_count = ", i);
  }
  return text;
}

TEST(Filter, SixtyFourComparisonsAreAccepted) {
  const Node node = MustParse(Comparisons(64));
  EXPECT_EQ(node.children.size(), 64u);
}

TEST(Filter, SixtyFiveComparisonsAreRefused) {
  const std::string text = Comparisons(65);
  const size_t last = text.rfind("session_count");
  EXPECT_EQ(ErrorOf(text),
            absl::StrCat("filter: at position ", last + 1,
                         ": a filter may have at most 64 comparisons"));
}

TEST(Filter, LongNegationChainsAreBounded) {
  std::string text;
  for (int i = 0; i < 300; ++i) text += "NOT ";
  text += "status = ACTIVE";
  EXPECT_EQ(CanonicalOf(text), "status = FORUM_STATUS_ACTIVE");
  EXPECT_EQ(CanonicalOf(std::string(1985, '-') + "status=ACTIVE"),
            "NOT(status = FORUM_STATUS_ACTIVE)");
}

TEST(Filter, InvalidUtf8IsRefusedBeforeParsing) {
  const struct {
    std::string text;
    int position;
  } cases[] = {
      {"\xff", 1},
      {"status = \"\xff\"", 11},
      {"names:\"\xd0\xa4\xd0\"", 9},      // truncated 2-byte
      {"names:\"\xe2\x82\"", 8},          // truncated 3-byte
      {"names:\"\xf0\x9f\x98\"", 8},      // truncated 4-byte
      {"names:\"\xc0\xaf\"", 8},          // overlong '/'
      {"names:\"\xed\xa0\x80\"", 8},      // surrogate
      {"names:\"\xf4\x90\x80\x80\"", 8},  // above U+10FFFF
      {"names:\"x\" \x80 colour", 11},    // stray continuation
      {"colour\xc3", 7},                  // invalid beats unknown field
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ErrorOf(c.text), absl::StrCat("filter: at position ", c.position,
                                            ": not valid UTF-8"))
        << absl::CHexEscape(c.text);
  }
}

TEST(Filter, NulBytesAreRefused) {
  EXPECT_EQ(ErrorOf(std::string("status = ACTIVE\0", 16)),
            "filter: at position 16: control character U+0000 is not allowed");
  EXPECT_EQ(ErrorOf(std::string("display_name = \"a\0b\"", 20)),
            "filter: at position 18: control character U+0000 is not allowed");
  EXPECT_EQ(ErrorOf(std::string("\0", 1)),
            "filter: at position 1: control character U+0000 is not allowed");
}

TEST(Filter, ControlCharactersOutsideStringsAreRefused) {
  EXPECT_EQ(ErrorOf("status = ACTIVE\x01"),
            "filter: at position 16: control character U+0001 is not allowed");
  EXPECT_EQ(ErrorOf("status\x1b= ACTIVE"),
            "filter: at position 7: control character U+001B is not allowed");
  EXPECT_EQ(ErrorOf("status = ACTIVE\x7f"),
            "filter: at position 16: control character U+007F is not allowed");
}

TEST(Filter, TabsAndNewlinesAreWhitespace) {
  EXPECT_EQ(CanonicalOf("status\t=\r\nACTIVE"), "status = FORUM_STATUS_ACTIVE");
}

TEST(Filter, UnicodeOutsideStringsIsJustAnUnknownWord) {
  EXPECT_THAT(ErrorOf("статус = ACTIVE"),
              StartsWith("filter: at position 1: unknown field \"статус\""));
  EXPECT_THAT(ErrorOf("status = АКТИВ"),
              StartsWith("filter: at position 10: status: \"АКТИВ\" is not a "
                         "value"));
}

TEST(Filter, LongValuesAreCutShortInErrors) {
  const std::string text = absl::StrCat("status = ", std::string(500, 'A'));
  EXPECT_LT(ErrorOf(text).size(), 200u);
}

// Random and mutated input: never a crash, only OK or INVALID_ARGUMENT.
TEST(Filter, ArbitraryBytesNeverCrash) {
  std::mt19937 random(20240301);
  const std::vector<std::string> seeds = {
      "status = ACTIVE AND (kind = SUMMIT OR -founded < \"1994-07\")",
      "display_name = \"*A\\\"B\\u00e9*\" names:\"x\" topics:\"y\"",
      "NOT (session_count >= -3 inferred = true) active_on = \"2024-01-01\"",
  };
  std::string alphabet = "()=!<>:\"\\-* \tANDORNOTa1_.\xff\xc3\xa9";
  alphabet.push_back('\0');
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    if (i % 2 == 0) {
      text = seeds[random() % seeds.size()];
      const int edits = 1 + random() % 4;
      for (int e = 0; e < edits && !text.empty(); ++e) {
        const size_t at = random() % text.size();
        switch (random() % 3) {
          case 0:
            text.erase(at, 1);
            break;
          case 1:
            text.insert(at, 1, alphabet[random() % alphabet.size()]);
            break;
          default:
            text[at] = static_cast<char>(random() % 256);
        }
      }
    } else {
      const int length = random() % 40;
      for (int k = 0; k < length; ++k) {
        text.push_back(alphabet[random() % alphabet.size()]);
      }
    }
    const absl::StatusOr<std::optional<Node>> node = ParseTest(text);
    EXPECT_THAT(node.status().code(), AnyOf(absl::StatusCode::kOk,
                                            absl::StatusCode::kInvalidArgument))
        << absl::CHexEscape(text);
    if (node.ok() && node->has_value()) {
      // Whatever parses has a canonical text.
      EXPECT_THAT(Canonical(*node), ::testing::Not(IsEmpty()));
    }
  }
}

TEST(Filter, OpTokenSpellsEveryOperator) {
  EXPECT_EQ(OpToken(Op::kEq), "=");
  EXPECT_EQ(OpToken(Op::kNe), "!=");
  EXPECT_EQ(OpToken(Op::kLt), "<");
  EXPECT_EQ(OpToken(Op::kLe), "<=");
  EXPECT_EQ(OpToken(Op::kGt), ">");
  EXPECT_EQ(OpToken(Op::kGe), ">=");
  EXPECT_EQ(OpToken(Op::kHas), ":");
}

}  // namespace
}  // namespace forum_registry::domain::filter
