// Each kind's service is built from its descriptor and its store from its
// registry entry: every method must be one the generic service can run, and
// every field a filter or order_by accepts must have SQL behind it.

#include "src/api/resource_service.h"

#include "forumregistry/v1/chairmanship.pb.h"
#include "forumregistry/v1/forum.pb.h"
#include "forumregistry/v1/session.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/domain/resource_registry.h"
#include "src/store/kinds.h"

namespace forum_registry::api {
namespace {

using ::testing::ElementsAre;

TEST(ResourceService, EveryMethodOfEveryServiceIsAStandardMethod) {
  for (const domain::ResourceType& type : domain::Resources()) {
    std::vector<StandardMethod> methods;
    for (int i = 0; i < type.service->method_count(); ++i) {
      const std::optional<StandardMethod> method =
          StandardMethodOf(type, type.service->method(i));
      ASSERT_TRUE(method.has_value()) << type.service->method(i)->full_name();
      methods.push_back(*method);
    }
    EXPECT_THAT(methods,
                ElementsAre(StandardMethod::kGet, StandardMethod::kList,
                            StandardMethod::kCreate, StandardMethod::kUpdate,
                            StandardMethod::kDelete, StandardMethod::kUndelete))
        << type.service->full_name();
  }
}

TEST(ResourceService, ListAndCreateRequestsHaveTheFieldsTheServiceReads) {
  for (const domain::ResourceType& type : domain::Resources()) {
    for (int i = 0; i < type.service->method_count(); ++i) {
      const google::protobuf::MethodDescriptor* method =
          type.service->method(i);
      const google::protobuf::Descriptor* in = method->input_type();
      const google::protobuf::Descriptor* out = method->output_type();
      switch (*StandardMethodOf(type, method)) {
        case StandardMethod::kGet:
          EXPECT_NE(in->FindFieldByName("name"), nullptr);
          ASSERT_NE(in->FindFieldByName("as_of_revision"), nullptr);
          EXPECT_EQ(in->FindFieldByName("as_of_revision")->cpp_type(),
                    google::protobuf::FieldDescriptor::CPPTYPE_INT64);
          EXPECT_EQ(out, type.descriptor);
          break;
        case StandardMethod::kList:
          EXPECT_NE(in->FindFieldByName("page_size"), nullptr);
          EXPECT_EQ(in->FindFieldByName("parent") != nullptr,
                    type.parent != nullptr)
              << in->full_name();
          ASSERT_NE(out->FindFieldByName(type.table), nullptr)
              << out->full_name();
          EXPECT_EQ(out->FindFieldByName(type.table)->message_type(),
                    type.descriptor);
          EXPECT_NE(out->FindFieldByName("next_page_token"), nullptr);
          break;
        case StandardMethod::kCreate:
          ASSERT_NE(in->FindFieldByName(type.field), nullptr);
          EXPECT_EQ(in->FindFieldByName(type.field)->message_type(),
                    type.descriptor);
          EXPECT_NE(in->FindFieldByName(type.id_field), nullptr);
          EXPECT_EQ(in->FindFieldByName("parent") != nullptr,
                    type.parent != nullptr);
          EXPECT_EQ(out, type.descriptor);
          break;
        case StandardMethod::kUpdate:
          ASSERT_NE(in->FindFieldByName(type.field), nullptr);
          EXPECT_NE(in->FindFieldByName("update_mask"), nullptr);
          EXPECT_EQ(out, type.descriptor);
          break;
        case StandardMethod::kDelete:
          EXPECT_NE(in->FindFieldByName("name"), nullptr);
          EXPECT_NE(in->FindFieldByName("etag"), nullptr);
          EXPECT_EQ(out->full_name(), "google.protobuf.Empty");
          break;
        case StandardMethod::kUndelete:
          EXPECT_NE(in->FindFieldByName("name"), nullptr);
          EXPECT_NE(in->FindFieldByName("etag"), nullptr);
          EXPECT_NE(in->FindFieldByName("request_id"), nullptr);
          EXPECT_EQ(out, type.descriptor);
          break;
      }
    }
  }
}

// Building a service looks up every request and response field its methods
// read, by AIP name and type, and stops the program on a missing one. The
// pool connects lazily, so nothing here needs a database.
TEST(ResourceService, EveryKindsServiceBuildsWithTheFieldsItReads) {
  store::ConnectionPool pool({.url = "postgresql:///nowhere", .size = 1});
  Dispatcher dispatcher({.workers = 1});
  const auth::Authorizer authorizer({.no_auth = true}, nullptr);
  store::PageTokenKey key(std::string(32, 'k'));
  CostlyLists costly_lists(1, 10000, absl::Milliseconds(250));
  const CommonDeps common = {.dispatcher = dispatcher,
                             .authorizer = authorizer,
                             .page_token_key = key,
                             .costly_lists = costly_lists,
                             .read_pool = pool};
  const SizeLimits limits;
  for (const domain::ResourceType& type : domain::Resources()) {
    ResourceService service(type,
                            {.common = common, .pool = pool, .limits = limits});
    EXPECT_EQ(service.full_name(), type.service->full_name());
  }
  EXPECT_EQ(pool.GetStats().in_use, 0);
}

TEST(ResourceStoreKind, EveryFilterFieldHasAColumnAndEveryOrderFieldASort) {
  for (const domain::ResourceType& type : domain::Resources()) {
    const store::ResourceKind kind = store::KindOf(type);
    for (const domain::FilterField& field : type.filters) {
      ASSERT_TRUE(kind.columns.contains(field.spec.name))
          << type.type << ": " << field.spec.name;
      EXPECT_FALSE(kind.columns.at(field.spec.name).sql.empty());
    }
    for (const std::string& field : type.order_by) {
      const auto column = kind.columns.find(field);
      ASSERT_NE(column, kind.columns.end()) << type.type << ": " << field;
      EXPECT_FALSE(column->second.sort_sql.empty())
          << type.type << ": " << field;
      EXPECT_FALSE(column->second.sort_type.empty())
          << type.type << ": " << field;
    }
  }
}

TEST(ResourceStoreKind, ForumsDeleteTheirChildrenAndKnowWhoReferToThem) {
  const store::ResourceKind forums = store::KindOf(
      *domain::FindByMessage(forumregistry::v1::Forum::descriptor()));
  EXPECT_EQ(forums.table, "forums");
  EXPECT_EQ(forums.references_table, "forum_references");
  EXPECT_EQ(forums.references_column, "forum");
  EXPECT_THAT(forums.children,
              ElementsAre("memberships", "sessions", "chairmanships"));
  EXPECT_EQ(forums.child_parent_column, "forum");
  EXPECT_THAT(forums.child_references,
              ElementsAre(std::pair<std::string, std::string>(
                              "session_references", "session"),
                          std::pair<std::string, std::string>(
                              "chairmanship_references", "chairmanship")));
}

TEST(ResourceStoreKind, BodyFieldsReadTheBodyAndColumnsTheColumn) {
  const store::ResourceKind forums = store::KindOf(
      *domain::FindByMessage(forumregistry::v1::Forum::descriptor()));
  EXPECT_EQ(forums.columns.at("cadence").sql, "body->>'cadence'");
  EXPECT_EQ(forums.columns.at("status").sql, "status");
  EXPECT_EQ(forums.columns.at("topics").sql,
            "coalesce(body#>'{topics}', '[]')");
  EXPECT_EQ(forums.columns.at("founded").sort_sql,
            "coalesce(lower(founded), '-infinity'::date)");
  EXPECT_EQ(forums.columns.at("status").sort_sql, "");
  // A required date orders as it is, as the index on it reads it.
  const store::ResourceKind sessions = store::KindOf(
      *domain::FindByMessage(forumregistry::v1::Session::descriptor()));
  EXPECT_EQ(sessions.columns.at("start_date").sort_sql, "lower(start_date)");
  // A required period may still have an open start.
  const store::ResourceKind chairmanships = store::KindOf(
      *domain::FindByMessage(forumregistry::v1::Chairmanship::descriptor()));
  EXPECT_EQ(chairmanships.columns.at("term").sort_sql,
            "coalesce(lower(term), '-infinity'::date)");
}

}  // namespace
}  // namespace forum_registry::api
