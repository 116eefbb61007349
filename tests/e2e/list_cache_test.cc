// Issue 29: Lists in name order answered from the list cache
// (store/list_cache.h), against the real server and database. A server with
// the cache answers every kind's pages as a server without it answers them
// from the database, record for record; their page tokens are the same, so a
// listing may move between them page by page; writes through another
// process are listed at once (never stale); a kind past --list-cache-bytes
// is read from the database, and still answers right.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "forumregistry/v1/forum.grpc.pb.h"
#include "gtest/gtest.h"
#include "src/domain/resource_registry.h"
#include "src/store/body.h"
#include "tests/support/resource_client.h"
#include "tests/support/test_support.h"

namespace forum_registry::testing {
namespace {

namespace v1 = ::forumregistry::v1;

double Metric(const ServerProcess& server, const std::string& name) {
  return MetricSample(HttpGet(server.MetricsPort(), "/metrics"), name);
}

// Every record of every kind through `servers`, page by page of `page_size`,
// taking each page from the next server in turn (with the token the
// previous one gave): the records, encoded deterministically, by kind.
std::map<std::string, std::vector<std::string>> ListEverything(
    const std::vector<ServerProcess*>& servers, int page_size) {
  std::map<std::string, std::vector<std::string>> listed;
  for (const domain::ResourceType& type : domain::Resources()) {
    std::vector<std::string>& records = listed[type.table];
    ListArgs args;
    if (!type.parent_collection.empty()) {
      args.parent = absl::StrCat(type.parent_collection, "/-");
    }
    args.page_size = page_size;
    for (int page = 0; page < 1000; ++page) {
      const AnyResourceClient client(type,
                                     servers[page % servers.size()]->Channel());
      std::unique_ptr<google::protobuf::Message> response =
          client.NewResponse(StandardMethod::kList);
      const grpc::Status status = client.Call(
          StandardMethod::kList, *client.ListRequest(args), response.get());
      EXPECT_TRUE(status.ok()) << type.table << ": " << Describe(status);
      if (!status.ok()) break;
      for (const google::protobuf::Message* record :
           client.Records(*response)) {
        records.push_back(store::DeterministicBytes(*record));
      }
      args.page_token = client.NextPageToken(*response);
      if (args.page_token.empty()) break;
    }
  }
  return listed;
}

// A page of two forums from `server` after `token`, naming `min_revision`
// (0: none): the records, encoded deterministically, appended to
// `records`; the next page's token.
std::string ForumsPage(ServerProcess& server, const std::string& token,
                       int64_t min_revision,
                       std::vector<std::string>* records) {
  const AnyResourceClient client(*domain::FindByType("forumregistry.org/Forum"),
                                 server.Channel());
  ListArgs args;
  args.page_size = 2;
  args.page_token = token;
  std::unique_ptr<google::protobuf::Message> request = client.ListRequest(args);
  if (min_revision > 0) {
    request->GetReflection()->SetInt64(
        request.get(),
        request->GetDescriptor()->FindFieldByName("min_revision"),
        min_revision);
  }
  std::unique_ptr<google::protobuf::Message> response =
      client.NewResponse(StandardMethod::kList);
  const grpc::Status status =
      client.Call(StandardMethod::kList, *request, response.get());
  EXPECT_TRUE(status.ok()) << Describe(status);
  for (const google::protobuf::Message* record : client.Records(*response)) {
    records->push_back(store::DeterministicBytes(*record));
  }
  return client.NextPageToken(*response);
}

class ListCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = TestDatabase::Create();
    const CommandResult import = RunCommand(
        {BinaryPath(), "import", "--database-url", db_->url(), SeedPath()});
    ASSERT_EQ(import.exit_code, 0) << import.output << import.error;
    cached_ = ServerProcess::Start(db_->url());
    database_ = ServerProcess::Start(db_->url(), {"--list-cache-bytes=0"});
    // Every kind loaded (the seed holds records of each).
    for (int i = 0; i < 200; ++i) {
      if (Metric(*cached_, "forum_registry_list_cache_kinds") ==
          domain::Resources().size()) {
        break;
      }
      absl::SleepFor(absl::Milliseconds(25));
    }
    ASSERT_EQ(Metric(*cached_, "forum_registry_list_cache_kinds"),
              domain::Resources().size());
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<ServerProcess> cached_;
  std::unique_ptr<ServerProcess> database_;
};

TEST_F(ListCacheTest, PagesFromMemoryEqualPagesFromTheDatabaseAndMix) {
  const auto from_database = ListEverything({database_.get()}, 4);
  const double before =
      Metric(*cached_, "forum_registry_list_cache_pages_total");
  const char kAtOnce[] =
      "forum_registry_calls_after_wait_total{ran=\"at_once\"}";
  const double at_once_before = Metric(*cached_, kAtOnce);
  const auto from_memory = ListEverything({cached_.get()}, 4);
  // Each page waited for the revision check on no worker and was answered
  // on the check's thread (decisions §75), most of them at least.
  const double at_once = Metric(*cached_, kAtOnce) - at_once_before;
  const auto mixed = ListEverything({cached_.get(), database_.get()}, 3);
  size_t records = 0;
  for (const auto& [table, answers] : from_database) {
    records += answers.size();
    EXPECT_FALSE(answers.empty()) << table;
    EXPECT_EQ(from_memory.at(table), answers) << table;
    EXPECT_EQ(mixed.at(table), answers) << table;
  }
  EXPECT_GT(records, 50u);
  EXPECT_GE(at_once, records / 8);
  // One page of every four records and every other of three: most pages
  // of the server with the cache came from it.
  EXPECT_GE(Metric(*cached_, "forum_registry_list_cache_pages_total") - before,
            records / 4);
  EXPECT_EQ(Metric(*database_, "forum_registry_list_cache_pages_total"), -1)
      << "a server with the cache off has none";

  // One parent's records, from memory and from the database.
  for (const std::string parent : {"forums/arf", "forums/eas", "forums/none"}) {
    ListArgs args{.parent = parent, .page_size = 2};
    const AnyResourceClient sessions(
        *domain::FindByType("forumregistry.org/Session"), cached_->Channel());
    const AnyResourceClient sessions_db(
        *domain::FindByType("forumregistry.org/Session"), database_->Channel());
    std::vector<std::unique_ptr<google::protobuf::Message>> a, b;
    ASSERT_TRUE(sessions.ListAll(args, &a).ok());
    ASSERT_TRUE(sessions_db.ListAll(args, &b).ok());
    ASSERT_EQ(a.size(), b.size()) << parent;
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(store::DeterministicBytes(*a[i]),
                store::DeterministicBytes(*b[i]))
          << parent << " #" << i;
    }
  }
}

TEST_F(ListCacheTest, WritesThroughAnotherProcessAreListedAtOnce) {
  ResourceClient<v1::Forum> writer(database_->Channel());
  const auto listed = [&](const std::string& name) -> const v1::Forum* {
    static std::vector<std::unique_ptr<google::protobuf::Message>> records;
    records.clear();
    const AnyResourceClient forums(
        *domain::FindByType("forumregistry.org/Forum"), cached_->Channel());
    EXPECT_TRUE(forums.ListAll({.page_size = 1000}, &records).ok());
    for (const auto& record : records) {
      const auto& forum = static_cast<const v1::Forum&>(*record);
      if (forum.name() == name) return &forum;
    }
    return nullptr;
  };
  const double pages_before =
      Metric(*cached_, "forum_registry_list_cache_pages_total");
  v1::Forum created;
  created.set_display_name("Written elsewhere");
  created.set_kind(v1::FORUM_KIND_SUMMIT);
  for (int i = 0; i < 20; ++i) {
    v1::Forum out;
    const std::string id = absl::StrCat("elsewhere-", i);
    ASSERT_TRUE(writer.Create("", id, created, &out).ok());
    const v1::Forum* seen = listed(out.name());
    ASSERT_NE(seen, nullptr) << out.name() << " not listed after its create";
    EXPECT_EQ(seen->etag(), out.etag());
    out.set_description(absl::StrCat("updated ", i));
    v1::Forum updated;
    ASSERT_TRUE(writer.Update(out, {"description"}, &updated).ok());
    seen = listed(out.name());
    ASSERT_NE(seen, nullptr);
    EXPECT_EQ(seen->description(), out.description());
    EXPECT_EQ(seen->etag(), updated.etag());
    ASSERT_TRUE(writer.Delete(out.name(), {.etag = updated.etag()}).ok());
    EXPECT_EQ(listed(out.name()), nullptr) << out.name() << " deleted";
  }
  // By psql: the change log's trigger tells the feed as well.
  db_->Execute(
      "UPDATE forums SET body = jsonb_set(body, '{display_name}', "
      "'\"Edited by psql\"') WHERE name = 'forums/arf'");
  const v1::Forum* arf = listed("forums/arf");
  ASSERT_NE(arf, nullptr);
  EXPECT_EQ(arf->display_name(), "Edited by psql");
  // Memory answered them (of 61, all but those whose write the feed had
  // not applied within 50 ms).
  EXPECT_GT(
      Metric(*cached_, "forum_registry_list_cache_pages_total") - pages_before,
      15);
}

// A List answered after the revision check runs on the check's thread only
// while memory answers it; a page that needs the database after all goes to
// a worker (decisions §75). The first page of a fresh server needs its page
// token key, which is read from the database the first time.
TEST_F(ListCacheTest, APageThatNeedsTheDatabaseAfterTheCheckRunsOnAWorker) {
  const std::string at_once =
      "forum_registry_calls_after_wait_total{ran=\"at_once\"}";
  const std::string worker =
      "forum_registry_calls_after_wait_total{ran=\"worker\"}";
  ASSERT_EQ(Metric(*cached_, at_once), 0);
  ASSERT_EQ(Metric(*cached_, worker), 0);
  std::vector<std::string> listed;
  const std::string token = ForumsPage(*cached_, "", 0, &listed);
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(Metric(*cached_, at_once), 0)
      << "the page token key was read on the check's thread";
  EXPECT_EQ(Metric(*cached_, worker), 1);
  EXPECT_TRUE(ForumsPage(*cached_, token, 0, &listed).size() > 0);
  EXPECT_EQ(Metric(*cached_, at_once), 1) << "the key is known now";
  EXPECT_EQ(Metric(*cached_, worker), 1);

  std::vector<std::string> from_database;
  ForumsPage(*database_, ForumsPage(*database_, "", 0, &from_database), 0,
             &from_database);
  EXPECT_EQ(listed, from_database);
  EXPECT_EQ(listed.size(), 4u);
}

// The same for a List naming a revision the list cache has applied, answered
// on gRPC's thread (no revision check): a page that needs the database after
// all goes to a worker, and gRPC's thread never waits for it.
TEST_F(ListCacheTest, APageNamingARevisionThatNeedsTheDatabaseRunsOnAWorker) {
  const std::string at_once =
      "forum_registry_calls_in_place_total{ran=\"at_once\"}";
  const std::string worker =
      "forum_registry_calls_in_place_total{ran=\"worker\"}";
  ASSERT_EQ(Metric(*cached_, at_once), 0);
  ASSERT_EQ(Metric(*cached_, worker), 0);
  const int64_t revision =
      std::stoll(db_->Query("SELECT max(sequence) FROM changes"));
  std::vector<std::string> listed;
  const std::string token = ForumsPage(*cached_, "", revision, &listed);
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(Metric(*cached_, at_once), 0)
      << "the page token key was read on gRPC's thread";
  EXPECT_EQ(Metric(*cached_, worker), 1);
  EXPECT_TRUE(ForumsPage(*cached_, token, revision, &listed).size() > 0);
  EXPECT_EQ(Metric(*cached_, at_once), 1) << "the key is known now";
  EXPECT_EQ(Metric(*cached_, worker), 1);

  std::vector<std::string> from_database;
  ForumsPage(*database_, ForumsPage(*database_, "", 0, &from_database), 0,
             &from_database);
  EXPECT_EQ(listed, from_database);
  EXPECT_EQ(listed.size(), 4u);
}

TEST(ListCacheBound, AKindPastTheBoundIsListedFromTheDatabase) {
  auto db = TestDatabase::Create();
  const CommandResult import = RunCommand(
      {BinaryPath(), "import", "--database-url", db->url(), SeedPath()});
  ASSERT_EQ(import.exit_code, 0) << import.output << import.error;
  // Room for the small kinds, not for the forums.
  auto small = ServerProcess::Start(db->url(), {"--list-cache-bytes=16KiB"});
  auto none = ServerProcess::Start(db->url(), {"--list-cache-bytes=0"});
  for (int i = 0;
       i < 100 && Metric(*small, "forum_registry_list_cache_kinds") == 0; ++i) {
    absl::SleepFor(absl::Milliseconds(25));
  }
  absl::SleepFor(absl::Milliseconds(200));
  const double kinds = Metric(*small, "forum_registry_list_cache_kinds");
  EXPECT_GT(kinds, 0);
  EXPECT_LT(kinds, domain::Resources().size());
  EXPECT_LE(Metric(*small, "forum_registry_list_cache_bytes"), 16 << 10);

  const double before = Metric(*small, "forum_registry_list_cache_pages_total");
  const AnyResourceClient forums(*domain::FindByType("forumregistry.org/Forum"),
                                 small->Channel());
  const AnyResourceClient forums_db(
      *domain::FindByType("forumregistry.org/Forum"), none->Channel());
  std::vector<std::unique_ptr<google::protobuf::Message>> a, b;
  int pages = 0;
  ASSERT_TRUE(forums.ListAll({.page_size = 5}, &a, &pages).ok());
  ASSERT_TRUE(forums_db.ListAll({.page_size = 5}, &b).ok());
  ASSERT_EQ(a.size(), b.size());
  ASSERT_GT(a.size(), 10u);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(store::DeterministicBytes(*a[i]),
              store::DeterministicBytes(*b[i]));
  }
  EXPECT_EQ(Metric(*small, "forum_registry_list_cache_pages_total"), before)
      << "the forums do not fit: every page came from the database";
}

}  // namespace
}  // namespace forum_registry::testing
