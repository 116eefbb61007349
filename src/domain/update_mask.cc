#include "src/domain/update_mask.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/field_mask_util.h"
#include "src/domain/resource_name.h"
#include "src/domain/resource_registry.h"
#include "src/domain/validation.h"

namespace forum_registry::domain {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldMask;
using google::protobuf::util::FieldMaskUtil;

std::string WritableFields(const Descriptor* descriptor) {
  std::vector<std::string> names;
  for (int i = 0; i < descriptor->field_count(); ++i) {
    if (!IsServerSet(descriptor->field(i))) {
      names.push_back(descriptor->field(i)->name());
    }
  }
  return absl::StrJoin(names, ", ");
}

}  // namespace

absl::Status ApplyUpdateMask(const FieldMask& mask,
                             const google::protobuf::Message& patch,
                             google::protobuf::Message* target) {
  const Descriptor* descriptor = target->GetDescriptor();
  if (mask.paths().empty()) {
    return absl::InvalidArgumentError(
        "update_mask: is required; name the fields to change, or \"*\" for "
        "all of them");
  }
  FieldMask effective;
  for (const std::string& raw : mask.paths()) {
    const std::string path = SnakeCase(raw);
    if (path == "*") {
      for (int i = 0; i < descriptor->field_count(); ++i) {
        if (!IsServerSet(descriptor->field(i))) {
          effective.add_paths(descriptor->field(i)->name());
        }
      }
      continue;
    }
    const google::protobuf::FieldDescriptor* top =
        descriptor->FindFieldByName(path.substr(0, path.find('.')));
    if (top != nullptr && IsServerSet(top)) continue;
    // GetFieldDescriptors skips empty segments, so "" or "display_name."
    // would pass it.
    if (absl::StrContains(absl::StrCat(".", path, "."), "..") ||
        !FieldMaskUtil::GetFieldDescriptors(descriptor, path, nullptr)) {
      return absl::InvalidArgumentError(
          absl::StrCat("update_mask: \"", Quote(raw), "\" is not a field of ",
                       descriptor->name(), "; writable fields are ",
                       WritableFields(descriptor)));
    }
    effective.add_paths(path);
  }
  FieldMaskUtil::MergeOptions options;
  options.set_replace_message_fields(true);
  options.set_replace_repeated_fields(true);
  FieldMaskUtil::MergeMessageTo(patch, effective, options, target);
  return absl::OkStatus();
}

std::optional<std::vector<std::string>> MaskedFields(const FieldMask& mask) {
  std::vector<std::string> fields;
  for (const std::string& raw : mask.paths()) {
    const std::string path = SnakeCase(raw);
    if (path == "*") return std::nullopt;
    fields.push_back(path.substr(0, path.find('.')));
  }
  return fields;
}

std::string FormatEtag(int64_t version, int64_t create_micros) {
  if (create_micros == 0) return absl::StrCat("v", version);
  return absl::StrCat("v", version, ".", absl::Hex(create_micros));
}

absl::Status CheckEtag(absl::string_view given, int64_t version,
                       int64_t create_micros, absl::string_view resource_name) {
  if (given.empty() || given == FormatEtag(version, create_micros)) {
    return absl::OkStatus();
  }
  return absl::AbortedError(
      absl::StrCat("etag: does not match the current etag of ", resource_name,
                   "; it changed since you read it: get it again and retry"));
}

}  // namespace forum_registry::domain
