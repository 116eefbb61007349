// The complete API as a client sees it: sources, memberships, sessions,
// chairmanships, action plans and statements through the generated C++ stubs
// over the real port of the real `forum-registry` binary and its PostgreSQL;
// the filter language end to end; "as of" queries; and the integrity rules
// the database enforces (references, sole-chair terms, forced deletes).
//
// One database and one server serve the whole program (RegistryEnvironment).
// The filter, order and hostile-input tests share one data set (ids "qf-...",
// created once by EnsureFilterData); every other test makes records of its
// own under unique ids, so no test depends on another or on their order.
//
// Each refused request is checked three ways: its status code, a message that
// names the offending field, and a database that holds exactly what it held
// before (FullWriteState).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "forumregistry/v1/action_plan.grpc.pb.h"
#include "forumregistry/v1/chairmanship.grpc.pb.h"
#include "forumregistry/v1/forum.grpc.pb.h"
#include "forumregistry/v1/membership.grpc.pb.h"
#include "forumregistry/v1/participant.grpc.pb.h"
#include "forumregistry/v1/session.grpc.pb.h"
#include "forumregistry/v1/source.grpc.pb.h"
#include "forumregistry/v1/statement.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace forum_registry {
namespace {

namespace v1 = ::forumregistry::v1;

using ::forum_registry::testing::CodeName;
using ::forum_registry::testing::Describe;
using ::forum_registry::testing::ServerProcess;
using ::forum_registry::testing::TestDatabase;
using ::forum_registry::testing::UniqueId;
using ::google::protobuf::util::MessageDifferencer;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Matcher;

// ---------------------------------------------------------------------------
// The shared database and server.

TestDatabase* g_db = nullptr;
ServerProcess* g_server = nullptr;
std::shared_ptr<grpc::Channel>* g_channel = nullptr;

class RegistryEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    db_ = TestDatabase::Create();
    server_ = ServerProcess::Start(db_->url());
    channel_ = server_->Channel();
    g_db = db_.get();
    g_server = server_.get();
    g_channel = &channel_;
  }

  void TearDown() override {
    g_channel = nullptr;
    g_server = nullptr;
    g_db = nullptr;
    channel_.reset();  // hang up before the server stops
    server_.reset();   // stop the server before its database is dropped
    db_.reset();
  }

 private:
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<ServerProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new RegistryEnvironment);

// ---------------------------------------------------------------------------
// Status helpers.

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
constexpr bool kNested = requires(typename Api<R>::ListRequest request) {
  request.set_parent(std::string());
};

// Calls one method with a fresh stub and context; both are gone when it
// returns, so no call outlives its test.
template <typename R, typename Request, typename Response>
grpc::Status Call(grpc::Status (Api<R>::Stub::*method)(grpc::ClientContext*,
                                                       const Request&,
                                                       Response*),
                  const Request& request, Response* response) {
  auto stub = Api<R>::Service::NewStub(*g_channel);
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
  if (!status.ok()) return {absl::StrCat("error: ", Describe(status))};
  return NamesOf(records);
}

template <typename R>
R MustCreate(const std::string& parent, const std::string& id,
             const R& resource) {
  R out;
  const grpc::Status status = Create<R>(parent, id, resource, &out);
  EXPECT_TRUE(status.ok()) << "Create " << R::descriptor()->name() << " "
                           << parent << " " << id << ": " << Describe(status);
  return out;
}

// ---------------------------------------------------------------------------
// Building records.

v1::PartialDate Date(int year, int month = 0, int day = 0) {
  v1::PartialDate date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return date;
}

v1::Period Span(std::optional<v1::PartialDate> start,
                std::optional<v1::PartialDate> end = std::nullopt) {
  v1::Period period;
  if (start) *period.mutable_start() = *start;
  if (end) *period.mutable_end() = *end;
  return period;
}

template <typename R>
void AddName(R* record, const std::string& text, const std::string& language,
             v1::NameKind kind) {
  v1::Name* name = record->add_names();
  name->set_text(text);
  name->set_language(language);
  name->set_kind(kind);
}

v1::Participant NewParticipant(
    const std::string& display_name,
    v1::ParticipantKind kind = v1::PARTICIPANT_KIND_STATE) {
  v1::Participant participant;
  participant.set_kind(kind);
  participant.set_display_name(display_name);
  return participant;
}

v1::Forum NewForum(const std::string& display_name,
                   v1::ForumKind kind = v1::FORUM_KIND_ORGANIZATION) {
  v1::Forum forum;
  forum.set_kind(kind);
  forum.set_display_name(display_name);
  return forum;
}

v1::Session NewSession(const std::string& display_name,
                       const v1::PartialDate& start, int ordinal = 0) {
  v1::Session session;
  session.set_display_name(display_name);
  *session.mutable_start_date() = start;
  session.set_ordinal(ordinal);
  return session;
}

v1::Membership NewMembership(
    const std::string& member, std::optional<v1::Period> period = std::nullopt,
    v1::MembershipRole role = v1::MEMBERSHIP_ROLE_MEMBER) {
  v1::Membership membership;
  membership.set_member(member);
  membership.set_role(role);
  if (period) *membership.mutable_period() = *period;
  return membership;
}

v1::Chairmanship NewChairmanship(const std::vector<std::string>& chairs,
                                 const v1::Period& term) {
  v1::Chairmanship chairmanship;
  for (const std::string& chair : chairs) chairmanship.add_chairs(chair);
  *chairmanship.mutable_term() = term;
  return chairmanship;
}

v1::ActionPlan NewActionPlan(
    const std::string& display_name,
    v1::ActionPlanStatus status = v1::ACTION_PLAN_STATUS_ADOPTED) {
  v1::ActionPlan plan;
  plan.set_display_name(display_name);
  plan.set_status(status);
  return plan;
}

v1::Statement NewStatement(
    const std::string& display_name,
    v1::StatementKind kind = v1::STATEMENT_KIND_DECLARATION,
    v1::StatementStatus status = v1::STATEMENT_STATUS_ADOPTED) {
  v1::Statement statement;
  statement.set_display_name(display_name);
  statement.set_kind(kind);
  statement.set_status(status);
  return statement;
}

v1::Source NewSource(const std::string& display_name) {
  v1::Source source;
  source.set_display_name(display_name);
  return source;
}

std::string Participant(const std::string& id) {
  return absl::StrCat("participants/", id);
}
std::string Forum(const std::string& id) { return absl::StrCat("forums/", id); }

// A participant of its own for one test: participants/{prefix}-N.
std::string NewStateId(const std::string& prefix) {
  const std::string id = UniqueId(prefix);
  MustCreate<v1::Participant>("", id,
                              NewParticipant(absl::StrCat("State ", id)));
  return Participant(id);
}

// A forum of its own for one test: forums/{prefix}-N.
std::string NewForumId(const std::string& prefix) {
  const std::string id = UniqueId(prefix);
  MustCreate<v1::Forum>("", id, NewForum(absl::StrCat("Forum ", id)));
  return Forum(id);
}

// Expects `actual` to equal `expected` field by field.
void ExpectSameMessage(const google::protobuf::Message& actual,
                       const google::protobuf::Message& expected) {
  std::string differences;
  MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&differences);
  EXPECT_TRUE(differencer.Compare(expected, actual))
      << differences << "\nexpected:\n"
      << expected.DebugString() << "actual:\n"
      << actual.DebugString();
}

// ---------------------------------------------------------------------------
// The fixture.

// Every table a migration creates.
const std::vector<std::string>& AllTables() {
  static const auto* tables =
      new std::vector<std::string>{"schema_migrations",
                                   "reference_kinds",
                                   "participants",
                                   "forums",
                                   "sources",
                                   "memberships",
                                   "sessions",
                                   "chairmanships",
                                   "action_plans",
                                   "statements",
                                   "participant_references",
                                   "forum_references",
                                   "source_references",
                                   "session_references",
                                   "chairmanship_references",
                                   "action_plan_references",
                                   "changes"};
  return *tables;
}

class QueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(g_db, nullptr) << "the test database was not created";
    ASSERT_NE(g_server, nullptr) << "the server was not started";
    ASSERT_GT(g_server->pid(), 0) << "the server is not running:\n"
                                  << g_server->Output();
  }

  static TestDatabase& db() { return *g_db; }

  // TestDatabase::WriteState, which covers the tables of 0001 and the change
  // log, plus the rows and versions of every table 0002 added.
  static std::string FullWriteState() {
    std::vector<std::string> parts;
    for (const char* table : {"sources", "memberships", "sessions",
                              "chairmanships", "action_plans", "statements"}) {
      parts.push_back(absl::StrCat(
          "'", table,
          "', (SELECT count(*) || ':' || coalesce(sum(version), 0) "
          "FROM ",
          table, ")"));
    }
    for (const char* table :
         {"source_references", "session_references", "chairmanship_references",
          "action_plan_references"}) {
      parts.push_back(
          absl::StrCat("'", table, "', (SELECT count(*) FROM ", table, ")"));
    }
    return absl::StrCat(
        db().WriteState(), " | ",
        db().Query(absl::StrCat("SELECT concat_ws(' ', ",
                                absl::StrJoin(parts, ", "), ")")));
  }

  // Runs `call` and expects it to be refused with `code` and a message that
  // `message` matches, and the database to hold afterwards exactly what it
  // held before.
  static void ExpectRefusedWithoutWrite(
      const std::function<grpc::Status()>& call, grpc::StatusCode code,
      const Matcher<std::string>& message) {
    const std::string before = FullWriteState();
    const grpc::Status status = call();
    EXPECT_EQ(CodeName(status.error_code()), CodeName(code))
        << "message: " << status.error_message();
    EXPECT_THAT(std::string(status.error_message()), message);
    EXPECT_EQ(FullWriteState(), before)
        << "the refused request wrote to the database";
  }

  template <typename R>
  static void ExpectCreateRefused(const std::string& parent,
                                  const std::string& id, const R& resource,
                                  grpc::StatusCode code,
                                  const Matcher<std::string>& message) {
    R out;
    ExpectRefusedWithoutWrite(
        [&] { return Create<R>(parent, id, resource, &out); }, code, message);
  }

  template <typename R>
  static void ExpectListRefused(const ListArgs& args,
                                const Matcher<std::string>& message) {
    typename Api<R>::ListResponse out;
    ExpectRefusedWithoutWrite([&] { return ListPage<R>(args, &out); },
                              grpc::StatusCode::INVALID_ARGUMENT, message);
  }

  static void ExpectEveryTableExists() {
    for (const std::string& table : AllTables()) {
      EXPECT_EQ(db().Query(absl::StrCat("SELECT to_regclass('public.", table,
                                        "') IS NOT NULL")),
                "t")
          << "table " << table << " is gone";
    }
  }
};

// ===========================================================================
// CRUD and pagination, the same way for each of the six new kinds.

// Creates seven records with `make`, reads them back, pages through them two
// at a time, updates one through `update_path`, and deletes one.
template <typename R>
void ExerciseCrud(const std::string& parent, const std::string& collection,
                  const std::string& id_prefix, const ListArgs& scope,
                  const std::function<R(int)>& make,
                  const std::string& update_path,
                  const std::function<void(R*)>& change,
                  const std::function<void(const R&)>& check_changed) {
  const std::string prefix = parent.empty()
                                 ? absl::StrCat(collection, "/")
                                 : absl::StrCat(parent, "/", collection, "/");
  std::vector<R> created;
  std::vector<std::string> names;
  for (int i = 0; i < 7; ++i) {
    const std::string id = absl::StrCat(id_prefix, "-", i);
    R out;
    const grpc::Status status = Create<R>(parent, id, make(i), &out);
    ASSERT_TRUE(status.ok()) << "Create " << id << ": " << Describe(status);
    EXPECT_EQ(out.name(), prefix + id);
    EXPECT_EQ(out.etag(), "v1");
    EXPECT_TRUE(out.has_create_time());
    created.push_back(out);
    names.push_back(out.name());
  }
  std::sort(names.begin(), names.end());

  // Get returns what Create returned.
  for (const R& record : created) {
    R got;
    const grpc::Status status = Get<R>(record.name(), &got);
    ASSERT_TRUE(status.ok()) << record.name() << ": " << Describe(status);
    ExpectSameMessage(got, record);
  }

  // Two at a time: four pages, every record once, in name order.
  ListArgs args = scope;
  args.page_size = 2;
  std::vector<R> listed;
  int pages = 0;
  const grpc::Status list_status = ListAll<R>(args, &listed, &pages);
  ASSERT_TRUE(list_status.ok()) << Describe(list_status);
  EXPECT_THAT(NamesOf(listed), ElementsAreArray(names));
  EXPECT_EQ(pages, 4);
  for (const R& record : listed) {
    const auto match =
        std::find_if(created.begin(), created.end(),
                     [&](const R& c) { return c.name() == record.name(); });
    ASSERT_NE(match, created.end());
    ExpectSameMessage(record, *match);
  }

  // Update one field through the mask.
  R patch = created[0];
  change(&patch);
  R updated;
  const grpc::Status update_status = Update<R>(patch, {update_path}, &updated);
  ASSERT_TRUE(update_status.ok()) << Describe(update_status);
  EXPECT_EQ(updated.etag(), "v2");
  check_changed(updated);
  R got;
  ASSERT_TRUE(Get<R>(created[0].name(), &got).ok());
  ExpectSameMessage(got, updated);

  // Delete one: gone from Get and from the list, and logged.
  const std::string gone = created[6].name();
  const grpc::Status delete_status = Delete<R>(gone);
  ASSERT_TRUE(delete_status.ok()) << Describe(delete_status);
  EXPECT_EQ(Get<R>(gone, &got).error_code(), grpc::StatusCode::NOT_FOUND);
  names.erase(std::find(names.begin(), names.end(), gone));
  EXPECT_THAT(ListNames<R>(args), ElementsAreArray(names));
  EXPECT_EQ(g_db->Query(absl::StrCat("SELECT count(*) FROM changes WHERE "
                                     "operation = 'DELETE' AND resource = '",
                                     gone, "'")),
            "1");
}

class CrudTest : public QueryTest {};

TEST_F(CrudTest, Sources) {
  const std::string publisher = NewStateId("publisher");
  const std::string subject = NewForumId("subject");
  ExerciseCrud<v1::Source>(
      "", "sources", UniqueId("crud-src"),
      {.filter = "display_name = \"Crud source *\""},
      [&](int i) {
        v1::Source source = NewSource(absl::StrCat("Crud source ", i));
        source.set_publisher(publisher);
        source.set_document_number(absl::StrCat("CRUD-", i));
        *source.mutable_publish_date() = Date(2020 + i, 3);
        source.set_uri(absl::StrCat("https://example.org/crud/", i));
        source.set_language("en");
        v1::Fact* fact = source.add_facts();
        fact->add_subjects(subject);
        fact->add_subjects(publisher);
        fact->set_metric("trade turnover");
        fact->set_value(19.1 + i);
        fact->set_unit("USD");
        return source;
      },
      "description", [](v1::Source* s) { s->set_description("Changed."); },
      [&](const v1::Source& s) {
        EXPECT_EQ(s.description(), "Changed.");
        EXPECT_EQ(s.publisher(), publisher);
        ASSERT_EQ(s.facts_size(), 1);
        EXPECT_EQ(s.facts(0).subjects(0), subject);
      });
}

TEST_F(CrudTest, Memberships) {
  const std::string forum = NewForumId("crud-mem");
  std::vector<std::string> members;
  for (int i = 0; i < 6; ++i) members.push_back(NewStateId("member"));
  members.push_back(NewForumId("member-forum"));  // a forum may be a member
  ExerciseCrud<v1::Membership>(
      forum, "memberships", "m", {.parent = forum},
      [&](int i) {
        return NewMembership(members[i], Span(Date(2000 + i)),
                             v1::MEMBERSHIP_ROLE_DIALOGUE_PARTNER);
      },
      "period",
      [](v1::Membership* m) {
        *m->mutable_period() = Span(Date(1999, 5), Date(2022, 6, 30));
      },
      [&](const v1::Membership& m) {
        EXPECT_EQ(m.period().start().month(), 5);
        EXPECT_EQ(m.period().end().day(), 30);
        EXPECT_EQ(m.member(), members[0]);
        EXPECT_EQ(m.role(), v1::MEMBERSHIP_ROLE_DIALOGUE_PARTNER);
      });
}

TEST_F(CrudTest, Sessions) {
  const std::string forum = NewForumId("crud-ses");
  const std::string host = NewStateId("host");
  ExerciseCrud<v1::Session>(
      forum, "sessions", "s", {.parent = forum},
      [&](int i) {
        v1::Session session = NewSession(absl::StrCat("Session ", i + 1),
                                         Date(2020, 1, i + 1), i + 1);
        session.mutable_venue()->set_city("Jakarta");
        session.mutable_venue()->set_country(host);
        v1::SessionParticipant* p = session.add_participants();
        p->set_participant(host);
        p->set_role(v1::SESSION_ROLE_HOST);
        session.add_topics("security");
        return session;
      },
      "mode", [](v1::Session* s) { s->set_mode(v1::SESSION_MODE_ONLINE); },
      [&](const v1::Session& s) {
        EXPECT_EQ(s.mode(), v1::SESSION_MODE_ONLINE);
        EXPECT_EQ(s.ordinal(), 1);
        EXPECT_EQ(s.kind(), v1::SESSION_KIND_MEETING) << "the default kind";
        EXPECT_EQ(s.status(), v1::SESSION_STATUS_HELD) << "the default status";
        EXPECT_EQ(s.venue().country(), host);
      });
}

TEST_F(CrudTest, Chairmanships) {
  const std::string forum = NewForumId("crud-chair");
  const std::string chair = NewStateId("chair");
  const std::string other = NewStateId("chair");
  ExerciseCrud<v1::Chairmanship>(
      forum, "chairmanships", "c", {.parent = forum},
      [&](int i) {
        // One sole-chair term a year: none overlaps another.
        return NewChairmanship({chair}, Span(Date(2010 + i), Date(2010 + i)));
      },
      "chairs",
      [&](v1::Chairmanship* c) {
        c->clear_chairs();
        c->add_chairs(other);
      },
      [&](const v1::Chairmanship& c) {
        EXPECT_THAT(c.chairs(), ElementsAre(other));
        EXPECT_EQ(c.status(), v1::CHAIRMANSHIP_STATUS_CURRENT)
            << "the default status";
        EXPECT_EQ(c.term().start().year(), 2010);
      });
}

TEST_F(CrudTest, ActionPlans) {
  const std::string forum = NewForumId("crud-plan");
  const std::string party = NewStateId("party");
  ExerciseCrud<v1::ActionPlan>(
      "", "actionPlans", UniqueId("crud-plan"),
      {.filter = "display_name = \"Crud plan *\""},
      [&](int i) {
        v1::ActionPlan plan = NewActionPlan(absl::StrCat("Crud plan ", i));
        plan.add_forums(forum);
        plan.add_parties(party);
        *plan.mutable_period() = Span(Date(2020 + i), Date(2025 + i));
        plan.add_priority_areas("energy");
        plan.add_items("Hold a workshop.");
        return plan;
      },
      "status",
      [](v1::ActionPlan* p) { p->set_status(v1::ACTION_PLAN_STATUS_EXPIRED); },
      [&](const v1::ActionPlan& p) {
        EXPECT_EQ(p.status(), v1::ACTION_PLAN_STATUS_EXPIRED);
        EXPECT_THAT(p.forums(), ElementsAre(forum));
      });
}

TEST_F(CrudTest, Statements) {
  const std::string forum = NewForumId("crud-stmt");
  const std::string initiator = NewStateId("initiator");
  ExerciseCrud<v1::Statement>(
      "", "statements", UniqueId("crud-stmt"),
      {.filter = "display_name = \"Crud statement *\""},
      [&](int i) {
        v1::Statement statement =
            NewStatement(absl::StrCat("Crud statement ", i));
        statement.set_forum(forum);
        statement.add_initiated_by(initiator);
        *statement.mutable_adoption()->mutable_date() = Date(2023, 7, i + 1);
        statement.add_topics("ict security");
        return statement;
      },
      "summary", [](v1::Statement* s) { s->set_summary("In short."); },
      [&](const v1::Statement& s) {
        EXPECT_EQ(s.summary(), "In short.");
        EXPECT_EQ(s.forum(), forum);
      });
}

// ---------------------------------------------------------------------------
// Nested names and parents.

class NestedTest : public QueryTest {};

TEST_F(NestedTest, ForumsDashListsTheRecordsOfEveryForum) {
  const std::string a = NewForumId("dash-a");
  const std::string b = NewForumId("dash-b");
  const std::string c = NewForumId("dash-c");
  const std::string member = NewStateId("dash-member");
  const std::string chair = NewStateId("dash-chair");
  std::vector<std::string> sessions, memberships, chairmanships;
  for (const std::string& forum : {a, b, c}) {
    for (int i = 1; i <= 2; ++i) {
      sessions.push_back(
          MustCreate<v1::Session>(
              forum, absl::StrCat(i),
              NewSession(absl::StrCat("Dash ", i), Date(2023, i), i))
              .name());
    }
    memberships.push_back(
        MustCreate<v1::Membership>(forum, "m", NewMembership(member)).name());
    chairmanships.push_back(
        MustCreate<v1::Chairmanship>(forum, "c",
                                     NewChairmanship({chair}, Span(Date(2023))))
            .name());
  }
  std::sort(sessions.begin(), sessions.end());
  const std::string scope = absl::StrCat("forum = \"", a, "\" OR forum = \"", b,
                                         "\" OR forum = \"", c, "\"");
  EXPECT_THAT(ListNames<v1::Session>(
                  {.parent = "forums/-", .filter = scope, .page_size = 2}),
              ElementsAreArray(sessions));
  EXPECT_THAT(ListNames<v1::Membership>(
                  {.parent = "forums/-", .filter = scope, .page_size = 2}),
              ElementsAreArray(memberships));
  EXPECT_THAT(ListNames<v1::Chairmanship>(
                  {.parent = "forums/-", .filter = scope, .page_size = 2}),
              ElementsAreArray(chairmanships));
  // A member's memberships in every forum at once.
  EXPECT_THAT(ListNames<v1::Membership>(
                  {.parent = "forums/-",
                   .filter = absl::StrCat("member = \"", member, "\"")}),
              ElementsAreArray(memberships));
  // A parent of its own lists only its own.
  EXPECT_THAT(ListNames<v1::Session>({.parent = b}),
              ElementsAre(b + "/sessions/1", b + "/sessions/2"));
}

TEST_F(NestedTest, MalformedParentIsInvalidArgumentAndWritesNothing) {
  const std::string forum = NewForumId("parent");
  for (const std::string& parent :
       {std::string(""), std::string("forums"), std::string("forums/"),
        std::string("forums/-/x"), std::string("participants/x"),
        std::string("forums/Not_A_Slug"), absl::StrCat(forum, "/sessions"),
        std::string("forums/x' OR '1'='1")}) {
    SCOPED_TRACE(absl::StrCat("parent \"", parent, "\""));
    ExpectListRefused<v1::Session>({.parent = parent}, HasSubstr("parent"));
    ExpectListRefused<v1::Membership>({.parent = parent}, HasSubstr("parent"));
    ExpectListRefused<v1::Chairmanship>({.parent = parent},
                                        HasSubstr("parent"));
    ExpectCreateRefused<v1::Session>(
        parent, "1", NewSession("Bad parent", Date(2023)),
        grpc::StatusCode::INVALID_ARGUMENT, HasSubstr("parent"));
  }
  // `forums/-` lists every forum but creates under none.
  ExpectCreateRefused<v1::Session>(
      "forums/-", "1", NewSession("Dash parent", Date(2023)),
      grpc::StatusCode::INVALID_ARGUMENT, HasSubstr("parent"));
  ExpectCreateRefused<v1::Membership>(
      "forums/-", "m", NewMembership(NewStateId("dash")),
      grpc::StatusCode::INVALID_ARGUMENT, HasSubstr("parent"));
}

TEST_F(NestedTest, CreateUnderAMissingForumIsRefusedNamingItAndWritesNothing) {
  const std::string missing = Forum(UniqueId("missing"));
  const std::string member = NewStateId("member");
  ExpectCreateRefused<v1::Session>(
      missing, "1", NewSession("Nowhere", Date(2023)),
      grpc::StatusCode::INVALID_ARGUMENT, HasSubstr(missing));
  ExpectCreateRefused<v1::Membership>(missing, "m", NewMembership(member),
                                      grpc::StatusCode::INVALID_ARGUMENT,
                                      HasSubstr(missing));
  ExpectCreateRefused<v1::Chairmanship>(
      missing, "c", NewChairmanship({member}, Span(Date(2023))),
      grpc::StatusCode::INVALID_ARGUMENT, HasSubstr(missing));
}

TEST_F(NestedTest, GetUpdateDeleteTakeTheNestedName) {
  const std::string forum = NewForumId("nested");
  const v1::Session created = MustCreate<v1::Session>(
      forum, "30", NewSession("30th session", Date(2023, 7, 14), 30));
  ASSERT_EQ(created.name(), forum + "/sessions/30");

  v1::Session got;
  // A name of another collection, or without its forum, is not a session's.
  for (const std::string& name :
       {std::string("sessions/30"), forum + "/memberships/30",
        forum + "/sessions", std::string("forums/-/sessions/30"),
        forum + "/sessions/30/x"}) {
    SCOPED_TRACE(name);
    ExpectRefusedWithoutWrite([&] { return Get<v1::Session>(name, &got); },
                              grpc::StatusCode::INVALID_ARGUMENT,
                              HasSubstr("name"));
    ExpectRefusedWithoutWrite([&] { return Delete<v1::Session>(name); },
                              grpc::StatusCode::INVALID_ARGUMENT,
                              HasSubstr("name"));
  }
  // The same id under another forum is another record.
  const std::string other = NewForumId("nested");
  ExpectRefusedWithoutWrite(
      [&] { return Get<v1::Session>(other + "/sessions/30", &got); },
      grpc::StatusCode::NOT_FOUND, HasSubstr(other + "/sessions/30"));

  v1::Session patch;
  patch.set_name(created.name());
  patch.set_display_name("Thirtieth session");
  v1::Session updated;
  ASSERT_TRUE(Update<v1::Session>(patch, {"display_name"}, &updated).ok());
  EXPECT_EQ(updated.display_name(), "Thirtieth session");
  EXPECT_EQ(updated.ordinal(), 30);
  EXPECT_EQ(updated.etag(), "v2");

  ASSERT_TRUE(Delete<v1::Session>(created.name()).ok());
  EXPECT_EQ(Get<v1::Session>(created.name(), &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// ===========================================================================
// The shared data set of the filter, order and hostile-input tests.

constexpr char kArf[] = "forums/qf-arf";
constexpr char kHostile[] = "forums/qf-hostile";

void CreateFilterData() {
  // Participants: display names start with "QF " (the scope of their lists).
  v1::Participant russia = NewParticipant("QF Russian Federation");
  AddName(&russia, "Russia", "en", v1::NAME_KIND_SHORT);
  AddName(&russia, "Россия", "ru", v1::NAME_KIND_SHORT);
  AddName(&russia, "Российская Федерация", "ru", v1::NAME_KIND_OFFICIAL);
  MustCreate<v1::Participant>("", "qf-russia", russia);
  v1::Participant indonesia = NewParticipant("QF Republic of Indonesia");
  AddName(&indonesia, "Indonesia", "en", v1::NAME_KIND_SHORT);
  AddName(&indonesia, "Индонезия", "ru", v1::NAME_KIND_SHORT);
  MustCreate<v1::Participant>("", "qf-indonesia", indonesia);
  MustCreate<v1::Participant>("", "qf-china", NewParticipant("QF China"));
  MustCreate<v1::Participant>("", "qf-vietnam", NewParticipant("QF Viet Nam"));
  v1::Participant mfa = NewParticipant("QF Ministry of Foreign Affairs",
                                       v1::PARTICIPANT_KIND_AGENCY);
  mfa.set_affiliation("participants/qf-russia");
  MustCreate<v1::Participant>("", "qf-mfa", mfa);
  v1::Participant unit =
      NewParticipant("QF ARF Unit", v1::PARTICIPANT_KIND_ORGANIZATION);
  AddName(&unit, "ARF", "en", v1::NAME_KIND_ACRONYM);
  MustCreate<v1::Participant>("", "qf-arf-unit", unit);

  // Forums: every one has the topic "qf" (the scope of their lists).
  v1::Forum arf =
      NewForum("QF ASEAN Regional Forum", v1::FORUM_KIND_MINISTERIAL);
  AddName(&arf, "ARF", "en", v1::NAME_KIND_ACRONYM);
  AddName(&arf, "АРФ", "ru", v1::NAME_KIND_ACRONYM);
  AddName(&arf, "Региональный форум АСЕАН", "ru", v1::NAME_KIND_OFFICIAL);
  *arf.mutable_founded() = Date(1994, 7, 25);
  arf.set_cadence(v1::CADENCE_ANNUAL);
  arf.set_meeting_level(v1::MEETING_LEVEL_MINISTERIAL);
  for (const char* topic : {"qf", "security", "ict security"}) {
    arf.add_topics(topic);
  }
  arf.add_initiated_by("participants/qf-indonesia");
  MustCreate<v1::Forum>("", "qf-arf", arf);
  v1::Forum eas = NewForum("QF East Asia Summit", v1::FORUM_KIND_SUMMIT);
  AddName(&eas, "EAS", "en", v1::NAME_KIND_ACRONYM);
  *eas.mutable_founded() = Date(2005, 12, 14);
  eas.set_cadence(v1::CADENCE_ANNUAL);
  eas.set_meeting_level(v1::MEETING_LEVEL_SUMMIT);
  eas.add_topics("qf");
  eas.add_topics("energy");
  MustCreate<v1::Forum>("", "qf-eas", eas);
  v1::Forum ism = NewForum("QF ARF ISM on ICTs", v1::FORUM_KIND_MECHANISM);
  ism.set_parent(kArf);
  *ism.mutable_founded() = Date(2017);
  ism.set_status(v1::FORUM_STATUS_DORMANT);
  ism.add_topics("qf");
  ism.add_topics("ict security");
  MustCreate<v1::Forum>("", "qf-ism", ism);
  v1::Forum old = NewForum("QF Old Dialogue", v1::FORUM_KIND_DIALOGUE);
  *old.mutable_founded() = Date(1990);
  *old.mutable_dissolved() = Date(2000, 6);
  old.set_status(v1::FORUM_STATUS_DISSOLVED);
  old.add_topics("qf");
  MustCreate<v1::Forum>("", "qf-old", old);
  v1::Forum hostile =
      NewForum("QF Hostile Input Platform", v1::FORUM_KIND_PLATFORM);
  hostile.add_topics("qf");
  MustCreate<v1::Forum>("", "qf-hostile", hostile);

  // Sources: document numbers start with "QF-".
  v1::Source src1 = NewSource("QF Chairman's statement of the 30th ARF");
  src1.set_publisher("participants/qf-indonesia");
  src1.set_document_number("QF-001");
  src1.set_language("en");
  *src1.mutable_publish_date() = Date(2023, 7, 14);
  MustCreate<v1::Source>("", "qf-src-1", src1);
  v1::Source src2 = NewSource("QF Press release");
  src2.set_publisher("participants/qf-russia");
  src2.set_document_number("QF-002");
  src2.set_language("ru");
  *src2.mutable_publish_date() = Date(2023, 7);
  MustCreate<v1::Source>("", "qf-src-2", src2);
  v1::Source src3 = NewSource("QF Annual report");
  src3.set_publisher("participants/qf-russia");
  src3.set_document_number("QF-003");
  src3.set_language("en");
  *src3.mutable_publish_date() = Date(2022);
  MustCreate<v1::Source>("", "qf-src-3", src3);
  v1::Source src4 = NewSource("QF Undated note");
  src4.set_document_number("QF-004");
  MustCreate<v1::Source>("", "qf-src-4", src4);

  // Memberships of the ARF.
  MustCreate<v1::Membership>(
      kArf, "russia",
      NewMembership("participants/qf-russia", Span(Date(1994, 7))));
  MustCreate<v1::Membership>(
      kArf, "indonesia",
      NewMembership("participants/qf-indonesia", Span(Date(1994)),
                    v1::MEMBERSHIP_ROLE_FOUNDING_MEMBER));
  MustCreate<v1::Membership>(
      kArf, "china",
      NewMembership("participants/qf-china", Span(Date(1994), Date(2010, 6))));
  MustCreate<v1::Membership>(kArf, "vietnam",
                             NewMembership("participants/qf-vietnam",
                                           Span(Date(2015, 3, 1), Date(2020)),
                                           v1::MEMBERSHIP_ROLE_OBSERVER));
  MustCreate<v1::Membership>(
      kArf, "eas",
      NewMembership("forums/qf-eas", Span(Date(2019), Date(2019)),
                    v1::MEMBERSHIP_ROLE_GUEST));

  // Sessions of the ARF.
  const auto session =
      [](const std::string& name, int ordinal, v1::PartialDate start,
         v1::SessionMode mode, const std::string& city,
         v1::MeetingLevel level = v1::MEETING_LEVEL_MINISTERIAL,
         v1::SessionKind kind = v1::SESSION_KIND_SESSION) {
        v1::Session s = NewSession(name, start, ordinal);
        s.set_mode(mode);
        s.set_level(level);
        s.set_kind(kind);
        if (!city.empty()) s.mutable_venue()->set_city(city);
        return s;
      };
  MustCreate<v1::Session>(
      kArf, "27",
      session("27th ASEAN Regional Forum", 27, Date(2020, 9, 12),
              v1::SESSION_MODE_ONLINE, "Hanoi"));
  MustCreate<v1::Session>(
      kArf, "28",
      session("28th ASEAN Regional Forum", 28, Date(2021, 8, 6),
              v1::SESSION_MODE_ONLINE, "Bandar Seri Begawan"));
  v1::Session s29 = session("29th ASEAN Regional Forum", 29, Date(2022, 8, 3),
                            v1::SESSION_MODE_IN_PERSON, "Phnom Penh");
  *s29.mutable_end_date() = Date(2022, 8, 5);
  MustCreate<v1::Session>(kArf, "29", s29);
  v1::Session s30 = session("30th ASEAN Regional Forum", 30, Date(2023, 7, 14),
                            v1::SESSION_MODE_IN_PERSON, "Jakarta");
  s30.mutable_venue()->set_country("participants/qf-indonesia");
  v1::SessionParticipant* host = s30.add_participants();
  host->set_participant("participants/qf-indonesia");
  host->set_role(v1::SESSION_ROLE_HOST);
  s30.add_participants()->set_participant("participants/qf-russia");
  s30.add_topics("ict security");
  MustCreate<v1::Session>(kArf, "30", s30);
  MustCreate<v1::Session>(
      kArf, "som-2023",
      session("ARF Senior Officials' Meeting", 0, Date(2023, 6),
              v1::SESSION_MODE_HYBRID, "Jakarta",
              v1::MEETING_LEVEL_SENIOR_OFFICIALS, v1::SESSION_KIND_MEETING));
  v1::Session side =
      session("Sideline meeting on ICT security", 0, Date(2023, 7, 14),
              v1::SESSION_MODE_IN_PERSON, "Jakarta", v1::MEETING_LEVEL_EXPERT,
              v1::SESSION_KIND_MEETING);
  side.set_parent_session("forums/qf-arf/sessions/30");
  MustCreate<v1::Session>(kArf, "side-2023", side);
  MustCreate<v1::Session>(
      kArf, "31",
      session("31st ASEAN Regional Forum", 31, Date(2024, 7),
              v1::SESSION_MODE_IN_PERSON, "Vientiane"));
  v1::Session s32 = session("32nd ASEAN Regional Forum", 32, Date(2025),
                            v1::SESSION_MODE_UNSPECIFIED, "");
  s32.set_status(v1::SESSION_STATUS_PLANNED);
  MustCreate<v1::Session>(kArf, "32", s32);
  // A meeting of the ISM held on the sidelines of the 30th ARF.
  v1::Session ism1 = NewSession("1st ISM on ICTs", Date(2023, 7, 13), 1);
  ism1.set_parent_session("forums/qf-arf/sessions/30");
  MustCreate<v1::Session>("forums/qf-ism", "1", ism1);

  // Sessions whose names are hostile strings, matched literally or not at
  // all; the decoy matches if '%' or '_' were LIKE wildcards.
  MustCreate<v1::Session>(
      kHostile, "h-literal",
      NewSession("100% ARF_meeting \\ O'Brien", Date(2023), 1));
  MustCreate<v1::Session>(
      kHostile, "h-decoy",
      NewSession("1000 ARFxmeeting / O-Brien", Date(2023), 2));
  MustCreate<v1::Session>(
      kHostile, "h-sql",
      NewSession("'; DROP TABLE sessions; --", Date(2023), 3));

  // Chairmanships of the ARF.
  v1::Chairmanship c2020 = NewChairmanship({"participants/qf-vietnam"},
                                           Span(Date(2020), Date(2020)));
  c2020.set_status(v1::CHAIRMANSHIP_STATUS_ENDED);
  MustCreate<v1::Chairmanship>(kArf, "ch-2020", c2020);
  v1::Chairmanship c2023 =
      NewChairmanship({"participants/qf-indonesia"},
                      Span(Date(2023, 1, 1), Date(2023, 12, 31)));
  c2023.set_status(v1::CHAIRMANSHIP_STATUS_ENDED);
  MustCreate<v1::Chairmanship>(kArf, "ch-2023", c2023);
  v1::Chairmanship c2024 =
      NewChairmanship({"participants/qf-russia", "participants/qf-indonesia"},
                      Span(Date(2024)));
  c2024.set_continues("forums/qf-arf/chairmanships/ch-2023");
  MustCreate<v1::Chairmanship>(kArf, "ch-2024", c2024);
  v1::Chairmanship c2026 =
      NewChairmanship({"participants/qf-china"}, Span(Date(2026), Date(2026)));
  c2026.set_status(v1::CHAIRMANSHIP_STATUS_PLANNED);
  MustCreate<v1::Chairmanship>(kArf, "ch-2026", c2026);

  // Action plans: every one has the priority area "qf".
  v1::ActionPlan hpa =
      NewActionPlan("QF Hanoi Plan of Action", v1::ACTION_PLAN_STATUS_IN_FORCE);
  AddName(&hpa, "HPA", "en", v1::NAME_KIND_ACRONYM);
  AddName(&hpa, "Ханойский план действий", "ru", v1::NAME_KIND_OFFICIAL);
  hpa.add_forums(kArf);
  hpa.add_parties("participants/qf-russia");
  hpa.add_parties("participants/qf-vietnam");
  *hpa.mutable_period() = Span(Date(2021), Date(2025));
  hpa.mutable_adoption()->set_session("forums/qf-arf/sessions/28");
  *hpa.mutable_adoption()->mutable_date() = Date(2021, 8, 6);
  hpa.add_priority_areas("qf");
  hpa.add_priority_areas("ict security");
  MustCreate<v1::ActionPlan>("", "qf-hpa", hpa);
  v1::ActionPlan wp =
      NewActionPlan("QF Work Plan on Energy", v1::ACTION_PLAN_STATUS_EXPIRED);
  wp.add_forums("forums/qf-eas");
  wp.add_parties("participants/qf-china");
  *wp.mutable_period() = Span(Date(2016, 1), Date(2020, 12));
  *wp.mutable_adoption()->mutable_date() = Date(2015, 11);
  wp.add_priority_areas("qf");
  wp.add_priority_areas("energy");
  MustCreate<v1::ActionPlan>("", "qf-wp", wp);
  v1::ActionPlan roadmap =
      NewActionPlan("QF Roadmap", v1::ACTION_PLAN_STATUS_EXPECTED);
  roadmap.add_forums(kArf);
  roadmap.add_forums("forums/qf-eas");
  *roadmap.mutable_period() = Span(Date(2026));
  roadmap.set_implements("actionPlans/qf-hpa");
  roadmap.add_priority_areas("qf");
  MustCreate<v1::ActionPlan>("", "qf-roadmap", roadmap);

  // Statements: every one has the topic "qf".
  v1::Statement chair = NewStatement("QF Chairman's Statement of the 30th ARF",
                                     v1::STATEMENT_KIND_CHAIRS_STATEMENT);
  AddName(&chair, "Заявление Председателя", "ru", v1::NAME_KIND_OFFICIAL);
  chair.set_forum(kArf);
  chair.mutable_adoption()->set_session("forums/qf-arf/sessions/30");
  *chair.mutable_adoption()->mutable_date() = Date(2023, 7, 14);
  chair.add_initiated_by("participants/qf-indonesia");
  chair.add_topics("qf");
  chair.add_topics("ict security");
  MustCreate<v1::Statement>("", "qf-st-chair", chair);
  v1::Statement joint = NewStatement("QF Joint Statement on ICT Security",
                                     v1::STATEMENT_KIND_JOINT_STATEMENT);
  AddName(&joint, "ARF ICT statement", "en", v1::NAME_KIND_ALIAS);
  joint.set_forum("forums/qf-eas");
  *joint.mutable_adoption()->mutable_date() = Date(2023, 9);
  joint.add_initiated_by("participants/qf-russia");
  joint.add_initiated_by("participants/qf-indonesia");
  joint.add_topics("qf");
  MustCreate<v1::Statement>("", "qf-st-joint", joint);
  v1::Statement draft =
      NewStatement("QF Draft Declaration", v1::STATEMENT_KIND_DECLARATION,
                   v1::STATEMENT_STATUS_EXPECTED);
  draft.add_initiated_by("participants/qf-russia");
  draft.add_topics("qf");
  draft.add_topics("energy");
  MustCreate<v1::Statement>("", "qf-st-draft", draft);
}

// Creates the data set once, for the first suite that needs it.
void EnsureFilterData() {
  static bool created = false;
  if (created || g_channel == nullptr) return;
  created = true;
  CreateFilterData();
}

// Where a filter test looks: a parent, a clause that keeps the list to the
// data set, and the prefix of the names it returns.
struct Scope {
  std::string parent;
  std::string clause;
  std::string prefix;
};

const Scope kParticipantScope{"", "display_name = \"QF *\"", "participants/"};
const Scope kForumScope{"", "topics:\"qf\"", "forums/"};
const Scope kSourceScope{"", "document_number = \"QF-*\"", "sources/"};
const Scope kMembershipScope{kArf, "", "forums/qf-arf/memberships/"};
const Scope kSessionScope{kArf, "", "forums/qf-arf/sessions/"};
const Scope kChairmanshipScope{kArf, "", "forums/qf-arf/chairmanships/"};
const Scope kActionPlanScope{"", "priority_areas:\"qf\"", "actionPlans/"};
const Scope kStatementScope{"", "topics:\"qf\"", "statements/"};

class DataSetTest : public QueryTest {
 protected:
  static void SetUpTestSuite() { EnsureFilterData(); }

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
                                           bool sort = true) {
    for (std::string& id : ids) id = scope.prefix + id;
    if (sort) std::sort(ids.begin(), ids.end());
    return ids;
  }

  template <typename R>
  static void ExpectSelects(const Scope& scope, const std::string& filter,
                            const std::vector<std::string>& ids,
                            const std::string& note = "") {
    EXPECT_THAT(Select<R>(scope, filter),
                ElementsAreArray(Expected(scope, ids)))
        << "filter: " << filter << (note.empty() ? "" : "; ") << note;
  }

  template <typename R>
  static void ExpectOrder(const Scope& scope, const std::string& order_by,
                          const std::vector<std::string>& ids,
                          const std::string& filter = "") {
    EXPECT_THAT(Select<R>(scope, filter, order_by),
                ElementsAreArray(Expected(scope, ids, /*sort=*/false)))
        << "order_by: " << order_by << ", filter: " << filter;
  }
};

// ===========================================================================
// The filter language, end to end.

class FilterTest : public DataSetTest {};

TEST_F(FilterTest, SessionsByEveryOperatorOnNumbers) {
  using R = v1::Session;
  const Scope& s = kSessionScope;
  ExpectSelects<R>(s, "ordinal = 30", {"30"});
  ExpectSelects<R>(s, "ordinal = 0", {"side-2023", "som-2023"});
  ExpectSelects<R>(s, "ordinal != 0", {"27", "28", "29", "30", "31", "32"});
  ExpectSelects<R>(s, "ordinal < 28", {"27", "side-2023", "som-2023"});
  ExpectSelects<R>(s, "ordinal <= 28", {"27", "28", "side-2023", "som-2023"});
  ExpectSelects<R>(s, "ordinal > 30", {"31", "32"});
  ExpectSelects<R>(s, "ordinal >= 30", {"30", "31", "32"});
  ExpectSelects<R>(
      s, "ordinal > -1",
      {"27", "28", "29", "30", "31", "32", "side-2023", "som-2023"});
  ExpectSelects<R>(s, "ordinal = 030", {"30"});
}

TEST_F(FilterTest, SessionsByDatesAtYearMonthAndDayPrecision) {
  using R = v1::Session;
  const Scope& s = kSessionScope;
  // '=' means "shares a day".
  ExpectSelects<R>(s, "start_date = \"2023\"", {"30", "side-2023", "som-2023"});
  ExpectSelects<R>(s, "start_date = \"2023-07\"", {"30", "side-2023"});
  ExpectSelects<R>(s, "start_date = \"2023-07-14\"", {"30", "side-2023"});
  ExpectSelects<R>(s, "start_date = \"2023-06-15\"", {"som-2023"},
                   "a session in June 2023 shares 15 June 2023");
  ExpectSelects<R>(s, "start_date = \"2024-07-31\"", {"31"});
  ExpectSelects<R>(s, "start_date = \"2025-12-31\"", {"32"});
  ExpectSelects<R>(s, "start_date != \"2023\"", {"27", "28", "29", "31", "32"});
  // '<' and '>=' compare first days; '<=' and '>' the value's last day.
  ExpectSelects<R>(s, "start_date < \"2021\"", {"27"});
  ExpectSelects<R>(s, "start_date <= \"2021\"", {"27", "28"});
  ExpectSelects<R>(s, "start_date > \"2024-06\"", {"31", "32"});
  ExpectSelects<R>(s, "start_date >= \"2024-07-02\"", {"32"},
                   "July 2024 starts on the 1st");
  ExpectSelects<R>(s, "start_date >= \"2023-07\" AND start_date <= \"2023-07\"",
                   {"30", "side-2023"});
  ExpectSelects<R>(s, "start_date >= \"2023\" AND start_date <= \"2023\"",
                   {"30", "side-2023", "som-2023"});
  // A missing date matches no comparison; NOT is still the complement.
  ExpectSelects<R>(s, "end_date = \"2022-08\"", {"29"});
  ExpectSelects<R>(s, "end_date != \"2022\"", {});
  ExpectSelects<R>(s, "NOT end_date = \"2022\"",
                   {"27", "28", "30", "31", "32", "side-2023", "som-2023"});
  // A meeting of several days is active on each of them.
  ExpectSelects<R>(s, "active_on = \"2022-08-04\"", {"29"});
  ExpectSelects<R>(s, "active_on = \"2022-08-06\"", {});
  ExpectSelects<R>(s, "active_on = \"2023-06-30\"", {"som-2023"});
  ExpectSelects<R>(s, "active_on = \"2023-07-01\"", {});
}

TEST_F(FilterTest, SessionsByEnumsInShortFullAndQuotedSpelling) {
  using R = v1::Session;
  const Scope& s = kSessionScope;
  ExpectSelects<R>(s, "mode = ONLINE", {"27", "28"});
  ExpectSelects<R>(s, "mode = SESSION_MODE_IN_PERSON",
                   {"29", "30", "31", "side-2023"});
  ExpectSelects<R>(s, "mode = \"HYBRID\"", {"som-2023"});
  ExpectSelects<R>(s, "mode != ONLINE",
                   {"29", "30", "31", "32", "side-2023", "som-2023"});
  ExpectSelects<R>(s, "level = SENIOR_OFFICIALS", {"som-2023"});
  ExpectSelects<R>(s, "level = MEETING_LEVEL_EXPERT", {"side-2023"});
  ExpectSelects<R>(s, "kind = MEETING", {"side-2023", "som-2023"});
  ExpectSelects<R>(s, "status = PLANNED", {"32"});
  ExpectSelects<R>(s, "status = SESSION_STATUS_HELD",
                   {"27", "28", "29", "30", "31", "side-2023", "som-2023"});
}

TEST_F(FilterTest, SessionsByTextReferencesAndLists) {
  using R = v1::Session;
  const Scope& s = kSessionScope;
  ExpectSelects<R>(s, "venue.city = \"Jakarta\"",
                   {"30", "side-2023", "som-2023"});
  ExpectSelects<R>(s, "venue.city = \"jakarta\"", {}, "'=' is exact");
  ExpectSelects<R>(s, "venue.city:\"PENH\"", {"29"}, "':' ignores case");
  ExpectSelects<R>(s, "venue.city = \"V*\"", {"31"});
  ExpectSelects<R>(s, "venue.city = \"*ta\"", {"30", "side-2023", "som-2023"});
  ExpectSelects<R>(s, "venue.city = \"*Seri*\"", {"28"});
  ExpectSelects<R>(s, "venue.city < \"I\"", {"27", "28", "32"},
                   "an unset city is \"\"");
  ExpectSelects<R>(s, "venue.city >= \"Phnom Penh\"", {"29", "31"});
  ExpectSelects<R>(s, "display_name:\"30TH\"", {"30"});
  ExpectSelects<R>(s, "display_name > \"3\"",
                   {"30", "31", "32", "side-2023", "som-2023"});
  ExpectSelects<R>(s, "venue.country = \"participants/qf-indonesia\"", {"30"});
  ExpectSelects<R>(s, "participants:\"participants/qf-russia\"", {"30"});
  ExpectSelects<R>(s, "topics:\"ict security\"", {"30"});
  ExpectSelects<R>(s, "topics:\"ict\"", {}, "':' on a list is an element");
  ExpectSelects<R>(s, "parent_session = \"forums/qf-arf/sessions/30\"",
                   {"side-2023"});
  ExpectSelects<R>(s, "parent_session = \"\"",
                   {"27", "28", "29", "30", "31", "32", "som-2023"});
  // Across forums: the ISM's meeting on the sidelines of the 30th ARF too.
  EXPECT_THAT(ListNames<R>(
                  {.parent = "forums/-",
                   .filter = "parent_session = \"forums/qf-arf/sessions/30\""}),
              ElementsAre("forums/qf-arf/sessions/side-2023",
                          "forums/qf-ism/sessions/1"));
}

// A proto3 string that is not set is "": `!=` holds for it, as it does for an
// unset enum, reference or number, and `field != x` is `NOT field = x`.
TEST_F(FilterTest, UnsetTextIsTheEmptyString) {
  ExpectSelects<v1::Session>(kSessionScope, "venue.city != \"Jakarta\"",
                             {"27", "28", "29", "31", "32"});
  ExpectSelects<v1::Session>(kSessionScope, "venue.city = \"\"", {"32"});
  ExpectSelects<v1::Source>(kSourceScope, "language != \"ru\"",
                            {"qf-src-1", "qf-src-3", "qf-src-4"});
  ExpectSelects<v1::Source>(kSourceScope, "language = \"\"", {"qf-src-4"});
}

TEST_F(FilterTest, AndOrNotAndParentheses) {
  using R = v1::Session;
  const Scope& s = kSessionScope;
  ExpectSelects<R>(s, "ordinal = 27 OR ordinal = 31", {"27", "31"});
  ExpectSelects<R>(s, "mode = ONLINE AND ordinal > 27", {"28"});
  ExpectSelects<R>(s, "mode = IN_PERSON ordinal >= 30", {"30", "31"},
                   "side by side means AND");
  ExpectSelects<R>(s, "NOT mode = ONLINE",
                   {"29", "30", "31", "32", "side-2023", "som-2023"});
  ExpectSelects<R>(s, "-mode = ONLINE",
                   {"29", "30", "31", "32", "side-2023", "som-2023"});
  ExpectSelects<R>(s, "NOT NOT mode = ONLINE", {"27", "28"});
  ExpectSelects<R>(s, "NOT (mode = ONLINE OR mode = IN_PERSON)",
                   {"32", "som-2023"});
  ExpectSelects<R>(s, "(ordinal = 27 OR ordinal = 29) AND mode = ONLINE",
                   {"27"});
  // OR binds tighter than AND (AIP-160), unlike SQL.
  ExpectSelects<R>(s, "ordinal = 27 AND mode = ONLINE OR mode = HYBRID",
                   {"27"});
  ExpectSelects<R>(s, "mode = HYBRID OR mode = ONLINE AND ordinal = 28",
                   {"28"});
  ExpectSelects<R>(
      s, "(start_date = \"2023\" OR start_date = \"2020\") -kind = MEETING",
      {"27", "30"});
}

TEST_F(FilterTest, ParticipantsByNamesInAnyLanguageIgnoringCase) {
  using R = v1::Participant;
  const Scope& s = kParticipantScope;
  ExpectSelects<R>(s, "names:\"russia\"", {"qf-russia"});
  ExpectSelects<R>(s, "names:\"RUSSIA\"", {"qf-russia"});
  ExpectSelects<R>(s, "names:\"россия\"", {"qf-russia"});
  ExpectSelects<R>(s, "names:\"РОССИЙСКАЯ ФЕДЕРАЦИЯ\"", {"qf-russia"});
  ExpectSelects<R>(s, "names = \"индонезия\"", {"qf-indonesia"});
  ExpectSelects<R>(s, "names:\"qf china\"", {"qf-china"},
                   "the display name is a name too");
  ExpectSelects<R>(s, "names:\"arf\"", {"qf-arf-unit"});
  ExpectSelects<R>(s, "names:\"Russ\"", {}, "a name, not a part of one");
  ExpectSelects<R>(s, "kind = AGENCY", {"qf-mfa"});
  ExpectSelects<R>(s, "kind != STATE", {"qf-arf-unit", "qf-mfa"});
  ExpectSelects<R>(s, "kind = PARTICIPANT_KIND_ORGANIZATION", {"qf-arf-unit"});
  ExpectSelects<R>(s, "affiliation = \"participants/qf-russia\"", {"qf-mfa"});
  ExpectSelects<R>(s, "display_name:\"REPUBLIC\"", {"qf-indonesia"});
  ExpectSelects<R>(s, "display_name < \"QF D\"", {"qf-arf-unit", "qf-china"});
  ExpectSelects<R>(s, "display_name >= \"QF R\"",
                   {"qf-indonesia", "qf-russia", "qf-vietnam"});
  ExpectSelects<R>(s, "display_name = \"QF China\"", {"qf-china"});
  ExpectSelects<R>(s, "kind = STATE AND names:\"россия\"", {"qf-russia"});
}

TEST_F(FilterTest, ForumsByNamesParentStatusDatesAndTopics) {
  using R = v1::Forum;
  const Scope& s = kForumScope;
  ExpectSelects<R>(s, "names:\"arf\"", {"qf-arf"});
  ExpectSelects<R>(s, "names:\"Arf\"", {"qf-arf"});
  ExpectSelects<R>(s, "names:\"арф\"", {"qf-arf"});
  ExpectSelects<R>(s, "names:\"АРФ\"", {"qf-arf"});
  ExpectSelects<R>(s, "names:\"региональный форум асеан\"", {"qf-arf"});
  ExpectSelects<R>(s, "names:\"ASEAN\"", {});
  ExpectSelects<R>(s, "names:\"arf\" OR parent = \"forums/qf-arf\"",
                   {"qf-arf", "qf-ism"});
  ExpectSelects<R>(s, "parent = \"forums/qf-arf\"", {"qf-ism"});
  ExpectSelects<R>(s, "parent = \"\"",
                   {"qf-arf", "qf-eas", "qf-hostile", "qf-old"});
  ExpectSelects<R>(s, "status = DORMANT", {"qf-ism"});
  ExpectSelects<R>(s, "status = FORUM_STATUS_DISSOLVED", {"qf-old"});
  ExpectSelects<R>(s, "status = \"ACTIVE\"",
                   {"qf-arf", "qf-eas", "qf-hostile"});
  ExpectSelects<R>(s, "kind = SUMMIT", {"qf-eas"});
  ExpectSelects<R>(s, "cadence = ANNUAL", {"qf-arf", "qf-eas"});
  ExpectSelects<R>(s, "meeting_level = SUMMIT", {"qf-eas"});
  ExpectSelects<R>(s, "founded < \"2000\"", {"qf-arf", "qf-old"});
  ExpectSelects<R>(s, "founded <= \"1994\"", {"qf-arf", "qf-old"});
  ExpectSelects<R>(s, "founded = \"1994-07\"", {"qf-arf"});
  ExpectSelects<R>(s, "founded >= \"2005-12\"", {"qf-eas", "qf-ism"});
  ExpectSelects<R>(s, "founded > \"2005-12-13\"", {"qf-eas", "qf-ism"});
  ExpectSelects<R>(s, "founded > \"2005-12-14\"", {"qf-ism"});
  ExpectSelects<R>(s, "dissolved = \"2000\"", {"qf-old"});
  ExpectSelects<R>(s, "topics:\"ict security\"", {"qf-arf", "qf-ism"});
  ExpectSelects<R>(s, "initiated_by:\"participants/qf-indonesia\"", {"qf-arf"});
  ExpectSelects<R>(s, "display_name:\"asean\"", {"qf-arf"});
}

TEST_F(FilterTest, SourcesByPublisherLanguageAndDate) {
  using R = v1::Source;
  const Scope& s = kSourceScope;
  ExpectSelects<R>(s, "publish_date = \"2023-07\"", {"qf-src-1", "qf-src-2"});
  ExpectSelects<R>(s, "publish_date = \"2023-07-14\"",
                   {"qf-src-1", "qf-src-2"});
  ExpectSelects<R>(s, "publish_date < \"2023\"", {"qf-src-3"});
  ExpectSelects<R>(s, "publish_date >= \"2023-07-02\"", {"qf-src-1"});
  ExpectSelects<R>(s, "publisher = \"participants/qf-russia\"",
                   {"qf-src-2", "qf-src-3"});
  ExpectSelects<R>(s, "publisher = \"\"", {"qf-src-4"});
  ExpectSelects<R>(s, "language = \"ru\"", {"qf-src-2"});
  ExpectSelects<R>(s, "document_number = \"QF-003\"", {"qf-src-3"});
  ExpectSelects<R>(s, "display_name:\"press\"", {"qf-src-2"});
}

TEST_F(FilterTest, MembershipsByRoleMemberPeriodAndDay) {
  using R = v1::Membership;
  const Scope& s = kMembershipScope;
  ExpectSelects<R>(s, "role = OBSERVER", {"vietnam"});
  ExpectSelects<R>(s, "role != MEMBER", {"eas", "indonesia", "vietnam"});
  ExpectSelects<R>(s, "member = \"forums/qf-eas\"", {"eas"});
  ExpectSelects<R>(s, "member = \"participants/qf-china\"", {"china"});
  ExpectSelects<R>(s, "active_on = \"2010-06-30\"",
                   {"china", "indonesia", "russia"});
  ExpectSelects<R>(s, "active_on = \"2010-07-01\"", {"indonesia", "russia"});
  ExpectSelects<R>(s, "period = \"2019\"",
                   {"eas", "indonesia", "russia", "vietnam"});
  ExpectSelects<R>(s, "period < \"1994-07\"", {"china", "indonesia"});
  ExpectSelects<R>(s, "forum = \"forums/qf-arf\" AND role = FOUNDING_MEMBER",
                   {"indonesia"});
}

TEST_F(FilterTest, ChairmanshipsByChairsTermStatusAndContinues) {
  using R = v1::Chairmanship;
  const Scope& s = kChairmanshipScope;
  ExpectSelects<R>(s, "chairs:\"participants/qf-indonesia\"",
                   {"ch-2023", "ch-2024"});
  ExpectSelects<R>(s, "status = PLANNED", {"ch-2026"});
  ExpectSelects<R>(s, "status = CURRENT", {"ch-2024"}, "the default");
  ExpectSelects<R>(s, "continues = \"forums/qf-arf/chairmanships/ch-2023\"",
                   {"ch-2024"});
  ExpectSelects<R>(s, "term = \"2023-06\"", {"ch-2023"});
  ExpectSelects<R>(s, "term >= \"2024\"", {"ch-2024", "ch-2026"});
  ExpectSelects<R>(s, "active_on = \"2026-05-05\"", {"ch-2024", "ch-2026"});
  ExpectSelects<R>(s, "active_on = \"2021-05-05\"", {});
}

TEST_F(FilterTest, ActionPlansByNamesStatusPeriodAndAdoption) {
  using R = v1::ActionPlan;
  const Scope& s = kActionPlanScope;
  ExpectSelects<R>(s, "names:\"hpa\"", {"qf-hpa"});
  ExpectSelects<R>(s, "names:\"ХАНОЙСКИЙ ПЛАН ДЕЙСТВИЙ\"", {"qf-hpa"});
  ExpectSelects<R>(s, "names:\"qf roadmap\"", {"qf-roadmap"});
  ExpectSelects<R>(s, "end_date = \"2025\"", {"qf-hpa"});
  ExpectSelects<R>(s, "end_date = \"2025\" AND status != EXPECTED", {"qf-hpa"});
  ExpectSelects<R>(s, "status = EXPIRED", {"qf-wp"});
  ExpectSelects<R>(s, "forums:\"forums/qf-arf\"", {"qf-hpa", "qf-roadmap"});
  ExpectSelects<R>(s, "parties:\"participants/qf-china\"", {"qf-wp"});
  ExpectSelects<R>(s, "active_on = \"2018-03-01\"", {"qf-wp"});
  ExpectSelects<R>(s, "active_on = \"2030-01-01\"", {"qf-roadmap"});
  ExpectSelects<R>(s, "period = \"2020\"", {"qf-wp"});
  ExpectSelects<R>(s, "start_date >= \"2021\"", {"qf-hpa", "qf-roadmap"});
  ExpectSelects<R>(s, "adoption.date < \"2020\"", {"qf-wp"});
  ExpectSelects<R>(s, "adoption.session = \"forums/qf-arf/sessions/28\"",
                   {"qf-hpa"});
  ExpectSelects<R>(s, "adoption.session = \"\"", {"qf-roadmap", "qf-wp"});
  ExpectSelects<R>(s, "implements = \"actionPlans/qf-hpa\"", {"qf-roadmap"});
  ExpectSelects<R>(s, "priority_areas:\"energy\"", {"qf-wp"});
}

TEST_F(FilterTest, StatementsByNamesKindInitiatorAndAdoption) {
  using R = v1::Statement;
  const Scope& s = kStatementScope;
  ExpectSelects<R>(
      s,
      "initiated_by:\"participants/qf-russia\" AND forum = \"forums/qf-eas\"",
      {"qf-st-joint"});
  ExpectSelects<R>(s, "names:\"заявление председателя\"", {"qf-st-chair"});
  ExpectSelects<R>(s, "names:\"arf ict STATEMENT\"", {"qf-st-joint"});
  ExpectSelects<R>(s, "kind = JOINT_STATEMENT", {"qf-st-joint"});
  ExpectSelects<R>(s, "status = EXPECTED", {"qf-st-draft"});
  ExpectSelects<R>(s, "forum = \"\"", {"qf-st-draft"});
  ExpectSelects<R>(s, "adoption.date = \"2023\"",
                   {"qf-st-chair", "qf-st-joint"});
  ExpectSelects<R>(s, "adoption.date > \"2023-07\"", {"qf-st-joint"});
  ExpectSelects<R>(s, "adoption.session = \"forums/qf-arf/sessions/30\"",
                   {"qf-st-chair"});
  ExpectSelects<R>(s, "topics:\"energy\"", {"qf-st-draft"});
}

// No field of any resource is a bool today; a bool literal is refused where
// it does not fit.
TEST_F(FilterTest, BoolLiteralOnANonBoolFieldIsRefused) {
  ExpectListRefused<v1::Session>(
      {.parent = kArf, .filter = "ordinal = true"},
      AllOf(HasSubstr("at position 11"), HasSubstr("ordinal")));
  ExpectListRefused<v1::Session>({.parent = kArf, .filter = "mode = false"},
                                 HasSubstr("mode"));
}

TEST_F(FilterTest, SyntaxErrorsGiveThePosition) {
  const auto refused = [](const std::string& filter,
                          const Matcher<std::string>& message) {
    SCOPED_TRACE(filter);
    ExpectListRefused<v1::Session>({.parent = kArf, .filter = filter}, message);
  };
  refused("mode =",
          HasSubstr("filter: at position 7: expected a value after '='"));
  refused("(mode = ONLINE",
          HasSubstr("filter: at position 15: expected ')' to close the '(' at "
                    "position 1"));
  refused("mode = ONLINE)", HasSubstr("filter: at position 14: ')' closes no"));
  refused("mode = ONLINE and ordinal = 1",
          AllOf(HasSubstr("filter: at position 15"), HasSubstr("upper case")));
  refused("ordinal = \"30\"",
          AllOf(HasSubstr("filter: at position 11"), HasSubstr("ordinal")));
  refused("mode = online",
          AllOf(HasSubstr("at position 8"), HasSubstr("upper case")));
  refused("mode = BOGUS",
          AllOf(HasSubstr("at position 8"), HasSubstr("ONLINE, HYBRID")));
  refused("mode : ONLINE",
          AllOf(HasSubstr("at position 6"), HasSubstr("':' is not allowed")));
  refused("start_date = \"2023-13\"",
          AllOf(HasSubstr("at position 14"), HasSubstr("is not a date")));
  refused("active_on = \"2023-06\"",
          AllOf(HasSubstr("at position 13"), HasSubstr("not a full date")));
  refused("display_name = \"unterminated",
          AllOf(HasSubstr("at position 16"), HasSubstr("unterminated")));
  refused("mode ! ONLINE", HasSubstr("at position 6"));
  refused("AND mode = ONLINE", HasSubstr("at position 1"));
  refused("mode = ONLINE OR", HasSubstr("at position 17"));
  refused("parent_session = forums", HasSubstr("at position 18"));
  // Positions count characters, not bytes.
  ExpectListRefused<v1::Forum>(
      {.filter = "names:\"АРФ\" AND bogus = 1"},
      AllOf(HasSubstr("filter: at position 17: unknown field"),
            HasSubstr("bogus")));
}

TEST_F(FilterTest, UnknownFieldsListTheFieldsAllowed) {
  ExpectListRefused<v1::Session>(
      {.parent = kArf, .filter = "mode = ONLINE AND city = \"Jakarta\""},
      AllOf(HasSubstr("filter: at position 19: unknown field"),
            HasSubstr("city"),
            HasSubstr("forum, display_name, kind, ordinal, level, "
                      "parent_session, start_date, end_date, active_on, mode, "
                      "status, venue.city, venue.country, participants, "
                      "topics")));
  ExpectListRefused<v1::Membership>(
      {.parent = kArf, .filter = "name = \"x\""},
      AllOf(HasSubstr("at position 1"),
            HasSubstr("forum, member, role, active_on, period")));
  ExpectListRefused<v1::Chairmanship>(
      {.parent = kArf, .filter = "chair:\"x\""},
      AllOf(HasSubstr("at position 1"),
            HasSubstr("forum, chairs, active_on, term, status, continues")));
  ExpectListRefused<v1::Source>(
      {.filter = "uri = \"x\""},
      AllOf(HasSubstr("at position 1"),
            HasSubstr("display_name, publisher, document_number, language, "
                      "publish_date")));
  ExpectListRefused<v1::ActionPlan>(
      {.filter = "items:\"x\""},
      AllOf(HasSubstr("at position 1"), HasSubstr("priority_areas")));
  ExpectListRefused<v1::Statement>(
      {.filter = "text:\"x\""},
      AllOf(HasSubstr("at position 1"), HasSubstr("initiated_by, topics")));
  // A field of the message that is not a filter field.
  ExpectListRefused<v1::Session>(
      {.parent = kArf, .filter = "description:\"x\""},
      AllOf(HasSubstr("at position 1"), HasSubstr("description")));
}

TEST_F(FilterTest, UnknownOrderByFieldIsInvalidArgument) {
  for (const std::string& order_by :
       {std::string("venue.city"), std::string("start_date sideways"),
        std::string("name desc"), std::string("ordinal, start_date"),
        std::string("start_date; DROP TABLE sessions"),
        std::string("display_name COLLATE \"C\"")}) {
    SCOPED_TRACE(order_by);
    ExpectListRefused<v1::Session>(
        {.parent = kArf, .order_by = order_by},
        AllOf(HasSubstr("order_by"),
              HasSubstr("name, start_date, ordinal, display_name")));
  }
  ExpectListRefused<v1::Membership>({.parent = kArf, .order_by = "member"},
                                    HasSubstr("period"));
  ExpectListRefused<v1::Statement>({.order_by = "kind"},
                                   HasSubstr("adoption.date"));
}

// ===========================================================================
// order_by, ascending and descending, across pages.

class OrderTest : public DataSetTest {};

TEST_F(OrderTest, SessionsByStartDateOrdinalAndDisplayName) {
  using R = v1::Session;
  const Scope& s = kSessionScope;
  // Ties (the 30th and the sideline meeting start on one day) go by name.
  ExpectOrder<R>(s, "start_date",
                 {"27", "28", "29", "som-2023", "30", "side-2023", "31", "32"});
  ExpectOrder<R>(s, "start_date asc",
                 {"27", "28", "29", "som-2023", "30", "side-2023", "31", "32"});
  ExpectOrder<R>(s, "start_date desc",
                 {"32", "31", "30", "side-2023", "som-2023", "29", "28", "27"});
  ExpectOrder<R>(s, "ordinal",
                 {"side-2023", "som-2023", "27", "28", "29", "30", "31", "32"});
  ExpectOrder<R>(s, "ordinal desc",
                 {"32", "31", "30", "29", "28", "27", "side-2023", "som-2023"});
  ExpectOrder<R>(s, "display_name",
                 {"27", "28", "29", "30", "31", "32", "som-2023", "side-2023"});
  ExpectOrder<R>(s, "display_name desc",
                 {"side-2023", "som-2023", "32", "31", "30", "29", "28", "27"});
  ExpectOrder<R>(s, "name",
                 {"27", "28", "29", "30", "31", "32", "side-2023", "som-2023"});
  ExpectOrder<R>(s, "start_date desc", {"31", "30", "side-2023", "29"},
                 "mode = IN_PERSON");
}

TEST_F(OrderTest, EveryOrderGivesEveryRowOnceWhateverThePageSize) {
  for (const char* order_by :
       {"start_date", "start_date desc", "ordinal", "ordinal desc",
        "display_name", "display_name desc", "create_time", "create_time desc",
        "update_time desc"}) {
    std::vector<std::string> one_page =
        ListNames<v1::Session>({.parent = kArf, .order_by = order_by});
    ASSERT_EQ(one_page.size(), 8u) << order_by;
    for (int page_size : {1, 2, 3, 7}) {
      EXPECT_THAT(
          ListNames<v1::Session>(
              {.parent = kArf, .order_by = order_by, .page_size = page_size}),
          ElementsAreArray(one_page))
          << order_by << ", page_size " << page_size;
    }
  }
}

TEST_F(OrderTest, OtherKindsAscendingAndDescending) {
  // Records without the date come first ascending, last descending.
  ExpectOrder<v1::Forum>(
      kForumScope, "founded",
      {"qf-hostile", "qf-old", "qf-arf", "qf-eas", "qf-ism"});
  ExpectOrder<v1::Forum>(
      kForumScope, "founded desc",
      {"qf-ism", "qf-eas", "qf-arf", "qf-old", "qf-hostile"});
  ExpectOrder<v1::Participant>(kParticipantScope, "display_name desc",
                               {"qf-vietnam", "qf-russia", "qf-indonesia",
                                "qf-mfa", "qf-china", "qf-arf-unit"});
  ExpectOrder<v1::Source>(kSourceScope, "publish_date",
                          {"qf-src-4", "qf-src-3", "qf-src-2", "qf-src-1"});
  ExpectOrder<v1::Source>(kSourceScope, "publish_date desc",
                          {"qf-src-1", "qf-src-2", "qf-src-3", "qf-src-4"});
  ExpectOrder<v1::Membership>(
      kMembershipScope, "period",
      {"china", "indonesia", "russia", "vietnam", "eas"});
  ExpectOrder<v1::Membership>(
      kMembershipScope, "period desc",
      {"eas", "vietnam", "russia", "china", "indonesia"});
  ExpectOrder<v1::Chairmanship>(kChairmanshipScope, "term desc",
                                {"ch-2026", "ch-2024", "ch-2023", "ch-2020"});
  ExpectOrder<v1::ActionPlan>(kActionPlanScope, "end_date",
                              {"qf-roadmap", "qf-wp", "qf-hpa"});
  ExpectOrder<v1::ActionPlan>(kActionPlanScope, "end_date desc",
                              {"qf-hpa", "qf-wp", "qf-roadmap"});
  ExpectOrder<v1::ActionPlan>(kActionPlanScope, "adoption.date desc",
                              {"qf-hpa", "qf-wp", "qf-roadmap"});
  ExpectOrder<v1::Statement>(kStatementScope, "adoption.date",
                             {"qf-st-draft", "qf-st-chair", "qf-st-joint"});
  ExpectOrder<v1::Statement>(kStatementScope, "adoption.date desc",
                             {"qf-st-joint", "qf-st-chair", "qf-st-draft"});
}

// ===========================================================================
// Page tokens are bound to the parent, filter and order_by.

class PageTokenTest : public DataSetTest {
 protected:
  // The token after the first page of one in-person session by start date.
  static std::string FirstToken() {
    v1::ListSessionsResponse page;
    const grpc::Status status =
        ListPage<v1::Session>({.parent = kArf,
                               .filter = "mode = IN_PERSON",
                               .order_by = "start_date",
                               .page_size = 1},
                              &page);
    EXPECT_TRUE(status.ok()) << Describe(status);
    EXPECT_EQ(page.sessions_size(), 1);
    EXPECT_FALSE(page.next_page_token().empty());
    return page.next_page_token();
  }
};

TEST_F(PageTokenTest, ReusedWithAnotherFilterOrderOrParentIsInvalidArgument) {
  const std::string token = FirstToken();
  for (const ListArgs& args :
       std::vector<ListArgs>{{.parent = kArf,
       .filter = "mode = ONLINE",
       .order_by = "start_date",
       .page_size = 1,
       .page_token = token},
                             {.parent = kArf,
                             .filter = "",
                             .order_by = "start_date",
                             .page_size = 1,
                             .page_token = token},
                             {.parent = kArf,
                             .filter = "mode = IN_PERSON",
                             .order_by = "start_date desc",
                             .page_size = 1,
                             .page_token = token},
                             {.parent = kArf,
                             .filter = "mode = IN_PERSON",
                             .order_by = "",
                             .page_size = 1,
                             .page_token = token},
                             {.parent = kArf,
                             .filter = "mode = IN_PERSON",
                             .order_by = "ordinal",
                             .page_size = 1,
                             .page_token = token},
                             {.parent = "forums/-",
                             .filter = "mode = IN_PERSON",
                             .order_by = "start_date",
                             .page_size = 1,
                             .page_token = token},
                             {.parent = "forums/qf-ism",
                             .filter = "mode = IN_PERSON",
                             .order_by = "start_date",
                             .page_size = 1,
                             .page_token = token}}) {
    SCOPED_TRACE(
        absl::StrCat(args.parent, " | ", args.filter, " | ", args.order_by));
    ExpectListRefused<v1::Session>(args, HasSubstr("page_token"));
  }
  // A token of another collection.
  ExpectListRefused<v1::Membership>({.parent = kArf, .page_token = token},
                                    HasSubstr("page_token"));
  // Not a token at all.
  for (const std::string& bad :
       {std::string("abc"), std::string("'; DROP TABLE sessions; --"),
        token.substr(0, token.size() - 2), token + "AA"}) {
    ExpectListRefused<v1::Session>({.parent = kArf,
                                    .filter = "mode = IN_PERSON",
                                    .order_by = "start_date",
                                    .page_token = bad},
                                   HasSubstr("page_token"));
  }
}

TEST_F(PageTokenTest, SameQuerySpelledDifferentlyOrAnotherPageSizeContinues) {
  const std::string token = FirstToken();
  // In-person by start date: 29, 30, side-2023, 31; the first page held 29.
  for (const char* filter :
       {"mode = IN_PERSON", "mode = SESSION_MODE_IN_PERSON",
        "  (mode =   \"IN_PERSON\")  ", "NOT NOT mode = IN_PERSON"}) {
    v1::ListSessionsResponse page;
    const grpc::Status status = ListPage<v1::Session>({.parent = kArf,
                                                       .filter = filter,
                                                       .order_by = "start_date",
                                                       .page_size = 5,
                                                       .page_token = token},
                                                      &page);
    ASSERT_TRUE(status.ok()) << filter << ": " << Describe(status);
    std::vector<std::string> names;
    for (const v1::Session& s : page.sessions()) names.push_back(s.name());
    EXPECT_THAT(names, ElementsAre("forums/qf-arf/sessions/30",
                                   "forums/qf-arf/sessions/side-2023",
                                   "forums/qf-arf/sessions/31"))
        << filter;
    EXPECT_THAT(page.next_page_token(), IsEmpty());
  }
}

// ===========================================================================
// Hostile filters: refused, or matched literally; never SQL.

class HostileFilterTest : public DataSetTest {};

TEST_F(HostileFilterTest, AreRefusedOrMatchedLiterallyAndChangeNothing) {
  struct Case {
    std::string filter;
    bool refused;
    std::vector<std::string> ids;  // when not refused
  };
  const std::string long_string(3000, 'a');
  std::string deep = "mode = ONLINE";
  for (int i = 0; i < 40; ++i) deep = absl::StrCat("(", deep, ")");
  std::string many;
  for (int i = 0; i < 65; ++i) {
    absl::StrAppend(&many, i == 0 ? "" : " OR ", "ordinal = ", i);
  }
  std::string nots;
  for (int i = 0; i < 400; ++i) nots += "NOT ";
  nots += "display_name:\"DROP\"";
  const std::vector<Case> cases = {
      // SQL in a string is a string.
      {"display_name = \"'; DROP TABLE sessions; --\"", false, {"h-sql"}},
      {"display_name = \"\\u0027; DROP TABLE sessions; --\"", false, {"h-sql"}},
      {"display_name = \"\\\" OR 1=1 --\"", false, {}},
      {"display_name:\"' OR '1'='1\"", false, {}},
      {"display_name:\"/* */\"", false, {}},
      {"display_name:\";\"", false, {"h-sql"}},
      {"display_name:\"--\"", false, {"h-sql"}},
      {"display_name = \"x\" OR display_name != \"x\"",
       false,
       {"h-decoy", "h-literal", "h-sql"}},
      // SQL outside a string is not the filter language.
      {"display_name = \"\" OR 1=1 --\"", true, {}},
      {"'; DROP TABLE sessions; --", true, {}},
      {"display_name = \"x\" /* comment */", true, {}},
      {"display_name = \"x\"; DELETE FROM sessions", true, {}},
      {"mode = ONLINE; --", true, {}},
      {"display_name) OR (1 = 1", true, {}},
      {"body->>'display_name' = \"x\"", true, {}},
      {"display_name::text = \"x\"", true, {}},
      {"display_name = 'x'", true, {}},
      {"ordinal = 1 UNION SELECT 1", true, {}},
      // Backslashes.
      {"display_name = \"*\\\\*\"", false, {"h-literal"}},
      {"display_name = \"\\\\\"", false, {}},
      {"display_name = \"\\q\"", true, {}},
      {"display_name = \"ends with a backslash\\\"", true, {}},
      // '%' and '_' are characters, not LIKE wildcards.
      {"display_name = \"100%*\"", false, {"h-literal"}},
      {"display_name = \"1__0*\"", false, {}},
      {"display_name = \"*ARF_meeting*\"", false, {"h-literal"}},
      {"display_name = \"%\"", false, {}},
      {"display_name = \"*%\"", false, {}},
      {"display_name:\"%\"", false, {"h-literal"}},
      {"display_name:\"_\"", false, {"h-literal"}},
      {"display_name:\"ARF_m\"", false, {"h-literal"}},
      {"display_name = \"*O'Brien\"", false, {"h-literal"}},
      {"display_name = \"100\\*\"", false, {}},
      // Control characters, escaped or not, and half surrogates.
      {"display_name = \"\\u0000\"", true, {}},
      {std::string("display_name = \"a\0b\"", 20), true, {}},
      {"display_name = \"a\x01\"", true, {}},
      {"display_name = \"\\ud800\"", true, {}},
      // Size and depth.
      {absl::StrCat("display_name = \"", long_string, "\""), true, {}},
      {absl::StrCat("display_name = \"", std::string(1900, 'a'), "\""),
       false,
       {}},
      {deep, true, {}},
      {many, true, {}},
      {nots, false, {"h-sql"}},
  };
  const std::string before = FullWriteState();
  const std::string sessions_before =
      db().Query("SELECT count(*) FROM sessions");
  for (const Case& c : cases) {
    SCOPED_TRACE(c.filter.size() > 200
                     ? absl::StrCat(c.filter.substr(0, 80), "... (",
                                    c.filter.size(), " bytes)")
                     : c.filter);
    if (c.refused) {
      ExpectListRefused<v1::Session>({.parent = kHostile, .filter = c.filter},
                                     HasSubstr("filter"));
    } else {
      std::vector<std::string> expected;
      for (const std::string& id : c.ids) {
        expected.push_back(absl::StrCat(kHostile, "/sessions/", id));
      }
      EXPECT_THAT(ListNames<v1::Session>(
                      {.parent = kHostile, .filter = c.filter, .page_size = 2}),
                  ElementsAreArray(expected));
    }
  }
  ExpectEveryTableExists();
  EXPECT_EQ(FullWriteState(), before);
  EXPECT_EQ(db().Query("SELECT count(*) FROM sessions"), sessions_before);
}

TEST_F(HostileFilterTest, NestingUpToTheLimitWorks) {
  std::string deep = "mode = ONLINE";
  for (int i = 0; i < 32; ++i) deep = absl::StrCat("(", deep, ")");
  EXPECT_THAT(
      ListNames<v1::Session>({.parent = kArf, .filter = deep}),
      ElementsAre("forums/qf-arf/sessions/27", "forums/qf-arf/sessions/28"));
  deep = absl::StrCat("(", deep, ")");
  ExpectListRefused<v1::Session>(
      {.parent = kArf, .filter = deep},
      AllOf(HasSubstr("filter: at position 33"), HasSubstr("nest")));
}

// A filter with bytes that are not UTF-8 never reaches the filter parser: the
// `filter` field is a proto3 string, which protobuf requires to be UTF-8. The
// C++ client still serializes it (it only logs an error), and the server's
// gRPC library refuses to parse the request before any handler runs: the
// call fails as gRPC reports an unparsable request (INTERNAL), not with the
// filter parser's INVALID_ARGUMENT. Either way nothing is read or written.
TEST_F(HostileFilterTest,
       InvalidUtf8IsRefusedBeforeTheServiceAndChangesNothing) {
  for (const std::string& filter :
       {std::string("display_name = \"\xff\""),
        std::string("display_name = \"\xc3\x28\""),
        std::string("display_name = \"\xed\xa0\x80\""),  // a UTF-16 surrogate
        std::string("display_name = \"\xc0\xaf\""),      // an overlong '/'
        std::string("\xfe\xff mode = ONLINE")}) {
    v1::ListSessionsResponse out;
    const std::string before = FullWriteState();
    const grpc::Status status =
        ListPage<v1::Session>({.parent = kHostile, .filter = filter}, &out);
    EXPECT_EQ(CodeName(status.error_code()), "INTERNAL") << Describe(status);
    EXPECT_EQ(out.sessions_size(), 0);
    EXPECT_EQ(FullWriteState(), before);
  }
  ExpectEveryTableExists();
  // The server is still serving.
  EXPECT_THAT(ListNames<v1::Session>({.parent = kHostile}),
              ::testing::SizeIs(3));
}

// ===========================================================================
// "As of": who chaired, who was a member, on a given day.

class AsOfTest : public QueryTest {};

TEST_F(AsOfTest, ChairmanshipsOnADay) {
  const std::string forum = NewForumId("asof");
  const std::string china = NewStateId("china");
  const std::string russia = NewStateId("russia");
  const std::string indonesia = NewStateId("indonesia");
  const std::string sole =
      MustCreate<v1::Chairmanship>(
          forum, "2021-2022",
          NewChairmanship({china}, Span(Date(2021), Date(2022))))
          .name();
  const std::string co =
      MustCreate<v1::Chairmanship>(
          forum, "2023-2024",
          NewChairmanship({russia, indonesia}, Span(Date(2023), Date(2024))))
          .name();
  const auto on = [&](const std::string& day) {
    return ListNames<v1::Chairmanship>(
        {.parent = forum, .filter = absl::StrCat("active_on = \"", day, "\"")});
  };
  EXPECT_THAT(on("2020-12-31"), IsEmpty()) << "a day before any term";
  EXPECT_THAT(on("2021-01-01"), ElementsAre(sole));
  EXPECT_THAT(on("2022-12-31"), ElementsAre(sole));
  EXPECT_THAT(on("2023-01-01"), ElementsAre(co));
  EXPECT_THAT(on("2024-12-31"), ElementsAre(co));
  EXPECT_THAT(on("2025-01-01"), IsEmpty()) << "after every term";

  // 1 October 2023: one record, both co-chairs.
  v1::ListChairmanshipsResponse response;
  ASSERT_TRUE(
      ListPage<v1::Chairmanship>(
          {.parent = forum, .filter = "active_on = \"2023-10-01\""}, &response)
          .ok());
  ASSERT_EQ(response.chairmanships_size(), 1);
  EXPECT_EQ(response.chairmanships(0).name(), co);
  EXPECT_THAT(response.chairmanships(0).chairs(),
              ElementsAre(russia, indonesia));
  // The same across every forum.
  EXPECT_THAT(ListNames<v1::Chairmanship>(
                  {.parent = "forums/-",
                   .filter = absl::StrCat("active_on = \"2023-10-01\" AND "
                                          "forum = \"",
                                          forum, "\"")}),
              ElementsAre(co));
  EXPECT_THAT(ListNames<v1::Chairmanship>(
                  {.parent = forum,
                   .filter = absl::StrCat("active_on = \"2023-10-01\" AND "
                                          "chairs:\"",
                                          indonesia, "\"")}),
              ElementsAre(co));
}

TEST_F(AsOfTest, MonthPrecisionTermCoversItsWholeLastMonth) {
  const std::string forum = NewForumId("asof-month");
  const std::string chair = NewStateId("chair");
  const std::string term =
      MustCreate<v1::Chairmanship>(
          forum, "h1-2023",
          NewChairmanship({chair}, Span(Date(2023, 1), Date(2023, 6))))
          .name();
  const auto on = [&](const std::string& day) {
    return ListNames<v1::Chairmanship>(
        {.parent = forum, .filter = absl::StrCat("active_on = \"", day, "\"")});
  };
  EXPECT_THAT(on("2022-12-31"), IsEmpty());
  EXPECT_THAT(on("2023-01-01"), ElementsAre(term));
  EXPECT_THAT(on("2023-06-30"), ElementsAre(term)) << "June 2023 has 30 days";
  EXPECT_THAT(on("2023-07-01"), IsEmpty());
}

TEST_F(AsOfTest, OpenEndedTermCoversEveryLaterDay) {
  const std::string forum = NewForumId("asof-open");
  const std::string chair = NewStateId("chair");
  const std::string term =
      MustCreate<v1::Chairmanship>(
          forum, "since-2025",
          NewChairmanship({chair}, Span(Date(2025, 3, 15))))
          .name();
  const auto on = [&](const std::string& day) {
    return ListNames<v1::Chairmanship>(
        {.parent = forum, .filter = absl::StrCat("active_on = \"", day, "\"")});
  };
  EXPECT_THAT(on("2025-03-14"), IsEmpty());
  EXPECT_THAT(on("2025-03-15"), ElementsAre(term));
  EXPECT_THAT(on("2030-01-01"), ElementsAre(term));
  EXPECT_THAT(on("9999-12-31"), ElementsAre(term));
}

TEST_F(AsOfTest, MembershipsOnADayIncludingOneThatEnded) {
  const std::string forum = NewForumId("asof-members");
  const std::string russia = NewStateId("russia");
  const std::string indonesia = NewStateId("indonesia");
  const std::string china = NewStateId("china");
  MustCreate<v1::Membership>(forum, "russia",
                             NewMembership(russia, Span(Date(2021, 3))));
  MustCreate<v1::Membership>(
      forum, "indonesia",
      NewMembership(indonesia, Span(Date(2021, 3, 1), Date(2022, 6))));
  MustCreate<v1::Membership>(forum, "china",
                             NewMembership(china, Span(Date(2023, 5, 15)),
                                           v1::MEMBERSHIP_ROLE_OBSERVER));
  const auto on = [&](const std::string& day) {
    return ListNames<v1::Membership>(
        {.parent = forum, .filter = absl::StrCat("active_on = \"", day, "\"")});
  };
  const std::string m = forum + "/memberships/";
  EXPECT_THAT(on("2021-02-28"), IsEmpty());
  EXPECT_THAT(on("2021-03-01"), ElementsAre(m + "indonesia", m + "russia"));
  EXPECT_THAT(on("2022-06-30"), ElementsAre(m + "indonesia", m + "russia"));
  EXPECT_THAT(on("2022-07-01"), ElementsAre(m + "russia"))
      << "Indonesia left at the end of June 2022";
  EXPECT_THAT(on("2023-05-14"), ElementsAre(m + "russia"));
  EXPECT_THAT(on("2023-05-15"), ElementsAre(m + "china", m + "russia"));
  EXPECT_THAT(on("2040-01-01"), ElementsAre(m + "china", m + "russia"));
  EXPECT_THAT(ListNames<v1::Membership>(
                  {.parent = forum,
                   .filter = "active_on = \"2024-01-01\" AND role = OBSERVER"}),
              ElementsAre(m + "china"));
}

// ===========================================================================
// Integrity: what the database refuses.

class IntegrityTest : public QueryTest {};

TEST_F(IntegrityTest, OverlappingSoleChairTermsAreRefusedNamingTheOther) {
  const std::string forum = NewForumId("overlap");
  const std::string a = NewStateId("chair-a");
  const std::string b = NewStateId("chair-b");
  const std::string c = NewStateId("chair-c");
  const std::string first =
      MustCreate<v1::Chairmanship>(
          forum, "2019-2020",
          NewChairmanship({a}, Span(Date(2019), Date(2020))))
          .name();
  // Overlapping by half a year.
  ExpectCreateRefused<v1::Chairmanship>(
      forum, "2020-2021", NewChairmanship({b}, Span(Date(2020, 6), Date(2021))),
      grpc::StatusCode::FAILED_PRECONDITION,
      AllOf(HasSubstr("chairmanship.term"), HasSubstr(first)));
  // Inside it, and an open term that starts inside it.
  ExpectCreateRefused<v1::Chairmanship>(
      forum, "mid-2019", NewChairmanship({b}, Span(Date(2019, 5, 1))),
      grpc::StatusCode::FAILED_PRECONDITION, HasSubstr(first));
  // By one day: a term to December 2020 covers 31 December.
  ExpectCreateRefused<v1::Chairmanship>(
      forum, "from-dec-31",
      NewChairmanship({b}, Span(Date(2020, 12, 31), Date(2021, 6))),
      grpc::StatusCode::FAILED_PRECONDITION, HasSubstr(first));
  // The same chair again is still a second sole term.
  ExpectCreateRefused<v1::Chairmanship>(
      forum, "again", NewChairmanship({a}, Span(Date(2020), Date(2020))),
      grpc::StatusCode::FAILED_PRECONDITION, HasSubstr(first));

  // The next day is free.
  const v1::Chairmanship second = MustCreate<v1::Chairmanship>(
      forum, "2021", NewChairmanship({b}, Span(Date(2021, 1, 1), Date(2021))));
  // Co-chairs share a term with anyone; two co-chair records may overlap.
  MustCreate<v1::Chairmanship>(
      forum, "co-2020", NewChairmanship({b, c}, Span(Date(2020), Date(2021))));
  MustCreate<v1::Chairmanship>(forum, "co-2020-bis",
                               NewChairmanship({a, c}, Span(Date(2020, 3))));
  // Another forum's terms are its own.
  MustCreate<v1::Chairmanship>(NewForumId("overlap-other"), "2019",
                               NewChairmanship({b}, Span(Date(2019))));

  // An update that would overlap is refused the same way.
  v1::Chairmanship patch = second;
  *patch.mutable_term() = Span(Date(2020, 11), Date(2021));
  v1::Chairmanship out;
  ExpectRefusedWithoutWrite(
      [&] { return Update<v1::Chairmanship>(patch, {"term"}, &out); },
      grpc::StatusCode::FAILED_PRECONDITION, HasSubstr(first));
  // A co-chair record that loses a chair becomes a sole term.
  v1::Chairmanship co;
  ASSERT_TRUE(
      Get<v1::Chairmanship>(forum + "/chairmanships/co-2020", &co).ok());
  co.clear_chairs();
  co.add_chairs(c);
  ExpectRefusedWithoutWrite(
      [&] { return Update<v1::Chairmanship>(co, {"chairs"}, &out); },
      grpc::StatusCode::FAILED_PRECONDITION,
      AllOf(HasSubstr("chairmanship.term"), HasSubstr(forum)));
}

TEST_F(IntegrityTest, ContinuesMustNameAChairmanshipOfTheSameForum) {
  const std::string forum = NewForumId("continues");
  const std::string chair = NewStateId("chair");
  const std::string other = NewForumId("continues-other");
  const std::string elsewhere =
      MustCreate<v1::Chairmanship>(other, "2019",
                                   NewChairmanship({chair}, Span(Date(2019))))
          .name();
  v1::Chairmanship next = NewChairmanship({chair}, Span(Date(2021)));
  next.set_continues(forum + "/chairmanships/missing");
  ExpectCreateRefused<v1::Chairmanship>(
      forum, "2021", next, grpc::StatusCode::INVALID_ARGUMENT,
      AllOf(HasSubstr("chairmanship.continues"),
            HasSubstr(forum + "/chairmanships/missing")));
  next.set_continues(elsewhere);
  ExpectCreateRefused<v1::Chairmanship>(
      forum, "2021", next, grpc::StatusCode::INVALID_ARGUMENT,
      AllOf(HasSubstr("chairmanship.continues"), HasSubstr("same forum")));
  next.set_continues(forum + "/chairmanships/2021");
  ExpectCreateRefused<v1::Chairmanship>(forum, "2021", next,
                                        grpc::StatusCode::INVALID_ARGUMENT,
                                        HasSubstr("chairmanship.continues"));
  const std::string first =
      MustCreate<v1::Chairmanship>(
          forum, "2019", NewChairmanship({chair}, Span(Date(2019), Date(2020))))
          .name();
  next.set_continues(first);
  EXPECT_EQ(MustCreate<v1::Chairmanship>(forum, "2021", next).continues(),
            first);
  // The continued term cannot go while the later one refers to it.
  ExpectRefusedWithoutWrite(
      [&] { return Delete<v1::Chairmanship>(first); },
      grpc::StatusCode::FAILED_PRECONDITION,
      AllOf(HasSubstr(forum + "/chairmanships/2021"), HasSubstr("continues")));
}

// Every reference field of every kind, pointing at a record that does not
// exist, is INVALID_ARGUMENT naming the field and the missing record.
TEST_F(IntegrityTest, EveryReferenceToAMissingRecordIsRefusedNamingTheField) {
  const std::string forum = NewForumId("refs");
  const std::string state = NewStateId("refs-state");
  const std::string missing_participant = Participant(UniqueId("ghost"));
  const std::string missing_forum = Forum(UniqueId("ghost"));
  const std::string missing_session = forum + "/sessions/ghost";
  const std::string missing_source =
      absl::StrCat("sources/", UniqueId("ghost"));
  const std::string missing_plan =
      absl::StrCat("actionPlans/", UniqueId("ghost"));
  const auto citation = [&](auto* record) {
    record->add_citations()->set_source(missing_source);
  };

  struct Case {
    std::string field;    // as the message names it
    std::string missing;  // the record named
    std::function<grpc::Status()> call;
  };
  std::vector<Case> cases;
  const auto session_case = [&](const std::string& field,
                                const std::string& missing,
                                std::function<void(v1::Session*)> set) {
    cases.push_back({field, missing, [=] {
                       v1::Session s = NewSession("Refs", Date(2023));
                       set(&s);
                       v1::Session out;
                       return Create<v1::Session>(forum, UniqueId("s"), s,
                                                  &out);
                     }});
  };
  session_case("session.parent_session", missing_session,
               [&](v1::Session* s) { s->set_parent_session(missing_session); });
  session_case("session.venue.country", missing_participant,
               [&](v1::Session* s) {
                 s->mutable_venue()->set_country(missing_participant);
               });
  session_case("session.participants.participant", missing_participant,
               [&](v1::Session* s) {
                 s->add_participants()->set_participant(missing_participant);
               });
  session_case("session.participants.represented_by", missing_participant,
               [&](v1::Session* s) {
                 v1::SessionParticipant* p = s->add_participants();
                 p->set_participant(state);
                 p->set_represented_by(missing_participant);
               });
  session_case("session.citations.source", missing_source,
               [&](v1::Session* s) { citation(s); });

  const auto membership_case = [&](const std::string& field,
                                   const std::string& missing,
                                   std::function<void(v1::Membership*)> set) {
    cases.push_back({field, missing, [=] {
                       v1::Membership m = NewMembership(state);
                       set(&m);
                       v1::Membership out;
                       return Create<v1::Membership>(forum, UniqueId("m"), m,
                                                     &out);
                     }});
  };
  membership_case(
      "membership.member", missing_participant,
      [&](v1::Membership* m) { m->set_member(missing_participant); });
  membership_case("membership.member", missing_forum,
                  [&](v1::Membership* m) { m->set_member(missing_forum); });
  membership_case("membership.citations.source", missing_source,
                  [&](v1::Membership* m) { citation(m); });

  const auto chair_case = [&](const std::string& field,
                              const std::string& missing,
                              std::function<void(v1::Chairmanship*)> set) {
    cases.push_back(
        {field, missing, [=] {
           v1::Chairmanship c = NewChairmanship({state}, Span(Date(1900)));
           set(&c);
           v1::Chairmanship out;
           return Create<v1::Chairmanship>(forum, UniqueId("c"), c, &out);
         }});
  };
  chair_case("chairmanship.chairs", missing_participant,
             [&](v1::Chairmanship* c) { c->add_chairs(missing_participant); });
  chair_case("chairmanship.citations.source", missing_source,
             [&](v1::Chairmanship* c) { citation(c); });

  const auto plan_case = [&](const std::string& field,
                             const std::string& missing,
                             std::function<void(v1::ActionPlan*)> set) {
    cases.push_back({field, missing, [=] {
                       v1::ActionPlan p = NewActionPlan("Refs plan");
                       set(&p);
                       v1::ActionPlan out;
                       return Create<v1::ActionPlan>("", UniqueId("refs-plan"),
                                                     p, &out);
                     }});
  };
  plan_case("action_plan.forums", missing_forum,
            [&](v1::ActionPlan* p) { p->add_forums(missing_forum); });
  plan_case("action_plan.parties", missing_participant,
            [&](v1::ActionPlan* p) { p->add_parties(missing_participant); });
  plan_case("action_plan.implements", missing_plan,
            [&](v1::ActionPlan* p) { p->set_implements(missing_plan); });
  plan_case("action_plan.adoption.session", missing_session,
            [&](v1::ActionPlan* p) {
              p->mutable_adoption()->set_session(missing_session);
            });
  plan_case("action_plan.citations.source", missing_source,
            [&](v1::ActionPlan* p) { citation(p); });

  const auto statement_case = [&](const std::string& field,
                                  const std::string& missing,
                                  std::function<void(v1::Statement*)> set) {
    cases.push_back({field, missing, [=] {
                       v1::Statement s = NewStatement("Refs statement");
                       set(&s);
                       v1::Statement out;
                       return Create<v1::Statement>("", UniqueId("refs-stmt"),
                                                    s, &out);
                     }});
  };
  statement_case("statement.forum", missing_forum,
                 [&](v1::Statement* s) { s->set_forum(missing_forum); });
  statement_case("statement.initiated_by", missing_participant,
                 [&](v1::Statement* s) {
                   s->add_initiated_by(state);
                   s->add_initiated_by(missing_participant);
                 });
  statement_case("statement.adoption.session", missing_session,
                 [&](v1::Statement* s) {
                   s->mutable_adoption()->set_session(missing_session);
                 });
  statement_case("statement.citations.source", missing_source,
                 [&](v1::Statement* s) { citation(s); });

  const auto source_case = [&](const std::string& field,
                               const std::string& missing,
                               std::function<void(v1::Source*)> set) {
    cases.push_back({field, missing, [=] {
                       v1::Source s = NewSource("Refs source");
                       set(&s);
                       v1::Source out;
                       return Create<v1::Source>("", UniqueId("refs-src"), s,
                                                 &out);
                     }});
  };
  source_case("source.publisher", missing_participant,
              [&](v1::Source* s) { s->set_publisher(missing_participant); });
  source_case("source.facts.subjects", missing_forum, [&](v1::Source* s) {
    v1::Fact* fact = s->add_facts();
    fact->set_metric("trade");
    fact->add_subjects(state);
    fact->add_subjects(missing_forum);
  });

  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.field, " -> ", c.missing));
    ExpectRefusedWithoutWrite(c.call, grpc::StatusCode::INVALID_ARGUMENT,
                              AllOf(HasSubstr(c.field), HasSubstr(c.missing),
                                    HasSubstr("does not exist")));
  }
}

TEST_F(IntegrityTest, UpdateToAMissingReferenceIsRefusedAndChangesNothing) {
  const std::string forum = NewForumId("refs-update");
  const v1::Session created =
      MustCreate<v1::Session>(forum, "1", NewSession("One", Date(2023)));
  v1::Session patch = created;
  patch.mutable_venue()->set_country("participants/nowhere");
  v1::Session out;
  ExpectRefusedWithoutWrite(
      [&] { return Update<v1::Session>(patch, {"venue"}, &out); },
      grpc::StatusCode::INVALID_ARGUMENT,
      AllOf(HasSubstr("session.venue.country"),
            HasSubstr("participants/nowhere")));
  v1::Session got;
  ASSERT_TRUE(Get<v1::Session>(created.name(), &got).ok());
  ExpectSameMessage(got, created);
}

TEST_F(IntegrityTest, SessionEndBeforeStartIsRefused) {
  const std::string forum = NewForumId("dates");
  v1::Session session = NewSession("Backwards", Date(2023, 7, 14));
  *session.mutable_end_date() = Date(2023, 7, 13);
  ExpectCreateRefused<v1::Session>(
      forum, "backwards", session, grpc::StatusCode::INVALID_ARGUMENT,
      AllOf(HasSubstr("session.end_date"), HasSubstr("start_date")));
  session = NewSession("Backwards by a month", Date(2023, 7, 1));
  *session.mutable_end_date() = Date(2023, 6);
  ExpectCreateRefused<v1::Session>(forum, "backwards", session,
                                   grpc::StatusCode::INVALID_ARGUMENT,
                                   HasSubstr("session.end_date"));
  // An end in the start's own month is not before it.
  session = NewSession("July", Date(2023, 7));
  *session.mutable_end_date() = Date(2023, 7, 1);
  MustCreate<v1::Session>(forum, "july", session);
  // Nor is an update allowed to turn it around.
  v1::Session patch;
  patch.set_name(forum + "/sessions/july");
  *patch.mutable_end_date() = Date(2023, 6, 30);
  v1::Session out;
  ExpectRefusedWithoutWrite(
      [&] { return Update<v1::Session>(patch, {"end_date"}, &out); },
      grpc::StatusCode::INVALID_ARGUMENT, HasSubstr("session.end_date"));
}

// A forum with sessions, chairmanships and memberships, referring to each
// other inside the forum, and the names of what it holds.
struct FullForum {
  std::string name;
  std::vector<std::string> children;
};

FullForum MakeFullForum(const std::string& prefix) {
  FullForum f;
  f.name = NewForumId(prefix);
  const std::string member = NewStateId("member");
  const std::string other = NewStateId("member");
  f.children.push_back(
      MustCreate<v1::Membership>(f.name, "a", NewMembership(member)).name());
  f.children.push_back(
      MustCreate<v1::Membership>(f.name, "b", NewMembership(other)).name());
  f.children.push_back(
      MustCreate<v1::Session>(f.name, "1", NewSession("First", Date(2022), 1))
          .name());
  v1::Session inner = NewSession("Inside the first", Date(2022), 0);
  inner.set_parent_session(f.name + "/sessions/1");
  inner.mutable_venue()->set_country(member);
  f.children.push_back(MustCreate<v1::Session>(f.name, "1-side", inner).name());
  f.children.push_back(
      MustCreate<v1::Chairmanship>(
          f.name, "2022",
          NewChairmanship({member}, Span(Date(2022), Date(2022))))
          .name());
  v1::Chairmanship next = NewChairmanship({member}, Span(Date(2023)));
  next.set_continues(f.name + "/chairmanships/2022");
  f.children.push_back(
      MustCreate<v1::Chairmanship>(f.name, "2023", next).name());
  return f;
}

std::string CountUnder(const std::string& forum) {
  return g_db->Query(absl::StrCat(
      "SELECT (SELECT count(*) FROM memberships WHERE forum = '", forum,
      "') || ' ' || (SELECT count(*) FROM sessions WHERE forum = '", forum,
      "') || ' ' || (SELECT count(*) FROM chairmanships WHERE forum = '", forum,
      "') || ' ' || (SELECT count(*) FROM forums WHERE name = '", forum, "')"));
}

TEST_F(IntegrityTest, ForumWithChildrenIsNotDeletedWithoutForce) {
  const FullForum f = MakeFullForum("no-force");
  ExpectRefusedWithoutWrite(
      [&] { return Delete<v1::Forum>(f.name); },
      grpc::StatusCode::FAILED_PRECONDITION,
      AllOf(HasSubstr(f.name), HasSubstr(f.name + "/memberships/a"),
            HasSubstr("force")));
  EXPECT_EQ(CountUnder(f.name), "2 2 2 1");
  // With only sessions left, it names a session.
  for (const std::string& child : f.children) {
    if (child.find("/sessions/") != std::string::npos) continue;
    if (child == f.name + "/chairmanships/2022") continue;  // continued
    ASSERT_TRUE(child.find("/memberships/") != std::string::npos
                    ? Delete<v1::Membership>(child).ok()
                    : Delete<v1::Chairmanship>(child).ok())
        << child;
  }
  ASSERT_TRUE(Delete<v1::Chairmanship>(f.name + "/chairmanships/2022").ok());
  ExpectRefusedWithoutWrite([&] { return Delete<v1::Forum>(f.name); },
                            grpc::StatusCode::FAILED_PRECONDITION,
                            HasSubstr(f.name + "/sessions/1"));
}

TEST_F(IntegrityTest, ForceDeletesTheForumAndEverythingUnderItAtOnce) {
  const FullForum f = MakeFullForum("force");
  const std::string start =
      db().Query("SELECT coalesce(max(sequence), 0) FROM changes");
  ASSERT_TRUE(Delete<v1::Forum>(f.name, /*force=*/true).ok());
  EXPECT_EQ(CountUnder(f.name), "0 0 0 0");
  v1::Forum got;
  EXPECT_EQ(Get<v1::Forum>(f.name, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
  for (const std::string& child : f.children) {
    EXPECT_EQ(db().Query(absl::StrCat("SELECT count(*) FROM changes WHERE "
                                      "operation = 'DELETE' AND resource = '",
                                      child, "' AND sequence > ", start)),
              "1")
        << child;
  }
  // One DELETE row for each child and the forum, all of one transaction.
  const std::string since = absl::StrCat(
      " FROM changes WHERE sequence > ", start, " AND (resource = '", f.name,
      "' OR resource LIKE '", f.name, "/%')");
  EXPECT_EQ(db().Query(absl::StrCat("SELECT count(*)", since,
                                    " AND operation = 'DELETE'")),
            absl::StrCat(f.children.size() + 1));
  EXPECT_EQ(db().Query(absl::StrCat("SELECT count(*)", since,
                                    " AND operation <> 'DELETE'")),
            "0");
  EXPECT_EQ(
      db().Query(absl::StrCat("SELECT count(DISTINCT transaction)", since)),
      "1");
  // No reference made by or to anything under it is left.
  for (const char* table :
       {"participant_references", "forum_references", "source_references",
        "session_references", "chairmanship_references",
        "action_plan_references"}) {
    EXPECT_EQ(db().Query(absl::StrCat("SELECT count(*) FROM ", table,
                                      " WHERE owner = '", f.name,
                                      "' OR owner LIKE '", f.name, "/%'")),
              "0")
        << table;
  }
  // A forum with nothing under it goes with or without force.
  const std::string empty = NewForumId("force-empty");
  EXPECT_TRUE(Delete<v1::Forum>(empty, /*force=*/true).ok());
}

TEST_F(IntegrityTest, ForceIsRefusedWhileARecordOutsideRefersToItsSessions) {
  const FullForum f = MakeFullForum("force-ref");
  v1::Statement statement = NewStatement("Adopted at the first session");
  statement.mutable_adoption()->set_session(f.name + "/sessions/1");
  const std::string statement_name =
      MustCreate<v1::Statement>("", UniqueId("adopted-at"), statement).name();
  ExpectRefusedWithoutWrite(
      [&] { return Delete<v1::Forum>(f.name, /*force=*/true); },
      grpc::StatusCode::FAILED_PRECONDITION,
      AllOf(HasSubstr(f.name + "/sessions/1"), HasSubstr(statement_name)));
  EXPECT_EQ(CountUnder(f.name), "2 2 2 1") << "nothing was deleted";

  // Without the statement's reference it goes.
  ASSERT_TRUE(Delete<v1::Statement>(statement_name).ok());
  EXPECT_TRUE(Delete<v1::Forum>(f.name, /*force=*/true).ok());
  EXPECT_EQ(CountUnder(f.name), "0 0 0 0");
}

TEST_F(IntegrityTest, ForceIsRefusedWhileAnotherForumsMembershipNamesIt) {
  const FullForum f = MakeFullForum("force-member");
  const std::string other = NewForumId("force-member-of");
  const std::string membership =
      MustCreate<v1::Membership>(other, "m", NewMembership(f.name)).name();
  ExpectRefusedWithoutWrite(
      [&] { return Delete<v1::Forum>(f.name, /*force=*/true); },
      grpc::StatusCode::FAILED_PRECONDITION,
      AllOf(HasSubstr(membership), HasSubstr("member")));
  EXPECT_EQ(CountUnder(f.name), "2 2 2 1");
}

TEST_F(IntegrityTest, ASessionOnTheSidelinesOfAnotherForumsSessionBlocksIt) {
  const std::string host_forum = NewForumId("host");
  const std::string guest_forum = NewForumId("sidelines");
  const std::string summit =
      MustCreate<v1::Session>(host_forum, "summit",
                              NewSession("Summit", Date(2023, 9, 5), 43))
          .name();
  v1::Session side = NewSession("On the sidelines", Date(2023, 9, 6), 1);
  side.set_parent_session(summit);
  const std::string side_name =
      MustCreate<v1::Session>(guest_forum, "1", side).name();
  EXPECT_THAT(
      ListNames<v1::Session>(
          {.parent = "forums/-",
           .filter = absl::StrCat("parent_session = \"", summit, "\"")}),
      ElementsAre(side_name));

  ExpectRefusedWithoutWrite([&] { return Delete<v1::Session>(summit); },
                            grpc::StatusCode::FAILED_PRECONDITION,
                            AllOf(HasSubstr(summit), HasSubstr(side_name),
                                  HasSubstr("parent_session")));
  ExpectRefusedWithoutWrite(
      [&] { return Delete<v1::Forum>(host_forum, /*force=*/true); },
      grpc::StatusCode::FAILED_PRECONDITION, HasSubstr(summit));
  EXPECT_EQ(CountUnder(host_forum), "0 1 0 1");

  // The forum on the sidelines may go, and then the summit may.
  ASSERT_TRUE(Delete<v1::Forum>(guest_forum, /*force=*/true).ok());
  v1::Session got;
  EXPECT_TRUE(Get<v1::Session>(summit, &got).ok());
  EXPECT_TRUE(Delete<v1::Session>(summit).ok());
}

}  // namespace
}  // namespace forum_registry
