#ifndef FORUM_REGISTRY_STORE_PLANNER_COST_H_
#define FORUM_REGISTRY_STORE_PLANNER_COST_H_

// What the planner expects a statement to cost: EXPLAIN's "Total Cost" of
// its plan for these parameters, about a page read each. Admission
// (api/costly_lists.h) asks it before a List, ListChanges or Search runs;
// the statement itself is planned, not run.
//
// A LIMIT discounts the cost of what is under it by the share of rows the
// planner expects to need; when the filter matches fewer rows than it
// hopes (none, say), the scan runs to its end. With `worst_case`, the cost
// is the largest of any node of the plan: what the statement costs if its
// LIMIT cuts nothing short.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/store/pool.h"

namespace forum_registry::store {

absl::StatusOr<double> PlannerCost(ConnectionPool& pool, const std::string& sql,
                                   const std::vector<std::string>& params,
                                   absl::Time deadline,
                                   bool worst_case = false);

}  // namespace forum_registry::store

#endif  // FORUM_REGISTRY_STORE_PLANNER_COST_H_
