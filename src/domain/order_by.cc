#include "src/domain/order_by.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "src/domain/validation.h"

namespace forum_registry::domain {

std::string OrderBy::Canonical() const {
  std::vector<std::string> parts;
  for (const OrderKey& key : keys) {
    parts.push_back(absl::StrCat(key.field, key.descending ? " desc" : ""));
  }
  if (name_descending) parts.push_back("name desc");
  return absl::StrJoin(parts, ", ");
}

absl::StatusOr<OrderBy> ParseOrderBy(absl::string_view text,
                                     const std::vector<std::string>& allowed) {
  const auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "order_by: ", why, "; use keys separated by commas from: name",
        allowed.empty() ? "" : ", ", absl::StrJoin(allowed, ", "),
        ", each optionally followed by \" desc\""));
  };
  OrderBy order;
  if (absl::StripAsciiWhitespace(text).empty()) return order;
  std::set<std::string> seen;
  bool after_name = false;
  int position = 0;
  // Lazily, key by key, stopping at the first error: a huge order_by costs
  // no more than its first bad key.
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    ++position;
    item = absl::StripAsciiWhitespace(item);
    // At most "field direction": a third word is an error, and the rest is
    // not split.
    std::vector<absl::string_view> words;
    for (absl::string_view word :
         absl::StrSplit(item, absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty())) {
      words.push_back(word);
      if (words.size() > 2) break;
    }
    if (words.empty()) {
      return invalid(absl::StrCat("key ", position, " is empty"));
    }
    if (words.size() > 2) {
      return invalid(absl::StrCat("cannot read \"", Quote(item),
                                  "\" (a key is a field, then asc or desc)"));
    }
    OrderKey key{.field = std::string(words[0])};
    if (words.size() == 2) {
      const std::string direction = absl::AsciiStrToLower(words[1]);
      if (direction != "asc" && direction != "desc") {
        return invalid(absl::StrCat("\"", Quote(words[1]), "\" after \"",
                                    Quote(words[0]), "\" is not asc or desc"));
      }
      key.descending = direction == "desc";
    }
    const bool known =
        key.field == "name" ||
        std::find(allowed.begin(), allowed.end(), key.field) != allowed.end();
    if (!known) {
      return invalid(
          absl::StrCat("\"", Quote(key.field), "\" cannot be ordered by"));
    }
    if (!seen.insert(key.field).second) {
      return invalid(absl::StrCat("\"", Quote(key.field),
                                  "\" is repeated; each key may appear once"));
    }
    if (after_name) {
      return invalid(absl::StrCat(
          "\"", Quote(key.field),
          "\" follows name; name is unique, so it must be the last key"));
    }
    if (key.field == "name") {
      order.name_descending = key.descending;
      after_name = true;
      continue;
    }
    order.keys.push_back(std::move(key));
  }
  return order;
}

}  // namespace forum_registry::domain
