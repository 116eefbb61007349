#ifndef FORUM_REGISTRY_STORE_EXPORTER_H_
#define FORUM_REGISTRY_STORE_EXPORTER_H_

// Reads whole tables of records, every table in one snapshot: an export made
// while others write is still one consistent state of the registry. As of a
// revision of the change log it reads the records as they stood then
// (migrations/0015), in the same snapshot, so retention cannot compact what
// it reads.
//
//   absl::StatusOr<std::unique_ptr<Exporter>> exporter = Exporter::Open(url);
//   if (!exporter.ok()) return exporter.status();
//   FR_RETURN_IF_ERROR((*exporter)->Stream(type, {}, write_one));
//
// Open connects and starts a read-only REPEATABLE READ transaction; an
// Exporter that exists is usable (LevelDB's DB::Open is the model).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "src/domain/resource_registry.h"
#include "src/store/resource_store.h"

namespace forum_registry::store {

class Exporter {
 public:
  // UNAVAILABLE (or what the database said) if it cannot connect;
  // OUT_OF_RANGE when `as_of_revision` (> 0) is before the log's history or
  // after its newest revision, INVALID_ARGUMENT when it is negative.
  static absl::StatusOr<std::unique_ptr<Exporter>> Open(
      const std::string& url, int64_t as_of_revision = 0);
  ~Exporter();
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;

  // The revision the snapshot shows: the newest of the change log in it, or
  // the revision it was opened at.
  int64_t revision() const;
  // Whether it reads the past (opened with as_of_revision).
  bool historical() const;

  // Calls `each` with every record of `type` that `query` selects (its
  // parent, filter and order; the page fields are ignored), read through a
  // cursor in batches: memory holds one batch. A message passed to `each`
  // is valid for the call only. `each` may stop the stream with an error.
  using Each = std::function<absl::Status(
      const google::protobuf::Message& record, int64_t version)>;
  absl::Status Stream(const domain::ResourceType& type, ListQuery query,
                      const Each& each);

  // Reads the record `name`, of any kind, as the snapshot has it into
  // `out` (of its kind's message type): NOT_FOUND when it does not exist.
  absl::Status Lookup(absl::string_view name, google::protobuf::Message* out);

  // Reads every record of `table` in name order, each into a message made
  // by `add` (the Dataset export, which holds the registry in memory).
  absl::Status ReadTable(
      const std::string& table,
      const std::function<google::protobuf::Message*()>& add);

 private:
  struct State;
  explicit Exporter(std::unique_ptr<State> state);
  // The kind's history source (HistorySource), read once.
  absl::StatusOr<std::string> History(const ResourceKind& kind);
  std::unique_ptr<State> state_;
};

}  // namespace forum_registry::store

#endif  // FORUM_REGISTRY_STORE_EXPORTER_H_
