// The issue's "done when", end to end and only through `buf curl --protocol
// grpc` with JSON bodies against the real server: record a forum the project
// was not built around — a made-up "Arctic Coastal Dialogue" — with its
// participants, members over periods (one of which left), a chairmanship that
// rotates every year, and numbered sessions held in person or online, one of
// them on the sidelines of another forum's session; then ask who chaired it
// on a given day, which of its sessions fell in a date range (in date order),
// and who its members were on a given day.

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "forumregistry/v1/chairmanship.pb.h"
#include "forumregistry/v1/forum.pb.h"
#include "forumregistry/v1/membership.pb.h"
#include "forumregistry/v1/participant.pb.h"
#include "forumregistry/v1/session.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace forum_registry::testing {
namespace {

namespace v1 = ::forumregistry::v1;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

constexpr char kForum[] = "forums/arctic-coastal-dialogue";

class ArcticCoastalDialogue : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = TestDatabase::Create().release();
    server_ = ServerProcess::Start(db_->url()).release();
    Record();
  }

  static void TearDownTestSuite() {
    delete server_;
    delete db_;
  }

  // `buf curl --protocol grpc -d JSON` of forumregistry.v1.SERVICE/METHOD.
  static CommandResult Call(const std::string& service,
                            const std::string& method,
                            const std::string& json) {
    return RunCommand(
        {BufPath(), "curl", "--protocol", "grpc", "--timeout", "20s", "-d",
         json,
         absl::StrCat("http://", server_->address(), "/forumregistry.v1.",
                      service, "/", method)});
  }

  // A call that must succeed, its JSON answer read into a Message.
  template <typename Message>
  static Message Must(const std::string& service, const std::string& method,
                      const std::string& json) {
    const CommandResult result = Call(service, method, json);
    EXPECT_EQ(result.exit_code, 0)
        << service << "/" << method << " " << json << "\n"
        << result.error;
    Message message;
    const auto status =
        google::protobuf::util::JsonStringToMessage(result.output, &message);
    EXPECT_TRUE(status.ok()) << status.ToString() << "\noutput:\n"
                             << result.output << "\nerror:\n"
                             << result.error;
    return message;
  }

  // The whole record of the dialogue, as a person would enter it.
  static void Record() {
    // Participants.
    for (const auto& [id, name] :
         std::vector<std::pair<std::string, std::string>>{
             {"norway", "Norway"},
             {"russia", "Russia"},
             {"canada", "Canada"},
             {"denmark", "Denmark"},
             {"iceland", "Iceland"}}) {
      Must<v1::Participant>(
          "ParticipantService", "CreateParticipant",
          absl::StrCat(R"({"participantId": ")", id,
                       R"(", "participant": {"kind": "PARTICIPANT_KIND_STATE",
                           "displayName": ")",
                       name, R"("}})"));
    }

    // Another forum, whose plenary hosts a session of the dialogue on its
    // sidelines.
    Must<v1::Forum>("ForumService", "CreateForum", R"({
      "forumId": "polar-science-council",
      "forum": {"kind": "FORUM_KIND_PLATFORM",
                "displayName": "Polar Science Council"}})");
    Must<v1::Session>("SessionService", "CreateSession", R"({
      "parent": "forums/polar-science-council", "sessionId": "2023",
      "session": {"displayName": "Polar Science Council plenary 2023",
                  "kind": "SESSION_KIND_SUMMIT",
                  "startDate": {"year": 2023, "month": 10, "day": 11},
                  "endDate": {"year": 2023, "month": 10, "day": 13},
                  "venue": {"city": "Reykjavik",
                            "country": "participants/iceland"},
                  "mode": "SESSION_MODE_IN_PERSON"}})");

    // The dialogue itself.
    const v1::Forum forum = Must<v1::Forum>("ForumService", "CreateForum", R"({
      "forumId": "arctic-coastal-dialogue",
      "forum": {"kind": "FORUM_KIND_DIALOGUE",
                "displayName": "Arctic Coastal Dialogue",
                "names": [{"text": "ACD", "language": "en",
                           "kind": "NAME_KIND_ACRONYM"}],
                "founded": {"year": 2019, "month": 4},
                "cadence": "CADENCE_ANNUAL",
                "meetingLevel": "MEETING_LEVEL_MINISTERIAL",
                "initiatedBy": ["participants/norway"],
                "topics": ["coastal communities", "search and rescue"]}})");
    EXPECT_EQ(forum.name(), kForum);

    // Members over periods; Canada left at the end of June 2021.
    const auto member = [](const std::string& id, const std::string& role,
                           const std::string& period) {
      Must<v1::Membership>(
          "MembershipService", "CreateMembership",
          absl::StrCat(R"({"parent": "forums/arctic-coastal-dialogue",
                          "membershipId": ")",
                       id, R"(", "membership": {"member": "participants/)", id,
                       R"(", "role": ")", role, R"(", "period": )", period,
                       "}}"));
    };
    member("norway", "MEMBERSHIP_ROLE_FOUNDING_MEMBER",
           R"({"start": {"year": 2019, "month": 4, "day": 10}})");
    member("russia", "MEMBERSHIP_ROLE_FOUNDING_MEMBER",
           R"({"start": {"year": 2019, "month": 4, "day": 10}})");
    member("canada", "MEMBERSHIP_ROLE_FOUNDING_MEMBER",
           R"({"start": {"year": 2019, "month": 4, "day": 10},
               "end": {"year": 2021, "month": 6}})");
    member("denmark", "MEMBERSHIP_ROLE_MEMBER",
           R"({"start": {"year": 2020, "month": 3, "day": 15}})");
    member("iceland", "MEMBERSHIP_ROLE_OBSERVER",
           R"({"start": {"year": 2022}, "end": {"year": 2022}})");

    // A chairmanship rotating every calendar year: one sole-chair record a
    // year.
    const std::vector<std::pair<int, std::string>> chairs = {
        {2019, "norway"},  {2020, "russia"}, {2021, "canada"},
        {2022, "denmark"}, {2023, "norway"}, {2024, "russia"}};
    for (const auto& [year, chair] : chairs) {
      Must<v1::Chairmanship>(
          "ChairmanshipService", "CreateChairmanship",
          absl::StrCat(
              R"({"parent": "forums/arctic-coastal-dialogue",
                  "chairmanshipId": ")",
              year, R"(", "chairmanship": {"chairs": ["participants/)", chair,
              R"("], "term": {"start": {"year": )", year,
              R"(}, "end": {"year": )", year, R"(}}, "status": ")",
              year < 2024 ? "CHAIRMANSHIP_STATUS_ENDED"
                          : "CHAIRMANSHIP_STATUS_CURRENT",
              R"("}})"));
    }

    // Numbered sessions, entered out of date order: in person or online, the
    // fifth on the sidelines of the Polar Science Council's plenary.
    const auto session = [](const std::string& json) {
      Must<v1::Session>(
          "SessionService", "CreateSession",
          absl::StrCat(R"({"parent": "forums/arctic-coastal-dialogue", )", json,
                       "}"));
    };
    session(R"("sessionId": "4", "session": {
        "displayName": "4th Arctic Coastal Dialogue", "kind": "SESSION_KIND_SESSION",
        "ordinal": 4, "level": "MEETING_LEVEL_MINISTERIAL",
        "startDate": {"year": 2022, "month": 9, "day": 1},
        "endDate": {"year": 2022, "month": 9, "day": 3},
        "venue": {"city": "Copenhagen", "country": "participants/denmark"},
        "mode": "SESSION_MODE_IN_PERSON",
        "participants": [{"participant": "participants/denmark", "role": "SESSION_ROLE_HOST"},
                         {"participant": "participants/norway"},
                         {"participant": "participants/russia"},
                         {"participant": "participants/iceland", "role": "SESSION_ROLE_OBSERVER"}]})");
    session(R"("sessionId": "2", "session": {
        "displayName": "2nd Arctic Coastal Dialogue", "kind": "SESSION_KIND_SESSION",
        "ordinal": 2, "startDate": {"year": 2020, "month": 5, "day": 20},
        "mode": "SESSION_MODE_ONLINE"})");
    session(R"("sessionId": "6", "session": {
        "displayName": "6th Arctic Coastal Dialogue", "kind": "SESSION_KIND_SESSION",
        "ordinal": 6, "startDate": {"year": 2024, "month": 9},
        "venue": {"city": "Murmansk", "country": "participants/russia"},
        "mode": "SESSION_MODE_IN_PERSON", "status": "SESSION_STATUS_PLANNED"})");
    session(R"("sessionId": "1", "session": {
        "displayName": "1st Arctic Coastal Dialogue", "kind": "SESSION_KIND_SESSION",
        "ordinal": 1, "startDate": {"year": 2019, "month": 4, "day": 10},
        "endDate": {"year": 2019, "month": 4, "day": 11},
        "venue": {"city": "Tromsø", "country": "participants/norway"},
        "mode": "SESSION_MODE_IN_PERSON"})");
    session(R"("sessionId": "5", "session": {
        "displayName": "5th Arctic Coastal Dialogue", "kind": "SESSION_KIND_SESSION",
        "ordinal": 5, "startDate": {"year": 2023, "month": 10, "day": 12},
        "parentSession": "forums/polar-science-council/sessions/2023",
        "venue": {"city": "Reykjavik", "country": "participants/iceland"},
        "mode": "SESSION_MODE_IN_PERSON"})");
    session(R"("sessionId": "3", "session": {
        "displayName": "3rd Arctic Coastal Dialogue", "kind": "SESSION_KIND_SESSION",
        "ordinal": 3, "startDate": {"year": 2021, "month": 6},
        "mode": "SESSION_MODE_ONLINE"})");
  }

  // Who chaired the dialogue on `day`: the chairs' display names.
  static std::vector<std::string> ChairsOn(const std::string& day) {
    const auto page = Must<v1::ListChairmanshipsResponse>(
        "ChairmanshipService", "ListChairmanships",
        absl::StrCat(R"({"parent": "forums/arctic-coastal-dialogue",
                        "filter": "active_on = \")",
                     day, R"(\""})"));
    std::vector<std::string> names;
    for (const v1::Chairmanship& chairmanship : page.chairmanships()) {
      for (const std::string& chair : chairmanship.chairs()) {
        names.push_back(DisplayNameOf(chair));
      }
    }
    return names;
  }

  // Who were its members on `day`: the members' display names and roles.
  static std::vector<std::string> MembersOn(const std::string& day) {
    const auto page = Must<v1::ListMembershipsResponse>(
        "MembershipService", "ListMemberships",
        absl::StrCat(R"({"parent": "forums/arctic-coastal-dialogue",
                        "filter": "active_on = \")",
                     day, R"(\""})"));
    std::vector<std::string> members;
    for (const v1::Membership& membership : page.memberships()) {
      members.push_back(absl::StrCat(DisplayNameOf(membership.member()), " (",
                                     v1::MembershipRole_Name(membership.role()),
                                     ")"));
    }
    return members;
  }

  static std::string DisplayNameOf(const std::string& participant) {
    return Must<v1::Participant>(
               "ParticipantService", "GetParticipant",
               absl::StrCat(R"({"name": ")", participant, R"("})"))
        .display_name();
  }

  static TestDatabase* db_;
  static ServerProcess* server_;
};

TestDatabase* ArcticCoastalDialogue::db_ = nullptr;
ServerProcess* ArcticCoastalDialogue::server_ = nullptr;

TEST_F(ArcticCoastalDialogue, IsRecordedWithAllItsParts) {
  const auto forum =
      Must<v1::Forum>("ForumService", "GetForum",
                      R"({"name": "forums/arctic-coastal-dialogue"})");
  EXPECT_EQ(forum.display_name(), "Arctic Coastal Dialogue");
  EXPECT_EQ(forum.kind(), v1::FORUM_KIND_DIALOGUE);
  EXPECT_EQ(db_->Query("SELECT count(*) FROM memberships WHERE forum = "
                       "'forums/arctic-coastal-dialogue'"),
            "5");
  EXPECT_EQ(db_->Query("SELECT count(*) FROM sessions WHERE forum = "
                       "'forums/arctic-coastal-dialogue'"),
            "6");
  EXPECT_EQ(db_->Query("SELECT count(*) FROM chairmanships WHERE forum = "
                       "'forums/arctic-coastal-dialogue'"),
            "6");
  // Found by its acronym, in any case.
  const auto found = Must<v1::ListForumsResponse>(
      "ForumService", "ListForums", R"({"filter": "names:\"acd\""})");
  ASSERT_EQ(found.forums_size(), 1);
  EXPECT_EQ(found.forums(0).name(), kForum);
}

TEST_F(ArcticCoastalDialogue, WhoChairedItOnAGivenDay) {
  EXPECT_THAT(ChairsOn("2021-07-15"), ElementsAre("Canada"));
  EXPECT_THAT(ChairsOn("2019-12-31"), ElementsAre("Norway"));
  EXPECT_THAT(ChairsOn("2020-01-01"), ElementsAre("Russia"));
  EXPECT_THAT(ChairsOn("2023-10-12"), ElementsAre("Norway"))
      << "the day of the 5th session";
  EXPECT_THAT(ChairsOn("2024-12-31"), ElementsAre("Russia"));
  EXPECT_THAT(ChairsOn("2018-12-31"), IsEmpty()) << "before the first term";
  EXPECT_THAT(ChairsOn("2025-01-01"), IsEmpty()) << "after the last term";

  // The whole rotation, in term order.
  const auto all = Must<v1::ListChairmanshipsResponse>(
      "ChairmanshipService", "ListChairmanships",
      R"({"parent": "forums/arctic-coastal-dialogue", "orderBy": "term"})");
  std::vector<std::string> rotation;
  for (const v1::Chairmanship& c : all.chairmanships()) {
    ASSERT_EQ(c.chairs_size(), 1) << c.name();
    rotation.push_back(absl::StrCat(c.term().start().year(), " ", c.chairs(0)));
  }
  EXPECT_THAT(
      rotation,
      ElementsAre("2019 participants/norway", "2020 participants/russia",
                  "2021 participants/canada", "2022 participants/denmark",
                  "2023 participants/norway", "2024 participants/russia"));

  // A second sole chair for a year already chaired is refused, naming the
  // term it would overlap.
  const std::string before = db_->WriteState();
  const CommandResult overlap =
      Call("ChairmanshipService", "CreateChairmanship",
           R"({"parent": "forums/arctic-coastal-dialogue",
          "chairmanshipId": "2021-bis",
          "chairmanship": {"chairs": ["participants/iceland"],
                           "term": {"start": {"year": 2021, "month": 7}}}})");
  EXPECT_NE(overlap.exit_code, 0);
  EXPECT_THAT(overlap.error, HasSubstr("failed_precondition"));
  EXPECT_THAT(overlap.error,
              HasSubstr("forums/arctic-coastal-dialogue/chairmanships/2021"));
  EXPECT_EQ(db_->WriteState(), before);
}

TEST_F(ArcticCoastalDialogue, WhichSessionsFellInADateRangeInDateOrder) {
  const auto page =
      Must<v1::ListSessionsResponse>("SessionService", "ListSessions", R"({
        "parent": "forums/arctic-coastal-dialogue",
        "filter": "start_date >= \"2020-01-01\" AND start_date <= \"2022-12-31\"",
        "orderBy": "start_date"})");
  std::vector<std::string> found;
  for (const v1::Session& s : page.sessions()) {
    found.push_back(
        absl::StrCat(s.display_name(), " ", v1::SessionMode_Name(s.mode())));
  }
  EXPECT_THAT(
      found, ElementsAre("2nd Arctic Coastal Dialogue SESSION_MODE_ONLINE",
                         "3rd Arctic Coastal Dialogue SESSION_MODE_ONLINE",
                         "4th Arctic Coastal Dialogue SESSION_MODE_IN_PERSON"));
  EXPECT_THAT(page.next_page_token(), IsEmpty());

  // The same two at a time, newest first, across pages.
  std::vector<std::string> names;
  std::string token;
  for (int pages = 0; pages < 5; ++pages) {
    const auto next = Must<v1::ListSessionsResponse>(
        "SessionService", "ListSessions",
        absl::StrCat(R"({"parent": "forums/arctic-coastal-dialogue",
                        "filter": "start_date >= \"2020\" AND start_date <= \"2023\"",
                        "orderBy": "start_date desc", "pageSize": 2,
                        "pageToken": ")",
                     token, R"("})"));
    for (const v1::Session& s : next.sessions()) names.push_back(s.name());
    token = next.next_page_token();
    if (token.empty()) break;
  }
  EXPECT_THAT(names, ElementsAre(absl::StrCat(kForum, "/sessions/5"),
                                 absl::StrCat(kForum, "/sessions/4"),
                                 absl::StrCat(kForum, "/sessions/3"),
                                 absl::StrCat(kForum, "/sessions/2")));

  // In person or online.
  const auto online =
      Must<v1::ListSessionsResponse>("SessionService", "ListSessions", R"({
        "parent": "forums/arctic-coastal-dialogue",
        "filter": "mode = ONLINE", "orderBy": "ordinal"})");
  ASSERT_EQ(online.sessions_size(), 2);
  EXPECT_EQ(online.sessions(0).ordinal(), 2);
  EXPECT_EQ(online.sessions(1).ordinal(), 3);

  // A month-precision session (June 2021) falls in a range that ends on its
  // first day, and not in one that ends the day before.
  const auto june =
      Must<v1::ListSessionsResponse>("SessionService", "ListSessions", R"({
        "parent": "forums/arctic-coastal-dialogue",
        "filter": "start_date >= \"2021-01-01\" AND start_date <= \"2021-06-01\""})");
  ASSERT_EQ(june.sessions_size(), 1);
  EXPECT_EQ(june.sessions(0).ordinal(), 3);
  const auto may =
      Must<v1::ListSessionsResponse>("SessionService", "ListSessions", R"({
        "parent": "forums/arctic-coastal-dialogue",
        "filter": "start_date >= \"2021-01-01\" AND start_date <= \"2021-05-31\""})");
  EXPECT_EQ(may.sessions_size(), 0);
}

TEST_F(ArcticCoastalDialogue, ASessionHeldOnTheSidelinesOfAnotherForum) {
  const auto page =
      Must<v1::ListSessionsResponse>("SessionService", "ListSessions", R"({
        "parent": "forums/-",
        "filter": "parent_session = \"forums/polar-science-council/sessions/2023\""})");
  ASSERT_EQ(page.sessions_size(), 1);
  EXPECT_EQ(page.sessions(0).name(), absl::StrCat(kForum, "/sessions/5"));
  EXPECT_EQ(page.sessions(0).venue().city(), "Reykjavik");
  // The plenary cannot go while the dialogue's session refers to it.
  const std::string before = db_->WriteState();
  const CommandResult refused =
      Call("SessionService", "DeleteSession",
           R"({"name": "forums/polar-science-council/sessions/2023"})");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.error, HasSubstr("failed_precondition"));
  EXPECT_THAT(refused.error, HasSubstr(absl::StrCat(kForum, "/sessions/5")));
  EXPECT_EQ(db_->WriteState(), before);
}

TEST_F(ArcticCoastalDialogue, WhoItsMembersWereOnAGivenDay) {
  EXPECT_THAT(MembersOn("2019-04-09"), IsEmpty());
  EXPECT_THAT(MembersOn("2019-04-10"),
              UnorderedElementsAre("Canada (MEMBERSHIP_ROLE_FOUNDING_MEMBER)",
                                   "Norway (MEMBERSHIP_ROLE_FOUNDING_MEMBER)",
                                   "Russia (MEMBERSHIP_ROLE_FOUNDING_MEMBER)"));
  EXPECT_THAT(MembersOn("2021-06-30"),
              UnorderedElementsAre("Canada (MEMBERSHIP_ROLE_FOUNDING_MEMBER)",
                                   "Denmark (MEMBERSHIP_ROLE_MEMBER)",
                                   "Norway (MEMBERSHIP_ROLE_FOUNDING_MEMBER)",
                                   "Russia (MEMBERSHIP_ROLE_FOUNDING_MEMBER)"));
  EXPECT_THAT(MembersOn("2021-12-01"),
              UnorderedElementsAre("Denmark (MEMBERSHIP_ROLE_MEMBER)",
                                   "Norway (MEMBERSHIP_ROLE_FOUNDING_MEMBER)",
                                   "Russia (MEMBERSHIP_ROLE_FOUNDING_MEMBER)"))
      << "Canada left at the end of June 2021";
  EXPECT_THAT(MembersOn("2022-05-01"),
              UnorderedElementsAre("Denmark (MEMBERSHIP_ROLE_MEMBER)",
                                   "Iceland (MEMBERSHIP_ROLE_OBSERVER)",
                                   "Norway (MEMBERSHIP_ROLE_FOUNDING_MEMBER)",
                                   "Russia (MEMBERSHIP_ROLE_FOUNDING_MEMBER)"));
  EXPECT_THAT(MembersOn("2023-01-01"),
              Not(::testing::Contains(HasSubstr("Iceland"))));
  // Full members only, as of a day.
  const auto full = Must<v1::ListMembershipsResponse>("MembershipService",
                                                      "ListMemberships", R"({
        "parent": "forums/arctic-coastal-dialogue",
        "filter": "active_on = \"2022-05-01\" AND role != OBSERVER"})");
  std::vector<std::string> members;
  for (const v1::Membership& m : full.memberships()) {
    members.push_back(m.member());
  }
  std::sort(members.begin(), members.end());
  EXPECT_THAT(members,
              ElementsAre("participants/denmark", "participants/norway",
                          "participants/russia"));
}

}  // namespace
}  // namespace forum_registry::testing
