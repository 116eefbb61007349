#include "src/domain/order_by.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "src/domain/validation.h"

namespace forum_registry::domain {

absl::StatusOr<OrderBy> ParseOrderBy(absl::string_view text,
                                     const std::vector<std::string>& allowed) {
  const auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "order_by: ", why, "; use one of: name", allowed.empty() ? "" : ", ",
        absl::StrJoin(allowed, ", "), ", optionally followed by \" desc\""));
  };
  std::vector<std::string> items;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    items.emplace_back(absl::StripAsciiWhitespace(item));
  }
  // A trailing "name" is the tiebreak every order has anyway.
  if (items.size() == 2 && items[1] == "name") items.pop_back();
  if (items.size() > 1) return invalid("orders by one field only");
  OrderBy order;
  if (items.empty() || items[0].empty()) return order;
  std::vector<std::string> words =
      absl::StrSplit(items[0], ' ', absl::SkipEmpty());
  if (words.size() == 2) {
    const std::string direction = absl::AsciiStrToLower(words[1]);
    if (direction != "asc" && direction != "desc") {
      return invalid(
          absl::StrCat("\"", Quote(words[1]), "\" is not asc or desc"));
    }
    order.descending = direction == "desc";
  } else if (words.size() != 1) {
    return invalid(absl::StrCat("cannot read \"", Quote(items[0]), "\""));
  }
  if (words[0] == "name") {
    if (order.descending) return invalid("name order is ascending only");
    return order;
  }
  if (std::find(allowed.begin(), allowed.end(), words[0]) == allowed.end()) {
    return invalid(
        absl::StrCat("\"", Quote(words[0]), "\" cannot be ordered by"));
  }
  order.field = words[0];
  return order;
}

}  // namespace forum_registry::domain
