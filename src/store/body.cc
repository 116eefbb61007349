#include "src/store/body.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "src/domain/resource_registry.h"
#include "src/domain/update_mask.h"

namespace forum_registry::store {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

const char kRowColumns[] =
    "name, body::text AS body, version, "
    "(extract(epoch FROM create_time) * 1000000)::bigint AS create_micros, "
    "(extract(epoch FROM update_time) * 1000000)::bigint AS update_micros";

namespace {

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
  const google::protobuf::Descriptor* descriptor = copy->GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    if (domain::IsServerSet(descriptor->field(i))) {
      copy->GetReflection()->ClearField(copy.get(), descriptor->field(i));
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
  const std::string name = row[kNameColumn].as<std::string>();
  const pqxx::field body = row["body"];
  if (auto status = google::protobuf::util::JsonStringToMessage(
          google::protobuf::StringPiece(body.c_str(), body.size()), out,
          options);
      !status.ok()) {
    return absl::InternalError(absl::StrCat("cannot decode the stored record ",
                                            name, ": ", status.ToString()));
  }
  const google::protobuf::Reflection* reflection = out->GetReflection();
  reflection->SetString(out, Field(*out, "name"), name);
  reflection->SetString(out, Field(*out, "etag"),
                        domain::FormatEtag(row[kVersionColumn].as<int64_t>()));
  SetTimestamp(out, "create_time", row["create_micros"].as<int64_t>());
  SetTimestamp(out, "update_time", row["update_micros"].as<int64_t>());
  return absl::OkStatus();
}

}  // namespace forum_registry::store
