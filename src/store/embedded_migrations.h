#ifndef FORUM_REGISTRY_STORE_EMBEDDED_MIGRATIONS_H_
#define FORUM_REGISTRY_STORE_EMBEDDED_MIGRATIONS_H_

#include <string>
#include <vector>

namespace forum_registry::store {

// One file of migrations/: its file name ("0001_foundation.sql") and its SQL.
struct MigrationFile {
  std::string file_name;
  std::string sql;
};

// The migrations compiled into this binary, in the order they apply.
const std::vector<MigrationFile>& EmbeddedMigrations();

}  // namespace forum_registry::store

#endif  // FORUM_REGISTRY_STORE_EMBEDDED_MIGRATIONS_H_
