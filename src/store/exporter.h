#ifndef FORUM_REGISTRY_STORE_EXPORTER_H_
#define FORUM_REGISTRY_STORE_EXPORTER_H_

// Reads whole tables of records, every table in one snapshot: an export made
// while others write is still one consistent state of the registry.
//
//   absl::StatusOr<std::unique_ptr<Exporter>> exporter = Exporter::Open(url);
//   if (!exporter.ok()) return exporter.status();
//   FR_RETURN_IF_ERROR((*exporter)->ReadTable("forums", add_forum));
//
// Open connects and starts a read-only REPEATABLE READ transaction; an
// Exporter that exists is usable (LevelDB's DB::Open is the model).

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"

namespace forum_registry::store {

class Exporter {
 public:
  // UNAVAILABLE (or what the database said) if it cannot connect.
  static absl::StatusOr<std::unique_ptr<Exporter>> Open(const std::string& url);
  ~Exporter();
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;

  // Reads every record of `table` in name order, each into a message made
  // by `add`.
  absl::Status ReadTable(
      const std::string& table,
      const std::function<google::protobuf::Message*()>& add);

 private:
  struct State;
  explicit Exporter(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace forum_registry::store

#endif  // FORUM_REGISTRY_STORE_EXPORTER_H_
