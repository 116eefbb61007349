#include "src/domain/resource_name.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "src/domain/validation.h"

namespace forum_registry::domain {
namespace {

bool IsSlugChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

}  // namespace

bool IsValidId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  if (id.front() == '-' || id.back() == '-') return false;
  for (char c : id) {
    if (!IsSlugChar(c)) return false;
  }
  return true;
}

absl::Status ValidateId(absl::string_view id, absl::string_view field) {
  if (id.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": is required"));
  }
  if (!IsValidId(id)) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": \"", Quote(id),
        "\" is not a valid id: use 1 to 63 lower-case letters, digits and "
        "hyphens, starting and ending with a letter or digit"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ParseName(absl::string_view name,
                                      absl::string_view collection,
                                      absl::string_view field) {
  if (name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": is required"));
  }
  const std::string prefix = absl::StrCat(collection, "/");
  absl::string_view id = name;
  if (id.substr(0, prefix.size()) != prefix ||
      !IsValidId(id.substr(prefix.size()))) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": \"", Quote(name), "\" is not a valid name: use ",
                     collection, "/{id} where the id is 1 to 63 lower-case ",
                     "letters, digits and hyphens"));
  }
  return std::string(id.substr(prefix.size()));
}

absl::Status ValidateName(absl::string_view name, absl::string_view collection,
                          absl::string_view field, bool required) {
  if (name.empty() && !required) return absl::OkStatus();
  return ParseName(name, collection, field).status();
}

std::string MakeName(absl::string_view collection, absl::string_view id) {
  return absl::StrCat(collection, "/", id);
}

absl::StatusOr<NestedName> ParseNestedName(absl::string_view name,
                                           absl::string_view parent_collection,
                                           absl::string_view collection,
                                           absl::string_view field) {
  if (name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": is required"));
  }
  const std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 4 || parts[0] != parent_collection ||
      parts[2] != collection || !IsValidId(parts[1]) || !IsValidId(parts[3])) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": \"", Quote(name), "\" is not a valid name: use ",
        parent_collection, "/{id}/", collection,
        "/{id} where each id is 1 to 63 lower-case letters, digits and "
        "hyphens"));
  }
  return NestedName{absl::StrCat(parts[0], "/", parts[1]),
                    std::string(parts[3])};
}

absl::Status ValidateNestedName(absl::string_view name,
                                absl::string_view parent_collection,
                                absl::string_view collection,
                                absl::string_view field, bool required) {
  if (name.empty() && !required) return absl::OkStatus();
  return ParseNestedName(name, parent_collection, collection, field).status();
}

absl::Status ValidateParent(absl::string_view parent,
                            absl::string_view parent_collection,
                            absl::string_view field, bool allow_any) {
  if (allow_any && parent == absl::StrCat(parent_collection, "/-")) {
    return absl::OkStatus();
  }
  return ValidateName(parent, parent_collection, field);
}

std::string SnakeCase(absl::string_view camel) {
  std::string out;
  for (char c : camel) {
    if (absl::ascii_isupper(static_cast<unsigned char>(c))) {
      out.push_back('_');
      out.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace forum_registry::domain
