#include "src/store/importer.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "src/store/body.h"
#include "src/store/errors.h"

namespace forum_registry::store {
namespace {

// The record named by "DETAIL:  owner: <name>" in a database message.
const ImportRecord* FindOwner(absl::string_view what,
                              const std::vector<ImportRecord>& records) {
  constexpr absl::string_view kOwner = "owner: ";
  const size_t at = what.find(kOwner);
  if (at == absl::string_view::npos) return nullptr;
  absl::string_view name = what.substr(at + kOwner.size());
  name = name.substr(0, name.find_first_of("\n "));
  for (const ImportRecord& record : records) {
    if (record.name == name) return &record;
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<ImportReport> ImportRecords(
    const std::string& url, const std::vector<ImportRecord>& records,
    const ImportOptions& options) {
  ImportReport report;
  const ImportRecord* current = nullptr;
  try {
    pqxx::connection connection(url);
    pqxx::work txn(connection);
    // References are checked at commit, so records may refer to each other
    // in any order (a source's publisher cites that source).
    txn.exec("SET CONSTRAINTS ALL DEFERRED");
    for (const ImportRecord& record : records) {
      current = &record;
      absl::StatusOr<std::string> body = ToBody(*record.resource);
      if (!body.ok()) return body.status();
      // RETURNING nothing when the body is the same: the WHERE of DO UPDATE
      // skipped the row. xmax is 0 for a row this statement inserted.
      const pqxx::result rows = txn.exec_params(
          absl::StrCat(
              "INSERT INTO ", txn.quote_name(record.table),
              " AS t (name, body) VALUES ($1, $2::jsonb) "
              "ON CONFLICT (name) DO UPDATE SET body = EXCLUDED.body, "
              "version = t.version + 1, update_time = clock_timestamp() "
              "WHERE t.body IS DISTINCT FROM EXCLUDED.body "
              "RETURNING (xmax = 0) AS created"),
          record.name, *body);
      if (rows.empty()) {
        ++report.unchanged;
      } else if (rows[0]["created"].as<bool>()) {
        ++report.created;
      } else {
        ++report.updated;
      }
    }
    current = nullptr;
    if (options.prune) {
      // Names are validated slugs joined by '/': they never hold a comma.
      std::vector<std::string> keep;
      keep.reserve(records.size());
      for (const ImportRecord& record : records) keep.push_back(record.name);
      const std::string kept = absl::StrJoin(keep, ",");
      // Children before parents; the checks wait for commit anyway.
      for (auto table = options.prune_tables.rbegin();
           table != options.prune_tables.rend(); ++table) {
        const pqxx::result deleted = txn.exec_params(
            absl::StrCat("DELETE FROM ", txn.quote_name(*table),
                         " WHERE NOT (name = ANY (string_to_array($1, ','))) "
                         "RETURNING name"),
            kept);
        report.deleted += static_cast<int>(deleted.size());
      }
    }
    txn.commit();
  } catch (const std::exception& e) {
    const absl::Status status = StatusFromException(e);
    if (current == nullptr) {
      // Refused at commit: the database names the record in DETAIL.
      current = FindOwner(e.what(), records);
    }
    return absl::Status(status.code(),
                        current == nullptr
                            ? std::string(status.message())
                            : absl::StrCat(current->origin, ": ", current->name,
                                           ": ", status.message()));
  }
  return report;
}

}  // namespace forum_registry::store
