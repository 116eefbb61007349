#ifndef FORUM_REGISTRY_STORE_RESOURCE_STORE_H_
#define FORUM_REGISTRY_STORE_RESOURCE_STORE_H_

// Storage of one kind of resource, the same way for every kind.
//
// Each resource table (see migrations/) keys rows by the resource's full name
// and keeps the record in `body`: the resource's protobuf JSON, proto field
// names, without the output-only fields name, etag, create_time and
// update_time, which come from the row's own columns. The database derives
// and checks everything else — typed columns, references, the change log —
// from `body`, so this class only reads and writes bodies.
//
// Every method runs one transaction and returns a status from errors.h:
// NOT_FOUND for a missing record, ABORTED for a stale etag, and what the
// database refused, with the database's own message where it wrote one for
// clients.

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "src/store/pool.h"

namespace forum_registry::store {

struct ResourceKind {
  // The table ("forums"), which is also the collection in names.
  std::string table;
  // The singular, for messages ("forum").
  std::string singular;
  // The table of references to this kind ("forum_references"), whose column
  // named `singular` holds the referred record; empty if nothing refers to
  // this kind.
  std::string references_table;
};

// A page of a list, in name order.
struct ListPage {
  // Resume after this name; empty for the first page.
  std::string after_name;
  // Most rows to return.
  int page_size = 50;
};

class ResourceStore {
 public:
  ResourceStore(ConnectionPool* pool, ResourceKind kind);

  // Reads `name` into `out`.
  absl::Status Get(absl::string_view name, google::protobuf::Message* out,
                   absl::Time deadline);

  // Stores `resource` under `name` and reads it back into `out`.
  // ALREADY_EXISTS if the name is taken.
  absl::Status Create(absl::string_view name,
                      const google::protobuf::Message& resource,
                      google::protobuf::Message* out, absl::Time deadline);

  // Reads `name` and locks it, checks `etag` (if not empty), lets `mutate`
  // change the record (it may refuse with an error), and stores the result.
  // A mutation that changes nothing writes nothing. `out` gets the stored
  // record.
  using Mutation = std::function<absl::Status(google::protobuf::Message*)>;
  absl::Status Update(absl::string_view name, absl::string_view etag,
                      const Mutation& mutate, google::protobuf::Message* out,
                      absl::Time deadline);

  // Deletes `name` if `etag` (when not empty) matches. FAILED_PRECONDITION,
  // naming one referrer, while another record refers to it.
  absl::Status Delete(absl::string_view name, absl::string_view etag,
                      absl::Time deadline);

  // Appends up to `page.page_size` records after `page.after_name`, each to a
  // message made by `add`. `*more` tells whether rows remain after them.
  absl::Status List(const ListPage& page,
                    const std::function<google::protobuf::Message*()>& add,
                    bool* more, absl::Time deadline);

  const ResourceKind& kind() const { return kind_; }

 private:
  ConnectionPool* pool_;
  const ResourceKind kind_;
  // SQL of the prepared statements, by statement name.
  const std::string get_name_, get_sql_, lock_name_, lock_sql_, insert_name_,
      insert_sql_, update_name_, update_sql_, delete_name_, delete_sql_,
      list_name_, list_sql_, referrer_name_, referrer_sql_;
};

}  // namespace forum_registry::store

#endif  // FORUM_REGISTRY_STORE_RESOURCE_STORE_H_
