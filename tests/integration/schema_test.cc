// The database and the protos state some facts twice, and here the two are
// held together: the reference fields the triggers of the migrations track
// are the fields annotated google.api.resource_reference, every kind of the
// registry has its table (and a table of references exactly when some field
// refers to it by type), and no CHECK constraint lists the values of a proto
// enum, which are the proto's alone to define.

#include <chrono>
#include <future>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/domain/resource_registry.h"
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
    const std::vector<std::string> arguments =
        TriggerArguments(*db_, absl::StrCat(type.table, "_references"));
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
        << "no trigger " << type.table << "_references";
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

// The reference sync is deferred to commit and runs once per row written:
// only the row as it stands at commit may leave references, even when a
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

}  // namespace
}  // namespace forum_registry
