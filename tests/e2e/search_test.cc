// SearchService end to end, on the real seed (data/asean-2023.textproto,
// imported by `forum-registry import`) through the real server: the ranking
// of a table of queries in English and Russian, with typos, acronyms and
// words found only in a description or a quoted passage; snippets and
// highlights; kinds, filters and pages; bad requests; an index that follows
// every write in the writing transaction; LookupExternalId; and the List
// filters on `external_ids` and `citations.source` of every kind.

#include <array>
#include <chrono>
#include <memory>
#include <ostream>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "forumregistry/v1/action_plan.pb.h"
#include "forumregistry/v1/chairmanship.pb.h"
#include "forumregistry/v1/forum.pb.h"
#include "forumregistry/v1/membership.pb.h"
#include "forumregistry/v1/participant.pb.h"
#include "forumregistry/v1/search.grpc.pb.h"
#include "forumregistry/v1/session.pb.h"
#include "forumregistry/v1/source.pb.h"
#include "forumregistry/v1/statement.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/resource_client.h"
#include "tests/support/test_support.h"

namespace forum_registry {
namespace {

namespace v1 = ::forumregistry::v1;
using ::forum_registry::testing::BinaryPath;
using ::forum_registry::testing::CommandResult;
using ::forum_registry::testing::Describe;
using ::forum_registry::testing::ResourceClient;
using ::forum_registry::testing::RunCommand;
using ::forum_registry::testing::SeededRegistry;
using ::forum_registry::testing::SeedPath;
using ::forum_registry::testing::TestDatabase;
using ::forum_registry::testing::UniqueId;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr char kPressRelease[] = "sources/mfa-1374-11-07-2023";

void WithDeadline(grpc::ClientContext* context) {
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(30));
}

grpc::Status Search(const v1::SearchRequest& request,
                    v1::SearchResponse* response) {
  grpc::ClientContext context;
  WithDeadline(&context);
  return v1::SearchService::NewStub(SeededRegistry::channel())
      ->Search(&context, request, response);
}

v1::SearchRequest Query(const std::string& query,
                        std::vector<std::string> types = {},
                        const std::string& filter = "", int page_size = 0) {
  v1::SearchRequest request;
  request.set_query(query);
  for (std::string& type : types) request.add_types(std::move(type));
  request.set_filter(filter);
  request.set_page_size(page_size);
  return request;
}

// The names found, best first; a failed call fails the test.
std::vector<std::string> Found(const v1::SearchRequest& request) {
  v1::SearchResponse response;
  const grpc::Status status = Search(request, &response);
  EXPECT_TRUE(status.ok()) << request.query() << ": " << Describe(status);
  std::vector<std::string> names;
  for (const v1::SearchResult& result : response.results()) {
    names.push_back(result.name());
  }
  return names;
}

// What the database holds that a write would change (TestDatabase::
// WriteState: every table and the change log) and the words of the search
// index.
std::string WriteState() {
  return absl::StrCat(
      SeededRegistry::db().WriteState(), " ",
      SeededRegistry::db().Query(
          "SELECT md5(string_agg(name || words::text, ',' ORDER BY "
          "name)) FROM search_documents"));
}

// The characters [start, end) of `text`, counted in code points.
std::string CodePoints(const std::string& text, int start, int end) {
  std::string out;
  int at = -1;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++at;
    if (at >= start && at < end) out.push_back(static_cast<char>(c));
  }
  return out;
}

// The seed imported into a database of its own, and a server on it, for
// each suite.
class SearchTest : public SeededRegistry {};

// ---------------------------------------------------------------------------
// Ranking: the record that must come first.

struct Ranked {
  std::string query;
  std::string first;
  std::vector<std::string> types = {};
};

void PrintTo(const Ranked& r, std::ostream* os) {
  *os << "\"" << r.query << "\" -> " << r.first;
  if (!r.types.empty()) *os << " in " << absl::StrJoin(r.types, ",");
}

class Ranking : public SearchTest,
                public ::testing::WithParamInterface<Ranked> {};

TEST_P(Ranking, PutsTheExpectedRecordFirst) {
  const Ranked& r = GetParam();
  const std::vector<std::string> found = Found(Query(r.query, r.types));
  ASSERT_FALSE(found.empty()) << "nothing found";
  EXPECT_EQ(found.front(), r.first)
      << "found, best first: " << absl::StrJoin(found, ", ");
}

INSTANTIATE_TEST_SUITE_P(
    Seed, Ranking,
    ::testing::Values(
        // Names, exact, in any case, in Russian, and misspelled.
        Ranked{"ASEAN Regional Forum", "forums/arf"},
        Ranked{"Asean Regional Forum", "forums/arf"},
        Ranked{"ASEAN Regionl Forum", "forums/arf"},
        Ranked{"АРФ", "forums/arf"},
        Ranked{"Региональный форум АСЕАН", "forums/arf"},
        // Russian stemming: plural for singular.
        Ranked{"региональные форумы", "forums/arf"},
        Ranked{"EAS", "forums/eas"},
        Ranked{"Восточноазиатский саммит", "forums/eas"},
        Ranked{"Sergey Lavrov", "participants/sergey-lavrov"},
        // A Russian name in another case ("of Lavrov").
        Ranked{"Лаврова", "participants/sergey-lavrov"},
        Ranked{"Kao Kim Hourn", "participants/kao-kim-hourn"},
        Ranked{"Индонезия", "participants/indonesia"},
        // Accents in the query are ignored.
        Ranked{"Indonésia", "participants/indonesia"},
        Ranked{"MGIMO", "participants/mgimo"},
        // Two misspelled words, in a name shared by two kinds.
        Ranked{"Shanghai Cooperaton Organization", "forums/sco"},
        Ranked{"ШОС", "participants/sco", {"participants"}},
        Ranked{"Asociation of Southeast Asian Nation", "forums/asean"},
        Ranked{"Ассоциация государств Юго-Восточной Азии",
               "participants/asean",
               {"forumregistry.org/Participant"}},
        // Words found only in a description, a topic, a venue, a quoted
        // passage.
        Ranked{"consensus", "forums/arf"},
        Ranked{"sanctions",
               "forums/russia-asean-national-currencies-consultations"},
        Ranked{"Hanoi",
               "forums/russia-asean-digitisation-consultations/sessions/1"},
        Ranked{"oil and gas", "actionPlans/russia-asean-energy-2023-2025"},
        Ranked{"epidemics", "forums/eas-epidemics-mechanism"},
        Ranked{"information and communication technologies",
               "forums/arf-ism-ict"},
        Ranked{"strategic partnership",
               "actionPlans/russia-asean-strategic-partnership"},
        Ranked{"press release", kPressRelease},
        Ranked{"nuclear power", "forums/russia-asean-year-sti-2022"},
        // Web-search syntax: a word excluded.
        Ranked{"EAS -tourism", "forums/eas-security-architecture-platform"}),
    [](const ::testing::TestParamInfo<Ranked>& info) {
      return absl::StrCat("Query", info.index);
    });

// ---------------------------------------------------------------------------
// What a result carries.

TEST_F(SearchTest, EachResultCarriesItsKindNameSnippetAndScoreBestFirst) {
  v1::SearchResponse response;
  ASSERT_TRUE(Search(Query("ASEAN Regional Forum"), &response).ok());
  ASSERT_GE(response.results_size(), 2);
  const v1::SearchResult& first = response.results(0);
  EXPECT_EQ(first.name(), "forums/arf");
  EXPECT_EQ(first.type(), "forumregistry.org/Forum");
  EXPECT_EQ(first.display_name(), "ASEAN Regional Forum");
  EXPECT_EQ(first.snippet().field(), "display_name");
  EXPECT_EQ(first.snippet().text(), "ASEAN Regional Forum");
  ASSERT_EQ(first.snippet().highlights_size(), 1);
  EXPECT_EQ(first.snippet().highlights(0).start(), 0);
  EXPECT_EQ(first.snippet().highlights(0).end(), 20);
  EXPECT_EQ(response.results(1).type(), "forumregistry.org/Session");
  double previous = 1.0;
  for (const v1::SearchResult& result : response.results()) {
    EXPECT_GT(result.score(), 0) << result.name();
    EXPECT_LE(result.score(), previous) << result.name();
    previous = result.score();
  }
}

TEST_F(SearchTest, HighlightsPointAtTheWordsFoundInThePassageShown) {
  struct Case {
    std::string query;
    std::set<std::string> fields;  // where the word stands in the record
    std::string word;
  };
  for (const Case& c : std::vector<Case>{
           {"consensus", {"description", "citations.excerpt"}, "consensus"},
           {"Индонезия", {"names.text"}, "Индонезия"},
           {"Hanoi", {"display_name", "venue.city"}, "Hanoi"}}) {
    v1::SearchResponse response;
    ASSERT_TRUE(Search(Query(c.query, {}, "", 1), &response).ok()) << c.query;
    ASSERT_EQ(response.results_size(), 1) << c.query;
    const v1::Snippet& snippet = response.results(0).snippet();
    EXPECT_TRUE(c.fields.contains(snippet.field()))
        << c.query << ": " << snippet.field();
    ASSERT_GE(snippet.highlights_size(), 1)
        << c.query << ": " << snippet.text();
    for (const v1::Highlight& h : snippet.highlights()) {
      EXPECT_EQ(CodePoints(snippet.text(), h.start(), h.end()), c.word)
          << c.query << ": " << snippet.text();
    }
  }
}

TEST_F(SearchTest, TypesLimitTheKindsSearched) {
  v1::SearchResponse response;
  ASSERT_TRUE(Search(Query("Shanghai Cooperation Organisation",
                           {"forumregistry.org/Participant"}),
                     &response)
                  .ok());
  ASSERT_GE(response.results_size(), 2);
  EXPECT_EQ(response.results(0).name(), "participants/sco");
  for (const v1::SearchResult& result : response.results()) {
    EXPECT_EQ(result.type(), "forumregistry.org/Participant") << result.name();
  }
  EXPECT_THAT(Found(Query("Shanghai Cooperation Organisation", {"forums"})),
              ElementsAre("forums/sco"));
}

TEST_F(SearchTest, WebSearchSyntaxAndEnglishStemming) {
  // "forums" is "forum", "meetings" "meeting".
  EXPECT_EQ(Found(Query("regional forums")).front(), "forums/arf");
  // A phrase: words side by side, in that order (in the ARF's description).
  EXPECT_THAT(Found(Query("\"mutual trust\"")), ElementsAre("forums/arf"));
  EXPECT_THAT(Found(Query("mutual trust")), ::testing::Contains("forums/arf"));
  EXPECT_THAT(Found(Query("\"trust mutual\"")), ElementsAre());
  EXPECT_THAT(Found(Query("trust -\"mutual trust\"")),
              ::testing::Not(::testing::Contains("forums/arf")));
  // Either word.
  const std::vector<std::string> either = Found(Query("Quagga or Indonesia"));
  ASSERT_FALSE(either.empty());
  EXPECT_EQ(either.front(), "participants/indonesia");
  EXPECT_THAT(Found(Query("Quagga Indonesia")), ElementsAre());
}

// ---------------------------------------------------------------------------
// Filters: by source and by external id.

TEST_F(SearchTest, AFilterOnASourceFindsOnlyWhatItAttests) {
  const ResourceClient<v1::Forum> forums(channel());
  const std::string source_id = UniqueId("src");
  {
    v1::Source source;
    source.set_display_name("A second source");
    v1::Source created;
    ASSERT_TRUE(ResourceClient<v1::Source>(channel())
                    .Create("", source_id, source, &created)
                    .ok());
  }
  const std::string word = "Chrysoberyl";
  const auto create_forum = [&](const std::string& id,
                                const std::string& source) {
    v1::Forum forum;
    forum.set_display_name(absl::StrCat("Forum ", id));
    forum.set_kind(v1::FORUM_KIND_DIALOGUE);
    forum.set_description(absl::StrCat("Meets on ", word, " matters."));
    v1::Citation* citation = forum.add_citations();
    citation->set_source(source);
    citation->set_excerpt(absl::StrCat("the ", word, " dialogue"));
    v1::Forum created;
    const grpc::Status status = forums.Create("", id, forum, &created);
    ASSERT_TRUE(status.ok()) << Describe(status);
  };
  const std::string cites_new = UniqueId("cites-new");
  const std::string cites_press = UniqueId("cites-press");
  create_forum(cites_new, absl::StrCat("sources/", source_id));
  create_forum(cites_press, kPressRelease);

  EXPECT_THAT(Found(Query(word)),
              UnorderedElementsAre(absl::StrCat("forums/", cites_new),
                                   absl::StrCat("forums/", cites_press)));
  EXPECT_THAT(Found(Query(word, {},
                          absl::StrCat("citations.source = \"sources/",
                                       source_id, "\""))),
              ElementsAre(absl::StrCat("forums/", cites_new)));
  EXPECT_THAT(
      Found(Query(word, {},
                  absl::StrCat("citations.source:\"", kPressRelease, "\""))),
      ElementsAre(absl::StrCat("forums/", cites_press)));
  // The same as a List of one kind.
  v1::ListForumsResponse listed;
  ASSERT_TRUE(forums
                  .List({.filter = absl::StrCat("citations.source = \"sources/",
                                                source_id, "\"")},
                        &listed)
                  .ok());
  ASSERT_EQ(listed.forums_size(), 1);
  EXPECT_EQ(listed.forums(0).name(), absl::StrCat("forums/", cites_new));
}

TEST_F(SearchTest, AFilterOnAnExternalIdKeepsTheRecordsCarryingIt) {
  EXPECT_THAT(Found(Query("Association of Southeast Asian Nations", {},
                          "external_ids:\"wikidata:Q7768\"")),
              UnorderedElementsAre("forums/asean", "participants/asean"));
  EXPECT_THAT(Found(Query("Association of Southeast Asian Nations", {},
                          "external_ids:\"wikidata:Q1\"")),
              ElementsAre());
}

// ---------------------------------------------------------------------------
// Pages.

TEST_F(SearchTest, PagesFollowEachOtherInTheOrderOfOnePage) {
  const std::vector<std::string> whole = Found(Query("Russia", {}, "", 100));
  ASSERT_GT(whole.size(), 7u);
  std::vector<std::string> paged;
  v1::SearchRequest request = Query("Russia", {}, "", 3);
  for (int page = 0; page < 100; ++page) {
    v1::SearchResponse response;
    const grpc::Status status = Search(request, &response);
    ASSERT_TRUE(status.ok()) << Describe(status);
    EXPECT_LE(response.results_size(), 3);
    for (const v1::SearchResult& r : response.results()) {
      paged.push_back(r.name());
    }
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  EXPECT_EQ(paged, whole);

  // A token belongs to its query.
  v1::SearchResponse first;
  ASSERT_TRUE(Search(Query("Russia", {}, "", 3), &first).ok());
  ASSERT_FALSE(first.next_page_token().empty());
  for (v1::SearchRequest other :
       {Query("ASEAN", {}, "", 3), Query("Russia", {"forums"}, "", 3),
        Query("Russia", {}, "external_ids:\"wikidata:Q159\"", 3)}) {
    other.set_page_token(first.next_page_token());
    v1::SearchResponse ignored;
    const grpc::Status status = Search(other, &ignored);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << other.ShortDebugString();
    EXPECT_THAT(status.error_message(), HasSubstr("page_token"));
  }
}

// ---------------------------------------------------------------------------
// Bad requests.

struct Bad {
  v1::SearchRequest request;
  std::string message;
};

TEST_F(SearchTest, BadRequestsAreRefusedNamingTheFieldAndChangeNothing) {
  std::string long_query(257, 'a');
  std::string many_words;
  for (int i = 0; i < 33; ++i) absl::StrAppend(&many_words, "word ");
  v1::SearchRequest bad_token = Query("Russia");
  bad_token.set_page_token("not-a-token");
  const std::vector<Bad> cases = {
      {Query(""), "query: is required"},
      {Query("   "), "query: is required"},
      {Query(long_query), "query: must be at most 256 characters"},
      {Query(many_words), "query: must have at most 32 words"},
      {Query("the of"), "query: has no word to search for"},
      {Query("и в на"), "query: has no word to search for"},
      {Query("!!! ..."), "query: has no word to search for"},
      {Query("-tourism"), "query: needs a word to look for"},
      {Query("forum or -asean"), "query: needs a word to look for"},
      {Query("ARF", {}, "citations.source = \"\""), "citations.source"},
      {Query("ARF", {}, "citations.source ="), "filter: at position"},
      {Query("ARF", {}, "kind = SUMMIT"), "filter: at position 1"},
      {Query("ARF", {}, "citations.source = \"forums/arf\""),
       "citations.source"},
      {Query("ARF", {}, "external_ids:\"Q7768\""),
       "external_ids: \"Q7768\" is not an external id"},
      {Query("ARF", {"forums", "councils"}), "types[1]: \"councils\""},
      {Query("ARF", {}, "", -1), "page_size: must not be negative"},
      {bad_token, "page_token"},
  };
  const std::string before = WriteState();
  for (const Bad& bad : cases) {
    v1::SearchResponse response;
    const grpc::Status status = Search(bad.request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << bad.message << ": " << Describe(status);
    EXPECT_THAT(status.error_message(), HasSubstr(bad.message));
    EXPECT_EQ(response.results_size(), 0) << bad.message;
  }
  EXPECT_EQ(WriteState(), before);
}

// ---------------------------------------------------------------------------
// The index follows the writes.

TEST_F(SearchTest, TheIndexFollowsEveryWriteAtOnce) {
  const ResourceClient<v1::Forum> forums(channel());
  const std::string id = UniqueId("indexed");
  const std::string name = absl::StrCat("forums/", id);
  v1::Forum forum;
  {
    v1::Forum created;
    created.set_display_name("Quetzalcoatlus Council");
    created.set_kind(v1::FORUM_KIND_DIALOGUE);
    created.set_description("Discusses pterosaurs.");
    ASSERT_TRUE(forums.Create("", id, created, &forum).ok());
  }
  EXPECT_THAT(Found(Query("pterosaurs")), ElementsAre(name));
  EXPECT_THAT(Found(Query("Quetzalcoatlus Council")), ElementsAre(name));
  {
    v1::Forum patch = forum;
    patch.set_description("Discusses archaeopteryx.");
    ASSERT_TRUE(forums.Update(patch, {"description"}, &forum).ok());
  }
  EXPECT_THAT(Found(Query("pterosaurs")), ElementsAre());
  EXPECT_THAT(Found(Query("archaeopteryx")), ElementsAre(name));
  ASSERT_TRUE(forums.Delete(name).ok());
  EXPECT_THAT(Found(Query("archaeopteryx")), ElementsAre());
  EXPECT_THAT(Found(Query("Quetzalcoatlus Council")), ElementsAre());
}

TEST_F(SearchTest, TheIndexIsWrittenInTheTransactionThatWritesTheRecord) {
  pqxx::connection connection(SeededRegistry::db().url());
  const std::string name = absl::StrCat("participants/", UniqueId("txn"));
  const std::string count_sql =
      absl::StrCat("SELECT count(*) FROM search_documents WHERE name = ",
                   connection.quote(name),
                   " AND words @@ to_tsquery('forum_registry', "
                   "'hippocampus')");
  {
    pqxx::work txn(connection);
    txn.exec0(absl::StrCat(
        "INSERT INTO participants (name, body) VALUES (", txn.quote(name),
        ", '{\"kind\": \"PARTICIPANT_KIND_STATE\", \"display_name\": "
        "\"Hippocampus\"}')"));
    // Seen by the writing transaction itself, before it commits.
    EXPECT_EQ(txn.exec1(count_sql)[0].as<int>(), 1);
    txn.abort();
  }
  pqxx::work txn(connection);
  EXPECT_EQ(txn.exec1(count_sql)[0].as<int>(), 0) << "rolled back with it";
}

// Every way of writing records keeps search_documents equal to what
// search_document() makes of the records: an import (INSERT ... ON
// CONFLICT), an import again, multi-row statements, a delete and a create
// of one name in one transaction, a rename, a TRUNCATE. A database of its
// own, since some of these are not the API's.
TEST(SearchIndexTriggers, EveryKindOfWriteKeepsTheIndexEqualToTheRecords) {
  const std::unique_ptr<TestDatabase> db = TestDatabase::Create();
  const auto mismatches = [&db] {
    return db->Query(
        "WITH want AS (SELECT s.* FROM search_records r "
        "  CROSS JOIN LATERAL search_document(r.name, r.body) s), "
        "have AS (SELECT * FROM search_documents) "
        "SELECT (SELECT count(*) FROM want) || ' records, ' || "
        "(SELECT count(*) FROM (TABLE want EXCEPT TABLE have) x) + "
        "(SELECT count(*) FROM (TABLE have EXCEPT TABLE want) y) || "
        "' rows differ'");
  };
  const auto words = [&db](const std::string& word) {
    return db->Query(absl::StrCat(
        "SELECT string_agg(name, ',' ORDER BY name) FROM search_documents "
        "WHERE words @@ to_tsquery('forum_registry', '",
        word, "')"));
  };
  const std::string seed = SeedPath();
  for (int i = 0; i < 2; ++i) {
    const CommandResult import =
        RunCommand({BinaryPath(), "import",
                    absl::StrCat("--database-url=", db->url()), seed});
    ASSERT_EQ(import.exit_code, 0) << import.output << import.error;
    EXPECT_EQ(mismatches(), "69 records, 0 rows differ") << "import " << i;
  }
  db->Execute(
      "UPDATE forums SET body = jsonb_set(body, '{description}', "
      "'\"Zebras graze here.\"') WHERE name IN ('forums/eas', 'forums/arf')");
  EXPECT_EQ(mismatches(), "69 records, 0 rows differ");
  EXPECT_EQ(words("zebra"), "forums/arf,forums/eas");
  db->Execute(
      "INSERT INTO participants (name, body) VALUES "
      "('participants/t-a', '{\"kind\": \"PARTICIPANT_KIND_STATE\", "
      "\"display_name\": \"Okapi\"}'), "
      "('participants/t-b', '{\"kind\": \"PARTICIPANT_KIND_STATE\", "
      "\"display_name\": \"Quagga\"}')");
  EXPECT_EQ(mismatches(), "71 records, 0 rows differ");
  db->Execute(
      "BEGIN; DELETE FROM participants WHERE name = 'participants/t-a'; "
      "INSERT INTO participants (name, body) VALUES ('participants/t-a', "
      "'{\"kind\": \"PARTICIPANT_KIND_STATE\", \"display_name\": "
      "\"Tapir\"}'); COMMIT");
  EXPECT_EQ(mismatches(), "71 records, 0 rows differ");
  EXPECT_EQ(words("okapi"), "");
  EXPECT_EQ(words("tapir"), "participants/t-a");
  db->Execute(
      "UPDATE participants SET name = 'participants/t-c' "
      "WHERE name = 'participants/t-b'");
  EXPECT_EQ(mismatches(), "71 records, 0 rows differ");
  EXPECT_EQ(words("quagga"), "participants/t-c");
  db->Execute("TRUNCATE memberships");
  EXPECT_EQ(mismatches(), "67 records, 0 rows differ");
  EXPECT_EQ(db->Query("SELECT count(*) FROM search_documents WHERE "
                      "collection = 'memberships'"),
            "0");
}

// ---------------------------------------------------------------------------
// LookupExternalId.

std::vector<std::string> Lookup(const std::string& id, grpc::Status* status) {
  v1::LookupExternalIdRequest request;
  request.set_external_id(id);
  v1::LookupExternalIdResponse response;
  grpc::ClientContext context;
  WithDeadline(&context);
  *status = v1::SearchService::NewStub(SeededRegistry::channel())
                ->LookupExternalId(&context, request, &response);
  std::vector<std::string> names;
  for (const v1::ExternalIdMatch& match : response.records()) {
    names.push_back(absl::StrCat(match.name(), " ", match.type(), " ",
                                 match.display_name()));
  }
  return names;
}

TEST_F(SearchTest, LookupExternalIdFindsTheRecordsOfEveryKindCarryingIt) {
  grpc::Status status;
  const auto both = ElementsAre(
      "forums/asean forumregistry.org/Forum Association of Southeast Asian "
      "Nations",
      "participants/asean forumregistry.org/Participant Association of "
      "Southeast Asian Nations");
  EXPECT_THAT(Lookup("wikidata:Q7768", &status), both);
  EXPECT_TRUE(status.ok()) << Describe(status);
  EXPECT_THAT(Lookup("wikidata:q7768", &status), both);
  EXPECT_THAT(Lookup("wikidata:Q159", &status),
              ElementsAre("participants/russia forumregistry.org/Participant "
                          "Russia"));
  EXPECT_THAT(Lookup("wikidata:Q1", &status), ElementsAre());
  EXPECT_TRUE(status.ok()) << Describe(status);

  const std::string before = WriteState();
  EXPECT_THAT(Lookup("Wikidata:Q7768", &status), both);
  for (const char* bad : {"", "Q7768", "wiki data:Q7768", "wikidata:"}) {
    EXPECT_THAT(Lookup(bad, &status), ElementsAre()) << bad;
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_THAT(status.error_message(), HasSubstr("external_id: ")) << bad;
  }
  EXPECT_EQ(WriteState(), before);
}

// ---------------------------------------------------------------------------
// The List filters of every kind.

// One page of up to 1000 records of the kind R, into `response` (its
// generated List response).
template <typename R>
grpc::Status List(const std::string& parent, const std::string& filter,
                  google::protobuf::Message* response) {
  return ResourceClient<R>(SeededRegistry::channel())
      .List({.parent = parent, .filter = filter, .page_size = 1000}, response);
}

TEST_F(SearchTest, EveryKindFiltersOnExternalIdsAndTheSourcesItCites) {
  const std::string by_id = "external_ids:\"wikidata:Q7768\"";
  const std::string by_source =
      absl::StrCat("citations.source = \"", kPressRelease, "\"");

  v1::ListForumsResponse f;
  ASSERT_TRUE(List<v1::Forum>("", by_id, &f).ok());
  ASSERT_EQ(f.forums_size(), 1);
  EXPECT_EQ(f.forums(0).name(), "forums/asean");
  v1::ListParticipantsResponse p;
  ASSERT_TRUE(
      List<v1::Participant>("", "external_ids = \"WIKIDATA:q7768\"", &p).ok());
  ASSERT_EQ(p.participants_size(), 1);
  EXPECT_EQ(p.participants(0).name(), "participants/asean");

  // "Every session the press release attests", in one call: all of the
  // seed's sessions cite it, and a forum created by another test does not
  // have sessions.
  const int seed_sessions = std::stoi(SeededRegistry::db().Query(
      "SELECT count(*) FROM sessions WHERE body->'citations' @> "
      "'[{\"source\": \"sources/mfa-1374-11-07-2023\"}]'"));
  ASSERT_GT(seed_sessions, 10);
  v1::ListSessionsResponse s;
  grpc::Status status = List<v1::Session>("forums/-", by_source, &s);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(s.sessions_size(), seed_sessions);
  s.Clear();
  ASSERT_TRUE(List<v1::Session>("forums/-",
                                "citations.source = \"sources/nothing\"", &s)
                  .ok());
  EXPECT_EQ(s.sessions_size(), 0);

  // Every other kind takes both filters, and finds what the database says
  // carries the id or cites the source; a source cites nothing.
  const auto expected = [](const std::string& table,
                           const std::string& filter) {
    const std::string condition =
        filter.rfind("external_ids", 0) == 0
            ? "body->'external_ids' @> '[{\"scheme\": \"wikidata\", "
              "\"value\": \"Q7768\"}]'"
            : absl::StrCat("body->'citations' @> '[{\"source\": \"",
                           kPressRelease, "\"}]'");
    return std::stoi(SeededRegistry::db().Query(
        absl::StrCat("SELECT count(*) FROM ", table, " WHERE ", condition)));
  };
  for (const std::string& filter : {by_id, by_source}) {
    SCOPED_TRACE(filter);
    v1::ListMembershipsResponse m;
    EXPECT_TRUE(List<v1::Membership>("forums/-", filter, &m).ok());
    EXPECT_EQ(m.memberships_size(), expected("memberships", filter));
    v1::ListChairmanshipsResponse c;
    EXPECT_TRUE(List<v1::Chairmanship>("forums/-", filter, &c).ok());
    EXPECT_EQ(c.chairmanships_size(), expected("chairmanships", filter));
    v1::ListActionPlansResponse a;
    EXPECT_TRUE(List<v1::ActionPlan>("", filter, &a).ok());
    EXPECT_EQ(a.action_plans_size(), expected("action_plans", filter));
    v1::ListStatementsResponse st;
    EXPECT_TRUE(List<v1::Statement>("", filter, &st).ok());
    EXPECT_EQ(st.statements_size(), expected("statements", filter));
    v1::ListForumsResponse fo;
    EXPECT_TRUE(List<v1::Forum>("", filter, &fo).ok());
    EXPECT_EQ(fo.forums_size(), expected("forums", filter));
  }
  EXPECT_GT(expected("memberships", by_source), 0);
  EXPECT_GT(expected("statements", by_source), 0);
  v1::ListSourcesResponse so;
  EXPECT_TRUE(List<v1::Source>("", by_id, &so).ok());
  EXPECT_EQ(so.sources_size(), 0);
  status = List<v1::Source>("", by_source, &so);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("citations.source"));

  const std::string before = WriteState();
  status =
      List<v1::Forum>("", "citations.source = \"participants/russia\"", &f);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("citations.source"));
  status = List<v1::Forum>("", "external_ids:\"Q7768\"", &f);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              HasSubstr("external_ids: \"Q7768\" is not an external id"));
  EXPECT_EQ(WriteState(), before);
}

}  // namespace
}  // namespace forum_registry
