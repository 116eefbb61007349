#include "src/store/exporter.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "src/domain/status_macros.h"
#include "src/store/body.h"
#include "src/store/change_log.h"
#include "src/store/errors.h"
#include "src/store/kinds.h"

namespace forum_registry::store {
namespace {

// Rows a cursor fetches at a time: a batch is what memory holds.
constexpr int kBatch = 256;

// A record as it stood after revision $2: its latest change up to it.
constexpr char kLookupAsOfSql[] =
    "SELECT resource AS name, operation, body::text AS body, version, "
    "(extract(epoch FROM coalesce(created, change_time)) * 1000000)::bigint "
    "AS create_micros, "
    "(extract(epoch FROM coalesce(updated, change_time)) * 1000000)::bigint "
    "AS update_micros FROM changes WHERE resource = $1 AND sequence <= "
    "$2::bigint ORDER BY sequence DESC LIMIT 1";

}  // namespace

struct Exporter::State {
  explicit State(const std::string& url) : connection(url), txn(connection) {}
  pqxx::connection connection;
  // One snapshot for every table: an export is consistent.
  pqxx::transaction<pqxx::isolation_level::repeatable_read,
                    pqxx::readwrite_policy::read_only>
      txn;
  int64_t revision = 0;
  bool historical = false;
  // History sources by table, read from the catalog once.
  std::map<std::string, std::string> history;
  int cursors = 0;
};

absl::StatusOr<std::unique_ptr<Exporter>> Exporter::Open(
    const std::string& url, int64_t as_of_revision) {
  if (as_of_revision < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "as_of_revision: must not be negative, was ", as_of_revision));
  }
  try {
    auto state = std::make_unique<State>(url);
    const pqxx::row bounds = state->txn.exec1(
        absl::StrCat("SELECT ", kHorizonRevisionSql, " AS horizon, ",
                     kNewestRevisionSql, " AS newest"));
    const int64_t newest = bounds["newest"].as<int64_t>();
    state->revision = newest;
    if (as_of_revision > 0) {
      FR_RETURN_IF_ERROR(CheckHistoryCovers(
          as_of_revision, bounds["horizon"].as<int64_t>(), newest));
      state->revision = as_of_revision;
      state->historical = true;
    }
    return std::unique_ptr<Exporter>(new Exporter(std::move(state)));
  } catch (const std::exception& e) {
    return StatusFromException(e);
  }
}

Exporter::Exporter(std::unique_ptr<State> state) : state_(std::move(state)) {}

Exporter::~Exporter() = default;

int64_t Exporter::revision() const { return state_->revision; }

bool Exporter::historical() const { return state_->historical; }

absl::StatusOr<std::string> Exporter::History(const ResourceKind& kind) {
  auto found = state_->history.find(kind.table);
  if (found != state_->history.end()) return found->second;
  std::vector<std::string> generated;
  for (const pqxx::row& row :
       state_->txn.exec_params(kGeneratedColumnsSql, kind.table)) {
    generated.push_back(row["item"].as<std::string>());
  }
  return state_->history[kind.table] = HistorySource(kind, generated);
}

absl::Status Exporter::Stream(const domain::ResourceType& type, ListQuery query,
                              const Each& each) {
  try {
    const ResourceKind kind = KindOf(type);
    std::string history;
    query.page_size = 0;
    query.max_bytes = 0;
    query.after.clear();
    query.as_of_revision = state_->historical ? state_->revision : 0;
    if (state_->historical) {
      FR_ASSIGN_OR_RETURN(history, History(kind));
    }
    FR_ASSIGN_OR_RETURN(const ListStatement statement,
                        BuildListStatement(kind, history, query));
    pqxx::transaction_base& txn = state_->txn;
    const std::string cursor = absl::StrCat("export_", ++state_->cursors);
    txn.exec_params(absl::StrCat("DECLARE ", cursor, " NO SCROLL CURSOR FOR ",
                                 statement.sql),
                    pqxx::prepare::make_dynamic_params(statement.params));
    const std::string fetch =
        absl::StrCat("FETCH FORWARD ", kBatch, " FROM ", cursor);
    std::unique_ptr<google::protobuf::Message> record(
        google::protobuf::MessageFactory::generated_factory()
            ->GetPrototype(type.descriptor)
            ->New());
    absl::Status status;
    for (bool more = true; more && status.ok();) {
      const pqxx::result rows = txn.exec(fetch);
      more = rows.size() == kBatch;
      for (const pqxx::row& row : rows) {
        record->Clear();
        status = FromRow(row, record.get());
        if (status.ok()) status = each(*record, row["version"].as<int64_t>());
        if (!status.ok()) break;
      }
    }
    txn.exec(absl::StrCat("CLOSE ", cursor));
    return status;
  } catch (const std::exception& e) {
    return StatusFromException(e);
  }
}

absl::Status Exporter::Lookup(absl::string_view name,
                              google::protobuf::Message* out) {
  const domain::ResourceType* type = domain::FindByName(name);
  if (type == nullptr || type->descriptor != out->GetDescriptor()) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, " is not the name of a ", out->GetDescriptor()->name()));
  }
  try {
    pqxx::transaction_base& txn = state_->txn;
    const pqxx::result rows =
        state_->historical
            ? txn.exec_params(kLookupAsOfSql, std::string(name),
                              state_->revision)
            : txn.exec_params(
                  absl::StrCat("SELECT ", kRowColumns, " FROM ",
                               txn.quote_name(type->table), " WHERE name = $1"),
                  std::string(name));
    if (rows.empty() || (state_->historical &&
                         rows[0]["operation"].as<std::string>() == "DELETE")) {
      return absl::NotFoundError(
          state_->historical
              ? absl::StrCat(type->label, " ", name,
                             " did not exist at revision ", state_->revision)
              : absl::StrCat(type->label, " ", name, " does not exist"));
    }
    return FromRow(rows[0], out);
  } catch (const std::exception& e) {
    return StatusFromException(e);
  }
}

absl::Status Exporter::ReadTable(
    const std::string& table,
    const std::function<google::protobuf::Message*()>& add) {
  try {
    const pqxx::result rows = state_->txn.exec(
        absl::StrCat("SELECT ", kRowColumns, " FROM ",
                     state_->txn.quote_name(table), " ORDER BY name"));
    for (const auto& row : rows) {
      if (absl::Status s = FromRow(row, add()); !s.ok()) return s;
    }
    return absl::OkStatus();
  } catch (const std::exception& e) {
    return StatusFromException(e);
  }
}

}  // namespace forum_registry::store
