#ifndef FORUM_REGISTRY_STORE_CHANGE_LOG_H_
#define FORUM_REGISTRY_STORE_CHANGE_LOG_H_

// Reading the change log (migrations/0001 and 0004): one row per committed
// write, at a revision that grows in commit order, so a reader that resumes
// after the highest revision it has seen misses nothing.

#include <cstdint>
#include <functional>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "forumregistry/v1/change.pb.h"
#include "src/domain/filter.h"
#include "src/store/pool.h"

namespace forum_registry::store {

class ChangeLog {
 public:
  // Reads from `pool`: a replica's serves as well, since a replica applies
  // commits in the primary's order.
  explicit ChangeLog(ConnectionPool* pool);

  // Appends up to `page_size` changes after revision `after`, oldest first,
  // that match `filter` (null: all; its fields those of
  // domain::ChangeFilterSchema), each to a message made by `add`. `*more`
  // tells whether more remain.
  absl::Status List(int64_t after, const domain::filter::Node* filter,
                    int page_size,
                    const std::function<forumregistry::v1::Change*()>& add,
                    bool* more, absl::Time deadline);

 private:
  ConnectionPool* pool_;
};

// Retention: deletes the changes committed more than `retention` ago, but
// never the newest, which keeps the current revision readable. Replicas share
// the work by a transaction-scoped advisory lock: while one purges, another
// skips (nullopt). Otherwise the number of changes deleted.
absl::StatusOr<std::optional<int64_t>> PurgeChanges(ConnectionPool* primary,
                                                    absl::Duration retention,
                                                    absl::Time deadline);

}  // namespace forum_registry::store

#endif  // FORUM_REGISTRY_STORE_CHANGE_LOG_H_
