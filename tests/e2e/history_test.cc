// Issue 27: the registry as it stood after any revision of its change log,
// and records brought back after a delete (AIP-164), against the real server.

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "forumregistry/v1/chairmanship.pb.h"
#include "forumregistry/v1/forum.pb.h"
#include "forumregistry/v1/membership.pb.h"
#include "forumregistry/v1/participant.pb.h"
#include "forumregistry/v1/session.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/resource_client.h"
#include "tests/support/test_support.h"

namespace forum_registry::testing {
namespace {

namespace v1 = ::forumregistry::v1;

using ::testing::HasSubstr;

// The revision a write's answer names (x-forum-registry-revision).
int64_t RevisionOf(const grpc::ClientContext& context) {
  int64_t revision = 0;
  EXPECT_TRUE(absl::SimpleAtoi(RevisionHeader(context), &revision))
      << "a write without x-forum-registry-revision";
  return revision;
}

v1::Forum NewForum(const std::string& display_name, v1::ForumKind kind) {
  v1::Forum forum;
  forum.set_display_name(display_name);
  forum.set_kind(kind);
  return forum;
}

using State = std::map<std::string, v1::Forum>;  // by name

// The records of `state` a List with `kind = FORUM_KIND_SUMMIT` and
// `order_by = "display_name desc"` returns, ordered by the test itself.
std::vector<v1::Forum> SummitsByNameDescending(const State& state) {
  std::vector<v1::Forum> summits;
  for (const auto& [name, forum] : state) {
    if (forum.kind() == v1::FORUM_KIND_SUMMIT) summits.push_back(forum);
  }
  std::sort(summits.begin(), summits.end(),
            [](const v1::Forum& a, const v1::Forum& b) {
              if (a.display_name() != b.display_name()) {
                return a.display_name() > b.display_name();
              }
              return a.name() < b.name();
            });
  return summits;
}

class History : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = TestDatabase::Create();
    server_ = ServerProcess::Start(db_->url());
    forums_ = std::make_unique<ResourceClient<v1::Forum>>(server_->Channel());
  }

  // Creates, updates or deletes, and records the registry as the test
  // knows it after the write's revision.
  void Create(const std::string& id, const v1::Forum& forum) {
    grpc::ClientContext context;
    v1::Forum out;
    const grpc::Status status = forums_->Create("", id, forum, &out, &context);
    ASSERT_TRUE(status.ok()) << Describe(status);
    state_[out.name()] = out;
    Record(RevisionOf(context));
  }
  void Rename(const std::string& name, const std::string& display_name) {
    v1::Forum forum;
    forum.set_name(name);
    forum.set_display_name(display_name);
    grpc::ClientContext context;
    v1::Forum out;
    const grpc::Status status =
        forums_->Update(forum, {"display_name"}, &out, &context);
    ASSERT_TRUE(status.ok()) << Describe(status);
    state_[name] = out;
    Record(RevisionOf(context));
  }
  void Delete(const std::string& name) {
    grpc::ClientContext context;
    const grpc::Status status = forums_->Delete(name, {}, &context);
    ASSERT_TRUE(status.ok()) << Describe(status);
    state_.erase(name);
    Record(RevisionOf(context));
  }
  void Record(int64_t revision) {
    ASSERT_GT(revision, 0);
    states_[revision] = state_;
  }

  // Every Get and List at `revision` answers with `state`.
  void ExpectAsOf(int64_t revision, const State& state) {
    SCOPED_TRACE(absl::StrCat("as of revision ", revision));
    for (const char* name : {"forums/alpha", "forums/beta", "forums/gamma"}) {
      v1::Forum got;
      const grpc::Status status = forums_->GetAsOf(name, revision, &got);
      const auto expected = state.find(name);
      if (expected == state.end()) {
        EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
            << name << ": " << Describe(status);
        EXPECT_THAT(
            status.error_message(),
            HasSubstr(absl::StrCat("did not exist at revision ", revision)));
      } else {
        ASSERT_TRUE(status.ok()) << name << ": " << Describe(status);
        ExpectSameMessage(got, expected->second);
      }
    }
    // The whole collection, a record per page.
    std::vector<v1::Forum> listed;
    ASSERT_TRUE(
        forums_->ListAll({.page_size = 1, .as_of_revision = revision}, &listed)
            .ok());
    ASSERT_EQ(listed.size(), state.size());
    auto expected = state.begin();
    for (const v1::Forum& forum : listed) {
      ExpectSameMessage(forum, (expected++)->second);
    }
    // Filtered and ordered as on the present.
    std::vector<v1::Forum> summits;
    ASSERT_TRUE(forums_
                    ->ListAll({.filter = "kind = FORUM_KIND_SUMMIT",
                               .order_by = "display_name desc",
                               .page_size = 1,
                               .as_of_revision = revision},
                              &summits)
                    .ok());
    const std::vector<v1::Forum> wanted = SummitsByNameDescending(state);
    ASSERT_EQ(summits.size(), wanted.size());
    for (size_t i = 0; i < wanted.size(); ++i) {
      ExpectSameMessage(summits[i], wanted[i]);
    }
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<ResourceClient<v1::Forum>> forums_;
  State state_;
  std::map<int64_t, State> states_;  // by revision
};

TEST_F(History, GetAndListAnswerAsTheRegistryStoodAfterEveryRevision) {
  Create("alpha", NewForum("Alpha", v1::FORUM_KIND_SUMMIT));
  Create("beta", NewForum("Beta", v1::FORUM_KIND_MINISTERIAL));
  Rename("forums/alpha", "Alpha, second");
  Create("gamma", NewForum("Gamma", v1::FORUM_KIND_SUMMIT));
  Rename("forums/alpha", "Alpha, third");
  Rename("forums/beta", "Beta, second");
  Delete("forums/alpha");
  Rename("forums/gamma", "Gamma, second");
  // A new incarnation under the old name: its own etag, its own history.
  Create("alpha", NewForum("Alpha reborn", v1::FORUM_KIND_SUMMIT));
  ASSERT_FALSE(HasFailure());
  for (const auto& [revision, state] : states_) ExpectAsOf(revision, state);
  // Before the first write, the registry was empty.
  if (states_.begin()->first > 1) ExpectAsOf(states_.begin()->first - 1, {});

  // The present is the newest revision.
  const int64_t newest = states_.rbegin()->first;
  std::vector<v1::Forum> present, at_newest;
  ASSERT_TRUE(forums_->ListAll({}, &present).ok());
  ASSERT_TRUE(forums_->ListAll({.as_of_revision = newest}, &at_newest).ok());
  ASSERT_EQ(present.size(), at_newest.size());
  for (size_t i = 0; i < present.size(); ++i) {
    ExpectSameMessage(at_newest[i], present[i]);
  }
}

TEST_F(History, RevisionsOutsideTheLogAreRefusedNamingTheRange) {
  Create("alpha", NewForum("Alpha", v1::FORUM_KIND_SUMMIT));
  Rename("forums/alpha", "Alpha, second");
  Create("beta", NewForum("Beta", v1::FORUM_KIND_MINISTERIAL));
  Rename("forums/alpha", "Alpha, third");
  Create("gamma", NewForum("Gamma", v1::FORUM_KIND_SUMMIT));
  Delete("forums/beta");
  Rename("forums/gamma", "Gamma, second");
  ASSERT_FALSE(HasFailure());
  const int64_t newest = states_.rbegin()->first;
  const std::string before = db_->WriteState();

  // Not written yet, and negative.
  v1::Forum forum;
  grpc::Status status = forums_->GetAsOf("forums/alpha", newest + 1, &forum);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE)
      << Describe(status);
  EXPECT_THAT(status.error_message(),
              HasSubstr(absl::StrCat("as_of_revision: ", newest + 1,
                                     " has not been written yet; the newest "
                                     "revision is ",
                                     newest)));
  std::vector<v1::Forum> listed;
  status = forums_->ListAll({.as_of_revision = newest + 1}, &listed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE)
      << Describe(status);
  status = forums_->GetAsOf("forums/alpha", -1, &forum);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << Describe(status);
  EXPECT_THAT(status.error_message(), HasSubstr("as_of_revision: -1"));
  status = forums_->ListAll({.as_of_revision = -1}, &listed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << Describe(status);

  // A page token is bound to its revision.
  v1::ListForumsResponse page;
  const int64_t some = states_.begin()->first + 2;
  ASSERT_TRUE(
      forums_->List({.page_size = 1, .as_of_revision = some}, &page).ok());
  ASSERT_FALSE(page.next_page_token().empty());
  status = forums_->List({.page_size = 1,
                          .page_token = page.next_page_token(),
                          .as_of_revision = some + 1},
                         &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << Describe(status);
  EXPECT_THAT(status.error_message(), HasSubstr("page_token"));
  EXPECT_EQ(db_->WriteState(), before) << "reads wrote nothing";

  // Retention compacts the log up to a horizon (migrations/0015): every
  // revision from it on still reads exactly; older ones are refused,
  // naming where the history begins.
  db_->Execute("UPDATE retention_floor SET changes = interval '0'");
  const int64_t first_revision =
      std::stoll(db_->Query("SELECT min(sequence) FROM changes"));
  db_->Execute("SELECT purge_changes(interval '0', 4)");
  const int64_t horizon =
      std::stoll(db_->Query("SELECT revision FROM change_horizon"));
  ASSERT_EQ(horizon, first_revision + 3) << "four changes passed";
  ASSERT_GT(horizon, states_.begin()->first);
  EXPECT_LT(std::stoll(db_->Query("SELECT count(*) FROM changes")),
            static_cast<int64_t>(states_.size()))
      << "superseded changes were deleted";
  status = forums_->GetAsOf("forums/alpha", horizon - 1, &forum);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE)
      << Describe(status);
  EXPECT_THAT(status.error_message(),
              HasSubstr(absl::StrCat("begins at revision ", horizon)));
  status = forums_->ListAll({.as_of_revision = horizon - 1}, &listed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE)
      << Describe(status);
  // The state after the horizon's revision: that of the last write at or
  // before it.
  const auto at_horizon = std::prev(states_.upper_bound(horizon));
  ExpectAsOf(horizon, at_horizon->second);
  for (auto it = states_.upper_bound(horizon); it != states_.end(); ++it) {
    ExpectAsOf(it->first, it->second);
  }
}

// Records of a forum: a session inside another, a membership and a sole
// chair, all as the API writes them.
class Undelete : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = TestDatabase::Create();
    ASSERT_EQ(RunCommand({BinaryPath(), "import",
                          "--database-url=" + db_->url(), SeedPath()})
                  .exit_code,
              0);
    server_ = ServerProcess::Start(db_->url());
    participant_ =
        db_->Query("SELECT name FROM participants ORDER BY name LIMIT 1");
    ASSERT_FALSE(participant_.empty());
    ResourceClient<v1::Forum> forums(server_->Channel());
    v1::Forum forum;
    ASSERT_TRUE(forums
                    .Create("", "dialogue",
                            NewForum("Dialogue", v1::FORUM_KIND_DIALOGUE),
                            &forum)
                    .ok());
    ResourceClient<v1::Session> sessions(server_->Channel());
    v1::Session summit;
    summit.set_display_name("First summit");
    summit.mutable_start_date()->set_year(2023);
    summit.mutable_start_date()->set_month(7);
    summit.mutable_start_date()->set_day(14);
    v1::Session out;
    grpc::Status status = sessions.Create(kForum, "first", summit, &out);
    ASSERT_TRUE(status.ok()) << Describe(status);
    v1::Session side = summit;
    side.set_display_name("On the sidelines");
    side.set_parent_session(absl::StrCat(kForum, "/sessions/first"));
    status = sessions.Create(kForum, "side", side, &out);
    ASSERT_TRUE(status.ok()) << Describe(status);
    // The first session moves to the next day: its row goes behind the
    // second's (a new version of a row with an indexed column changed) and
    // after it in date order, so a forced delete removes "side" first, by
    // either plan, and an undelete meets it first: it must wait for the
    // session it refers to.
    v1::Session moved;
    moved.set_name(absl::StrCat(kForum, "/sessions/first"));
    moved.mutable_start_date()->set_year(2023);
    moved.mutable_start_date()->set_month(7);
    moved.mutable_start_date()->set_day(15);
    status = sessions.Update(moved, {"start_date"}, &out);
    ASSERT_TRUE(status.ok()) << Describe(status);
    ResourceClient<v1::Membership> memberships(server_->Channel());
    v1::Membership member;
    member.set_member(participant_);
    member.set_role(v1::MEMBERSHIP_ROLE_MEMBER);
    v1::Membership member_out;
    status = memberships.Create(kForum, "member", member, &member_out);
    ASSERT_TRUE(status.ok()) << Describe(status);
    ResourceClient<v1::Chairmanship> chairmanships(server_->Channel());
    v1::Chairmanship chair;
    chair.add_chairs(participant_);
    chair.mutable_term()->mutable_start()->set_year(2023);
    chair.mutable_term()->mutable_start()->set_month(1);
    chair.mutable_term()->mutable_start()->set_day(1);
    chair.mutable_term()->mutable_end()->set_year(2023);
    chair.mutable_term()->mutable_end()->set_month(12);
    chair.mutable_term()->mutable_end()->set_day(31);
    v1::Chairmanship chair_out;
    status = chairmanships.Create(kForum, "chair-2023", chair, &chair_out);
    ASSERT_TRUE(status.ok()) << Describe(status);
  }

  std::string Export() const {
    const CommandResult result =
        RunCommand({BinaryPath(), "export", "--database-url=" + db_->url()});
    EXPECT_EQ(result.exit_code, 0) << result.error;
    return result.output;
  }

  static constexpr char kForum[] = "forums/dialogue";
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<ServerProcess> server_;
  std::string participant_;
};

TEST_F(Undelete, AForcedDeleteComesBackWhole) {
  const std::string before = Export();
  ResourceClient<v1::Forum> forums(server_->Channel());
  v1::Forum original;
  ASSERT_TRUE(forums.Get(kForum, &original).ok());
  ASSERT_TRUE(forums.Delete(kForum, {.force = true}).ok());
  ASSERT_EQ(db_->Query("SELECT string_agg(resource, ',' ORDER BY sequence) "
                       "FROM changes WHERE operation = 'DELETE' AND resource "
                       "LIKE 'forums/dialogue/sessions/%'"),
            "forums/dialogue/sessions/side,forums/dialogue/sessions/first")
      << "the case this test is for: a session deleted before the one it "
         "refers to";
  ASSERT_NE(Export(), before);
  EXPECT_EQ(db_->Count("sessions WHERE forum = 'forums/dialogue'"), 0);

  // A stale etag restores nothing.
  const std::string deleted_state = db_->WriteState();
  v1::Forum restored;
  grpc::Status status = forums.Undelete(kForum, &restored, "\"v9-0\"");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED) << Describe(status);
  EXPECT_EQ(db_->WriteState(), deleted_state);

  grpc::ClientContext context;
  auto request = forums.any().UndeleteRequest(
      kForum, original.etag(), "0b6f6c1e-7a0e-4c55-9d3e-2f1f0d6a4b11");
  status =
      forums.Call(StandardMethod::kUndelete, *request, &restored, &context);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(restored.display_name(), original.display_name());
  EXPECT_EQ(restored.create_time().seconds(), original.create_time().seconds());
  EXPECT_NE(restored.etag(), original.etag());
  EXPECT_GT(RevisionOf(context), 0);
  // The registry is what it was, every record of the forum back.
  EXPECT_EQ(Export(), before);
  // The log records each restore as a CREATE, with the request's id.
  EXPECT_EQ(db_->Query("SELECT count(*) FROM changes WHERE operation = "
                       "'CREATE' AND request_id = "
                       "'0b6f6c1e-7a0e-4c55-9d3e-2f1f0d6a4b11'"),
            "5");
  // Sent again with its id: the same answer, nothing written again.
  const std::string after = db_->WriteState();
  v1::Forum replayed;
  ASSERT_TRUE(forums.Call(StandardMethod::kUndelete, *request, &replayed).ok());
  EXPECT_EQ(replayed.etag(), restored.etag());
  EXPECT_EQ(db_->WriteState(), after);
  // Without the id, a record that exists is not restored again.
  status = forums.Undelete(kForum, &replayed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS)
      << Describe(status);
  EXPECT_THAT(status.error_message(),
              HasSubstr("forum forums/dialogue exists; only a deleted record "
                        "can be restored"));
  EXPECT_EQ(db_->WriteState(), after);
}

TEST_F(Undelete, WhatCannotComeBackIsRefusedAndWritesNothing) {
  ResourceClient<v1::Forum> forums(server_->Channel());
  ResourceClient<v1::Session> sessions(server_->Channel());
  ResourceClient<v1::Chairmanship> chairmanships(server_->Channel());
  ResourceClient<v1::Membership> memberships(server_->Channel());
  ResourceClient<v1::Participant> participants(server_->Channel());
  const auto expect_refused = [&](grpc::Status status, grpc::StatusCode code,
                                  const std::string& says) {
    EXPECT_EQ(status.error_code(), code) << Describe(status);
    EXPECT_THAT(status.error_message(), HasSubstr(says));
  };

  // Never deleted; not a name.
  std::string state = db_->WriteState();
  v1::Forum forum;
  expect_refused(forums.Undelete("forums/never", &forum),
                 grpc::StatusCode::NOT_FOUND,
                 "forum forums/never was not deleted within the change "
                 "log's history");
  expect_refused(forums.Undelete("forums/Not A Name", &forum),
                 grpc::StatusCode::INVALID_ARGUMENT, "name");
  EXPECT_EQ(db_->WriteState(), state);

  // Its name taken since.
  const std::string side = absl::StrCat(kForum, "/sessions/side");
  ASSERT_TRUE(sessions.Delete(side).ok());
  v1::Session again;
  again.set_display_name("Another meeting under the same id");
  again.mutable_start_date()->set_year(2024);
  ASSERT_TRUE(sessions.Create(kForum, "side", again, &again).ok());
  state = db_->WriteState();
  v1::Session session;
  expect_refused(sessions.Undelete(side, &session),
                 grpc::StatusCode::ALREADY_EXISTS,
                 "session forums/dialogue/sessions/side exists");
  EXPECT_EQ(db_->WriteState(), state);

  // Two sole chairs: the rule's own message.
  const std::string chair = absl::StrCat(kForum, "/chairmanships/chair-2023");
  v1::Chairmanship held;
  ASSERT_TRUE(chairmanships.Get(chair, &held).ok());
  ASSERT_TRUE(chairmanships.Delete(chair).ok());
  held.clear_name();
  held.mutable_term()->mutable_start()->set_month(6);
  ASSERT_TRUE(chairmanships.Create(kForum, "chair-mid", held, &held).ok());
  state = db_->WriteState();
  v1::Chairmanship chairmanship;
  expect_refused(chairmanships.Undelete(chair, &chairmanship),
                 grpc::StatusCode::FAILED_PRECONDITION,
                 "overlaps the sole-chair term of "
                 "forums/dialogue/chairmanships/chair-mid");
  EXPECT_EQ(db_->WriteState(), state);

  // A reference to a record deleted since: the member.
  ASSERT_TRUE(
      chairmanships.Delete(absl::StrCat(kForum, "/chairmanships/chair-mid"))
          .ok());
  const std::string membership = absl::StrCat(kForum, "/memberships/member");
  ASSERT_TRUE(memberships.Delete(membership).ok());
  v1::Participant stranger;
  stranger.set_display_name("Stranger");
  stranger.set_kind(v1::PARTICIPANT_KIND_STATE);
  ASSERT_TRUE(participants.Create("", "stranger", stranger, &stranger).ok());
  v1::Membership joined;
  joined.set_member("participants/stranger");
  joined.set_role(v1::MEMBERSHIP_ROLE_OBSERVER);
  ASSERT_TRUE(memberships.Create(kForum, "stranger", joined, &joined).ok());
  ASSERT_TRUE(memberships.Delete(joined.name()).ok());
  ASSERT_TRUE(participants.Delete("participants/stranger").ok());
  state = db_->WriteState();
  v1::Membership restored;
  const grpc::Status refused = memberships.Undelete(joined.name(), &restored);
  EXPECT_NE(refused.error_code(), grpc::StatusCode::OK);
  EXPECT_THAT(refused.error_message(), HasSubstr("participants/stranger"));
  EXPECT_EQ(db_->WriteState(), state);
  // The one whose member still exists comes back.
  EXPECT_TRUE(memberships.Undelete(membership, &restored).ok());

  // A nested record whose forum is gone: restore the forum first.
  ASSERT_TRUE(forums.Delete(kForum, {.force = true}).ok());
  state = db_->WriteState();
  expect_refused(memberships.Undelete(membership, &restored),
                 grpc::StatusCode::FAILED_PRECONDITION,
                 "forums/dialogue, the parent of "
                 "forums/dialogue/memberships/member, does not exist");
  EXPECT_EQ(db_->WriteState(), state);
}

}  // namespace
}  // namespace forum_registry::testing
