#ifndef FORUM_REGISTRY_STORE_FILTER_SQL_H_
#define FORUM_REGISTRY_STORE_FILTER_SQL_H_

// Compiles a parsed List filter (src/domain/filter.h) to a SQL condition.
//
// Indexes: conditions are written so that the indexes of the migrations can
// serve them (tests/integration/index_test.cc EXPLAINs each): a comparison
// is left bare unless a NOT is above it (only there must NULL become false),
// `=` on a reference is the plain column, names use array containment (GIN),
// dates overlap (GiST) or compare their first day (btree on lower()).
//
// Safety: the SQL is assembled only from this program's own fragments — the
// allow-listed column expressions of the kind and fixed operators — and every
// value from the client becomes a bound parameter ($n). Nothing a client
// writes is ever spliced into SQL text.
//
// Meaning by field type (documented for clients in docs/api.md):
//   kString     = != < <= > >= compare text (bytewise); `=` with a leading or
//               trailing * matches a prefix/suffix; `:` is a case-insensitive
//               substring match. Absent text counts as "", as in proto3.
//   kEnum, kReference, kBool   = and !=.
//   kInteger    numeric comparisons; absent counts as 0.
//   kDate       the field is a partial date (a range of days). `=` means the
//               field and the literal share a day (so `start_date = "2023"`
//               is any time in 2023), `!=` that they do not; `<` and `>=`
//               compare the field's first day with the literal's first day,
//               `<=` and `>` with the literal's last day — so
//               `start_date >= "2023-07" AND start_date <= "2023-07"` is
//               "starts in July 2023". An absent date matches no comparison.
//   kDay        `active_on = "YYYY-MM-DD"`: the record's period covers the day.
//   kStringList `:` holds the value as one element.
//   kNames      `:` and `=`: any name of the record equals the value,
//               ignoring case.
//   kExternalIds, kCitedSources   the same over the record's external ids
//               ("scheme:value") and the sources its citations name.

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/domain/filter.h"
#include "src/store/resource_store.h"

namespace forum_registry::store {

// Appends the filter's values to `params` (numbered after those already
// there) and returns the condition.
absl::StatusOr<std::string> FilterToSql(
    const domain::filter::Node& filter,
    const std::map<std::string, Column>& columns,
    std::vector<std::string>* params);

}  // namespace forum_registry::store

#endif  // FORUM_REGISTRY_STORE_FILTER_SQL_H_
