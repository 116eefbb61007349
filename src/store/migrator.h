#ifndef FORUM_REGISTRY_STORE_MIGRATOR_H_
#define FORUM_REGISTRY_STORE_MIGRATOR_H_

// Applies the migrations compiled into the binary (migrations/NNNN_name.sql).
//
// Each migration runs in its own transaction together with the row that
// records it in `schema_migrations` (version, file name, SHA-256 of the SQL,
// time), so a migration is applied entirely or not at all. The whole run
// holds a PostgreSQL advisory lock: two `migrate` runs at once (two pods of a
// Job, say) are safe — the second waits, then finds nothing left to do.
//
// A migration already applied whose SQL has changed since is refused, naming
// the file: released migrations are never edited; add a new one instead.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/store/embedded_migrations.h"

namespace forum_registry::store {

struct MigrationReport {
  std::vector<std::string> applied;          // file names applied by this run
  std::vector<std::string> already_applied;  // file names found applied
};

// Applies `migrations` (in order) to the database at `url`.
absl::StatusOr<MigrationReport> Migrate(
    const std::string& url,
    const std::vector<MigrationFile>& migrations = EmbeddedMigrations());

// Lets `role` (an existing role) read and write the registry's rows and
// nothing more: it may not create, alter or drop anything, and it may only
// read the migrations table. For the role `serve` connects as, so that a bug
// or a stolen credential cannot change the schema. Idempotent; run it after
// Migrate (it also covers the tables Migrate created).
absl::Status GrantServingRole(const std::string& url, const std::string& role);

// The file names of `migrations` not yet applied to the database at `url`.
// An empty result means the schema is current. UNAVAILABLE, with libpq's
// own message (for operators, not clients), when the database cannot be
// read, or does not answer by `deadline` (the connection has the settings
// of WithConnectionDefaults, and the watchdog ends a read past the deadline).
// Fills the stored bytes (migrations/0016) of every record that has none
// but whose JSON this program can encode whole: rows written before 0016,
// or by psql. In batches, each its own transaction; silent (no change is
// logged) and compare-and-set, so it may run beside a serving registry.
// The number of records filled. Needs the owner (fill_stored_bytes).
absl::StatusOr<int64_t> FillStoredBytes(const std::string& url);

absl::StatusOr<std::vector<std::string>> PendingMigrations(
    const std::string& url,
    const std::vector<MigrationFile>& migrations = EmbeddedMigrations(),
    absl::Time deadline = absl::InfiniteFuture());

// The number before the first '_' of a migration's file name.
absl::StatusOr<int> MigrationVersion(const std::string& file_name);

}  // namespace forum_registry::store

#endif  // FORUM_REGISTRY_STORE_MIGRATOR_H_
