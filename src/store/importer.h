#ifndef FORUM_REGISTRY_STORE_IMPORTER_H_
#define FORUM_REGISTRY_STORE_IMPORTER_H_

// Writes a batch of records in one transaction: all of them or none.
//
// A record whose name is new is created; one whose stored body differs is
// updated (its version moves on, so etags held by clients go stale); one
// whose body is the same is left alone and reported unchanged, so importing
// the same file twice writes nothing the second time. With keep_edits, a
// record an editor changed or deleted through the API since is left so.

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"

namespace forum_registry::store {

struct ImportRecord {
  // The kind's table ("forums", "action_plans").
  std::string table;
  // The record's full name.
  std::string name;
  // The record; output-only fields are ignored.
  const google::protobuf::Message* resource = nullptr;
  // Where the record comes from, for errors ("data/seed.textproto:12"):
  // asked only when one is reported (a file's lines may cost a parse).
  std::function<std::string()> origin;
};

struct ImportReport {
  int created = 0;
  int updated = 0;
  int unchanged = 0;
  int deleted = 0;  // by prune
  // With keep_edits: records of the files left as an editor changed or
  // deleted them, by name.
  std::vector<std::string> kept;
};

struct ImportOptions {
  // Also delete every record of `prune_tables` whose name is not among
  // `records`.
  bool prune = false;
  std::vector<std::string> prune_tables;
  // Leave alone the records an editor changed since an import last wrote
  // them, and do not bring back those an editor deleted: a record is
  // created if it is new, and updated only while it still holds what an
  // import last wrote (migrations/0010's imported_records). Every import
  // remembers what it wrote, with or without this.
  bool keep_edits = false;
};

// Applies `records` in order to the database at `url`. On error nothing is
// written, and the message starts with the origin of the record refused.
absl::StatusOr<ImportReport> ImportRecords(
    const std::string& url, const std::vector<ImportRecord>& records,
    const ImportOptions& options = {});

}  // namespace forum_registry::store

#endif  // FORUM_REGISTRY_STORE_IMPORTER_H_
