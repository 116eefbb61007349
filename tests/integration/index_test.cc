// The filters of List use the indexes the migrations build: for each filter
// field that has an index, the statement List runs (ResourceStore::
// ListStatement, the same SQL and parameters) is EXPLAINed on a database of
// 42,000 records (bench/dataset.sql), and the plan must read that index, never
// the whole table.
//
// `enable_seqscan = off` makes a sequential scan the planner's last resort:
// if one still shows in the plan, no index could serve the condition as it is
// written (a coalesce() around the column, `= ANY` on an array, `&&` without
// a GiST index...).

#include <chrono>
#include <fstream>
#include <iterator>
#include <ostream>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "forumregistry/v1/session.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/domain/change_filter.h"
#include "src/domain/filter.h"
#include "src/domain/order_by.h"
#include "src/domain/resource_registry.h"
#include "src/domain/search_request.h"
#include "src/store/change_log.h"
#include "src/store/kinds.h"
#include "src/store/pool.h"
#include "src/store/resource_store.h"
#include "src/store/search_index.h"
#include "tests/support/test_support.h"

namespace forum_registry {
namespace {

using ::forum_registry::testing::TestDatabase;
using ::testing::HasSubstr;
using ::testing::Not;

// The dataset of the benchmarks (bench/dataset.sql) with 5,000 forums:
// 42,000 records.
void Populate(const TestDatabase& db) {
  std::ifstream file(forum_registry::testing::SourceDir() +
                     "/bench/dataset.sql");
  const std::string sql((std::istreambuf_iterator<char>(file)),
                        std::istreambuf_iterator<char>());
  ASSERT_FALSE(sql.empty()) << "bench/dataset.sql is missing";
  db.Execute(sql + "; SELECT pg_temp.populate(5000);");
  // Apart: ANALYZE in the transaction that filled the tables leaves the
  // expression indexes without statistics.
  db.Execute("ANALYZE");
}

// The plan PostgreSQL chooses for `sql` with `params` on the database at
// `url`, with sequential scans discouraged, as text.
std::string Explain(const std::string& url, const std::string& sql,
                    const std::vector<std::string>& params) {
  pqxx::connection connection(url);
  pqxx::work txn(connection);
  txn.exec("SET LOCAL enable_seqscan = off");
  std::vector<std::string> lines;
  for (const auto& row : txn.exec_params(
           "EXPLAIN " + sql, pqxx::prepare::make_dynamic_params(params))) {
    lines.push_back(row[0].as<std::string>());
  }
  return absl::StrJoin(lines, "\n");
}

struct Case {
  std::string kind;    // the message, e.g. "Session"
  std::string parent;  // the List parent; "" for all
  std::string filter;  // as a client writes it
  std::string index;   // the index the plan must read
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.kind << " parent=\"" << c.parent << "\" filter=" << c.filter
      << " index=" << c.index;
}

// The populated database, made once for both suites of this file and
// dropped when the program ends.
TestDatabase* g_populated = nullptr;

class PopulatedDatabase : public ::testing::Environment {
 public:
  void TearDown() override {
    delete g_populated;
    g_populated = nullptr;
  }
};
[[maybe_unused]] ::testing::Environment* const kPopulatedDatabase =
    ::testing::AddGlobalTestEnvironment(new PopulatedDatabase);

TestDatabase* Populated() {
  if (g_populated == nullptr) {
    g_populated = TestDatabase::Create().release();
    Populate(*g_populated);
  }
  return g_populated;
}

class ListPlans : public ::testing::TestWithParam<Case> {
 protected:
  static void SetUpTestSuite() { db_ = Populated(); }

  // EXPLAIN of what List runs for `c`, with sequential scans discouraged.
  static std::string Plan(const Case& c) {
    const domain::ResourceType* type = nullptr;
    for (const domain::ResourceType& t : domain::Resources()) {
      if (t.descriptor->name() == c.kind) type = &t;
    }
    EXPECT_NE(type, nullptr) << c.kind;
    if (type == nullptr) return "";
    store::ConnectionPool pool({.url = db_->url(), .size = 1});
    store::ResourceStore store(&pool, &pool, store::KindOf(*type));
    absl::StatusOr<std::optional<domain::filter::Node>> filter =
        domain::filter::Parse(c.filter, type->schema);
    EXPECT_TRUE(filter.ok()) << filter.status();
    if (!filter.ok()) return "";
    store::ListQuery query{.parent = c.parent,
                           .filter = filter->has_value() ? &**filter : nullptr};
    absl::StatusOr<store::ListStatement> statement = store.BuildList(query);
    EXPECT_TRUE(statement.ok()) << statement.status();
    if (!statement.ok()) return "";
    return Explain(db_->url(), statement->sql, statement->params);
  }

  static TestDatabase* db_;
};
TestDatabase* ListPlans::db_ = nullptr;

TEST_P(ListPlans, ReadTheIndexNotTheTable) {
  const Case& c = GetParam();
  const std::string plan = Plan(c);
  EXPECT_THAT(plan, HasSubstr(c.index)) << plan;
  EXPECT_THAT(plan, Not(HasSubstr("Seq Scan"))) << plan;
}

INSTANTIATE_TEST_SUITE_P(
    Filters, ListPlans,
    ::testing::Values(
        // Names, in any language and case: the GIN index of search_names.
        Case{"Forum", "", R"(names:"f42")", "forums_search_names"},
        Case{"Participant", "", R"(names:"P7")", "participants_search_names"},
        // A forum's parent.
        Case{"Forum", "", R"(parent = "forums/f7")", "forums_parent"},
        // The parent of a nested kind: its forum.
        Case{"Session", "forums/f42", "", "sessions_forum_start"},
        Case{"Membership", "forums/f42", "", "memberships_forum"},
        // Dates: overlap (=) by GiST, comparisons by the btree on the start.
        Case{"Session", "", R"(start_date = "2023-07-14")",
             "sessions_start_date"},
        Case{"Session", "", R"(start_date >= "2025-12-20")", "sessions_start"},
        // As of a day.
        Case{"Session", "", R"(active_on = "2023-07-14")", "sessions_days"},
        // (Before any membership: selective enough that the index pays
        // against reading the table in name order.)
        Case{"Membership", "", R"(active_on = "1985-06-01")",
             "memberships_period"},
        Case{"Chairmanship", "forums/f42", R"(active_on = "2001-06-01")",
             "chairmanships_forum_term"},
        // External ids and cited sources, on every kind (migration 0011).
        Case{"Forum", "", R"(external_ids:"wikidata:Q7768")",
             "forums_external_ids"},
        Case{"Participant", "", R"(external_ids:"wikidata:Q7768")",
             "participants_external_ids"},
        Case{"Session", "", R"(citations.source = "sources/s1")",
             "sessions_cited_sources"},
        Case{"Membership", "", R"(citations.source = "sources/s1")",
             "memberships_cited_sources"}),
    [](const ::testing::TestParamInfo<Case>& info) {
      return absl::StrCat(info.param.kind, "_", info.index);
    });

// order_by over several keys (ResourceStore::ListStatement): when the first
// key has an index, the plan reads it — on the first page, and on a later
// page, where the keyset condition's leading bound on the first key is the
// index condition — in either direction, whatever the directions of the
// keys after it (an incremental sort orders the rows of one first key).
struct OrderCase {
  std::string parent;              // the List parent; "" for all
  std::string order_by;            // as a client writes it
  std::vector<std::string> after;  // the resume key; empty for page 1
  std::string index;               // the index the plan must read
  std::string bound;               // a condition the index must apply, if any
  // Whether the index must give the order of the first key (no full sort):
  // over every forum, yes; in one forum of a few sessions the planner may
  // rather sort what the index found.
  bool ordered = true;
};

void PrintTo(const OrderCase& c, std::ostream* os) {
  *os << "parent=\"" << c.parent << "\" order_by=" << c.order_by
      << " after=" << absl::StrJoin(c.after, "|") << " index=" << c.index;
}

class OrderPlans : public ::testing::TestWithParam<OrderCase> {
 protected:
  static void SetUpTestSuite() { db_ = Populated(); }
  static TestDatabase* db_;
};
TestDatabase* OrderPlans::db_ = nullptr;

TEST_P(OrderPlans, ReadTheFirstKeysIndexNotTheTable) {
  const OrderCase& c = GetParam();
  const domain::ResourceType* type =
      domain::FindByMessage(forumregistry::v1::Session::descriptor());
  ASSERT_NE(type, nullptr);
  absl::StatusOr<domain::OrderBy> order =
      domain::ParseOrderBy(c.order_by, type->order_by);
  ASSERT_TRUE(order.ok()) << order.status();
  store::ConnectionPool pool({.url = db_->url(), .size = 1});
  store::ResourceStore store(&pool, &pool, store::KindOf(*type));
  absl::StatusOr<store::ListStatement> statement =
      store.BuildList({.parent = c.parent, .order = *order, .after = c.after});
  ASSERT_TRUE(statement.ok()) << statement.status();
  const std::string plan =
      Explain(db_->url(), statement->sql, statement->params);
  EXPECT_THAT(plan, HasSubstr(c.index)) << plan;
  EXPECT_THAT(plan, Not(HasSubstr("Seq Scan"))) << plan;
  if (c.ordered) {
    // Read in the order of the first key: at most an incremental sort
    // within each of its values, never a sort of everything found.
    EXPECT_THAT(plan, HasSubstr(absl::StrCat(" using ", c.index))) << plan;
    EXPECT_THAT(plan, Not(HasSubstr("->  Sort "))) << plan;
  }
  if (!c.bound.empty()) {
    EXPECT_THAT(plan, HasSubstr(c.bound)) << plan;
  }
  // And it runs.
  pqxx::connection connection(db_->url());
  pqxx::nontransaction txn(connection);
  const pqxx::result rows = txn.exec_params(
      statement->sql, pqxx::prepare::make_dynamic_params(statement->params));
  EXPECT_GT(rows.size(), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    SessionsByStartDate, OrderPlans,
    ::testing::Values(
        OrderCase{"", "start_date", {}, "sessions_start", ""},
        OrderCase{
            "", "start_date desc, display_name", {}, "sessions_start", ""},
        OrderCase{"",
                  "start_date desc, display_name",
                  {"2010-09-09", "Session 20000", "forums/f1/sessions/s20000"},
                  "sessions_start",
                  "Index Cond: (lower(start_date) <= '2010-09-09'::date)"},
        OrderCase{
            "",
            "start_date, ordinal desc, display_name",
            {"2010-09-09", "0", "Session 20000", "forums/f1/sessions/s20000"},
            "sessions_start",
            "Index Cond: (lower(start_date) >= '2010-09-09'::date)"},
        OrderCase{"forums/f1",
                  "start_date, display_name desc",
                  {"2010-09-09", "Session 20000", "forums/f1/sessions/s20000"},
                  "sessions_forum_start",
                  "lower(start_date) >= '2010-09-09'::date)",
                  /*ordered=*/false},
        OrderCase{"",
                  "name desc",
                  {"forums/f1/sessions/s20000"},
                  "sessions_pkey",
                  "Index Cond: (name < "}),
    [](const ::testing::TestParamInfo<OrderCase>& info) {
      return absl::StrCat("case_", info.index);
    });

// Search (store::SearchIndex) reads the GIN indexes of search_documents,
// the words and the trigrams of the names, never the whole table, and looks
// the page's records up by their keys.
class SearchPlans : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() { db_ = Populated(); }
  static TestDatabase* db_;
};
TestDatabase* SearchPlans::db_ = nullptr;

// The plan the server runs: a prepared statement, planned once for any
// parameters (the generic plan), with no planner setting changed.
// ListChanges: each filter field but `revision` (the key itself) has an
// index on the expression the filter compiler writes (migration 0012). The
// values match few changes or none, where a walk of the log in revision
// order would read all of it.
struct ChangeCase {
  std::string filter;
  std::string index;
};

void PrintTo(const ChangeCase& c, std::ostream* os) {
  *os << "filter=" << c.filter << " index=" << c.index;
}

class ChangePlans : public ::testing::TestWithParam<ChangeCase> {};

TEST_P(ChangePlans, ReadTheIndexNotTheLog) {
  const ChangeCase& c = GetParam();
  TestDatabase* db = Populated();
  absl::StatusOr<std::optional<domain::filter::Node>> filter =
      domain::ParseChangeFilter(c.filter);
  ASSERT_TRUE(filter.ok()) << filter.status();
  ASSERT_TRUE(filter->has_value());
  absl::StatusOr<store::ChangeLog::Statement> statement =
      store::ChangeLog::ListStatement(0, &**filter, 50);
  ASSERT_TRUE(statement.ok()) << statement.status();
  const std::string plan =
      Explain(db->url(), statement->sql, statement->params);
  EXPECT_THAT(plan, HasSubstr(c.index)) << plan;
  EXPECT_THAT(plan, Not(HasSubstr("Seq Scan"))) << plan;
  // Not the walk in revision order (the subplan that reads each body by
  // its key, `changes b`, is another matter).
  EXPECT_THAT(plan,
              Not(HasSubstr("Index Scan using changes_pkey on changes  (")))
      << plan;
}

INSTANTIATE_TEST_SUITE_P(
    Filters, ChangePlans,
    ::testing::Values(
        ChangeCase{"collection = \"forums/f1/sessions\"", "changes_collection"},
        ChangeCase{"operation = \"CHANGE_OPERATION_DELETE\"",
                   "changes_operation"},
        ChangeCase{"change_time = \"2001-01-01\"", "changes_change_day"},
        ChangeCase{"change_time = \"2001\"", "changes_change_day"},
        ChangeCase{"change_time > \"2030\"", "changes_change_day"},
        ChangeCase{"change_time < \"2001-01-01\"", "changes_change_day"},
        ChangeCase{"change_time <= \"2001\"", "changes_change_day"},
        ChangeCase{"resource = \"forums/f1\"", "changes_resource"}));

std::string GenericPlan(pqxx::work& txn,
                        const store::SearchIndex::Statement& statement) {
  txn.exec("SET LOCAL plan_cache_mode = force_generic_plan");
  txn.exec("DEALLOCATE ALL");
  txn.exec("PREPARE search AS " + statement.sql);
  std::vector<std::string> values;
  for (const std::string& param : statement.params) {
    values.push_back(txn.quote(param));
  }
  std::vector<std::string> lines;
  for (const auto& row : txn.exec(absl::StrCat(
           "EXPLAIN EXECUTE search(", absl::StrJoin(values, ", "), ")"))) {
    lines.push_back(row[0].as<std::string>());
  }
  return absl::StrJoin(lines, "\n");
}

TEST_P(SearchPlans, ReadTheIndexesNotTheTable) {
  struct Variant {
    std::string filter;
    std::vector<std::string> types;
    std::vector<std::string> indexes;  // that the plan must read
  };
  for (const Variant& variant : std::vector<Variant>{
           {"",
            {},
            {"search_documents_words", "search_documents_names",
             "search_documents_exact_names"}},
           {R"(citations.source = "sources/s1")", {}, {}},
           {"", {"chairmanships"}, {"search_documents_words"}}}) {
    SCOPED_TRACE(absl::StrCat(variant.filter, " types ",
                              absl::StrJoin(variant.types, ",")));
    absl::StatusOr<domain::SearchQuery> query = domain::ParseSearchRequest(
        GetParam(), variant.types, variant.filter, 0);
    ASSERT_TRUE(query.ok()) << query.status();
    absl::StatusOr<store::SearchIndex::Statement> statement =
        store::SearchIndex::SearchStatement(*query);
    ASSERT_TRUE(statement.ok()) << statement.status();
    pqxx::connection connection(db_->url());
    pqxx::work txn(connection);
    const std::string plan = GenericPlan(txn, *statement);
    for (const std::string& index : variant.indexes) {
      EXPECT_THAT(plan, HasSubstr(index)) << plan;
    }
    // No table that holds records is read whole (the kinds this dataset
    // leaves empty may be: reading nothing costs nothing).
    for (const char* table : {"search_documents", "participants", "forums",
                              "sessions", "memberships", "chairmanships"}) {
      EXPECT_THAT(plan,
                  Not(HasSubstr(absl::StrCat("Seq Scan on ", table, " "))))
          << plan;
    }
    // Executed, it finds the forum named by the query, or, for
    // chairmanships, only chairmanships.
    bool found = false;
    for (const auto& row : txn.exec_params(
             statement->sql,
             pqxx::prepare::make_dynamic_params(statement->params))) {
      if (row["name"].is_null()) continue;
      const std::string name = row["name"].as<std::string>();
      found |= name == "forums/f4242";
      if (!variant.types.empty()) {
        EXPECT_THAT(name, HasSubstr("/chairmanships/"));
      }
    }
    if (variant.filter.empty() && variant.types.empty()) {
      EXPECT_TRUE(found) << GetParam();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Queries, SearchPlans,
                         ::testing::Values("Forum 4242", "Frum 4242", "F4242"));

// The rows and the plan of `statement`, executed (EXPLAIN ANALYZE), as the
// server prepares it.
struct Executed {
  std::vector<std::string> names;
  std::string plan;
};
Executed Execute(const TestDatabase& db,
                 const store::SearchIndex::Statement& statement) {
  pqxx::connection connection(db.url());
  pqxx::work txn(connection);
  txn.exec("PREPARE search AS " + statement.sql);
  std::vector<std::string> values;
  for (const std::string& param : statement.params) {
    values.push_back(txn.quote(param));
  }
  const std::string call =
      absl::StrCat("search(", absl::StrJoin(values, ", "), ")");
  Executed executed;
  for (const auto& row : txn.exec("EXECUTE " + call)) {
    if (!row["name"].is_null()) {
      executed.names.push_back(row["name"].as<std::string>());
    }
  }
  std::vector<std::string> lines;
  for (const auto& row :
       txn.exec("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) EXECUTE " + call)) {
    lines.push_back(row[0].as<std::string>());
  }
  executed.plan = absl::StrJoin(lines, "\n");
  return executed;
}

// Whether the plan took the path of the index of words: the second branch
// of word_hits ran. PostgreSQL names the statement's scans of
// search_documents d_1, d_2, ... in their order in the statement, so it is
// the scan of d_2, through whichever index (the words', the filter's, both)
// or none; a rule on which index it picks would fail with the statistics
// of an unlucky ANALYZE.
bool ReadTheWords(const std::string& plan) {
  for (absl::string_view line : absl::StrSplit(plan, '\n')) {
    if (absl::StrContains(line, "on search_documents d_2 ") &&
        !absl::StrContains(line, "never executed")) {
      return true;
    }
  }
  return false;
}

// A word that half the records hold ("session"): its candidates come from
// pages sampled across the table, not from the index of words, which would
// first collect every record holding it; the same query reads the same
// pages; its results hold the word. A rare query or one with OR reads
// the index of words; so does a common one whose
// sampled pages hold too few candidates (a filter few records pass). The
// bound of candidates is 50 here, so that 42,000 records take the path of
// a million.
TEST(CommonWords, ReadSampledPagesNotTheWholeIndex) {
  TestDatabase* db = Populated();
  db->Execute("ANALYZE search_documents");
  const auto run = [&](const std::string& text, const std::string& filter) {
    absl::StatusOr<domain::SearchQuery> query =
        domain::ParseSearchRequest(text, {}, filter, 0);
    EXPECT_TRUE(query.ok()) << query.status();
    absl::StatusOr<store::SearchIndex::Statement> statement =
        store::SearchIndex::SearchStatement(*query, /*candidates=*/50);
    EXPECT_TRUE(statement.ok()) << statement.status();
    return Execute(*db, *statement);
  };

  const Executed common = run("session", "");
  EXPECT_THAT(common.plan,
              HasSubstr("Sample Scan on search_documents d_1 (actual rows=50"))
      << common.plan;
  EXPECT_FALSE(ReadTheWords(common.plan)) << common.plan;
  ASSERT_FALSE(common.names.empty());
  for (const std::string& name : common.names) {
    EXPECT_THAT(name, HasSubstr("/sessions/"));
  }
  EXPECT_EQ(run("session", "").names, common.names);

  for (const auto& [text, filter] :
       std::vector<std::pair<std::string, std::string>>{
           {"Forum 4242", ""},
           {"session or forum", ""},
           {"session", R"(citations.source = "sources/s1")"}}) {
    SCOPED_TRACE(absl::StrCat(text, " ", filter));
    const std::string plan = run(text, filter).plan;
    EXPECT_TRUE(ReadTheWords(plan)) << plan;
  }
}

// Which words are common is read from pg_stats once a session, and again
// only after search_documents has been analyzed since (migrations/0019):
// a session uses the list it keeps (here its own, emptied, so "session" is
// not sampled); it reads the statistics again while its list was read in
// the ten seconds after the analysis (which records its time before its
// statistics commit), and once another session has analyzed the table.
TEST(CommonWords, TheListKeptForASessionIsReadAgainAfterAnAnalyze) {
  TestDatabase* db = Populated();
  db->Execute("ANALYZE search_documents");
  pqxx::connection connection(db->url());
  const auto percent = [&] {
    pqxx::nontransaction txn(connection);
    return txn.exec1("SELECT search_sample_percent('''session''', 50, 0.1)")[0]
        .as<double>();
  };
  // The session's list as the function kept it, without its words and
  // read `after` seconds after the analysis it is of.
  const auto empty_list_read = [&](int after) {
    pqxx::nontransaction txn(connection);
    txn.exec(absl::StrCat(
        "SELECT set_config('forum_registry.search_common_words', "
        "jsonb_set(jsonb_set(current_setting("
        "'forum_registry.search_common_words')::jsonb, '{words}', '{}'), "
        "'{read}', to_jsonb(extract(epoch FROM greatest("
        "pg_stat_get_last_analyze_time('search_documents'::regclass), "
        "pg_stat_get_last_autoanalyze_time('search_documents'::regclass))) + ",
        after, "))::text, false)"));
  };
  EXPECT_GT(percent(), 0) << "half the records hold the word";
  empty_list_read(60);
  EXPECT_EQ(percent(), 0) << "the list kept, not pg_stats, was read";
  empty_list_read(1);
  EXPECT_GT(percent(), 0) << "a list read just after the analysis is not kept";
  empty_list_read(60);
  EXPECT_EQ(percent(), 0);
  // Analyzed later, so that the time of the analysis differs.
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  db->Execute("ANALYZE search_documents");
  // (ANALYZE samples the table: the share it finds may differ a little.)
  EXPECT_GT(percent(), 0) << "read again after the analysis";
}

}  // namespace
}  // namespace forum_registry
