// CRUD and pagination, the same way for each of the six new kinds: sources,
// memberships, sessions, chairmanships, action plans and statements. Each test
// creates seven records of its own, reads them back, pages through them two at
// a time, updates one through an update mask and deletes one (ExerciseCrud),
// checking what every step returns and that the delete is logged.

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "forumregistry/v1/action_plan.pb.h"
#include "forumregistry/v1/chairmanship.pb.h"
#include "forumregistry/v1/membership.pb.h"
#include "forumregistry/v1/session.pb.h"
#include "forumregistry/v1/source.pb.h"
#include "forumregistry/v1/statement.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/support/status.h"
#include "gtest/gtest.h"
#include "tests/integration/query/query_fixture.h"
#include "tests/support/test_support.h"

namespace forum_registry::query_test {
namespace {

using ::forum_registry::testing::Describe;
using ::forum_registry::testing::SharedRegistry;
using ::forum_registry::testing::UniqueId;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

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
    const grpc::Status status = Client<R>().Create(parent, id, make(i), &out);
    ASSERT_TRUE(status.ok()) << "Create " << id << ": " << Describe(status);
    EXPECT_EQ(out.name(), prefix + id);
    EXPECT_THAT(out.etag(), ::testing::StartsWith("v1."));
    EXPECT_TRUE(out.has_create_time());
    created.push_back(out);
    names.push_back(out.name());
  }
  std::sort(names.begin(), names.end());

  // Get returns what Create returned.
  for (const R& record : created) {
    R got;
    const grpc::Status status = Client<R>().Get(record.name(), &got);
    ASSERT_TRUE(status.ok()) << record.name() << ": " << Describe(status);
    ExpectSameMessage(got, record);
  }

  // Two at a time: four pages, every record once, in name order.
  ListArgs args = scope;
  args.page_size = 2;
  std::vector<R> listed;
  int pages = 0;
  const grpc::Status list_status = Client<R>().ListAll(args, &listed, &pages);
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
  const grpc::Status update_status =
      Client<R>().Update(patch, {update_path}, &updated);
  ASSERT_TRUE(update_status.ok()) << Describe(update_status);
  EXPECT_THAT(updated.etag(), ::testing::StartsWith("v2."));
  check_changed(updated);
  R got;
  ASSERT_TRUE(Client<R>().Get(created[0].name(), &got).ok());
  ExpectSameMessage(got, updated);

  // Delete one: gone from Get and from the list, and logged.
  const std::string gone = created[6].name();
  const grpc::Status delete_status = Client<R>().Delete(gone);
  ASSERT_TRUE(delete_status.ok()) << Describe(delete_status);
  EXPECT_EQ(Client<R>().Get(gone, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
  names.erase(std::find(names.begin(), names.end(), gone));
  EXPECT_THAT(ListNames<R>(args), ElementsAreArray(names));
  EXPECT_EQ(SharedRegistry::db()->Query(
                absl::StrCat("SELECT count(*) FROM changes WHERE "
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

}  // namespace
}  // namespace forum_registry::query_test
