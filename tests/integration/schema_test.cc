// The database and the protos state some facts twice, and here the two are
// held together: the reference fields the triggers of the migrations track
// are the fields annotated google.api.resource_reference, every kind of the
// registry has its table (and a table of references exactly when some field
// refers to it by type), and no CHECK constraint lists the values of a proto
// enum, which are the proto's alone to define.

#include <chrono>
#include <future>
#include <pqxx/pqxx>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "forumregistry/v1/session.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/domain/resource_registry.h"
#include "src/store/embedded_migrations.h"
#include "tests/support/test_support.h"

namespace forum_registry {
namespace {

using ::forum_registry::testing::TestDatabase;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAreArray;

class SchemaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { db_ = TestDatabase::Create().release(); }
  static void TearDownTestSuite() { delete db_; }
  static TestDatabase* db_;
};

TestDatabase* SchemaTest::db_ = nullptr;

// The arguments of a trigger, as CREATE TRIGGER gave them.
std::vector<std::string> TriggerArguments(const TestDatabase& db,
                                          const std::string& trigger) {
  // tgargs holds them NUL-terminated; 'escape' writes each NUL as \000.
  const std::string raw = db.Query(absl::StrCat(
      "SELECT encode(tgargs, 'escape') FROM pg_trigger WHERE tgname = '",
      trigger, "'"));
  std::vector<std::string> arguments = absl::StrSplit(raw, "\\000");
  if (!arguments.empty() && arguments.back().empty()) arguments.pop_back();
  return arguments;
}

TEST_F(SchemaTest, ReferenceTriggersTrackTheAnnotatedReferenceFields) {
  for (const domain::ResourceType& type : domain::Resources()) {
    SCOPED_TRACE(type.type);
    // One statement trigger for inserts and one for updates
    // (migrations/0017), with the same arguments.
    const std::vector<std::string> arguments =
        TriggerArguments(*db_, absl::StrCat(type.table, "_references_insert"));
    EXPECT_EQ(
        TriggerArguments(*db_, absl::StrCat(type.table, "_references_update")),
        arguments);
    std::vector<std::string> annotated;
    for (const domain::ReferenceField& reference : type.references) {
      annotated.push_back(
          absl::StrCat(reference.path, " ", reference.json_path));
    }
    if (annotated.empty()) {
      EXPECT_THAT(arguments, IsEmpty());
      continue;
    }
    ASSERT_FALSE(arguments.empty())
        << "no trigger " << type.table << "_references_insert";
    // The record's label for messages, then (field, JSON path) pairs.
    EXPECT_EQ(arguments[0], type.field);
    ASSERT_EQ(arguments.size() % 2, 1u);
    std::vector<std::string> tracked;
    for (size_t i = 1; i + 1 < arguments.size(); i += 2) {
      tracked.push_back(absl::StrCat(arguments[i], " ", arguments[i + 1]));
    }
    EXPECT_THAT(tracked, UnorderedElementsAreArray(annotated));
  }
}

// The reference check is deferred to commit and reads each record staged
// as it stands then: only that row may leave references, even when a
// record was created twice (version 1 both times) or created and changed
// in the same transaction.
TEST_F(SchemaTest, ReferencesAtCommitAreThoseOfTheRowThatStands) {
  const auto forum = [](const std::string& name, const std::string& parent) {
    return absl::StrCat(
        "INSERT INTO forums (name, body) VALUES ('", name,
        "', '{\"kind\":\"FORUM_KIND_SUMMIT\",\"display_name\":\"F\",",
        parent.empty() ? "" : absl::StrCat("\"parent\":\"", parent, "\","),
        "\"status\":\"FORUM_STATUS_ACTIVE\"}')");
  };
  db_->Execute(forum("forums/sync-p1", ""));
  db_->Execute(forum("forums/sync-p2", ""));
  db_->Execute(absl::StrCat(
      "BEGIN; SET CONSTRAINTS ALL DEFERRED; ",
      forum("forums/sync-twice", "forums/sync-p1"),
      "; DELETE FROM forums WHERE name = 'forums/sync-twice'; ",
      forum("forums/sync-twice", "forums/sync-p2"), "; ",
      forum("forums/sync-changed", "forums/sync-p1"),
      "; UPDATE forums SET body = body || '{\"parent\":\"forums/sync-p2\"}', "
      "version = version + 1 WHERE name = 'forums/sync-changed'; COMMIT"));
  const auto parents = [](const std::string& owner) {
    return db_->Query(absl::StrCat(
        "SELECT string_agg(forum, ',' ORDER BY forum) FROM forum_references "
        "WHERE owner = '",
        owner, "'"));
  };
  EXPECT_EQ(parents("forums/sync-twice"), "forums/sync-p2");
  EXPECT_EQ(parents("forums/sync-changed"), "forums/sync-p2");
}

// What the staging of migrations/0017 leaves: nothing, once a transaction
// has ended.
std::string Staged(const TestDatabase& db) {
  return db.Query(
      "SELECT (SELECT count(*) FROM pending_changes) || '/' || "
      "(SELECT count(*) FROM pending_change_flushes) || '/' || "
      "(SELECT count(*) FROM pending_reference_syncs) || '/' || "
      "(SELECT count(*) FROM pending_reference_checks)");
}

// One statement writing many records logs one change each, in the order
// the statement wrote them, and leaves the references of each.
TEST_F(SchemaTest, AStatementsChangesAreLoggedInTheOrderItWroteThem) {
  db_->Execute(
      "INSERT INTO forums (name, body) VALUES ('forums/order-parent', "
      "'{\"kind\":\"FORUM_KIND_SUMMIT\",\"display_name\":\"P\"}')");
  const int64_t before =
      std::stoll(db_->Query("SELECT coalesce(max(sequence), 0) FROM changes"));
  db_->Execute(
      "INSERT INTO forums (name, body) SELECT 'forums/order-' || i, "
      "jsonb_build_object('kind', 'FORUM_KIND_SUMMIT', 'display_name', "
      "'F' || i, 'parent', 'forums/order-parent') "
      "FROM generate_series(1, 40) AS i ORDER BY i DESC");
  EXPECT_EQ(db_->Query(absl::StrCat(
                "SELECT string_agg(resource, ',' ORDER BY sequence) FROM "
                "changes WHERE sequence > ",
                before)),
            db_->Query("SELECT string_agg('forums/order-' || i, ',' ORDER BY "
                       "i DESC) FROM generate_series(1, 40) AS i"));
  EXPECT_EQ(db_->Query(absl::StrCat(
                "SELECT count(DISTINCT transaction) || ' ' || "
                "string_agg(DISTINCT operation, ',') FROM changes WHERE "
                "sequence > ",
                before)),
            "1 CREATE");
  EXPECT_EQ(db_->Query("SELECT count(*) FROM forum_references WHERE forum = "
                       "'forums/order-parent'"),
            "40");
  EXPECT_EQ(Staged(*db_), "0/0/0/0");
}

// A reference to nothing among many records of one statement is refused
// with the message and DETAIL of the row trigger before it, naming the
// record that holds it; nothing is written, nothing stays staged.
TEST_F(SchemaTest, OneBadReferenceInAStatementNamesItsRecordAndWritesNothing) {
  const std::string state = db_->WriteState();
  pqxx::connection connection(db_->url());
  pqxx::work txn(connection);
  try {
    txn.exec(
        "INSERT INTO forums (name, body) SELECT 'forums/bad-' || i, "
        "jsonb_build_object('kind', 'FORUM_KIND_SUMMIT', 'display_name', "
        "'F' || i) || CASE WHEN i = 7 THEN "
        "'{\"parent\": \"forums/none\"}'::jsonb ELSE '{}'::jsonb END FROM "
        "generate_series(1, 20) AS i");
    ADD_FAILURE() << "a reference to a forum that does not exist was stored";
  } catch (const pqxx::sql_error& e) {
    EXPECT_EQ(e.sqlstate(), "23503");
    EXPECT_THAT(e.what(), ::testing::HasSubstr(
                              "forum.parent: forums/none does not exist"));
    EXPECT_THAT(e.what(), ::testing::HasSubstr("owner: forums/bad-7"));
  }
  txn.abort();
  EXPECT_EQ(db_->WriteState(), state);
  EXPECT_EQ(Staged(*db_), "0/0/0/0");
}

TEST_F(SchemaTest, EveryKindHasItsTableAndReferencedKindsATableOfReferences) {
  for (const domain::ResourceType& type : domain::Resources()) {
    SCOPED_TRACE(type.type);
    EXPECT_EQ(db_->Query(absl::StrCat("SELECT to_regclass('", type.table,
                                      "') IS NOT NULL")),
              "t");
    const std::string references = absl::StrCat(type.field, "_references");
    EXPECT_EQ(db_->Query(absl::StrCat("SELECT to_regclass('", references,
                                      "') IS NOT NULL")),
              type.referenced ? "t" : "f");
    EXPECT_EQ(db_->Query(absl::StrCat(
                  "SELECT count(*) FROM reference_kinds WHERE table_name = '",
                  type.table, "'")),
              type.referenced ? "1" : "0");
  }
}

// A filter field the registry calls required (REQUIRED in the proto, not a
// period) is ordered by its column as it is, with no default for NULL
// (store/kinds.cc): the column must be NOT NULL, or keyset pagination
// would lose the rows without it.
TEST_F(SchemaTest, RequiredFilterColumnsAreNotNull) {
  int checked = 0;
  for (const domain::ResourceType& type : domain::Resources()) {
    for (const domain::FilterField& field : type.filters) {
      if (!field.required || field.storage != domain::Storage::kColumn) {
        continue;
      }
      SCOPED_TRACE(absl::StrCat(type.table, ".", field.location));
      EXPECT_EQ(
          db_->Query(absl::StrCat(
              "SELECT attnotnull FROM pg_attribute WHERE attrelid = '",
              type.table, "'::regclass AND attname = '", field.location, "'")),
          "t");
      ++checked;
    }
  }
  EXPECT_GT(checked, 0);
  // The one the order of sessions by start date relies on.
  const domain::ResourceType* sessions =
      domain::FindByMessage(forumregistry::v1::Session::descriptor());
  ASSERT_NE(sessions, nullptr);
  bool start_date_required = false;
  for (const domain::FilterField& field : sessions->filters) {
    if (field.spec.name == "start_date") start_date_required = field.required;
  }
  EXPECT_TRUE(start_date_required);
}

// Migration 0011 (make_searchable, search_records_view): every kind's table
// keeps search_documents by its four statement triggers and is in the view
// snippets read.
TEST_F(SchemaTest, EveryKindIsSearchable) {
  const std::string view =
      db_->Query("SELECT pg_get_viewdef('search_records'::regclass)");
  for (const domain::ResourceType& type : domain::Resources()) {
    SCOPED_TRACE(type.type);
    EXPECT_EQ(db_->Query(absl::StrCat(
                  "SELECT string_agg(tgname, ',' ORDER BY tgname) "
                  "FROM pg_trigger WHERE tgrelid = '",
                  type.table, "'::regclass AND tgname LIKE 'search_index_%'")),
              "search_index_delete,search_index_insert,search_index_truncate,"
              "search_index_update");
    EXPECT_THAT(view, ::testing::HasSubstr(absl::StrCat("FROM ", type.table)));
  }
}

// Every value name of every enum the resources use, at any depth.
void CollectEnumValues(const google::protobuf::Descriptor* message,
                       std::set<const google::protobuf::Descriptor*>* seen,
                       std::set<std::string>* values) {
  if (!seen->insert(message).second) return;
  for (int i = 0; i < message->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = message->field(i);
    if (field->enum_type() != nullptr) {
      for (int v = 0; v < field->enum_type()->value_count(); ++v) {
        values->insert(field->enum_type()->value(v)->name());
      }
    }
    if (field->message_type() != nullptr) {
      CollectEnumValues(field->message_type(), seen, values);
    }
  }
}

TEST_F(SchemaTest, NoCheckConstraintListsTheValuesOfAProtoEnum) {
  std::set<std::string> values;
  std::set<const google::protobuf::Descriptor*> seen;
  for (const domain::ResourceType& type : domain::Resources()) {
    CollectEnumValues(type.descriptor, &seen, &values);
  }
  ASSERT_GT(values.size(), 50u);
  const std::string checks = db_->Query(
      "SELECT string_agg(conrelid::regclass || ': ' || "
      "pg_get_constraintdef(oid), E'\\n') FROM pg_constraint "
      "WHERE contype = 'c' AND connamespace = 'public'::regnamespace");
  ASSERT_FALSE(checks.empty());
  std::vector<std::string> found;
  for (const std::string& value : values) {
    if (checks.find(absl::StrCat("'", value, "'")) != std::string::npos) {
      found.push_back(value);
    }
  }
  EXPECT_THAT(found, IsEmpty()) << checks;
}

TEST_F(SchemaTest, TwoReparentingsAtOnceCannotMakeACycle) {
  // A under nothing, B under nothing; then at once A under B and B under A.
  // Each alone is fine; both would make a cycle. The first holds its
  // transaction open while the second runs: the second must wait for it and
  // then refuse, and the forums must stay a tree.
  db_->Execute(
      "INSERT INTO forums (name, body) VALUES "
      "('forums/cycle-a', '{\"kind\": \"FORUM_KIND_SUMMIT\", "
      "\"display_name\": \"A\"}'), "
      "('forums/cycle-b', '{\"kind\": \"FORUM_KIND_SUMMIT\", "
      "\"display_name\": \"B\"}')");
  const auto reparent = [](pqxx::work& txn, const char* child,
                           const char* parent) {
    txn.exec_params(
        "UPDATE forums SET body = jsonb_set(body, '{parent}', "
        "to_jsonb($2::text)), "
        "version = version + 1 WHERE name = $1",
        child, parent);
  };
  pqxx::connection first_connection(db_->url());
  pqxx::work first(first_connection);
  reparent(first, "forums/cycle-a", "forums/cycle-b");

  std::future<std::string> second = std::async(std::launch::async, [&] {
    pqxx::connection connection(db_->url());
    pqxx::work txn(connection);
    try {
      reparent(txn, "forums/cycle-b", "forums/cycle-a");
      txn.commit();
      return std::string("committed");
    } catch (const pqxx::sql_error& e) {
      return e.sqlstate() + ": " + e.what();
    }
  });
  EXPECT_EQ(second.wait_for(std::chrono::milliseconds(300)),
            std::future_status::timeout)
      << "the second re-parenting did not wait for the first";
  first.commit();
  const std::string outcome = second.get();
  EXPECT_THAT(outcome, ::testing::StartsWith("23514"));
  EXPECT_THAT(outcome, ::testing::HasSubstr("cycle"));
  EXPECT_EQ(
      db_->Query("SELECT parent FROM forums WHERE name = 'forums/cycle-b'"),
      "");
}

// Migration 0014 (handover days) runs again to the same state, and its
// exclusion constraint alone, without the trigger that names the conflict
// first, lets two sole-chair terms share a handover day and nothing more.
TEST_F(SchemaTest, SoleChairTermsShareAHandoverDayByTheConstraintAlone) {
  const auto definitions = [] {
    return db_->Query(
        "SELECT string_agg(d, E'\\n' ORDER BY d) FROM ("
        "  SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint"
        "   WHERE conrelid = 'chairmanships'::regclass AND contype = 'x'"
        "  UNION ALL SELECT pg_get_functiondef(p.oid) FROM pg_proc p"
        "   WHERE proname IN ('sole_chair_span', 'chairmanships_check_overlap')"
        "  UNION ALL SELECT tgname FROM pg_trigger"
        "   WHERE tgrelid = 'chairmanships'::regclass AND NOT tgisinternal) x");
  };
  const std::string before = definitions();
  ASSERT_THAT(before, ::testing::HasSubstr("sole_chair_span"));
  std::string handover_sql;
  for (const store::MigrationFile& migration : store::EmbeddedMigrations()) {
    if (migration.file_name == "0014_handover_days.sql") {
      handover_sql = migration.sql;
    }
  }
  ASSERT_FALSE(handover_sql.empty());
  db_->Execute(handover_sql);
  EXPECT_EQ(definitions(), before) << "0014 run twice";
  EXPECT_EQ(db_->Query("SELECT count(*) FROM pg_constraint WHERE conname = "
                       "'chairmanships_sole_terms_do_not_overlap'"),
            "1");

  pqxx::connection connection(db_->url());
  pqxx::work txn(connection);
  // Rolled back with the transaction.
  txn.exec("ALTER TABLE chairmanships DISABLE TRIGGER chairmanships_overlap");
  txn.exec(
      "INSERT INTO participants (name, body) VALUES ('participants/span-a', "
      "'{\"kind\": \"PARTICIPANT_KIND_STATE\", \"display_name\": \"A\"}');"
      "INSERT INTO forums (name, body) VALUES ('forums/span', "
      "'{\"kind\": \"FORUM_KIND_SUMMIT\", \"display_name\": \"S\"}')");
  // A sole-chair term from `start` to `end` (JSON PartialDates; "" = open).
  const auto insert = [&](const std::string& id, const std::string& start,
                          const std::string& end) {
    pqxx::subtransaction sub(txn, "chairmanship");
    try {
      sub.exec(absl::StrCat(
          "INSERT INTO chairmanships (name, body) VALUES "
          "('forums/span/chairmanships/",
          id, "', '{\"chairs\": [\"participants/span-a\"], \"term\": {",
          "\"start\": ", start, end.empty() ? "" : ", \"end\": ", end, "}}')"));
      sub.commit();
      return std::string("ok");
    } catch (const pqxx::sql_error& e) {
      return e.sqlstate();
    }
  };
  const auto day = [](int y, int m, int d) {
    return absl::StrCat("{\"year\": ", y, ", \"month\": ", m, ", \"day\": ", d,
                        "}");
  };
  const auto year = [](int y) { return absl::StrCat("{\"year\": ", y, "}"); };
  EXPECT_EQ(insert("first", day(2020, 12, 31), day(2021, 7, 20)), "ok");
  EXPECT_EQ(insert("second", day(2021, 7, 20), day(2022, 7, 20)), "ok");
  EXPECT_EQ(insert("third", day(2022, 7, 20), ""), "ok");
  // 23P01: exclusion_violation, from the constraint.
  EXPECT_EQ(insert("two-days", day(2020, 6, 1), day(2021, 1, 1)), "23P01");
  EXPECT_EQ(insert("inside", day(2021, 3, 1), day(2021, 3, 31)), "23P01");
  EXPECT_EQ(insert("one-day", day(2021, 3, 1), day(2021, 3, 1)), "23P01");
  EXPECT_EQ(insert("summit-day", day(2021, 7, 20), day(2021, 7, 20)), "23P01");
  EXPECT_EQ(insert("later", day(2030, 1, 1), ""), "23P01")
      << "inside an open term";
  // Ending "December 2020" or "2020" shares 31 December with `first`: not a
  // handover, since the end is not stated to the day.
  EXPECT_EQ(insert("month-end", day(2020, 11, 1),
                   "{\"year\": 2020, "
                   "\"month\": 12}"),
            "23P01");
  EXPECT_EQ(insert("year-end", day(2019, 6, 1), year(2020)), "23P01");
  EXPECT_EQ(insert("zeroth", day(2020, 1, 1), day(2020, 12, 31)), "ok");
  EXPECT_EQ(txn.exec1("SELECT count(*) FROM chairmanships "
                      "WHERE forum = 'forums/span'")[0]
                .as<int>(),
            4);
}

// search_document() builds the row of a body holding no text but its
// display_name without aggregating its passages (migrations/0023): that row
// is the one the aggregates give, for bodies of each shape, and a body
// holding any key search_passages() reads takes the aggregates.
TEST_F(SchemaTest, SearchDocumentOfANamedOnlyBodyIsTheAggregatedOne) {
  // The names and words search_document() gives, and those the aggregates
  // over search_passages() give.
  const auto document = [&](const std::string& body) {
    return db_->Query(absl::StrCat(
        "SELECT d.names::text || ' ' || d.words::text FROM search_document("
        "'forums/f1', '",
        body, "'::jsonb) d"));
  };
  const auto aggregated = [&](const std::string& body) {
    std::string words;
    for (const char* weight : {"A", "B", "C", "D"}) {
      absl::StrAppend(&words, words.empty() ? "" : " || ",
                      "coalesce(setweight(to_tsvector('forum_registry', "
                      "string_agg(p.passage, E'\\n') FILTER (WHERE p.weight "
                      "= '",
                      weight, "')), '", weight, "'), '')");
    }
    return db_->Query(absl::StrCat(
        "SELECT coalesce(array_agg(search_fold(p.passage) ORDER BY "
        "p.ordinal) FILTER (WHERE p.weight = 'A'), '{}')::text || ' ' || (",
        words,
        " || array_to_tsvector(ARRAY['@forums']))::text "
        "FROM search_passages('",
        body, "'::jsonb) p"));
  };
  const std::vector<std::string> bodies = {
      R"({"display_name": "ASEAN Regional Forum"})",
      R"({})",
      R"({"display_name": ""})",
      R"({"display_name": 5})",
      R"({"display_name": null})",
      R"({"display_name": "  "})",
      R"({"display_name": "Réunion des ministres"})",
      R"({"display_name": "Session 7", "start_date": {"year": 2023}})",
      R"({"display_name": "F", "names": [{"text": "ARF"}]})",
      R"({"display_name": "F", "topics": ["security"]})",
      R"({"display_name": "F", "priority_areas": ["maritime"]})",
      R"({"display_name": "F", "summary": "a summary"})",
      R"({"display_name": "F", "venue": {"city": "Jakarta", "site": "S"}})",
      R"({"display_name": "F", "description": "described"})",
      R"({"display_name": "F", "items": ["one item"]})",
      R"({"display_name": "F", "text": "stated"})",
      R"({"display_name": "F", "facts": [{"metric": "m", "excerpt": "e"}]})",
      R"({"display_name": "F", "citations": [{"source": "sources/s",
          "excerpt": "cited words"}]})",
  };
  for (const std::string& body : bodies) {
    SCOPED_TRACE(body);
    EXPECT_EQ(document(body), aggregated(body));
  }

  // The keys that send a body through the aggregates are those whose paths
  // search_passages() reads, display_name aside: read from both functions.
  const auto source = [&](const std::string& function) {
    return db_->Query(absl::StrCat(
        "SELECT prosrc FROM pg_proc WHERE proname = '", function, "'"));
  };
  std::set<std::string> read;
  const std::string passages = source("search_passages");
  const std::regex key_then_path(R"('([a-z_]+)',\s*'\$\.)");
  for (auto it = std::sregex_iterator(passages.begin(), passages.end(),
                                      key_then_path);
       it != std::sregex_iterator(); ++it) {
    if ((*it)[1] != "display_name") read.insert((*it)[1]);
  }
  std::smatch list;
  const std::string search_document = source("search_document");
  ASSERT_TRUE(std::regex_search(search_document, list,
                                std::regex(R"(\?\|\s*ARRAY\[([^\]]*)\])")))
      << search_document;
  std::set<std::string> listed;
  for (absl::string_view key : absl::StrSplit(list[1].str(), ',')) {
    const absl::string_view quoted = absl::StripAsciiWhitespace(key);
    listed.insert(std::string(quoted.substr(1, quoted.size() - 2)));
  }
  EXPECT_FALSE(read.empty());
  EXPECT_EQ(listed, read);
  EXPECT_EQ(document(bodies[0]),
            "{\"asean regional forum\"} '@forums' 'asean':1A "
            "'forum':3A 'region':2A");
}

}  // namespace
}  // namespace forum_registry
