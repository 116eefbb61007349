#include "src/store/resource_store.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "src/domain/update_mask.h"
#include "src/store/body.h"
#include "src/store/transaction.h"

namespace forum_registry::store {
namespace {

using google::protobuf::Message;

absl::Status NotFound(const ResourceKind& kind, absl::string_view name) {
  return absl::NotFoundError(
      absl::StrCat(kind.singular, " ", name, " does not exist"));
}

}  // namespace

ResourceStore::ResourceStore(ConnectionPool* pool, ResourceKind kind)
    : pool_(pool),
      kind_(std::move(kind)),
      get_name_(absl::StrCat(kind_.table, ".get")),
      get_sql_(absl::StrCat("SELECT ", kRowColumns, " FROM ", kind_.table,
                            " WHERE name = $1")),
      lock_name_(absl::StrCat(kind_.table, ".lock")),
      lock_sql_(absl::StrCat(get_sql_, " FOR UPDATE")),
      insert_name_(absl::StrCat(kind_.table, ".insert")),
      insert_sql_(absl::StrCat("INSERT INTO ", kind_.table,
                               " (name, body) VALUES ($1, $2::jsonb) "
                               "ON CONFLICT (name) DO NOTHING RETURNING ",
                               kRowColumns)),
      update_name_(absl::StrCat(kind_.table, ".update")),
      update_sql_(absl::StrCat(
          "UPDATE ", kind_.table,
          " SET body = $2::jsonb, version = version + 1, "
          "update_time = clock_timestamp() WHERE name = $1 RETURNING ",
          kRowColumns)),
      delete_name_(absl::StrCat(kind_.table, ".delete")),
      delete_sql_(
          absl::StrCat("DELETE FROM ", kind_.table, " WHERE name = $1")),
      list_name_(absl::StrCat(kind_.table, ".list")),
      list_sql_(absl::StrCat("SELECT ", kRowColumns, " FROM ", kind_.table,
                             " WHERE name > $1 ORDER BY name LIMIT $2")),
      referrer_name_(absl::StrCat(kind_.table, ".referrer")),
      referrer_sql_(kind_.references_table.empty()
                        ? ""
                        : absl::StrCat("SELECT owner, field FROM ",
                                       kind_.references_table, " WHERE ",
                                       kind_.singular,
                                       " = $1 ORDER BY owner LIMIT 1")) {}

absl::Status ResourceStore::Get(absl::string_view name, Message* out,
                                absl::Time deadline) {
  return RunTransaction(
      *pool_, deadline,
      [&](ConnectionPool::Lease& lease, pqxx::work& txn) -> absl::Status {
        lease.Prepare(get_name_, get_sql_);
        const pqxx::result rows =
            txn.exec_prepared(get_name_, std::string(name));
        if (rows.empty()) return NotFound(kind_, name);
        return FromRow(rows[0], out);
      });
}

absl::Status ResourceStore::Create(absl::string_view name,
                                   const Message& resource, Message* out,
                                   absl::Time deadline) {
  absl::StatusOr<std::string> body = ToBody(resource);
  if (!body.ok()) return body.status();
  return RunTransaction(
      *pool_, deadline,
      [&](ConnectionPool::Lease& lease, pqxx::work& txn) -> absl::Status {
        lease.Prepare(insert_name_, insert_sql_);
        const pqxx::result rows =
            txn.exec_prepared(insert_name_, std::string(name), *body);
        if (rows.empty()) {
          return absl::AlreadyExistsError(
              absl::StrCat(kind_.singular, " ", name, " already exists"));
        }
        return FromRow(rows[0], out);
      });
}

absl::Status ResourceStore::Update(absl::string_view name,
                                   absl::string_view etag,
                                   const Mutation& mutate, Message* out,
                                   absl::Time deadline) {
  return RunTransaction(
      *pool_, deadline,
      [&](ConnectionPool::Lease& lease, pqxx::work& txn) -> absl::Status {
        lease.Prepare(lock_name_, lock_sql_);
        const pqxx::result rows =
            txn.exec_prepared(lock_name_, std::string(name));
        if (rows.empty()) return NotFound(kind_, name);
        std::unique_ptr<Message> current(out->New());
        if (absl::Status s = FromRow(rows[0], current.get()); !s.ok()) return s;
        if (absl::Status s =
                domain::CheckEtag(etag, rows[0][2].as<int64_t>(), name);
            !s.ok()) {
          return s;
        }
        std::unique_ptr<Message> changed(current->New());
        changed->CopyFrom(*current);
        if (absl::Status s = mutate(changed.get()); !s.ok()) return s;
        if (google::protobuf::util::MessageDifferencer::Equals(*current,
                                                               *changed)) {
          out->CopyFrom(*current);
          return absl::OkStatus();
        }
        absl::StatusOr<std::string> body = ToBody(*changed);
        if (!body.ok()) return body.status();
        lease.Prepare(update_name_, update_sql_);
        const pqxx::result updated =
            txn.exec_prepared(update_name_, std::string(name), *body);
        return FromRow(updated[0], out);
      });
}

absl::Status ResourceStore::Delete(absl::string_view name,
                                   absl::string_view etag,
                                   absl::Time deadline) {
  return RunTransaction(
      *pool_, deadline,
      [&](ConnectionPool::Lease& lease, pqxx::work& txn) -> absl::Status {
        lease.Prepare(lock_name_, lock_sql_);
        const pqxx::result rows =
            txn.exec_prepared(lock_name_, std::string(name));
        if (rows.empty()) return NotFound(kind_, name);
        if (absl::Status s =
                domain::CheckEtag(etag, rows[0][2].as<int64_t>(), name);
            !s.ok()) {
          return s;
        }
        if (!referrer_sql_.empty()) {
          // Name a referrer; the foreign key refuses the delete anyway, but
          // its message names no record.
          lease.Prepare(referrer_name_, referrer_sql_);
          const pqxx::result referrers =
              txn.exec_prepared(referrer_name_, std::string(name));
          if (!referrers.empty()) {
            return absl::FailedPreconditionError(absl::StrCat(
                kind_.singular, " ", name, " is still referred to by ",
                referrers[0][0].as<std::string>(), " (",
                referrers[0][1].as<std::string>(),
                "); change or delete that record first"));
          }
        }
        lease.Prepare(delete_name_, delete_sql_);
        txn.exec_prepared(delete_name_, std::string(name));
        return absl::OkStatus();
      });
}

absl::Status ResourceStore::List(const ListPage& page,
                                 const std::function<Message*()>& add,
                                 bool* more, absl::Time deadline) {
  return RunTransaction(
      *pool_, deadline,
      [&](ConnectionPool::Lease& lease, pqxx::work& txn) -> absl::Status {
        lease.Prepare(list_name_, list_sql_);
        // One row more than asked tells whether another page follows.
        const pqxx::result rows =
            txn.exec_prepared(list_name_, page.after_name, page.page_size + 1);
        *more = static_cast<int>(rows.size()) > page.page_size;
        const int count =
            *more ? page.page_size : static_cast<int>(rows.size());
        for (int i = 0; i < count; ++i) {
          if (absl::Status s = FromRow(rows[i], add()); !s.ok()) return s;
        }
        return absl::OkStatus();
      });
}

}  // namespace forum_registry::store
