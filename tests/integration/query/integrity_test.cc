// Integrity: what the database refuses. Overlapping sole-chair terms,
// `continues` outside the forum, every reference to a missing record (on
// create and on update), a session that ends before it starts, and deleting a
// forum that still holds records or that a record outside refers to; with
// `force` a forum goes with everything under it, in one transaction.

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "forumregistry/v1/action_plan.pb.h"
#include "forumregistry/v1/chairmanship.pb.h"
#include "forumregistry/v1/forum.pb.h"
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

using ::forum_registry::testing::SharedRegistry;
using ::forum_registry::testing::UniqueId;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class IntegrityTest : public QueryTest {};

TEST_F(IntegrityTest, OverlappingSoleChairTermsAreRefusedNamingTheOther) {
  const std::string forum = NewForumId("overlap");
  const std::string a = NewStateId("chair-a");
  const std::string b = NewStateId("chair-b");
  const std::string c = NewStateId("chair-c");
  const std::string first =
      Client<v1::Chairmanship>()
          .MustCreate(forum, "2019-2020",
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
  // By one day: a term to December 2020 covers 31 December. Not a handover
  // day: the first term's end is a year, and no source says it ended on the
  // 31st (a handover needs both days stated to the day).
  ExpectCreateRefused<v1::Chairmanship>(
      forum, "from-dec-31",
      NewChairmanship({b}, Span(Date(2020, 12, 31), Date(2021, 6))),
      grpc::StatusCode::FAILED_PRECONDITION, HasSubstr(first));
  // The same chair again is still a second sole term.
  ExpectCreateRefused<v1::Chairmanship>(
      forum, "again", NewChairmanship({a}, Span(Date(2020), Date(2020))),
      grpc::StatusCode::FAILED_PRECONDITION, HasSubstr(first));

  // The next day is free.
  const v1::Chairmanship second = Client<v1::Chairmanship>().MustCreate(
      forum, "2021", NewChairmanship({b}, Span(Date(2021, 1, 1), Date(2021))));
  // Co-chairs share a term with anyone; two co-chair records may overlap.
  Client<v1::Chairmanship>().MustCreate(
      forum, "co-2020", NewChairmanship({b, c}, Span(Date(2020), Date(2021))));
  Client<v1::Chairmanship>().MustCreate(
      forum, "co-2020-bis", NewChairmanship({a, c}, Span(Date(2020, 3))));
  // Another forum's terms are its own.
  Client<v1::Chairmanship>().MustCreate(NewForumId("overlap-other"), "2019",
                                        NewChairmanship({b}, Span(Date(2019))));

  // An update that would overlap is refused the same way.
  v1::Chairmanship patch = second;
  *patch.mutable_term() = Span(Date(2020, 11), Date(2021));
  v1::Chairmanship out;
  ExpectRefusedWithoutWrite(
      [&] { return Client<v1::Chairmanship>().Update(patch, {"term"}, &out); },
      grpc::StatusCode::FAILED_PRECONDITION, HasSubstr(first));
  // A co-chair record that loses a chair becomes a sole term.
  v1::Chairmanship co;
  ASSERT_TRUE(Client<v1::Chairmanship>()
                  .Get(forum + "/chairmanships/co-2020", &co)
                  .ok());
  co.clear_chairs();
  co.add_chairs(c);
  ExpectRefusedWithoutWrite(
      [&] { return Client<v1::Chairmanship>().Update(co, {"chairs"}, &out); },
      grpc::StatusCode::FAILED_PRECONDITION,
      AllOf(HasSubstr("chairmanship.term"), HasSubstr(forum)));
}

// A chairmanship passes at a summit: the outgoing term ends on the summit's
// day and the incoming one begins on it. Sharing that one day is allowed;
// sharing two, ending or starting on the same day, or lying inside another
// term (a one-day term too) is refused as before, naming the term it would
// overlap, and writes nothing.
TEST_F(IntegrityTest, SoleChairsMayHandOverOnTheDayOneEndsAndTheNextBegins) {
  const std::string forum = NewForumId("handover");
  const std::string a = NewStateId("chair-a");
  const std::string b = NewStateId("chair-b");
  const std::string c = NewStateId("chair-c");
  const std::string d = NewStateId("chair-d");
  const std::string first =
      Client<v1::Chairmanship>()
          .MustCreate(
              forum, "first",
              NewChairmanship({a}, Span(Date(2019, 7, 14), Date(2021, 7, 20))))
          .name();
  const v1::Chairmanship second = Client<v1::Chairmanship>().MustCreate(
      forum, "second",
      NewChairmanship({b}, Span(Date(2021, 7, 20), Date(2023, 7, 13))));
  // Open-ended, from the next summit.
  const std::string third =
      Client<v1::Chairmanship>()
          .MustCreate(forum, "third",
                      NewChairmanship({c}, Span(Date(2023, 7, 13))))
          .name();
  const auto terms = [&] {
    return ListNames<v1::Chairmanship>({.parent = forum});
  };
  ASSERT_THAT(terms(), ElementsAre(first, second.name(), third));

  const auto refused = [&](const std::string& id, const v1::Period& term,
                           const std::string& overlapped) {
    SCOPED_TRACE(id);
    ExpectCreateRefused<v1::Chairmanship>(
        forum, id, NewChairmanship({d}, term),
        grpc::StatusCode::FAILED_PRECONDITION,
        AllOf(HasSubstr("chairmanship.term: overlaps the sole-chair term of " +
                        overlapped),
              HasSubstr("a forum has one sole chair at a time")));
  };
  // Two days shared: from the day before the second term ends.
  refused("two-days", Span(Date(2023, 7, 12), Date(2023, 12, 31)),
          second.name());
  // Inside a term, and one day inside it.
  refused("inside", Span(Date(2022, 1, 1), Date(2022, 6, 30)), second.name());
  refused("one-day-inside", Span(Date(2022, 3, 3), Date(2022, 3, 3)),
          second.name());
  // A one-day term on a handover day shares it with both terms.
  refused("summit-day", Span(Date(2021, 7, 20), Date(2021, 7, 20)), first);
  // Taking over on a handover day, but for longer than that day from the
  // incoming term.
  refused("bridge", Span(Date(2021, 7, 20), Date(2021, 7, 21)), second.name());
  refused("same-start", Span(Date(2023, 7, 13), Date(2023, 7, 20)), third);
  ASSERT_THAT(terms(), ElementsAre(first, second.name(), third))
      << "a refused term was written";

  // An update that would take one more day of the next term is refused; one
  // that keeps the handover day is not.
  v1::Chairmanship patch = second;
  *patch.mutable_term() = Span(Date(2021, 7, 20), Date(2023, 7, 14));
  v1::Chairmanship out;
  ExpectRefusedWithoutWrite(
      [&] { return Client<v1::Chairmanship>().Update(patch, {"term"}, &out); },
      grpc::StatusCode::FAILED_PRECONDITION, HasSubstr(third));
  *patch.mutable_term() = Span(Date(2021, 7, 20), Date(2023, 7, 13));
  patch.set_description("handed over at the summit");
  ASSERT_TRUE(Client<v1::Chairmanship>()
                  .Update(patch, {"term", "description"}, &out)
                  .ok());

  // Before the first term, a handover on its first day.
  Client<v1::Chairmanship>().MustCreate(
      forum, "zeroth",
      NewChairmanship({d}, Span(Date(2017, 7, 1), Date(2019, 7, 14))));

  // A handover needs both days stated to the day: a term that ends "in
  // 2024" may end on any day of it, one that starts "in 2026" on any day of
  // that year, so each shares its first or last day with the other term.
  // (The two-day term would be a handover on 1 January with the later term
  // alone.)
  const std::string partial = NewForumId("handover-partial");
  const std::string ends_2024 =
      Client<v1::Chairmanship>()
          .MustCreate(partial, "to-2024",
                      NewChairmanship({a}, Span(Date(2023, 1, 1), Date(2024))))
          .name();
  const std::string to_new_year =
      Client<v1::Chairmanship>()
          .MustCreate(
              partial, "to-new-year",
              NewChairmanship({b}, Span(Date(2025, 1, 1), Date(2026, 1, 1))))
          .name();
  ExpectCreateRefused<v1::Chairmanship>(
      partial, "from-dec-31",
      NewChairmanship({c}, Span(Date(2024, 12, 31), Date(2025, 1, 1))),
      grpc::StatusCode::FAILED_PRECONDITION, HasSubstr(ends_2024));
  ExpectCreateRefused<v1::Chairmanship>(
      partial, "from-2026", NewChairmanship({c}, Span(Date(2026))),
      grpc::StatusCode::FAILED_PRECONDITION, HasSubstr(to_new_year));
  EXPECT_THAT(ListNames<v1::Chairmanship>({.parent = partial}),
              ElementsAre(ends_2024, to_new_year));
}

TEST_F(IntegrityTest, ContinuesMustNameAChairmanshipOfTheSameForum) {
  const std::string forum = NewForumId("continues");
  const std::string chair = NewStateId("chair");
  const std::string other = NewForumId("continues-other");
  const std::string elsewhere =
      Client<v1::Chairmanship>()
          .MustCreate(other, "2019", NewChairmanship({chair}, Span(Date(2019))))
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
      Client<v1::Chairmanship>()
          .MustCreate(forum, "2019",
                      NewChairmanship({chair}, Span(Date(2019), Date(2020))))
          .name();
  next.set_continues(first);
  EXPECT_EQ(
      Client<v1::Chairmanship>().MustCreate(forum, "2021", next).continues(),
      first);
  // The continued term cannot go while the later one refers to it.
  ExpectRefusedWithoutWrite(
      [&] { return Client<v1::Chairmanship>().Delete(first); },
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
                       return Client<v1::Session>().Create(forum, UniqueId("s"),
                                                           s, &out);
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
                       return Client<v1::Membership>().Create(
                           forum, UniqueId("m"), m, &out);
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
    cases.push_back({field, missing, [=] {
                       v1::Chairmanship c =
                           NewChairmanship({state}, Span(Date(1900)));
                       set(&c);
                       v1::Chairmanship out;
                       return Client<v1::Chairmanship>().Create(
                           forum, UniqueId("c"), c, &out);
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
                       return Client<v1::ActionPlan>().Create(
                           "", UniqueId("refs-plan"), p, &out);
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
                       return Client<v1::Statement>().Create(
                           "", UniqueId("refs-stmt"), s, &out);
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
                       return Client<v1::Source>().Create(
                           "", UniqueId("refs-src"), s, &out);
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
  const v1::Session created = Client<v1::Session>().MustCreate(
      forum, "1", NewSession("One", Date(2023)));
  v1::Session patch = created;
  patch.mutable_venue()->set_country("participants/nowhere");
  v1::Session out;
  ExpectRefusedWithoutWrite(
      [&] { return Client<v1::Session>().Update(patch, {"venue"}, &out); },
      grpc::StatusCode::INVALID_ARGUMENT,
      AllOf(HasSubstr("session.venue.country"),
            HasSubstr("participants/nowhere")));
  v1::Session got;
  ASSERT_TRUE(Client<v1::Session>().Get(created.name(), &got).ok());
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
  Client<v1::Session>().MustCreate(forum, "july", session);
  // Nor is an update allowed to turn it around.
  v1::Session patch;
  patch.set_name(forum + "/sessions/july");
  *patch.mutable_end_date() = Date(2023, 6, 30);
  v1::Session out;
  ExpectRefusedWithoutWrite(
      [&] { return Client<v1::Session>().Update(patch, {"end_date"}, &out); },
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
  f.children.push_back(Client<v1::Membership>()
                           .MustCreate(f.name, "a", NewMembership(member))
                           .name());
  f.children.push_back(Client<v1::Membership>()
                           .MustCreate(f.name, "b", NewMembership(other))
                           .name());
  f.children.push_back(
      Client<v1::Session>()
          .MustCreate(f.name, "1", NewSession("First", Date(2022), 1))
          .name());
  v1::Session inner = NewSession("Inside the first", Date(2022), 0);
  inner.set_parent_session(f.name + "/sessions/1");
  inner.mutable_venue()->set_country(member);
  f.children.push_back(
      Client<v1::Session>().MustCreate(f.name, "1-side", inner).name());
  f.children.push_back(
      Client<v1::Chairmanship>()
          .MustCreate(f.name, "2022",
                      NewChairmanship({member}, Span(Date(2022), Date(2022))))
          .name());
  v1::Chairmanship next = NewChairmanship({member}, Span(Date(2023)));
  next.set_continues(f.name + "/chairmanships/2022");
  f.children.push_back(
      Client<v1::Chairmanship>().MustCreate(f.name, "2023", next).name());
  return f;
}

std::string CountUnder(const std::string& forum) {
  return SharedRegistry::db()->Query(absl::StrCat(
      "SELECT (SELECT count(*) FROM memberships WHERE forum = '", forum,
      "') || ' ' || (SELECT count(*) FROM sessions WHERE forum = '", forum,
      "') || ' ' || (SELECT count(*) FROM chairmanships WHERE forum = '", forum,
      "') || ' ' || (SELECT count(*) FROM forums WHERE name = '", forum, "')"));
}

TEST_F(IntegrityTest, ForumWithChildrenIsNotDeletedWithoutForce) {
  const FullForum f = MakeFullForum("no-force");
  ExpectRefusedWithoutWrite(
      [&] { return Client<v1::Forum>().Delete(f.name); },
      grpc::StatusCode::FAILED_PRECONDITION,
      AllOf(HasSubstr(f.name), HasSubstr(f.name + "/memberships/a"),
            HasSubstr("force")));
  EXPECT_EQ(CountUnder(f.name), "2 2 2 1");
  // With only sessions left, it names a session.
  for (const std::string& child : f.children) {
    if (child.find("/sessions/") != std::string::npos) continue;
    if (child == f.name + "/chairmanships/2022") continue;  // continued
    ASSERT_TRUE(child.find("/memberships/") != std::string::npos
                    ? Client<v1::Membership>().Delete(child).ok()
                    : Client<v1::Chairmanship>().Delete(child).ok())
        << child;
  }
  ASSERT_TRUE(
      Client<v1::Chairmanship>().Delete(f.name + "/chairmanships/2022").ok());
  ExpectRefusedWithoutWrite([&] { return Client<v1::Forum>().Delete(f.name); },
                            grpc::StatusCode::FAILED_PRECONDITION,
                            HasSubstr(f.name + "/sessions/1"));
}

TEST_F(IntegrityTest, ForceDeletesTheForumAndEverythingUnderItAtOnce) {
  const FullForum f = MakeFullForum("force");
  const std::string start =
      db().Query("SELECT coalesce(max(sequence), 0) FROM changes");
  ASSERT_TRUE(Client<v1::Forum>().Delete(f.name, {.force = true}).ok());
  EXPECT_EQ(CountUnder(f.name), "0 0 0 0");
  v1::Forum got;
  EXPECT_EQ(Client<v1::Forum>().Get(f.name, &got).error_code(),
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
  EXPECT_TRUE(Client<v1::Forum>().Delete(empty, {.force = true}).ok());
}

TEST_F(IntegrityTest, ForceIsRefusedWhileARecordOutsideRefersToItsSessions) {
  const FullForum f = MakeFullForum("force-ref");
  v1::Statement statement = NewStatement("Adopted at the first session");
  statement.mutable_adoption()->set_session(f.name + "/sessions/1");
  const std::string statement_name =
      Client<v1::Statement>()
          .MustCreate("", UniqueId("adopted-at"), statement)
          .name();
  ExpectRefusedWithoutWrite(
      [&] { return Client<v1::Forum>().Delete(f.name, {.force = true}); },
      grpc::StatusCode::FAILED_PRECONDITION,
      AllOf(HasSubstr(f.name + "/sessions/1"), HasSubstr(statement_name)));
  EXPECT_EQ(CountUnder(f.name), "2 2 2 1") << "nothing was deleted";

  // Without the statement's reference it goes.
  ASSERT_TRUE(Client<v1::Statement>().Delete(statement_name).ok());
  EXPECT_TRUE(Client<v1::Forum>().Delete(f.name, {.force = true}).ok());
  EXPECT_EQ(CountUnder(f.name), "0 0 0 0");
}

TEST_F(IntegrityTest, ForceIsRefusedWhileAnotherForumsMembershipNamesIt) {
  const FullForum f = MakeFullForum("force-member");
  const std::string other = NewForumId("force-member-of");
  const std::string membership =
      Client<v1::Membership>()
          .MustCreate(other, "m", NewMembership(f.name))
          .name();
  ExpectRefusedWithoutWrite(
      [&] { return Client<v1::Forum>().Delete(f.name, {.force = true}); },
      grpc::StatusCode::FAILED_PRECONDITION,
      AllOf(HasSubstr(membership), HasSubstr("member")));
  EXPECT_EQ(CountUnder(f.name), "2 2 2 1");
}

TEST_F(IntegrityTest, ASessionOnTheSidelinesOfAnotherForumsSessionBlocksIt) {
  const std::string host_forum = NewForumId("host");
  const std::string guest_forum = NewForumId("sidelines");
  const std::string summit =
      Client<v1::Session>()
          .MustCreate(host_forum, "summit",
                      NewSession("Summit", Date(2023, 9, 5), 43))
          .name();
  v1::Session side = NewSession("On the sidelines", Date(2023, 9, 6), 1);
  side.set_parent_session(summit);
  const std::string side_name =
      Client<v1::Session>().MustCreate(guest_forum, "1", side).name();
  EXPECT_THAT(
      ListNames<v1::Session>(
          {.parent = "forums/-",
           .filter = absl::StrCat("parent_session = \"", summit, "\"")}),
      ElementsAre(side_name));

  ExpectRefusedWithoutWrite(
      [&] { return Client<v1::Session>().Delete(summit); },
      grpc::StatusCode::FAILED_PRECONDITION,
      AllOf(HasSubstr(summit), HasSubstr(side_name),
            HasSubstr("parent_session")));
  ExpectRefusedWithoutWrite(
      [&] { return Client<v1::Forum>().Delete(host_forum, {.force = true}); },
      grpc::StatusCode::FAILED_PRECONDITION, HasSubstr(summit));
  EXPECT_EQ(CountUnder(host_forum), "0 1 0 1");

  // The forum on the sidelines may go, and then the summit may.
  ASSERT_TRUE(Client<v1::Forum>().Delete(guest_forum, {.force = true}).ok());
  v1::Session got;
  EXPECT_TRUE(Client<v1::Session>().Get(summit, &got).ok());
  EXPECT_TRUE(Client<v1::Session>().Delete(summit).ok());
}

}  // namespace
}  // namespace forum_registry::query_test
