// The environment, helpers and fixtures declared in query_fixture.h: the one
// database and server of the `query_test` program, the generic client's
// record builders, QueryTest's checks of refusals, and the shared data set
// the filter, order, page-token and hostile-input suites read.

#include "tests/integration/query/query_fixture.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "google/protobuf/message.h"
#include "grpcpp/channel.h"
#include "grpcpp/support/status.h"
#include "gtest/gtest.h"
#include "src/domain/resource_registry.h"
#include "tests/support/test_support.h"

namespace forum_registry::query_test {

using ::forum_registry::testing::CodeName;
using ::forum_registry::testing::ServerProcess;
using ::forum_registry::testing::SharedRegistry;
using ::forum_registry::testing::TestDatabase;
using ::forum_registry::testing::UniqueId;
using ::testing::Matcher;

// ---------------------------------------------------------------------------
// The shared database and server.

namespace {

// Starts the database and the server before the first test and stops them
// after the last. Registered here, once, for the whole program.
[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new SharedRegistry);

// Every table a migration creates: the schema's own, each kind's table and,
// for the kinds other records refer to, its table of references.
const std::vector<std::string>& AllTables() {
  static const auto* tables = [] {
    auto* tables = new std::vector<std::string>{"schema_migrations",
                                                "reference_kinds", "changes"};
    for (const domain::ResourceType& type : domain::Resources()) {
      tables->push_back(type.table);
      if (type.referenced) tables->push_back(type.ReferencesTable());
    }
    return tables;
  }();
  return *tables;
}

template <typename R>
void AddName(R* record, const std::string& text, const std::string& language,
             v1::NameKind kind) {
  v1::Name* name = record->add_names();
  name->set_text(text);
  name->set_language(language);
  name->set_kind(kind);
}

// ---------------------------------------------------------------------------
// The shared data set of the filter, order, page-token and hostile-input
// tests.

void CreateFilterData() {
  // Participants: display names start with "QF " (the scope of their lists).
  v1::Participant russia = NewParticipant("QF Russian Federation");
  AddName(&russia, "Russia", "en", v1::NAME_KIND_SHORT);
  AddName(&russia, "Россия", "ru", v1::NAME_KIND_SHORT);
  AddName(&russia, "Российская Федерация", "ru", v1::NAME_KIND_OFFICIAL);
  Client<v1::Participant>().MustCreate("", "qf-russia", russia);
  v1::Participant indonesia = NewParticipant("QF Republic of Indonesia");
  AddName(&indonesia, "Indonesia", "en", v1::NAME_KIND_SHORT);
  AddName(&indonesia, "Индонезия", "ru", v1::NAME_KIND_SHORT);
  Client<v1::Participant>().MustCreate("", "qf-indonesia", indonesia);
  Client<v1::Participant>().MustCreate("", "qf-china",
                                       NewParticipant("QF China"));
  Client<v1::Participant>().MustCreate("", "qf-vietnam",
                                       NewParticipant("QF Viet Nam"));
  v1::Participant mfa = NewParticipant("QF Ministry of Foreign Affairs",
                                       v1::PARTICIPANT_KIND_AGENCY);
  mfa.set_affiliation("participants/qf-russia");
  Client<v1::Participant>().MustCreate("", "qf-mfa", mfa);
  v1::Participant unit =
      NewParticipant("QF ARF Unit", v1::PARTICIPANT_KIND_ORGANIZATION);
  AddName(&unit, "ARF", "en", v1::NAME_KIND_ACRONYM);
  Client<v1::Participant>().MustCreate("", "qf-arf-unit", unit);

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
  Client<v1::Forum>().MustCreate("", "qf-arf", arf);
  v1::Forum eas = NewForum("QF East Asia Summit", v1::FORUM_KIND_SUMMIT);
  AddName(&eas, "EAS", "en", v1::NAME_KIND_ACRONYM);
  *eas.mutable_founded() = Date(2005, 12, 14);
  eas.set_cadence(v1::CADENCE_ANNUAL);
  eas.set_meeting_level(v1::MEETING_LEVEL_SUMMIT);
  eas.add_topics("qf");
  eas.add_topics("energy");
  Client<v1::Forum>().MustCreate("", "qf-eas", eas);
  v1::Forum ism = NewForum("QF ARF ISM on ICTs", v1::FORUM_KIND_MECHANISM);
  ism.set_parent(kArf);
  *ism.mutable_founded() = Date(2017);
  ism.set_status(v1::FORUM_STATUS_DORMANT);
  ism.add_topics("qf");
  ism.add_topics("ict security");
  Client<v1::Forum>().MustCreate("", "qf-ism", ism);
  v1::Forum old = NewForum("QF Old Dialogue", v1::FORUM_KIND_DIALOGUE);
  *old.mutable_founded() = Date(1990);
  *old.mutable_dissolved() = Date(2000, 6);
  old.set_status(v1::FORUM_STATUS_DISSOLVED);
  old.add_topics("qf");
  Client<v1::Forum>().MustCreate("", "qf-old", old);
  v1::Forum hostile =
      NewForum("QF Hostile Input Platform", v1::FORUM_KIND_PLATFORM);
  hostile.add_topics("qf");
  Client<v1::Forum>().MustCreate("", "qf-hostile", hostile);

  // Sources: document numbers start with "QF-".
  v1::Source src1 = NewSource("QF Chairman's statement of the 30th ARF");
  src1.set_publisher("participants/qf-indonesia");
  src1.set_document_number("QF-001");
  src1.set_language("en");
  *src1.mutable_publish_date() = Date(2023, 7, 14);
  Client<v1::Source>().MustCreate("", "qf-src-1", src1);
  v1::Source src2 = NewSource("QF Press release");
  src2.set_publisher("participants/qf-russia");
  src2.set_document_number("QF-002");
  src2.set_language("ru");
  *src2.mutable_publish_date() = Date(2023, 7);
  Client<v1::Source>().MustCreate("", "qf-src-2", src2);
  v1::Source src3 = NewSource("QF Annual report");
  src3.set_publisher("participants/qf-russia");
  src3.set_document_number("QF-003");
  src3.set_language("en");
  *src3.mutable_publish_date() = Date(2022);
  Client<v1::Source>().MustCreate("", "qf-src-3", src3);
  v1::Source src4 = NewSource("QF Undated note");
  src4.set_document_number("QF-004");
  Client<v1::Source>().MustCreate("", "qf-src-4", src4);

  // Memberships of the ARF.
  Client<v1::Membership>().MustCreate(
      kArf, "russia",
      NewMembership("participants/qf-russia", Span(Date(1994, 7))));
  Client<v1::Membership>().MustCreate(
      kArf, "indonesia",
      NewMembership("participants/qf-indonesia", Span(Date(1994)),
                    v1::MEMBERSHIP_ROLE_FOUNDING_MEMBER));
  Client<v1::Membership>().MustCreate(
      kArf, "china",
      NewMembership("participants/qf-china", Span(Date(1994), Date(2010, 6))));
  Client<v1::Membership>().MustCreate(
      kArf, "vietnam",
      NewMembership("participants/qf-vietnam",
                    Span(Date(2015, 3, 1), Date(2020)),
                    v1::MEMBERSHIP_ROLE_OBSERVER));
  Client<v1::Membership>().MustCreate(
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
  Client<v1::Session>().MustCreate(
      kArf, "27",
      session("27th ASEAN Regional Forum", 27, Date(2020, 9, 12),
              v1::SESSION_MODE_ONLINE, "Hanoi"));
  Client<v1::Session>().MustCreate(
      kArf, "28",
      session("28th ASEAN Regional Forum", 28, Date(2021, 8, 6),
              v1::SESSION_MODE_ONLINE, "Bandar Seri Begawan"));
  v1::Session s29 = session("29th ASEAN Regional Forum", 29, Date(2022, 8, 3),
                            v1::SESSION_MODE_IN_PERSON, "Phnom Penh");
  *s29.mutable_end_date() = Date(2022, 8, 5);
  Client<v1::Session>().MustCreate(kArf, "29", s29);
  v1::Session s30 = session("30th ASEAN Regional Forum", 30, Date(2023, 7, 14),
                            v1::SESSION_MODE_IN_PERSON, "Jakarta");
  s30.mutable_venue()->set_country("participants/qf-indonesia");
  v1::SessionParticipant* host = s30.add_participants();
  host->set_participant("participants/qf-indonesia");
  host->set_role(v1::SESSION_ROLE_HOST);
  s30.add_participants()->set_participant("participants/qf-russia");
  s30.add_topics("ict security");
  Client<v1::Session>().MustCreate(kArf, "30", s30);
  Client<v1::Session>().MustCreate(
      kArf, "som-2023",
      session("ARF Senior Officials' Meeting", 0, Date(2023, 6),
              v1::SESSION_MODE_HYBRID, "Jakarta",
              v1::MEETING_LEVEL_SENIOR_OFFICIALS, v1::SESSION_KIND_MEETING));
  v1::Session side =
      session("Sideline meeting on ICT security", 0, Date(2023, 7, 14),
              v1::SESSION_MODE_IN_PERSON, "Jakarta", v1::MEETING_LEVEL_EXPERT,
              v1::SESSION_KIND_MEETING);
  side.set_parent_session("forums/qf-arf/sessions/30");
  Client<v1::Session>().MustCreate(kArf, "side-2023", side);
  Client<v1::Session>().MustCreate(
      kArf, "31",
      session("31st ASEAN Regional Forum", 31, Date(2024, 7),
              v1::SESSION_MODE_IN_PERSON, "Vientiane"));
  v1::Session s32 = session("32nd ASEAN Regional Forum", 32, Date(2025),
                            v1::SESSION_MODE_UNSPECIFIED, "");
  s32.set_status(v1::SESSION_STATUS_PLANNED);
  Client<v1::Session>().MustCreate(kArf, "32", s32);
  // A meeting of the ISM held on the sidelines of the 30th ARF.
  v1::Session ism1 = NewSession("1st ISM on ICTs", Date(2023, 7, 13), 1);
  ism1.set_parent_session("forums/qf-arf/sessions/30");
  Client<v1::Session>().MustCreate("forums/qf-ism", "1", ism1);

  // Sessions whose names are hostile strings, matched literally or not at
  // all; the decoy matches if '%' or '_' were LIKE wildcards.
  Client<v1::Session>().MustCreate(
      kHostile, "h-literal",
      NewSession("100% ARF_meeting \\ O'Brien", Date(2023), 1));
  Client<v1::Session>().MustCreate(
      kHostile, "h-decoy",
      NewSession("1000 ARFxmeeting / O-Brien", Date(2023), 2));
  Client<v1::Session>().MustCreate(
      kHostile, "h-sql",
      NewSession("'; DROP TABLE sessions; --", Date(2023), 3));

  // Chairmanships of the ARF.
  v1::Chairmanship c2020 = NewChairmanship({"participants/qf-vietnam"},
                                           Span(Date(2020), Date(2020)));
  c2020.set_status(v1::CHAIRMANSHIP_STATUS_ENDED);
  Client<v1::Chairmanship>().MustCreate(kArf, "ch-2020", c2020);
  v1::Chairmanship c2023 =
      NewChairmanship({"participants/qf-indonesia"},
                      Span(Date(2023, 1, 1), Date(2023, 12, 31)));
  c2023.set_status(v1::CHAIRMANSHIP_STATUS_ENDED);
  Client<v1::Chairmanship>().MustCreate(kArf, "ch-2023", c2023);
  v1::Chairmanship c2024 =
      NewChairmanship({"participants/qf-russia", "participants/qf-indonesia"},
                      Span(Date(2024)));
  c2024.set_continues("forums/qf-arf/chairmanships/ch-2023");
  Client<v1::Chairmanship>().MustCreate(kArf, "ch-2024", c2024);
  v1::Chairmanship c2026 =
      NewChairmanship({"participants/qf-china"}, Span(Date(2026), Date(2026)));
  c2026.set_status(v1::CHAIRMANSHIP_STATUS_PLANNED);
  Client<v1::Chairmanship>().MustCreate(kArf, "ch-2026", c2026);

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
  Client<v1::ActionPlan>().MustCreate("", "qf-hpa", hpa);
  v1::ActionPlan wp =
      NewActionPlan("QF Work Plan on Energy", v1::ACTION_PLAN_STATUS_EXPIRED);
  wp.add_forums("forums/qf-eas");
  wp.add_parties("participants/qf-china");
  *wp.mutable_period() = Span(Date(2016, 1), Date(2020, 12));
  *wp.mutable_adoption()->mutable_date() = Date(2015, 11);
  wp.add_priority_areas("qf");
  wp.add_priority_areas("energy");
  Client<v1::ActionPlan>().MustCreate("", "qf-wp", wp);
  v1::ActionPlan roadmap =
      NewActionPlan("QF Roadmap", v1::ACTION_PLAN_STATUS_EXPECTED);
  roadmap.add_forums(kArf);
  roadmap.add_forums("forums/qf-eas");
  *roadmap.mutable_period() = Span(Date(2026));
  roadmap.set_implements("actionPlans/qf-hpa");
  roadmap.add_priority_areas("qf");
  Client<v1::ActionPlan>().MustCreate("", "qf-roadmap", roadmap);

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
  Client<v1::Statement>().MustCreate("", "qf-st-chair", chair);
  v1::Statement joint = NewStatement("QF Joint Statement on ICT Security",
                                     v1::STATEMENT_KIND_JOINT_STATEMENT);
  AddName(&joint, "ARF ICT statement", "en", v1::NAME_KIND_ALIAS);
  joint.set_forum("forums/qf-eas");
  *joint.mutable_adoption()->mutable_date() = Date(2023, 9);
  joint.add_initiated_by("participants/qf-russia");
  joint.add_initiated_by("participants/qf-indonesia");
  joint.add_topics("qf");
  Client<v1::Statement>().MustCreate("", "qf-st-joint", joint);
  v1::Statement draft =
      NewStatement("QF Draft Declaration", v1::STATEMENT_KIND_DECLARATION,
                   v1::STATEMENT_STATUS_EXPECTED);
  draft.add_initiated_by("participants/qf-russia");
  draft.add_topics("qf");
  draft.add_topics("energy");
  Client<v1::Statement>().MustCreate("", "qf-st-draft", draft);
}

// Creates the data set once, for the first suite that needs it.
void EnsureFilterData() {
  static bool created = false;
  if (created || SharedRegistry::channel() == nullptr) return;
  created = true;
  CreateFilterData();
}

}  // namespace

// ---------------------------------------------------------------------------
// Building records.

v1::PartialDate Date(int year, int month, int day) {
  v1::PartialDate date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return date;
}

v1::Period Span(std::optional<v1::PartialDate> start,
                std::optional<v1::PartialDate> end) {
  v1::Period period;
  if (start) *period.mutable_start() = *start;
  if (end) *period.mutable_end() = *end;
  return period;
}

v1::Participant NewParticipant(const std::string& display_name,
                               v1::ParticipantKind kind) {
  v1::Participant participant;
  participant.set_kind(kind);
  participant.set_display_name(display_name);
  return participant;
}

v1::Forum NewForum(const std::string& display_name, v1::ForumKind kind) {
  v1::Forum forum;
  forum.set_kind(kind);
  forum.set_display_name(display_name);
  return forum;
}

v1::Session NewSession(const std::string& display_name,
                       const v1::PartialDate& start, int ordinal) {
  v1::Session session;
  session.set_display_name(display_name);
  *session.mutable_start_date() = start;
  session.set_ordinal(ordinal);
  return session;
}

v1::Membership NewMembership(const std::string& member,
                             std::optional<v1::Period> period,
                             v1::MembershipRole role) {
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

v1::ActionPlan NewActionPlan(const std::string& display_name,
                             v1::ActionPlanStatus status) {
  v1::ActionPlan plan;
  plan.set_display_name(display_name);
  plan.set_status(status);
  return plan;
}

v1::Statement NewStatement(const std::string& display_name,
                           v1::StatementKind kind, v1::StatementStatus status) {
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
  Client<v1::Participant>().MustCreate(
      "", id, NewParticipant(absl::StrCat("State ", id)));
  return Participant(id);
}

// A forum of its own for one test: forums/{prefix}-N.
std::string NewForumId(const std::string& prefix) {
  const std::string id = UniqueId(prefix);
  Client<v1::Forum>().MustCreate("", id, NewForum(absl::StrCat("Forum ", id)));
  return Forum(id);
}

// ---------------------------------------------------------------------------
// QueryTest.

void QueryTest::SetUp() {
  ASSERT_NE(SharedRegistry::db(), nullptr)
      << "the test database was not created";
  ASSERT_NE(SharedRegistry::server(), nullptr) << "the server was not started";
  ASSERT_GT(SharedRegistry::server()->pid(), 0)
      << "the server is not running:\n"
      << SharedRegistry::server()->Output();
}

std::string QueryTest::FullWriteState() {
  std::vector<std::string> parts;
  for (const domain::ResourceType& type : domain::Resources()) {
    parts.push_back(
        absl::StrCat("'", type.table,
                     "', (SELECT count(*) || ':' || coalesce(sum(version), 0) "
                     "FROM ",
                     type.table, ")"));
    if (type.referenced) {
      parts.push_back(absl::StrCat("'", type.ReferencesTable(),
                                   "', (SELECT count(*) FROM ",
                                   type.ReferencesTable(), ")"));
    }
  }
  return absl::StrCat(
      db().WriteState(), " | ",
      db().Query(absl::StrCat("SELECT concat_ws(' ', ",
                              absl::StrJoin(parts, ", "), ")")));
}

void QueryTest::ExpectRefusedWithoutWrite(
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

void QueryTest::ExpectEveryTableExists() {
  for (const std::string& table : AllTables()) {
    EXPECT_EQ(db().Query(absl::StrCat("SELECT to_regclass('public.", table,
                                      "') IS NOT NULL")),
              "t")
        << "table " << table << " is gone";
  }
}

// ---------------------------------------------------------------------------
// The shared data set.

const Scope kParticipantScope{"", "display_name = \"QF *\"", "participants/"};
const Scope kForumScope{"", "topics:\"qf\"", "forums/"};
const Scope kSourceScope{"", "document_number = \"QF-*\"", "sources/"};
const Scope kMembershipScope{kArf, "", "forums/qf-arf/memberships/"};
const Scope kSessionScope{kArf, "", "forums/qf-arf/sessions/"};
const Scope kChairmanshipScope{kArf, "", "forums/qf-arf/chairmanships/"};
const Scope kActionPlanScope{"", "priority_areas:\"qf\"", "actionPlans/"};
const Scope kStatementScope{"", "topics:\"qf\"", "statements/"};

void DataSetTest::SetUpTestSuite() { EnsureFilterData(); }

std::vector<std::string> DataSetTest::Expected(const Scope& scope,
                                               std::vector<std::string> ids,
                                               bool sort) {
  for (std::string& id : ids) id = scope.prefix + id;
  if (sort) std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace forum_registry::query_test
