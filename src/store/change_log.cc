#include "src/store/change_log.h"

#include <limits>
#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/util/time_util.h"
#include "src/domain/resource_registry.h"
#include "src/domain/status_macros.h"
#include "src/domain/update_mask.h"
#include "src/store/body.h"
#include "src/store/errors.h"
#include "src/store/filter_sql.h"
#include "src/store/planner_cost.h"
#include "src/store/transaction.h"
#include "src/store/watchdog.h"
#include "src/store/wire.h"

namespace forum_registry::store {
namespace {

// The longest the change listener waits for one page of the log.
constexpr absl::Duration kListenerReadTimeout = absl::Seconds(10);

namespace v1 = forumregistry::v1;

// The prefix of the type URL of an Any, as Any::PackFrom writes it.
constexpr char kAnyTypeUrlPrefix[] = "type.googleapis.com/";

// How the fields of domain::ChangeFilterSchema read in SQL.
const std::map<std::string, Column>& ChangeColumns() {
  static const auto* const kColumns = new std::map<std::string, Column>{
      {"resource", {"resource"}},
      {"collection", {"regexp_replace(resource, '/[^/]+$', '')"}},
      {"operation", {"'CHANGE_OPERATION_' || operation"}},
      {"revision", {"sequence"}},
      {"change_time",
       {.sql = "daterange((change_time AT TIME ZONE 'UTC')::date, "
               "(change_time AT TIME ZONE 'UTC')::date, '[]')",
        .one_day = true}},
  };
  return *kColumns;
}

// Where each kind's server-set fields go on the wire (store/wire.h).
const RecordWire& WireOf(const domain::ResourceType& type) {
  static const auto* const kWires = [] {
    auto* wires = new std::map<const google::protobuf::Descriptor*,
                               std::unique_ptr<RecordWire>>();
    for (const domain::ResourceType& each : domain::Resources()) {
      wires->emplace(each.descriptor,
                     std::make_unique<RecordWire>(each.descriptor));
    }
    return wires;
  }();
  return *kWires->at(type.descriptor);
}

// Packs the record `name` of `type` into `any` from its stored bytes
// `stored`, spliced (decisions §69): what decoding it and Any::PackFrom would
// give, with no parse and no encode. False, and nothing packed, when the
// row has no bytes or the kind cannot be spliced.
bool PackStored(const domain::ResourceType& type, const pqxx::field& stored,
                absl::string_view name, int64_t version, int64_t create_micros,
                int64_t update_micros, google::protobuf::Any* any) {
  const RecordWire& wire = WireOf(type);
  if (stored.is_null() || !wire.Spliceable()) return false;
  const pqxx::binarystring bytes(stored);
  any->set_type_url(
      absl::StrCat(kAnyTypeUrlPrefix, type.descriptor->full_name()));
  wire.AppendRecord(absl::string_view(bytes.get(), bytes.size()), name, version,
                    create_micros, update_micros, any->mutable_value());
  CountRecordRead(/*from_bytes=*/true);
  return true;
}

// Fills `change` from a row of ChangesWithin. With `written`, the record is
// decoded (the feed keeps it in the record cache); without, a record with
// stored bytes is spliced into the change's Any as it is (decisions §69):
// what decoding and packing it would give, with no parse and no encode.
absl::Status FillChange(const pqxx::row& row, v1::Change* change,
                        ChangeBatch::Written* written = nullptr) {
  const std::string resource = row["resource"].as<std::string>();
  const int64_t version = row["version"].as<int64_t>();
  const int64_t micros = row["change_micros"].as<int64_t>();
  change->set_revision(row["sequence"].as<int64_t>());
  change->set_resource(resource);
  v1::ChangeOperation operation = v1::CHANGE_OPERATION_UNSPECIFIED;
  v1::ChangeOperation_Parse(
      absl::StrCat("CHANGE_OPERATION_", row["operation"].as<std::string>()),
      &operation);
  change->set_operation(operation);
  // The incarnation's create time, unknown (0) for changes logged before
  // migration 0008.
  const int64_t created =
      row["created_micros"].is_null() ? 0 : row["created_micros"].as<int64_t>();
  change->set_etag(domain::FormatEtag(version, created));
  *change->mutable_change_time() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(micros);
  if (!row["actor"].is_null())
    change->set_actor(row["actor"].as<std::string>());
  if (!row["request_id"].is_null())
    change->set_request_id(row["request_id"].as<std::string>());
  const pqxx::field body = row["body"];
  const pqxx::field stored = row["body_pb"];
  if (body.is_null() && stored.is_null()) return absl::OkStatus();  // a delete
  const domain::ResourceType* type = domain::FindByName(resource);
  if (type == nullptr) {
    // A kind this server does not know (written by a newer one): the change
    // without its record.
    return absl::OkStatus();
  }
  const int64_t updated = row["updated_micros"].as<int64_t>();
  if (written == nullptr) {
    if (PackStored(*type, stored, resource, version, created, updated,
                   change->mutable_record())) {
      return absl::OkStatus();
    }
    // Decoded for a client (the feed's own decoding is not counted).
    CountRecordRead(/*from_bytes=*/!stored.is_null());
  }
  std::unique_ptr<google::protobuf::Message> record(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(type->descriptor)
          ->New());
  if (!stored.is_null()) {
    // The stored bytes (migrations/0016), decoded without JSON.
    const pqxx::binarystring bytes(stored);
    FR_RETURN_IF_ERROR(
        FromStoredBytes(absl::string_view(bytes.get(), bytes.size()), resource,
                        version, created, record.get()));
  } else {
    FR_RETURN_IF_ERROR(FromBody(absl::string_view(body.c_str(), body.size()),
                                resource, version, created, record.get()));
  }
  SetTime(record.get(), "update_time", updated);
  change->mutable_record()->PackFrom(*record);
  if (written != nullptr) {
    *written = {.record = std::move(record),
                .version = version,
                .update_micros = updated};
  }
  return absl::OkStatus();
}

// The columns FillChange reads, for changes selected `WHERE <condition>`
// (parameters from $first_param on), at most `limit` of them by sequence:
// with `within`, whether a change starts within `$budget` bytes of records
// (body_bytes, migration 0009), whose body alone is read (by key) and sent.
std::string ChangesWithin(absl::string_view condition, absl::string_view limit,
                          absl::string_view budget) {
  return absl::StrCat(
      // Scalar subqueries under CASE, not a join: a join's side is
      // computed (its JSON rendered) for every change of the page before
      // the budget filters it.
      "SELECT page.sequence, page.resource, page.operation, page.version, "
      "CASE WHEN ",
      WithinBudget(budget),
      " THEN (SELECT b.body_pb FROM changes b WHERE b.sequence = "
      "page.sequence) END AS body_pb, CASE WHEN ",
      WithinBudget(budget),
      " THEN (SELECT b.body::text FROM changes b WHERE b.sequence = "
      "page.sequence AND b.body_pb IS NULL) END AS body, "
      "page.change_micros, page.created_micros, page.updated_micros, "
      "page.actor, page.request_id, ",
      WithinBudget(budget),
      " AS within FROM (SELECT sequence, resource, operation, version, "
      "(extract(epoch FROM change_time) * 1000000)::bigint AS change_micros, "
      "(extract(epoch FROM created) * 1000000)::bigint AS created_micros, "
      // The record's own update time (migrations/0015), else the change's.
      "(extract(epoch FROM coalesce(updated, change_time)) * 1000000)::bigint "
      "AS updated_micros, "
      "actor, request_id::text, ",
      BytesColumns("sequence"), " FROM changes WHERE ", condition,
      " ORDER BY sequence LIMIT ", limit, ") page");
}

// The change log from revision $1 on, at most $2 changes and about $3 bytes
// of records, and the oldest and newest revisions of the same snapshot: one
// row of nulls when nothing follows $1.
const std::string& ReadAfterSql() {
  static const std::string* const sql = new std::string(absl::StrCat(
      "WITH bounds AS (SELECT ", kOldestRevisionSql, " AS oldest, ",
      kNewestRevisionSql,
      " AS newest) "
      "SELECT bounds.oldest, bounds.newest, c.* FROM bounds LEFT JOIN LATERAL "
      "(",
      ChangesWithin("sequence > $1::bigint", "$2::int", "$3::bigint"),
      ") c ON true ORDER BY c.sequence"));
  return *sql;
}

// ReadAfterSql on `txn`: as the statement `prepared` names when given (the
// listener's, ChangeListener::State), else as text. With `decode`, each
// record is decoded and kept in the batch's `written` (the feed's, for the
// record cache); without, records are spliced and `written` stays empty.
absl::StatusOr<ChangeBatch> ReadAfterIn(pqxx::transaction_base& txn,
                                        int64_t after, int limit, bool decode,
                                        size_t max_bytes = kReadAfterBytes,
                                        const char* prepared = nullptr) {
  const int64_t budget = static_cast<int64_t>(max_bytes);
  const pqxx::result rows =
      prepared != nullptr
          ? txn.exec_prepared(prepared, after, limit, budget)
          : txn.exec_params(ReadAfterSql(), after, limit, budget);
  ChangeBatch batch;
  for (const pqxx::row& row : rows) {
    batch.oldest = row["oldest"].as<int64_t>();
    batch.newest = row["newest"].as<int64_t>();
    if (row["sequence"].is_null()) break;
    if (!batch.changes.empty() && !row["within"].as<bool>()) {
      batch.cut = true;
      break;
    }
    FR_RETURN_IF_ERROR(
        FillChange(row, &batch.changes.emplace_back(),
                   decode ? &batch.written.emplace_back() : nullptr));
  }
  return batch;
}

}  // namespace

ChangeLog::ChangeLog(ConnectionPool* pool) : pool_(pool) {}

absl::StatusOr<ChangeLog::Statement> ChangeLog::ListStatement(
    int64_t after, const domain::filter::Node* filter, int page_size,
    size_t max_bytes) {
  std::vector<std::string> params = {std::to_string(after)};
  std::string condition = "sequence > $1::bigint";
  if (filter != nullptr) {
    FR_ASSIGN_OR_RETURN(std::string matching,
                        FilterToSql(*filter, ChangeColumns(), &params));
    absl::StrAppend(&condition, " AND (", matching, ")");
  }
  params.push_back(absl::StrCat(
      max_bytes > 0 ? max_bytes : std::numeric_limits<int64_t>::max()));
  // One row more than asked tells whether another page follows.
  std::string sql =
      absl::StrCat(ChangesWithin(condition, absl::StrCat(page_size + 1),
                                 absl::StrCat("$", params.size(), "::bigint")),
                   " ORDER BY page.sequence");
  return Statement{.sql = std::move(sql), .params = std::move(params)};
}

absl::StatusOr<double> ChangeLog::EstimateListCost(
    int64_t after, const domain::filter::Node* filter, int page_size,
    absl::Time deadline, size_t max_bytes) {
  FR_ASSIGN_OR_RETURN(const Statement statement,
                      ListStatement(after, filter, page_size, max_bytes));
  // Its worst case: a page reads the log until it has its rows, which is
  // the whole log when the filter matches none.
  return PlannerCost(*pool_, statement.sql, statement.params, deadline,
                     /*worst_case=*/true);
}

absl::Status ChangeLog::List(int64_t after, const domain::filter::Node* filter,
                             int page_size,
                             const std::function<v1::Change*()>& add,
                             bool* more, absl::Time deadline,
                             size_t max_bytes) {
  FR_ASSIGN_OR_RETURN(const Statement statement,
                      ListStatement(after, filter, page_size, max_bytes));
  const std::string& sql = statement.sql;
  const std::vector<std::string>& params = statement.params;
  return RunSingleRead(
      *pool_, deadline,
      [&](ConnectionPool::Lease&, pqxx::transaction_base& txn) -> absl::Status {
        const pqxx::result rows =
            txn.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
        *more = static_cast<int>(rows.size()) > page_size;
        const int count = *more ? page_size : static_cast<int>(rows.size());
        for (int i = 0; i < count; ++i) {
          if (i > 0 && !rows[i]["within"].as<bool>()) {
            *more = true;  // past the byte budget
            break;
          }
          FR_RETURN_IF_ERROR(FillChange(rows[i], add()));
        }
        return absl::OkStatus();
      });
}

absl::StatusOr<RevisionBounds> ChangeLog::Bounds(absl::Time deadline) {
  RevisionBounds bounds;
  FR_RETURN_IF_ERROR(RunSingleRead(
      *pool_, deadline,
      [&](ConnectionPool::Lease&, pqxx::transaction_base& txn) -> absl::Status {
        const pqxx::row row = txn.exec1(absl::StrCat(
            "SELECT ", kOldestRevisionSql, ", ", kNewestRevisionSql));
        bounds = {row[0].as<int64_t>(), row[1].as<int64_t>()};
        return absl::OkStatus();
      }));
  return bounds;
}

absl::StatusOr<ChangeBatch> ChangeLog::ReadAfter(int64_t after, int limit,
                                                 absl::Time deadline,
                                                 size_t max_bytes) {
  absl::StatusOr<ChangeBatch> batch;
  FR_RETURN_IF_ERROR(RunSingleRead(
      *pool_, deadline,
      [&](ConnectionPool::Lease&, pqxx::transaction_base& txn) -> absl::Status {
        batch = ReadAfterIn(txn, after, limit, /*decode=*/false, max_bytes);
        return absl::OkStatus();
      }));
  return batch;
}

absl::StatusOr<RecordBatch> ChangeLog::ReadRecords(
    const domain::ResourceType& type, const std::string& after_name, int limit,
    absl::Time deadline, size_t max_bytes) {
  RecordBatch batch;
  FR_RETURN_IF_ERROR(RunSingleRead(
      *pool_, deadline,
      [&](ConnectionPool::Lease&, pqxx::transaction_base& txn) -> absl::Status {
        // As ReadAfter: bodies only up to kReadAfterBytes (body_bytes).
        const std::string table = txn.quote_name(type.table);
        const pqxx::result rows = txn.exec_params(
            absl::StrCat(
                "WITH newest AS (SELECT ", kNewestRevisionSql,
                " AS newest) SELECT newest.newest, page.name, CASE WHEN ",
                WithinBudget("$3::bigint"), " THEN (SELECT b.body_pb FROM ",
                table,
                " b WHERE b.name = page.name) END AS body_pb, CASE WHEN ",
                WithinBudget("$3::bigint"), " THEN (SELECT b.body::text FROM ",
                table,
                " b WHERE b.name = page.name AND b.body_pb IS NULL) END AS "
                "body, page.version, page.create_micros, page.update_micros, ",
                WithinBudget("$3::bigint"),
                " AS within FROM newest LEFT JOIN LATERAL (SELECT ",
                kRowMetaColumns, ", ", BytesColumns("name"), " FROM ", table,
                " WHERE name > $1 ORDER BY name LIMIT $2::int) page ON true "
                "ORDER BY page.name"),
            after_name, limit, static_cast<int64_t>(max_bytes));
        const google::protobuf::Message* prototype =
            google::protobuf::MessageFactory::generated_factory()->GetPrototype(
                type.descriptor);
        for (const pqxx::row& row : rows) {
          batch.newest = row["newest"].as<int64_t>();
          if (row[kNameColumn].is_null()) break;
          if (!batch.records.empty() && !row["within"].as<bool>()) {
            batch.cut = true;
            break;
          }
          v1::Change& change = batch.records.emplace_back();
          const std::string name = row[kNameColumn].as<std::string>();
          const int64_t version = row[kVersionColumn].as<int64_t>();
          const int64_t created = row["create_micros"].as<int64_t>();
          const int64_t updated = row["update_micros"].as<int64_t>();
          change.set_resource(name);
          change.set_operation(v1::CHANGE_OPERATION_CREATE);
          change.set_etag(domain::FormatEtag(version, created));
          *change.mutable_change_time() =
              google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
                  updated);
          if (!PackStored(type, row["body_pb"], name, version, created, updated,
                          change.mutable_record())) {
            std::unique_ptr<google::protobuf::Message> record(prototype->New());
            CountRecordRead(/*from_bytes=*/!row["body_pb"].is_null());
            FR_RETURN_IF_ERROR(FromRow(row, record.get()));
            change.mutable_record()->PackFrom(*record);
          }
        }
        return absl::OkStatus();
      }));
  return batch;
}

struct ChangeListener::State {
  // Counts the notifications of the change channel.
  class Receiver final : public pqxx::notification_receiver {
   public:
    explicit Receiver(pqxx::connection_base& connection)
        : pqxx::notification_receiver(connection, kChannel) {}
    void operator()(const std::string&, int) override { ++received; }
    int received = 0;
  };
  static constexpr char kChannel[] = "forum_registry_changes";
  static constexpr char kReadAfter[] = "read_after";

  explicit State(const std::string& url)
      : connection(WithConnectionDefaults(url).value_or(url)),
        receiver(connection) {
    // Named in pg_stat_activity, for operators (and the tests that cut it).
    connection.set_variable("application_name",
                            connection.quote("forum-registry-listen"));
    // The listener reads the log once per notification, on every replica:
    // prepared, and planned once. Its plan is the same for every revision
    // (the primary key from $1 on, as far as the limit), so the generic
    // plan is taken at once rather than after five custom ones; planning
    // had been two thirds of each read (docs/benchmarks.md).
    connection.set_variable("plan_cache_mode", "force_generic_plan");
    connection.prepare(kReadAfter, ReadAfterSql());
  }
  pqxx::connection connection;
  Receiver receiver;
};

ChangeListener::ChangeListener(std::string url) : url_(std::move(url)) {}

ChangeListener::~ChangeListener() = default;

absl::Status ChangeListener::Connect() {
  try {
    state_ = std::make_unique<State>(url_);
    return absl::OkStatus();
  } catch (const std::exception& e) {
    state_.reset();
    return StatusFromException(e);
  }
}

absl::Status ChangeListener::Wait(absl::Duration timeout) {
  if (state_ == nullptr) return Connect();  // then read what was missed
  try {
    const int64_t micros = absl::ToInt64Microseconds(timeout);
    state_->connection.await_notification(micros / 1000000, micros % 1000000);
    if (!state_->connection.is_open()) {
      state_.reset();
      return absl::UnavailableError("the change listener lost its connection");
    }
    return absl::OkStatus();
  } catch (const std::exception& e) {
    state_.reset();
    return StatusFromException(e);
  }
}

absl::StatusOr<ChangeBatch> ChangeListener::ReadAfter(int64_t after,
                                                      int limit) {
  if (state_ == nullptr) FR_RETURN_IF_ERROR(Connect());
  // A read the database does not answer is ended (watchdog.h), and the
  // listener connects again.
  Watchdog::Watch watch(state_->connection, absl::Now() + kListenerReadTimeout);
  try {
    pqxx::nontransaction txn(state_->connection);
    return ReadAfterIn(txn, after, limit, /*decode=*/true, kReadAfterBytes,
                       State::kReadAfter);
  } catch (const std::exception& e) {
    watch.Disarm();
    state_.reset();
    if (watch.Fired()) return watch.Why();
    return StatusFromException(e);
  }
}

namespace {

// Runs `sql` (a call of a purge function of migrations/0013 taking the
// retention in seconds as $1 and the batch as $2) under the
// transaction-scoped advisory lock `lock`, unless another replica holds it
// (nullopt then); the number of rows deleted.
absl::StatusOr<std::optional<int64_t>> PurgeUnderLock(
    ConnectionPool* primary, int64_t lock, const char* sql,
    absl::Duration retention, int batch, absl::Time deadline) {
  if (batch < kMinPurgeBatch || batch > kMaxPurgeBatch) {
    return absl::InvalidArgumentError(
        absl::StrCat("--change-purge-batch: ", batch, " is not between ",
                     kMinPurgeBatch, " and ", kMaxPurgeBatch));
  }
  std::optional<int64_t> deleted;
  FR_RETURN_IF_ERROR(RunTransaction(
      *primary, deadline,
      [&](ConnectionPool::Lease&, pqxx::work& txn) -> absl::Status {
        deleted.reset();  // a retried transaction starts again
        if (!txn.exec_params1("SELECT pg_try_advisory_xact_lock($1)", lock)[0]
                 .as<bool>()) {
          return absl::OkStatus();  // another replica is purging
        }
        deleted =
            txn.exec_params1(sql, absl::ToDoubleSeconds(retention), batch)[0]
                .as<int64_t>();
        return absl::OkStatus();
      }));
  return deleted;
}

}  // namespace

absl::StatusOr<std::optional<int64_t>> PurgeChanges(ConnectionPool* primary,
                                                    absl::Duration retention,
                                                    int batch,
                                                    absl::Time deadline) {
  return PurgeUnderLock(
      primary, kChangePurgeLock,
      "SELECT purge_changes(make_interval(secs => $1), $2::integer)", retention,
      batch, deadline);
}

absl::StatusOr<std::optional<int64_t>> PurgeWriteRequests(
    ConnectionPool* primary, absl::Duration retention, int batch,
    absl::Time deadline) {
  // pg_advisory lock key: "fr-reqid" in ASCII.
  return PurgeUnderLock(
      primary, 0x66722d7265716964,
      "SELECT purge_write_requests(make_interval(secs => $1), $2::integer)",
      retention, batch, deadline);
}

}  // namespace forum_registry::store
