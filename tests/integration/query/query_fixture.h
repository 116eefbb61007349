#ifndef FORUM_REGISTRY_TESTS_INTEGRATION_QUERY_QUERY_FIXTURE_H_
#define FORUM_REGISTRY_TESTS_INTEGRATION_QUERY_QUERY_FIXTURE_H_

// What the files of the `query_test` program share. Together they test the
// complete API as a client sees it: sources, memberships, sessions,
// chairmanships, action plans and statements through the generated C++ stubs
// over the real port of the real `forum-registry` binary and its PostgreSQL;
// the filter language end to end; "as of" queries; and the integrity rules
// the database enforces (references, sole-chair terms, forced deletes).
//
// One database and one server serve the whole program (SharedRegistry, from
// test_support, registered once, in query_fixture.cc). The filter, order and
// hostile-input tests share one data set (ids "qf-...", created once by
// EnsureFilterData, through DataSetTest); every other test makes records of its
// own under unique ids, so no test depends on another or on their order.
//
// Each refused request is checked three ways: its status code, a message that
// names the offending field, and a database that holds exactly what it held
// before (QueryTest::FullWriteState).

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "forumregistry/v1/action_plan.pb.h"
#include "forumregistry/v1/chairmanship.pb.h"
#include "forumregistry/v1/common.pb.h"
#include "forumregistry/v1/forum.pb.h"
#include "forumregistry/v1/membership.pb.h"
#include "forumregistry/v1/participant.pb.h"
#include "forumregistry/v1/session.pb.h"
#include "forumregistry/v1/source.pb.h"
#include "forumregistry/v1/statement.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/message.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"
#include "gtest/gtest.h"
#include "tests/support/resource_client.h"
#include "tests/support/test_support.h"

namespace forum_registry::query_test {

namespace v1 = ::forumregistry::v1;

// ---------------------------------------------------------------------------
// The clients (tests/support/resource_client.h), over the shared server.

using ::forum_registry::testing::DeleteArgs;
using ::forum_registry::testing::ExpectSameMessage;
using ::forum_registry::testing::ListArgs;
using ::forum_registry::testing::NamesOf;
using ::forum_registry::testing::ResourceClient;

// The client of the kind R on the shared server; it holds nothing but the
// channel, so no call outlives its test.
template <typename R>
ResourceClient<R> Client() {
  return ResourceClient<R>(
      *::forum_registry::testing::SharedRegistry::channel());
}

// The names a list returns over all its pages, or one "error: ..." entry.
template <typename R>
std::vector<std::string> ListNames(const ListArgs& args) {
  std::vector<R> records;
  const grpc::Status status = Client<R>().ListAll(args, &records);
  if (!status.ok()) {
    return {
        absl::StrCat("error: ", ::forum_registry::testing::Describe(status))};
  }
  return NamesOf(records);
}

// ---------------------------------------------------------------------------
// Building records.

v1::PartialDate Date(int year, int month = 0, int day = 0);

v1::Period Span(std::optional<v1::PartialDate> start,
                std::optional<v1::PartialDate> end = std::nullopt);

v1::Participant NewParticipant(
    const std::string& display_name,
    v1::ParticipantKind kind = v1::PARTICIPANT_KIND_STATE);

v1::Forum NewForum(const std::string& display_name,
                   v1::ForumKind kind = v1::FORUM_KIND_ORGANIZATION);

v1::Session NewSession(const std::string& display_name,
                       const v1::PartialDate& start, int ordinal = 0);

v1::Membership NewMembership(
    const std::string& member, std::optional<v1::Period> period = std::nullopt,
    v1::MembershipRole role = v1::MEMBERSHIP_ROLE_MEMBER);

v1::Chairmanship NewChairmanship(const std::vector<std::string>& chairs,
                                 const v1::Period& term);

v1::ActionPlan NewActionPlan(
    const std::string& display_name,
    v1::ActionPlanStatus status = v1::ACTION_PLAN_STATUS_ADOPTED);

v1::Statement NewStatement(
    const std::string& display_name,
    v1::StatementKind kind = v1::STATEMENT_KIND_DECLARATION,
    v1::StatementStatus status = v1::STATEMENT_STATUS_ADOPTED);

v1::Source NewSource(const std::string& display_name);

// "participants/{id}" and "forums/{id}".
std::string Participant(const std::string& id);
std::string Forum(const std::string& id);

// A participant of its own for one test: participants/{prefix}-N.
std::string NewStateId(const std::string& prefix);

// A forum of its own for one test: forums/{prefix}-N.
std::string NewForumId(const std::string& prefix);

// ---------------------------------------------------------------------------
// The fixture every suite derives from.

class QueryTest : public ::testing::Test {
 protected:
  void SetUp() override;

  static ::forum_registry::testing::TestDatabase& db() {
    return *::forum_registry::testing::SharedRegistry::db();
  }

  // TestDatabase::WriteState, which covers the tables of 0001 and the change
  // log, plus the rows and versions of every table 0002 added.
  static std::string FullWriteState();

  // Runs `call` and expects it to be refused with `code` and a message that
  // `message` matches, and the database to hold afterwards exactly what it
  // held before.
  static void ExpectRefusedWithoutWrite(
      const std::function<grpc::Status()>& call, grpc::StatusCode code,
      const ::testing::Matcher<std::string>& message);

  template <typename R>
  static void ExpectCreateRefused(
      const std::string& parent, const std::string& id, const R& resource,
      grpc::StatusCode code, const ::testing::Matcher<std::string>& message) {
    R out;
    ExpectRefusedWithoutWrite(
        [&] { return Client<R>().Create(parent, id, resource, &out); }, code,
        message);
  }

  template <typename R>
  static void ExpectListRefused(
      const ListArgs& args, const ::testing::Matcher<std::string>& message) {
    std::unique_ptr<google::protobuf::Message> out =
        Client<R>().any().NewResponse(
            ::forum_registry::testing::StandardMethod::kList);
    ExpectRefusedWithoutWrite([&] { return Client<R>().List(args, out.get()); },
                              grpc::StatusCode::INVALID_ARGUMENT, message);
  }

  // Expects every table a migration creates to exist still.
  static void ExpectEveryTableExists();
};

// ---------------------------------------------------------------------------
// The shared data set of the filter, order and hostile-input tests.

inline constexpr char kArf[] = "forums/qf-arf";
inline constexpr char kHostile[] = "forums/qf-hostile";

// Where a filter test looks: a parent, a clause that keeps the list to the
// data set, and the prefix of the names it returns.
struct Scope {
  std::string parent;
  std::string clause;
  std::string prefix;
};

extern const Scope kParticipantScope;
extern const Scope kForumScope;
extern const Scope kSourceScope;
extern const Scope kMembershipScope;
extern const Scope kSessionScope;
extern const Scope kChairmanshipScope;
extern const Scope kActionPlanScope;
extern const Scope kStatementScope;

// The fixture of the suites that read the shared data set; the first of them
// to run creates it.
class DataSetTest : public QueryTest {
 protected:
  static void SetUpTestSuite();

  // The names `filter` selects in `scope`, two to a page.
  template <typename R>
  static std::vector<std::string> Select(const Scope& scope,
                                         const std::string& filter,
                                         const std::string& order_by = "") {
    const std::string full =
        scope.clause.empty()
            ? filter
            : (filter.empty()
                   ? scope.clause
                   : absl::StrCat("(", filter, ") AND ", scope.clause));
    return ListNames<R>({.parent = scope.parent,
                         .filter = full,
                         .order_by = order_by,
                         .page_size = 2});
  }

  // `ids` under the scope's prefix, in name order (the default order).
  static std::vector<std::string> Expected(const Scope& scope,
                                           std::vector<std::string> ids,
                                           bool sort = true);

  template <typename R>
  static void ExpectSelects(const Scope& scope, const std::string& filter,
                            const std::vector<std::string>& ids,
                            const std::string& note = "") {
    EXPECT_THAT(Select<R>(scope, filter),
                ::testing::ElementsAreArray(Expected(scope, ids)))
        << "filter: " << filter << (note.empty() ? "" : "; ") << note;
  }

  template <typename R>
  static void ExpectOrder(const Scope& scope, const std::string& order_by,
                          const std::vector<std::string>& ids,
                          const std::string& filter = "") {
    EXPECT_THAT(
        Select<R>(scope, filter, order_by),
        ::testing::ElementsAreArray(Expected(scope, ids, /*sort=*/false)))
        << "order_by: " << order_by << ", filter: " << filter;
  }
};

}  // namespace forum_registry::query_test

#endif  // FORUM_REGISTRY_TESTS_INTEGRATION_QUERY_QUERY_FIXTURE_H_
