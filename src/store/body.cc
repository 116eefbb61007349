#include "src/store/body.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "src/domain/update_mask.h"

namespace forum_registry::store {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

const char kRowColumns[] =
    "name, body::text, version, "
    "(extract(epoch FROM create_time) * 1000000)::bigint, "
    "(extract(epoch FROM update_time) * 1000000)::bigint";

namespace {

// The output-only fields every resource has, filled from the row's columns.
constexpr const char* kOutputOnly[] = {"name", "etag", "create_time",
                                       "update_time"};

const FieldDescriptor* Field(const Message& message, const char* name) {
  return message.GetDescriptor()->FindFieldByName(name);
}

void SetTimestamp(Message* message, const char* name, int64_t micros) {
  const FieldDescriptor* field = Field(*message, name);
  if (field == nullptr) return;
  Message* stamp = message->GetReflection()->MutableMessage(message, field);
  stamp->CopyFrom(
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(micros));
}

}  // namespace

absl::StatusOr<std::string> ToBody(const Message& resource) {
  std::unique_ptr<Message> copy(resource.New());
  copy->CopyFrom(resource);
  for (const char* name : kOutputOnly) {
    if (const FieldDescriptor* field = Field(*copy, name)) {
      copy->GetReflection()->ClearField(copy.get(), field);
    }
  }
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  if (auto status =
          google::protobuf::util::MessageToJsonString(*copy, &json, options);
      !status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot encode the record: ", status.ToString()));
  }
  return json;
}

absl::Status FromRow(const pqxx::row& row, Message* out) {
  out->Clear();
  google::protobuf::util::JsonParseOptions options;
  // A newer replica may have written fields this one does not know yet.
  options.ignore_unknown_fields = true;
  const std::string body = row[1].as<std::string>();
  if (auto status =
          google::protobuf::util::JsonStringToMessage(body, out, options);
      !status.ok()) {
    return absl::InternalError(absl::StrCat("cannot decode the stored record ",
                                            row[0].as<std::string>(), ": ",
                                            status.ToString()));
  }
  const google::protobuf::Reflection* reflection = out->GetReflection();
  reflection->SetString(out, Field(*out, "name"), row[0].as<std::string>());
  reflection->SetString(out, Field(*out, "etag"),
                        domain::FormatEtag(row[2].as<int64_t>()));
  SetTimestamp(out, "create_time", row[3].as<int64_t>());
  SetTimestamp(out, "update_time", row[4].as<int64_t>());
  return absl::OkStatus();
}

}  // namespace forum_registry::store
