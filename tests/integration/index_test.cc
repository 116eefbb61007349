// The filters of List use the indexes the migrations build: for each filter
// field that has an index, the statement List runs (ResourceStore::
// ListStatement, the same SQL and parameters) is EXPLAINed on a database of
// some thousands of records, and the plan must read that index, never the
// whole table.
//
// `enable_seqscan = off` makes a sequential scan the planner's last resort:
// if one still shows in the plan, no index could serve the condition as it is
// written (a coalesce() around the column, `= ANY` on an array, `&&` without
// a GiST index...).

#include <ostream>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/domain/filter.h"
#include "src/domain/resource_registry.h"
#include "src/store/kinds.h"
#include "src/store/pool.h"
#include "src/store/resource_store.h"
#include "tests/support/test_support.h"

namespace forum_registry {
namespace {

using ::forum_registry::testing::TestDatabase;
using ::testing::HasSubstr;
using ::testing::Not;

// 2,000 participants, 5,000 forums (4,900 with a parent), 20,000 sessions
// over 1990-2025, 10,000 memberships and 5,000 co-chairmanships.
void Populate(const TestDatabase& db) {
  db.Execute(R"sql(
    INSERT INTO participants (name, body)
    SELECT 'participants/p' || i,
           jsonb_build_object('kind', 'PARTICIPANT_KIND_STATE',
             'display_name', 'Participant ' || i,
             'names', jsonb_build_array(jsonb_build_object(
               'text', 'P' || i, 'language', 'en')))
    FROM generate_series(1, 2000) i;
    INSERT INTO forums (name, body)
    SELECT 'forums/f' || i,
           jsonb_strip_nulls(jsonb_build_object('kind', 'FORUM_KIND_SUMMIT',
             'display_name', 'Forum ' || i,
             'names', jsonb_build_array(jsonb_build_object(
               'text', 'F' || i, 'language', 'en')),
             'parent', CASE WHEN i > 100 THEN 'forums/f' || (i % 100 + 1) END))
    FROM generate_series(1, 5000) i;
    INSERT INTO sessions (name, body)
    SELECT 'forums/f' || (i % 5000 + 1) || '/sessions/s' || i,
           jsonb_build_object('display_name', 'Session ' || i,
             'start_date', jsonb_build_object('year', 1990 + i % 36,
               'month', 1 + i % 12, 'day', 1 + i % 28))
    FROM generate_series(1, 20000) i;
    INSERT INTO memberships (name, body)
    SELECT 'forums/f' || (i % 5000 + 1) || '/memberships/m' || i,
           jsonb_build_object('member', 'participants/p' || (i % 2000 + 1),
             'role', 'MEMBERSHIP_ROLE_MEMBER',
             'period', jsonb_build_object(
               'start', jsonb_build_object('year', 1990 + i % 30),
               'end', jsonb_build_object('year', 1991 + i % 30)))
    FROM generate_series(1, 10000) i;
    INSERT INTO chairmanships (name, body)
    SELECT 'forums/f' || (i % 5000 + 1) || '/chairmanships/c' || i,
           jsonb_build_object(
             'chairs', jsonb_build_array('participants/p' || (i % 2000 + 1),
                                         'participants/p' || (i % 1999 + 1)),
             'term', jsonb_build_object(
               'start', jsonb_build_object('year', 1990 + i % 30),
               'end', jsonb_build_object('year', 1990 + i % 30)))
    FROM generate_series(1, 5000) i;
    ANALYZE;
  )sql");
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

class ListPlans : public ::testing::TestWithParam<Case> {
 protected:
  static void SetUpTestSuite() {
    db_ = TestDatabase::Create().release();
    Populate(*db_);
  }
  static void TearDownTestSuite() { delete db_; }

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
    absl::StatusOr<store::ResourceStore::Statement> statement =
        store.ListStatement(query);
    EXPECT_TRUE(statement.ok()) << statement.status();
    if (!statement.ok()) return "";
    pqxx::connection connection(db_->url());
    pqxx::work txn(connection);
    txn.exec("SET LOCAL enable_seqscan = off");
    std::vector<std::string> lines;
    for (const auto& row : txn.exec_params(
             "EXPLAIN " + statement->sql,
             pqxx::prepare::make_dynamic_params(statement->params))) {
      lines.push_back(row[0].as<std::string>());
    }
    return absl::StrJoin(lines, "\n");
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
             "chairmanships_forum_term"}),
    [](const ::testing::TestParamInfo<Case>& info) {
      return absl::StrCat(info.param.kind, "_", info.index);
    });

}  // namespace
}  // namespace forum_registry
