#ifndef FORUM_REGISTRY_DOMAIN_FILTER_H_
#define FORUM_REGISTRY_DOMAIN_FILTER_H_

// The `filter` of List methods: a documented subset of AIP-160.
//
// A filter is parsed into a small typed tree, checked against the fields a
// resource lets clients filter on (its Schema). Every literal in the tree is
// already resolved and typed (an enum value's full name, a PartialDate, a
// CivilDay, an int64), so the store layer only walks the tree and binds the
// values as query parameters; no text of the filter ever reaches SQL.
//
//   display_name = "ASEAN Regional Forum"
//   display_name = "ASEAN*"             // wildcards: starts with "ASEAN"
//   display_name:"asean"                // contains, ignoring case
//   status = ACTIVE                     // or FORUM_STATUS_ACTIVE
//   kind != SUMMIT AND founded >= "1990"
//   founded = "2023-06"                 // YYYY, YYYY-MM or YYYY-MM-DD
//   active_on = "2024-03-01"            // a full date
//   topics:"energy"                     // has the element "energy"
//   names:"АРФ"                         // any name, any language, any case
//   external_ids:"wikidata:Q7768"       // carries that external id
//   citations.source = "sources/mfa-1374-11-07-2023"   // cites the source
//   parent = "forums/asean"
//   -status = DISSOLVED (kind = SUMMIT OR kind = MINISTERIAL)
//
// Grammar (AIP-160's, without functions, bare text search or `:*`):
//
//   filter      = [ expression ]
//   expression  = sequence { "AND" sequence }
//   sequence    = factor { factor }             (side by side means AND)
//   factor      = term { "OR" term }
//   term        = [ "NOT" | "-" ] simple
//   simple      = comparison | "(" expression ")"
//   comparison  = field op value
//   op          = "=" | "!=" | "<" | "<=" | ">" | ">=" | ":"
//   field       = a name from the schema: snake_case, may contain dots
//   value       = string | integer | "true" | "false" | identifier
//                 (a bare identifier is an enum value; text, dates and
//                 names are always quoted)
//   string      = '"' { character | escape } '"'
//   escape      = \" \\ \n \r \t \* (a literal '*') or \uXXXX
//   integer     = [ "-" ] digit { digit }   (the "-" touching the digits)
//
// Precedence, as AIP-160 has it: NOT and '-' bind tightest, then OR, then
// AND, so `a = 1 AND b = 2 OR c = 3` means `a = 1 AND (b = 2 OR c = 3)`. The
// keywords are upper case; whitespace is space, tab, CR and LF.
//
// What each field type takes:
//
//   type         ops                      value, stored in Literal as
//   kString      = != < <= > >= :         "text" -> std::string
//   kEnum        = !=                     ACTIVE, FORUM_STATUS_ACTIVE or
//                                         "ACTIVE" -> std::string, the full
//                                         value name (never UNSPECIFIED);
//                                         enum_type->FindValueByName gives
//                                         its number
//   kInteger     = != < <= > >=           -12 -> int64_t
//   kBool        = !=                     true, false -> bool
//   kDate        = != < <= > >=           "2023", "2023-06", "2023-06-15"
//                                         -> PartialDate, at the precision
//                                         written (CoveredDays gives its days)
//   kDay         =                        "2023-06-15" -> absl::CivilDay
//   kStringList  :                        "energy" -> std::string: has an
//                                         element equal to it
//   kNames       : (and =, read as :)     "ARF" -> std::string: some name
//                                         equals it, ignoring case
//   kReference   = !=                     "forums/arf" -> std::string; ""
//                                         means none; checked against
//                                         FieldSpec::collection if set
//   kExternalIds : (and =, read as :)     "wikidata:Q7768" -> std::string:
//                                         some external id is it, ignoring
//                                         case; CheckExternalIdText
//   kCitedSources : (and =, read as :)    "sources/x" -> std::string: some
//                                         citation cites it; must be a
//                                         name in FieldSpec::collection
//
// For kString, ':' means "contains, ignoring case". With '=' and '!=' an
// unescaped '*' at the start or end of the string is a wildcard: the Literal
// holds the string without it and sets wildcard_prefix / wildcard_suffix. A
// '*' anywhere else, an escaped \*, and every '*' with other operators or
// types is just a character. Text may hold '%', '_' and '\\': a store that
// matches with LIKE must escape them.
//
// The tree is normalised: kAnd and kOr nodes have two or more children, none
// of their own kind (`a AND (b AND c)` is one kAnd of three); a kNot has one
// child, never itself a kNot (`NOT -a` is `a`); parentheses leave no trace.
// Comparisons have no children. A tree is at most 3 * (kMaxDepth + 1) + 1
// levels deep, so walking it recursively is safe.
//
// Errors are INVALID_ARGUMENT and read "filter: at position 12: expected a
// value after '='". Positions count characters (code points) from 1; the end
// of the filter is its length plus one.
//
// Hostile input is bounded and checked before it is parsed: at most
// kMaxFilterBytes bytes, valid UTF-8, and no control characters but the
// whitespace above (a string may hold \t \n \r, written raw or escaped, and
// no other control character, NUL above all). Parsing then reports the first
// problem from the left; it refuses more than kMaxDepth nested parentheses
// and more than kMaxComparisons comparisons, and recurses only into
// parentheses. Quotes, semicolons and SQL comments inside a string are plain
// characters of the string; outside one they are syntax errors.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "forumregistry/v1/common.pb.h"
#include "google/protobuf/descriptor.h"

namespace forum_registry::domain::filter {

using forumregistry::v1::PartialDate;

inline constexpr size_t kMaxFilterBytes = 2000;
inline constexpr int kMaxDepth = 32;
inline constexpr int kMaxComparisons = 64;

enum class FieldType {
  kString,        // text
  kEnum,          // a proto enum; needs FieldSpec::enum_type
  kInteger,       // a 64-bit integer
  kBool,          // true or false
  kDate,          // a PartialDate field
  kDay,           // a virtual "as of" field such as active_on
  kStringList,    // a repeated string (topics)
  kNames,         // a record's names in all languages
  kReference,     // a resource name like "forums/arf"
  kExternalIds,   // a record's external ids, as "scheme:value"
  kCitedSources,  // the sources a record's citations name
};

// One field a client may filter on.
//
// Every member has a default, so schemas can be written with designated
// initializers under -Wmissing-field-initializers:
//   {.name = "status", .type = FieldType::kEnum,
//    .enum_type = forumregistry::v1::ForumStatus_descriptor()}
struct FieldSpec {
  // As written in a filter: snake_case, may contain dots ("venue.city").
  std::string name{};
  FieldType type = FieldType::kString;
  // For kEnum: the enum whose value names the field takes. Required.
  const google::protobuf::EnumDescriptor* enum_type = nullptr;
  // For kReference: if set, a value must be "" or `{collection}/{id}`.
  std::string collection{};
};

// The fields of one resource, in the order error messages list them.
using Schema = std::vector<FieldSpec>;

enum class Op { kEq, kNe, kLt, kLe, kGt, kGe, kHas };

// A value, resolved and typed for its field; see the table above.
struct Literal {
  std::variant<std::string, int64_t, bool, PartialDate, absl::CivilDay> value{};
  // kString with kEq or kNe only: the value is matched as a suffix (prefix
  // wildcard), a prefix (suffix wildcard), or a substring (both).
  bool wildcard_prefix = false;
  bool wildcard_suffix = false;
};

struct Comparison {
  // Points into the Schema given to Parse, which must outlive the tree.
  const FieldSpec* field = nullptr;
  Op op = Op::kEq;
  Literal value{};
  // Where the field name starts in the filter, in characters from 1.
  int position = 0;
};

struct Node {
  enum class Kind { kAnd, kOr, kNot, kComparison };
  Kind kind = Kind::kComparison;
  // kAnd, kOr: two or more; kNot: one; kComparison: none.
  std::vector<Node> children{};
  // kComparison only.
  Comparison comparison{};
};

// Parses `filter` against `schema`. An empty or all-whitespace filter is
// std::nullopt: match everything.
absl::StatusOr<std::optional<Node>> Parse(absl::string_view filter,
                                          const Schema& schema);

// A canonical text of a tree, for page-token fingerprints and tests: the same
// text for filters that differ only in whitespace, parentheses, the order of
// AND and OR operands, double negation, or how a value was spelled (ACTIVE and
// FORUM_STATUS_ACTIVE, 007 and 7). Prefix form, not a filter:
//   AND(display_name = "ARF*", OR(kind = FORUM_KIND_SUMMIT, topics:"ict"))
std::string Canonical(const Node& node);

// "" for std::nullopt (no filter).
std::string Canonical(const std::optional<Node>& node);

// "=", "!=", "<", "<=", ">", ">=", ":".
absl::string_view OpToken(Op op);

}  // namespace forum_registry::domain::filter

#endif  // FORUM_REGISTRY_DOMAIN_FILTER_H_
