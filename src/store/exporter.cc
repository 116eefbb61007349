#include "src/store/exporter.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "src/store/body.h"
#include "src/store/errors.h"

namespace forum_registry::store {

struct Exporter::State {
  explicit State(const std::string& url) : connection(url), txn(connection) {}
  pqxx::connection connection;
  // One snapshot for every table: an export is consistent.
  pqxx::transaction<pqxx::isolation_level::repeatable_read,
                    pqxx::readwrite_policy::read_only>
      txn;
};

absl::StatusOr<std::unique_ptr<Exporter>> Exporter::Open(
    const std::string& url) {
  try {
    return std::unique_ptr<Exporter>(
        new Exporter(std::make_unique<State>(url)));
  } catch (const std::exception& e) {
    return StatusFromException(e);
  }
}

Exporter::Exporter(std::unique_ptr<State> state) : state_(std::move(state)) {}

Exporter::~Exporter() = default;

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
