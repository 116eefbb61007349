// Who may call what, through the real server: bearer tokens signed by a test
// issuer (keys made by OpenSSL, tokens signed by libjwt or, for headers
// and claims libjwt would not write, by OpenSSL), the role table,
// anonymous reads and --read-only. Every refused write is checked to have
// written nothing.

#include <libpq-fe.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "forumregistry/v1/change.grpc.pb.h"
#include "forumregistry/v1/forum.grpc.pb.h"
#include "forumregistry/v1/search.grpc.pb.h"
#include "forumregistry/v1/session.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "src/auth/testing/tokens.h"
#include "tests/support/test_support.h"

namespace forum_registry {
namespace {

namespace v1 = ::forumregistry::v1;
using ::forum_registry::auth::testing::ClaimsJson;
using ::forum_registry::auth::testing::JwkOf;
using ::forum_registry::auth::testing::KeyPair;
using ::forum_registry::auth::testing::NewRsaKeyPair;
using ::forum_registry::auth::testing::OkpJwk;
using ::forum_registry::auth::testing::SignedJws;
using ::forum_registry::auth::testing::SignedToken;
using ::forum_registry::auth::testing::TokenSpec;
using ::forum_registry::testing::Describe;
using ::forum_registry::testing::HealthStatus;
using ::forum_registry::testing::HttpGet;
using ::forum_registry::testing::MetricSample;
using ::forum_registry::testing::ServerProcess;
using ::forum_registry::testing::TestDatabase;
using ::forum_registry::testing::WaitFor;
using ::forum_registry::testing::WriteTempFile;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kIssuer[] = "https://issuer.test";
constexpr char kAudience[] = "forum-registry";

class AuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    key_ = new KeyPair(NewRsaKeyPair());
    key_file_ = new std::string(WriteTempFile(".pem", key_->public_pem));
  }
  static void TearDownTestSuite() {
    std::remove(key_file_->c_str());
    delete key_file_;
    delete key_;
  }

  // A server trusting `keys` (the test key's PEM file unless told).
  void StartServer(std::vector<std::string> more_flags = {},
                   const std::string& keys = "") {
    db_ = TestDatabase::Create();
    std::vector<std::string> flags = {
        absl::StrCat("--jwt-public-keys=", keys.empty() ? *key_file_ : keys),
        absl::StrCat("--jwt-issuer=", kIssuer),
        absl::StrCat("--jwt-audience=", kAudience)};
    flags.insert(flags.end(), more_flags.begin(), more_flags.end());
    server_ = ServerProcess::Start(db_->url(), flags);
    forums_ = v1::ForumService::NewStub(server_->Channel());
    // One forum, written directly, for reads and deletes.
    db_->Execute(
        "INSERT INTO forums (name, body) VALUES ('forums/standing', "
        "'{\"kind\":\"FORUM_KIND_SUMMIT\",\"display_name\":\"S\","
        "\"status\":\"FORUM_STATUS_ACTIVE\"}')");
  }

  static std::string Token(const std::string& roles_json,
                           const std::string& subject = "alice") {
    TokenSpec spec;
    spec.issuer = kIssuer;
    spec.audience = kAudience;
    spec.subject = subject;
    spec.roles_json = roles_json;
    return SignedToken(spec, key_->private_pem);
  }

  // The call's context, with `authorization` unless it is empty.
  static std::unique_ptr<grpc::ClientContext> Context(
      const std::string& authorization) {
    auto context = std::make_unique<grpc::ClientContext>();
    if (!authorization.empty()) {
      context->AddMetadata("authorization", authorization);
    }
    return context;
  }

  grpc::Status Create(const std::string& authorization) {
    v1::CreateForumRequest request;
    request.set_forum_id("created");
    request.mutable_forum()->set_kind(v1::FORUM_KIND_SUMMIT);
    request.mutable_forum()->set_display_name("Created");
    v1::Forum forum;
    return forums_->CreateForum(Context(authorization).get(), request, &forum);
  }

  grpc::Status Get(const std::string& authorization) {
    v1::GetForumRequest request;
    request.set_name("forums/standing");
    v1::Forum forum;
    return forums_->GetForum(Context(authorization).get(), request, &forum);
  }

  grpc::Status Delete(const std::string& authorization, bool force) {
    v1::DeleteForumRequest request;
    request.set_name("forums/standing");
    request.set_force(force);
    google::protobuf::Empty empty;
    return forums_->DeleteForum(Context(authorization).get(), request, &empty);
  }

  static KeyPair* key_;
  static std::string* key_file_;
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<v1::ForumService::Stub> forums_;
};

KeyPair* AuthTest::key_ = nullptr;
std::string* AuthTest::key_file_ = nullptr;

TEST_F(AuthTest, BadCredentialsAreUnauthenticatedAndWriteNothing) {
  StartServer();
  const std::string before = db_->WriteState();
  TokenSpec expired;
  expired.issuer = kIssuer;
  expired.audience = kAudience;
  expired.roles_json = R"(["admin"])";
  expired.expires = absl::Now() - absl::Hours(1);
  TokenSpec other_issuer = expired;
  other_issuer.expires = absl::Now() + absl::Hours(1);
  other_issuer.issuer = "https://elsewhere.test";
  TokenSpec other_audience = other_issuer;
  other_audience.issuer = kIssuer;
  other_audience.audience = "another-service";
  const KeyPair stranger = NewRsaKeyPair();
  const std::string secret_part = "s3cr3t-t0ken-part";
  const struct {
    std::string authorization;
    std::string says;
  } cases[] = {
      {"", "needs the editor role"},
      {absl::StrCat("Bearer ", SignedToken(expired, key_->private_pem)),
       "expired at"},
      {absl::StrCat("Bearer ", SignedToken(other_issuer, key_->private_pem)),
       "issuer (iss)"},
      {absl::StrCat("Bearer ", SignedToken(other_audience, key_->private_pem)),
       "audience (aud)"},
      {absl::StrCat("Bearer ", SignedToken(other_issuer, stranger.private_pem)),
       "matches none of the configured keys"},
      {absl::StrCat("Basic ", secret_part), "expected \"Bearer <token>\""},
      {absl::StrCat("Bearer ", secret_part), "not a well-formed JWT"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.says);
    const grpc::Status status = Create(c.authorization);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << Describe(status);
    EXPECT_THAT(status.error_message(), HasSubstr(c.says));
    EXPECT_THAT(status.error_message(), Not(HasSubstr(secret_part)));
  }
  EXPECT_EQ(db_->WriteState(), before);
}

TEST_F(AuthTest, AReaderMayReadButNotWrite) {
  StartServer();
  const std::string reader = absl::StrCat("Bearer ", Token(R"(["reader"])"));
  EXPECT_TRUE(Get(reader).ok());
  const std::string before = db_->WriteState();
  const grpc::Status status = Create(reader);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << Describe(status);
  EXPECT_THAT(status.error_message(),
              HasSubstr("CreateForum needs the editor role; alice has reader"));
  EXPECT_EQ(db_->WriteState(), before);
  EXPECT_EQ(Get("").error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << "no anonymous reads without --allow-anonymous-reads";
}

TEST_F(AuthTest, OnlyAnAdminMayDeleteWithForce) {
  StartServer();
  const std::string before = db_->WriteState();
  const grpc::Status editor = Delete(
      absl::StrCat("Bearer ", Token(R"(["editor"])", "bob")), /*force=*/true);
  EXPECT_EQ(editor.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << Describe(editor);
  EXPECT_THAT(editor.error_message(),
              HasSubstr("DeleteForum with force needs the admin role"));
  EXPECT_EQ(db_->WriteState(), before);
  const grpc::Status admin = Delete(
      absl::StrCat("Bearer ", Token(R"(["admin"])", "carol")), /*force=*/true);
  EXPECT_TRUE(admin.ok()) << Describe(admin);
  EXPECT_EQ(db_->Count("forums"), 0);
}

// Editors undelete what they could delete; what a forced delete took with a
// forum comes back only for an admin (the role that could force it).
TEST_F(AuthTest, UndeletingAForcedDeleteNeedsAnAdmin) {
  StartServer();
  db_->Execute(
      "INSERT INTO sessions (name, body) VALUES "
      "('forums/standing/sessions/first', '{\"display_name\":\"First\","
      "\"start_date\":{\"year\":2023}}')");
  const std::string editor =
      absl::StrCat("Bearer ", Token(R"(["editor"])", "bob"));
  const std::string admin =
      absl::StrCat("Bearer ", Token(R"(["admin"])", "carol"));
  ASSERT_TRUE(Delete(admin, /*force=*/true).ok());
  const auto undelete = [&](const std::string& authorization) {
    v1::UndeleteForumRequest request;
    request.set_name("forums/standing");
    v1::Forum forum;
    return forums_->UndeleteForum(Context(authorization).get(), request,
                                  &forum);
  };
  const std::string before = db_->WriteState();
  const grpc::Status reader =
      undelete(absl::StrCat("Bearer ", Token(R"(["reader"])")));
  EXPECT_EQ(reader.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << Describe(reader);
  EXPECT_THAT(reader.error_message(),
              HasSubstr("UndeleteForum needs the editor role"));
  const grpc::Status by_editor = undelete(editor);
  EXPECT_EQ(by_editor.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << Describe(by_editor);
  EXPECT_THAT(by_editor.error_message(),
              HasSubstr("forums/standing was deleted with force, with 1 "
                        "records of its own (forums/standing/sessions/first)"));
  EXPECT_EQ(db_->WriteState(), before);
  const grpc::Status by_admin = undelete(admin);
  ASSERT_TRUE(by_admin.ok()) << Describe(by_admin);
  EXPECT_EQ(db_->Count("sessions"), 1);
  EXPECT_EQ(db_->Query("SELECT string_agg(actor, ',') FROM changes WHERE "
                       "sequence > (SELECT max(sequence) FROM changes WHERE "
                       "operation = 'DELETE')"),
            "carol,carol");
  // Nor one of the records a forced delete took, one at a time, under the
  // forum created again.
  ASSERT_TRUE(Delete(admin, /*force=*/true).ok());
  db_->Execute(
      "INSERT INTO forums (name, body) VALUES ('forums/standing', "
      "'{\"kind\":\"FORUM_KIND_SUMMIT\",\"display_name\":\"Again\"}')");
  auto sessions = v1::SessionService::NewStub(server_->Channel());
  v1::UndeleteSessionRequest session_request;
  session_request.set_name("forums/standing/sessions/first");
  v1::Session session;
  const std::string again = db_->WriteState();
  const grpc::Status child = sessions->UndeleteSession(
      Context(editor).get(), session_request, &session);
  EXPECT_EQ(child.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << Describe(child);
  EXPECT_THAT(child.error_message(),
              HasSubstr("was deleted with forums/standing by a forced "
                        "delete; restoring it needs the role a forced delete "
                        "needs (admin)"));
  EXPECT_EQ(db_->WriteState(), again);
  EXPECT_TRUE(
      sessions->UndeleteSession(Context(admin).get(), session_request, &session)
          .ok());
  // Without force, an editor restores what an editor deleted.
  db_->Execute("DELETE FROM sessions");
  db_->Execute("DELETE FROM forums");
  ASSERT_TRUE(undelete(admin).ok());
  db_->Execute("DELETE FROM sessions");
  ASSERT_TRUE(Delete(editor, /*force=*/false).ok());
  EXPECT_TRUE(undelete(editor).ok());
  EXPECT_EQ(db_->Count("forums"), 1);
}

TEST_F(AuthTest, AnEditorWritesAndTheChangeLogNamesTheCaller) {
  StartServer();
  const grpc::Status status =
      Create(absl::StrCat("Bearer ", Token(R"(["editor"])", "dana")));
  EXPECT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(db_->Count("forums"), 2);
  auto changes = v1::ChangeService::NewStub(server_->Channel());
  v1::ListChangesRequest request;
  request.set_filter("resource = \"forums/created\"");
  v1::ListChangesResponse response;
  ASSERT_TRUE(
      changes
          ->ListChanges(
              Context(absl::StrCat("Bearer ", Token(R"(["reader"])"))).get(),
              request, &response)
          .ok());
  ASSERT_EQ(response.changes_size(), 1);
  EXPECT_EQ(response.changes(0).actor(), "dana");
  EXPECT_THAT(server_->Output(),
              HasSubstr("\"event\":\"write\",\"method\":\"CreateForum\","
                        "\"resource\":\"forums/created\",\"caller\":"
                        "\"dana\",\"role\":\"editor\""))
      << "the audit log names the caller of every write";
  EXPECT_EQ(db_->Query("SELECT actor FROM changes WHERE resource = "
                       "'forums/standing'"),
            "")
      << "a change made outside the API names nobody";
}

TEST_F(AuthTest, AnonymousReadsWhenAllowedButNeverWrites) {
  StartServer({"--allow-anonymous-reads"});
  EXPECT_TRUE(Get("").ok());
  {
    auto changes = v1::ChangeService::NewStub(server_->Channel());
    v1::ListChangesRequest request;
    v1::ListChangesResponse response;
    EXPECT_TRUE(
        changes->ListChanges(Context("").get(), request, &response).ok());
  }
  const std::string before = db_->WriteState();
  EXPECT_EQ(Create("").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(db_->WriteState(), before);
}

// Who made a change, and its request id, as `caller` sees them when
// `writer` creates forums/`id` with a request id: through ListChanges, a
// watch that catches up from the database, and a live watch (each
// "actor/request-id" of the change, empty where cleared; "refused: CODE"
// if a call fails).
struct SeenActors {
  std::string listed;
  std::string caught_up;
  std::string live;
};

SeenActors ActorsSeenBy(ServerProcess& server, const std::string& caller,
                        const std::string& writer, const std::string& id) {
  const std::string name = absl::StrCat("forums/", id);
  const std::string request_id = forum_registry::testing::RandomUuid();
  auto changes = v1::ChangeService::NewStub(server.Channel());
  const auto context = [&] {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(20));
    if (!caller.empty()) context->AddMetadata("authorization", caller);
    return context;
  };
  const auto seen = [&](const v1::Change& change) {
    return absl::StrCat(change.actor(), "/",
                        change.request_id().empty()         ? ""
                        : change.request_id() == request_id ? "request-id"
                                                            : "another id");
  };
  // Reads `stream` until the change of forums/`id`.
  const auto read_until_created =
      [&](grpc::ClientReader<v1::WatchChangesResponse>& stream) {
        v1::WatchChangesResponse response;
        while (stream.Read(&response)) {
          for (const v1::Change& change : response.changes()) {
            if (change.resource() == name) return seen(change);
          }
        }
        return std::string("ended");
      };
  SeenActors out;
  // Live: a watch from now, open before the write.
  auto live_context = context();
  v1::WatchChangesRequest from_now;
  auto live = changes->WatchChanges(live_context.get(), from_now);
  v1::WatchChangesResponse first;
  if (!live->Read(&first)) {
    out.live = absl::StrCat("refused: ", live->Finish().error_code());
    return out;
  }
  const int64_t before = first.revision();
  {
    grpc::ClientContext write;
    write.AddMetadata("authorization", writer);
    v1::CreateForumRequest request;
    request.set_forum_id(id);
    request.set_request_id(request_id);
    request.mutable_forum()->set_kind(v1::FORUM_KIND_SUMMIT);
    request.mutable_forum()->set_display_name("Created");
    v1::Forum forum;
    const grpc::Status status = v1::ForumService::NewStub(server.Channel())
                                    ->CreateForum(&write, request, &forum);
    if (!status.ok()) {
      out.listed = absl::StrCat("write refused: ", Describe(status));
      return out;
    }
  }
  out.live = read_until_created(*live);
  live_context->TryCancel();
  live->Finish();
  // Catching up: from the revision before the write.
  {
    auto catch_up_context = context();
    v1::WatchChangesRequest after;
    after.set_after_revision(before);
    auto stream = changes->WatchChanges(catch_up_context.get(), after);
    out.caught_up = read_until_created(*stream);
    catch_up_context->TryCancel();
    stream->Finish();
  }
  v1::ListChangesRequest request;
  request.set_filter(absl::StrCat("resource = \"", name, "\""));
  v1::ListChangesResponse response;
  const grpc::Status listed =
      changes->ListChanges(context().get(), request, &response);
  out.listed = !listed.ok() ? absl::StrCat("refused: ", listed.error_code())
               : response.changes_size() != 1
                   ? absl::StrCat(response.changes_size(), " changes")
                   : seen(response.changes(0));
  return out;
}

constexpr char kSeenByAll[] = "dana/request-id";

// Who changed what is for callers with credentials: an anonymous reader
// (--allow-anonymous-reads) gets each change without its actor and request
// id, in ListChanges and in both ways a watch reads changes; a reader with
// a token gets both.
TEST_F(AuthTest, AnonymousReadersDoNotSeeWhoMadeAChange) {
  StartServer({"--allow-anonymous-reads"});
  const std::string editor =
      absl::StrCat("Bearer ", Token(R"(["editor"])", "dana"));
  const SeenActors anonymous = ActorsSeenBy(*server_, "", editor, "seen-a");
  EXPECT_EQ(anonymous.listed, "/");
  EXPECT_EQ(anonymous.caught_up, "/");
  EXPECT_EQ(anonymous.live, "/");
  const SeenActors reader =
      ActorsSeenBy(*server_, absl::StrCat("Bearer ", Token(R"(["reader"])")),
                   editor, "seen-b");
  EXPECT_EQ(reader.listed, kSeenByAll);
  EXPECT_EQ(reader.caught_up, kSeenByAll);
  EXPECT_EQ(reader.live, kSeenByAll);
}

// --show-actors-to-anonymous: the operator's choice to show them to all.
TEST_F(AuthTest, ShowActorsToAnonymousShowsThemToAnonymousReaders) {
  StartServer({"--allow-anonymous-reads", "--show-actors-to-anonymous"});
  const SeenActors anonymous = ActorsSeenBy(
      *server_, "", absl::StrCat("Bearer ", Token(R"(["editor"])", "dana")),
      "seen-c");
  EXPECT_EQ(anonymous.listed, kSeenByAll);
  EXPECT_EQ(anonymous.caught_up, kSeenByAll);
  EXPECT_EQ(anonymous.live, kSeenByAll);
}

TEST_F(AuthTest, ReadOnlyRefusesEveryWriteWhateverTheRole) {
  StartServer({"--read-only"});
  const std::string admin = absl::StrCat("Bearer ", Token(R"(["admin"])"));
  const std::string before = db_->WriteState();
  const grpc::Status create = Create(admin);
  EXPECT_EQ(create.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << Describe(create);
  EXPECT_THAT(create.error_message(), HasSubstr("read-only"));
  EXPECT_EQ(Delete(admin, /*force=*/true).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(db_->WriteState(), before);
  EXPECT_TRUE(Get(admin).ok());
}

TEST_F(AuthTest, HealthAndTheChangeFeedFollowTheRules) {
  StartServer();
  // Probes and grpcurl need no credentials.
  EXPECT_EQ(HealthStatus(server_->Channel(), ""), "SERVING");
  auto changes = v1::ChangeService::NewStub(server_->Channel());
  {
    v1::ListChangesRequest request;
    v1::ListChangesResponse response;
    EXPECT_EQ(changes->ListChanges(Context("").get(), request, &response)
                  .error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    auto context = Context("");
    v1::WatchChangesRequest request;
    auto stream = changes->WatchChanges(context.get(), request);
    v1::WatchChangesResponse response;
    EXPECT_FALSE(stream->Read(&response));
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    auto context = Context(absl::StrCat("Bearer ", Token(R"(["reader"])")));
    v1::WatchChangesRequest request;
    auto stream = changes->WatchChanges(context.get(), request);
    v1::WatchChangesResponse response;
    EXPECT_TRUE(stream->Read(&response)) << "a reader's watch opens";
    context->TryCancel();
  }
}

// A watch's token is checked under admission, as every call's is: while the
// calls in flight are at their bound, a watch is refused as busy whatever
// its token, and its token is checked once it is admitted.
TEST_F(AuthTest, AWatchsTokenIsCheckedUnderAdmission) {
  StartServer({"--max-rpcs-in-flight=3", "--record-cache-size=0"});
  const std::string reader = absl::StrCat("Bearer ", Token(R"(["reader"])"));
  const std::string stranger = absl::StrCat(
      "Bearer ", SignedToken(TokenSpec(), NewRsaKeyPair().private_pem));
  auto changes = v1::ChangeService::NewStub(server_->Channel());
  // Ends once the first message came, or with the status.
  const auto watch = [&](const std::string& authorization) {
    auto context = Context(authorization);
    context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    v1::WatchChangesRequest request;
    auto stream = changes->WatchChanges(context.get(), request);
    v1::WatchChangesResponse response;
    if (stream->Read(&response)) {
      context->TryCancel();
      stream->Finish().IgnoreError();
      return grpc::Status::OK;
    }
    return stream->Finish();
  };
  pqxx::connection locker(db_->url());
  pqxx::work lock(locker);
  lock.exec("LOCK TABLE forums IN ACCESS EXCLUSIVE MODE");
  std::vector<std::future<grpc::Status>> blocked;
  for (int i = 0; i < 3; ++i) {
    blocked.push_back(
        std::async(std::launch::async, [&] { return Get(reader); }));
  }
  ASSERT_TRUE(WaitFor([&] { return db_->LockWaiters() == 3; },
                      absl::Seconds(10), "three Gets waiting for the lock"));
  for (const std::string& authorization : {stranger, reader}) {
    const grpc::Status busy = watch(authorization);
    EXPECT_EQ(busy.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << Describe(busy);
    EXPECT_THAT(busy.error_message(), HasSubstr("calls are in flight"));
  }
  lock.abort();
  for (auto& call : blocked) EXPECT_TRUE(call.get().ok());
  const grpc::Status refused = watch(stranger);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << Describe(refused);
  EXPECT_THAT(refused.error_message(), HasSubstr("matches none"));
  const grpc::Status opened = watch(reader);
  EXPECT_TRUE(opened.ok()) << Describe(opened);
}

// The identity provider rotates its keys: the JWK Set file is replaced
// under the running server by a set with a new key (and an Ed25519 key,
// which it skips). A token of the new key passes once the file is read
// again, one of the old key no longer does; a file that then stops reading
// keeps the keys. RFC 9068 access tokens (typ at+jwt) pass; an expiry
// beyond 64 bits does not.
TEST_F(AuthTest, KeysRotateUnderARunningServer) {
  const KeyPair old_key = NewRsaKeyPair();
  const KeyPair new_key = NewRsaKeyPair();
  char dir_template[] = "/tmp/fr-jwks-XXXXXX";
  const std::string dir = mkdtemp(dir_template);
  const std::string keys = dir + "/jwks.json";
  // Replaced as Kubernetes replaces a mounted ConfigMap: whole, at once.
  const auto publish = [&](const std::string& text) {
    std::ofstream(keys + ".next") << text;
    std::filesystem::rename(keys + ".next", keys);
  };
  const auto set_of = [](const std::vector<std::string>& jwks) {
    std::string set = "{\"keys\":[";
    for (size_t i = 0; i < jwks.size(); ++i) {
      absl::StrAppend(&set, i == 0 ? "" : ",", jwks[i]);
    }
    return absl::StrCat(set, "]}");
  };
  publish(set_of({OkpJwk("ed-1"), JwkOf(old_key.public_pem, "old")}));
  StartServer({"--jwt-refresh-interval=1s"}, keys);
  EXPECT_THAT(server_->Output(),
              HasSubstr("\"event\":\"jwt_key_skipped\",\"file\":\"" + keys +
                        "\",\"key\":1,\"kid\":\"ed-1\",\"kty\":\"OKP\""))
      << "a key it cannot use is named, and the server starts";
  const auto metric = [&](const std::string& series) {
    return MetricSample(HttpGet(server_->MetricsPort(), "/metrics"), series);
  };
  EXPECT_EQ(metric("forum_registry_jwt_keys"), 1);
  EXPECT_EQ(metric("forum_registry_jwt_keys_skipped"), 1);

  TokenSpec spec;
  spec.issuer = kIssuer;
  spec.audience = kAudience;
  spec.subject = "rotating";
  spec.roles_json = R"(["editor"])";
  const auto token = [&](const KeyPair& key, const std::string& kid) {
    return absl::StrCat(
        "Bearer ",
        SignedJws(absl::StrCat(R"({"alg":"RS256","typ":"at+jwt","kid":")", kid,
                               R"("})"),
                  ClaimsJson(spec), key.private_pem));
  };
  const std::string old_token = token(old_key, "old");
  const std::string new_token = token(new_key, "new");
  EXPECT_TRUE(Get(old_token).ok()) << "an at+jwt token passes";
  const grpc::Status early = Get(new_token);
  EXPECT_EQ(early.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(early.error_message(),
              HasSubstr("no configured key has its key id (kid) \"new\""));

  publish(set_of({OkpJwk("ed-2"), JwkOf(new_key.public_pem, "new")}));
  EXPECT_TRUE(WaitFor([&] { return Get(new_token).ok(); }, absl::Seconds(30),
                      "a token of the new key to pass"));
  const grpc::Status old_after = Get(old_token);
  EXPECT_EQ(old_after.error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << Describe(old_after);
  EXPECT_THAT(old_after.error_message(), HasSubstr("(kid) \"old\""));
  EXPECT_EQ(metric("forum_registry_jwt_key_reloads_total{result=\"loaded\"}"),
            1);
  EXPECT_THAT(server_->Output(), HasSubstr("\"kid\":\"ed-2\",\"kty\":\"OKP\""));

  // A file that no longer reads: the keys it gave are kept, and it is said.
  publish("{\"keys\": [");
  EXPECT_TRUE(WaitFor(
      [&] {
        return metric(
                   "forum_registry_jwt_key_reloads_total{result=\"failed\"}") >=
               1;
      },
      absl::Seconds(30), "the failed reload to be counted"));
  EXPECT_THAT(server_->Output(),
              HasSubstr("\"event\":\"jwt_keys_reload_failed\""));
  EXPECT_TRUE(Get(new_token).ok()) << "the keys are kept";
  const std::string before = db_->WriteState();
  EXPECT_TRUE(Create(new_token).ok());
  EXPECT_NE(db_->WriteState(), before);

  // An expiry beyond 64 bits is refused, naming it, and writes nothing.
  const std::string after_create = db_->WriteState();
  std::string claims = ClaimsJson(spec);
  claims.replace(claims.find("\"exp\":"), std::string::npos, "\"exp\":1e300}");
  const grpc::Status far =
      Create(absl::StrCat("Bearer ", SignedJws(R"({"alg":"RS256","kid":"new"})",
                                               claims, new_key.private_pem)));
  EXPECT_EQ(far.error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << Describe(far);
  EXPECT_THAT(far.error_message(),
              HasSubstr("the expiry (exp) is out of range"));
  EXPECT_EQ(db_->WriteState(), after_create);
  std::filesystem::remove_all(dir);
}

TEST_F(AuthTest, SearchAndLookupNeedAReader) {
  StartServer();
  auto search = v1::SearchService::NewStub(server_->Channel());
  const std::string reader = absl::StrCat("Bearer ", Token(R"(["reader"])"));
  v1::SearchRequest request;
  request.set_query("standing");
  v1::SearchResponse response;
  const grpc::Status anonymous =
      search->Search(Context("").get(), request, &response);
  EXPECT_EQ(anonymous.error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << Describe(anonymous);
  const grpc::Status read =
      search->Search(Context(reader).get(), request, &response);
  EXPECT_TRUE(read.ok()) << Describe(read);
  v1::LookupExternalIdRequest lookup;
  lookup.set_external_id("wikidata:Q1");
  v1::LookupExternalIdResponse found;
  EXPECT_EQ(
      search->LookupExternalId(Context("").get(), lookup, &found).error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(
      search->LookupExternalId(Context(reader).get(), lookup, &found).ok());
}

// docs/security.md's recipe: script/issue-token signs a token the server
// accepts.
TEST_F(AuthTest, ATokenFromScriptIssueTokenIsAccepted) {
  StartServer();
  const std::string key = WriteTempFile(".key", key_->private_pem);
  const auto issued = forum_registry::testing::RunCommand(
      {absl::StrCat(forum_registry::testing::SourceDir(),
                    "/script/issue-token"),
       key, kIssuer, kAudience, "erin", "editor"});
  std::remove(key.c_str());
  ASSERT_EQ(issued.exit_code, 0) << issued.error;
  std::string token = issued.output;
  while (!token.empty() && token.back() == '\n') token.pop_back();
  const grpc::Status status = Create(absl::StrCat("Bearer ", token));
  EXPECT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(db_->Query("SELECT actor FROM changes WHERE resource = "
                       "'forums/created'"),
            "erin");
}

TEST(AuthFlags, TheServerRefusesToStartWithNoWayToKnowCallers) {
  const auto result = forum_registry::testing::RunCommand(
      {forum_registry::testing::BinaryPath(), "serve",
       "--database-url=postgresql:///nowhere"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.error, HasSubstr("--jwt-public-keys"));
  EXPECT_THAT(result.error, HasSubstr("--no-auth"));
}

// --no-auth fails closed (docs/security.md): every combination that would
// let it overrule a way to know callers, or open writes beyond loopback, is
// refused at start naming both flags, from the command line or the
// environment alike; each allowed one starts and says who may do what.
TEST(AuthFlags, NoAuthStartsAloneOnLoopbackOnly) {
  struct Refused {
    std::vector<std::string> flags;
    std::string message;
  };
  const std::vector<Refused> refused = {
      {{"--jwt-public-keys=/keys.pem"},
       "--no-auth cannot go with --jwt-public-keys"},
      {{"--jwt-issuer=https://issuer"},
       "--no-auth cannot go with --jwt-issuer"},
      {{"--jwt-audience=registry"}, "--no-auth cannot go with --jwt-audience"},
      {{"--jwt-roles-claim=groups"},
       "--no-auth cannot go with --jwt-roles-claim"},
      {{"--allow-anonymous-reads"},
       "--no-auth cannot go with --allow-anonymous-reads"},
      {{"--tls-cert=/cert.pem", "--tls-key=/key.pem"},
       "--no-auth cannot go with --tls-cert"},
      {{"--tls-cert=/cert.pem", "--tls-key=/key.pem",
        "--tls-client-ca=/ca.pem"},
       "--no-auth cannot go with --tls-client-ca"},
      {{"--tls-client-role=admin"},
       "--no-auth cannot go with --tls-client-role"},
      {{"--listen-address=0.0.0.0:0"},
       "--no-auth on --listen-address \"0.0.0.0:0\", which is not loopback"},
      {{"--listen-address=", "--edge-address=127.0.0.1:0"},
       "--no-auth with --edge-address"},
  };
  for (const Refused& refusal : refused) {
    std::vector<std::string> argv = {
        forum_registry::testing::BinaryPath(), "serve",
        "--database-url=postgresql:///nowhere", "--listen-address=127.0.0.1:0",
        "--no-auth"};
    argv.insert(argv.end(), refusal.flags.begin(), refusal.flags.end());
    const auto result = forum_registry::testing::RunCommand(argv);
    EXPECT_EQ(result.exit_code, 2) << absl::StrJoin(refusal.flags, " ");
    EXPECT_THAT(result.error, HasSubstr(refusal.message))
        << absl::StrJoin(refusal.flags, " ");
  }
  {
    // A stray variable in a pod's environment is refused the same way.
    const auto result = forum_registry::testing::RunCommand(
        {"/usr/bin/env", "FORUM_REGISTRY_NO_AUTH=true",
         "FORUM_REGISTRY_JWT_PUBLIC_KEYS=/keys.pem",
         forum_registry::testing::BinaryPath(), "serve",
         "--database-url=postgresql:///nowhere"});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_THAT(result.error,
                HasSubstr("--no-auth cannot go with --jwt-public-keys"));
  }
  {
    const auto result = forum_registry::testing::RunCommand(
        {forum_registry::testing::BinaryPath(), "serve",
         "--database-url=postgresql:///nowhere", "--allow-anonymous-reads",
         "--no-auth-beyond-loopback"});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_THAT(result.error, HasSubstr("goes with --no-auth only"));
  }

  auto db = TestDatabase::Create();
  const auto starts = [&](const std::vector<std::string>& flags,
                          const std::string& callers) {
    auto server = ServerProcess::Start(db->url(), flags);
    EXPECT_EQ(HealthStatus(server->Channel()), "SERVING")
        << absl::StrJoin(flags, " ");
    EXPECT_THAT(server->Output(), HasSubstr("\"event\":\"callers\""));
    EXPECT_THAT(server->Output(), HasSubstr(callers)) << server->Output();
  };
  starts({"--no-auth"},
         "every caller may do everything (--no-auth), on "
         "loopback only");
  starts({"--no-auth", "--read-only"}, "on loopback only");
  starts(
      {"--no-auth", "--listen-address=0.0.0.0:0", "--no-auth-beyond-loopback"},
      "beyond loopback (--no-auth-beyond-loopback)");
  starts({"--allow-anonymous-reads"},
         "callers without credentials: reads only");
}

// A JWK Set with no key the server can use stops its start (exit 2), saying
// why of each key; one unusable key among usable ones does not.
TEST(AuthFlags, AKeySetWithNoUsableKeyStopsTheStart) {
  const std::string keys = WriteTempFile(
      ".json", absl::StrCat("{\"keys\":[", OkpJwk("ed-only"), "]}"));
  const auto result = forum_registry::testing::RunCommand(
      {forum_registry::testing::BinaryPath(), "serve",
       "--database-url=postgresql:///nowhere",
       absl::StrCat("--jwt-public-keys=", keys), "--jwt-issuer=i",
       "--jwt-audience=a"});
  std::remove(keys.c_str());
  EXPECT_EQ(result.exit_code, 2) << result.output << result.error;
  const std::string said = result.output + result.error;
  EXPECT_THAT(said, HasSubstr("--jwt-public-keys: " + keys));
  EXPECT_THAT(said, HasSubstr("no signing key"));
  EXPECT_THAT(said, HasSubstr("a key of type \\\"OKP\\\""));
}

TEST(AuthFlags, ShowActorsToAnonymousNeedsAnonymousReads) {
  const auto result = forum_registry::testing::RunCommand(
      {forum_registry::testing::BinaryPath(), "serve",
       "--database-url=postgresql:///nowhere", "--no-auth",
       "--listen-address=127.0.0.1:0", "--show-actors-to-anonymous"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.error, HasSubstr("--show-actors-to-anonymous needs "
                                      "--allow-anonymous-reads"));
}

// `url` (postgresql:///db?host=...&user=...) as `role`.
std::string AsRole(const std::string& url, const std::string& role) {
  const size_t at = url.find("user=");
  if (at == std::string::npos) return absl::StrCat(url, "&user=", role);
  const size_t end = url.find('&', at);
  return absl::StrCat(url.substr(0, at), "user=", role,
                      end == std::string::npos ? "" : url.substr(end));
}

constexpr char kServingRole[] = "forum_registry_serving_test";

// Creates the serving role if the cluster lacks it (roles are the
// cluster's), lets `migrate --serving-role` grant it what it grants on
// `db`, and returns `db`'s URL as that role.
std::string GrantServingRole(const TestDatabase& db) {
  db.Execute(absl::StrCat("DO $$ BEGIN CREATE ROLE ", kServingRole,
                          " LOGIN; EXCEPTION WHEN duplicate_object THEN "
                          "NULL; END $$"));
  const auto granted = forum_registry::testing::RunCommand(
      {forum_registry::testing::BinaryPath(), "migrate",
       absl::StrCat("--database-url=", db.url()),
       absl::StrCat("--serving-role=", kServingRole)});
  EXPECT_EQ(granted.exit_code, 0) << granted.output << granted.error;
  return AsRole(db.url(), kServingRole);
}

// The SQLSTATE `sql` ends with on `connection` ("(none)" if it succeeds).
std::string SqlState(PGconn* connection, const std::string& sql) {
  PGresult* result = PQexec(connection, sql.c_str());
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  std::string out = state == nullptr ? "(none)" : state;
  if (state != nullptr) {
    absl::StrAppend(&out, " (", PQresultErrorMessage(result), ")");
  }
  PQclear(result);
  return out;
}

// serve connects as a role that `migrate --serving-role` let read and write
// rows: it serves reads and writes, and cannot change the schema.
TEST(LeastPrivilege, TheServingRoleWritesRowsButCannotChangeTheSchema) {
  auto db = TestDatabase::Create();
  const std::string serving_url = GrantServingRole(*db);
  {
    // libpq directly, for the SQLSTATE of each refusal.
    PGconn* connection = PQconnectdb(serving_url.c_str());
    ASSERT_EQ(PQstatus(connection), CONNECTION_OK)
        << PQerrorMessage(connection);
    for (const char* ddl :
         {"DROP TABLE forums", "ALTER TABLE forums ADD COLUMN x int",
          "CREATE TABLE mine (x int)", "DELETE FROM schema_migrations"}) {
      EXPECT_THAT(SqlState(connection, ddl), ::testing::StartsWith("42501"))
          << ddl;
    }
    PQfinish(connection);
  }
  // The seed Job runs as the serving role too: an import needs rows (and a
  // temporary staging table), not the schema.
  const auto seeded = forum_registry::testing::RunCommand(
      {forum_registry::testing::BinaryPath(), "import",
       absl::StrCat("--database-url=", serving_url),
       forum_registry::testing::SeedPath()});
  ASSERT_EQ(seeded.exit_code, 0) << seeded.output << seeded.error;
  const int64_t seeded_changes = db->Count("changes");
  EXPECT_GT(db->Count("forums"), 0);
  auto server = ServerProcess::Start(serving_url, {"--no-auth"});
  grpc::ClientContext context;
  v1::CreateForumRequest request;
  request.set_forum_id("least");
  request.mutable_forum()->set_kind(v1::FORUM_KIND_SUMMIT);
  request.mutable_forum()->set_display_name("Least privilege");
  v1::Forum forum;
  const grpc::Status status = v1::ForumService::NewStub(server->Channel())
                                  ->CreateForum(&context, request, &forum);
  EXPECT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(db->Count("changes"), seeded_changes + 1)
      << "its change row was written too";
}

// The audit log is append-only to the serving role (migrations/0013):
// leaked serving credentials can neither rewrite who changed what nor erase
// it, nor replace the page-token key. Each refusal, and that nothing
// changed.
TEST(LeastPrivilege, TheServingRoleCannotRewriteTheAuditLogOrTheKeys) {
  auto db = TestDatabase::Create();
  const std::string serving_url = GrantServingRole(*db);
  db->Execute(
      "INSERT INTO participants (name, body) VALUES ('participants/p', "
      "'{\"kind\": \"PARTICIPANT_KIND_STATE\", \"display_name\": \"P\"}')");
  db->Execute(
      "UPDATE changes SET change_time = now() - interval '400 days', "
      "actor = 'dana'");
  db->Execute(
      "INSERT INTO write_requests (request_id, fingerprint, method, "
      "resource, response, create_time) VALUES "
      "('00000000-0000-4000-8000-000000000001', decode(repeat('ab', 32), "
      "'hex'), 'CreateForum', 'forums/f', '\\x01', now() - interval '400 "
      "days')");
  const auto audit_state = [&] {
    return db->Query(
        "SELECT concat_ws(' | ', (SELECT string_agg(concat_ws(',', sequence, "
        "resource, actor, change_time, transaction, body::text), ';') FROM "
        "changes), (SELECT string_agg(concat_ws(',', request_id, "
        "encode(response, 'hex'), create_time, transaction), ';') FROM "
        "write_requests), (SELECT string_agg(encode(key, 'hex'), ';') FROM "
        "server_keys), (SELECT concat_ws(',', changes, write_requests) FROM "
        "retention_floor))");
  };
  const std::string before = audit_state();

  PGconn* connection = PQconnectdb(serving_url.c_str());
  ASSERT_EQ(PQstatus(connection), CONNECTION_OK) << PQerrorMessage(connection);
  for (const char* sql : {
           "UPDATE changes SET actor = 'mallory'",
           "DELETE FROM changes",
           "TRUNCATE changes",
           // A change no write made, at a time of the role's choosing.
           "INSERT INTO changes (resource, operation, version, actor, "
           "change_time) VALUES ('forums/f', 'CREATE', 1, 'dana', "
           "'2001-01-01')",
           "SELECT setval('changes_sequence_seq', 1)",
           "UPDATE write_requests SET response = '\\x02'",
           "DELETE FROM write_requests",
           "TRUNCATE write_requests",
           // An answer stored ahead of the write it would answer.
           "INSERT INTO write_requests (request_id, fingerprint, method, "
           "resource, response) VALUES "
           "('00000000-0000-4000-8000-000000000002', decode(repeat('ab', "
           "32), 'hex'), 'CreateForum', 'forums/g', '\\x02')",
           "UPDATE server_keys SET key = decode(repeat('00', 32), 'hex')",
           // The log's horizon: moved back, reads would trust a compacted
           // log; forward, they would refuse a whole one.
           "UPDATE change_horizon SET revision = 0, history_from = 0",
           "DELETE FROM change_horizon",
           "TRUNCATE change_horizon",
           "DELETE FROM server_keys",
           "TRUNCATE server_keys",
           "INSERT INTO server_keys (name, key) VALUES ('page_token', "
           "decode(repeat('00', 32), 'hex')) ON CONFLICT (name) DO UPDATE "
           "SET key = excluded.key",
           "UPDATE retention_floor SET changes = interval '0'",
           // Stored bytes filled without a change logged: the owner's
           // alone (migrations/0016).
           "INSERT INTO stored_bytes_fills DEFAULT VALUES",
           "SELECT fill_stored_bytes('participants', '[]')",
           // A change staged that no write made, or one staged taken out
           // before its flush (migrations/0017).
           "INSERT INTO pending_changes (resource, operation, version) "
           "VALUES ('forums/f', 'CREATE', 1)",
           "INSERT INTO pending_change_flushes DEFAULT VALUES",
           "DELETE FROM pending_changes",
           "INSERT INTO pending_reference_syncs (table_name, name, updated) "
           "VALUES ('forums', 'forums/f', false)",
           "DELETE FROM pending_reference_syncs",
           "INSERT INTO pending_reference_checks DEFAULT VALUES",
       }) {
    EXPECT_THAT(SqlState(connection, sql), ::testing::StartsWith("42501"))
        << sql;
  }
  // What the functions allow is narrow: no purge shorter than the
  // database's floor, no answer for a request another transaction claimed.
  EXPECT_THAT(SqlState(connection, "SELECT purge_changes(interval '0', 1000)"),
              ::testing::StartsWith("22023"));
  EXPECT_THAT(
      SqlState(connection, "SELECT purge_write_requests(interval '0', 1000)"),
      ::testing::StartsWith("22023"));
  // An interval that compares as 30 days (a month counts 30 days) but,
  // subtracted from now, lands more than a year ahead (calendar months).
  for (const char* sql :
       {"SELECT purge_changes(interval '-1200 mons +36030 days', 1000)",
        "SELECT purge_write_requests(interval '-1200 mons +36030 days', "
        "1000)",
        "SELECT purge_changes(interval '-1 hour', 1000)",
        "SELECT purge_changes(NULL, 1000)"}) {
    EXPECT_THAT(SqlState(connection, sql), ::testing::StartsWith("22023"))
        << sql;
  }
  EXPECT_THAT(
      SqlState(connection, "SELECT purge_changes(interval '1 day', 1000000)"),
      ::testing::StartsWith("22023"))
      << "a batch has a bound";
  EXPECT_THAT(SqlState(connection,
                       "SELECT answer_write_request("
                       "'00000000-0000-4000-8000-000000000001', NULL)"),
              ::testing::StartsWith("22004"));
  EXPECT_THAT(SqlState(connection,
                       "SELECT answer_write_request("
                       "'00000000-0000-4000-8000-000000000001', '\\x02')"),
              ::testing::StartsWith("55000"));
  PQfinish(connection);
  EXPECT_EQ(audit_state(), before);

  // The functions are the serving role's alone, not everyone's (PUBLIC).
  db->Execute(
      "DO $$ BEGIN CREATE ROLE forum_registry_other_test LOGIN; EXCEPTION "
      "WHEN duplicate_object THEN NULL; END $$");
  PGconn* other =
      PQconnectdb(AsRole(db->url(), "forum_registry_other_test").c_str());
  ASSERT_EQ(PQstatus(other), CONNECTION_OK) << PQerrorMessage(other);
  for (const char* sql :
       {"SELECT purge_changes(interval '1 day', 1000)",
        "SELECT purge_write_requests(interval '1 day', 1000)",
        "SELECT answer_write_request('00000000-0000-4000-8000-000000000001', "
        "'\\x02')"}) {
    EXPECT_THAT(SqlState(other, sql), ::testing::StartsWith("42501")) << sql;
  }
  PQfinish(other);
  EXPECT_EQ(audit_state(), before);
  // Stored bytes the serving role sets itself are a change like any other:
  // logged (only the owner's fill is silent).
  const std::string changes = db->Query("SELECT count(*) FROM changes");
  connection = PQconnectdb(serving_url.c_str());
  ASSERT_EQ(PQstatus(connection), CONNECTION_OK) << PQerrorMessage(connection);
  EXPECT_EQ(SqlState(connection,
                     "UPDATE participants SET body_pb = '\\x0a01' WHERE "
                     "name = 'participants/p' AND body_pb IS NULL"),
            "(none)");
  PQfinish(connection);
  EXPECT_EQ(db->Query("SELECT count(*) FROM changes"),
            absl::StrCat(std::stoll(changes) + 1));
}

// What the server needs besides appending still works as the serving role:
// a write with a request id stores its answer, and its retry gets that
// answer; retention purges old changes and request ids, in batches.
TEST(LeastPrivilege, AServerAsTheServingRoleStoresAnswersAndPurges) {
  auto db = TestDatabase::Create();
  const std::string serving_url = GrantServingRole(*db);
  for (const char* id : {"a", "b", "c", "d", "e"}) {
    db->Execute(absl::StrCat(
        "INSERT INTO participants (name, body) VALUES ('participants/", id,
        "', '{\"kind\": \"PARTICIPANT_KIND_STATE\", \"display_name\": \"", id,
        "\"}')"));
  }
  // Created and deleted: compaction leaves nothing of them.
  db->Execute("DELETE FROM participants");
  db->Execute("UPDATE changes SET change_time = now() - interval '2 hours'");
  db->Execute(
      "INSERT INTO write_requests (request_id, fingerprint, method, "
      "resource, create_time) SELECT gen_random_uuid(), "
      "decode(repeat('ab', 32), 'hex'), 'CreateForum', 'forums/old', now() - "
      "interval '2 days' FROM generate_series(1, 5)");
  auto server = ServerProcess::Start(
      serving_url, {"--change-retention=1h", "--change-purge-interval=100ms",
                    "--change-purge-batch=2"});
  auto forums = v1::ForumService::NewStub(server->Channel());
  v1::CreateForumRequest request;
  request.set_forum_id("answered");
  request.mutable_forum()->set_kind(v1::FORUM_KIND_SUMMIT);
  request.mutable_forum()->set_display_name("Answered");
  request.set_request_id("6f9619ff-8b86-4011-b42d-00c04fc964ff");
  v1::Forum first;
  {
    grpc::ClientContext context;
    const grpc::Status status = forums->CreateForum(&context, request, &first);
    ASSERT_TRUE(status.ok()) << Describe(status);
  }
  EXPECT_EQ(db->Query("SELECT response IS NOT NULL AND octet_length(response) "
                      "> 0 FROM write_requests WHERE request_id = "
                      "'6f9619ff-8b86-4011-b42d-00c04fc964ff'"),
            "t")
      << "the answer is stored";
  {
    grpc::ClientContext context;
    v1::Forum again;
    const grpc::Status status = forums->CreateForum(&context, request, &again);
    ASSERT_TRUE(status.ok()) << Describe(status);
    EXPECT_EQ(again.etag(), first.etag());
    const auto& initial = context.GetServerInitialMetadata();
    const auto found = initial.find("x-forum-registry-replayed");
    ASSERT_NE(found, initial.end()) << "the retry is answered from the store";
    EXPECT_EQ(std::string(found->second.data(), found->second.size()), "true");
  }
  WaitFor(
      [&] {
        return db->Query(
                   "SELECT count(*) FROM changes WHERE change_time < "
                   "now() - interval '1 hour'") == "0" &&
               db->Query(
                   "SELECT count(*) FROM write_requests WHERE "
                   "create_time < now() - interval '1 day'") == "0";
      },
      absl::Seconds(10), "the purges");
  EXPECT_EQ(db->Query("SELECT string_agg(resource, ',') FROM changes"),
            "forums/answered");
  const std::string metrics =
      forum_registry::testing::HttpGet(server->MetricsPort(), "/metrics");
  EXPECT_EQ(forum_registry::testing::MetricSample(
                metrics, "forum_registry_changes_purged_total"),
            10);
  EXPECT_EQ(forum_registry::testing::MetricSample(
                metrics, "forum_registry_request_ids_purged_total"),
            5);
  EXPECT_GE(forum_registry::testing::MetricSample(
                metrics,
                "forum_registry_change_purge_batches_total{table=\"changes\"}"),
            3)
      << "five changes in batches of two";
  EXPECT_EQ(forum_registry::testing::MetricSample(
                metrics, "forum_registry_change_purge_failures_total"),
            0);
  EXPECT_THAT(server->Output(), Not(HasSubstr("purge_failed")));
}

}  // namespace
}  // namespace forum_registry
