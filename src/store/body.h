#ifndef FORUM_REGISTRY_STORE_BODY_H_
#define FORUM_REGISTRY_STORE_BODY_H_

// How a resource is kept in a row (see migrations/0001_foundation.sql):
// `body` holds its protobuf JSON with proto field names and without the
// fields the server sets (annotated IDENTIFIER or OUTPUT_ONLY, and the etag:
// name, etag, create_time, update_time), which come from the row's own
// columns.

#include <pqxx/row>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace forum_registry::store {

// The columns FromRow reads, by name, for a SELECT or RETURNING list: the
// record's stored bytes (`body_pb`, migrations/0016), and its JSON only
// where there are none.
extern const char kRowColumns[];
// The same with the JSON always (`body_pb` null), for a write that merges
// over what is stored (MergeBody).
extern const char kRowJsonColumns[];
// The same but `body`, for a query that fetches bodies apart.
extern const char kRowMetaColumns[];

// Pages measured in bytes, over a table with `body_bytes` (migration 0009).
// For the inner query of a page ordered by `order`: the columns
// `bytes_before` (of the rows before this one) and `body_bytes`.
std::string BytesColumns(absl::string_view order);
// For the outer query, over the inner one as `page`: whether a row fits in
// `budget` bytes (an SQL expression): it ends within them, or it is the
// first (a page holds at least one record).
std::string WithinBudget(absl::string_view budget);
// Names of some of them, for callers that read a column themselves.
inline constexpr char kNameColumn[] = "name";
inline constexpr char kVersionColumn[] = "version";

// The JSON to store in `body`: the record without the fields the server sets
// (domain::IsServerSet), which come from the row's own columns.
absl::StatusOr<std::string> ToBody(const google::protobuf::Message& resource);

// The bytes to store in `body_pb` beside ToBody's JSON (migrations/0016):
// the same record, without the fields the server sets, as protobuf's
// deterministic encoding.
std::string ToStoredBytes(const google::protobuf::Message& resource);

// `message` in protobuf's deterministic encoding (map entries in key order):
// equal messages give equal bytes, as the tests that compare answers need.
std::string DeterministicBytes(const google::protobuf::Message& message);

// `bytes` as a bytea literal in PostgreSQL's hex format ("\x0a03..."), for
// a text parameter cast to bytea.
std::string ByteaHex(absl::string_view bytes);

// The body an update stores, lossless across versions: `stored` is the body
// as a newer version of this program may have written it, with fields this
// one does not know; `before` and `after` are ToBody of the record this
// program read from it and of the record it changed. Each key whose value
// differs between `before` and `after` is written over `stored` (into
// nested objects key by key, so that unknown fields inside them survive too;
// a changed list or value replaces the stored one whole), and a key `after`
// dropped is dropped. Every other key, known or not, keeps its stored value.
//
// With `keys`, only those top-level keys may change (an update's masked
// fields): any other key keeps its stored value, so a value this version
// could not read, which its rules filled with a default in `after`, stays
// as stored. `*changed` (when not null) says whether the result differs
// from `stored`.
absl::StatusOr<std::string> MergeBody(
    absl::string_view stored, absl::string_view before, absl::string_view after,
    const std::vector<std::string>* keys = nullptr, bool* changed = nullptr);

// Fills `out` from a stored body, as the record `name` at `version` of the
// incarnation created at `create_micros` (its etag and create_time; 0 if
// unknown); leaves update_time unset. Fields (or enum values) this program
// does not know are skipped; with `all_known`, it is set to whether there
// were none (the body is then parsed strictly first, which costs a second
// parse only when there were some).
absl::Status FromBody(absl::string_view body, absl::string_view name,
                      int64_t version, int64_t create_micros,
                      google::protobuf::Message* out,
                      bool* all_known = nullptr);

// Sets the Timestamp field `field` ("update_time") of `record`, if it has
// one, to `micros` since the epoch.
void SetTime(google::protobuf::Message* record, const char* field,
             int64_t micros);

// Fills `out` from stored bytes (ToStoredBytes), as FromBody from JSON.
// Fields a newer version wrote that this one does not know are dropped, as
// FromBody drops them.
absl::Status FromStoredBytes(absl::string_view bytes, absl::string_view name,
                             int64_t version, int64_t create_micros,
                             google::protobuf::Message* out);

// Fills `out` from a row selected with kRowColumns or kRowJsonColumns: from
// its JSON when the row holds it, else from its stored bytes (`all_known`
// as for FromBody; true for stored bytes, which hold nothing unknown to the
// version that wrote them).
absl::Status FromRow(const pqxx::row& row, google::protobuf::Message* out,
                     bool* all_known = nullptr);

}  // namespace forum_registry::store

#endif  // FORUM_REGISTRY_STORE_BODY_H_
