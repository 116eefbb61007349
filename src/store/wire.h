#ifndef FORUM_REGISTRY_STORE_WIRE_H_
#define FORUM_REGISTRY_STORE_WIRE_H_

// Records answered as stored bytes (migrations/0016, decisions §69).
//
// A row keeps its record encoded without the fields the server sets
// (ToStoredBytes). In every resource the name is field 1 and the etag,
// create_time and update_time are the three highest field numbers, so the
// record as a client receives it is those stored bytes with the name
// written before them and the etag and times after: no parse, no
// re-encode. protobuf writes fields in number order, so the result is the
// very encoding of the parsed record.

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace forum_registry::store {

// Where a resource type's server-set fields go on the wire.
class RecordWire {
 public:
  // For `type`; Spliceable() is false if its server-set fields are not where
  // splicing needs them (name first, then etag, create_time, update_time
  // last), and the record must then be encoded from its message.
  explicit RecordWire(const google::protobuf::Descriptor* type);

  bool Spliceable() const { return spliceable_; }

  // Appends the record `name` at `version` of the incarnation created at
  // `create_micros` (0: unknown, no create_time), last updated at
  // `update_micros`, whose stored bytes are `stored`: what FromStoredBytes
  // then SetTime("update_time") would give, encoded.
  void AppendRecord(absl::string_view stored, absl::string_view name,
                    int64_t version, int64_t create_micros,
                    int64_t update_micros, std::string* out) const;

 private:
  bool spliceable_ = false;
  int name_ = 0;
  int etag_ = 0;
  int create_time_ = 0;
  int update_time_ = 0;
};

// Records reads answered, process-wide, by what they were made from: the
// stored bytes (spliced into a List, or decoded for a Get), or the JSON
// (no bytes stored). For /metrics.
struct StoredBytesCounts {
  int64_t from_bytes = 0;
  int64_t from_json = 0;
};
StoredBytesCounts GetStoredBytesCounts();
void CountRecordRead(bool from_bytes);

// Appends field `number` as length-delimited `bytes` (a message or a
// string): its tag, its length, then the bytes.
void AppendLengthDelimited(int number, absl::string_view bytes,
                           std::string* out);

}  // namespace forum_registry::store

#endif  // FORUM_REGISTRY_STORE_WIRE_H_
