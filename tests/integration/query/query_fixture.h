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

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "forumregistry/v1/action_plan.grpc.pb.h"
#include "forumregistry/v1/chairmanship.grpc.pb.h"
#include "forumregistry/v1/common.pb.h"
#include "forumregistry/v1/forum.grpc.pb.h"
#include "forumregistry/v1/membership.grpc.pb.h"
#include "forumregistry/v1/participant.grpc.pb.h"
#include "forumregistry/v1/session.grpc.pb.h"
#include "forumregistry/v1/source.grpc.pb.h"
#include "forumregistry/v1/statement.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/empty.pb.h"
#include "google/protobuf/message.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace forum_registry::query_test {

namespace v1 = ::forumregistry::v1;

// ---------------------------------------------------------------------------
// One generic client for the eight services.

template <typename R>
struct Api;

#define FR_DEFINE_API(Resource, Plural, field, plural_field)              \
  template <>                                                             \
  struct Api<v1::Resource> {                                              \
    using Service = v1::Resource##Service;                                \
    using Stub = v1::Resource##Service::Stub;                             \
    using CreateRequest = v1::Create##Resource##Request;                  \
    using GetRequest = v1::Get##Resource##Request;                        \
    using UpdateRequest = v1::Update##Resource##Request;                  \
    using DeleteRequest = v1::Delete##Resource##Request;                  \
    using ListRequest = v1::List##Plural##Request;                        \
    using ListResponse = v1::List##Plural##Response;                      \
    static constexpr auto kCreate = &Stub::Create##Resource;              \
    static constexpr auto kGet = &Stub::Get##Resource;                    \
    static constexpr auto kUpdate = &Stub::Update##Resource;              \
    static constexpr auto kDelete = &Stub::Delete##Resource;              \
    static constexpr auto kList = &Stub::List##Plural;                    \
    static v1::Resource* Mutable(CreateRequest* request) {                \
      return request->mutable_##field();                                  \
    }                                                                     \
    static v1::Resource* Mutable(UpdateRequest* request) {                \
      return request->mutable_##field();                                  \
    }                                                                     \
    static void SetId(CreateRequest* request, const std::string& id) {    \
      request->set_##field##_id(id);                                      \
    }                                                                     \
    static const google::protobuf::RepeatedPtrField<v1::Resource>& Items( \
        const ListResponse& response) {                                   \
      return response.plural_field();                                     \
    }                                                                     \
  }

FR_DEFINE_API(Participant, Participants, participant, participants);
FR_DEFINE_API(Forum, Forums, forum, forums);
FR_DEFINE_API(Source, Sources, source, sources);
FR_DEFINE_API(Membership, Memberships, membership, memberships);
FR_DEFINE_API(Session, Sessions, session, sessions);
FR_DEFINE_API(Chairmanship, Chairmanships, chairmanship, chairmanships);
FR_DEFINE_API(ActionPlan, ActionPlans, action_plan, action_plans);
FR_DEFINE_API(Statement, Statements, statement, statements);

#undef FR_DEFINE_API

// True for the kinds nested under a forum (their List and Create take a
// parent).
template <typename R>
inline constexpr bool kNested = requires(typename Api<R>::ListRequest request) {
  request.set_parent(std::string());
};

// Calls one method with a fresh stub and context; both are gone when it
// returns, so no call outlives its test.
template <typename R, typename Request, typename Response>
grpc::Status Call(grpc::Status (Api<R>::Stub::*method)(grpc::ClientContext*,
                                                       const Request&,
                                                       Response*),
                  const Request& request, Response* response) {
  auto stub = Api<R>::Service::NewStub(
      *::forum_registry::testing::SharedRegistry::channel());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  return ((*stub).*method)(&context, request, response);
}

template <typename R>
grpc::Status Create(const std::string& parent, const std::string& id,
                    const R& resource, R* out) {
  typename Api<R>::CreateRequest request;
  if constexpr (kNested<R>) request.set_parent(parent);
  *Api<R>::Mutable(&request) = resource;
  Api<R>::SetId(&request, id);
  return Call<R>(Api<R>::kCreate, request, out);
}

template <typename R>
grpc::Status Get(const std::string& name, R* out) {
  typename Api<R>::GetRequest request;
  request.set_name(name);
  return Call<R>(Api<R>::kGet, request, out);
}

template <typename R>
grpc::Status Update(const R& resource, const std::vector<std::string>& paths,
                    R* out) {
  typename Api<R>::UpdateRequest request;
  *Api<R>::Mutable(&request) = resource;
  for (const std::string& path : paths) {
    request.mutable_update_mask()->add_paths(path);
  }
  return Call<R>(Api<R>::kUpdate, request, out);
}

template <typename R>
grpc::Status Delete(const std::string& name, bool force = false) {
  typename Api<R>::DeleteRequest request;
  request.set_name(name);
  if constexpr (requires { request.set_force(true); }) {
    request.set_force(force);
  }
  google::protobuf::Empty empty;
  return Call<R>(Api<R>::kDelete, request, &empty);
}

struct ListArgs {
  std::string parent;
  std::string filter;
  std::string order_by;
  int page_size = 0;
  std::string page_token;
};

template <typename R>
grpc::Status ListPage(const ListArgs& args,
                      typename Api<R>::ListResponse* out) {
  typename Api<R>::ListRequest request;
  if constexpr (kNested<R>) request.set_parent(args.parent);
  request.set_filter(args.filter);
  request.set_order_by(args.order_by);
  request.set_page_size(args.page_size);
  request.set_page_token(args.page_token);
  return Call<R>(Api<R>::kList, request, out);
}

// Every page of a list, in order. Checks that every page but the last is
// full and that no record comes twice.
template <typename R>
grpc::Status ListAll(ListArgs args, std::vector<R>* out, int* pages = nullptr) {
  out->clear();
  std::set<std::string> seen;
  for (int page = 1; page <= 200; ++page) {
    typename Api<R>::ListResponse response;
    const grpc::Status status = ListPage<R>(args, &response);
    if (!status.ok()) return status;
    for (const R& item : Api<R>::Items(response)) {
      EXPECT_TRUE(seen.insert(item.name()).second)
          << item.name() << " came twice; filter: " << args.filter
          << ", order_by: " << args.order_by;
      out->push_back(item);
    }
    if (response.next_page_token().empty()) {
      if (pages != nullptr) *pages = page;
      return grpc::Status::OK;
    }
    if (args.page_size > 0) {
      EXPECT_EQ(Api<R>::Items(response).size(), args.page_size)
          << "a page before the last is not full; filter: " << args.filter;
    }
    args.page_token = response.next_page_token();
  }
  ADD_FAILURE() << "more than 200 pages: the token does not advance";
  return grpc::Status(grpc::StatusCode::INTERNAL, "too many pages");
}

template <typename R>
std::vector<std::string> NamesOf(const std::vector<R>& records) {
  std::vector<std::string> names;
  for (const R& record : records) names.push_back(record.name());
  return names;
}

// The names a list returns over all its pages, or one "error: ..." entry.
template <typename R>
std::vector<std::string> ListNames(const ListArgs& args) {
  std::vector<R> records;
  const grpc::Status status = ListAll<R>(args, &records);
  if (!status.ok()) {
    return {
        absl::StrCat("error: ", ::forum_registry::testing::Describe(status))};
  }
  return NamesOf(records);
}

template <typename R>
R MustCreate(const std::string& parent, const std::string& id,
             const R& resource) {
  R out;
  const grpc::Status status = Create<R>(parent, id, resource, &out);
  EXPECT_TRUE(status.ok()) << "Create " << R::descriptor()->name() << " "
                           << parent << " " << id << ": "
                           << ::forum_registry::testing::Describe(status);
  return out;
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

// Expects `actual` to equal `expected` field by field.
void ExpectSameMessage(const google::protobuf::Message& actual,
                       const google::protobuf::Message& expected);

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
        [&] { return Create<R>(parent, id, resource, &out); }, code, message);
  }

  template <typename R>
  static void ExpectListRefused(
      const ListArgs& args, const ::testing::Matcher<std::string>& message) {
    typename Api<R>::ListResponse out;
    ExpectRefusedWithoutWrite([&] { return ListPage<R>(args, &out); },
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
