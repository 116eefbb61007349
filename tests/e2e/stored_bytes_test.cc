// Issue 29: records answered as stored bytes (migrations/0016, store/wire.h)
// against the real server. What a client receives spliced from `body_pb`
// is, after a parse, byte for byte what it receives when the server decodes
// the JSON: for every kind, for every read, for records written by the
// importer, through the API, by an older version (no bytes) and edited by
// psql (bytes cleared by the trigger); records in the change log as
// ListChanges and a watch send them too. The first server answers Lists in
// name order from its list cache (store/list_cache.h), loaded and kept by
// the feed; the later ones from the database: the answers agree.

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "forumregistry/v1/change.grpc.pb.h"
#include "forumregistry/v1/forum.pb.h"
#include "gtest/gtest.h"
#include "src/domain/resource_registry.h"
#include "src/store/body.h"
#include "tests/support/resource_client.h"
#include "tests/support/test_support.h"

namespace forum_registry::testing {
namespace {

namespace v1 = ::forumregistry::v1;
using google::protobuf::Message;

// Every answer a client can get for each record, by what was asked
// ("forums list 5", "forums get forums/arf", ...): its encoding after a
// parse.
using Answers = std::map<std::string, std::string>;

// A change as a client reads it, its record unpacked: the change's own
// fields, the record's type URL, then the record, each encoded
// deterministically.
std::string ChangeBytes(const v1::Change& change) {
  v1::Change without = change;
  without.clear_record();
  std::string out = store::DeterministicBytes(without);
  if (!change.has_record()) return out;
  const domain::ResourceType* type = domain::FindByName(change.resource());
  if (type == nullptr) return absl::StrCat(out, "| a kind not known");
  std::unique_ptr<Message> record(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(type->descriptor)
          ->New());
  if (!change.record().UnpackTo(record.get())) {
    return absl::StrCat(out, "| cannot unpack ", change.record().type_url());
  }
  return absl::StrCat(out, "|", change.record().type_url(), "|",
                      store::DeterministicBytes(*record));
}

// The change log as ListChanges pages it, and as a watch sends it: its
// initial state (records read by kind), and catching up from revision 1
// to `revision`.
void ReadChanges(const std::shared_ptr<grpc::Channel>& channel,
                 int64_t revision, Answers* answers) {
  auto stub = v1::ChangeService::NewStub(channel);
  int listed = 0;
  std::string token;
  do {
    grpc::ClientContext context;
    v1::ListChangesRequest request;
    request.set_page_size(7);
    request.set_page_token(token);
    v1::ListChangesResponse page;
    const grpc::Status status = stub->ListChanges(&context, request, &page);
    ASSERT_TRUE(status.ok()) << Describe(status);
    for (const v1::Change& change : page.changes()) {
      (*answers)[absl::StrCat("changes list #", listed++)] =
          ChangeBytes(change);
    }
    token = page.next_page_token();
  } while (!token.empty());
  (*answers)["changes list count"] = absl::StrCat(listed);

  for (const bool initial : {true, false}) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
    v1::WatchChangesRequest request;
    if (initial) {
      request.set_initial_state(true);
    } else {
      request.set_after_revision(1);
    }
    const std::string what = initial ? "watch initial" : "watch after 1";
    auto stream = stub->WatchChanges(&context, request);
    v1::WatchChangesResponse response;
    int read = 0;
    while (stream->Read(&response)) {
      for (const v1::Change& change : response.changes()) {
        (*answers)[absl::StrCat(what, " #", read++)] = ChangeBytes(change);
      }
      if (initial ? response.initial_state_end()
                  : response.revision() >= revision) {
        break;
      }
    }
    (*answers)[absl::StrCat(what, " count")] = absl::StrCat(read);
    context.TryCancel();
    stream->Finish();
  }
  EXPECT_GT(listed, 50);
}

// Reads every kind through `channel`: whole lists at two page sizes, the
// present and as of `revision`, and a Get of each record, now and as of
// `revision`; and the change log (ReadChanges).
Answers ReadEverything(const std::shared_ptr<grpc::Channel>& channel,
                       int64_t revision) {
  Answers answers;
  ReadChanges(channel, revision, &answers);
  for (const domain::ResourceType& type : domain::Resources()) {
    const AnyResourceClient client(type, channel);
    ListArgs args;
    if (!type.parent_collection.empty()) {
      args.parent = absl::StrCat(type.parent_collection, "/-");
    }
    std::vector<std::string> names;
    for (const int page_size : {5, 0}) {
      for (const int64_t as_of : {int64_t{0}, revision}) {
        args.page_size = page_size;
        args.as_of_revision = as_of;
        std::vector<std::unique_ptr<Message>> records;
        const grpc::Status status = client.ListAll(args, &records);
        EXPECT_TRUE(status.ok()) << type.table << ": " << Describe(status);
        const std::string what =
            absl::StrCat(type.table, " list ", page_size, " at ", as_of);
        for (size_t i = 0; i < records.size(); ++i) {
          answers[absl::StrCat(what, " #", i)] =
              store::DeterministicBytes(*records[i]);
          if (page_size == 0 && as_of == 0) {
            names.push_back(records[i]->GetReflection()->GetString(
                *records[i], type.descriptor->FindFieldByName("name")));
          }
        }
        answers[absl::StrCat(what, " count")] = absl::StrCat(records.size());
      }
    }
    for (const std::string& name : names) {
      for (const int64_t as_of : {int64_t{0}, revision}) {
        std::unique_ptr<Message> record =
            client.NewResponse(StandardMethod::kGet);
        const grpc::Status status =
            client.Call(StandardMethod::kGet, *client.GetRequest(name, as_of),
                        record.get());
        const std::string what = absl::StrCat(name, " get at ", as_of);
        answers[what] =
            status.ok() ? store::DeterministicBytes(*record) : Describe(status);
      }
    }
  }
  return answers;
}

class StoredBytes : public ::testing::Test {
 protected:
  // Records the server answered from their stored bytes, or their JSON.
  double ReadFrom(const std::string& from) const {
    return MetricSample(
        HttpGet(server_->MetricsPort(), "/metrics"),
        absl::StrCat("forum_registry_records_read_total{from=\"", from, "\"}"));
  }

  void SetUp() override {
    db_ = TestDatabase::Create();
    const CommandResult import = RunCommand(
        {BinaryPath(), "import", "--database-url", db_->url(), SeedPath()});
    ASSERT_EQ(import.exit_code, 0) << import.output << import.error;
    server_ = ServerProcess::Start(db_->url());
  }

  // The record tables: those whose bytes a trigger clears.
  std::vector<std::string> Tables() const {
    std::vector<std::string> tables;
    for (const domain::ResourceType& type : domain::Resources()) {
      tables.push_back(type.table);
    }
    return tables;
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(StoredBytes, SplicedAnswersEqualDecodedAnswersForEveryKind) {
  // Through the API: stored with bytes.
  ResourceClient<v1::Forum> forums(server_->Channel());
  v1::Forum created;
  created.set_display_name("Created through the API");
  created.set_kind(v1::FORUM_KIND_SUMMIT);
  v1::Forum out;
  ASSERT_TRUE(forums.Create("", "api-made", created, &out).ok());
  // Edited by psql: the trigger clears the bytes of the row it changes, in
  // every record table; the forum's edit shows in what the server answers.
  for (const std::string& table : Tables()) {
    SCOPED_TRACE(table);
    const std::string row =
        db_->Query(absl::StrCat("SELECT min(name) FROM ", table));
    ASSERT_FALSE(row.empty()) << "the seed has no " << table;
    ASSERT_EQ(db_->Query(absl::StrCat("SELECT body_pb IS NOT NULL FROM ", table,
                                      " WHERE name = '", row, "'")),
              "t");
    db_->Execute(absl::StrCat("UPDATE ", table,
                              " SET body = body || '{\"zz_unknown\": 1}' "
                              "WHERE name = '",
                              row, "'"));
    EXPECT_EQ(db_->Query(absl::StrCat("SELECT body_pb IS NULL FROM ", table,
                                      " WHERE name = '", row, "'")),
              "t");
    // The other rows keep theirs.
    EXPECT_EQ(db_->Query(absl::StrCat("SELECT count(*) - count(body_pb) FROM ",
                                      table)),
              "1");
  }
  // By an older version, or psql: a row without bytes.
  db_->Execute(
      "INSERT INTO forums (name, body) SELECT 'forums/zz-older', body "
      "FROM forums WHERE name = 'forums/api-made'");
  db_->Execute(
      "UPDATE forums SET body = jsonb_set(body, '{display_name}', "
      "'\"Edited by psql\"') WHERE name = 'forums/arf'");
  EXPECT_EQ(db_->Query("SELECT body_pb IS NULL FROM forums WHERE name = "
                       "'forums/arf'"),
            "t");
  v1::Forum arf;
  ASSERT_TRUE(forums.Get("forums/arf", &arf).ok());
  EXPECT_EQ(arf.display_name(), "Edited by psql");
  std::vector<std::unique_ptr<Message>> listed;
  ASSERT_TRUE(forums.any().ListAll({}, &listed).ok());
  bool seen = false;
  for (const auto& record : listed) {
    const auto& forum = static_cast<const v1::Forum&>(*record);
    if (forum.name() == "forums/arf") {
      seen = true;
      EXPECT_EQ(forum.display_name(), "Edited by psql");
    }
  }
  EXPECT_TRUE(seen);

  const int64_t revision =
      std::stoll(db_->Query("SELECT max(sequence) FROM changes"));
  const Answers spliced = ReadEverything(server_->Channel(), revision);
  ASSERT_GT(spliced.size(), 100u);
  // Mostly from bytes; the rows without them from their JSON. (The present
  // Lists in name order came from memory, which counts no read.)
  EXPECT_GT(ReadFrom("bytes"), 3 * ReadFrom("json"));
  EXPECT_GT(ReadFrom("json"), 0);
  EXPECT_GT(MetricSample(HttpGet(server_->MetricsPort(), "/metrics"),
                         "forum_registry_list_cache_pages_total"),
            0)
      << "the first server's Lists in name order came from memory";

  // Every record as an older version left it: no bytes anywhere (written
  // without triggers, so nothing is logged), and a new server, whose cache
  // holds nothing: every answer decoded from the JSON.
  server_->Stop();
  std::string clear = "SET LOCAL session_replication_role = replica;";
  for (const std::string& table : Tables()) {
    absl::StrAppend(&clear, "UPDATE ", table, " SET body_pb = NULL;");
  }
  absl::StrAppend(&clear, "UPDATE changes SET body_pb = NULL;");
  db_->Execute(clear);
  ASSERT_EQ(db_->Query("SELECT count(body_pb) FROM forums"), "0");
  server_ = ServerProcess::Start(db_->url(), {"--list-cache-bytes=0"});
  const Answers decoded = ReadEverything(server_->Channel(), revision);
  EXPECT_EQ(ReadFrom("bytes"), 0);
  EXPECT_GT(ReadFrom("json"), 100);
  EXPECT_EQ(spliced.size(), decoded.size());
  for (const auto& [what, answer] : spliced) {
    const auto found = decoded.find(what);
    ASSERT_NE(found, decoded.end()) << what;
    EXPECT_EQ(answer, found->second) << what;
  }

  // `migrate` fills the bytes again, silently: no change logged, no
  // version moved; a body this version cannot read whole keeps none.
  const std::string state = db_->WriteState();
  const CommandResult migrate =
      RunCommand({BinaryPath(), "migrate", "--database-url", db_->url()});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.output << migrate.error;
  EXPECT_EQ(db_->WriteState(), state);
  for (const std::string& table : Tables()) {
    EXPECT_EQ(db_->Query(absl::StrCat(
                  "SELECT count(*) FROM ", table,
                  " WHERE body_pb IS NULL AND NOT body ? 'zz_unknown'")),
              "0")
        << table;
  }
  server_->Stop();
  server_ = ServerProcess::Start(db_->url(), {"--list-cache-bytes=0"});
  const Answers filled = ReadEverything(server_->Channel(), revision);
  // The present from bytes again; the past (the change log, which the fill
  // leaves as written) from JSON.
  EXPECT_GT(ReadFrom("bytes"), 150);
  for (const auto& [what, answer] : spliced) {
    const auto found = filled.find(what);
    ASSERT_NE(found, filled.end()) << what;
    EXPECT_EQ(answer, found->second) << what;
  }
}

}  // namespace
}  // namespace forum_registry::testing
