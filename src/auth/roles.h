#ifndef FORUM_REGISTRY_AUTH_ROLES_H_
#define FORUM_REGISTRY_AUTH_ROLES_H_

// Who may call what: the one table of verbs and the role each needs
// (docs/security.md repeats it for operators).
//
//   reader   Get, List, ListChanges, WatchChanges
//   editor   Create, Update, Delete (without force), Undelete (of what
//            such a delete removed)
//   admin    Delete with force (erases a record with its children), the
//            Undelete of a forced delete (brings back the children too), and
//            anything that rewrites history
//
// Roles are ordered: an editor may read, an admin may edit. Health and
// reflection are open to every caller, so probes and grpcurl work.

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace forum_registry::auth {

enum class Role { kNone = 0, kReader = 1, kEditor = 2, kAdmin = 3 };

// "reader", "editor", "admin" ("none" for kNone).
absl::string_view RoleName(Role role);

// The role named `name` (as RoleName writes it), if any.
std::optional<Role> ParseRole(absl::string_view name);

enum class Verb {
  kRead,          // Get, List, ListChanges
  kWatch,         // WatchChanges
  kWrite,         // Create, Update, Delete without force, Undelete
  kForcedDelete,  // Delete with force
};

// The role a call of `verb` needs.
Role RequiredRole(Verb verb);

// Whether `verb` changes the registry (refused by --read-only).
bool IsWrite(Verb verb);

}  // namespace forum_registry::auth

#endif  // FORUM_REGISTRY_AUTH_ROLES_H_
