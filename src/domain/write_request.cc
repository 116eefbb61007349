#include "src/domain/write_request.h"

#include <openssl/sha.h>

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/unknown_field_set.h"
#include "src/domain/validation.h"

namespace forum_registry::domain {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// The first message inside `message` (itself included) that carries unknown
// fields, as a path below it ("" for itself, ".venue", ".citations[2]"), and
// their numbers; false if there is none. With `only`, the unknown fields of
// `message` itself are not looked at, and of its fields only those named.
bool FindUnknown(const Message& message, std::string* path,
                 std::vector<int>* numbers,
                 const std::vector<std::string>* only = nullptr) {
  const google::protobuf::Reflection* reflection = message.GetReflection();
  const google::protobuf::UnknownFieldSet& unknown =
      reflection->GetUnknownFields(message);
  if (only == nullptr && !unknown.empty()) {
    for (int i = 0; i < unknown.field_count(); ++i) {
      numbers->push_back(unknown.field(i).number());
    }
    return true;
  }
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (only != nullptr &&
        std::find(only->begin(), only->end(), field->name()) == only->end()) {
      continue;
    }
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
        std::string below;
        if (FindUnknown(reflection->GetRepeatedMessage(message, field, i),
                        &below, numbers)) {
          *path = absl::StrCat(".", field->name(), "[", i, "]", below);
          return true;
        }
      }
    } else {
      std::string below;
      if (FindUnknown(reflection->GetMessage(message, field), &below,
                      numbers)) {
        *path = absl::StrCat(".", field->name(), below);
        return true;
      }
    }
  }
  return false;
}

// CheckNoUnknownFields, of every field or (with `only`) of those named.
absl::Status CheckUnknownFieldsIn(const Message& record,
                                  absl::string_view field,
                                  const std::vector<std::string>* only) {
  std::string path;
  std::vector<int> numbers;
  if (!FindUnknown(record, &path, &numbers, only)) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      field, path, ": carries field number", numbers.size() > 1 ? "s " : " ",
      absl::StrJoin(numbers, ", "),
      ", unknown to this version of the server, which would drop it; send the "
      "write to a server of the client's version or newer"));
}

}  // namespace

absl::StatusOr<std::string> ParseRequestId(absl::string_view id,
                                           absl::string_view field) {
  if (id.empty()) return std::string();
  bool ok = id.size() == 36;
  bool nil = true;
  for (size_t i = 0; ok && i < id.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      ok = id[i] == '-';
    } else {
      ok = absl::ascii_isxdigit(static_cast<unsigned char>(id[i]));
      nil = nil && id[i] == '0';
    }
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        field,
        ": must be a UUID such as 123e4567-e89b-42d3-a456-426614174000 "
        "(AIP-155), got ",
        Quote(id)));
  }
  if (nil) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": must not be the nil UUID; make a random one per request"));
  }
  return absl::AsciiStrToLower(id);
}

std::string RequestFingerprint(absl::string_view method,
                               absl::string_view caller,
                               const Message& request) {
  std::string encoded;
  {
    google::protobuf::io::StringOutputStream stream(&encoded);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    request.SerializeToCodedStream(&coded);
  }
  // Lengths first, so that no two different triples hash the same bytes.
  const std::string input = absl::StrCat(method.size(), ":", method,
                                         caller.size(), ":", caller, encoded);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(),
         digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

absl::Status CheckNoUnknownFields(const Message& record,
                                  absl::string_view field) {
  return CheckUnknownFieldsIn(record, field, nullptr);
}

absl::Status CheckNoUnknownFields(const Message& record,
                                  absl::string_view field,
                                  const std::vector<std::string>& names) {
  return CheckUnknownFieldsIn(record, field, &names);
}

}  // namespace forum_registry::domain
