#include "src/store/body.h"

#include <algorithm>
#include <memory>
#include <pqxx/pqxx>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/type.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "google/protobuf/util/type_resolver.h"
#include "google/protobuf/util/type_resolver_util.h"
#include "src/domain/resource_registry.h"
#include "src/domain/status_macros.h"
#include "src/domain/update_mask.h"

namespace forum_registry::store {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

#define FR_ROW_TIMES                                                       \
  "(extract(epoch FROM create_time) * 1000000)::bigint AS create_micros, " \
  "(extract(epoch FROM update_time) * 1000000)::bigint AS update_micros"
const char kRowColumns[] =
    "name, body_pb, CASE WHEN body_pb IS NULL THEN body::text END AS body, "
    "version, " FR_ROW_TIMES;
const char kRowJsonColumns[] =
    "name, NULL::bytea AS body_pb, body::text AS body, version, " FR_ROW_TIMES;
const char kRowMetaColumns[] = "name, version, " FR_ROW_TIMES;
#undef FR_ROW_TIMES

std::string BytesColumns(absl::string_view order) {
  return absl::StrCat(
      "coalesce(sum(body_bytes) OVER (ORDER BY ", order,
      " ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS "
      "bytes_before, body_bytes");
}

std::string WithinBudget(absl::string_view budget) {
  return absl::StrCat(
      "(page.bytes_before = 0 OR page.bytes_before + "
      "coalesce(page.body_bytes, 0) <= ",
      budget, ")");
}

namespace {

using google::protobuf::util::TypeResolver;

// protobuf's JSON converter asks a TypeResolver for every message type it
// meets, on every call, and the stock resolver builds each type anew from
// its descriptor — options included, each packed into an Any. With the
// google.api annotations on the resource fields that became the largest
// single cost of reading a record (measured with callgrind: +14 % of a
// GetForum). This resolver builds each type once, without the custom
// options (named with a dot, "google.api.field_behavior"; the converter reads
// only plain ones such as map_entry), and hands out copies.
class CachingTypeResolver final : public TypeResolver {
 public:
  CachingTypeResolver()
      : inner_(google::protobuf::util::NewTypeResolverForDescriptorPool(
            kTypeUrlPrefix,
            google::protobuf::DescriptorPool::generated_pool())) {}

  google::protobuf::util::Status ResolveMessageType(
      const std::string& type_url, google::protobuf::Type* type) override {
    return Resolve(
        types_, type_url, type,
        [this](const std::string& url, google::protobuf::Type* t) {
          google::protobuf::util::Status status =
              inner_->ResolveMessageType(url, t);
          DropCustomOptions(t->mutable_options());
          for (google::protobuf::Field& field : *t->mutable_fields()) {
            DropCustomOptions(field.mutable_options());
          }
          return status;
        });
  }

  google::protobuf::util::Status ResolveEnumType(
      const std::string& type_url, google::protobuf::Enum* type) override {
    return Resolve(enums_, type_url, type,
                   [this](const std::string& url, google::protobuf::Enum* t) {
                     return inner_->ResolveEnumType(url, t);
                   });
  }

  static constexpr char kTypeUrlPrefix[] = "type.googleapis.com";

 private:
  // A copy of the cached `T` of `type_url`, built by `build` on first use.
  template <typename T, typename Build>
  google::protobuf::util::Status Resolve(
      absl::flat_hash_map<std::string, T>& cache, const std::string& type_url,
      T* out, const Build& build) {
    {
      absl::ReaderMutexLock lock(&mu_);
      const auto found = cache.find(type_url);
      if (found != cache.end()) {
        *out = found->second;
        return google::protobuf::util::Status();
      }
    }
    google::protobuf::util::Status status = build(type_url, out);
    if (!status.ok()) return status;
    absl::MutexLock lock(&mu_);
    cache.emplace(type_url, *out);
    return status;
  }

  static void DropCustomOptions(
      google::protobuf::RepeatedPtrField<google::protobuf::Option>* options) {
    options->erase(std::remove_if(options->begin(), options->end(),
                                  [](const google::protobuf::Option& option) {
                                    return option.name().find('.') !=
                                           std::string::npos;
                                  }),
                   options->end());
  }

  const std::unique_ptr<TypeResolver> inner_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, google::protobuf::Type> types_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, google::protobuf::Enum> enums_
      ABSL_GUARDED_BY(mu_);
};

TypeResolver* Resolver() {
  static TypeResolver* const kResolver = new CachingTypeResolver;
  return kResolver;
}

std::string TypeUrl(const Message& message) {
  return absl::StrCat(CachingTypeResolver::kTypeUrlPrefix, "/",
                      message.GetDescriptor()->full_name());
}

const FieldDescriptor* Field(const Message& message, const char* name) {
  return message.GetDescriptor()->FindFieldByName(name);
}

// MergeBody over parsed objects: writes over `stored` each key whose value
// differs between `before` and `after`, descending into objects that are
// objects in all three, and drops the keys `after` no longer has.
void MergeObject(google::protobuf::Struct* stored,
                 const google::protobuf::Struct& before,
                 const google::protobuf::Struct& after,
                 const std::vector<std::string>* keys = nullptr) {
  const auto allowed = [keys](const std::string& key) {
    return keys == nullptr ||
           std::find(keys->begin(), keys->end(), key) != keys->end();
  };
  auto& fields = *stored->mutable_fields();
  for (const auto& [key, value] : before.fields()) {
    if (after.fields().count(key) == 0 && allowed(key)) fields.erase(key);
  }
  for (const auto& [key, value] : after.fields()) {
    if (!allowed(key)) continue;
    const auto was = before.fields().find(key);
    if (was != before.fields().end() &&
        google::protobuf::util::MessageDifferencer::Equals(was->second,
                                                           value)) {
      continue;  // unchanged: keep it as stored
    }
    const auto held = fields.find(key);
    if (was != before.fields().end() && held != fields.end() &&
        value.has_struct_value() && was->second.has_struct_value() &&
        held->second.has_struct_value()) {
      MergeObject(held->second.mutable_struct_value(),
                  was->second.struct_value(), value.struct_value());
      continue;
    }
    fields[key] = value;
  }
}

absl::StatusOr<google::protobuf::Struct> ParseObject(absl::string_view json,
                                                     absl::string_view what) {
  google::protobuf::Struct object;
  if (auto status = google::protobuf::util::JsonStringToMessage(
          google::protobuf::StringPiece(json.data(), json.size()), &object);
      !status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot read ", what, ": ", status.ToString()));
  }
  return object;
}

}  // namespace

absl::StatusOr<std::string> MergeBody(absl::string_view stored,
                                      absl::string_view before,
                                      absl::string_view after,
                                      const std::vector<std::string>* keys,
                                      bool* changed) {
  FR_ASSIGN_OR_RETURN(google::protobuf::Struct merged,
                      ParseObject(stored, "the stored record"));
  FR_ASSIGN_OR_RETURN(const google::protobuf::Struct old,
                      ParseObject(before, "the record read"));
  FR_ASSIGN_OR_RETURN(const google::protobuf::Struct now,
                      ParseObject(after, "the record changed"));
  const google::protobuf::Struct original = merged;
  MergeObject(&merged, old, now, keys);
  if (changed != nullptr) {
    *changed =
        !google::protobuf::util::MessageDifferencer::Equals(original, merged);
  }
  std::string json;
  if (auto status = google::protobuf::util::MessageToJsonString(merged, &json);
      !status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot encode the record: ", status.ToString()));
  }
  return json;
}

namespace {

// `resource` without the fields the server sets.
std::unique_ptr<Message> WithoutServerSet(const Message& resource) {
  std::unique_ptr<Message> copy(resource.New());
  copy->CopyFrom(resource);
  const google::protobuf::Descriptor* descriptor = copy->GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    if (domain::IsServerSet(descriptor->field(i))) {
      copy->GetReflection()->ClearField(copy.get(), descriptor->field(i));
    }
  }
  return copy;
}

// Sets the fields the server sets of a record read from a row.
void SetServerFields(absl::string_view name, int64_t version,
                     int64_t create_micros, Message* out) {
  const google::protobuf::Reflection* reflection = out->GetReflection();
  reflection->SetString(out, Field(*out, "name"), std::string(name));
  reflection->SetString(out, Field(*out, "etag"),
                        domain::FormatEtag(version, create_micros));
  if (create_micros != 0) SetTime(out, "create_time", create_micros);
}

}  // namespace

std::string DeterministicBytes(const Message& message) {
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  message.SerializeToCodedStream(&coded);
  coded.Trim();
  return bytes;
}

std::string ToStoredBytes(const Message& resource) {
  return DeterministicBytes(*WithoutServerSet(resource));
}

std::string ByteaHex(absl::string_view bytes) {
  return absl::StrCat("\\x", absl::BytesToHexString(bytes));
}

absl::StatusOr<std::string> ToBody(const Message& resource) {
  const std::unique_ptr<Message> copy = WithoutServerSet(resource);
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  if (auto status = google::protobuf::util::BinaryToJsonString(
          Resolver(), TypeUrl(*copy), copy->SerializeAsString(), &json,
          options);
      !status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot encode the record: ", status.ToString()));
  }
  return json;
}

absl::Status FromBody(absl::string_view body, absl::string_view name,
                      int64_t version, int64_t create_micros, Message* out,
                      bool* all_known) {
  out->Clear();
  google::protobuf::util::JsonParseOptions options;
  std::string binary;
  google::protobuf::util::Status status;
  if (all_known != nullptr) {
    // Strictly first: a body with nothing unknown parses as it is.
    status = google::protobuf::util::JsonToBinaryString(
        Resolver(), TypeUrl(*out),
        google::protobuf::StringPiece(body.data(), body.size()), &binary,
        options);
    *all_known = status.ok();
  }
  if (all_known == nullptr || !*all_known) {
    // A newer replica may have written fields this one does not know yet.
    options.ignore_unknown_fields = true;
    binary.clear();
    status = google::protobuf::util::JsonToBinaryString(
        Resolver(), TypeUrl(*out),
        google::protobuf::StringPiece(body.data(), body.size()), &binary,
        options);
  }
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat("cannot decode the stored record ",
                                            name, ": ", status.ToString()));
  }
  if (!out->ParseFromString(binary)) {
    return absl::InternalError(
        absl::StrCat("cannot decode the stored record ", name));
  }
  SetServerFields(name, version, create_micros, out);
  return absl::OkStatus();
}

absl::Status FromStoredBytes(absl::string_view bytes, absl::string_view name,
                             int64_t version, int64_t create_micros,
                             Message* out) {
  out->Clear();
  if (!out->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InternalError(
        absl::StrCat("cannot decode the stored bytes of ", name));
  }
  out->DiscardUnknownFields();
  SetServerFields(name, version, create_micros, out);
  return absl::OkStatus();
}

absl::Status FromRow(const pqxx::row& row, Message* out, bool* all_known) {
  const pqxx::field body = row["body"];
  const std::string name = row[kNameColumn].as<std::string>();
  const int64_t version = row[kVersionColumn].as<int64_t>();
  const int64_t create_micros = row["create_micros"].as<int64_t>();
  if (body.is_null()) {
    const pqxx::binarystring bytes(row["body_pb"]);
    FR_RETURN_IF_ERROR(
        FromStoredBytes(absl::string_view(bytes.get(), bytes.size()), name,
                        version, create_micros, out));
    if (all_known != nullptr) *all_known = true;
  } else {
    FR_RETURN_IF_ERROR(FromBody(absl::string_view(body.c_str(), body.size()),
                                name, version, create_micros, out, all_known));
  }
  SetTime(out, "update_time", row["update_micros"].as<int64_t>());
  return absl::OkStatus();
}

void SetTime(Message* message, const char* name, int64_t micros) {
  const FieldDescriptor* field = Field(*message, name);
  if (field == nullptr) return;
  Message* stamp = message->GetReflection()->MutableMessage(message, field);
  stamp->CopyFrom(
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(micros));
}

}  // namespace forum_registry::store
