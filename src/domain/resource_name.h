#ifndef FORUM_REGISTRY_DOMAIN_RESOURCE_NAME_H_
#define FORUM_REGISTRY_DOMAIN_RESOURCE_NAME_H_

// Resource names and ids (AIP-122).
//
// Every record is named by its collection and an id the creator chose:
// `forums/arf`, `participants/russia`, later `forums/arf/sessions/30`. An id
// is a lower-case slug: letters a-z, digits and hyphens, 1 to 63 characters,
// starting and ending with a letter or digit. Ids are stable: they never
// change once created, so other systems may store names.
//
//   absl::StatusOr<std::string> id =
//       ParseName("forums/arf", "forums", "forum.parent");
//   // *id == "arf"
//
// Errors are INVALID_ARGUMENT and name the field given, so an API handler can
// pass them through unchanged.

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace forum_registry::domain {

inline constexpr int kMaxIdLength = 63;

// True if `id` is a valid resource id.
bool IsValidId(absl::string_view id);

// Checks `id` for the field `field`: required and a valid id.
absl::Status ValidateId(absl::string_view id, absl::string_view field);

// Parses `{collection}/{id}` and returns the id. `field` names the request
// field in the error message.
absl::StatusOr<std::string> ParseName(absl::string_view name,
                                      absl::string_view collection,
                                      absl::string_view field);

// Checks that `name` is `{collection}/{id}`; an empty name is allowed only
// when `required` is false.
absl::Status ValidateName(absl::string_view name, absl::string_view collection,
                          absl::string_view field, bool required = true);

// `{collection}/{id}`.
std::string MakeName(absl::string_view collection, absl::string_view id);

// "actionPlan" -> "action_plan", "foundedDate.month" -> "founded_date.month":
// the proto (snake_case) spelling of a JSON (lowerCamelCase) name or path;
// snake_case passes unchanged.
std::string SnakeCase(absl::string_view camel);

// A name of a resource nested under a parent: `forums/arf/sessions/30` is
// parent `forums/arf` and id `30` in collection `sessions`.
struct NestedName {
  std::string parent;  // "forums/arf"
  std::string id;      // "30"
};

// Parses `{parent_collection}/{parent_id}/{collection}/{id}`.
absl::StatusOr<NestedName> ParseNestedName(absl::string_view name,
                                           absl::string_view parent_collection,
                                           absl::string_view collection,
                                           absl::string_view field);

// Checks a nested name; an empty name is allowed only when `required` is
// false.
absl::Status ValidateNestedName(absl::string_view name,
                                absl::string_view parent_collection,
                                absl::string_view collection,
                                absl::string_view field, bool required = true);

// Checks the parent of a List request: `{parent_collection}/{id}`, or
// `{parent_collection}/-` for every parent when `allow_any` is true.
absl::Status ValidateParent(absl::string_view parent,
                            absl::string_view parent_collection,
                            absl::string_view field, bool allow_any);

}  // namespace forum_registry::domain

#endif  // FORUM_REGISTRY_DOMAIN_RESOURCE_NAME_H_
