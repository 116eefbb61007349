#ifndef FORUM_REGISTRY_STORE_BODY_H_
#define FORUM_REGISTRY_STORE_BODY_H_

// How a resource is kept in a row (see migrations/0001_foundation.sql):
// `body` holds its protobuf JSON with proto field names and without the
// fields the server sets (annotated IDENTIFIER or OUTPUT_ONLY, and the etag:
// name, etag, create_time, update_time), which come from the row's own
// columns.

#include <pqxx/row>
#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"

namespace forum_registry::store {

// The columns FromRow reads, by name, for a SELECT or RETURNING list.
extern const char kRowColumns[];
// Names of some of them, for callers that read a column themselves.
inline constexpr char kNameColumn[] = "name";
inline constexpr char kVersionColumn[] = "version";

// The JSON to store in `body`: the record without the fields the server sets
// (domain::IsServerSet), which come from the row's own columns.
absl::StatusOr<std::string> ToBody(const google::protobuf::Message& resource);

// Fills `out` from a row selected with kRowColumns.
absl::Status FromRow(const pqxx::row& row, google::protobuf::Message* out);

}  // namespace forum_registry::store

#endif  // FORUM_REGISTRY_STORE_BODY_H_
