// End to end, one row per fact of the press release: every numbered fact of
// data/sources/mfa-1374-11-07-2023/FACTS.md (press release No. 1374-11-07-2023
// of the Russian MFA) is asked of the real server, loaded with
// data/asean-2023.textproto by `forum-registry import`, through the generated
// C++ stubs.
//
// Each row sends the request that data/FACTS_MAP.md gives for its fact and
// checks the answer precisely: the exact records returned, the field values
// that carry the fact (a year the text leaves out must be `inferred`), and
// that every record the row is about cites the press release with an excerpt
// found verbatim in its text. A last test checks that no record of the seed is
// left uncited.
//
// The press-release text is the repository's own copy, under
// data/sources/mfa-1374-11-07-2023/; a missing text is a failure, never a skip.

#include <cctype>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "forumregistry/v1/action_plan.pb.h"
#include "forumregistry/v1/chairmanship.pb.h"
#include "forumregistry/v1/dataset.pb.h"
#include "forumregistry/v1/forum.pb.h"
#include "forumregistry/v1/membership.pb.h"
#include "forumregistry/v1/participant.pb.h"
#include "forumregistry/v1/session.pb.h"
#include "forumregistry/v1/source.pb.h"
#include "forumregistry/v1/statement.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/support/status.h"
#include "gtest/gtest.h"
#include "src/domain/resource_registry.h"
#include "tests/support/resource_client.h"
#include "tests/support/test_support.h"

namespace forum_registry {
namespace {

namespace v1 = ::forumregistry::v1;

using ::forum_registry::testing::AnyResourceClient;
using ::forum_registry::testing::ListArgs;
using ::forum_registry::testing::ResourceClient;
using ::forum_registry::testing::SeededRegistry;
using ::forum_registry::testing::SeedPath;
using ::forum_registry::testing::SourceDir;
using ::forum_registry::testing::StandardMethod;
using ::google::protobuf::Message;
using ::google::protobuf::RepeatedPtrField;
using ::google::protobuf::util::TimeUtil;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;
using ::testing::UnorderedElementsAre;
using ::testing::UnorderedElementsAreArray;

constexpr char kSource[] = "sources/mfa-1374-11-07-2023";
constexpr char kTitle[] =
    "Press release on Foreign Minister Sergey Lavrov’s participation in the "
    "upcoming ASEAN ministerial meetings";

std::string CorpusDir() {
  return SourceDir() + "/data/sources/mfa-1374-11-07-2023";
}
std::string PressReleasePath() { return CorpusDir() + "/press-release.txt"; }
std::string FactsPath() { return CorpusDir() + "/FACTS.md"; }

// The whole file, or "" if it cannot be read.
std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "";
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// ---------------------------------------------------------------------------
// The registry every row asks: one database, the seed imported into it, one
// server (SeededRegistry), and the press-release text.

std::string* g_corpus = nullptr;  // the press-release text

class FactsRegistry : public SeededRegistry {
 public:
  static void SetUpTestSuite() {
    SeededRegistry::SetUpTestSuite();
    g_corpus = new std::string(ReadText(PressReleasePath()));
    if (g_corpus->empty()) {
      AddSetupError(absl::StrCat(
          "cannot read the press release text ", PressReleasePath(),
          ": the repository's copy of the source is missing"));
    }
  }

  static void TearDownTestSuite() {
    delete g_corpus;
    g_corpus = nullptr;
    SeededRegistry::TearDownTestSuite();
  }
};

// ---------------------------------------------------------------------------
// Calls, through the kind's client (tests/support/resource_client.h).

std::string Text(const Message& message) {
  google::protobuf::TextFormat::Printer printer;
  printer.SetSingleLineMode(true);
  printer.SetUseUtf8StringEscaping(true);
  std::string text;
  printer.PrintToString(message, &text);
  return absl::StrCat(message.GetDescriptor()->name(), " { ", text, "}");
}

// A status other than OK is a failure, and the (empty) response then fails
// whatever the row expects of it.
void ExpectOk(const grpc::Status& status, const Message& request) {
  EXPECT_TRUE(status.ok()) << Text(request) << " failed: code "
                           << status.error_code() << ": "
                           << status.error_message();
}

// The records of one List answer, with the request that produced them (for
// failure messages).
template <typename R>
struct Listed {
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const R& record : records) out.push_back(record.name());
    return out;
  }

  // The record called `name`; an empty one (and a failure) if absent.
  const R& operator[](const std::string& name) const {
    for (const R& record : records) {
      if (record.name() == name) return record;
    }
    ADD_FAILURE() << name << " is not in the answer to " << request;
    return R::default_instance();
  }

  std::string request;
  std::vector<R> records;
};

// One page of a List of the kind R.
template <typename R>
Listed<R> List(const ListArgs& args) {
  const ResourceClient<R> client(SeededRegistry::channel());
  const std::unique_ptr<Message> request = client.any().ListRequest(args);
  std::unique_ptr<Message> response =
      client.any().NewResponse(StandardMethod::kList);
  ExpectOk(client.Call(StandardMethod::kList, *request, response.get()),
           *request);
  Listed<R> listed{.request = Text(*request)};
  for (const Message* record : client.any().Records(*response)) {
    listed.records.push_back(static_cast<const R&>(*record));
  }
  return listed;
}

template <typename R>
R Get(const std::string& name) {
  const ResourceClient<R> client(SeededRegistry::channel());
  R record;
  ExpectOk(client.Get(name, &record), *client.any().GetRequest(name));
  return record;
}

// Every record of one kind, through its List method, a page of 1000 at a
// time. The client is the kind's registry entry's, so a kind added to the
// registry is listed here too.
std::vector<std::unique_ptr<Message>> ListAll(
    const domain::ResourceType& type) {
  const AnyResourceClient client(type, SeededRegistry::channel());
  ListArgs args{.page_size = 1000};
  if (type.parent != nullptr) {
    args.parent = absl::StrCat(type.parent->collection, "/-");
  }
  std::vector<std::unique_ptr<Message>> all;
  const grpc::Status status =
      client.ListAll(args, &all, /*pages=*/nullptr, /*max_pages=*/100);
  if (!status.ok()) {
    ADD_FAILURE() << Text(*client.ListRequest(args))
                  << " failed: " << status.error_message();
  }
  return all;
}

// ---------------------------------------------------------------------------
// Reading the answers.

std::vector<std::string> Strings(const RepeatedPtrField<std::string>& list) {
  return {list.begin(), list.end()};
}

template <typename E>
std::string EnumName(E value) {
  const auto* value_descriptor =
      google::protobuf::GetEnumDescriptor<E>()->FindValueByNumber(value);
  return value_descriptor == nullptr ? std::to_string(value)
                                     : std::string(value_descriptor->name());
}

std::string TwoDigits(int n) { return absl::StrCat(n < 10 ? "0" : "", n); }

// "2023-07-14", "2023-09", "2020"; " (inferred)" when the source does not
// state it; "unset" for no date.
std::string Date(const v1::PartialDate& date) {
  if (date.year() == 0 && date.month() == 0 && date.day() == 0 &&
      !date.inferred()) {
    return "unset";
  }
  std::string text = std::to_string(date.year());
  if (date.month() != 0) absl::StrAppend(&text, "-", TwoDigits(date.month()));
  if (date.day() != 0) absl::StrAppend(&text, "-", TwoDigits(date.day()));
  if (date.inferred()) absl::StrAppend(&text, " (inferred)");
  return text;
}

// "2023 .. 2024"; an absent end is "open".
std::string PeriodText(const v1::Period& period) {
  const auto end = [](const v1::PartialDate& date) {
    const std::string text = Date(date);
    return text == "unset" ? std::string("open") : text;
  };
  return absl::StrCat(end(period.start()), " .. ", end(period.end()));
}

// "participants/russia by participants/sergey-lavrov".
std::vector<std::string> Attendance(const v1::Session& session) {
  std::vector<std::string> out;
  for (const auto& participant : session.participants()) {
    out.push_back(participant.represented_by().empty()
                      ? participant.participant()
                      : absl::StrCat(participant.participant(), " by ",
                                     participant.represented_by()));
  }
  return out;
}

bool InCorpus(const std::string& passage) {
  return !passage.empty() && g_corpus->find(passage) != std::string::npos;
}

// The `citations` of any registry record, through reflection.
std::vector<v1::Citation> CitationsOf(const Message& record) {
  const auto* descriptor = record.GetDescriptor();
  const auto* field = descriptor->FindFieldByName("citations");
  if (field == nullptr || !field->is_repeated() ||
      field->message_type() != v1::Citation::descriptor()) {
    ADD_FAILURE() << descriptor->full_name()
                  << " has no repeated Citation field `citations`";
    return {};
  }
  const auto* reflection = record.GetReflection();
  std::vector<v1::Citation> out;
  for (int i = 0; i < reflection->FieldSize(record, field); ++i) {
    v1::Citation citation;
    citation.CopyFrom(reflection->GetRepeatedMessage(record, field, i));
    out.push_back(std::move(citation));
  }
  return out;
}

std::string NameOf(const Message& record) {
  const auto* field = record.GetDescriptor()->FindFieldByName("name");
  return field == nullptr ? "<no name field>"
                          : record.GetReflection()->GetString(record, field);
}

// `record` cites the press release, and every excerpt it cites is a
// non-empty passage found verbatim in the press-release text.
void ExpectCitedVerbatim(const Message& record) {
  const std::string name = NameOf(record);
  EXPECT_FALSE(name.empty()) << "a record without a name: " << Text(record);
  const std::vector<v1::Citation> citations = CitationsOf(record);
  EXPECT_FALSE(citations.empty()) << name << " cites nothing";
  for (size_t i = 0; i < citations.size(); ++i) {
    const v1::Citation& citation = citations[i];
    EXPECT_EQ(citation.source(), kSource)
        << name << " citations[" << i << "] cites another source";
    EXPECT_FALSE(citation.excerpt().empty())
        << name << " citations[" << i << "] has an empty excerpt";
    EXPECT_TRUE(InCorpus(citation.excerpt()))
        << name << " citations[" << i
        << "].excerpt is not verbatim in the press release: \""
        << citation.excerpt() << "\"";
  }
}

// `record` cites the press-release passage that carries the fact: one of its
// excerpts contains `passage`, which is itself in the text.
void ExpectCites(const Message& record, const std::string& passage) {
  EXPECT_TRUE(InCorpus(passage))
      << "the test's own passage is not in the press release: \"" << passage
      << "\"";
  bool found = false;
  for (const v1::Citation& citation : CitationsOf(record)) {
    if (citation.source() == kSource &&
        citation.excerpt().find(passage) != std::string::npos) {
      found = true;
    }
  }
  EXPECT_TRUE(found) << NameOf(record) << " cites no excerpt containing \""
                     << passage << "\"";
}

// The Source record has no citations: it is the press release itself.
void ExpectThePressRelease(const v1::Source& source) {
  EXPECT_EQ(source.name(), kSource);
  EXPECT_EQ(source.display_name(), kTitle);
  EXPECT_TRUE(InCorpus(source.display_name()))
      << "title not in the text: " << source.display_name();
  EXPECT_EQ(source.publisher(), "participants/russia-mfa");
  EXPECT_EQ(source.document_number(), "1374-11-07-2023");
  EXPECT_TRUE(InCorpus(source.document_number()));
  // 14:00 Moscow time (UTC+3), the time printed on the release.
  EXPECT_EQ(TimeUtil::ToString(source.publish_time()), "2023-07-11T11:00:00Z");
  EXPECT_TRUE(InCorpus("14:00"));
  EXPECT_EQ(Date(source.publish_date()), "2023-07-11");
  EXPECT_EQ(source.language(), "en");
  for (int i = 0; i < source.facts_size(); ++i) {
    EXPECT_TRUE(InCorpus(source.facts(i).excerpt()))
        << "facts[" << i << "].excerpt is not verbatim in the press release: \""
        << source.facts(i).excerpt() << "\"";
  }
}

// ---------------------------------------------------------------------------
// The rows.

struct Row {
  int fact;               // its number in FACTS.md
  std::string statement;  // its text in FACTS.md
  std::function<void()> check;
};

void PrintTo(const Row& row, std::ostream* os) {
  *os << "fact " << row.fact << ": " << row.statement;
}

std::vector<Row> Rows() {
  return {
      {1,
       "Press release No. 1374 of 11 July 2023, 14:00, Ministry of Foreign "
       "Affairs of the Russian Federation: \"Press release on Foreign Minister "
       "Sergey Lavrov's participation in the upcoming ASEAN ministerial "
       "meetings\".",
       [] {
         const auto by_number = List<v1::Source>(
             {.filter =
                  R"(document_number = "1374-11-07-2023" AND publish_date = "2023-07-11")"});
         ASSERT_THAT(by_number.names(), ElementsAre(kSource))
             << by_number.request;
         const auto by_publisher = List<v1::Source>(
             {.filter = R"(publisher = "participants/russia-mfa")"});
         ASSERT_THAT(by_publisher.names(), ElementsAre(kSource))
             << by_publisher.request;
         ExpectThePressRelease(by_number[kSource]);
         const v1::Participant mfa =
             Get<v1::Participant>("participants/russia-mfa");
         EXPECT_EQ(EnumName(mfa.kind()), "PARTICIPANT_KIND_AGENCY");
         EXPECT_EQ(mfa.display_name(),
                   "Ministry of Foreign Affairs of the Russian Federation");
         EXPECT_EQ(mfa.affiliation(), "participants/russia");
         ExpectCitedVerbatim(mfa);
       }},
      {2, "Sergey Lavrov — Minister of Foreign Affairs of Russia.",
       [] {
         const auto found = List<v1::Participant>(
             {.filter = R"(kind = PERSON AND names:"Сергей Лавров")"});
         ASSERT_THAT(found.names(), ElementsAre("participants/sergey-lavrov"))
             << found.request;
         const v1::Participant& lavrov = found["participants/sergey-lavrov"];
         EXPECT_EQ(lavrov.display_name(), "Sergey Lavrov");
         EXPECT_EQ(EnumName(lavrov.kind()), "PARTICIPANT_KIND_PERSON");
         ASSERT_GE(lavrov.roles_size(), 1);
         EXPECT_EQ(lavrov.roles(0).title(), "Minister of Foreign Affairs");
         EXPECT_EQ(lavrov.roles(0).of(), "participants/russia");
         ExpectCitedVerbatim(lavrov);
         ExpectCites(lavrov, "Foreign Minister Sergey Lavrov");
       }},
      {3, "Kao Kim Hourn — Secretary-General of ASEAN.",
       [] {
         const auto found =
             List<v1::Participant>({.filter = R"(names:"Kao Kim Hourn")"});
         ASSERT_THAT(found.names(), ElementsAre("participants/kao-kim-hourn"))
             << found.request;
         const v1::Participant& kao = found["participants/kao-kim-hourn"];
         EXPECT_EQ(EnumName(kao.kind()), "PARTICIPANT_KIND_PERSON");
         ASSERT_GE(kao.roles_size(), 1);
         EXPECT_EQ(kao.roles(0).title(), "Secretary-General of ASEAN");
         EXPECT_EQ(kao.roles(0).of(), "participants/asean");
         ExpectCitedVerbatim(kao);
         ExpectCites(kao, "ASEAN Secretary-General Kao Kim Hourn");
       }},
      {4, "Russia–ASEAN relations date back over three decades.",
       [] {
         const v1::Forum dialogue =
             Get<v1::Forum>("forums/russia-asean-dialogue");
         EXPECT_EQ(dialogue.name(), "forums/russia-asean-dialogue");
         EXPECT_EQ(dialogue.parent(), "forums/asean");
         EXPECT_THAT(dialogue.description(),
                     HasSubstr("date back over three decades"));
         // The text gives no starting year.
         EXPECT_FALSE(dialogue.has_founded()) << Date(dialogue.founded());
         ExpectCitedVerbatim(dialogue);
         ExpectCites(dialogue,
                     "whose relations with Russia date back over "
                     "three decades");
         const auto found =
             List<v1::Forum>({.filter = R"(names:"Russia-ASEAN dialogue")"});
         ASSERT_THAT(found.names(), ElementsAre("forums/russia-asean-dialogue"))
             << found.request;
         const v1::Forum asean = Get<v1::Forum>("forums/asean");
         EXPECT_THAT(asean.description(),
                     HasSubstr("date back over three decades"));
         ExpectCitedVerbatim(asean);
         ExpectCites(asean,
                     "whose relations with Russia date back over three "
                     "decades");
       }},
      {5,
       "Russia–ASEAN strategic partnership: five years in 2023 (established "
       "2018).",
       [] {
         const auto found = List<v1::Membership>(
             {.parent = "forums/asean",
              .filter =
                  R"(role = STRATEGIC_PARTNER AND active_on = "2023-07-11")"});
         ASSERT_THAT(found.names(), ElementsAre("forums/asean/memberships/"
                                                "russia-strategic-partner"))
             << found.request;
         const v1::Membership& partner =
             found["forums/asean/memberships/russia-strategic-partner"];
         EXPECT_EQ(partner.member(), "participants/russia");
         EXPECT_EQ(EnumName(partner.role()),
                   "MEMBERSHIP_ROLE_STRATEGIC_PARTNER");
         EXPECT_EQ(PeriodText(partner.period()), "2018 (inferred) .. open");
         ExpectCitedVerbatim(partner);
         ExpectCites(partner, "it will mark five years this year");
         const v1::ActionPlan partnership = Get<v1::ActionPlan>(
             "actionPlans/russia-asean-strategic-partnership");
         EXPECT_EQ(PeriodText(partnership.period()), "2018 (inferred) .. open");
         EXPECT_EQ(Date(partnership.adoption().date()), "2018 (inferred)");
         ExpectCitedVerbatim(partnership);
         ExpectCites(partnership, "it will mark five years this year");
       }},
      {6,
       "The partnership is a priority of the updated Foreign Policy Concept of "
       "the Russian Federation.",
       [] {
         const auto found = List<v1::ActionPlan>(
             {.filter = R"(names:"Russia-ASEAN Strategic Partnership")"});
         ASSERT_THAT(found.names(),
                     ElementsAre("actionPlans/russia-asean-strategic-"
                                 "partnership"))
             << found.request;
         const v1::ActionPlan& partnership =
             found["actionPlans/russia-asean-strategic-partnership"];
         EXPECT_THAT(
             Strings(partnership.parties()),
             UnorderedElementsAre("participants/russia", "participants/asean"));
         EXPECT_THAT(partnership.description(),
                     HasSubstr("Foreign Policy Concept of the Russian "
                               "Federation"));
         ExpectCitedVerbatim(partnership);
         ExpectCites(partnership,
                     "is a foreign political priority for Russia and is "
                     "outlined in the recently updated Foreign Policy Concept "
                     "of the Russian Federation");
       }},
      {7,
       "East Asia Summit: leaders' forum on strategic, political and economic "
       "issues; priorities: energy and environmental protection, education, "
       "healthcare, emergency response, interconnectedness.",
       [] {
         const auto found = List<v1::Forum>(
             {.filter = R"(names:"ВАС" AND topics:"emergency response")"});
         ASSERT_THAT(found.names(), ElementsAre("forums/eas")) << found.request;
         const v1::Forum& eas = found["forums/eas"];
         EXPECT_EQ(eas.display_name(), "East Asia Summit");
         EXPECT_EQ(EnumName(eas.kind()), "FORUM_KIND_SUMMIT");
         EXPECT_EQ(EnumName(eas.meeting_level()), "MEETING_LEVEL_SUMMIT");
         EXPECT_THAT(
             Strings(eas.topics()),
             IsSupersetOf({"energy", "environmental protection", "education",
                           "healthcare", "emergency response",
                           "interconnectedness"}));
         EXPECT_THAT(eas.description(),
                     HasSubstr("strategic, political and economic issues"));
         ExpectCitedVerbatim(eas);
         ExpectCites(eas,
                     "Priorities for industrial cooperation include energy and "
                     "environmental protection, education, healthcare, "
                     "emergency response, and interconnectedness.");
       }},
      {8,
       "ASEAN Regional Forum: 30th anniversary in 2023; Russia a founding "
       "country; principles: consensus, equal participation, consideration of "
       "all members' interests.",
       [] {
         const auto found =
             List<v1::Forum>({.filter = R"(names:"АРФ" AND founded = "1994")"});
         ASSERT_THAT(found.names(), ElementsAre("forums/arf")) << found.request;
         const v1::Forum& arf = found["forums/arf"];
         EXPECT_EQ(arf.display_name(), "ASEAN Regional Forum");
         EXPECT_EQ(Date(arf.founded()), "1994 (inferred)");
         EXPECT_THAT(arf.description(),
                     HasSubstr("consensus, equal participation, "
                               "consideration of all members' interests"));
         ExpectCitedVerbatim(arf);
         ExpectCites(arf, "celebrating its 30th anniversary this year");
         ExpectCites(arf,
                     "consensus, equal participation and consideration "
                     "for the interests of all member states");
         const auto founders = List<v1::Membership>(
             {.parent = "forums/arf", .filter = "role = FOUNDING_MEMBER"});
         ASSERT_THAT(founders.names(),
                     ElementsAre("forums/arf/memberships/russia"))
             << founders.request;
         const v1::Membership& russia =
             founders["forums/arf/memberships/russia"];
         EXPECT_EQ(russia.member(), "participants/russia");
         EXPECT_EQ(EnumName(russia.role()), "MEMBERSHIP_ROLE_FOUNDING_MEMBER");
         ExpectCitedVerbatim(russia);
         ExpectCites(russia, "as one of the founding countries of the forum");
       }},
      {9,
       "ARF mechanism for the safe use of information and communication "
       "technologies: chaired by Russia along with Indonesia in 2023–2024 "
       "(\"will continue to chair\": an earlier chairmanship precedes it).",
       [] {
         const std::string current =
             "forums/arf-ism-ict/chairmanships/2023-2024";
         const std::string earlier =
             "forums/arf-ism-ict/chairmanships/before-2023";
         const auto active =
             List<v1::Chairmanship>({.parent = "forums/arf-ism-ict",
                                     .filter = R"(active_on = "2023-10-01")"});
         ASSERT_THAT(active.names(), ElementsAre(current)) << active.request;
         const v1::Chairmanship& term = active[current];
         EXPECT_THAT(Strings(term.chairs()),
                     UnorderedElementsAre("participants/russia",
                                          "participants/indonesia"));
         EXPECT_EQ(PeriodText(term.term()), "2023 .. 2024");
         EXPECT_EQ(term.continues(), earlier);
         EXPECT_EQ(EnumName(term.status()), "CHAIRMANSHIP_STATUS_CURRENT");
         ExpectCitedVerbatim(term);
         ExpectCites(term,
                     "In 2023-2024, Russia (along with Indonesia) will "
                     "continue to chair the ARF mechanism");
         const auto all = List<v1::Chairmanship>(
             {.parent = "forums/arf-ism-ict",
              .filter = R"(chairs:"participants/indonesia")",
              .order_by = "term"});
         ASSERT_THAT(all.names(), ElementsAre(earlier, current)) << all.request;
         const v1::Chairmanship& before = all[earlier];
         EXPECT_THAT(Strings(before.chairs()),
                     UnorderedElementsAre("participants/russia",
                                          "participants/indonesia"));
         EXPECT_EQ(PeriodText(before.term()),
                   "2022 (inferred) .. 2022 (inferred)");
         EXPECT_EQ(EnumName(before.status()), "CHAIRMANSHIP_STATUS_ENDED");
         EXPECT_THAT(before.description(), HasSubstr("will continue to chair"));
         ExpectCitedVerbatim(before);
         ExpectCites(before, "will continue to chair");
         const v1::Forum mechanism = Get<v1::Forum>("forums/arf-ism-ict");
         EXPECT_EQ(EnumName(mechanism.kind()), "FORUM_KIND_MECHANISM");
         EXPECT_EQ(mechanism.parent(), "forums/arf");
         ExpectCitedVerbatim(mechanism);
         ExpectCites(mechanism,
                     "the ARF mechanism for the safe use of information and "
                     "communication technologies");
       }},
      {10,
       "ASEAN–Russia Consultations of the High Representatives for Security "
       "Issues.",
       [] {
         const std::string name =
             "forums/asean-russia-high-representatives-security";
         const auto found = List<v1::Forum>(
             {.filter = R"(display_name:"High Representatives")"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::Forum& forum = found[name];
         EXPECT_EQ(forum.display_name(),
                   "ASEAN-Russia Consultations of the High Representatives "
                   "for Security Issues");
         EXPECT_TRUE(InCorpus(forum.display_name()));
         EXPECT_EQ(EnumName(forum.kind()), "FORUM_KIND_DIALOGUE");
         EXPECT_EQ(EnumName(forum.meeting_level()),
                   "MEETING_LEVEL_SENIOR_OFFICIALS");
         EXPECT_EQ(forum.parent(), "forums/russia-asean-dialogue");
         ExpectCitedVerbatim(forum);
         ExpectCites(forum, forum.display_name());
       }},
      {11, "ASEAN–Russia Dialogue on ICT Security-related Issues.",
       [] {
         const std::string name = "forums/asean-russia-ict-security-dialogue";
         const auto found = List<v1::Forum>(
             {.filter = R"(kind = DIALOGUE AND topics:"ict security")"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::Forum& forum = found[name];
         EXPECT_EQ(forum.display_name(),
                   "ASEAN-Russia Dialogue on ICT Security-related Issues");
         EXPECT_TRUE(InCorpus(forum.display_name()));
         EXPECT_EQ(forum.parent(), "forums/russia-asean-dialogue");
         ExpectCitedVerbatim(forum);
         ExpectCites(forum, forum.display_name());
       }},
      {12,
       "EAS consultation platform on regional security architecture: set up "
       "at Russia's initiative, at the level of permanent representatives to "
       "ASEAN in Jakarta, with experts from capitals.",
       [] {
         const std::string name = "forums/eas-security-architecture-platform";
         const auto found = List<v1::Forum>(
             {.filter =
                  R"(initiated_by:"participants/russia" AND meeting_level = PERMANENT_REPRESENTATIVES)"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::Forum& platform = found[name];
         EXPECT_EQ(EnumName(platform.kind()), "FORUM_KIND_PLATFORM");
         EXPECT_EQ(platform.parent(), "forums/eas");
         EXPECT_THAT(Strings(platform.initiated_by()),
                     ElementsAre("participants/russia"));
         EXPECT_EQ(EnumName(platform.meeting_level()),
                   "MEETING_LEVEL_PERMANENT_REPRESENTATIVES");
         EXPECT_THAT(platform.description(),
                     HasSubstr("permanent representatives of the EAS member "
                               "states to ASEAN in Jakarta"));
         EXPECT_THAT(platform.description(),
                     HasSubstr("experts from the capitals"));
         ExpectCitedVerbatim(platform);
         ExpectCites(platform,
                     "set up within the EAS at Russia’s initiative, at the "
                     "level of permanent representatives of the EAS member "
                     "states to ASEAN in Jakarta involving experts from the "
                     "capitals");
       }},
      {13,
       "A dialogue on digital transformation and smart cities is being "
       "launched.",
       [] {
         const std::string name =
             "forums/russia-asean-digital-transformation-dialogue";
         const auto found = List<v1::Forum>(
             {.filter = R"(status = PROPOSED AND topics:"smart cities")"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::Forum& dialogue = found[name];
         EXPECT_EQ(EnumName(dialogue.kind()), "FORUM_KIND_DIALOGUE");
         EXPECT_EQ(EnumName(dialogue.status()), "FORUM_STATUS_PROPOSED");
         EXPECT_THAT(Strings(dialogue.topics()),
                     IsSupersetOf({"digital transformation", "smart cities"}));
         ExpectCitedVerbatim(dialogue);
         ExpectCites(dialogue,
                     "the work on launching a dialogue on digital "
                     "transformation and the development of smart cities");
       }},
      {14,
       "Russian–ASEAN consultations on digitisation; making them regular is "
       "under consideration.",
       [] {
         const std::string name =
             "forums/russia-asean-digitisation-consultations";
         const auto found = List<v1::Forum>(
             {.filter =
                  R"(names:"Russian-ASEAN consultations on digitisation")"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::Forum& consultations = found[name];
         EXPECT_EQ(EnumName(consultations.kind()), "FORUM_KIND_DIALOGUE");
         EXPECT_EQ(Date(consultations.founded()), "2023-06 (inferred)");
         // Regular meetings are only under consideration: no cadence.
         EXPECT_EQ(EnumName(consultations.cadence()), "CADENCE_UNSPECIFIED");
         EXPECT_THAT(consultations.description(),
                     HasSubstr("under consideration"));
         ExpectCitedVerbatim(consultations);
         ExpectCites(consultations,
                     "the possibility of holding these meetings on a regular "
                     "basis is currently under consideration");
         const v1::Session first = Get<v1::Session>(name + "/sessions/1");
         EXPECT_EQ(first.name(), name + "/sessions/1");
         ExpectCitedVerbatim(first);
       }},
      {15,
       "EAEU–ASEAN format; St Petersburg International Economic Forum and "
       "Eastern Economic Forum as venues of business dialogue.",
       [] {
         const auto found = List<v1::Forum>(
             {.filter =
                  R"(kind = BUSINESS_FORUM OR names:"EAEU-ASEAN format")"});
         ASSERT_THAT(found.names(),
                     UnorderedElementsAre("forums/eaeu-asean", "forums/spief",
                                          "forums/eastern-economic-forum"))
             << found.request;
         for (const char* name :
              {"forums/spief", "forums/eastern-economic-forum"}) {
           const v1::Forum& venue = found[name];
           EXPECT_EQ(EnumName(venue.kind()), "FORUM_KIND_BUSINESS_FORUM")
               << name;
           EXPECT_TRUE(InCorpus(venue.display_name())) << venue.display_name();
           ExpectCitedVerbatim(venue);
           ExpectCites(venue, "as venues for regular business dialogue");
         }
         EXPECT_EQ(found["forums/spief"].display_name(),
                   "St Petersburg International Economic Forum");
         EXPECT_EQ(found["forums/eastern-economic-forum"].display_name(),
                   "Eastern Economic Forum");
         const v1::Forum& format = found["forums/eaeu-asean"];
         EXPECT_EQ(EnumName(format.meeting_level()), "MEETING_LEVEL_BUSINESS");
         ExpectCitedVerbatim(format);
         ExpectCites(format, "in the EAEU-ASEAN format");
       }},
      {16,
       "SCO, EAEU, Eurasian Economic Commission, SCO Secretariat; memoranda of "
       "understanding between the EEC and the SCO Secretariat as the "
       "foundation of ASEAN's ties with them.",
       [] {
         const auto forums =
             List<v1::Forum>({.filter = R"(names:"ШОС" OR names:"ЕАЭС")"});
         ASSERT_THAT(forums.names(),
                     UnorderedElementsAre("forums/sco", "forums/eaeu"))
             << forums.request;
         for (const auto& forum : forums.records) {
           EXPECT_EQ(EnumName(forum.kind()), "FORUM_KIND_ORGANIZATION")
               << forum.name();
           ExpectCitedVerbatim(forum);
           ExpectCites(forum, "ASEAN’s ties with the SCO and the EAEU");
         }
         const auto bodies = List<v1::Participant>(
             {.filter = R"(names:"EEC" OR names:"SCO Secretariat")"});
         ASSERT_THAT(
             bodies.names(),
             UnorderedElementsAre("participants/eurasian-economic-commission",
                                  "participants/sco-secretariat"))
             << bodies.request;
         EXPECT_EQ(
             bodies["participants/eurasian-economic-commission"].affiliation(),
             "participants/eaeu");
         EXPECT_EQ(bodies["participants/sco-secretariat"].affiliation(),
                   "participants/sco");
         for (const auto& body : bodies.records) {
           EXPECT_THAT(body.description(),
                       HasSubstr("memoranda of understanding between the EEC "
                                 "and the SCO Secretariat"))
               << body.name();
           ExpectCitedVerbatim(body);
           ExpectCites(body,
                       "memoranda of understanding between the EEC and the "
                       "SCO Secretariat serving as a foundation");
         }
         for (const char* name : {"participants/sco", "participants/eaeu"}) {
           const v1::Participant organisation = Get<v1::Participant>(name);
           EXPECT_EQ(organisation.name(), name);
           EXPECT_EQ(EnumName(organisation.kind()),
                     "PARTICIPANT_KIND_ORGANIZATION");
           ExpectCitedVerbatim(organisation);
         }
       }},
      {17,
       "The ASEAN Secretary-General is invited to SCO summits on a regular "
       "basis.",
       [] {
         const std::string name = "forums/sco/memberships/asean-guest";
         const auto found = List<v1::Membership>(
             {.parent = "forums/sco",
              .filter = R"(role = GUEST AND member = "participants/asean")"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::Membership& guest = found[name];
         EXPECT_EQ(guest.member(), "participants/asean");
         EXPECT_EQ(EnumName(guest.role()), "MEMBERSHIP_ROLE_GUEST");
         EXPECT_EQ(PeriodText(guest.period()), "open .. open");
         ExpectCitedVerbatim(guest);
         ExpectCites(guest,
                     "The association’s secretary-general is invited to take "
                     "part in SCO summits on a regular basis.");
       }},
      {18,
       "Annual training courses for ASEAN law-enforcement personnel by the "
       "Federal Security Service and the Interior Ministry (in person and "
       "remote): terrorism and extremism, drug trafficking, cryptocurrency "
       "crimes.",
       [] {
         const std::string name = "forums/law-enforcement-training-courses";
         const auto found = List<v1::Forum>(
             {.filter =
                  R"(initiated_by:"participants/fsb" AND initiated_by:"participants/russia-interior-ministry")"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::Forum& courses = found[name];
         EXPECT_EQ(EnumName(courses.kind()), "FORUM_KIND_PROGRAMME");
         EXPECT_EQ(EnumName(courses.cadence()), "CADENCE_ANNUAL");
         EXPECT_THAT(Strings(courses.initiated_by()),
                     UnorderedElementsAre("participants/fsb",
                                          "participants/russia-interior-"
                                          "ministry"));
         EXPECT_THAT(
             Strings(courses.topics()),
             IsSupersetOf({"countering terrorism", "countering extremism",
                           "illegal drug trafficking",
                           "cryptocurrency crimes"}));
         EXPECT_THAT(courses.description(), HasSubstr("in person"));
         EXPECT_THAT(courses.description(), HasSubstr("remote"));
         ExpectCitedVerbatim(courses);
         ExpectCites(courses,
                     "both in-person and remote formats of annual additional "
                     "training courses organised by the Russian Federal "
                     "Security Service and the Interior Ministry");
         for (const char* agency :
              {"participants/fsb", "participants/russia-interior-ministry"}) {
           const v1::Participant body = Get<v1::Participant>(agency);
           EXPECT_EQ(body.name(), agency);
           EXPECT_EQ(EnumName(body.kind()), "PARTICIPANT_KIND_AGENCY");
           EXPECT_EQ(body.affiliation(), "participants/russia");
           ExpectCitedVerbatim(body);
         }
       }},
      {19,
       "Rospotrebnadzor: three-year series of training courses for ASEAN "
       "epidemiologists, concluded November 2022, international centre in "
       "Vladivostok.",
       [] {
         const std::string name =
             "forums/rospotrebnadzor-epidemiologist-training";
         const auto found = List<v1::Forum>(
             {.filter =
                  R"(initiated_by:"participants/rospotrebnadzor" AND dissolved = "2022-11")"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::Forum& courses = found[name];
         EXPECT_EQ(EnumName(courses.kind()), "FORUM_KIND_PROGRAMME");
         EXPECT_EQ(EnumName(courses.status()), "FORUM_STATUS_DISSOLVED");
         // "Last November", in a text of July 2023.
         EXPECT_EQ(Date(courses.dissolved()), "2022-11 (inferred)");
         EXPECT_THAT(Strings(courses.initiated_by()),
                     ElementsAre("participants/rospotrebnadzor"));
         EXPECT_THAT(courses.description(), HasSubstr("three-year"));
         EXPECT_THAT(courses.description(), HasSubstr("Vladivostok"));
         ExpectCitedVerbatim(courses);
         ExpectCites(courses,
                     "Last November, the Federal Service for the Oversight of "
                     "Consumer Protection and Welfare (Rospotrebnadzor) "
                     "concluded its three-year series of advanced training "
                     "courses for ASEAN epidemiologists at the international "
                     "specialised centre in Vladivostok");
         const v1::Participant agency =
             Get<v1::Participant>("participants/rospotrebnadzor");
         EXPECT_EQ(EnumName(agency.kind()), "PARTICIPANT_KIND_AGENCY");
         ExpectCitedVerbatim(agency);
       }},
      {20,
       "MGIMO Master's programme \"The Political Economy of the Russia-ASEAN "
       "Strategic Partnership\".",
       [] {
         const std::string name = "forums/mgimo-russia-asean-masters";
         const auto found = List<v1::Forum>(
             {.filter =
                  R"(kind = PROGRAMME AND initiated_by:"participants/mgimo")"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::Forum& programme = found[name];
         EXPECT_EQ(programme.display_name(),
                   "The Political Economy of the Russia-ASEAN Strategic "
                   "Partnership");
         EXPECT_TRUE(InCorpus(programme.display_name()));
         EXPECT_THAT(Strings(programme.initiated_by()),
                     ElementsAre("participants/mgimo"));
         ExpectCitedVerbatim(programme);
         ExpectCites(programme,
                     "launched a Master’s programme for ASEAN "
                     "students, entitled The Political Economy of "
                     "the Russia-ASEAN Strategic Partnership");
         const v1::Participant mgimo =
             Get<v1::Participant>("participants/mgimo");
         EXPECT_EQ(mgimo.display_name(),
                   "Moscow State Institute of International Relations");
         EXPECT_EQ(EnumName(mgimo.kind()), "PARTICIPANT_KIND_AGENCY");
         ExpectCitedVerbatim(mgimo);
       }},
      {21, "ASEAN ministerial meetings, Jakarta, 12–14 July [y].",
       [] {
         const std::string name =
             "forums/asean/sessions/ministerial-meetings-2023";
         const auto found = List<v1::Session>(
             {.parent = "forums/-",
              .filter =
                  R"(kind = SERIES AND venue.city = "Jakarta" AND start_date = "2023-07-12")"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::Session& series = found[name];
         EXPECT_EQ(EnumName(series.kind()), "SESSION_KIND_SERIES");
         EXPECT_EQ(Date(series.start_date()), "2023-07-12 (inferred)");
         EXPECT_EQ(Date(series.end_date()), "2023-07-14 (inferred)");
         EXPECT_EQ(series.venue().city(), "Jakarta");
         EXPECT_EQ(series.venue().country(), "participants/indonesia");
         EXPECT_EQ(EnumName(series.status()), "SESSION_STATUS_PLANNED");
         ExpectCitedVerbatim(series);
         ExpectCites(series,
                     "annual ministerial meetings of the Association "
                     "of Southeast Asian Nations on July 12-14 in "
                     "Jakarta");
         const auto inside = List<v1::Session>(
             {.parent = "forums/-",
              .filter = absl::StrCat("parent_session = \"", name, "\""),
              .order_by = "start_date"});
         ASSERT_THAT(inside.names(),
                     ElementsAre("forums/russia-asean-fmm/sessions/2023",
                                 "forums/arf/sessions/30",
                                 "forums/eas/sessions/fmm-2023"))
             << inside.request;
         for (const auto& meeting : inside.records)
           ExpectCitedVerbatim(meeting);
       }},
      {22,
       "Russia–ASEAN foreign ministers' meeting, 13 July [y]: political, "
       "trade, "
       "economic, social and cultural interaction; emphasis on food and energy "
       "security.",
       [] {
         const std::string name = "forums/russia-asean-fmm/sessions/2023";
         const auto found =
             List<v1::Session>({.parent = "forums/russia-asean-fmm",
                                .filter = R"(start_date = "2023-07-13")"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::Session& meeting = found[name];
         EXPECT_EQ(Date(meeting.start_date()), "2023-07-13 (inferred)");
         EXPECT_EQ(meeting.parent_session(),
                   "forums/asean/sessions/ministerial-meetings-2023");
         EXPECT_EQ(EnumName(meeting.level()), "MEETING_LEVEL_MINISTERIAL");
         EXPECT_EQ(EnumName(meeting.status()), "SESSION_STATUS_PLANNED");
         EXPECT_THAT(Strings(meeting.topics()),
                     IsSupersetOf({"political cooperation",
                                   "trade and economic cooperation",
                                   "social and cultural cooperation",
                                   "food security", "energy security"}));
         EXPECT_THAT(Attendance(meeting),
                     IsSupersetOf({"participants/russia by "
                                   "participants/sergey-lavrov"}));
         ExpectCitedVerbatim(meeting);
         ExpectCites(meeting, "foreign ministers on July 13");
         ExpectCites(meeting,
                     "Special emphasis will be placed on ensuring "
                     "food and energy security.");
         const v1::Forum forum = Get<v1::Forum>("forums/russia-asean-fmm");
         EXPECT_EQ(EnumName(forum.kind()), "FORUM_KIND_MINISTERIAL");
         ExpectCitedVerbatim(forum);
       }},
      {23,
       "EAS foreign ministers' meeting, 14 July [y]: preparation of the 18th "
       "EAS.",
       [] {
         const std::string name = "forums/eas/sessions/fmm-2023";
         const auto found = List<v1::Session>(
             {.parent = "forums/eas",
              .filter =
                  R"(level = MINISTERIAL AND start_date = "2023-07-14")"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::Session& meeting = found[name];
         EXPECT_EQ(Date(meeting.start_date()), "2023-07-14 (inferred)");
         EXPECT_EQ(meeting.parent_session(),
                   "forums/asean/sessions/ministerial-meetings-2023");
         EXPECT_EQ(EnumName(meeting.status()), "SESSION_STATUS_PLANNED");
         EXPECT_THAT(Strings(meeting.topics()),
                     IsSupersetOf({"preparation of the 18th east asia "
                                   "summit"}));
         ExpectCitedVerbatim(meeting);
         ExpectCites(meeting,
                     "foreign ministers meeting to be held on July 14 "
                     "will focus on preparations for the general, "
                     "18th East Asia Summit");
         const auto that_day = List<v1::Session>(
             {.parent = "forums/-", .filter = R"(start_date = "2023-07-14")"});
         ASSERT_THAT(that_day.names(),
                     UnorderedElementsAre("forums/eas/sessions/fmm-2023",
                                          "forums/arf/sessions/30"))
             << that_day.request;
       }},
      {24,
       "30th session of the ARF, 14 July [y]: new challenges and threats, "
       "terrorism, transnational crime, disarmament, WMD non-proliferation.",
       [] {
         const std::string name = "forums/arf/sessions/30";
         const auto found = List<v1::Session>(
             {.parent = "forums/arf", .filter = "ordinal = 30"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::Session& session = found[name];
         EXPECT_EQ(session.ordinal(), 30);
         EXPECT_EQ(EnumName(session.kind()), "SESSION_KIND_SESSION");
         EXPECT_EQ(Date(session.start_date()), "2023-07-14 (inferred)");
         EXPECT_EQ(session.parent_session(),
                   "forums/asean/sessions/ministerial-meetings-2023");
         EXPECT_EQ(EnumName(session.status()), "SESSION_STATUS_PLANNED");
         EXPECT_THAT(Strings(session.topics()),
                     IsSupersetOf({"new challenges and threats",
                                   "combating terrorism", "transnational crime",
                                   "disarmament", "wmd non-proliferation"}));
         ExpectCitedVerbatim(session);
         ExpectCites(session,
                     "During the 30th session of the forum on July "
                     "14, the issues of countering new challenges "
                     "and threats, combating terrorism and "
                     "transnational crime, disarmament and WMD "
                     "non-proliferation");
         const auto that_day = List<v1::Session>(
             {.parent = "forums/-", .filter = R"(start_date = "2023-07-14")"});
         ASSERT_THAT(that_day.names(),
                     UnorderedElementsAre("forums/eas/sessions/fmm-2023",
                                          "forums/arf/sessions/30"))
             << that_day.request;
       }},
      {25,
       "Lavrov meets ASEAN Secretary-General Kao Kim Hourn, 12 July [y], "
       "Indonesia.",
       [] {
         const std::string name =
             "forums/russia-asean-dialogue/sessions/lavrov-kao-kim-hourn-2023";
         const auto found = List<v1::Session>(
             {.parent = "forums/-",
              .filter =
                  R"(start_date = "2023-07-12" AND venue.country = "participants/indonesia" AND kind = MEETING)"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::Session& meeting = found[name];
         EXPECT_EQ(Date(meeting.start_date()), "2023-07-12 (inferred)");
         EXPECT_EQ(meeting.venue().country(), "participants/indonesia");
         EXPECT_EQ(meeting.venue().city(), "");  // the text names no city
         EXPECT_THAT(Attendance(meeting),
                     UnorderedElementsAre(
                         "participants/russia by participants/sergey-lavrov",
                         "participants/asean by participants/kao-kim-hourn"));
         ExpectCitedVerbatim(meeting);
         ExpectCites(meeting,
                     "During his visit to Indonesia, Russian Foreign "
                     "Minister Sergey Lavrov will meet with ASEAN "
                     "Secretary-General Kao Kim Hourn on July 12");
       }},
      {26, "18th East Asia Summit, Jakarta, September [y] (planned).",
       [] {
         const std::string name = "forums/eas/sessions/18";
         const auto found =
             List<v1::Session>({.parent = "forums/eas",
                                .filter = "ordinal = 18 AND status = PLANNED"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::Session& summit = found[name];
         EXPECT_EQ(summit.ordinal(), 18);
         EXPECT_EQ(EnumName(summit.kind()), "SESSION_KIND_SUMMIT");
         EXPECT_EQ(EnumName(summit.status()), "SESSION_STATUS_PLANNED");
         // "in September this year": month 9, year from the document's date.
         EXPECT_EQ(Date(summit.start_date()), "2023-09 (inferred)");
         EXPECT_EQ(summit.venue().city(), "Jakarta");
         EXPECT_EQ(summit.venue().country(), "participants/indonesia");
         ExpectCitedVerbatim(summit);
         ExpectCites(summit,
                     "18th East Asia Summit in Jakarta in September this year");
       }},
      {27, "15th East Asia Summit, 2020.",
       [] {
         const std::string name = "forums/eas/sessions/15";
         const auto found = List<v1::Session>(
             {.parent = "forums/eas",
              .filter = R"(ordinal = 15 AND start_date = "2020")"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::Session& summit = found[name];
         EXPECT_EQ(summit.ordinal(), 15);
         EXPECT_EQ(EnumName(summit.kind()), "SESSION_KIND_SUMMIT");
         EXPECT_EQ(EnumName(summit.status()), "SESSION_STATUS_HELD");
         EXPECT_EQ(Date(summit.start_date()), "2020");
         ExpectCitedVerbatim(summit);
         ExpectCites(summit, "at the 15th East Asia Summit in 2020");
       }},
      {28,
       "Third round of the High Representatives consultations, Moscow Region, "
       "23 May [y].",
       [] {
         const std::string name =
             "forums/asean-russia-high-representatives-security/sessions/3";
         const auto found = List<v1::Session>(
             {.parent = "forums/asean-russia-high-representatives-security",
              .filter = "ordinal = 3"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::Session& round = found[name];
         EXPECT_EQ(round.ordinal(), 3);
         EXPECT_EQ(EnumName(round.kind()), "SESSION_KIND_ROUND");
         EXPECT_EQ(Date(round.start_date()), "2023-05-23 (inferred)");
         EXPECT_EQ(round.venue().city(), "Moscow Region");
         EXPECT_EQ(round.venue().country(), "participants/russia");
         EXPECT_EQ(EnumName(round.status()), "SESSION_STATUS_HELD");
         ExpectCitedVerbatim(round);
         ExpectCites(round,
                     "the third round took place in the Moscow Region on May "
                     "23");
       }},
      {29, "Second round of the ICT-security dialogue, 15 December 2022.",
       [] {
         const std::string name =
             "forums/asean-russia-ict-security-dialogue/sessions/2";
         const auto found = List<v1::Session>(
             {.parent = "forums/asean-russia-ict-security-dialogue",
              .filter = R"(start_date = "2022-12-15")"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::Session& round = found[name];
         EXPECT_EQ(round.ordinal(), 2);
         EXPECT_EQ(EnumName(round.kind()), "SESSION_KIND_ROUND");
         EXPECT_EQ(Date(round.start_date()), "2022-12-15");
         EXPECT_EQ(EnumName(round.status()), "SESSION_STATUS_HELD");
         ExpectCitedVerbatim(round);
         ExpectCites(round, "the second round took place on December 15, 2022");
       }},
      {30,
       "Regular meeting of the EAS security-architecture platform, Bandung, "
       "Indonesia, May [y].",
       [] {
         const std::string name =
             "forums/eas-security-architecture-platform/sessions/"
             "2023-05-bandung";
         const auto found = List<v1::Session>(
             {.parent = "forums/-", .filter = R"(venue.city = "Bandung")"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::Session& meeting = found[name];
         EXPECT_EQ(EnumName(meeting.level()),
                   "MEETING_LEVEL_PERMANENT_REPRESENTATIVES");
         EXPECT_EQ(Date(meeting.start_date()), "2023-05 (inferred)");
         EXPECT_EQ(meeting.venue().country(), "participants/indonesia");
         EXPECT_EQ(EnumName(meeting.status()), "SESSION_STATUS_HELD");
         ExpectCitedVerbatim(meeting);
         ExpectCites(meeting,
                     "A regular meeting was held in Bandung, Indonesia, in May "
                     "this year.");
       }},
      {31,
       "Initial Russia–ASEAN consultations on digitisation, Hanoi, June [y].",
       [] {
         const std::string name =
             "forums/russia-asean-digitisation-consultations/sessions/1";
         const auto found = List<v1::Session>(
             {.parent = "forums/-",
              .filter =
                  R"(venue.city = "Hanoi" AND venue.country = "participants/vietnam")"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::Session& round = found[name];
         EXPECT_EQ(round.ordinal(), 1);
         EXPECT_EQ(Date(round.start_date()), "2023-06 (inferred)");
         EXPECT_EQ(EnumName(round.status()), "SESSION_STATUS_HELD");
         ExpectCitedVerbatim(round);
         ExpectCites(round,
                     "Initial Russian-ASEAN consultations on digitisation took "
                     "place in Hanoi in June this year");
         const v1::Participant vietnam =
             Get<v1::Participant>("participants/vietnam");
         EXPECT_EQ(EnumName(vietnam.kind()), "PARTICIPANT_KIND_STATE");
         ExpectCitedVerbatim(vietnam);
       }},
      {32, "EAEU–ASEAN event at SPIEF, 15 June [y].",
       [] {
         const std::string name = "forums/eaeu-asean/sessions/2023-06-15";
         const auto found =
             List<v1::Session>({.parent = "forums/eaeu-asean",
                                .filter = R"(start_date = "2023-06-15")"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::Session& event = found[name];
         EXPECT_EQ(Date(event.start_date()), "2023-06-15 (inferred)");
         EXPECT_EQ(event.parent_session(), "forums/spief/sessions/2023");
         EXPECT_EQ(EnumName(event.status()), "SESSION_STATUS_HELD");
         ExpectCitedVerbatim(event);
         ExpectCites(event,
                     "whose latest event took place at SPIEF on June 15");
         const v1::Session spief =
             Get<v1::Session>("forums/spief/sessions/2023");
         EXPECT_EQ(Date(spief.start_date()), "2023-06 (inferred)");
         EXPECT_EQ(spief.venue().city(), "St Petersburg");
         ExpectCitedVerbatim(spief);
       }},
      {33,
       "First Russia–ASEAN Ministerial Meeting on Science, Technology and "
       "Innovation, 14 February (year not stated; the text places it in the "
       "2022 Year of cooperation).",
       [] {
         const std::string name =
             "forums/russia-asean-sti-ministerial/sessions/1";
         const auto found =
             List<v1::Session>({.parent = "forums/russia-asean-sti-ministerial",
                                .filter = "ordinal = 1"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::Session& meeting = found[name];
         EXPECT_EQ(meeting.ordinal(), 1);
         EXPECT_EQ(Date(meeting.start_date()), "2022-02-14 (inferred)");
         EXPECT_EQ(EnumName(meeting.level()), "MEETING_LEVEL_MINISTERIAL");
         EXPECT_THAT(Strings(meeting.topics()),
                     IsSupersetOf({"science", "technology", "innovation"}));
         ExpectCitedVerbatim(meeting);
         ExpectCites(meeting,
                     "The first Russia-ASEAN Ministerial Meeting on Science, "
                     "Technology and Innovation on February 14");
         const v1::Forum forum =
             Get<v1::Forum>("forums/russia-asean-sti-ministerial");
         EXPECT_EQ(Date(forum.founded()), "2022-02-14 (inferred)");
         ExpectCitedVerbatim(forum);
       }},
      {34, "Year of Russia–ASEAN Scientific and Technical Cooperation, 2022.",
       [] {
         const std::string name = "forums/russia-asean-year-sti-2022";
         const auto found = List<v1::Forum>(
             {.filter =
                  R"(kind = PROGRAMME AND founded = "2022" AND dissolved = "2022")"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::Forum& year = found[name];
         EXPECT_EQ(year.display_name(),
                   "Year of Russia-ASEAN Scientific and Technical "
                   "Cooperation");
         EXPECT_TRUE(InCorpus(year.display_name()));
         EXPECT_EQ(Date(year.founded()), "2022");
         EXPECT_EQ(Date(year.dissolved()), "2022");
         EXPECT_EQ(EnumName(year.cadence()), "CADENCE_ONE_OFF");
         EXPECT_THAT(Strings(year.topics()),
                     IsSupersetOf({"healthcare", "education", "energy",
                                   "peaceful use of nuclear power"}));
         ExpectCitedVerbatim(year);
         ExpectCites(year,
                     "the Year of Russia-ASEAN Scientific and Technical "
                     "Cooperation in 2022");
       }},
      {35,
       "Comprehensive Action Plan to Implement the Russia–ASEAN Strategic "
       "Partnership, approved by the leaders in 2021.",
       [] {
         const std::string name =
             "actionPlans/russia-asean-comprehensive-action-plan";
         const auto found = List<v1::ActionPlan>(
             {.filter =
                  R"(implements = "actionPlans/russia-asean-strategic-partnership")"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::ActionPlan& plan = found[name];
         EXPECT_EQ(plan.display_name(),
                   "Comprehensive Action Plan to Implement the Russia-ASEAN "
                   "Strategic Partnership");
         EXPECT_TRUE(InCorpus(plan.display_name()));
         EXPECT_EQ(Date(plan.adoption().date()), "2021");
         EXPECT_EQ(EnumName(plan.adoption().level()), "MEETING_LEVEL_SUMMIT");
         EXPECT_EQ(plan.implements(),
                   "actionPlans/russia-asean-strategic-partnership");
         ExpectCitedVerbatim(plan);
         ExpectCites(plan, "approved by the leaders in 2021");
       }},
      {36,
       "Russia–ASEAN Action Plan on Energy Cooperation 2023–2025, approved "
       "June "
       "[y]: oil and gas, coal, renewable, nuclear and low-carbon energy.",
       [] {
         const std::string name = "actionPlans/russia-asean-energy-2023-2025";
         const auto found = List<v1::ActionPlan>(
             {.filter =
                  R"(end_date = "2025" AND priority_areas:"low-carbon energy")"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::ActionPlan& plan = found[name];
         EXPECT_TRUE(InCorpus(plan.display_name())) << plan.display_name();
         EXPECT_EQ(PeriodText(plan.period()), "2023 .. 2025");
         EXPECT_EQ(Date(plan.adoption().date()), "2023-06 (inferred)");
         EXPECT_THAT(Strings(plan.priority_areas()),
                     IsSupersetOf({"oil and gas", "coal", "renewable energy",
                                   "nuclear energy", "low-carbon energy"}));
         ExpectCitedVerbatim(plan);
         ExpectCites(plan,
                     "The Russia-ASEAN Action Plan on Energy Cooperation "
                     "for 2023-2025, approved in June");
         ExpectCites(plan, "renewable, nuclear and low-carbon energy");
       }},
      {37, "EAS roadmap for 2024–2028: adoption expected at the 18th EAS.",
       [] {
         const std::string name = "actionPlans/eas-roadmap-2024-2028";
         const auto found = List<v1::ActionPlan>(
             {.filter =
                  R"(status = EXPECTED AND adoption.session = "forums/eas/sessions/18")"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::ActionPlan& roadmap = found[name];
         EXPECT_EQ(EnumName(roadmap.status()), "ACTION_PLAN_STATUS_EXPECTED");
         EXPECT_EQ(PeriodText(roadmap.period()), "2024 .. 2028");
         EXPECT_EQ(roadmap.adoption().session(), "forums/eas/sessions/18");
         EXPECT_EQ(Date(roadmap.adoption().date()), "2023-09 (inferred)");
         EXPECT_THAT(Strings(roadmap.forums()), ElementsAre("forums/eas"));
         ExpectCitedVerbatim(roadmap);
         ExpectCites(roadmap,
                     "including the adoption of a roadmap for its work for "
                     "2024-2028");
       }},
      {38,
       "ARF work plan for the coming year: adoption expected at the 30th ARF.",
       [] {
         const std::string name = "actionPlans/arf-work-plan-2023";
         const auto found = List<v1::ActionPlan>(
             {.filter =
                  R"(status = EXPECTED AND adoption.session = "forums/arf/sessions/30")"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::ActionPlan& plan = found[name];
         EXPECT_EQ(EnumName(plan.status()), "ACTION_PLAN_STATUS_EXPECTED");
         EXPECT_EQ(plan.adoption().session(), "forums/arf/sessions/30");
         // "For the coming year": no period is given.
         EXPECT_EQ(PeriodText(plan.period()), "open .. open");
         EXPECT_THAT(Strings(plan.forums()), ElementsAre("forums/arf"));
         ExpectCitedVerbatim(plan);
         ExpectCites(plan, "a work plan for the coming year");
       }},
      {39,
       "EAS statement on strengthening the collective potential for countering "
       "epidemics: adopted at the 15th EAS (2020) at Russia's initiative; a "
       "pan-regional cooperation mechanism is being created.",
       [] {
         const std::string name = "statements/eas-epidemics-2020";
         const auto found = List<v1::Statement>(
             {.filter =
                  R"(initiated_by:"participants/russia" AND adoption.session = "forums/eas/sessions/15")"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::Statement& statement = found[name];
         EXPECT_EQ(EnumName(statement.status()), "STATEMENT_STATUS_ADOPTED");
         EXPECT_EQ(statement.forum(), "forums/eas");
         EXPECT_EQ(statement.adoption().session(), "forums/eas/sessions/15");
         EXPECT_EQ(Date(statement.adoption().date()), "2020");
         EXPECT_THAT(Strings(statement.initiated_by()),
                     ElementsAre("participants/russia"));
         ExpectCitedVerbatim(statement);
         ExpectCites(statement,
                     "the statement on strengthening the collective potential "
                     "for countering epidemics adopted at Russia’s initiative "
                     "at the 15th East Asia Summit in 2020");
         const auto mechanisms = List<v1::Forum>(
             {.filter = R"(parent = "forums/eas" AND topics:"epidemics")"});
         ASSERT_THAT(mechanisms.names(),
                     ElementsAre("forums/eas-epidemics-mechanism"))
             << mechanisms.request;
         const v1::Forum& mechanism =
             mechanisms["forums/eas-epidemics-mechanism"];
         EXPECT_EQ(EnumName(mechanism.kind()), "FORUM_KIND_MECHANISM");
         EXPECT_EQ(EnumName(mechanism.status()), "FORUM_STATUS_PROPOSED");
         ExpectCitedVerbatim(mechanism);
         ExpectCites(mechanism,
                     "work continues to create a profile mechanism "
                     "for pan-regional cooperation");
       }},
      {40,
       "EAS leaders' statement of 2021 fixing tourism goals, at Russia's "
       "initiative.",
       [] {
         const std::string name = "statements/eas-tourism-2021";
         const auto found = List<v1::Statement>(
             {.filter =
                  R"(forum = "forums/eas" AND topics:"tourism" AND adoption.date = "2021")"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::Statement& statement = found[name];
         EXPECT_EQ(EnumName(statement.kind()),
                   "STATEMENT_KIND_LEADERS_STATEMENT");
         EXPECT_EQ(EnumName(statement.status()), "STATEMENT_STATUS_ADOPTED");
         EXPECT_EQ(Date(statement.adoption().date()), "2021");
         EXPECT_THAT(Strings(statement.initiated_by()),
                     ElementsAre("participants/russia"));
         ExpectCitedVerbatim(statement);
         ExpectCites(statement,
                     "At Russia’s initiative, the corresponding "
                     "goals were fixed in the statement adopted in "
                     "2021 by the leaders of the forum member "
                     "states.");
         const v1::Forum eas = Get<v1::Forum>("forums/eas");
         EXPECT_THAT(Strings(eas.topics()), IsSupersetOf({"tourism"}));
         ExpectCites(eas,
                     "A new area for cooperation on the EAS platform is "
                     "tourism.");
       }},
      {41,
       "ARF ministerial statement on the 30th anniversary: adoption expected "
       "at "
       "the 30th ARF.",
       [] {
         const std::string name = "statements/arf-30th-anniversary";
         const auto found = List<v1::Statement>(
             {.filter = R"(forum = "forums/arf" AND status = EXPECTED)"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::Statement& statement = found[name];
         EXPECT_EQ(EnumName(statement.kind()),
                   "STATEMENT_KIND_MINISTERIAL_STATEMENT");
         EXPECT_EQ(EnumName(statement.status()), "STATEMENT_STATUS_EXPECTED");
         EXPECT_EQ(statement.adoption().session(), "forums/arf/sessions/30");
         ExpectCitedVerbatim(statement);
         ExpectCites(statement,
                     "It is expected to adopt a ministerial "
                     "statement on the occasion of the 30th "
                     "anniversary of the forum");
       }},
      {42, "Volunteer movements: an EAS track promoted by Russia.",
       [] {
         const std::string name = "forums/eas-volunteer-movements";
         const auto found =
             List<v1::Forum>({.filter = R"(topics:"volunteer movements")"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::Forum& track = found[name];
         EXPECT_EQ(EnumName(track.kind()), "FORUM_KIND_PROGRAMME");
         EXPECT_EQ(track.parent(), "forums/eas");
         EXPECT_THAT(Strings(track.initiated_by()),
                     ElementsAre("participants/russia"));
         EXPECT_EQ(EnumName(track.status()), "FORUM_STATUS_PROPOSED");
         ExpectCitedVerbatim(track);
         ExpectCites(track,
                     "Another track promoted by the Russian side is "
                     "interaction through volunteer movements.");
       }},
      {43,
       "Consultations on using national currencies in transactions: under "
       "consideration.",
       [] {
         const std::string name =
             "forums/russia-asean-national-currencies-consultations";
         const auto found =
             List<v1::Forum>({.filter = R"(topics:"national currencies")"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::Forum& consultations = found[name];
         EXPECT_EQ(EnumName(consultations.kind()), "FORUM_KIND_DIALOGUE");
         EXPECT_EQ(EnumName(consultations.status()), "FORUM_STATUS_PROPOSED");
         ExpectCitedVerbatim(consultations);
         ExpectCites(consultations,
                     "the issue of holding consultations on using national "
                     "currencies in transactions is being considered");
       }},
      {44,
       "Joint projects in agriculture, environmental protection and "
       "digitisation.",
       [] {
         const std::string name = "forums/russia-asean-dialogue";
         const auto found =
             List<v1::Forum>({.filter = R"(topics:"agriculture")"});
         ASSERT_THAT(found.names(), ElementsAre(name)) << found.request;
         const v1::Forum& dialogue = found[name];
         EXPECT_THAT(Strings(dialogue.topics()),
                     IsSupersetOf({"agriculture", "environmental protection",
                                   "digitisation"}));
         EXPECT_THAT(dialogue.description(),
                     HasSubstr("joint projects in agriculture, environmental "
                               "protection, digitisation"));
         ExpectCitedVerbatim(dialogue);
         ExpectCites(dialogue,
                     "joint projects in agriculture, environmental "
                     "protection, digitisation, and other fields");
       }},
      {45, "Mutual trade 2022: $19.1 billion, down 4.4 %.",
       [] {
         const v1::Source source = Get<v1::Source>(kSource);
         ExpectThePressRelease(source);
         ASSERT_EQ(source.facts_size(), 3);
         const v1::Fact& trade = source.facts(0);
         EXPECT_THAT(
             Strings(trade.subjects()),
             UnorderedElementsAre("participants/russia", "participants/asean"));
         EXPECT_THAT(trade.metric(), HasSubstr("mutual trade"));
         EXPECT_EQ(PeriodText(trade.period()), "2022 .. 2022");
         EXPECT_DOUBLE_EQ(trade.value(), 19.1e9);
         EXPECT_EQ(trade.unit(), "USD");
         EXPECT_DOUBLE_EQ(trade.change(), -4.4);
         EXPECT_EQ(trade.change_unit(), "percent");
         EXPECT_EQ(trade.excerpt(),
                   "In 2022, mutual trade dropped by 4.4 percent to $19.1 "
                   "billion.");
         EXPECT_TRUE(InCorpus(trade.excerpt()));
       }},
      {46,
       "Cumulative ASEAN investment in the Russian economy, 2022: $5.6 "
       "billion.",
       [] {
         const v1::Source source = Get<v1::Source>(kSource);
         ExpectThePressRelease(source);
         ASSERT_EQ(source.facts_size(), 3);
         const v1::Fact& investment = source.facts(1);
         EXPECT_THAT(
             Strings(investment.subjects()),
             UnorderedElementsAre("participants/asean", "participants/russia"));
         EXPECT_THAT(investment.metric(), HasSubstr("cumulative investment"));
         // Cumulative: open start, up to 2022.
         EXPECT_EQ(PeriodText(investment.period()), "open .. 2022");
         EXPECT_DOUBLE_EQ(investment.value(), 5.6e9);
         EXPECT_EQ(investment.unit(), "USD");
         EXPECT_DOUBLE_EQ(investment.change(), 0);
         EXPECT_EQ(investment.change_unit(), "");
         EXPECT_THAT(investment.excerpt(), HasSubstr("$5.6 billion"));
         EXPECT_TRUE(InCorpus(investment.excerpt()));
       }},
      {47, "Russian investment in Southeast Asia: $12.9 billion.",
       [] {
         const v1::Source source = Get<v1::Source>(kSource);
         ExpectThePressRelease(source);
         ASSERT_EQ(source.facts_size(), 3);
         const v1::Fact& investment = source.facts(2);
         EXPECT_THAT(
             Strings(investment.subjects()),
             UnorderedElementsAre("participants/russia", "participants/asean"));
         EXPECT_THAT(investment.metric(),
                     HasSubstr("Russian investment in the countries of "
                               "Southeast Asia"));
         // The year comes from the sentence it shares with fact 46.
         EXPECT_EQ(PeriodText(investment.period()), "open .. 2022 (inferred)");
         EXPECT_DOUBLE_EQ(investment.value(), 12.9e9);
         EXPECT_EQ(investment.unit(), "USD");
         EXPECT_DOUBLE_EQ(investment.change(), 0);
         EXPECT_EQ(investment.excerpt(),
                   "Russian investments in the countries of Southeast Asia "
                   "were $12.9 billion.");
         EXPECT_TRUE(InCorpus(investment.excerpt()));
       }},
      {48,
       "Russia-ASEAN strategic partnership (2018) is the partnership the "
       "Comprehensive Action Plan implements.",
       [] {
         const std::string partnership_name =
             "actionPlans/russia-asean-strategic-partnership";
         const std::string plan_name =
             "actionPlans/russia-asean-comprehensive-action-plan";
         const auto found = List<v1::ActionPlan>(
             {.filter =
                  absl::StrCat("implements = \"", partnership_name, "\"")});
         ASSERT_THAT(found.names(), ElementsAre(plan_name)) << found.request;
         EXPECT_EQ(found[plan_name].implements(), partnership_name);
         ExpectCitedVerbatim(found[plan_name]);
         ExpectCites(found[plan_name],
                     "the Comprehensive Action Plan to Implement the "
                     "Russia-ASEAN Strategic Partnership");
         const v1::ActionPlan partnership =
             Get<v1::ActionPlan>(partnership_name);
         EXPECT_EQ(partnership.name(), partnership_name);
         EXPECT_EQ(partnership.display_name(),
                   "Russia-ASEAN Strategic Partnership");
         EXPECT_EQ(EnumName(partnership.status()),
                   "ACTION_PLAN_STATUS_IN_FORCE");
         EXPECT_EQ(PeriodText(partnership.period()), "2018 (inferred) .. open");
         EXPECT_TRUE(partnership.implements().empty());
         ExpectCitedVerbatim(partnership);
         ExpectCites(partnership,
                     "our strategic partnership with the "
                     "association (it will mark five years this "
                     "year)");
       }},
  };
}

class Facts : public FactsRegistry,
              public ::testing::WithParamInterface<Row> {};

TEST_P(Facts, HoldInTheRegistryAndAreCited) {
  const Row& row = GetParam();
  SCOPED_TRACE(absl::StrCat("fact ", row.fact, ": ", row.statement));
  row.check();
}

INSTANTIATE_TEST_SUITE_P(PressRelease1374, Facts, ::testing::ValuesIn(Rows()),
                         [](const ::testing::TestParamInfo<Row>& info) {
                           return absl::StrCat(
                               info.param.fact < 10 ? "Fact0" : "Fact",
                               info.param.fact);
                         });

// ---------------------------------------------------------------------------
// The table itself: one row per fact of FACTS.md, in order, with its text.

// Numbered facts of FACTS.md: "N. text" with continuation lines indented.
std::map<int, std::string> ParseFacts(const std::string& markdown) {
  std::map<int, std::string> facts;
  int current = 0;
  std::istringstream lines(markdown);
  std::string line;
  while (std::getline(lines, line)) {
    size_t digits = 0;
    while (digits < line.size() && std::isdigit(line[digits])) ++digits;
    if (digits > 0 && line.compare(digits, 2, ". ") == 0) {
      current = std::stoi(line.substr(0, digits));
      facts[current] = line.substr(digits + 2);
    } else if (current != 0 && line.rfind("   ", 0) == 0 &&
               line.find_first_not_of(' ') != std::string::npos) {
      absl::StrAppend(&facts[current], " ",
                      line.substr(line.find_first_not_of(' ')));
    } else {
      current = 0;
    }
  }
  return facts;
}

TEST(FactsTable, HasOneRowPerFactOfFactsMd) {
  const std::string markdown = ReadText(FactsPath());
  ASSERT_FALSE(markdown.empty())
      << "cannot read " << FactsPath()
      << ": the repository's copy of the source's facts is missing";
  const std::map<int, std::string> facts = ParseFacts(markdown);
  EXPECT_EQ(facts.size(), 48u);
  const std::vector<Row> rows = Rows();
  ASSERT_EQ(rows.size(), facts.size());
  int expected = 1;
  for (const Row& row : rows) {
    EXPECT_EQ(row.fact, expected++);
    const auto fact = facts.find(row.fact);
    ASSERT_NE(fact, facts.end()) << "FACTS.md has no fact " << row.fact;
    EXPECT_EQ(row.statement, fact->second) << "fact " << row.fact;
    EXPECT_TRUE(row.check) << "fact " << row.fact << " has no check";
  }
}

// ---------------------------------------------------------------------------
// Nothing uncited: every record of every collection, as the server lists it.

class Seed : public FactsRegistry {};

TEST_F(Seed, EveryRecordCitesThePressReleaseVerbatim) {
  v1::Dataset seed;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      ReadText(SeedPath()), &seed))
      << "cannot parse " << SeedPath();
  const auto* seed_reflection = seed.GetReflection();

  // Every kind of the registry: the server lists exactly the seed's records,
  // and each cites the press release verbatim.
  for (const domain::ResourceType& type : domain::Resources()) {
    SCOPED_TRACE(type.table);
    const std::vector<std::unique_ptr<Message>> listed = ListAll(type);
    std::vector<std::string> seeded;
    const auto* field = v1::Dataset::descriptor()->FindFieldByName(type.table);
    ASSERT_NE(field, nullptr) << "Dataset has no field " << type.table;
    for (int i = 0; i < seed_reflection->FieldSize(seed, field); ++i) {
      seeded.push_back(
          NameOf(seed_reflection->GetRepeatedMessage(seed, field, i)));
    }
    std::vector<std::string> names;
    for (const auto& record : listed) names.push_back(NameOf(*record));
    EXPECT_THAT(names, UnorderedElementsAreArray(seeded));
    EXPECT_FALSE(listed.empty());
    if (type.descriptor == v1::Source::descriptor()) {
      // The source is the press release itself: it has no citations, its
      // fields and the excerpts of its figures are checked instead.
      ASSERT_THAT(names, ElementsAre(kSource));
      ExpectThePressRelease(static_cast<const v1::Source&>(*listed[0]));
      continue;
    }
    for (const auto& record : listed) ExpectCitedVerbatim(*record);
  }
}

}  // namespace
}  // namespace forum_registry
