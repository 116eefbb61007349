#ifndef FORUM_REGISTRY_STORE_BODY_H_
#define FORUM_REGISTRY_STORE_BODY_H_

// How a resource is kept in a row (see migrations/0001_foundation.sql):
// `body` holds its protobuf JSON with proto field names and without the
// output-only fields name, etag, create_time and update_time, which come from
// the row's own columns.

#include <pqxx/row>
#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"

namespace forum_registry::store {

// The columns FromRow reads, in its order, for a SELECT or RETURNING list.
extern const char kRowColumns[];

// The JSON to store in `body`.
absl::StatusOr<std::string> ToBody(const google::protobuf::Message& resource);

// Fills `out` from a row selected with kRowColumns.
absl::Status FromRow(const pqxx::row& row, google::protobuf::Message* out);

}  // namespace forum_registry::store

#endif  // FORUM_REGISTRY_STORE_BODY_H_
