#include "src/auth/roles.h"

namespace forum_registry::auth {

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kNone:
      return "none";
    case Role::kReader:
      return "reader";
    case Role::kEditor:
      return "editor";
    case Role::kAdmin:
      return "admin";
  }
  return "none";
}

std::optional<Role> ParseRole(absl::string_view name) {
  for (Role role : {Role::kReader, Role::kEditor, Role::kAdmin}) {
    if (name == RoleName(role)) return role;
  }
  return std::nullopt;
}

Role RequiredRole(Verb verb) {
  switch (verb) {
    case Verb::kRead:
    case Verb::kWatch:
      return Role::kReader;
    case Verb::kWrite:
      return Role::kEditor;
    case Verb::kForcedDelete:
      return Role::kAdmin;
  }
  return Role::kAdmin;
}

bool IsWrite(Verb verb) {
  return verb == Verb::kWrite || verb == Verb::kForcedDelete;
}

}  // namespace forum_registry::auth
