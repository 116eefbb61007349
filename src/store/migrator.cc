#include "src/store/migrator.h"

#include <algorithm>
#include <map>
#include <optional>
#include <pqxx/pqxx>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "src/domain/json_text.h"
#include "src/domain/resource_registry.h"
#include "src/store/body.h"
#include "src/store/errors.h"
#include "src/store/pool.h"
#include "src/store/watchdog.h"

namespace forum_registry::store {
namespace {

// pg_advisory_lock key for migrations: "forumreg" in ASCII.
constexpr int64_t kMigrationLock = 0x666f72756d726567;

constexpr const char* kCreateTable = R"sql(
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    file_name   text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT clock_timestamp()
  ))sql";

struct Applied {
  std::string file_name;
  std::string checksum;
};

// version -> what was recorded when it was applied.
std::map<int, Applied> ReadApplied(pqxx::transaction_base& txn) {
  std::map<int, Applied> applied;
  for (const auto& row :
       txn.exec("SELECT version, file_name, checksum FROM schema_migrations")) {
    applied[row["version"].as<int>()] = {row["file_name"].as<std::string>(),
                                         row["checksum"].as<std::string>()};
  }
  return applied;
}

std::string Checksum(pqxx::transaction_base& txn, const std::string& sql) {
  return txn
      .exec_params1("SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex')",
                    sql)[0]
      .as<std::string>();
}

}  // namespace

absl::StatusOr<int> MigrationVersion(const std::string& file_name) {
  int version = 0;
  const size_t underscore = file_name.find('_');
  if (underscore == std::string::npos ||
      !absl::SimpleAtoi(file_name.substr(0, underscore), &version) ||
      version <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "migration ", file_name, ": the name must be NNNN_description.sql"));
  }
  return version;
}

absl::StatusOr<MigrationReport> Migrate(
    const std::string& url, const std::vector<MigrationFile>& migrations) {
  MigrationReport report;
  try {
    pqxx::connection connection(url);
    {
      pqxx::nontransaction lock(connection);
      lock.exec_params("SELECT pg_advisory_lock($1)", kMigrationLock);
    }
    {
      pqxx::work txn(connection);
      txn.exec(kCreateTable);
      txn.commit();
    }
    std::map<int, Applied> applied;
    {
      pqxx::read_transaction txn(connection);
      applied = ReadApplied(txn);
    }
    for (const MigrationFile& migration : migrations) {
      absl::StatusOr<int> version = MigrationVersion(migration.file_name);
      if (!version.ok()) return version.status();
      pqxx::work txn(connection);
      const std::string checksum = Checksum(txn, migration.sql);
      if (auto it = applied.find(*version); it != applied.end()) {
        if (it->second.checksum != checksum) {
          return absl::FailedPreconditionError(absl::StrCat(
              "migration ", migration.file_name,
              " has changed since it was applied as ", it->second.file_name,
              " (checksum ", checksum.substr(0, 12), " now, ",
              it->second.checksum.substr(0, 12),
              " then); applied migrations are never edited: restore the "
              "file and add a new migration"));
        }
        report.already_applied.push_back(migration.file_name);
        continue;
      }
      txn.exec(migration.sql);
      txn.exec_params(
          "INSERT INTO schema_migrations (version, file_name, checksum) "
          "VALUES ($1, $2, $3)",
          *version, migration.file_name, checksum);
      txn.commit();
      report.applied.push_back(migration.file_name);
    }
    // The advisory lock goes with the connection.
  } catch (const pqxx::sql_error& e) {
    return absl::FailedPreconditionError(absl::StrCat(
        "migration failed: ", std::string(e.what()).substr(0, 500)));
  } catch (const std::exception& e) {
    return StatusFromException(e);
  }
  return report;
}

absl::StatusOr<std::vector<std::string>> PendingMigrations(
    const std::string& url, const std::vector<MigrationFile>& migrations,
    absl::Time deadline) {
  // Declared in this order, the watch ends before the connection closes.
  std::optional<pqxx::connection> connection;
  std::optional<Watchdog::Watch> watch;
  try {
    connection.emplace(WithConnectionDefaults(url).value_or(url));
    watch.emplace(*connection, deadline);
    pqxx::read_transaction txn(*connection);
    const bool has_table =
        txn.exec1("SELECT to_regclass('schema_migrations') IS NOT NULL")[0]
            .as<bool>();
    std::map<int, Applied> applied;
    if (has_table) applied = ReadApplied(txn);
    std::vector<std::string> pending;
    for (const MigrationFile& migration : migrations) {
      absl::StatusOr<int> version = MigrationVersion(migration.file_name);
      if (!version.ok()) return version.status();
      if (!applied.contains(*version)) pending.push_back(migration.file_name);
    }
    return pending;
  } catch (const std::exception& e) {
    // For operators (health checks, logs), not clients: keep libpq's words,
    // and do not log or count here, as a health check asks every few seconds.
    if (watch.has_value() && watch->Fired()) {
      return absl::UnavailableError(
          "the database did not answer before the deadline");
    }
    const std::string what = e.what();
    return absl::UnavailableError(
        what.substr(0, std::min(what.find('\n'), size_t{300})));
  }
}

absl::Status GrantServingRole(const std::string& url, const std::string& role) {
  try {
    pqxx::connection connection(url);
    pqxx::work txn(connection);
    const std::string who = txn.quote_name(role);
    txn.exec(absl::StrCat("GRANT USAGE ON SCHEMA public TO ", who));
    txn.exec(absl::StrCat(
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public "
        "TO ",
        who));
    txn.exec(absl::StrCat(
        "REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM ", who));
    txn.exec(absl::StrCat(
        "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ", who));
    // The audit log is append-only to the server (migrations/0013): no
    // UPDATE, DELETE or TRUNCATE of the change log, the stored request ids
    // or the keys. Changes enter only by the trigger, which runs as its
    // owner; a request id is claimed by INSERT of its own columns (never an
    // answer, a time or a transaction of the server's choosing), answered
    // and purged by the functions of 0013; the page-token key may be
    // inserted if missing, never replaced; nothing is staged for the log
    // or the reference check but by the triggers (0017). (Revoking a table
    // privilege revokes its column privileges too, so the grants follow the
    // revoke.)
    txn.exec(absl::StrCat(
        "REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON "
        "changes, write_requests, server_keys, retention_floor, "
        "change_horizon, stored_bytes_fills, pending_changes, "
        "pending_change_flushes, pending_reference_syncs, "
        "pending_reference_checks FROM ",
        who));
    txn.exec(absl::StrCat(
        "GRANT INSERT (request_id, fingerprint, method, resource) ON "
        "write_requests TO ",
        who));
    txn.exec(absl::StrCat("GRANT INSERT ON server_keys TO ", who));
    txn.exec(
        absl::StrCat("REVOKE ALL ON SEQUENCE changes_sequence_seq, "
                     "pending_changes_ordinal_seq FROM ",
                     who));
    txn.exec(absl::StrCat(
        "GRANT EXECUTE ON FUNCTION answer_write_request(uuid, bytea), "
        "purge_changes(interval, integer), "
        "purge_write_requests(interval, integer) TO ",
        who));
    // Never the schema: no CREATE on it (PostgreSQL 15 grants none to
    // PUBLIC), and owning nothing, the role can alter or drop nothing.
    txn.exec(absl::StrCat("REVOKE CREATE ON SCHEMA public FROM ", who));
    // Nor anybody else (PUBLIC had CREATE on `public` in databases made
    // before PostgreSQL 15): the owner's functions resolve names in
    // `public`, where only the owner may then create. A migrating role
    // that does not own the schema gets a warning here, not an error.
    txn.exec("REVOKE CREATE ON SCHEMA public FROM PUBLIC");
    txn.commit();
  } catch (const std::exception& e) {
    return absl::Status(StatusFromException(e).code(),
                        absl::StrCat("granting the serving role ", role, ": ",
                                     StatusFromException(e).message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> FillStoredBytes(const std::string& url) {
  constexpr int kBatch = 500;
  int64_t filled = 0;
  try {
    pqxx::connection connection(url);
    for (const domain::ResourceType& type : domain::Resources()) {
      const google::protobuf::Message* prototype =
          google::protobuf::MessageFactory::generated_factory()->GetPrototype(
              type.descriptor);
      std::unique_ptr<google::protobuf::Message> record(prototype->New());
      std::string after;
      for (;;) {
        pqxx::work txn(connection);
        const pqxx::result rows = txn.exec_params(
            absl::StrCat("SELECT name, body::text AS body FROM ",
                         txn.quote_name(type.table),
                         " WHERE body_pb IS NULL AND name > $1 ORDER BY name "
                         "LIMIT $2::int"),
            after, kBatch);
        if (rows.empty()) break;
        std::string batch = "[";
        for (const pqxx::row& row : rows) {
          const std::string name = row["name"].as<std::string>();
          const pqxx::field body = row["body"];
          after = name;
          bool all_known = false;
          // A body this program cannot read whole keeps no bytes.
          if (!FromBody(absl::string_view(body.c_str(), body.size()), name, 1,
                        0, record.get(), &all_known)
                   .ok() ||
              !all_known) {
            continue;
          }
          absl::StrAppend(
              &batch, batch.size() > 1 ? "," : "", "{\"name\":\"",
              domain::JsonEscape(name),
              "\",\"body\":", absl::string_view(body.c_str(), body.size()),
              ",\"pb\":\"", absl::BytesToHexString(ToStoredBytes(*record)),
              "\"}");
        }
        batch += "]";
        filled += txn.exec_params1("SELECT fill_stored_bytes($1, $2::jsonb)",
                                   type.table, batch)[0]
                      .as<int64_t>();
        txn.commit();
      }
    }
  } catch (const std::exception& e) {
    return absl::Status(StatusFromException(e).code(),
                        absl::StrCat("filling stored bytes: ",
                                     StatusFromException(e).message()));
  }
  return filled;
}

}  // namespace forum_registry::store
