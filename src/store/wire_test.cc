#include "src/store/wire.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "gtest/gtest.h"
#include "src/domain/resource_registry.h"
#include "src/store/body.h"

namespace forum_registry::store {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Sets every field of `message` (two elements of each repeated field) to a
// value other than its default, descending `depth` levels into messages.
void FillEveryField(Message* message, int depth = 3) {
  const google::protobuf::Descriptor* type = message->GetDescriptor();
  const Reflection* reflection = message->GetReflection();
  if (type == google::protobuf::Timestamp::descriptor()) {
    auto* stamp = static_cast<google::protobuf::Timestamp*>(message);
    stamp->set_seconds(1689292800);
    stamp->set_nanos(123456000);
    return;
  }
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    const int n = field->number();
    for (int k = 0; k < (field->is_repeated() ? 2 : 1); ++k) {
      const bool add = field->is_repeated();
      switch (field->cpp_type()) {
        case FieldDescriptor::CPPTYPE_STRING: {
          std::string value = absl::StrCat("s", n, "-", k, " Ä€");
          add ? reflection->AddString(message, field, value)
              : reflection->SetString(message, field, value);
          break;
        }
        case FieldDescriptor::CPPTYPE_INT32:
          add ? reflection->AddInt32(message, field, -n - k)
              : reflection->SetInt32(message, field, n + 1);
          break;
        case FieldDescriptor::CPPTYPE_INT64:
          add ? reflection->AddInt64(message, field, int64_t{1} << 40)
              : reflection->SetInt64(message, field, (int64_t{1} << 40) + n);
          break;
        case FieldDescriptor::CPPTYPE_UINT32:
          add ? reflection->AddUInt32(message, field, n + k)
              : reflection->SetUInt32(message, field, n + 1);
          break;
        case FieldDescriptor::CPPTYPE_UINT64:
          add ? reflection->AddUInt64(message, field, n + k)
              : reflection->SetUInt64(message, field, n + 1);
          break;
        case FieldDescriptor::CPPTYPE_DOUBLE:
          add ? reflection->AddDouble(message, field, 0.25 + k)
              : reflection->SetDouble(message, field, 1.5 + n);
          break;
        case FieldDescriptor::CPPTYPE_FLOAT:
          add ? reflection->AddFloat(message, field, 0.5f + k)
              : reflection->SetFloat(message, field, 2.5f);
          break;
        case FieldDescriptor::CPPTYPE_BOOL:
          add ? reflection->AddBool(message, field, true)
              : reflection->SetBool(message, field, true);
          break;
        case FieldDescriptor::CPPTYPE_ENUM: {
          const auto* values = field->enum_type();
          const auto* value = values->value(values->value_count() - 1 - k % 2);
          add ? reflection->AddEnum(message, field, value)
              : reflection->SetEnum(message, field, value);
          break;
        }
        case FieldDescriptor::CPPTYPE_MESSAGE:
          if (depth == 0) break;
          FillEveryField(add ? reflection->AddMessage(message, field)
                             : reflection->MutableMessage(message, field),
                         depth - 1);
          break;
      }
    }
  }
}

struct Times {
  int64_t create_micros;
  int64_t update_micros;
};

class EveryKind : public testing::TestWithParam<domain::ResourceType> {};

TEST_P(EveryKind, IsSpliceable) {
  EXPECT_TRUE(RecordWire(GetParam().descriptor).Spliceable())
      << GetParam().type
      << ": name must be field 1 and etag, create_time, update_time the "
         "highest numbers, or every read decodes";
}

// The spliced record is, byte for byte, the record decoded from the row
// (from its stored bytes, and from its JSON) and encoded again.
TEST_P(EveryKind, SplicedBytesAreTheDecodedRecordEncoded) {
  const Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(
          GetParam().descriptor);
  std::unique_ptr<Message> record(prototype->New());
  FillEveryField(record.get());
  const std::string name = absl::StrCat(GetParam().collection, "/x");
  const std::string stored = ToStoredBytes(*record);
  const absl::StatusOr<std::string> json = ToBody(*record);
  ASSERT_TRUE(json.ok()) << json.status();
  const RecordWire wire(GetParam().descriptor);
  ASSERT_TRUE(wire.Spliceable());
  for (const Times times : {Times{1689292800123456, 1689379200000001},
                            Times{0, 1689379200000000},  // logged before 0008
                            Times{-86400123456, -1},     // before 1970
                            Times{1000000, 0}}) {
    SCOPED_TRACE(absl::StrCat(times.create_micros, " ", times.update_micros));
    std::unique_ptr<Message> from_bytes(prototype->New());
    ASSERT_TRUE(
        FromStoredBytes(stored, name, 7, times.create_micros, from_bytes.get())
            .ok());
    SetTime(from_bytes.get(), "update_time", times.update_micros);
    std::unique_ptr<Message> from_json(prototype->New());
    ASSERT_TRUE(
        FromBody(*json, name, 7, times.create_micros, from_json.get()).ok());
    SetTime(from_json.get(), "update_time", times.update_micros);

    std::string spliced;
    wire.AppendRecord(stored, name, 7, times.create_micros, times.update_micros,
                      &spliced);
    EXPECT_EQ(spliced, DeterministicBytes(*from_bytes));
    EXPECT_EQ(spliced, DeterministicBytes(*from_json));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Store, EveryKind, testing::ValuesIn(domain::Resources()),
    [](const testing::TestParamInfo<domain::ResourceType>& info) {
      std::string name = info.param.descriptor->name();
      return name;
    });

TEST(RecordWire, AppendLengthDelimitedWritesTagLengthBytes) {
  std::string out;
  AppendLengthDelimited(1, "abc", &out);
  EXPECT_EQ(out, std::string("\x0a\x03"
                             "abc",
                             5));
  out.clear();
  AppendLengthDelimited(20, std::string(200, 'x'), &out);
  // Tag (20 << 3 | 2) = 162 and length 200, each as a two-byte varint.
  EXPECT_EQ(out.substr(0, 4), std::string("\xa2\x01\xc8\x01", 4));
  EXPECT_EQ(out.size(), 204u);
}

TEST(RecordWire, AMessageWithoutServerFieldsIsNotSpliceable) {
  EXPECT_FALSE(
      RecordWire(google::protobuf::Timestamp::descriptor()).Spliceable());
}

}  // namespace
}  // namespace forum_registry::store
