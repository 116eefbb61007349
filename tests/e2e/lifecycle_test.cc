// The binary as an operator runs it: flags and --help, migrations run twice
// and at once, import, health that follows the database, and a graceful stop.

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "forumregistry/v1/change.grpc.pb.h"
#include "forumregistry/v1/forum.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace forum_registry::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

namespace v1 = ::forumregistry::v1;

TEST(Help, ServeListsEveryFlagWithItsVariable) {
  const CommandResult result = RunCommand({BinaryPath(), "serve", "--help"});
  ASSERT_EQ(result.exit_code, 0);
  for (const char* flag :
       {"database-url", "listen-address", "pool-size", "statement-timeout",
        "drain-period", "shutdown-timeout", "health-check-interval",
        "max-message-bytes", "log-level"}) {
    EXPECT_THAT(result.output, HasSubstr(absl::StrCat("--", flag)));
  }
  EXPECT_THAT(result.output, HasSubstr("FORUM_REGISTRY_DATABASE_URL"));
  EXPECT_THAT(result.output, HasSubstr("FORUM_REGISTRY_LISTEN_ADDRESS"));
}

TEST(Help, UnknownCommandAndFlagAreUsageErrors) {
  EXPECT_EQ(RunCommand({BinaryPath(), "frobnicate"}).exit_code, 2);
  const CommandResult result =
      RunCommand({BinaryPath(), "serve", "--no-such-flag=1"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.error, HasSubstr("--no-such-flag"));
  EXPECT_EQ(RunCommand({BinaryPath(), "serve"}).exit_code, 2)
      << "a missing database URL is a usage error";
}

TEST(Migrate, RunTwiceAppliesNothingTheSecondTime) {
  auto db = TestDatabase::Create(/*migrate=*/false);
  const std::string flag = absl::StrCat("--database-url=", db->url());
  CommandResult first = RunCommand({BinaryPath(), "migrate", flag});
  ASSERT_EQ(first.exit_code, 0) << first.output << first.error;
  EXPECT_THAT(first.output, HasSubstr("\"applied\":\"0001_foundation.sql"));
  const std::string recorded = db->Query(
      "SELECT string_agg(version || checksum, ',') FROM schema_migrations");
  CommandResult second = RunCommand({BinaryPath(), "migrate", flag});
  ASSERT_EQ(second.exit_code, 0) << second.output << second.error;
  EXPECT_THAT(second.output, HasSubstr("\"applied\":\"\""));
  EXPECT_EQ(
      db->Query(
          "SELECT string_agg(version || checksum, ',') FROM schema_migrations"),
      recorded);
}

TEST(Migrate, RunsAtOnceFromSeveralProcessesSafely) {
  auto db = TestDatabase::Create(/*migrate=*/false);
  const std::string flag = absl::StrCat("--database-url=", db->url());
  std::vector<std::future<CommandResult>> runs;
  for (int i = 0; i < 4; ++i) {
    runs.push_back(std::async(std::launch::async, [&] {
      return RunCommand({BinaryPath(), "migrate", flag});
    }));
  }
  int applied_by = 0;
  for (auto& run : runs) {
    const CommandResult result = run.get();
    EXPECT_EQ(result.exit_code, 0) << result.output << result.error;
    if (result.output.find("\"applied\":\"0001") != std::string::npos) {
      ++applied_by;
    }
  }
  EXPECT_EQ(applied_by, 1) << "exactly one run applies the migration";
  EXPECT_EQ(
      db->Query("SELECT count(*) FROM schema_migrations WHERE version = 1"),
      "1");
}

TEST(Migrate, RefusesAnAppliedMigrationThatChangedAndNamesIt) {
  auto db = TestDatabase::Create();
  // As if the file had been edited after release: the recorded checksum no
  // longer matches the SQL in the binary.
  db->Execute(
      "UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1");
  const CommandResult result = RunCommand(
      {BinaryPath(), "migrate", absl::StrCat("--database-url=", db->url())});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr("0001_foundation.sql"));
  EXPECT_THAT(result.output, HasSubstr("changed"));
}

TEST(Import, SeedLoadsThenReimportChangesNothing) {
  auto db = TestDatabase::Create();
  const std::string flag = absl::StrCat("--database-url=", db->url());
  const std::string seed = forum_registry::testing::SeedPath();
  CommandResult first = RunCommand({BinaryPath(), "import", flag, seed});
  ASSERT_EQ(first.exit_code, 0) << first.output << first.error;
  EXPECT_THAT(first.output, HasSubstr("\"updated\":0,\"unchanged\":0"));
  EXPECT_GT(db->Count("forums"), 0);
  const std::string state = db->WriteState();
  CommandResult second = RunCommand({BinaryPath(), "import", flag, seed});
  ASSERT_EQ(second.exit_code, 0) << second.output << second.error;
  EXPECT_THAT(second.output, HasSubstr("\"created\":0,\"updated\":0"));
  EXPECT_EQ(db->WriteState(), state);
}

TEST(Import, BrokenFileNamesTheLineAndChangesNothing) {
  auto db = TestDatabase::Create();
  const std::string flag = absl::StrCat("--database-url=", db->url());
  // Line 6 refers to a parent that is in neither the file nor the database.
  const std::string path = WriteTempFile(".textproto", R"(participants {
  name: "participants/ok" kind: PARTICIPANT_KIND_STATE display_name: "Fine"
}
forums { name: "forums/fine" kind: FORUM_KIND_SUMMIT display_name: "Fine" }

forums { name: "forums/orphan" kind: FORUM_KIND_SUMMIT display_name: "Orphan"
         parent: "forums/missing" }
)");
  const std::string before = db->WriteState();
  const CommandResult result = RunCommand({BinaryPath(), "import", flag, path});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr(absl::StrCat(path, ":6")));
  EXPECT_THAT(result.output, HasSubstr("forum.parent"));
  EXPECT_EQ(db->WriteState(), before) << "all or nothing";
  std::remove(path.c_str());
}

// Refused before the database is asked (the checks of a create): the
// record's line, found by parsing the file again with its locations.
TEST(Import, AnInvalidRecordNamesItsLineAndChangesNothing) {
  auto db = TestDatabase::Create();
  const std::string path = WriteTempFile(".textproto", R"(participants {
  name: "participants/ok" kind: PARTICIPANT_KIND_STATE display_name: "Fine"
}

forums { name: "forums/fine" kind: FORUM_KIND_SUMMIT display_name: "" })");
  const std::string before = db->WriteState();
  const CommandResult result =
      RunCommand({BinaryPath(), "import",
                  absl::StrCat("--database-url=", db->url()), path});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output + result.error,
              HasSubstr(absl::StrCat(path, ":5: forums/fine: ")));
  EXPECT_THAT(result.output + result.error, HasSubstr("display_name"));
  EXPECT_EQ(db->WriteState(), before);
  std::remove(path.c_str());
}

TEST(Import, ARecordChangedInTheFileIsUpdated) {
  auto db = TestDatabase::Create();
  const std::string flag = absl::StrCat("--database-url=", db->url());
  const std::string first = WriteTempFile(".textproto", R"(
forums { name: "forums/changing" kind: FORUM_KIND_SUMMIT display_name: "Before" }
forums { name: "forums/steady" kind: FORUM_KIND_SUMMIT display_name: "Steady" })");
  ASSERT_EQ(RunCommand({BinaryPath(), "import", flag, first}).exit_code, 0);
  const std::string second = WriteTempFile(".textproto", R"(
forums { name: "forums/changing" kind: FORUM_KIND_SUMMIT display_name: "After" }
forums { name: "forums/steady" kind: FORUM_KIND_SUMMIT display_name: "Steady" })");
  const CommandResult result =
      RunCommand({BinaryPath(), "import", flag, second});
  ASSERT_EQ(result.exit_code, 0) << result.output << result.error;
  EXPECT_THAT(result.output,
              HasSubstr("\"created\":0,\"updated\":1,\"unchanged\":1"));
  EXPECT_EQ(db->Query("SELECT display_name || ' v' || version FROM forums "
                      "WHERE name = 'forums/changing'"),
            "After v2");
  std::remove(first.c_str());
  std::remove(second.c_str());
}

TEST(Import, PruneDeletesWhatNoFileHoldsAndOnlyWithTheFlag) {
  auto db = TestDatabase::Create();
  const std::string flag = absl::StrCat("--database-url=", db->url());
  const std::string both = WriteTempFile(".textproto", R"(
forums { name: "forums/kept" kind: FORUM_KIND_SUMMIT display_name: "Kept" }
forums { name: "forums/dropped" kind: FORUM_KIND_SUMMIT display_name: "Dropped" }
sessions { name: "forums/dropped/sessions/1" display_name: "One" start_date { year: 2020 } })");
  const std::string one = WriteTempFile(".textproto", R"(
forums { name: "forums/kept" kind: FORUM_KIND_SUMMIT display_name: "Kept" })");
  ASSERT_EQ(RunCommand({BinaryPath(), "import", flag, both}).exit_code, 0);
  ASSERT_EQ(RunCommand({BinaryPath(), "import", flag, one}).exit_code, 0);
  EXPECT_EQ(db->Count("forums"), 2) << "without --prune nothing is deleted";
  const CommandResult result =
      RunCommand({BinaryPath(), "import", flag, "--prune", one});
  ASSERT_EQ(result.exit_code, 0) << result.output << result.error;
  EXPECT_THAT(result.output, HasSubstr("\"deleted\":2"));
  EXPECT_EQ(db->Query("SELECT string_agg(name, ',') FROM forums"),
            "forums/kept");
  EXPECT_EQ(db->Count("sessions"), 0);
  std::remove(both.c_str());
  std::remove(one.c_str());
}

// A forum read and changed through the API of `server`.
void RenameForum(ServerProcess& server, const std::string& name,
                 const std::string& display_name) {
  auto stub = v1::ForumService::NewStub(server.Channel());
  grpc::ClientContext read_context;
  v1::GetForumRequest get;
  get.set_name(name);
  v1::Forum forum;
  ASSERT_TRUE(stub->GetForum(&read_context, get, &forum).ok());
  v1::UpdateForumRequest update;
  *update.mutable_forum() = forum;
  update.mutable_forum()->set_display_name(display_name);
  update.mutable_update_mask()->add_paths("display_name");
  grpc::ClientContext context;
  const grpc::Status status = stub->UpdateForum(&context, update, &forum);
  ASSERT_TRUE(status.ok()) << Describe(status);
}

TEST(Import, TheSeedRunAgainKeepsWhatAnEditorChangedThroughTheApi) {
  auto db = TestDatabase::Create();
  const std::string flag = absl::StrCat("--database-url=", db->url());
  const std::string seed = forum_registry::testing::SeedPath();
  ASSERT_EQ(RunCommand({BinaryPath(), "import", "--keep-edits", flag, seed})
                .exit_code,
            0);
  auto server = ServerProcess::Start(db->url());
  ASSERT_NE(server, nullptr);
  RenameForum(*server, "forums/asean", "ASEAN (edited)");
  // The seed Job of the next deploy.
  const CommandResult again =
      RunCommand({BinaryPath(), "import", "--keep-edits", flag, seed});
  ASSERT_EQ(again.exit_code, 0) << again.output << again.error;
  EXPECT_THAT(again.error, HasSubstr("forums/asean"));
  EXPECT_EQ(db->Query("SELECT display_name FROM forums WHERE name = "
                      "'forums/asean'"),
            "ASEAN (edited)");
  // Without the flag the file wins, as before.
  ASSERT_EQ(RunCommand({BinaryPath(), "import", flag, seed}).exit_code, 0);
  EXPECT_NE(db->Query("SELECT display_name FROM forums WHERE name = "
                      "'forums/asean'"),
            "ASEAN (edited)");
}

TEST(Import, KeepEditsUpdatesWhatNobodyEditedAndDoesNotBringBackADeletion) {
  auto db = TestDatabase::Create();
  const std::string flag = absl::StrCat("--database-url=", db->url());
  const std::string first = WriteTempFile(".textproto", R"(
forums { name: "forums/edited" kind: FORUM_KIND_SUMMIT display_name: "A" }
forums { name: "forums/untouched" kind: FORUM_KIND_SUMMIT display_name: "B" }
forums { name: "forums/deleted" kind: FORUM_KIND_SUMMIT display_name: "C" })");
  ASSERT_EQ(RunCommand({BinaryPath(), "import", "--keep-edits", flag, first})
                .exit_code,
            0);
  {
    auto server = ServerProcess::Start(db->url());
    ASSERT_NE(server, nullptr);
    RenameForum(*server, "forums/edited", "A, edited");
    auto stub = v1::ForumService::NewStub(server->Channel());
    grpc::ClientContext context;
    v1::DeleteForumRequest remove;
    remove.set_name("forums/deleted");
    google::protobuf::Empty empty;
    ASSERT_TRUE(stub->DeleteForum(&context, remove, &empty).ok());
  }
  // The next version of the file changes all three and adds one.
  const std::string second = WriteTempFile(".textproto", R"(
forums { name: "forums/edited" kind: FORUM_KIND_SUMMIT display_name: "A2" }
forums { name: "forums/untouched" kind: FORUM_KIND_SUMMIT display_name: "B2" }
forums { name: "forums/deleted" kind: FORUM_KIND_SUMMIT display_name: "C2" }
forums { name: "forums/new" kind: FORUM_KIND_SUMMIT display_name: "D" })");
  const CommandResult result =
      RunCommand({BinaryPath(), "import", "--keep-edits", flag, second});
  ASSERT_EQ(result.exit_code, 0) << result.output << result.error;
  EXPECT_THAT(result.output, HasSubstr("\"created\":1,\"updated\":1"));
  EXPECT_THAT(result.output, HasSubstr("\"kept_edited\":2"));
  EXPECT_THAT(result.error, HasSubstr("forums/edited"));
  EXPECT_THAT(result.error, HasSubstr("forums/deleted"));
  EXPECT_EQ(db->Query("SELECT string_agg(name || '=' || display_name, ',' "
                      "ORDER BY name) FROM forums"),
            "forums/edited=A, edited,forums/new=D,forums/untouched=B2");
  // Run again, it finds nothing more to do.
  const std::string state = db->WriteState();
  ASSERT_EQ(RunCommand({BinaryPath(), "import", "--keep-edits", flag, second})
                .exit_code,
            0);
  EXPECT_EQ(db->WriteState(), state);
  // The two modes do not mix.
  const CommandResult both = RunCommand(
      {BinaryPath(), "import", "--keep-edits", "--prune", flag, second});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_THAT(both.error, HasSubstr("do not go together"));
  EXPECT_EQ(db->WriteState(), state);
  std::remove(first.c_str());
  std::remove(second.c_str());
}

TEST(Import, RecordsMayReferToEachOtherInAnyOrder) {
  auto db = TestDatabase::Create();
  // The source's publisher is a participant that cites the source: a cycle
  // that only a check at commit can accept.
  const std::string path = WriteTempFile(".textproto", R"(
participants { name: "participants/ministry" kind: PARTICIPANT_KIND_AGENCY
  display_name: "Ministry" citations { source: "sources/release" } }
sources { name: "sources/release" display_name: "Release"
  publisher: "participants/ministry" })");
  const CommandResult result =
      RunCommand({BinaryPath(), "import",
                  absl::StrCat("--database-url=", db->url()), path});
  EXPECT_EQ(result.exit_code, 0) << result.output << result.error;
  EXPECT_EQ(db->Count("source_references"), 1);
  EXPECT_EQ(db->Count("participant_references"), 1);
  std::remove(path.c_str());
}

TEST(Import, AMissingReferenceFoundAtCommitNamesTheRecordsLine) {
  auto db = TestDatabase::Create();
  const std::string path = WriteTempFile(".textproto", R"(
sources { name: "sources/ok" display_name: "Fine" }

sources { name: "sources/orphan" display_name: "Orphan"
  publisher: "participants/nobody" })");
  const std::string before = db->WriteState();
  const CommandResult result =
      RunCommand({BinaryPath(), "import",
                  absl::StrCat("--database-url=", db->url()), path});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr(absl::StrCat(path, ":4")));
  EXPECT_THAT(
      result.output,
      HasSubstr("source.publisher: participants/nobody does not exist"));
  EXPECT_EQ(db->WriteState(), before);
  std::remove(path.c_str());
}

// A refusal while the records are written (not at commit): the import
// writes each table in one statement, and still names the record refused.
TEST(Import, AParentCycleNamesTheRecordsLineAndChangesNothing) {
  auto db = TestDatabase::Create();
  const std::string path = WriteTempFile(".textproto", R"(
forums { name: "forums/a" kind: FORUM_KIND_SUMMIT display_name: "A"
  parent: "forums/b" }
forums { name: "forums/ok" kind: FORUM_KIND_SUMMIT display_name: "Fine" }
forums { name: "forums/b" kind: FORUM_KIND_SUMMIT display_name: "B"
  parent: "forums/a" })");
  const std::string before = db->WriteState();
  const CommandResult result =
      RunCommand({BinaryPath(), "import",
                  absl::StrCat("--database-url=", db->url()), path});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr(absl::StrCat(path, ":5")));
  EXPECT_THAT(result.output, HasSubstr("would make a cycle"));
  EXPECT_EQ(db->WriteState(), before);
  std::remove(path.c_str());
}

// Two sole chairs of one forum at once: refused while the table is
// written, naming the second term's line and the first term.
TEST(Import, TwoSoleChairsAtOnceNameTheRecordsLineAndChangeNothing) {
  auto db = TestDatabase::Create();
  const std::string path = WriteTempFile(".textproto", R"(
participants { name: "participants/x" kind: PARTICIPANT_KIND_STATE
  display_name: "X" }
participants { name: "participants/y" kind: PARTICIPANT_KIND_STATE
  display_name: "Y" }
forums { name: "forums/f" kind: FORUM_KIND_SUMMIT display_name: "F" }
chairmanships { name: "forums/f/chairmanships/x" chairs: "participants/x"
  term { start { year: 2023 } end { year: 2024 } } }
chairmanships { name: "forums/f/chairmanships/y" chairs: "participants/y"
  term { start { year: 2024 } end { year: 2025 } } })");
  const std::string before = db->WriteState();
  const CommandResult result =
      RunCommand({BinaryPath(), "import",
                  absl::StrCat("--database-url=", db->url()), path});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr(absl::StrCat(path, ":9")));
  EXPECT_THAT(result.output, HasSubstr("overlaps the sole-chair term of "
                                       "forums/f/chairmanships/x"));
  EXPECT_EQ(db->WriteState(), before);
  std::remove(path.c_str());
}

// The search index's GIN trees take entries through pending lists bounded
// to 64 kB (migrations/0020), merged by the write that fills one: after an
// import of a thousand records, each list holds at most its bound (about 8
// pages; the default bound, 4 MB, would leave far more), and every record
// is found through the indexes (tree and list).
TEST(Import, ALargeImportLeavesTheSearchIndexListsWithinTheirBound) {
  auto db = TestDatabase::Create();
  const std::string indexes = GinIndexOptions(*db);
  for (const char* index :
       {"search_documents_exact_names", "search_documents_names",
        "search_documents_words"}) {
    EXPECT_THAT(indexes,
                HasSubstr(absl::StrCat(
                    index, " fastupdate=on,gin_pending_list_limit=64")));
  }
  const std::string path =
      WriteTempFile(".textproto", ManyParticipantsTextproto(1200));
  const CommandResult result =
      RunCommand({BinaryPath(), "import",
                  absl::StrCat("--database-url=", db->url()), path});
  ASSERT_EQ(result.exit_code, 0) << result.output << result.error;
  EXPECT_EQ(db->Count("participants"), 1200);
  for (const char* where :
       {"words @@ to_tsquery('forum_registry', 'zyx777')",
        "names_text LIKE '%zyx1199%'", "names && ARRAY['delegation zyx5']"}) {
    EXPECT_EQ(
        db->Query(absl::StrCat("SET enable_seqscan = off; SELECT count(*) FROM "
                               "search_documents WHERE ",
                               where)),
        "1")
        << where;
  }
  EXPECT_LE(MergePendingGinPages(*db, "search_documents"), 3 * 9);
  std::remove(path.c_str());
}

// A large import refused at commit writes nothing either.
TEST(Import, ALargeImportRefusedAtCommitChangesNothing) {
  auto db = TestDatabase::Create();
  const std::string path = WriteTempFile(
      ".textproto",
      absl::StrCat(ManyParticipantsTextproto(1200),
                   "sources { name: \"sources/orphan\" display_name: "
                   "\"Orphan\"\n  publisher: \"participants/nobody\" }\n"));
  const std::string before = db->WriteState();
  const CommandResult result =
      RunCommand({BinaryPath(), "import",
                  absl::StrCat("--database-url=", db->url()), path});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr(absl::StrCat(path, ":1201")));
  EXPECT_THAT(
      result.output,
      HasSubstr("source.publisher: participants/nobody does not exist"));
  EXPECT_EQ(db->WriteState(), before);
  std::remove(path.c_str());
}

TEST(Export, ImportsIntoAnEmptyDatabaseToTheSameState) {
  auto original = TestDatabase::Create();
  const std::string seed = forum_registry::testing::SeedPath();
  ASSERT_EQ(RunCommand({BinaryPath(), "import",
                        "--database-url=" + original->url(), seed})
                .exit_code,
            0);
  const std::string exported = WriteTempFile(".textproto", "");
  ASSERT_EQ(
      RunCommand({BinaryPath(), "export", "--database-url=" + original->url(),
                  "--output=" + exported})
          .exit_code,
      0);
  auto copy = TestDatabase::Create();
  const CommandResult imported = RunCommand(
      {BinaryPath(), "import", "--database-url=" + copy->url(), exported});
  ASSERT_EQ(imported.exit_code, 0) << imported.output << imported.error;

  // Same records, same bodies, and the same references derived from them.
  const std::string bodies =
      "SELECT md5(string_agg(name || body::text, '' ORDER BY name)) FROM ("
      " SELECT name, body FROM participants UNION ALL SELECT name, body FROM "
      "forums"
      " UNION ALL SELECT name, body FROM sources UNION ALL SELECT name, body "
      "FROM memberships"
      " UNION ALL SELECT name, body FROM sessions UNION ALL SELECT name, body "
      "FROM chairmanships"
      " UNION ALL SELECT name, body FROM action_plans UNION ALL SELECT name, "
      "body FROM statements) r";
  EXPECT_EQ(copy->Query(bodies), original->Query(bodies));
  const std::string references =
      "SELECT (SELECT count(*) FROM participant_references) || '/' ||"
      " (SELECT count(*) FROM forum_references) || '/' ||"
      " (SELECT count(*) FROM source_references) || '/' ||"
      " (SELECT count(*) FROM session_references)";
  EXPECT_EQ(copy->Query(references), original->Query(references));
  EXPECT_GT(original->Count("sessions"), 10);

  // And exporting the copy gives the same file.
  const CommandResult again =
      RunCommand({BinaryPath(), "export", "--database-url=" + copy->url()});
  ASSERT_EQ(again.exit_code, 0);
  std::ifstream in(exported);
  std::stringstream first;
  first << in.rdbuf();
  EXPECT_EQ(again.output, first.str());
  std::remove(exported.c_str());
}

TEST(Import, SyntaxErrorNamesLineAndColumn) {
  auto db = TestDatabase::Create();
  const std::string path = WriteTempFile(
      ".textproto", "forums {\n  name: \"forums/x\"\n  colour: 3\n}\n");
  const CommandResult result =
      RunCommand({BinaryPath(), "import",
                  absl::StrCat("--database-url=", db->url()), path});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr(absl::StrCat(path, ":3:")));
  std::remove(path.c_str());
}

TEST(Health, FollowsTheDatabaseWithoutARestart) {
  // The server starts on a database without the schema: it answers health,
  // NOT_SERVING, until `migrate` has run; then SERVING, with no restart.
  auto db = TestDatabase::Create(/*migrate=*/false);
  auto server = ServerProcess::Start(
      db->url(), {"--health-check-interval=100ms"}, "NOT_SERVING");
  ASSERT_EQ(HealthStatus(server->Channel()), "NOT_SERVING");
  ASSERT_EQ(RunCommand({BinaryPath(), "migrate", "--database-url=" + db->url()})
                .exit_code,
            0);
  std::string seen;
  WaitFor(
      [&] {
        seen = HealthStatus(server->Channel());
        return seen == "SERVING";
      },
      absl::Seconds(5), "SERVING after the migration", absl::Milliseconds(25));
  EXPECT_EQ(seen, "SERVING");
  EXPECT_THAT(server->Output(), HasSubstr("lacks migration"));
  EXPECT_EQ(server->Stop(), 0);
}

TEST(Shutdown, SigtermDrainsThenExitsCleanly) {
  auto db = TestDatabase::Create();
  auto server = ServerProcess::Start(db->url(), {"--drain-period=1500ms"});
  auto channel = server->Channel();
  auto stub = forumregistry::v1::ForumService::NewStub(channel);
  ASSERT_EQ(HealthStatus(channel), "SERVING");

  const auto started = std::chrono::steady_clock::now();
  kill(server->pid(), SIGTERM);
  // During the drain: health says NOT_SERVING while RPCs are still served.
  std::string health;
  WaitFor(
      [&] {
        health = HealthStatus(channel);
        return health == "NOT_SERVING";
      },
      absl::Seconds(1), "NOT_SERVING after SIGTERM", absl::Milliseconds(10));
  EXPECT_EQ(health, "NOT_SERVING");
  {
    grpc::ClientContext context;
    forumregistry::v1::ListForumsRequest request;
    forumregistry::v1::ListForumsResponse response;
    const grpc::Status status = stub->ListForums(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_LT(std::chrono::steady_clock::now() - started,
              std::chrono::milliseconds(1500))
        << "the RPC above ran inside the drain period";
  }
  // Close the connection: gRPC's Shutdown waits, up to --shutdown-timeout,
  // for clients to hang up after its GOAWAY, and a ClientContext or stub
  // keeps the channel open.
  stub.reset();
  channel.reset();
  const int exit_code = server->Stop(0 /* already signalled: just wait */, 20);
  EXPECT_EQ(exit_code, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5))
      << "with no client connected, shutdown does not wait for its timeout";
  const std::string output = server->Output();
  EXPECT_THAT(output, HasSubstr("\"event\":\"draining\""));
  EXPECT_THAT(output, HasSubstr("\"event\":\"stopped\""));
  EXPECT_THAT(output, HasSubstr("\"event\":\"rpc\""));
}

}  // namespace
}  // namespace forum_registry::testing

namespace forum_registry::testing {
namespace {

TEST(Metrics, ScrapedCountersMoveWithTraffic) {
  auto db = TestDatabase::Create();
  auto server = ServerProcess::Start(db->url());
  const int port = server->MetricsPort();
  ASSERT_GT(port, 0) << server->Output();
  const std::string labels =
      "grpc_type=\"unary\",grpc_service=\"forumregistry.v1.ForumService\","
      "grpc_method=\"GetForum\"";
  const auto sample = forum_registry::testing::MetricSample;
  const std::string before = HttpGet(port, "/metrics");
  ASSERT_THAT(before, HasSubstr("# TYPE grpc_server_handled_total counter"));
  EXPECT_EQ(sample(before, "forum_registry_up"), 1);
  EXPECT_EQ(sample(before, "forum_registry_db_pool_size{pool=\"primary\"}"), 4);
  {
    auto stub = forumregistry::v1::ForumService::NewStub(server->Channel());
    for (int i = 0; i < 3; ++i) {
      grpc::ClientContext context;
      forumregistry::v1::GetForumRequest request;
      request.set_name("forums/absent");
      forumregistry::v1::Forum forum;
      EXPECT_EQ(stub->GetForum(&context, request, &forum).error_code(),
                grpc::StatusCode::NOT_FOUND);
    }
  }
  const std::string after = HttpGet(port, "/metrics");
  EXPECT_EQ(sample(after, "grpc_server_handled_total{" + labels +
                              ",grpc_code=\"NOT_FOUND\"}"),
            3);
  EXPECT_EQ(sample(after, "grpc_server_handling_seconds_count{" + labels + "}"),
            3);
  EXPECT_EQ(sample(after, "grpc_server_started_total{" + labels + "}"), 3);
  // Back in the pool: none in use, at least the one the reads used idle
  // (the purger's first run, at start, may have opened another).
  EXPECT_EQ(sample(after,
                   "forum_registry_db_pool_connections{pool=\"primary\",state="
                   "\"in_use\"}"),
            0)
      << "the connection the three reads used went back to the pool";
  EXPECT_GE(sample(after,
                   "forum_registry_db_pool_connections{pool=\"primary\",state="
                   "\"idle\"}"),
            1);
}

// The replica here is another database, so that its content tells which
// side answered; its change log plays the replica's progress.
TEST(ReadReplica, ReadsGoToTheReadUrlAndWritesToThePrimary) {
  auto primary = TestDatabase::Create();
  auto replica = TestDatabase::Create();
  replica->Execute(
      "INSERT INTO forums (name, body) VALUES ('forums/only-on-replica', "
      "'{\"kind\":\"FORUM_KIND_SUMMIT\",\"display_name\":\"R\",\"status\":"
      "\"FORUM_STATUS_ACTIVE\"}')");
  // Without the record and list caches, which are filled from the primary
  // and its log (they would answer forums/written themselves): which
  // database a read goes to is what this test sees.
  auto server = ServerProcess::Start(
      primary->url(), {"--read-database-url=" + replica->url(),
                       "--record-cache-size=0", "--list-cache-bytes=0"});
  auto stub = forumregistry::v1::ForumService::NewStub(server->Channel());
  const auto create = [&](const std::string& id) {
    grpc::ClientContext context;
    forumregistry::v1::CreateForumRequest request;
    request.set_forum_id(id);
    request.mutable_forum()->set_kind(forumregistry::v1::FORUM_KIND_SUMMIT);
    request.mutable_forum()->set_display_name(id);
    forumregistry::v1::Forum forum;
    return stub->CreateForum(&context, request, &forum);
  };
  const auto get = [&](const std::string& name) {
    grpc::ClientContext context;
    forumregistry::v1::GetForumRequest request;
    request.set_name(name);
    forumregistry::v1::Forum forum;
    return stub->GetForum(&context, request, &forum).error_code();
  };
  ASSERT_TRUE(create("written").ok());  // revision 1 on both sides now
  EXPECT_EQ(primary->Count("forums"), 1);
  EXPECT_EQ(replica->Count("forums"), 1)
      << "the write went to the primary only";
  {
    grpc::ClientContext context;
    forumregistry::v1::ListForumsRequest request;
    forumregistry::v1::ListForumsResponse response;
    ASSERT_TRUE(stub->ListForums(&context, request, &response).ok());
    ASSERT_EQ(response.forums_size(), 1);
    EXPECT_EQ(response.forums(0).name(), "forums/only-on-replica");
  }
  EXPECT_EQ(get("forums/only-on-replica"), grpc::StatusCode::OK)
      << "a Get reads the replica once it has the primary's revision";
  EXPECT_EQ(get("forums/written"), grpc::StatusCode::NOT_FOUND);

  ASSERT_TRUE(create("second").ok());  // the replica is now behind
  EXPECT_EQ(get("forums/written"), grpc::StatusCode::OK)
      << "a Get never reads a replica that is behind: the primary answers";
}

// The server keeps the change log to --change-retention by itself: older
// changes go, the newest stays, and the purge is logged. A backlog goes in
// batches of --change-purge-batch, each its own transaction, until none is
// left, which the metrics count.
TEST(ChangeRetention, TheServerPurgesChangesOlderThanTheRetentionInBatches) {
  auto db = TestDatabase::Create();
  // An old backlog of 50,000 changes (deletes, which compaction removes
  // whole, each its own transaction), then three writes; then every change
  // older than the retention, the newest (kept-c) too.
  db->Execute(
      "INSERT INTO changes (resource, operation, version, transaction) "
      "SELECT 'participants/old' || i, 'DELETE', 1, i::text::xid8 "
      "FROM generate_series(1, 50000) i");
  for (const char* id : {"kept-a", "kept-b", "kept-c"}) {
    db->Execute(absl::StrCat(
        "INSERT INTO participants (name, body) VALUES ('participants/", id,
        "', '{\"kind\": \"PARTICIPANT_KIND_STATE\", \"display_name\": \"", id,
        "\"}')"));
  }
  db->Execute("UPDATE changes SET change_time = now() - interval '2 hours'");
  ASSERT_EQ(db->Count("changes"), 50003);
  auto server = ServerProcess::Start(
      db->url(), {"--change-retention=1h", "--change-purge-interval=100ms",
                  "--change-purge-batch=4000"});
  // Compacted up to the newest: each kept record's latest change stays.
  WaitFor([&] { return db->Count("changes") <= 3; }, absl::Seconds(30),
          "the purge", absl::Milliseconds(50));
  EXPECT_EQ(db->Query("SELECT string_agg(resource, ',' ORDER BY sequence) "
                      "FROM changes"),
            "participants/kept-a,participants/kept-b,participants/kept-c");
  EXPECT_EQ(db->Query("SELECT revision FROM change_horizon"),
            db->Query("SELECT max(sequence) - 1 FROM changes"));
  EXPECT_THAT(server->Output(), HasSubstr("\"event\":\"changes_purged\""));
  const std::string metrics = HttpGet(server->MetricsPort(), "/metrics");
  const auto sample = [&](const std::string& series) {
    return forum_registry::testing::MetricSample(metrics, series);
  };
  EXPECT_EQ(sample("forum_registry_changes_purged_total"), 50002);
  EXPECT_GE(sample("forum_registry_change_purge_batches_total{table=\""
                   "changes\"}"),
            13)
      << "50,002 changes in batches of 4,000";
  EXPECT_EQ(sample("forum_registry_change_purge_failures_total"), 0);
  EXPECT_GT(sample("forum_registry_change_purge_last_success_timestamp_"
                   "seconds"),
            0);
  EXPECT_GE(sample("forum_registry_change_purge_last_seconds"), 0);
}

// A purge of a long backlog stops after the batch in flight when the
// server is told to stop: the process exits in its grace period, the rest
// left for the next round (or replica).
TEST(ChangeRetention, APurgeStopsWithTheServer) {
  auto db = TestDatabase::Create();
  db->Execute(
      "INSERT INTO changes (resource, operation, version, change_time, "
      "transaction) SELECT 'participants/old' || i, 'DELETE', 1, now() - "
      "interval '2 hours', i::text::xid8 FROM generate_series(1, 50000) i");
  auto server = ServerProcess::Start(
      db->url(), {"--change-retention=1h", "--change-purge-batch=1"});
  WaitFor([&] { return db->Count("changes") < 50000; }, absl::Seconds(10),
          "the purge to begin");
  const absl::Time stop = absl::Now();
  EXPECT_EQ(server->Stop(SIGTERM, /*timeout_s=*/10), 0);
  EXPECT_LT(absl::Now() - stop, absl::Seconds(5));
  const int64_t left = db->Count("changes");
  EXPECT_GT(left, 10000) << "it stopped long before the backlog was gone";
  EXPECT_THAT(server->Output(), HasSubstr("\"event\":\"changes_purged\""))
      << "what it did is logged";
}

// Under a steady load, SIGTERM: health turns NOT_SERVING first, every RPC
// the server began completes OK, new ones are refused only after health went
// NOT_SERVING, and the process exits within its grace period.
//
// gRPC's Shutdown cancels calls that reached the server but were not yet
// handed to a handler; a client that keeps sending regardless of health can
// see one such CANCELLED per call it had in flight at that instant, and
// rarely one more for a retry sent before its channel read the final GOAWAY
// (never an RPC the server had begun: those all end OK, which the server's
// log shows).
TEST(Shutdown, UnderLoadEveryStartedRpcCompletes) {
  auto db = TestDatabase::Create();
  auto server = ServerProcess::Start(
      db->url(), {"--drain-period=1s", "--shutdown-timeout=5s"});
  std::atomic<bool> stop{false};
  std::atomic<int64_t> ok{0}, refused{0}, cancelled{0}, other{0};
  std::atomic<int64_t> first_refusal_ms{-1};
  std::atomic<int64_t> first_cancel_ms{-1};
  const auto t0 = std::chrono::steady_clock::now();
  const auto now_ms = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now() - t0)
        .count();
  };
  std::vector<std::thread> clients;
  std::mutex errors_mu;
  std::vector<std::string> errors;
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back([&] {
      auto stub = forumregistry::v1::ForumService::NewStub(server->Channel());
      const auto until =
          std::chrono::steady_clock::now() + std::chrono::seconds(15);
      while (!stop && std::chrono::steady_clock::now() < until) {
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() +
                             std::chrono::seconds(5));
        forumregistry::v1::ListForumsRequest request;
        forumregistry::v1::ListForumsResponse response;
        const grpc::Status status =
            stub->ListForums(&context, request, &response);
        if (status.ok()) {
          ++ok;
        } else if (status.error_code() == grpc::StatusCode::CANCELLED) {
          ++cancelled;
          int64_t expected = -1;
          first_cancel_ms.compare_exchange_strong(expected, now_ms());
          // Back off as after a refusal, as a client should: the client's
          // behaviour under test, not a wait for an event.
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        } else if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
          ++refused;
          int64_t expected = -1;
          first_refusal_ms.compare_exchange_strong(expected, now_ms());
          // The client's back-off, as above.
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        } else {
          ++other;
          std::lock_guard<std::mutex> lock(errors_mu);
          errors.push_back(
              absl::StrCat(status.error_code(), " ", status.error_message()));
        }
      }
    });
  }
  // Until every client has had a few calls answered.
  WaitFor([&] { return ok.load() >= 20; }, absl::Seconds(10),
          "the load to run");
  ASSERT_GT(ok.load(), 0) << "the load is running";
  const int64_t signalled_ms = now_ms();
  kill(server->pid(), SIGTERM);
  // Health goes NOT_SERVING at once.
  int64_t not_serving_ms = -1;
  WaitFor(
      [&] {
        if (HealthStatus(server->Channel()) != "NOT_SERVING") return false;
        not_serving_ms = now_ms();
        return true;
      },
      absl::Seconds(1), "NOT_SERVING after SIGTERM", absl::Milliseconds(5));
  const int exit_code = server->Stop(0, 20);
  const int64_t exited_ms = now_ms();
  stop = true;
  for (auto& client : clients) client.join();
  EXPECT_EQ(exit_code, 0);
  ASSERT_GE(not_serving_ms, 0) << "health never said NOT_SERVING";
  EXPECT_LT(not_serving_ms - signalled_ms, 500);
  EXPECT_EQ(other.load(), 0) << "an RPC failed otherwise than by refusal: "
                             << (errors.empty() ? "" : errors.front());
  // Only Shutdown cancels, so never during the drain. It cancels the call
  // each client had in flight, and a retry that left before the channel read
  // the server's final GOAWAY can meet the same fate (gRPC accepts streams
  // between its first and last GOAWAY; seen once in tens of runs): a few a
  // client, never a stream of them.
  if (first_cancel_ms >= 0) {
    EXPECT_GE(first_cancel_ms.load(), signalled_ms + 900)
        << "a call was cancelled during the drain";
  }
  EXPECT_LE(cancelled.load(), 2 * static_cast<int64_t>(clients.size()))
      << "Shutdown cancels the calls in flight and at most a retry each";
  // Every RPC the server began, it finished OK.
  const std::string log = server->Output();
  EXPECT_THAT(log, HasSubstr("\"method\":\"/forumregistry.v1.ForumService/"
                             "ListForums\",\"code\":\"OK\""));
  EXPECT_THAT(log, Not(HasSubstr("\"method\":\"/forumregistry.v1.ForumService/"
                                 "ListForums\",\"code\":\"CANCELLED\"")));
  EXPECT_THAT(log, Not(HasSubstr("\"method\":\"/forumregistry.v1.ForumService/"
                                 "ListForums\",\"code\":\"UNAVAILABLE\"")));
  if (first_refusal_ms >= 0) {
    EXPECT_GE(first_refusal_ms.load(), not_serving_ms)
        << "a new RPC was refused before health went NOT_SERVING";
  }
  EXPECT_LT(exited_ms - signalled_ms, 1000 + 5000 + 2000)
      << "the process exits within drain + shutdown timeout";
}

// PostgreSQL stops under a running server and comes back: health follows,
// RPCs fail UNAVAILABLE meanwhile, and succeed again without a restart.
TEST(Health, SurvivesADatabaseRestartWithoutARestart) {
  // A cluster of its own, so the one the other tests use keeps running.
  char dir_template[] = "/tmp/fr-pg-restart.XXXXXX";
  const std::string dir = mkdtemp(dir_template);
  chmod(dir.c_str(), 0755);
  const std::string lib = SourceDir() + "/script/lib/postgres.sh";
  const auto pg = [&](const std::string& command) {
    return RunCommand({"/bin/bash", "-c",
                       absl::StrCat("source '", lib, "' && ", command, " '",
                                    dir, "/data' '", dir, "/socket'")});
  };
  CommandResult started = pg("PG_FSYNC=off pg_start");
  ASSERT_EQ(started.exit_code, 0) << started.output << started.error;
  const std::string url = absl::StrCat("postgresql:///postgres?host=", dir,
                                       "/socket&user=postgres");
  ASSERT_EQ(
      RunCommand({BinaryPath(), "migrate", "--database-url=" + url}).exit_code,
      0);
  auto server = ServerProcess::Start(url, {"--health-check-interval=100ms"});
  auto stub = forumregistry::v1::ForumService::NewStub(server->Channel());
  const auto list = [&] {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(5));
    forumregistry::v1::ListForumsRequest request;
    forumregistry::v1::ListForumsResponse response;
    return stub->ListForums(&context, request, &response).error_code();
  };
  const auto wait_for = [&](const std::string& want) {
    std::string seen;
    WaitFor(
        [&] {
          seen = HealthStatus(server->Channel());
          return seen == want;
        },
        absl::Seconds(10), want, absl::Milliseconds(50));
    return seen;
  };
  ASSERT_EQ(list(), grpc::StatusCode::OK);
  // A watch open across the restart: the change feed reconnects by itself.
  auto changes = forumregistry::v1::ChangeService::NewStub(server->Channel());
  grpc::ClientContext watch_context;
  watch_context.set_deadline(std::chrono::system_clock::now() +
                             std::chrono::seconds(60));
  auto watch = changes->WatchChanges(&watch_context, {});
  forumregistry::v1::WatchChangesResponse message;
  ASSERT_TRUE(watch->Read(&message));  // the opening bookmark

  ASSERT_EQ(pg("pg_stop").exit_code, 0);
  EXPECT_EQ(wait_for("NOT_SERVING"), "NOT_SERVING");
  EXPECT_EQ(HealthStatus(server->Channel(), "forumregistry.v1.ForumService"),
            "NOT_SERVING");
  EXPECT_EQ(HealthStatus(server->Channel(), "liveness"), "SERVING")
      << "liveness does not depend on the database: no restart loop";
  EXPECT_EQ(list(), grpc::StatusCode::UNAVAILABLE);

  ASSERT_EQ(pg("pg_start").exit_code, 0);
  EXPECT_EQ(wait_for("SERVING"), "SERVING");
  grpc::StatusCode code = list();
  EXPECT_EQ(code, grpc::StatusCode::OK);
  {
    grpc::ClientContext context;
    forumregistry::v1::CreateForumRequest request;
    request.set_forum_id("after-restart");
    request.mutable_forum()->set_kind(forumregistry::v1::FORUM_KIND_SUMMIT);
    request.mutable_forum()->set_display_name("After the restart");
    forumregistry::v1::Forum created;
    ASSERT_TRUE(stub->CreateForum(&context, request, &created).ok());
  }
  do {
    ASSERT_TRUE(watch->Read(&message)) << "the watch ended";
  } while (message.changes_size() == 0);
  EXPECT_EQ(message.changes(0).resource(), "forums/after-restart");
  watch_context.TryCancel();
  while (watch->Read(&message)) {
  }
  watch->Finish();

  stub.reset();
  EXPECT_EQ(server->Stop(), 0);
  server.reset();
  pg("pg_stop");
  RunCommand({"/bin/rm", "-rf", dir});
}

TEST(Limits, RequestAboveTheMessageSizeLimitIsRefusedAndWritesNothing) {
  auto db = TestDatabase::Create();
  auto server = ServerProcess::Start(db->url(), {"--max-message-bytes=2048"});
  auto stub = forumregistry::v1::ForumService::NewStub(server->Channel());
  const std::string before = db->WriteState();
  forumregistry::v1::CreateForumRequest request;
  request.set_forum_id("too-big");
  request.mutable_forum()->set_kind(forumregistry::v1::FORUM_KIND_SUMMIT);
  request.mutable_forum()->set_display_name("Too big");
  request.mutable_forum()->set_description(std::string(4000, 'x'));
  forumregistry::v1::Forum response;
  {
    grpc::ClientContext context;
    const grpc::Status status = stub->CreateForum(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << status.error_message();
  }
  EXPECT_EQ(db->WriteState(), before);
  // The same forum with a short description fits.
  request.mutable_forum()->set_description("Fits.");
  grpc::ClientContext context;
  EXPECT_TRUE(stub->CreateForum(&context, request, &response).ok());
}

}  // namespace
}  // namespace forum_registry::testing
