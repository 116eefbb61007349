// The api layer's filter schemas and the store's columns describe the same
// fields from two sides; a field on one side only would be a filter that
// parses and then fails, or SQL nobody can reach.

#include "src/api/resources.h"

#include "gtest/gtest.h"
#include "src/store/kinds.h"

namespace forum_registry::api {
namespace {

struct Pair {
  const char* name;
  ResourceApi api;
  store::ResourceKind kind;
};

std::vector<Pair> AllResources() {
  return {{"participants", ParticipantApi(), store::kinds::Participants()},
          {"forums", ForumApi(), store::kinds::Forums()},
          {"sources", SourceApi(), store::kinds::Sources()},
          {"memberships", MembershipApi(), store::kinds::Memberships()},
          {"sessions", SessionApi(), store::kinds::Sessions()},
          {"chairmanships", ChairmanshipApi(), store::kinds::Chairmanships()},
          {"action_plans", ActionPlanApi(), store::kinds::ActionPlans()},
          {"statements", StatementApi(), store::kinds::Statements()}};
}

TEST(Resources, EveryFilterFieldHasAStoreColumn) {
  for (const Pair& pair : AllResources()) {
    for (const auto& field : pair.api.filter_fields) {
      EXPECT_TRUE(pair.kind.columns.contains(field.name))
          << pair.name << ": " << field.name;
    }
  }
}

TEST(Resources, EveryOrderFieldHasASortExpression) {
  for (const Pair& pair : AllResources()) {
    for (const std::string& field : pair.api.order_fields) {
      const auto column = pair.kind.columns.find(field);
      ASSERT_NE(column, pair.kind.columns.end()) << pair.name << ": " << field;
      EXPECT_FALSE(column->second.sort_sql.empty())
          << pair.name << ": " << field;
      EXPECT_FALSE(column->second.sort_type.empty())
          << pair.name << ": " << field;
    }
  }
}

TEST(Resources, EveryEnumFieldNamesItsEnum) {
  for (const Pair& pair : AllResources()) {
    for (const auto& field : pair.api.filter_fields) {
      if (field.type == domain::filter::FieldType::kEnum) {
        EXPECT_NE(field.enum_type, nullptr) << pair.name << ": " << field.name;
      }
    }
  }
}

TEST(Resources, NestedResourcesLiveUnderForums) {
  for (const Pair& pair : AllResources()) {
    EXPECT_EQ(pair.api.parent_collection.empty(),
              pair.kind.parent_column.empty())
        << pair.name;
  }
}

}  // namespace
}  // namespace forum_registry::api
