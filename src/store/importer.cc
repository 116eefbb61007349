#include "src/store/importer.h"

#include <algorithm>
#include <atomic>
#include <pqxx/pqxx>
#include <thread>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
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

// The upsert of one record or of many: RETURNING nothing for a record whose
// body is the same (the WHERE of DO UPDATE skipped it); xmax is 0 for a row
// the statement inserted.
// With `keep_edits`, the update is also made only while the stored record
// holds what an import last wrote, checked on the row as locked: an edit
// committed since the records to keep were picked is kept too.
std::string Upsert(pqxx::transaction_base& txn, const std::string& table,
                   absl::string_view rows, bool keep_edits) {
  return absl::StrCat(
      "INSERT INTO ", txn.quote_name(table), " AS t (name, body, body_pb) ",
      rows,
      " ON CONFLICT (name) DO UPDATE SET body = EXCLUDED.body, "
      "body_pb = EXCLUDED.body_pb, "
      "version = t.version + 1, update_time = clock_timestamp() "
      "WHERE t.body IS DISTINCT FROM EXCLUDED.body",
      keep_edits ? " AND EXISTS (SELECT 1 FROM imported_records i WHERE "
                   "i.name = t.name AND i.body = t.body)"
                 : "",
      " RETURNING (xmax = 0) AS created");
}

// Encodes the records' bodies (JSON) and stored bytes (bytea hex) table by
// table, in order, on a thread of its own, while the database writes the
// tables already encoded.
class Encoder {
 public:
  Encoder(const std::vector<ImportRecord>& records,
          const std::vector<std::vector<size_t>>& of_table)
      : records_(records),
        of_table_(of_table),
        bodies_(records.size()),
        stored_(records.size()),
        thread_([this] { Run(); }) {}

  ~Encoder() {
    stop_.store(true, std::memory_order_relaxed);
    thread_.join();
  }

  // Waits until table `t`'s records are encoded. A record that cannot be
  // is named, with its origin (then no later table is encoded).
  absl::Status Wait(size_t t) {
    absl::MutexLock lock(&mu_);
    const auto ready = [this, t]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return encoded_ > t || !failed_.ok();
    };
    mu_.Await(absl::Condition(&ready));
    if (encoded_ > t) return absl::OkStatus();
    return failed_;
  }

  // Record `i`'s, once its table was waited for.
  const std::string& body(size_t i) const { return bodies_[i]; }
  const std::string& stored(size_t i) const { return stored_[i]; }

 private:
  void Run() {
    try {
      for (size_t t = 0; t < of_table_.size(); ++t) {
        for (const size_t i : of_table_[t]) {
          // The import has ended (refused, or its connection lost).
          if (stop_.load(std::memory_order_relaxed)) return;
          const ImportRecord& record = records_[i];
          absl::StatusOr<std::string> body = ToBody(*record.resource);
          if (!body.ok()) {
            Fail(absl::Status(body.status().code(),
                              absl::StrCat(record.origin(), ": ", record.name,
                                           ": ", body.status().message())));
            return;
          }
          bodies_[i] = *std::move(body);
          stored_[i] = ByteaHex(ToStoredBytes(*record.resource));
        }
        absl::MutexLock lock(&mu_);
        ++encoded_;
      }
    } catch (const std::exception& e) {  // out of memory
      Fail(absl::ResourceExhaustedError(
          absl::StrCat("encoding the records: ", e.what())));
    }
  }

  void Fail(absl::Status status) {
    absl::MutexLock lock(&mu_);
    failed_ = std::move(status);
  }

  const std::vector<ImportRecord>& records_;
  const std::vector<std::vector<size_t>>& of_table_;
  std::vector<std::string> bodies_;
  std::vector<std::string> stored_;
  absl::Mutex mu_;
  size_t encoded_ ABSL_GUARDED_BY(mu_) = 0;  // tables
  absl::Status failed_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> stop_{false};
  std::thread thread_;  // last: starts once the rest is built
};

void Count(const pqxx::result& rows, int records, ImportReport* report) {
  int created = 0;
  for (const pqxx::row& row : rows) created += row["created"].as<bool>();
  report->created += created;
  report->updated += static_cast<int>(rows.size()) - created;
  report->unchanged += records - static_cast<int>(rows.size());
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
    // Each table's rows are sorted twice (the last record of a name, then
    // the file's order): in memory, not in files (PostgreSQL's default
    // 4 MB spills a table of 40,000 sessions to disk).
    txn.exec("SET LOCAL work_mem = '64MB'");
    // No JIT: the statements over a whole table pass PostgreSQL's cost
    // threshold for compiling their expressions (jit_above_cost), which
    // cost about 0.5 s of an import of 84,069 records and sped up nothing
    // (docs/benchmarks.md).
    txn.exec("SET LOCAL jit = off");

    // Set-based (decisions §30): the records of each table COPYed into a
    // staging table, then one INSERT ... SELECT per table, in the order of
    // the records; a name given twice keeps its last record. The tables
    // come in order of first appearance; a thread of its own encodes the
    // next table's records while the database writes this one's.
    std::vector<std::string> tables;
    std::vector<std::vector<size_t>> of_table;  // records, by table
    for (size_t i = 0; i < records.size(); ++i) {
      const size_t t =
          std::find(tables.begin(), tables.end(), records[i].table) -
          tables.begin();
      if (t == tables.size()) {
        tables.push_back(records[i].table);
        of_table.emplace_back();
      }
      of_table[t].push_back(i);
    }
    Encoder encoder(records, of_table);
    txn.exec(
        "CREATE TEMP TABLE import_rows (ordinal integer, table_name text, "
        "name text, body text, body_pb text) ON COMMIT DROP");
    for (size_t t = 0; t < tables.size(); ++t) {
      const std::string& table = tables[t];
      if (absl::Status encoded = encoder.Wait(t); !encoded.ok()) {
        return encoded;
      }
      {
        pqxx::stream_to stream(
            txn, "import_rows",
            std::vector<std::string>{"ordinal", "table_name", "name", "body",
                                     "body_pb"});
        for (const size_t i : of_table[t]) {
          stream << std::make_tuple(static_cast<int>(i), records[i].table,
                                    records[i].name, encoder.body(i),
                                    encoder.stored(i));
        }
        stream.complete();
      }
      int count = static_cast<int>(of_table[t].size());
      if (options.keep_edits) {
        // Records an editor changed or deleted since an import last wrote
        // them are left as they are (decisions §41): the stored body is not
        // the one imported last, or the record is gone though it was
        // imported. A stored record no import remembers is kept too, unless
        // it already holds what the file says.
        const pqxx::result kept = txn.exec_params(
            absl::StrCat(
                "DELETE FROM import_rows r WHERE r.table_name = $1 AND "
                "CASE WHEN EXISTS (SELECT 1 FROM ",
                txn.quote_name(table),
                " t WHERE t.name = r.name) THEN NOT EXISTS (SELECT 1 FROM ",
                txn.quote_name(table),
                " t WHERE t.name = r.name AND (t.body = r.body::jsonb OR "
                "EXISTS (SELECT 1 FROM imported_records i WHERE i.name = "
                "t.name AND i.body = t.body))) ELSE EXISTS (SELECT 1 FROM "
                "imported_records i WHERE i.name = r.name) END "
                "RETURNING r.name"),
            table);
        for (const pqxx::row& row : kept) {
          const std::string name = row[0].as<std::string>();
          if (std::find(report.kept.begin(), report.kept.end(), name) ==
              report.kept.end()) {
            report.kept.push_back(name);
          }
        }
        count -= static_cast<int>(kept.size());
      }
      // Under a savepoint of its own (pqxx::subtransaction does not roll
      // back to it after an error in libpqxx 6.4).
      txn.exec("SAVEPOINT import_table");
      try {
        const pqxx::result rows = txn.exec_params(
            Upsert(txn, table,
                   "SELECT name, body::jsonb, body_pb::bytea FROM (SELECT "
                   "DISTINCT ON (name) ordinal, name, body, body_pb FROM "
                   "import_rows WHERE table_name = $1 "
                   "ORDER BY name, ordinal DESC) r ORDER BY ordinal",
                   options.keep_edits),
            table);
        txn.exec("RELEASE SAVEPOINT import_table");
        Count(rows, count, &report);
        continue;
      } catch (const pqxx::sql_error&) {
        // Refused: write the table's records one at a time, to name the
        // record the database refuses and give its message.
        txn.exec("ROLLBACK TO SAVEPOINT import_table");
      }
      for (const size_t i : of_table[t]) {
        if (std::find(report.kept.begin(), report.kept.end(),
                      records[i].name) != report.kept.end()) {
          continue;
        }
        current = &records[i];
        Count(txn.exec_params(
                  Upsert(txn, table, "VALUES ($1, $2::jsonb, $3::bytea)",
                         options.keep_edits),
                  records[i].name, encoder.body(i), encoder.stored(i)),
              1, &report);
      }
      current = nullptr;
    }
    current = nullptr;
    // What this import wrote (or found already written), for the next
    // import with keep_edits.
    txn.exec(
        "INSERT INTO imported_records AS i (name, body) SELECT DISTINCT ON "
        "(name) name, body::jsonb FROM import_rows ORDER BY name, ordinal DESC "
        "ON CONFLICT (name) DO UPDATE SET body = EXCLUDED.body, import_time = "
        "clock_timestamp() WHERE i.body IS DISTINCT FROM EXCLUDED.body");
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
      txn.exec_params(
          "DELETE FROM imported_records WHERE NOT (name = ANY "
          "(string_to_array($1, ',')))",
          kept);
    }
    txn.commit();
  } catch (const std::exception& e) {
    absl::Status status = StatusFromException(e);
    if (IsCommitInDoubt(status)) {
      // No request id here: an import is idempotent, so it is simply run
      // again.
      status = absl::UnknownError(
          "the connection to the database was lost during COMMIT: the import "
          "may or may not have been applied; run it again (an import applied "
          "twice writes nothing the second time)");
    }
    if (current == nullptr) {
      // Refused at commit: the database names the record in DETAIL.
      current = FindOwner(e.what(), records);
    }
    return absl::Status(
        status.code(),
        current == nullptr
            ? std::string(status.message())
            : absl::StrCat(current->origin(), ": ", current->name, ": ",
                           status.message()));
  }
  return report;
}

}  // namespace forum_registry::store
