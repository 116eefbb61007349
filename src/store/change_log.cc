#include "src/store/change_log.h"

#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "src/domain/resource_registry.h"
#include "src/domain/status_macros.h"
#include "src/domain/update_mask.h"
#include "src/store/body.h"
#include "src/store/filter_sql.h"
#include "src/store/transaction.h"

namespace forum_registry::store {
namespace {

namespace v1 = forumregistry::v1;

// How the fields of domain::ChangeFilterSchema read in SQL.
const std::map<std::string, Column>& ChangeColumns() {
  static const auto* const kColumns = new std::map<std::string, Column>{
      {"resource", {"resource"}},
      {"collection", {"regexp_replace(resource, '/[^/]+$', '')"}},
      {"operation", {"'CHANGE_OPERATION_' || operation"}},
      {"revision", {"sequence"}},
      {"change_time",
       {"daterange((change_time AT TIME ZONE 'UTC')::date, "
        "(change_time AT TIME ZONE 'UTC')::date, '[]')"}},
  };
  return *kColumns;
}

absl::Status FillChange(const pqxx::row& row, v1::Change* change) {
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
  change->set_etag(domain::FormatEtag(version));
  *change->mutable_change_time() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(micros);
  if (row["body"].is_null()) return absl::OkStatus();  // a delete
  const domain::ResourceType* type = domain::FindByName(resource);
  if (type == nullptr) {
    // A kind this server does not know (written by a newer one): the change
    // without its record.
    return absl::OkStatus();
  }
  std::unique_ptr<google::protobuf::Message> record(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(type->descriptor)
          ->New());
  const pqxx::field body = row["body"];
  FR_RETURN_IF_ERROR(FromBody(absl::string_view(body.c_str(), body.size()),
                              resource, version, record.get()));
  SetTime(record.get(), "update_time", micros);
  change->mutable_record()->PackFrom(*record);
  return absl::OkStatus();
}

}  // namespace

ChangeLog::ChangeLog(ConnectionPool* pool) : pool_(pool) {}

absl::Status ChangeLog::List(int64_t after, const domain::filter::Node* filter,
                             int page_size,
                             const std::function<v1::Change*()>& add,
                             bool* more, absl::Time deadline) {
  std::vector<std::string> params = {std::to_string(after)};
  std::string sql =
      "SELECT sequence, resource, operation, version, body::text AS body, "
      "(extract(epoch FROM change_time) * 1000000)::bigint AS change_micros "
      "FROM changes WHERE sequence > $1::bigint";
  if (filter != nullptr) {
    FR_ASSIGN_OR_RETURN(std::string condition,
                        FilterToSql(*filter, ChangeColumns(), &params));
    absl::StrAppend(&sql, " AND (", condition, ")");
  }
  // One row more than asked tells whether another page follows.
  absl::StrAppend(&sql, " ORDER BY sequence LIMIT ", page_size + 1);
  return RunSingleRead(
      *pool_, deadline,
      [&](ConnectionPool::Lease&, pqxx::transaction_base& txn) -> absl::Status {
        const pqxx::result rows =
            txn.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
        *more = static_cast<int>(rows.size()) > page_size;
        const int count = *more ? page_size : static_cast<int>(rows.size());
        for (int i = 0; i < count; ++i) {
          FR_RETURN_IF_ERROR(FillChange(rows[i], add()));
        }
        return absl::OkStatus();
      });
}

absl::StatusOr<std::optional<int64_t>> PurgeChanges(ConnectionPool* primary,
                                                    absl::Duration retention,
                                                    absl::Time deadline) {
  // pg_advisory lock key for the purge: "fr-purge" in ASCII.
  constexpr int64_t kPurgeLock = 0x66722d7075726765;
  std::optional<int64_t> deleted;
  FR_RETURN_IF_ERROR(RunTransaction(
      *primary, deadline,
      [&](ConnectionPool::Lease&, pqxx::work& txn) -> absl::Status {
        if (!txn.exec_params1("SELECT pg_try_advisory_xact_lock($1)",
                              kPurgeLock)[0]
                 .as<bool>()) {
          return absl::OkStatus();  // another replica is purging
        }
        deleted = txn.exec_params(
                         "DELETE FROM changes WHERE change_time < "
                         "clock_timestamp() - make_interval(secs => $1) "
                         "AND sequence < (SELECT max(sequence) FROM changes)",
                         absl::ToDoubleSeconds(retention))
                      .affected_rows();
        return absl::OkStatus();
      }));
  return deleted;
}

}  // namespace forum_registry::store
