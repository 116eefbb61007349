#ifndef FORUM_REGISTRY_STORE_CHANGE_LOG_H_
#define FORUM_REGISTRY_STORE_CHANGE_LOG_H_

// Reading the change log (migrations/0001 and 0004): one row per committed
// write, at a revision that grows in commit order, so a reader that resumes
// after the highest revision it has seen misses nothing.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "forumregistry/v1/change.pb.h"
#include "src/domain/filter.h"
#include "src/domain/resource_registry.h"
#include "src/store/pool.h"

namespace forum_registry::store {

// The newest revision committed, as a scalar SQL expression (0 while the log
// is empty): revisions grow in commit order and retention never deletes the
// newest (migrations/0004), so within one snapshot it covers every write
// that snapshot sees. The read path, the revision check and initial-state
// reads all take it from here.
inline constexpr char kNewestRevisionSql[] =
    "(SELECT coalesce(max(sequence), 0) FROM changes)";

// The revision the history begins at (migrations/0015's change_horizon): a
// record's state after any revision at or past it is its latest change up to
// that revision; before it, compaction has removed changes (or, in a log an
// earlier version purged, the changes before its migration are not whole).
// 0 while nothing was compacted.
inline constexpr char kHorizonRevisionSql[] =
    "(SELECT coalesce((SELECT greatest(revision, history_from) "
    "FROM change_horizon), 0))";

// The oldest revision from which the log holds every change: past the
// horizon when compaction has run, else the oldest kept (0 while empty). A
// follower that resumes after a revision below it - 1 may miss changes.
inline constexpr char kOldestRevisionSql[] =
    "(SELECT coalesce(nullif((SELECT revision FROM change_horizon), 0) + 1, "
    "(SELECT coalesce(min(sequence), 0) FROM changes)))";

// Revisions of the log: the oldest from which it is whole and the newest
// (0 and 0 while empty).
struct RevisionBounds {
  int64_t oldest = 0;
  int64_t newest = 0;
};

// A run of changes read in one snapshot, and the oldest and newest revisions
// kept in that snapshot: when `changes` is not full, every change up to
// `newest` has been read; when the revision read after is below `oldest` - 1,
// changes after it may have been purged.
struct ChangeBatch {
  std::vector<forumregistry::v1::Change> changes;
  // From ChangeListener::ReadAfter, beside each change, the record it wrote
  // as decoded for it (null for a delete, or a kind this server does not
  // know), its version and update time: what the record cache holds,
  // without decoding the change again. Empty from ChangeLog::ReadAfter,
  // whose records are spliced from their stored bytes.
  struct Written {
    std::shared_ptr<const google::protobuf::Message> record;
    int64_t version = 0;
    int64_t update_micros = 0;
  };
  std::vector<Written> written;
  int64_t oldest = 0;
  int64_t newest = 0;
  // The batch stopped early, at kReadAfterBytes of records: more follow
  // even if it holds fewer changes than asked for.
  bool cut = false;
};

// The most bytes of records (their JSON) one ReadAfter returns; it holds at
// least one change.
inline constexpr size_t kReadAfterBytes = 16 << 20;

// Records of one kind, read in one snapshot, as changes that create them
// (revision 0, change_time their update_time), and the newest revision
// committed in that snapshot.
struct RecordBatch {
  std::vector<forumregistry::v1::Change> records;
  int64_t newest = 0;
  // Stopped early at kReadAfterBytes of records: more of the kind follow.
  bool cut = false;
};

class ChangeLog {
 public:
  // Reads from `pool`: a replica's serves as well, since a replica applies
  // commits in the primary's order.
  explicit ChangeLog(ConnectionPool* pool);

  // Appends up to `page_size` changes after revision `after`, oldest first,
  // that match `filter` (null: all; its fields those of
  // domain::ChangeFilterSchema), each to a message made by `add`, and
  // stops before the change whose record would pass `max_bytes` (0: no
  // bound; at least one change). `*more` tells whether more remain.
  absl::Status List(int64_t after, const domain::filter::Node* filter,
                    int page_size,
                    const std::function<forumregistry::v1::Change*()>& add,
                    bool* more, absl::Time deadline, size_t max_bytes = 0);

  // The statement List runs, and its parameters (for EXPLAIN in tests).
  struct Statement {
    std::string sql;
    std::vector<std::string> params;
  };
  static absl::StatusOr<Statement> ListStatement(
      int64_t after, const domain::filter::Node* filter, int page_size,
      size_t max_bytes = 0);

  // What the planner expects List with these arguments to cost at worst
  // (planner_cost.h).
  absl::StatusOr<double> EstimateListCost(int64_t after,
                                          const domain::filter::Node* filter,
                                          int page_size, absl::Time deadline,
                                          size_t max_bytes = 0);

  absl::StatusOr<RevisionBounds> Bounds(absl::Time deadline);

  // Up to `limit` changes after revision `after`, all of them, oldest
  // first, and about `max_bytes` of records (at least one).
  absl::StatusOr<ChangeBatch> ReadAfter(int64_t after, int limit,
                                        absl::Time deadline,
                                        size_t max_bytes = kReadAfterBytes);

  // Up to `limit` records of `type` named after `after_name`, in name
  // order, and about `max_bytes` of them (at least one).
  absl::StatusOr<RecordBatch> ReadRecords(const domain::ResourceType& type,
                                          const std::string& after_name,
                                          int limit, absl::Time deadline,
                                          size_t max_bytes = kReadAfterBytes);

 private:
  ConnectionPool* pool_;
};

// A connection of its own that LISTENs for the notification every committed
// change sends, and reads the log. Not thread-safe: one thread uses it.
class ChangeListener {
 public:
  // Does not connect yet.
  explicit ChangeListener(std::string url);
  ~ChangeListener();
  ChangeListener(const ChangeListener&) = delete;
  ChangeListener& operator=(const ChangeListener&) = delete;

  // Waits until a change is committed, `timeout` passes, or the connection
  // fails; connects first if it is not connected. An error means the
  // connection was lost (the next call connects again); notifications
  // sent meanwhile are lost too, so read the log after a reconnect.
  absl::Status Wait(absl::Duration timeout);

  // As ChangeLog::ReadAfter, on this connection.
  absl::StatusOr<ChangeBatch> ReadAfter(int64_t after, int limit);

 private:
  struct State;
  absl::Status Connect();

  const std::string url_;
  std::unique_ptr<State> state_;
};

// The transaction-scoped advisory lock a purge batch of the change log holds
// ("fr-purge" in ASCII); an Undelete holds it shared, so that no batch
// compacts what it reads.
inline constexpr int64_t kChangePurgeLock = 0x66722d7075726765;

// Retention, one batch at a time (migrations/0013's purge_changes): deletes
// up to `batch` of the oldest changes committed more than `retention` ago,
// never the newest, which keeps the current revision readable, in one short
// transaction. The serving role deletes nothing itself: the function, run
// as its owner, does, and refuses a `retention` shorter than the database's
// retention_floor (INVALID_ARGUMENT). Replicas share the work by a
// transaction-scoped advisory lock: while one runs a batch, another skips
// (nullopt). Otherwise the number of changes deleted; fewer than `batch`
// means none older is left.
absl::StatusOr<std::optional<int64_t>> PurgeChanges(ConnectionPool* primary,
                                                    absl::Duration retention,
                                                    int batch,
                                                    absl::Time deadline);

// Retention of request ids (migrations/0010), the same way: up to `batch`
// of those stored more than `retention` ago. A retry with a purged id is a
// new request.
absl::StatusOr<std::optional<int64_t>> PurgeWriteRequests(
    ConnectionPool* primary, absl::Duration retention, int batch,
    absl::Time deadline);

// The bounds of `batch` above (and of --change-purge-batch).
inline constexpr int kMinPurgeBatch = 1;
inline constexpr int kMaxPurgeBatch = 100000;

}  // namespace forum_registry::store

#endif  // FORUM_REGISTRY_STORE_CHANGE_LOG_H_
