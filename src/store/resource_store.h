#ifndef FORUM_REGISTRY_STORE_RESOURCE_STORE_H_
#define FORUM_REGISTRY_STORE_RESOURCE_STORE_H_

// Storage of one kind of resource, the same way for every kind.
//
// Each resource table (see migrations/) keys rows by the resource's full name
// and keeps the record in `body`: the resource's protobuf JSON, proto field
// names, without the output-only fields name, etag, create_time and
// update_time, which come from the row's own columns. The database derives
// and checks everything else — typed columns, references, the change log —
// from `body`, so this class only reads and writes bodies.
//
// Every method runs one transaction and returns a status from errors.h:
// NOT_FOUND for a missing record, ABORTED for a stale etag, and what the
// database refused, with the database's own message where it wrote one for
// clients.

#include <functional>
#include <map>
#include <pqxx/row>
#include <pqxx/transaction>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "src/domain/filter.h"
#include "src/domain/order_by.h"
#include "src/store/list_cache.h"
#include "src/store/pool.h"
#include "src/store/record_cache.h"
#include "src/store/revision_check.h"
#include "src/store/wire.h"

namespace forum_registry::store {

// How a filter field reads in SQL.
struct Column {
  // An SQL expression over the row: "body->>'kind'", "start_date" (a
  // daterange), "search_names".
  std::string sql{};
  // For fields that order_by accepts: a never-NULL sort expression and its
  // SQL type ("date", "bigint", "text"). Empty otherwise.
  std::string sort_sql{};
  std::string sort_type{};
  // A date field whose every value is a range of one day (a change's
  // change_time): `=` and `!=` compare the day, its lower bound, which a
  // B-tree on `lower(sql)` serves, instead of testing ranges for overlap,
  // which needs a GiST index.
  bool one_day = false;
};

struct ResourceKind {
  // The table ("forums", "sessions").
  std::string table{};
  // The collection in names ("sessions", "actionPlans") and, for a nested
  // kind, its parent's ("forums"; empty for a top-level kind).
  std::string collection{};
  std::string parent_collection{};
  // The singular, for messages ("forum").
  std::string singular{};
  // The table of references to this kind ("forum_references") and its
  // column holding the referred record ("forum"); empty if nothing refers to
  // this kind.
  std::string references_table{};
  std::string references_column{};
  // For a nested kind, the column holding the parent's name ("forum") and
  // the parent's table ("forums"); empty for a top-level kind.
  std::string parent_column{};
  std::string parent_table{};
  // Tables of kinds nested under this one, deleted with it on a forced
  // delete; each has a `forum`-like column named `child_parent_column`.
  std::vector<std::string> children{};
  std::string child_parent_column{};
  // The reference tables of those children (table, column), to name a
  // record outside that still refers to one of them.
  std::vector<std::pair<std::string, std::string>> child_references{};
  // What a List filter or order_by may name: field -> column (see
  // filter_sql.h). The SQL here is this program's own, never a client's.
  std::map<std::string, Column> columns{};
};

// One page of a list.
struct ListQuery {
  // The parent's name for a nested kind; empty for all parents.
  std::string parent{};
  // The parsed filter, or null for none. Its fields must be columns of the
  // kind (ResourceKind::columns).
  const domain::filter::Node* filter = nullptr;
  // The keys to order by (columns with a sort type), then the name; empty
  // keys for name order.
  domain::OrderBy order{};
  // Resume after this key (each order key's value, as text, then the
  // name); empty for the first page.
  std::vector<std::string> after{};
  // Most rows to return.
  int page_size = 50;
  // List the kind as it stood right after this revision of the change log
  // (migrations/0015), 0 for the present. List checks that the log covers
  // it (OUT_OF_RANGE otherwise).
  int64_t as_of_revision = 0;
  // List as of this revision or a later one: from the read pool only if it
  // has replayed it, else from the primary; OUT_OF_RANGE if not written
  // yet. 0: whatever the read pool holds.
  int64_t min_revision = 0;
  // Most bytes of stored records (their JSON) in a page, 0 for no bound: a
  // page stops before the record that would pass it (but holds at least
  // one), and the rest follows on the next page. Records past the bound
  // are not sent by the database at all.
  size_t max_bytes = 0;
};

// Who writes, and the request's id for a write that is safe to retry.
struct WriteRequest {
  // The caller, for the change log; empty for none.
  std::string actor{};
  // AIP-155: a canonical (lower-case) UUID, or empty. The first write with
  // an id stores its answer in the same transaction (migrations/0010); a
  // write with an id already stored writes nothing and answers as the first
  // did, if `fingerprint` is the same, and ALREADY_EXISTS otherwise.
  std::string id{};
  // 32 bytes that identify the request (RequestFingerprint).
  std::string fingerprint{};
  // The method, for the stored row and messages ("CreateForum").
  std::string method{};
};

// What a write reports besides its status.
struct WriteResult {
  // The revision of the change log the write produced — for an update that
  // changed nothing, the record's latest — or 0 if it could not be read
  // after the commit.
  int64_t revision = 0;
  // Whether the answer is the stored one of an earlier request with the same
  // id (nothing was written this time).
  bool replayed = false;
};

// A List's statement over `kind`: the rows of `query`, in its order. As of
// a revision (query.as_of_revision) it reads `history_source`
// (HistorySource) instead of the table; FAILED_PRECONDITION when that is
// empty. A page size of 0 reads every row (an export's cursor).
struct ListStatement {
  std::string sql;
  std::vector<std::string> params;
  // How many order keys come before the name: the statement selects each
  // as text (sort_key_0, ...) for the next page's token.
  size_t key_count = 0;
};
absl::StatusOr<ListStatement> BuildListStatement(
    const ResourceKind& kind, const std::string& history_source,
    const ListQuery& query);

// What a List as of a revision reads instead of `kind`'s table: each
// record's latest change up to the revision, unless it is a delete, with
// the table's generated columns (`generated`: kGeneratedColumnsSql's items).
// Placeholders {revision} and {parent} remain for BuildListStatement.
std::string HistorySource(const ResourceKind& kind,
                          const std::vector<std::string>& generated);

// Whether the change log can tell the registry as it stood after
// `revision`, given its `horizon` and `newest` revision: OUT_OF_RANGE,
// naming the range that can be read, when it cannot.
absl::Status CheckHistoryCovers(int64_t revision, int64_t horizon,
                                int64_t newest);

// The generated columns of a table ($1) as a select list computes them,
// one per row in column `item`.
extern const char kGeneratedColumnsSql[];

class ResourceStore {
 public:
  // Writes use `pool`; List uses `read_pool` (a replica's, or the same
  // pool). A Get is never older than the newest write acknowledged before
  // it began: with `revisions` it learns the primary's current revision and
  // answers from `cache` once the feed has applied it (record_cache.h), else
  // from `read_pool` if that snapshot has it, else from `pool`; without
  // `revisions` it reads `pool`. `cache` (null: none) also saves decoding.
  //
  // With `lists` (null: none), the kind is held there too, loaded by
  // ReadAll from `list_pool` (the primary's; null: `pool`), and a List in
  // name order with no filter answers from it (list_cache.h): naming a
  // revision once the feed has applied it, or else, as a Get, once it has
  // applied the primary's current revision.
  ResourceStore(ConnectionPool* pool, ConnectionPool* read_pool,
                ResourceKind kind, RecordCache* cache = nullptr,
                RevisionCheck* revisions = nullptr, ListCache* lists = nullptr,
                ConnectionPool* list_pool = nullptr);

  // Reads `name` into `out`.
  absl::Status Get(absl::string_view name, google::protobuf::Message* out,
                   absl::Time deadline);

  // Reads `name` as of `revision` or a later one ("not older than", as
  // Kubernetes' resourceVersion): from the cache with no database read once
  // the feed has applied `revision` and holds the record, else from the
  // read pool if its snapshot has the revision, else from the primary.
  // OUT_OF_RANGE when the primary has not written `revision` yet.
  absl::Status GetAtRevision(absl::string_view name, int64_t revision,
                             google::protobuf::Message* out,
                             absl::Time deadline);

  // Whether a List in name order with no filter naming `revision` would be
  // answered from memory now, with no wait and no database.
  bool ListsFromMemoryAt(int64_t revision) const {
    return lists_ != nullptr && lists_->HoldsAt(kind_.collection, revision);
  }
  // Whether such a List may be answered from memory once the feed has
  // applied the primary's revision: the list cache holds the kind, and
  // there is a revision check to ask (revisions()).
  bool ListsFromMemory() const {
    return revisions_ != nullptr && lists_ != nullptr &&
           lists_->Holds(kind_.collection);
  }
  // Whether a Get may be answered from memory once the feed has applied the
  // primary's revision (FindInMemory).
  bool GetsFromMemory() const {
    return revisions_ != nullptr && cache_ != nullptr;
  }
  // The check of the primary's revision Get and ListWire ask; null for none.
  RevisionCheck* revisions() const { return revisions_; }

  // The record `name` as of `revision` or later from memory alone, without
  // waiting or reading: when the cache has applied `revision` and holds the
  // record as current; null otherwise (GetAtRevision then reads).
  std::shared_ptr<const google::protobuf::Message> FindInMemory(
      absl::string_view name, int64_t revision);

  // Reads `name` as it stood right after `revision` of the change log
  // (migrations/0015): its latest change up to then, NOT_FOUND if there is
  // none or it is a delete; OUT_OF_RANGE if `revision` is older than the
  // log's history (compacted by retention) or newer than its newest.
  absl::Status GetAsOf(absl::string_view name, int64_t revision,
                       google::protobuf::Message* out, absl::Time deadline);

  // Stores `resource` under `name` and reads it back into `out`.
  // ALREADY_EXISTS if the name is taken.
  //
  // Create, Update and Delete record `request.actor` (when not empty) in the
  // change log, and with `request.id` are idempotent (WriteRequest). They
  // fill `result` (when not null). A commit whose outcome the connection's
  // loss hid is looked up (ResolveCommit): it is reported as done, as not
  // done (UNAVAILABLE), or, when the database cannot tell in time, as
  // UNKNOWN, "may have been applied".
  absl::Status Create(absl::string_view name,
                      const google::protobuf::Message& resource,
                      google::protobuf::Message* out, absl::Time deadline,
                      const WriteRequest& request = {},
                      WriteResult* result = nullptr);

  // Reads `name` and locks it, checks `etag` (if not empty), lets `mutate`
  // change the record (it may refuse with an error), and stores the result.
  // A mutation that changes nothing writes nothing. `out` gets the stored
  // record. Fields of the stored record that this program does not know
  // (written by a newer version) are kept: only what `mutate` changed is
  // written over the stored JSON (MergeBody).
  // `fields` (when not null) names the top-level fields the update may
  // change (its mask's); when the stored record holds what this program
  // cannot read, its other fields keep their stored values exactly.
  using Mutation = std::function<absl::Status(google::protobuf::Message*)>;
  absl::Status Update(absl::string_view name, absl::string_view etag,
                      const Mutation& mutate, google::protobuf::Message* out,
                      absl::Time deadline, const WriteRequest& request = {},
                      WriteResult* result = nullptr,
                      const std::vector<std::string>* fields = nullptr);

  // Deletes `name` if `etag` (when not empty) matches. FAILED_PRECONDITION,
  // naming one referrer, while another record refers to it. A record with
  // children (a forum's sessions, ...) is deleted only with `force`, which
  // deletes them in the same transaction; FAILED_PRECONDITION otherwise.
  absl::Status Delete(absl::string_view name, absl::string_view etag,
                      bool force, absl::Time deadline,
                      const WriteRequest& request = {},
                      WriteResult* result = nullptr);

  // Brings back `name` as it was when last deleted (AIP-164), from the
  // change log, with the records of a forced delete that took them with it
  // (children deleted by the same transaction): each under its name, with
  // its create time, and a version one past the deleted one (a new etag).
  // `etag` (when not empty) must be the deleted record's last. NOT_FOUND
  // when the log holds no delete of it (never deleted, or compacted away);
  // ALREADY_EXISTS naming any of the records whose name is taken now;
  // PERMISSION_DENIED when children would come back and not
  // `may_restore_children`; a rule a restored record would now break
  // (a reference to a record since deleted, two sole chairs) refuses it
  // with the rule's message. Nothing is written unless all come back.
  // The change log records each as a CREATE, with the request's actor and
  // id.
  absl::Status Undelete(absl::string_view name, absl::string_view etag,
                        bool may_restore_children,
                        google::protobuf::Message* out, absl::Time deadline,
                        const WriteRequest& request = {},
                        WriteResult* result = nullptr);

  // Appends up to `query.page_size` records, each to a message made by
  // `add`. `*next` is set to the key to resume after when more rows remain,
  // and cleared otherwise.
  absl::Status List(const ListQuery& query,
                    const std::function<google::protobuf::Message*()>& add,
                    std::vector<std::string>* next, absl::Time deadline);

  // The same page as the bytes of a List response: each record as field
  // `records_field`, appended to `out` (store/wire.h). A record stored as
  // bytes (migrations/0016) is spliced, never decoded; one without them is
  // decoded from its JSON and encoded.
  absl::Status ListWire(const ListQuery& query, int records_field,
                        std::string* out, std::vector<std::string>* next,
                        absl::Time deadline);

  // The statement List runs for `query` and its parameters ($1, $2, ...),
  // e.g. for EXPLAIN. The SQL is this program's own; values are parameters.
  //
  // Keyset pagination over several keys in mixed directions: the rows after
  // (v1, ..., vn, name) are those where, for some i, the keys before i equal
  // theirs and key i is past vi in its direction (an OR of n+1 terms; a row
  // comparison `(a, b) > ($1, $2)` holds only when every direction is the
  // same). A leading `k1 >= v1` (`<=` descending), implied by the OR, lets
  // the planner bound a scan of an index on the first key.
  // A query as of a revision needs the kind's history columns, which List
  // and EstimateListCost load first (LoadHistory); FAILED_PRECONDITION
  // before.
  absl::StatusOr<ListStatement> BuildList(const ListQuery& query) const;

  // The planner's estimate of what List costs for `query` (EXPLAIN's total
  // cost, in PostgreSQL's units: about one per page read in sequence), for
  // admission (api/costly_lists.h). Estimates are kept, by statement and
  // parameters, so a list asked again costs no second EXPLAIN.
  absl::StatusOr<double> EstimateListCost(const ListQuery& query,
                                          absl::Time deadline);

  const ResourceKind& kind() const { return kind_; }

  // Every record of the kind, in name order, read in one snapshot of
  // `pool` (the primary's), each given to `each` as a List answers it; the
  // snapshot's newest revision. RESOURCE_EXHAUSTED when `each` returns
  // false.
  absl::StatusOr<int64_t> ReadAll(ConnectionPool& pool,
                                  const ListCache::Each& each,
                                  absl::Time deadline);

  // Loads what a List as of a revision reads instead of the table: the
  // kind's records rebuilt from the change log with the table's generated
  // columns, whose expressions the catalog gives. Once per store.
  absl::Status LoadHistory(absl::Time deadline);

 private:
  // A row selected with kRowColumns into `out`: from the cache if it holds
  // the row's write, else decoded (and cached, current if `read_revision`,
  // the newest revision in the row's snapshot, allows).
  absl::Status ReadRow(const pqxx::row& row, google::protobuf::Message* out,
                       int64_t read_revision = 0);

  // Runs List's statement and gives `each` the page's rows (selected with
  // kRowColumns), and whether they are of the past (as_of_revision).
  using RowReader =
      std::function<absl::Status(const pqxx::row& row, bool history)>;
  absl::Status ListRows(const ListQuery& query, const RowReader& each,
                        std::vector<std::string>* next, absl::Time deadline);
  // Appends the record of `row` encoded: spliced from its stored bytes, or
  // else read as ReadRow (FromRow for the past, or for a load) reads it.
  // An answer is counted (CountRecordRead); a load into the list cache is
  // neither counted nor cached, since no caller asked for it yet.
  struct WireColumns {
    pqxx::row::size_type body_pb, name, version, create_micros, update_micros;
    // The columns of a row selected with kRowColumns, by number: a name
    // looks the column up (and folds its case) every time.
    static WireColumns Of(const pqxx::row& row);
  };
  enum class RowUse { kPresent, kPast, kLoad };
  absl::Status AppendRow(const pqxx::row& row, const WireColumns& columns,
                         RowUse use, std::string* out);
  // A page of a List in name order with no filter from `lists_`, if it
  // holds the kind as of `revision` (waiting up to kFeedWait for the feed);
  // false otherwise (the database answers).
  bool ListFromMemory(const ListQuery& query, int64_t revision,
                      int records_field, std::string* out,
                      std::vector<std::string>* next, absl::Time deadline);
  // ListWire's page read from the database.
  absl::Status ListWireFromDatabase(const ListQuery& query, int records_field,
                                    std::string* out,
                                    std::vector<std::string>* next,
                                    absl::Time deadline);

  // Get from the database, as of `revision` or later: from the read pool if
  // its snapshot has that revision, else from the primary.
  absl::Status GetAtLeast(absl::string_view name,
                          google::protobuf::Message* out, int64_t revision,
                          absl::Time deadline);

  // The steps of Delete, each inside Delete's transaction. A forced delete
  // first forgets the children's own references, then checks that nothing
  // outside still refers to a child, then deletes them; without force, any
  // child stops the delete.
  absl::Status CheckHasNoChildren(pqxx::transaction_base& txn,
                                  const std::string& name) const;
  absl::Status DeleteChildren(pqxx::transaction_base& txn,
                              const std::string& name) const;
  absl::Status CheckNotReferredTo(ConnectionPool::Lease& lease,
                                  pqxx::transaction_base& txn,
                                  const std::string& name) const;
  // After a committed write: the revision its transaction `xid` produced,
  // or for "" (nothing written) the latest of `name`; 0 if it cannot be
  // read. Never fails: the write is done.
  int64_t FindRevision(const std::string& xid, absl::string_view name,
                       absl::Time deadline);

  // Runs `write` in a transaction for `request`: claims its id first, and if
  // the id is already stored answers from the row into `out` instead; stores
  // the answer (`out`, or nothing for a delete) before COMMIT. Then resolves
  // an in-doubt commit and fills `result`. `write` sets `*xid` to its
  // transaction's id when it wrote something.
  using WriteStep = std::function<absl::Status(ConnectionPool::Lease&,
                                               pqxx::work&, std::string* xid)>;
  absl::Status RunWrite(absl::string_view name, const WriteRequest& request,
                        google::protobuf::Message* out, absl::Time deadline,
                        WriteResult* result, const WriteStep& write);

  ConnectionPool* pool_;
  ConnectionPool* read_pool_;
  const ResourceKind kind_;
  // The kind's message, and where its server-set fields go on the wire.
  const google::protobuf::Message* const prototype_;
  const RecordWire wire_;
  RecordCache* const cache_;
  RevisionCheck* const revisions_;
  ListCache* const lists_;
  mutable absl::Mutex history_mu_;
  // The FROM item of a List as of a revision, "{revision}" standing for
  // its parameter and "{parent}" for the bounds of one parent's names;
  // empty until LoadHistory.
  std::string history_source_ ABSL_GUARDED_BY(history_mu_);
  absl::Mutex costs_mu_;
  absl::flat_hash_map<std::string, double> costs_ ABSL_GUARDED_BY(costs_mu_);
  // SQL of the prepared statements, by statement name.
  const std::string get_name_, get_sql_, get_at_name_, get_at_sql_, lock_name_,
      lock_sql_, insert_name_, insert_sql_, update_name_, update_sql_,
      delete_name_, delete_sql_, referrer_name_, referrer_sql_;
};

}  // namespace forum_registry::store

#endif  // FORUM_REGISTRY_STORE_RESOURCE_STORE_H_
