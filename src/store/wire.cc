#include "src/store/wire.h"

#include <algorithm>
#include <climits>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/time_util.h"
#include "google/protobuf/wire_format_lite.h"
#include "src/domain/resource_registry.h"
#include "src/domain/update_mask.h"

namespace forum_registry::store {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedOutputStream;

void AppendVarint(uint64_t value, std::string* out) {
  uint8_t buffer[10];  // the longest varint
  const uint8_t* end = CodedOutputStream::WriteVarint64ToArray(value, buffer);
  out->append(reinterpret_cast<const char*>(buffer), end - buffer);
}

void AppendTag(int number, WireFormatLite::WireType type, std::string* out) {
  AppendVarint(WireFormatLite::MakeTag(number, type), out);
}

// A Timestamp's encoding: seconds (1) and nanos (2), each left out when 0.
void AppendTimestamp(int number, int64_t micros, std::string* out) {
  const google::protobuf::Timestamp stamp =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(micros);
  size_t size = 0;
  if (stamp.seconds() != 0) {
    size += 1 + CodedOutputStream::VarintSize64(
                    static_cast<uint64_t>(stamp.seconds()));
  }
  if (stamp.nanos() != 0) {
    size += 1 + CodedOutputStream::VarintSize32SignExtended(stamp.nanos());
  }
  AppendTag(number, WireFormatLite::WIRETYPE_LENGTH_DELIMITED, out);
  AppendVarint(size, out);
  if (stamp.seconds() != 0) {
    AppendTag(1, WireFormatLite::WIRETYPE_VARINT, out);
    AppendVarint(static_cast<uint64_t>(stamp.seconds()), out);
  }
  if (stamp.nanos() != 0) {
    AppendTag(2, WireFormatLite::WIRETYPE_VARINT, out);
    // int32 is sign-extended to 64 bits on the wire.
    AppendVarint(static_cast<uint64_t>(static_cast<int64_t>(stamp.nanos())),
                 out);
  }
}

std::atomic<int64_t> read_from_bytes{0};
std::atomic<int64_t> read_from_json{0};

}  // namespace

StoredBytesCounts GetStoredBytesCounts() {
  return {.from_bytes = read_from_bytes.load(std::memory_order_relaxed),
          .from_json = read_from_json.load(std::memory_order_relaxed)};
}

void CountRecordRead(bool from_bytes) {
  (from_bytes ? read_from_bytes : read_from_json)
      .fetch_add(1, std::memory_order_relaxed);
}

void AppendLengthDelimited(int number, absl::string_view bytes,
                           std::string* out) {
  AppendTag(number, WireFormatLite::WIRETYPE_LENGTH_DELIMITED, out);
  AppendVarint(bytes.size(), out);
  out->append(bytes.data(), bytes.size());
}

RecordWire::RecordWire(const google::protobuf::Descriptor* type) {
  const FieldDescriptor* name = type->FindFieldByName("name");
  const FieldDescriptor* etag = type->FindFieldByName("etag");
  const FieldDescriptor* create_time = type->FindFieldByName("create_time");
  const FieldDescriptor* update_time = type->FindFieldByName("update_time");
  const auto is = [](const FieldDescriptor* field, FieldDescriptor::Type kind) {
    return field != nullptr && field->type() == kind && !field->is_repeated();
  };
  if (!is(name, FieldDescriptor::TYPE_STRING) ||
      !is(etag, FieldDescriptor::TYPE_STRING) ||
      !is(create_time, FieldDescriptor::TYPE_MESSAGE) ||
      !is(update_time, FieldDescriptor::TYPE_MESSAGE) ||
      create_time->message_type() !=
          google::protobuf::Timestamp::descriptor() ||
      update_time->message_type() !=
          google::protobuf::Timestamp::descriptor()) {
    return;
  }
  // Name the lowest number; etag, create_time, update_time the highest, in
  // that order; every other field stored (none set by the server) between.
  int lowest_stored = INT32_MAX;
  int highest_stored = 0;
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    if (field == name || field == etag || field == create_time ||
        field == update_time) {
      continue;
    }
    if (domain::IsServerSet(field)) return;
    lowest_stored = std::min(lowest_stored, field->number());
    highest_stored = std::max(highest_stored, field->number());
  }
  if (type->field_count() > 4 &&
      !(name->number() < lowest_stored && highest_stored < etag->number())) {
    return;
  }
  if (!(name->number() < etag->number() &&
        etag->number() < create_time->number() &&
        create_time->number() < update_time->number())) {
    return;
  }
  name_ = name->number();
  etag_ = etag->number();
  create_time_ = create_time->number();
  update_time_ = update_time->number();
  spliceable_ = true;
}

void RecordWire::AppendRecord(absl::string_view stored, absl::string_view name,
                              int64_t version, int64_t create_micros,
                              int64_t update_micros, std::string* out) const {
  if (!name.empty()) AppendLengthDelimited(name_, name, out);
  out->append(stored.data(), stored.size());
  AppendLengthDelimited(etag_, domain::FormatEtag(version, create_micros), out);
  if (create_micros != 0) AppendTimestamp(create_time_, create_micros, out);
  AppendTimestamp(update_time_, update_micros, out);
}

}  // namespace forum_registry::store
