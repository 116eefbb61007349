#ifndef FORUM_REGISTRY_DOMAIN_ORDER_BY_H_
#define FORUM_REGISTRY_DOMAIN_ORDER_BY_H_

// The `order_by` of List requests (AIP-132): a comma-separated list of keys
// from a per-resource allow-list, each optionally followed by " desc" (or
// " asc"), compared in turn:
//
//   "start_date"                  earliest first
//   "start_date desc, display_name"
//                                 latest first; on one day, by display name
//   "ordinal desc, start_date"    highest ordinal first, then by start
//   ""  or  "name"                name order, the default
//   "name desc"                   reverse name order
//
// Rows with equal keys come in name order: `name` is the last key of every
// order, so no two rows tie and pages never overlap. It may be written last
// ("start_date, name" is "start_date"), with " desc" to reverse the
// tiebreak; being unique, it must be the last key written. Each key may
// appear once. Whitespace around keys and words is ignored; the words asc
// and desc in any case; field names as the allow-list spells them.
//
//   absl::StatusOr<OrderBy> order =
//       ParseOrderBy("start_date desc, display_name", type.order_by);
//   // order->keys: {start_date, desc}, {display_name, asc}
//   // order->Canonical() == "start_date desc, display_name"
//
// Everything refused is INVALID_ARGUMENT starting "order_by: ", naming the
// key and the rule, with the keys allowed.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace forum_registry::domain {

struct OrderKey {
  std::string field;
  bool descending = false;

  bool operator==(const OrderKey&) const = default;
};

struct OrderBy {
  // The keys before the name, in order; empty for name order.
  std::vector<OrderKey> keys;
  // The direction of the final tiebreak by name.
  bool name_descending = false;

  // One spelling for each ordering, for page tokens to be bound to:
  // "start_date desc, display_name", "" for name order, "name desc".
  // Orderings that sort alike ("start_date, name" and "start_date asc")
  // have the same canonical form.
  std::string Canonical() const;
};

absl::StatusOr<OrderBy> ParseOrderBy(absl::string_view text,
                                     const std::vector<std::string>& allowed);

}  // namespace forum_registry::domain

#endif  // FORUM_REGISTRY_DOMAIN_ORDER_BY_H_
