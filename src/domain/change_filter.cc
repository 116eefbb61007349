#include "src/domain/change_filter.h"

#include <string>
#include <variant>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "forumregistry/v1/change.pb.h"
#include "src/domain/partial_date.h"
#include "src/domain/resource_name.h"
#include "src/domain/resource_registry.h"

namespace forum_registry::domain {
namespace {

using filter::Comparison;
using filter::FieldType;
using filter::Node;
using filter::Op;

template <typename T>
bool Compare(const T& left, Op op, const T& right) {
  switch (op) {
    case Op::kEq:
    case Op::kHas:
      return left == right;
    case Op::kNe:
      return left != right;
    case Op::kLt:
      return left < right;
    case Op::kLe:
      return left <= right;
    case Op::kGt:
      return left > right;
    case Op::kGe:
      return left >= right;
  }
  return false;
}

// As the SQL of src/store/filter_sql.cc reads a kString: bytewise, '*' at an
// end of `=` / `!=` a wildcard, ':' a substring ignoring (ASCII) case.
bool MatchText(absl::string_view text, const Comparison& comparison) {
  const std::string& value = std::get<std::string>(comparison.value.value);
  if (comparison.op == Op::kHas) {
    return absl::StrContains(absl::AsciiStrToLower(text),
                             absl::AsciiStrToLower(value));
  }
  const bool prefix = comparison.value.wildcard_prefix;
  const bool suffix = comparison.value.wildcard_suffix;
  if (prefix || suffix) {
    const bool matched = prefix && suffix ? absl::StrContains(text, value)
                         : prefix         ? absl::EndsWith(text, value)
                                          : absl::StartsWith(text, value);
    return comparison.op == Op::kNe ? !matched : matched;
  }
  return Compare(text, comparison.op, absl::string_view(value));
}

// A change's day against a partial date, as filter_sql.cc compares a
// daterange of one day.
bool MatchDay(absl::CivilDay day, const Comparison& comparison) {
  const DayRange days =
      CoveredDays(std::get<PartialDate>(comparison.value.value));
  switch (comparison.op) {
    case Op::kEq:
    case Op::kHas:
      return *days.first <= day && day <= *days.last;
    case Op::kNe:
      return day < *days.first || *days.last < day;
    case Op::kLt:
      return day < *days.first;
    case Op::kGe:
      return day >= *days.first;
    case Op::kLe:
      return day <= *days.last;
    case Op::kGt:
      return day > *days.last;
  }
  return false;
}

bool MatchComparison(const Comparison& comparison, const ChangeFacts& facts) {
  const std::string& field = comparison.field->name;
  if (field == "resource") {
    return Compare(
        facts.resource, comparison.op,
        absl::string_view(std::get<std::string>(comparison.value.value)));
  }
  if (field == "collection") {
    const size_t slash = facts.resource.rfind('/');
    return MatchText(slash == absl::string_view::npos
                         ? facts.resource
                         : facts.resource.substr(0, slash),
                     comparison);
  }
  if (field == "operation") {
    return Compare(
        facts.operation, comparison.op,
        absl::string_view(std::get<std::string>(comparison.value.value)));
  }
  if (field == "revision") {
    return Compare(facts.revision, comparison.op,
                   std::get<int64_t>(comparison.value.value));
  }
  if (field == "change_time") return MatchDay(facts.change_day, comparison);
  return false;  // not a field of ChangeFilterSchema()
}

// The first `resource` comparison of `node` whose value names no record.
const Comparison* BadResource(const Node& node) {
  if (node.kind != Node::Kind::kComparison) {
    for (const Node& child : node.children) {
      if (const Comparison* bad = BadResource(child)) return bad;
    }
    return nullptr;
  }
  if (node.comparison.field->name != "resource") return nullptr;
  const std::string& name = std::get<std::string>(node.comparison.value.value);
  if (name.empty()) return nullptr;
  if (FindByName(name) != nullptr) {
    const std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
    bool ids_valid = true;
    for (size_t i = 1; i < parts.size(); i += 2) {
      ids_valid = ids_valid && IsValidId(parts[i]);
    }
    if (ids_valid) return nullptr;
  }
  return &node.comparison;
}

}  // namespace

absl::StatusOr<std::optional<filter::Node>> ParseChangeFilter(
    absl::string_view text) {
  absl::StatusOr<std::optional<Node>> node =
      filter::Parse(text, ChangeFilterSchema());
  if (!node.ok() || !node->has_value()) return node;
  if (const Comparison* bad = BadResource(**node)) {
    return absl::InvalidArgumentError(
        absl::StrCat("filter: at position ", bad->position, ": resource \"",
                     std::get<std::string>(bad->value.value),
                     "\" is not the name of a record (like forums/arf or "
                     "forums/arf/sessions/30)"));
  }
  return node;
}

const filter::Schema& ChangeFilterSchema() {
  static const filter::Schema* const kSchema = new filter::Schema{
      {.name = "resource", .type = FieldType::kReference},
      {.name = "collection", .type = FieldType::kString},
      {.name = "operation",
       .type = FieldType::kEnum,
       .enum_type = forumregistry::v1::ChangeOperation_descriptor()},
      {.name = "revision", .type = FieldType::kInteger},
      {.name = "change_time", .type = FieldType::kDate},
  };
  return *kSchema;
}

bool MatchesChange(const Node& filter, const ChangeFacts& facts) {
  switch (filter.kind) {
    case Node::Kind::kAnd:
      for (const Node& child : filter.children) {
        if (!MatchesChange(child, facts)) return false;
      }
      return true;
    case Node::Kind::kOr:
      for (const Node& child : filter.children) {
        if (MatchesChange(child, facts)) return true;
      }
      return false;
    case Node::Kind::kNot:
      return !MatchesChange(filter.children[0], facts);
    case Node::Kind::kComparison:
      return MatchComparison(filter.comparison, facts);
  }
  return false;
}

}  // namespace forum_registry::domain
