#include "src/store/resource_store.h"

#include <optional>
#include <pqxx/pqxx>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/civil_time.h"
#include "google/protobuf/empty.pb.h"
#include "google/protobuf/util/message_differencer.h"
#include "src/domain/resource_registry.h"
#include "src/domain/status_macros.h"
#include "src/domain/update_mask.h"
#include "src/store/body.h"
#include "src/store/change_log.h"
#include "src/store/filter_sql.h"
#include "src/store/in_doubt.h"
#include "src/store/memory_only.h"
#include "src/store/planner_cost.h"
#include "src/store/transaction.h"

namespace forum_registry::store {
namespace {

using google::protobuf::Message;

// The id of the writing transaction, returned by every write statement: after
// commit it finds the revision the write produced (migrations/0004).
constexpr char kTransactionColumn[] = "pg_current_xact_id()::text AS xid";

// How long a Get waits for the change feed to apply the current revision (a
// NOTIFY on its way: well under a millisecond when idle, tens of them on a
// loaded machine) before it reads the database instead. The read is as
// current as memory, so waiting longer would only add latency when the feed
// is behind (decisions §51).
constexpr absl::Duration kFeedWait = absl::Milliseconds(50);
// The most a kind's load into the list cache may take (a million records
// take seconds).
constexpr absl::Duration kLoadTimeout = absl::Minutes(10);
// Records a load reads per statement.
constexpr int kLoadPage = 10000;

// Who writes, for the change log (migrations/0007): a setting local to the
// transaction that record_change() reads at commit.
constexpr char kSetActorName[] = "changes.set_actor";
constexpr char kSetActorSql[] =
    "SELECT set_config('forum_registry.actor', $1, true)";

// The same, and the request id (migrations/0010), for a write with one,
// which it claims in the same statement: `xid` is the transaction's id, or
// NULL when
// an earlier request holds the id. A concurrent request with the same id
// waits here until the first commits or rolls back.
constexpr char kClaimName[] = "write_requests.claim";
constexpr char kClaimSql[] =
    "WITH claim AS (INSERT INTO write_requests (request_id, fingerprint, "
    "method, resource) VALUES ($2::text::uuid, decode($3, 'hex'), $4, $5) "
    "ON CONFLICT (request_id) DO NOTHING "
    "RETURNING pg_current_xact_id()::text AS xid) "
    "SELECT set_config('forum_registry.actor', $1, true), "
    "set_config('forum_registry.request_id', $2::text, true), "
    "(SELECT xid FROM claim) AS xid";

// Sets the writer and, with a request id, claims it: false if an earlier
// request holds the id; `*xid` gets the transaction's id otherwise.
bool SetWriterAndClaim(ConnectionPool::Lease& lease, pqxx::work& txn,
                       const WriteRequest& request, absl::string_view name,
                       std::string* xid) {
  if (request.id.empty()) {
    if (request.actor.empty()) return true;
    lease.Prepare(kSetActorName, kSetActorSql);
    txn.exec_prepared(kSetActorName, request.actor);
    return true;
  }
  lease.Prepare(kClaimName, kClaimSql);
  const pqxx::row claimed =
      txn.exec_prepared1(kClaimName, request.actor, request.id,
                         absl::BytesToHexString(request.fingerprint),
                         request.method, std::string(name));
  if (claimed["xid"].is_null()) return false;
  *xid = claimed["xid"].as<std::string>();
  return true;
}

constexpr char kStoredName[] = "write_requests.stored";
constexpr char kStoredSql[] =
    "SELECT encode(fingerprint, 'hex') AS fingerprint, "
    "encode(response, 'hex') AS response, transaction::text AS xid "
    "FROM write_requests WHERE request_id = $1::uuid";
// Through migrations/0013's function: the serving role may not UPDATE
// write_requests, and the function stores an answer only in the row this
// transaction claimed, once.
constexpr char kAnswerName[] = "write_requests.answer";
constexpr char kAnswerSql[] =
    "SELECT answer_write_request($1::uuid, decode($2, 'hex'))";
// Whether the rows a write left are there, for ResolveCommit: its stored
// request id, or else its change rows.
constexpr char kRequestWrittenSql[] =
    "SELECT EXISTS (SELECT 1 FROM write_requests WHERE request_id = $1::uuid "
    "AND transaction = $2::xid8)";
constexpr char kChangeWrittenSql[] =
    "SELECT EXISTS (SELECT 1 FROM changes WHERE resource = $1 "
    "AND transaction = $2::xid8)";

// Whether `key` can be a sort key of SQL type `type` as a List writes it in
// a page token: checked before the key meets a cast, so that a token that
// passed its signature check but carries a key of another list (or a
// forged one, with a leaked key) is the client's error, not the database's.
bool IsSortKey(absl::string_view type, const std::string& key) {
  if (type == "date") {
    absl::CivilDay day;
    return key == "-infinity" || key == "infinity" ||
           (key.size() == 10 && absl::ParseCivilTime(key, &day));
  }
  if (type == "bigint") {
    int64_t number = 0;
    return absl::SimpleAtoi(key, &number);
  }
  return true;
}

// A read that must see revision `revision` or later. `read(pool, last,
// &behind)` runs on `replica` first (unless it is the primary): it sets
// `behind`, and answers nothing, when that snapshot does not have the
// revision yet. It then runs on `primary` (`last` true), whose snapshot
// always has it.
template <typename Read>
absl::Status OnReplicaElsePrimary(ConnectionPool* replica,
                                  ConnectionPool* primary, const Read& read) {
  bool behind = false;
  if (replica != primary) {
    FR_RETURN_IF_ERROR(read(*replica, /*last=*/false, &behind));
    if (!behind) return absl::OkStatus();
  }
  return read(*primary, /*last=*/true, &behind);
}

// Whether `table` holds a record named `name`.
bool Exists(pqxx::transaction_base& txn, const std::string& table,
            const std::string& name) {
  return !txn.exec_params(
                 absl::StrCat("SELECT 1 FROM ", table, " WHERE name = $1"),
                 name)
              .empty();
}

// The parent of a nested record's name: "forums/arf" of
// "forums/arf/sessions/30".
std::string ParentOf(absl::string_view name) {
  return std::string(name.substr(0, name.find('/', name.find('/') + 1)));
}

// The message of the kind stored in `table`.
const Message* PrototypeOf(const std::string& table) {
  for (const domain::ResourceType& type : domain::Resources()) {
    if (type.table == table) {
      return google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(type.descriptor);
    }
  }
  return &google::protobuf::Empty::default_instance();
}

// A read of at least `revision` when the primary's newest is `newest`.
absl::Status NotWrittenYet(int64_t revision, int64_t newest) {
  return absl::OutOfRangeError(absl::StrCat(
      "min_revision: ", revision,
      " has not been written yet; the newest revision is ", newest));
}

absl::Status NotFound(const ResourceKind& kind, absl::string_view name) {
  return absl::NotFoundError(
      absl::StrCat(kind.singular, " ", name, " does not exist"));
}

// The horizon and the newest revision of the log, as columns `horizon` and
// `newest` of one row.
const std::string& HistoryBoundsSql() {
  static const std::string* const sql = new std::string(
      absl::StrCat("SELECT ", kHorizonRevisionSql, " AS horizon, ",
                   kNewestRevisionSql, " AS newest"));
  return *sql;
}

// A record as it stood after revision $2: its latest change up to it, with
// the bounds of the log in the same row (its columns null when there is no
// such change).
const std::string& GetAsOfSql() {
  static const std::string* const sql = new std::string(absl::StrCat(
      "SELECT b.horizon, b.newest, c.resource AS name, c.operation, "
      "c.body_pb, CASE WHEN c.body_pb IS NULL THEN c.body::text END AS body, "
      "c.version, "
      "(extract(epoch FROM coalesce(c.created, c.change_time)) * 1000000)"
      "::bigint AS create_micros, "
      "(extract(epoch FROM coalesce(c.updated, c.change_time)) * 1000000)"
      "::bigint AS update_micros FROM (",
      HistoryBoundsSql(),
      ") b LEFT JOIN LATERAL (SELECT * FROM changes WHERE resource = $1 "
      "AND sequence <= $2::bigint ORDER BY sequence DESC LIMIT 1) c ON true"));
  return *sql;
}

// The latest change of a record, for Undelete.
constexpr char kLatestChangeSql[] =
    "SELECT sequence, operation, version, "
    "coalesce((extract(epoch FROM created) * 1000000)::bigint, 0) "
    "AS created_micros, "
    "transaction::text AS xid FROM changes WHERE resource = $1 "
    "ORDER BY sequence DESC LIMIT 1";
// The deletes a forced delete made of a record's children, in its
// transaction.
constexpr char kChildDeletesSql[] =
    "SELECT resource, sequence, version FROM changes "
    "WHERE transaction = $1::xid8 AND operation = 'DELETE' "
    "AND starts_with(resource, $2 || '/') ORDER BY sequence";
// Whether the transaction $1 deleted the record $2 (a child's parent).
constexpr char kParentDeletedWithSql[] =
    "SELECT 1 FROM changes WHERE transaction = $1::xid8 AND resource = $2 "
    "AND operation = 'DELETE'";
// The purge's advisory lock (change_log.h), shared.
constexpr char kPurgeSharedLockSql[] =
    "SELECT pg_advisory_xact_lock_shared($1::bigint)";
// A record's last body before its delete at $2, and its create time.
constexpr char kBodyBeforeSql[] =
    "SELECT body::text AS body, body_pb, created::text AS created "
    "FROM changes "
    "WHERE resource = $1 AND sequence < $2::bigint AND body IS NOT NULL "
    "ORDER BY sequence DESC LIMIT 1";

}  // namespace

// Whether the log can tell the registry as it stood after `revision`: at
// or past its horizon (migrations/0015) and written.
absl::Status CheckHistoryCovers(int64_t revision, int64_t horizon,
                                int64_t newest) {
  if (revision < horizon) {
    return absl::OutOfRangeError(absl::StrCat(
        "as_of_revision: ", revision,
        " is older than the change log's history, which begins at revision ",
        horizon,
        " (retention compacted what came before, --change-retention); "
        "revisions ",
        horizon, " to ", newest, " can be read"));
  }
  if (revision > newest) {
    return absl::OutOfRangeError(absl::StrCat(
        "as_of_revision: ", revision,
        " has not been written yet; the newest revision is ", newest));
  }
  return absl::OkStatus();
}

// The generated columns of a table as a select list computes them: each
// expression cast to the column's type, with the column's collation, under
// the column's name.
extern const char kGeneratedColumnsSql[] =
    "SELECT format('CAST((%s) AS %s)%s AS %I', "
    "pg_get_expr(d.adbin, d.adrelid), format_type(a.atttypid, a.atttypmod), "
    "CASE WHEN a.attcollation <> 0 THEN ' COLLATE ' || "
    "quote_ident(n.nspname) || '.' || quote_ident(co.collname) ELSE '' END, "
    "a.attname) AS item "
    "FROM pg_attribute a JOIN pg_attrdef d ON d.adrelid = a.attrelid "
    "AND d.adnum = a.attnum LEFT JOIN pg_collation co ON co.oid = "
    "a.attcollation LEFT JOIN pg_namespace n ON n.oid = co.collnamespace "
    "WHERE a.attrelid = $1::regclass "
    "AND a.attgenerated = 's' AND NOT a.attisdropped ORDER BY a.attnum";

ResourceStore::ResourceStore(ConnectionPool* pool, ConnectionPool* read_pool,
                             ResourceKind kind, RecordCache* cache,
                             RevisionCheck* revisions, ListCache* lists,
                             ConnectionPool* list_pool)
    : pool_(pool),
      read_pool_(read_pool),
      kind_(std::move(kind)),
      prototype_(PrototypeOf(kind_.table)),
      wire_(prototype_->GetDescriptor()),
      cache_(cache),
      revisions_(revisions),
      lists_(lists),
      get_name_(absl::StrCat(kind_.table, ".get")),
      get_sql_(absl::StrCat("SELECT ", kRowColumns, " FROM ", kind_.table,
                            " WHERE name = $1")),
      // With the newest revision of the statement's snapshot, in one row
      // even when the record does not exist (its columns then null).
      get_at_name_(absl::StrCat(kind_.table, ".get_at")),
      get_at_sql_(
          absl::StrCat("SELECT ", kRowColumns, ", log.revision FROM (SELECT ",
                       kNewestRevisionSql, " AS revision) AS log LEFT JOIN ",
                       kind_.table, " ON name = $1")),
      lock_name_(absl::StrCat(kind_.table, ".lock")),
      // With the JSON, which an update merges over.
      lock_sql_(absl::StrCat("SELECT ", kRowJsonColumns, " FROM ", kind_.table,
                             " WHERE name = $1 FOR UPDATE")),
      insert_name_(absl::StrCat(kind_.table, ".insert")),
      insert_sql_(absl::StrCat("INSERT INTO ", kind_.table,
                               " (name, body, body_pb) VALUES ($1, $2::jsonb, "
                               "$3::bytea) "
                               "ON CONFLICT (name) DO NOTHING RETURNING ",
                               kRowColumns, ", ", kTransactionColumn)),
      update_name_(absl::StrCat(kind_.table, ".update")),
      update_sql_(absl::StrCat(
          "UPDATE ", kind_.table,
          " SET body = $2::jsonb, body_pb = nullif($3, '')::bytea, "
          "version = version + 1, "
          "update_time = clock_timestamp() WHERE name = $1 RETURNING ",
          kRowColumns, ", ", kTransactionColumn)),
      delete_name_(absl::StrCat(kind_.table, ".delete")),
      delete_sql_(absl::StrCat("DELETE FROM ", kind_.table,
                               " WHERE name = $1 RETURNING ",
                               kTransactionColumn)),
      referrer_name_(absl::StrCat(kind_.table, ".referrer")),
      referrer_sql_(kind_.references_table.empty()
                        ? ""
                        : absl::StrCat("SELECT owner, field FROM ",
                                       kind_.references_table, " WHERE ",
                                       kind_.references_column,
                                       " = $1 ORDER BY owner LIMIT 1")) {
  if (lists_ != nullptr) {
    ConnectionPool* from = list_pool != nullptr ? list_pool : pool_;
    lists_->AddKind(kind_.collection, kind_.parent_collection,
                    [this, from](const ListCache::Each& each) {
                      return ReadAll(*from, each, absl::Now() + kLoadTimeout);
                    });
  }
}

absl::Status ResourceStore::Get(absl::string_view name, Message* out,
                                absl::Time deadline) {
  if (revisions_ == nullptr || (cache_ == nullptr && read_pool_ == pool_)) {
    // Nothing to check a replica or the cache against, or nothing that could
    // be behind: the primary answers, which is current by definition.
    return RunSingleRead(*pool_, deadline,
                         [&](ConnectionPool::Lease& lease,
                             pqxx::transaction_base& txn) -> absl::Status {
                           lease.Prepare(get_name_, get_sql_);
                           const pqxx::result rows =
                               txn.exec_prepared(get_name_, std::string(name));
                           if (rows.empty()) return NotFound(kind_, name);
                           return ReadRow(rows[0], out);
                         });
  }
  // Every write acknowledged before this Get began is at or before `now`.
  absl::StatusOr<int64_t> now = revisions_->Current(deadline);
  if (!now.ok()) return now.status();
  if (cache_ != nullptr &&
      cache_->AwaitRevision(*now,
                            std::min(deadline, absl::Now() + kFeedWait))) {
    if (const auto record = cache_->FindCurrent(name)) {
      out->CopyFrom(*record);
      return absl::OkStatus();
    }
  }
  return GetAtLeast(name, out, *now, deadline);
}

std::shared_ptr<const Message> ResourceStore::FindInMemory(
    absl::string_view name, int64_t revision) {
  if (cache_ == nullptr || !cache_->HasApplied(revision)) return nullptr;
  return cache_->FindCurrent(name);
}

absl::Status ResourceStore::GetAtRevision(absl::string_view name,
                                          int64_t revision, Message* out,
                                          absl::Time deadline) {
  // No question to the primary: the caller named the revision.
  if (cache_ != nullptr &&
      cache_->AwaitRevision(revision,
                            std::min(deadline, absl::Now() + kFeedWait))) {
    if (const auto record = cache_->FindCurrent(name)) {
      out->CopyFrom(*record);
      return absl::OkStatus();
    }
  }
  return GetAtLeast(name, out, revision, deadline);
}

absl::Status ResourceStore::GetAtLeast(absl::string_view name, Message* out,
                                       int64_t revision, absl::Time deadline) {
  return OnReplicaElsePrimary(
      read_pool_, pool_,
      [&](ConnectionPool& pool, bool last, bool* behind) -> absl::Status {
        return RunSingleRead(pool, deadline,
                             [&](ConnectionPool::Lease& lease,
                                 pqxx::transaction_base& txn) -> absl::Status {
                               lease.Prepare(get_at_name_, get_at_sql_);
                               const pqxx::row row = txn.exec_prepared1(
                                   get_at_name_, std::string(name));
                               const int64_t read_revision =
                                   row["revision"].as<int64_t>();
                               *behind = !last && read_revision < revision;
                               if (*behind) return absl::OkStatus();
                               if (read_revision < revision) {
                                 return NotWrittenYet(revision, read_revision);
                               }
                               if (row[kNameColumn].is_null())
                                 return NotFound(kind_, name);
                               return ReadRow(row, out, read_revision);
                             });
      });
}

absl::Status ResourceStore::GetAsOf(absl::string_view name, int64_t revision,
                                    Message* out, absl::Time deadline) {
  return OnReplicaElsePrimary(
      read_pool_, pool_,
      [&](ConnectionPool& pool, bool last, bool* behind) -> absl::Status {
        return RunSingleRead(
            pool, deadline,
            [&](ConnectionPool::Lease&,
                pqxx::transaction_base& txn) -> absl::Status {
              const pqxx::row row =
                  txn.exec_params1(GetAsOfSql(), std::string(name), revision);
              const int64_t newest = row["newest"].as<int64_t>();
              *behind = !last && newest < revision;
              if (*behind) return absl::OkStatus();
              FR_RETURN_IF_ERROR(CheckHistoryCovers(
                  revision, row["horizon"].as<int64_t>(), newest));
              if (row[kNameColumn].is_null() ||
                  row["operation"].as<std::string>() == "DELETE") {
                return absl::NotFoundError(
                    absl::StrCat(kind_.singular, " ", name,
                                 " did not exist at revision ", revision));
              }
              // Never cached: the cache holds the present.
              return FromRow(row, out);
            });
      });
}

std::string HistorySource(const ResourceKind& kind_,
                          const std::vector<std::string>& generated) {
  // The kind's names: "forums/x", or "forums/x/sessions/y"; the log's index
  // (changes_resource) is read from the first collection's prefix on.
  const std::string first = kind_.parent_collection.empty()
                                ? kind_.collection
                                : kind_.parent_collection;
  const std::string pattern =
      kind_.parent_collection.empty()
          ? absl::StrCat("^", kind_.collection, "/[^/]+$")
          : absl::StrCat("^", kind_.parent_collection, "/[^/]+/",
                         kind_.collection, "/[^/]+$");
  std::string columns;
  for (const std::string& item : generated) {
    absl::StrAppend(&columns, ", ", item);
  }
  // Each record's latest change up to the revision, unless it is a delete,
  // with the table's columns: the generated ones computed as the table
  // computes them. Names and patterns are this program's own.
  return absl::StrCat(
      "(SELECT h.name, h.body, h.body_pb, h.version, h.create_time, "
      "h.update_time",
      columns,
      " FROM (SELECT DISTINCT ON (c.resource) c.resource AS name, c.body, "
      "c.body_pb, "
      "c.version, coalesce(c.created, c.change_time) AS create_time, "
      "coalesce(c.updated, c.change_time) AS update_time, c.operation "
      "FROM changes c WHERE c.resource >= '",
      first, "/' AND c.resource < '", first, "0' AND c.resource ~ '", pattern,
      "'{parent} AND c.sequence <= {revision} ORDER BY c.resource, "
      "c.sequence DESC) h "
      "WHERE h.operation <> 'DELETE') AS ",
      kind_.table);
}

absl::Status ResourceStore::LoadHistory(absl::Time deadline) {
  {
    absl::MutexLock lock(&history_mu_);
    if (!history_source_.empty()) return absl::OkStatus();
  }
  std::vector<std::string> generated;
  FR_RETURN_IF_ERROR(RunSingleRead(
      *read_pool_, deadline,
      [&](ConnectionPool::Lease&, pqxx::transaction_base& txn) -> absl::Status {
        generated.clear();
        for (const pqxx::row& row :
             txn.exec_params(kGeneratedColumnsSql, kind_.table)) {
          generated.push_back(row["item"].as<std::string>());
        }
        return absl::OkStatus();
      }));
  std::string source = HistorySource(kind_, generated);
  absl::MutexLock lock(&history_mu_);
  history_source_ = std::move(source);
  return absl::OkStatus();
}

absl::Status ResourceStore::Undelete(absl::string_view name,
                                     absl::string_view etag,
                                     bool may_restore_children, Message* out,
                                     absl::Time deadline,
                                     const WriteRequest& request,
                                     WriteResult* result) {
  return RunWrite(
      name, request, out, deadline, result,
      [&](ConnectionPool::Lease&, pqxx::work& txn,
          std::string* xid) -> absl::Status {
        const std::string record(name);
        // No compaction runs while the log is read here: the purge's lock,
        // shared (a purge batch holds it alone, and skips its round while
        // an undelete holds it).
        txn.exec_params(kPurgeSharedLockSql, kChangePurgeLock);
        if (Exists(txn, kind_.table, record)) {
          return absl::AlreadyExistsError(
              absl::StrCat(kind_.singular, " ", name,
                           " exists; only a deleted record can be restored"));
        }
        const pqxx::result latest = txn.exec_params(kLatestChangeSql, record);
        if (latest.empty() ||
            latest[0]["operation"].as<std::string>() != "DELETE") {
          return absl::NotFoundError(absl::StrCat(
              kind_.singular, " ", name,
              " was not deleted within the change log's history (it never "
              "existed, or retention compacted its delete away)"));
        }
        const pqxx::row deleted = latest[0];
        // An incarnation logged before migration 0008 has no create time
        // (0), as FormatEtag has it.
        FR_RETURN_IF_ERROR(
            domain::CheckEtag(etag, deleted["version"].as<int64_t>(),
                              deleted["created_micros"].as<int64_t>(), name));
        // What comes back: the record, then what its delete took with it.
        struct Restore {
          std::string name;
          int64_t delete_sequence;
          int64_t version;
        };
        std::vector<Restore> restores = {{record,
                                          deleted["sequence"].as<int64_t>(),
                                          deleted["version"].as<int64_t>()}};
        if (!kind_.children.empty()) {
          for (const pqxx::row& row :
               txn.exec_params(kChildDeletesSql,
                               deleted["xid"].as<std::string>(), record)) {
            restores.push_back({row["resource"].as<std::string>(),
                                row["sequence"].as<int64_t>(),
                                row["version"].as<int64_t>()});
          }
        }
        if (restores.size() > 1 && !may_restore_children) {
          return absl::PermissionDeniedError(absl::StrCat(
              kind_.singular, " ", name, " was deleted with force, with ",
              restores.size() - 1, " records of its own (", restores[1].name,
              restores.size() > 2 ? ", ..." : "",
              "); restoring them needs the role a forced delete needs "
              "(admin)"));
        }
        if (!kind_.parent_table.empty()) {
          const std::string parent = ParentOf(name);
          if (!Exists(txn, kind_.parent_table, parent)) {
            return absl::FailedPreconditionError(
                absl::StrCat("name: ", parent, ", the parent of ", name,
                             ", does not exist; restore it first"));
          }
          // Taken by a forced delete of its parent: restoring it is
          // restoring part of that delete, whatever stands under the
          // parent's name now.
          if (!may_restore_children &&
              !txn.exec_params(kParentDeletedWithSql,
                               deleted["xid"].as<std::string>(), parent)
                   .empty()) {
            return absl::PermissionDeniedError(absl::StrCat(
                kind_.singular, " ", name, " was deleted with ", parent,
                " by a forced delete; restoring it needs the role a forced "
                "delete needs (admin)"));
          }
        }
        // Inserts one record as it was before its delete, with its create
        // time and the next version, into `rows`; ALREADY_EXISTS if its
        // name is taken.
        const auto restore = [&](const Restore& what,
                                 pqxx::result* rows) -> absl::Status {
          const domain::ResourceType* type = domain::FindByName(what.name);
          const pqxx::result before =
              txn.exec_params(kBodyBeforeSql, what.name, what.delete_sequence);
          if (type == nullptr || before.empty()) {
            return absl::FailedPreconditionError(absl::StrCat(
                what.name,
                ": its version before the delete is no longer in the change "
                "log"));
          }
          *rows = txn.exec_params(
              absl::StrCat("INSERT INTO ", type->table,
                           " (name, body, body_pb, version, create_time) "
                           "VALUES ($1, $2::jsonb, nullif($5, '')::bytea, "
                           "$3::bigint, coalesce(nullif($4, "
                           "'')::timestamptz, "
                           "clock_timestamp())) ON CONFLICT (name) DO NOTHING "
                           "RETURNING ",
                           kRowColumns, ", ", kTransactionColumn),
              what.name, before[0]["body"].as<std::string>(), what.version + 1,
              before[0]["created"].is_null()
                  ? std::string()
                  : before[0]["created"].as<std::string>(),
              // bytea as text (hex), as it came.
              before[0]["body_pb"].is_null()
                  ? std::string()
                  : before[0]["body_pb"].as<std::string>());
          if (rows->empty()) {
            return absl::AlreadyExistsError(absl::StrCat(
                type->label, " ", what.name,
                " exists again since the delete: its name is taken, so it "
                "cannot be restored"));
          }
          return absl::OkStatus();
        };
        pqxx::result first;
        FR_RETURN_IF_ERROR(restore(restores[0], &first));
        *xid = first[0]["xid"].as<std::string>();
        FR_RETURN_IF_ERROR(FromRow(first[0], out));
        // The children in passes: one may refer to another (a session
        // inside another), so each is tried in a savepoint, and what a
        // pass could not restore is tried again after the others, until a
        // pass restores nothing; its first refusal is then the answer.
        std::vector<Restore> pending(restores.begin() + 1, restores.end());
        while (!pending.empty()) {
          std::vector<Restore> left;
          absl::Status refused;
          for (const Restore& child : pending) {
            absl::Status status;
            // A savepoint of SQL's own: pqxx::subtransaction does not roll
            // back to one after an error in libpqxx 6.4 (importer.cc).
            txn.exec("SAVEPOINT undelete");
            try {
              pqxx::result rows;
              status = restore(child, &rows);
            } catch (const pqxx::sql_error& e) {
              status = StatusFromException(e);
            }
            txn.exec(status.ok() ? "RELEASE SAVEPOINT undelete"
                                 : "ROLLBACK TO SAVEPOINT undelete");
            if (status.code() == absl::StatusCode::kAlreadyExists) {
              return status;
            }
            if (!status.ok()) {
              if (refused.ok()) refused = status;
              left.push_back(child);
            }
          }
          if (left.size() == pending.size()) return refused;
          pending = std::move(left);
        }
        return absl::OkStatus();
      });
}

absl::Status ResourceStore::ReadRow(const pqxx::row& row, Message* out,
                                    int64_t read_revision) {
  if (cache_ == nullptr) {
    CountRecordRead(/*from_bytes=*/!row["body_pb"].is_null());
    return FromRow(row, out);
  }
  // A write's content never changes: a record cached as that write (its
  // version and update time) is exactly what the body would decode to.
  const std::string name = row[kNameColumn].as<std::string>();
  const int64_t version = row[kVersionColumn].as<int64_t>();
  const int64_t update_micros = row["update_micros"].as<int64_t>();
  if (const auto record =
          cache_->Find(name, version, update_micros, read_revision)) {
    out->CopyFrom(*record);
    return absl::OkStatus();
  }
  CountRecordRead(/*from_bytes=*/!row["body_pb"].is_null());
  FR_RETURN_IF_ERROR(FromRow(row, out));
  std::shared_ptr<Message> copy(out->New());
  copy->CopyFrom(*out);
  cache_->Put(name, version, update_micros, std::move(copy), read_revision);
  return absl::OkStatus();
}

absl::Status ResourceStore::RunWrite(absl::string_view name,
                                     const WriteRequest& request, Message* out,
                                     absl::Time deadline, WriteResult* result,
                                     const WriteStep& write) {
  std::string xid;        // the transaction's, once it has one
  std::string wrote_xid;  // the same, when the write changed a record
  bool replayed = false;
  absl::Status status = RunTransaction(
      *pool_, deadline,
      [&](ConnectionPool::Lease& lease, pqxx::work& txn) -> absl::Status {
        if (!SetWriterAndClaim(lease, txn, request, name, &xid)) {
          // Taken by an earlier request, which has committed.
          lease.Prepare(kStoredName, kStoredSql);
          const pqxx::result found = txn.exec_prepared(kStoredName, request.id);
          if (found.empty()) {
            // Purged (past its retention) between the two statements.
            return absl::AbortedError(
                absl::StrCat("request_id: ", request.id,
                             " expired while it was looked up; retry"));
          }
          const pqxx::row stored = found[0];
          if (stored["fingerprint"].as<std::string>() !=
              absl::BytesToHexString(request.fingerprint)) {
            return absl::AlreadyExistsError(absl::StrCat(
                "request_id: ", request.id,
                " was already used for another request; a request id names "
                "one request (the same method, record, body and caller): "
                "send a new one for a different request"));
          }
          replayed = true;
          xid = stored["xid"].as<std::string>();
          // This transaction takes an id, so that its COMMIT waits for a
          // synchronous replica: the first answer is given again only once
          // a replica has the write it answers for (it may not have, if
          // the first COMMIT's wait was cut short).
          txn.exec("SELECT pg_current_xact_id()");
          if (out != nullptr && !stored["response"].is_null() &&
              !out->ParseFromString(absl::HexStringToBytes(
                  stored["response"].as<std::string>()))) {
            return absl::InternalError(
                absl::StrCat("the stored answer of request ", request.id,
                             " cannot be read"));
          }
          return absl::OkStatus();
        }
        FR_RETURN_IF_ERROR(write(lease, txn, &wrote_xid));
        if (!wrote_xid.empty()) xid = wrote_xid;
        if (!request.id.empty()) {
          lease.Prepare(kAnswerName, kAnswerSql);
          txn.exec_prepared(kAnswerName, request.id,
                            out == nullptr ? std::string()
                                           : absl::BytesToHexString(
                                                 out->SerializeAsString()));
        }
        return absl::OkStatus();
      });
  if (IsCommitInDoubt(status)) {
    // Without an id the transaction wrote nothing: nothing to lose.
    const bool by_request = !request.id.empty();
    status =
        xid.empty()
            ? absl::OkStatus()
            : ResolveCommit(*pool_, xid,
                            by_request ? kRequestWrittenSql : kChangeWrittenSql,
                            by_request ? request.id : std::string(name),
                            ResolveUntil(deadline));
  }
  FR_RETURN_IF_ERROR(status);
  if (result != nullptr) {
    result->replayed = replayed;
    // A replay's revision is its first write's (0 if that wrote nothing).
    result->revision = FindRevision(replayed ? xid : wrote_xid, name, deadline);
  }
  return absl::OkStatus();
}

absl::Status ResourceStore::Create(absl::string_view name,
                                   const Message& resource, Message* out,
                                   absl::Time deadline,
                                   const WriteRequest& request,
                                   WriteResult* result) {
  absl::StatusOr<std::string> body = ToBody(resource);
  if (!body.ok()) return body.status();
  const std::string stored = ByteaHex(ToStoredBytes(resource));
  return RunWrite(name, request, out, deadline, result,
                  [&](ConnectionPool::Lease& lease, pqxx::work& txn,
                      std::string* xid) -> absl::Status {
                    if (!kind_.parent_table.empty()) {
                      // The foreign key refuses it too, but names nothing.
                      const std::string parent = ParentOf(name);
                      if (!Exists(txn, kind_.parent_table, parent)) {
                        return absl::InvalidArgumentError(absl::StrCat(
                            "parent: ", parent, " does not exist"));
                      }
                    }
                    lease.Prepare(insert_name_, insert_sql_);
                    const pqxx::result rows = txn.exec_prepared(
                        insert_name_, std::string(name), *body, stored);
                    if (rows.empty()) {
                      return absl::AlreadyExistsError(absl::StrCat(
                          kind_.singular, " ", name, " already exists"));
                    }
                    *xid = rows[0]["xid"].as<std::string>();
                    return FromRow(rows[0], out);
                  });
}

absl::Status ResourceStore::Update(
    absl::string_view name, absl::string_view etag, const Mutation& mutate,
    Message* out, absl::Time deadline, const WriteRequest& request,
    WriteResult* result, const std::vector<std::string>* fields) {
  return RunWrite(
      name, request, out, deadline, result,
      [&](ConnectionPool::Lease& lease, pqxx::work& txn,
          std::string* xid) -> absl::Status {
        lease.Prepare(lock_name_, lock_sql_);
        const pqxx::result rows =
            txn.exec_prepared(lock_name_, std::string(name));
        if (rows.empty()) return NotFound(kind_, name);
        std::unique_ptr<Message> current(out->New());
        bool all_known = false;
        if (absl::Status s = FromRow(rows[0], current.get(), &all_known);
            !s.ok()) {
          return s;
        }
        FR_RETURN_IF_ERROR(
            domain::CheckEtag(etag, rows[0][kVersionColumn].as<int64_t>(),
                              rows[0]["create_micros"].as<int64_t>(), name));
        std::unique_ptr<Message> changed(current->New());
        changed->CopyFrom(*current);
        if (absl::Status s = mutate(changed.get()); !s.ok()) return s;
        if (google::protobuf::util::MessageDifferencer::Equals(*current,
                                                               *changed)) {
          out->CopyFrom(*current);
          return absl::OkStatus();  // nothing written
        }
        absl::StatusOr<std::string> body = ToBody(*changed);
        if (!body.ok()) return body.status();
        // Bytes only for a body this program wrote whole; a merged one
        // holds what it cannot encode (NULL: read the JSON).
        const std::string stored =
            all_known ? ByteaHex(ToStoredBytes(*changed)) : std::string();
        if (!all_known) {
          // What this program changed, written over the stored JSON:
          // fields it does not know stay as a newer version wrote them.
          absl::StatusOr<std::string> before = ToBody(*current);
          if (!before.ok()) return before.status();
          const pqxx::field stored = rows[0]["body"];
          bool changed = true;
          body = MergeBody(absl::string_view(stored.c_str(), stored.size()),
                           *before, *body, fields, &changed);
          if (!body.ok()) return body.status();
          if (!changed) {
            out->CopyFrom(*current);
            return absl::OkStatus();  // nothing written
          }
        }
        lease.Prepare(update_name_, update_sql_);
        const pqxx::result updated =
            txn.exec_prepared(update_name_, std::string(name), *body, stored);
        *xid = updated[0]["xid"].as<std::string>();
        return FromRow(updated[0], out);
      });
}

absl::Status ResourceStore::Delete(absl::string_view name,
                                   absl::string_view etag, bool force,
                                   absl::Time deadline,
                                   const WriteRequest& request,
                                   WriteResult* result) {
  return RunWrite(
      name, request, /*out=*/nullptr, deadline, result,
      [&](ConnectionPool::Lease& lease, pqxx::work& txn,
          std::string* xid) -> absl::Status {
        lease.Prepare(lock_name_, lock_sql_);
        const std::string key(name);
        const pqxx::result rows = txn.exec_prepared(lock_name_, key);
        if (rows.empty()) return NotFound(kind_, name);
        FR_RETURN_IF_ERROR(
            domain::CheckEtag(etag, rows[0][kVersionColumn].as<int64_t>(),
                              rows[0]["create_micros"].as<int64_t>(), name));
        FR_RETURN_IF_ERROR(force ? DeleteChildren(txn, key)
                                 : CheckHasNoChildren(txn, key));
        FR_RETURN_IF_ERROR(CheckNotReferredTo(lease, txn, key));
        lease.Prepare(delete_name_, delete_sql_);
        *xid = txn.exec_prepared1(delete_name_, key)["xid"].as<std::string>();
        return absl::OkStatus();
      });
}

int64_t ResourceStore::FindRevision(const std::string& xid,
                                    absl::string_view name,
                                    absl::Time deadline) {
  int64_t revision = 0;
  // The write is committed whatever happens here: a revision that cannot be
  // read is left unknown (0), never turned into an error.
  const absl::Status found = RunSingleRead(
      *pool_, deadline,
      [&](ConnectionPool::Lease&, pqxx::transaction_base& txn) {
        // By the transaction's id, or, for an update that changed nothing,
        // the record's latest change.
        const pqxx::row row =
            xid.empty() ? txn.exec_params1(
                              "SELECT coalesce(max(sequence), 0) FROM "
                              "changes WHERE resource = $1",
                              std::string(name))
                        : txn.exec_params1(
                              "SELECT coalesce(max(sequence), 0) FROM "
                              "changes WHERE transaction = $1::xid8",
                              xid);
        revision = row[0].as<int64_t>();
        return absl::OkStatus();
      });
  return found.ok() ? revision : 0;
}

absl::Status ResourceStore::CheckHasNoChildren(pqxx::transaction_base& txn,
                                               const std::string& name) const {
  for (const std::string& child : kind_.children) {
    const pqxx::result found = txn.exec_params(
        absl::StrCat("SELECT name FROM ", child, " WHERE ",
                     kind_.child_parent_column, " = $1 ORDER BY name LIMIT 1"),
        name);
    if (!found.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          kind_.singular, " ", name, " still has ", child, " (",
          found[0]["name"].as<std::string>(),
          "); delete them first, or delete with force to delete them "
          "together"));
    }
  }
  return absl::OkStatus();
}

absl::Status ResourceStore::DeleteChildren(pqxx::transaction_base& txn,
                                           const std::string& name) const {
  // Forget the children's own references first, so that references between
  // two children (one session inside another) do not stop the delete;
  // references from outside still do.
  for (const std::string& child : kind_.children) {
    txn.exec_params(absl::StrCat("SELECT forget_references(name) FROM ", child,
                                 " WHERE ", kind_.child_parent_column, " = $1"),
                    name);
  }
  // A record outside still referring to a child stops the delete; name it.
  for (const auto& [table, column] : kind_.child_references) {
    const pqxx::result outside = txn.exec_params(
        absl::StrCat("SELECT owner, field, ", column, " AS target FROM ", table,
                     " WHERE starts_with(", column,
                     ", $1 || '/') AND NOT starts_with(owner, $1 || '/') "
                     "ORDER BY owner LIMIT 1"),
        name);
    if (!outside.empty()) {
      const pqxx::row& row = outside[0];
      return absl::FailedPreconditionError(absl::StrCat(
          row["target"].as<std::string>(), " of ", kind_.singular, " ", name,
          " is still referred to by ", row["owner"].as<std::string>(), " (",
          row["field"].as<std::string>(),
          "); change or delete that record first"));
    }
  }
  for (const std::string& child : kind_.children) {
    txn.exec_params(absl::StrCat("DELETE FROM ", child, " WHERE ",
                                 kind_.child_parent_column, " = $1"),
                    name);
  }
  return absl::OkStatus();
}

absl::Status ResourceStore::CheckNotReferredTo(ConnectionPool::Lease& lease,
                                               pqxx::transaction_base& txn,
                                               const std::string& name) const {
  if (referrer_sql_.empty()) return absl::OkStatus();
  // The foreign key refuses the delete anyway, but its message names no
  // record.
  lease.Prepare(referrer_name_, referrer_sql_);
  const pqxx::result referrers = txn.exec_prepared(referrer_name_, name);
  if (referrers.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(kind_.singular, " ", name, " is still referred to by ",
                   referrers[0]["owner"].as<std::string>(), " (",
                   referrers[0]["field"].as<std::string>(),
                   "); change or delete that record first"));
}

namespace {
// The LIMIT clause of a list: a page and one more row, to tell whether
// another page follows; none for a page size of 0 (an export's cursor).
std::string Limit(const ListQuery& query) {
  if (query.page_size == 0) return "";
  return absl::StrCat(" LIMIT ", query.page_size + 1);
}
}  // namespace

absl::StatusOr<ListStatement> BuildListStatement(
    const ResourceKind& kind_, const std::string& history_source,
    const ListQuery& query) {
  // Built per request: the filter and order vary. Every value is a bound
  // parameter; only allow-listed SQL fragments are spliced in.
  ListStatement statement;
  std::vector<std::string>& params = statement.params;
  std::vector<std::string> conditions;
  // The table, or as of a revision the records rebuilt from the log.
  std::string source = kind_.table;
  if (query.as_of_revision > 0) {
    if (history_source.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("the history of ", kind_.table, " is not loaded"));
    }
    params.push_back(absl::StrCat(query.as_of_revision));
    const std::string revision = absl::StrCat("$", params.size(), "::bigint");
    // One parent's records: the log's index read over its names alone.
    std::string parent;
    if (!kind_.parent_column.empty() && !query.parent.empty()) {
      params.push_back(absl::StrCat(query.parent, "/"));
      params.push_back(absl::StrCat(query.parent, "0"));
      parent = absl::StrCat(" AND c.resource >= $", params.size() - 1,
                            " AND c.resource < $", params.size());
    }
    source = absl::StrReplaceAll(
        history_source, {{"{revision}", revision}, {"{parent}", parent}});
  }
  if (!kind_.parent_column.empty() && !query.parent.empty()) {
    params.push_back(query.parent);
    conditions.push_back(
        absl::StrCat(kind_.parent_column, " = $", params.size()));
  }
  if (query.filter != nullptr) {
    absl::StatusOr<std::string> filter =
        FilterToSql(*query.filter, kind_.columns, &params);
    if (!filter.ok()) return filter.status();
    conditions.push_back(absl::StrCat("(", *filter, ")"));
  }
  // The order keys, then the name, which makes every key unique.
  struct SortKey {
    std::string sql, type;
    bool descending = false;
  };
  std::vector<SortKey> keys;
  for (const domain::OrderKey& key : query.order.keys) {
    const auto column = kind_.columns.find(key.field);
    if (column == kind_.columns.end() || column->second.sort_sql.empty()) {
      return absl::InternalError(
          absl::StrCat(kind_.table, ": no sort column for ", key.field));
    }
    keys.push_back({absl::StrCat("(", column->second.sort_sql, ")"),
                    column->second.sort_type, key.descending});
  }
  keys.push_back({"name", "", query.order.name_descending});
  statement.key_count = keys.size() - 1;
  if (!query.after.empty()) {
    if (query.after.size() != keys.size()) {
      return absl::InvalidArgumentError(
          "page_token: is not a token this service issued for this list");
    }
    std::vector<std::string> values;
    for (size_t i = 0; i < keys.size(); ++i) {
      if (!keys[i].type.empty() && !IsSortKey(keys[i].type, query.after[i])) {
        return absl::InvalidArgumentError(
            "page_token: is not a token this service issued for this list");
      }
      params.push_back(query.after[i]);
      values.push_back(keys[i].type.empty() ? absl::StrCat("$", params.size())
                                            : absl::StrCat("$", params.size(),
                                                           "::", keys[i].type));
    }
    // Implied by the OR below; written out so that an index on the first
    // key bounds the scan.
    if (keys.size() > 1) {
      conditions.push_back(absl::StrCat(
          keys[0].sql, keys[0].descending ? " <= " : " >= ", values[0]));
    }
    std::vector<std::string> after;
    for (size_t i = 0; i < keys.size(); ++i) {
      std::vector<std::string> terms;
      for (size_t j = 0; j < i; ++j) {
        terms.push_back(absl::StrCat(keys[j].sql, " = ", values[j]));
      }
      terms.push_back(absl::StrCat(
          keys[i].sql, keys[i].descending ? " < " : " > ", values[i]));
      after.push_back(absl::StrJoin(terms, " AND "));
    }
    conditions.push_back(absl::StrCat("(", absl::StrJoin(after, " OR "), ")"));
  }
  std::vector<std::string> order_terms;
  for (const SortKey& key : keys) {
    order_terms.push_back(
        absl::StrCat(key.sql, key.descending ? " DESC" : " ASC"));
  }
  const std::string order_sql = absl::StrJoin(order_terms, ", ");
  std::string& sql = statement.sql;
  // Each order key's value as text, for the next page's token.
  std::string sort_key;
  for (size_t i = 0; i + 1 < keys.size(); ++i) {
    absl::StrAppend(&sort_key, ", ", keys[i].sql, "::text AS sort_key_", i);
  }
  std::string where;
  if (!conditions.empty()) {
    where = absl::StrCat(" WHERE ", absl::StrJoin(conditions, " AND "));
  }
  if (query.max_bytes == 0) {
    sql = absl::StrCat("SELECT ", kRowColumns, sort_key, " FROM ", source,
                       where, " ORDER BY ", order_sql, Limit(query));
    return statement;
  }
  // Measured in bytes: each row's body is read only while the bodies up to
  // and including it fit in the budget (body_bytes, migration 0009; the
  // first row always); a row past it comes back without a body and with
  // `within` false, and the page ends before it. One scan: a body not read
  // is never detoasted.
  params.push_back(absl::StrCat(query.max_bytes));
  const std::string budget = absl::StrCat("$", params.size(), "::bigint");
  const std::string within = absl::StrCat(
      "(row_number() OVER running = 1 OR "
      "coalesce(sum(body_bytes) OVER running, 0) <= ",
      budget, ")");
  sql = absl::StrCat(
      "SELECT name, ", within, " AS within, CASE WHEN ", within,
      " THEN body_pb END AS body_pb, CASE WHEN ", within,
      " AND body_pb IS NULL THEN body::text END AS body, version, ",
      "(extract(epoch FROM create_time) * 1000000)::bigint AS create_micros, "
      "(extract(epoch FROM update_time) * 1000000)::bigint AS update_micros",
      sort_key, " FROM ", source, where, " WINDOW running AS (ORDER BY ",
      order_sql, " ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) ORDER BY ",
      order_sql, Limit(query));
  return statement;
}

absl::StatusOr<ListStatement> ResourceStore::BuildList(
    const ListQuery& query) const {
  absl::MutexLock lock(&history_mu_);
  return BuildListStatement(kind_, history_source_, query);
}

absl::StatusOr<double> ResourceStore::EstimateListCost(const ListQuery& query,
                                                       absl::Time deadline) {
  // Estimates kept; the map is emptied when full rather than evicted
  // piecemeal (a bound on memory, not a cache policy).
  constexpr size_t kMaxKept = 4096;
  if (query.as_of_revision > 0) FR_RETURN_IF_ERROR(LoadHistory(deadline));
  FR_ASSIGN_OR_RETURN(const ListStatement statement, BuildList(query));
  const std::string key = absl::StrCat(statement.sql, "\x1f",
                                       absl::StrJoin(statement.params, "\x1f"));
  {
    absl::MutexLock lock(&costs_mu_);
    if (const auto found = costs_.find(key); found != costs_.end()) {
      return found->second;
    }
  }
  FR_ASSIGN_OR_RETURN(
      const double cost,
      PlannerCost(*read_pool_, statement.sql, statement.params, deadline));
  absl::MutexLock lock(&costs_mu_);
  if (costs_.size() >= kMaxKept) costs_.clear();
  costs_[key] = cost;
  return cost;
}

absl::Status ResourceStore::List(const ListQuery& query,
                                 const std::function<Message*()>& add,
                                 std::vector<std::string>* next,
                                 absl::Time deadline) {
  return ListRows(
      query,
      [&](const pqxx::row& row, bool history) {
        // A past record is never cached: the cache holds the present.
        return history ? FromRow(row, add()) : ReadRow(row, add());
      },
      next, deadline);
}

absl::Status ResourceStore::ListWire(const ListQuery& query, int records_field,
                                     std::string* out,
                                     std::vector<std::string>* next,
                                     absl::Time deadline) {
  if (lists_ != nullptr && query.as_of_revision == 0 &&
      query.filter == nullptr && query.order.keys.empty() &&
      !query.order.name_descending && query.after.size() <= 1) {
    // In name order with no filter: never stale, as a Get — from memory
    // once the feed has applied the revision the List must see, else from
    // the database at that revision or later. If the primary cannot tell
    // its revision, the read database answers as it stands.
    int64_t revision = query.min_revision;
    if (revision == 0 && revisions_ != nullptr) {
      absl::StatusOr<int64_t> now = revisions_->Current(deadline);
      if (now.ok()) revision = *now;
    }
    if (revision > 0 &&
        ListFromMemory(query, revision, records_field, out, next, deadline)) {
      // Past its deadline, refused as a page from the database would be.
      if (absl::Now() > deadline) {
        out->clear();
        return absl::DeadlineExceededError(
            "the call's deadline passed before the page was read");
      }
      return absl::OkStatus();
    }
    if (revision != query.min_revision) {
      ListQuery at_least = query;
      at_least.min_revision = revision;
      return ListWireFromDatabase(at_least, records_field, out, next, deadline);
    }
  }
  if (MemoryOnly::Refuses()) {
    out->clear();
    return absl::UnavailableError("the page is not in memory");
  }
  return ListWireFromDatabase(query, records_field, out, next, deadline);
}

absl::Status ResourceStore::ListWireFromDatabase(const ListQuery& query,
                                                 int records_field,
                                                 std::string* out,
                                                 std::vector<std::string>* next,
                                                 absl::Time deadline) {
  std::string record;                  // one record's bytes, reused
  std::optional<WireColumns> columns;  // of the page's result
  return ListRows(
      query,
      [&](const pqxx::row& row, bool history) -> absl::Status {
        if (!columns.has_value()) columns = WireColumns::Of(row);
        record.clear();
        FR_RETURN_IF_ERROR(AppendRow(row, *columns,
                                     history ? RowUse::kPast : RowUse::kPresent,
                                     &record));
        AppendLengthDelimited(records_field, record, out);
        return absl::OkStatus();
      },
      next, deadline);
}

bool ResourceStore::ListFromMemory(const ListQuery& query, int64_t revision,
                                   int records_field, std::string* out,
                                   std::vector<std::string>* next,
                                   absl::Time deadline) {
  // Memory only (the revision check's thread): no wait for the feed.
  const absl::Time wait_until =
      MemoryOnly::Active() ? absl::InfinitePast()
                           : std::min(deadline, absl::Now() + kFeedWait);
  if (!lists_->Holds(kind_.collection) ||
      !lists_->AwaitRevision(revision, wait_until)) {
    return false;
  }
  const std::string prefix =
      query.parent.empty()
          ? std::string()
          : absl::StrCat(query.parent, "/", kind_.collection, "/");
  std::string last;
  if (!lists_->ReadPage(kind_.collection, prefix,
                        query.after.empty() ? "" : query.after.back(),
                        query.page_size, query.max_bytes, revision,
                        records_field, out, &last)) {
    return false;
  }
  next->clear();
  if (!last.empty()) next->push_back(std::move(last));
  return true;
}

absl::StatusOr<int64_t> ResourceStore::ReadAll(ConnectionPool& pool,
                                               const ListCache::Each& each,
                                               absl::Time deadline) {
  using Snapshot = pqxx::transaction<pqxx::isolation_level::repeatable_read,
                                     pqxx::readwrite_policy::read_only>;
  int64_t newest = 0;
  const std::string sql =
      absl::StrCat("SELECT ", kRowColumns, " FROM ", kind_.table,
                   " WHERE name > $1 ORDER BY name LIMIT ", kLoadPage);
  FR_RETURN_IF_ERROR(RunTransaction<Snapshot>(
      pool, deadline,
      [&](ConnectionPool::Lease&, Snapshot& txn) -> absl::Status {
        // The first statement takes the snapshot every page is read in.
        newest = txn.exec1(absl::StrCat("SELECT ", kNewestRevisionSql))[0]
                     .as<int64_t>();
        std::string after;  // names are never empty
        std::string record;
        while (true) {
          const pqxx::result rows = txn.exec_params(sql, after);
          if (rows.empty()) break;
          const WireColumns columns = WireColumns::Of(rows[0]);
          for (const pqxx::row& row : rows) {
            record.clear();
            FR_RETURN_IF_ERROR(AppendRow(row, columns, RowUse::kLoad, &record));
            after = row[columns.name].as<std::string>();
            if (!each(after, record)) {
              return absl::ResourceExhaustedError(absl::StrCat(
                  kind_.table, ": more records than the list cache holds"));
            }
          }
          if (static_cast<int>(rows.size()) < kLoadPage) break;
        }
        return absl::OkStatus();
      }));
  return newest;
}

ResourceStore::WireColumns ResourceStore::WireColumns::Of(
    const pqxx::row& row) {
  return {.body_pb = row.column_number("body_pb"),
          .name = row.column_number(kNameColumn),
          .version = row.column_number(kVersionColumn),
          .create_micros = row.column_number("create_micros"),
          .update_micros = row.column_number("update_micros")};
}

absl::Status ResourceStore::AppendRow(const pqxx::row& row,
                                      const WireColumns& columns, RowUse use,
                                      std::string* out) {
  const pqxx::field stored = row[columns.body_pb];
  if (!stored.is_null() && wire_.Spliceable()) {
    const pqxx::binarystring bytes(stored);
    const pqxx::field name = row[columns.name];
    wire_.AppendRecord(absl::string_view(bytes.get(), bytes.size()),
                       absl::string_view(name.c_str(), name.size()),
                       row[columns.version].as<int64_t>(),
                       row[columns.create_micros].as<int64_t>(),
                       row[columns.update_micros].as<int64_t>(), out);
    if (use != RowUse::kLoad) CountRecordRead(/*from_bytes=*/true);
    return absl::OkStatus();
  }
  // No bytes stored (written before migration 0016, or by psql): decoded
  // from the JSON, and for the present cached, as a Get would.
  std::unique_ptr<Message> record(prototype_->New());
  if (use == RowUse::kPresent) {
    FR_RETURN_IF_ERROR(ReadRow(row, record.get()));
  } else {
    if (use == RowUse::kPast) CountRecordRead(/*from_bytes=*/false);
    FR_RETURN_IF_ERROR(FromRow(row, record.get()));
  }
  record->AppendToString(out);
  return absl::OkStatus();
}

absl::Status ResourceStore::ListRows(const ListQuery& query,
                                     const RowReader& each,
                                     std::vector<std::string>* next,
                                     absl::Time deadline) {
  const bool history = query.as_of_revision > 0;
  if (history) FR_RETURN_IF_ERROR(LoadHistory(deadline));
  absl::StatusOr<ListStatement> statement = BuildList(query);
  if (!statement.ok()) return statement.status();
  const std::string& sql = statement->sql;
  const std::vector<std::string>& params = statement->params;
  const size_t key_count = statement->key_count;
  const bool measured = query.max_bytes > 0;
  const auto read = [&](ConnectionPool::Lease& lease,
                        pqxx::transaction_base& txn) -> absl::Status {
    // One row more than asked tells whether another page follows. Prepared
    // by its text: a List of one shape is parsed and planned once a
    // connection (and PostgreSQL may settle on a generic plan).
    const std::optional<std::string> prepared = lease.PrepareText(sql);
    const pqxx::result rows =
        prepared.has_value()
            ? txn.exec_prepared(*prepared,
                                pqxx::prepare::make_dynamic_params(params))
            : txn.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
    bool more = static_cast<int>(rows.size()) > query.page_size;
    int count = more ? query.page_size : static_cast<int>(rows.size());
    // A row outside the byte budget ends the page.
    const pqxx::row::size_type within =
        measured ? rows.column_number("within") : 0;
    for (int i = 1; measured && i < count; ++i) {
      if (!rows[i][within].as<bool>()) {
        count = i;
        more = true;
        break;
      }
    }
    next->clear();
    for (int i = 0; i < count; ++i) {
      FR_RETURN_IF_ERROR(each(rows[i], history));
    }
    if (more && count > 0) {
      const pqxx::row& last = rows[count - 1];
      for (size_t i = 0; i < key_count; ++i) {
        next->push_back(last[absl::StrCat("sort_key_", i)].as<std::string>());
      }
      next->push_back(last[kNameColumn].as<std::string>());
    }
    return absl::OkStatus();
  };
  if (!history && query.min_revision == 0) {
    return RunSingleRead(*read_pool_, deadline, read);
  }
  if (!history) {
    // At least a revision: from the read database if it has replayed it,
    // else the primary. The page's statement runs after the revision is
    // read, so its snapshot holds at least as much.
    return OnReplicaElsePrimary(
        read_pool_, pool_,
        [&](ConnectionPool& pool, bool last, bool* behind) -> absl::Status {
          return RunTransaction<pqxx::read_transaction>(
              pool, deadline,
              [&](ConnectionPool::Lease& lease,
                  pqxx::transaction_base& txn) -> absl::Status {
                const int64_t newest =
                    txn.exec1(absl::StrCat("SELECT ", kNewestRevisionSql))[0]
                        .as<int64_t>();
                *behind = !last && newest < query.min_revision;
                if (*behind) return absl::OkStatus();
                if (newest < query.min_revision) {
                  return NotWrittenYet(query.min_revision, newest);
                }
                return read(lease, txn);
              });
        });
  }
  // As of a revision: the log's bounds and the page in one snapshot (a
  // purge between them could compact what the page reads).
  return OnReplicaElsePrimary(
      read_pool_, pool_,
      [&](ConnectionPool& pool, bool last, bool* behind) -> absl::Status {
        return RunTransaction<pqxx::read_transaction>(
            pool, deadline,
            [&](ConnectionPool::Lease& lease,
                pqxx::transaction_base& txn) -> absl::Status {
              txn.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
              const pqxx::row bounds = txn.exec1(HistoryBoundsSql());
              const int64_t newest = bounds["newest"].as<int64_t>();
              *behind = !last && newest < query.as_of_revision;
              if (*behind) return absl::OkStatus();
              FR_RETURN_IF_ERROR(
                  CheckHistoryCovers(query.as_of_revision,
                                     bounds["horizon"].as<int64_t>(), newest));
              return read(lease, txn);
            });
      });
}

}  // namespace forum_registry::store
