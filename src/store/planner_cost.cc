#include "src/store/planner_cost.h"

#include <algorithm>
#include <pqxx/pqxx>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "src/domain/status_macros.h"
#include "src/store/transaction.h"

namespace forum_registry::store {

absl::StatusOr<double> PlannerCost(ConnectionPool& pool, const std::string& sql,
                                   const std::vector<std::string>& params,
                                   absl::Time deadline, bool worst_case) {
  double cost = -1;
  FR_RETURN_IF_ERROR(RunSingleRead(
      pool, deadline,
      [&](ConnectionPool::Lease&, pqxx::transaction_base& txn) -> absl::Status {
        const pqxx::result plan =
            txn.exec_params(absl::StrCat("EXPLAIN (FORMAT JSON) ", sql),
                            pqxx::prepare::make_dynamic_params(params));
        const std::string json = plan[0][0].as<std::string>();
        // The first "Total Cost" is the top node's; the others, its
        // children's, all the way down.
        const std::string kTotal = "\"Total Cost\": ";
        for (size_t at = json.find(kTotal); at != std::string::npos;
             at = json.find(kTotal, at + 1)) {
          const size_t start = at + kTotal.size();
          double node = 0;
          if (!absl::SimpleAtod(
                  json.substr(start, json.find_first_of(",\n}", start) - start),
                  &node)) {
            break;
          }
          cost = std::max(cost, node);
          if (!worst_case) break;
        }
        if (cost < 0) return absl::InternalError("EXPLAIN gave no total cost");
        return absl::OkStatus();
      }));
  return cost;
}

}  // namespace forum_registry::store
