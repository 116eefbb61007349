#ifndef FORUM_REGISTRY_DOMAIN_ORDER_BY_H_
#define FORUM_REGISTRY_DOMAIN_ORDER_BY_H_

// The `order_by` of List requests (AIP-132): one field, optionally followed by
// " desc" (or " asc"), from a per-resource allow-list:
//
//   "start_date"          earliest first
//   "start_date desc"     latest first
//   ""  or  "name"        name order, the default
//
// Rows with equal keys come in name order, which is also the last key of
// every order, so pages never overlap. A trailing ", name" is accepted and
// changes nothing.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace forum_registry::domain {

struct OrderBy {
  // The field, or empty for name order.
  std::string field;
  bool descending = false;
};

absl::StatusOr<OrderBy> ParseOrderBy(absl::string_view text,
                                     const std::vector<std::string>& allowed);

}  // namespace forum_registry::domain

#endif  // FORUM_REGISTRY_DOMAIN_ORDER_BY_H_
