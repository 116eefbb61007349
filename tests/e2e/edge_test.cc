// The edge (deploy/edge: HAProxy, Debian's) in front of the real server:
// calls, reflection and long watches pass it; TLS and mutual TLS end at it,
// the client's certificate and address reach the server as metadata the
// server believes from the edge alone; certificates rotate under it; header
// blocks that trip gRPC 1.51's known bugs stop at it; a drain still ends
// each watch naming the revision to resume from. Plain HTTP (the server's
// HTTP door) shares the edge's address with gRPC, under the same limits.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "forumregistry/v1/change.grpc.pb.h"
#include "forumregistry/v1/forum.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/support/test_support.h"

namespace forum_registry::testing {
namespace {

namespace v1 = ::forumregistry::v1;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPython[] = "/usr/bin/python3";  // Debian's, with python3-h2

// The registry's last change's actor, as ListChanges serves it.
std::string LastActor(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  v1::ListChangesRequest request;
  request.set_page_size(1000);
  v1::ListChangesResponse page;
  const grpc::Status status = v1::ChangeService::NewStub(channel)->ListChanges(
      &context, request, &page);
  if (!status.ok() || page.changes().empty())
    return "(" + Describe(status) + ")";
  return page.changes(page.changes_size() - 1).actor();
}

// A client certificate as the edge sends it: DER in base64.
std::string CertificateHeader(const std::string& pem_file) {
  const CommandResult der = RunCommand(
      {"/usr/bin/openssl", "x509", "-in", pem_file, "-outform", "DER"});
  return absl::Base64Escape(der.output);
}

// One HTTP/1.1 request on a connection of its own from `source` (one of
// loopback's many addresses); the whole answer, read until the edge closes
// the connection ("" if it could not connect).
std::string HttpFrom(const std::string& source, int port,
                     const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  inet_pton(AF_INET, source.c_str(), &address.sin_addr);
  std::string answer;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    address.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    const timeval timeout = {.tv_sec = 5, .tv_usec = 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) ==
            0 &&
        send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      ssize_t got;
      while ((got = recv(fd, buffer, sizeof(buffer), 0)) > 0) {
        answer.append(buffer, got);
      }
    }
  }
  close(fd);
  return answer;
}

// The server's log lines of calls of `method`.
std::vector<std::string> LogLinesOf(const std::string& log,
                                    const std::string& method) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (absl::StrContains(line, "\"event\":\"rpc\"") &&
        absl::StrContains(line, absl::StrCat("\"method\":\"", method))) {
      lines.emplace_back(line);
    }
  }
  return lines;
}

class EdgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/fr-edge-XXXXXX";
    dir_ = mkdtemp(dir);
    db_ = TestDatabase::Create();
  }
  void TearDown() override {
    edge_.reset();
    server_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string File(const std::string& name) const {
    return absl::StrCat(dir_, "/", name);
  }
  // The server behind the edge: gRPC and the HTTP door.
  void StartServer(std::vector<std::string> flags = {}) {
    flags.push_back("--edge-address=127.0.0.1:0");
    flags.push_back("--http-edge-address=127.0.0.1:0");
    server_ = ServerProcess::Start(db_->url(), flags);
    ASSERT_GT(server_->EdgePort(), 0) << server_->Output();
    ASSERT_GT(server_->HttpEdgePort(), 0) << server_->Output();
  }
  // An HTTP/1.1 client of the edge.
  httplib::Client Http() const {
    httplib::Client client("127.0.0.1", edge_->port());
    client.set_connection_timeout(5);
    client.set_read_timeout(5);
    return client;
  }
  std::shared_ptr<grpc::ChannelCredentials> Tls(const std::string& ca,
                                                bool client) const {
    return TlsCredentials(dir_, ca, client);
  }
  std::shared_ptr<grpc::Channel> ChannelTo(
      const std::string& address,
      std::shared_ptr<grpc::ChannelCredentials> credentials) const {
    return ChannelOfItsOwn(address, std::move(credentials));
  }
  // CreateForum with extra request metadata.
  static grpc::Status CreateWith(
      const std::shared_ptr<grpc::Channel>& channel, const std::string& id,
      const std::vector<std::pair<std::string, std::string>>& metadata = {}) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    for (const auto& [name, value] : metadata) context.AddMetadata(name, value);
    v1::CreateForumRequest request;
    request.set_forum_id(id);
    request.mutable_forum()->set_kind(v1::FORUM_KIND_SUMMIT);
    request.mutable_forum()->set_display_name(id);
    v1::Forum forum;
    return v1::ForumService::NewStub(channel)->CreateForum(&context, request,
                                                           &forum);
  }

  std::string dir_;
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<EdgeProcess> edge_;
};

TEST_F(EdgeTest, CallsAndReflectionPassAndTheServerNamesTheClient) {
  StartServer();
  edge_ = EdgeProcess::Start(*server_);
  const auto channel = edge_->Channel();
  ASSERT_TRUE(CreateForum(channel, "through-edge").ok());
  EXPECT_TRUE(GetForum(channel, "forums/through-edge", absl::Seconds(5)).ok());
  const grpc::Status missing =
      GetForum(channel, "forums/missing", absl::Seconds(5));
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND)
      << Describe(missing);
  EXPECT_THAT(missing.error_message(), HasSubstr("forums/missing"))
      << "the server's message passes unchanged";

  // Reflection: what a person with buf curl (or grpcurl) does first.
  const CommandResult listed =
      RunCommand({BufPath(), "curl", "--protocol", "grpc", "--list-services",
                  absl::StrCat("http://", edge_->address())});
  EXPECT_EQ(listed.exit_code, 0) << listed.error;
  EXPECT_THAT(listed.output, HasSubstr("forumregistry.v1.ForumService"));

  // The log names the client the edge saw, besides the edge's connection.
  EXPECT_THAT(server_->Output(), HasSubstr("\"client_address\":\"127.0.0.1\""));
}

TEST_F(EdgeTest, MutualTlsEndsAtTheEdgeAndNamesTheCallerInTheChangeLog) {
  MakeTlsFiles(dir_);
  // The edge finds the key beside the certificate (tls.crt, tls.key).
  std::filesystem::copy_file(File("server.pem"), File("tls.crt"));
  std::filesystem::copy_file(File("server.key"), File("tls.key"));
  StartServer({"--allow-anonymous-reads", "--tls-client-role=editor"});
  edge_ = EdgeProcess::Start(*server_,
                             {.tls_cert = File("tls.crt"),
                              .tls_key = File("tls.key"),
                              .tls_client_ca = File("ca.pem"),
                              .credentials = Tls("ca.pem", /*client=*/true)});
  const auto channel = edge_->Channel();
  const grpc::Status created = CreateWith(channel, "by-certificate");
  ASSERT_TRUE(created.ok()) << Describe(created);
  EXPECT_EQ(LastActor(channel), "spiffe://forum-registry.test/client");

  // Without a client certificate the handshake fails at the edge.
  const auto anonymous = ChannelTo(edge_->address(), Tls("ca.pem", false));
  EXPECT_FALSE(
      GetForum(anonymous, "forums/by-certificate", absl::Seconds(3)).ok());
}

// Over TLS, ALPN offers http/1.1 beside h2: a plain HTTP/1.1 write with a
// client certificate is the certificate's caller's, as a gRPC call is.
TEST_F(EdgeTest, HttpOverMutualTlsNamesTheCaller) {
  MakeTlsFiles(dir_);
  std::filesystem::copy_file(File("server.pem"), File("tls.crt"));
  std::filesystem::copy_file(File("server.key"), File("tls.key"));
  StartServer({"--allow-anonymous-reads", "--tls-client-role=editor"});
  edge_ = EdgeProcess::Start(*server_,
                             {.tls_cert = File("tls.crt"),
                              .tls_key = File("tls.key"),
                              .tls_client_ca = File("ca.pem"),
                              .credentials = Tls("ca.pem", /*client=*/true)});
  const std::string body =
      R"({"kind":"FORUM_KIND_SUMMIT","displayName":"by-certificate"})";
  const CommandResult written = RunCommand(
      {"/usr/bin/openssl", "s_client", "-quiet", "-verify_return_error",
       "-connect", edge_->address(), "-alpn", "http/1.1", "-CAfile",
       File("ca.pem"), "-cert", File("client.pem"), "-key", File("client.key")},
      absl::StrCat("POST /v1/forums?forum_id=tls-http HTTP/1.1\r\n"
                   "Host: registry\r\nContent-Type: application/json\r\n"
                   "Content-Length: ",
                   body.size(), "\r\nConnection: close\r\n\r\n", body));
  EXPECT_THAT(written.output, ::testing::StartsWith("HTTP/1.1 200"))
      << written.output << written.error;
  EXPECT_EQ(LastActor(edge_->Channel()), "spiffe://forum-registry.test/client");
}

TEST_F(EdgeTest, IdentityHeadersAreBelievedFromTheEdgeAlone) {
  MakeTlsFiles(dir_);
  StartServer({"--allow-anonymous-reads", "--tls-client-role=admin"});
  edge_ = EdgeProcess::Start(*server_);
  const std::vector<std::pair<std::string, std::string>> forged = {
      {"x-forum-registry-edge-client-cert",
       CertificateHeader(File("client.pem"))},
      {"x-forum-registry-edge-client-address", "203.0.113.7"}};
  const std::string before = db_->WriteState();

  // Sent straight to the server's client port: ignored, so the caller is
  // anonymous and may not write.
  const auto direct = server_->Channel();
  grpc::Status status = CreateWith(direct, "forged-direct", forged);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << Describe(status);
  // Sent through the edge: dropped there, then set from the connection
  // (plaintext: no certificate).
  status = CreateWith(edge_->Channel(), "forged-through-edge", forged);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << Describe(status);
  EXPECT_EQ(db_->WriteState(), before) << "nothing was written";
  EXPECT_THAT(server_->Output(), Not(HasSubstr("203.0.113.7")));
  EXPECT_THAT(server_->Output(),
              Not(HasSubstr("spiffe://forum-registry.test/client")));
}

TEST_F(EdgeTest, CertificatesRotateUnderARunningEdge) {
  MakeTlsFiles(dir_, "old");
  MakeTlsFiles(dir_, "new");
  std::filesystem::copy_file(File("old-server.pem"), File("tls.crt"));
  std::filesystem::copy_file(File("old-server.key"), File("tls.key"));
  StartServer();
  edge_ =
      EdgeProcess::Start(*server_, {.tls_cert = File("tls.crt"),
                                    .tls_key = File("tls.key"),
                                    .credentials = Tls("old-ca.pem", false)});
  const auto old_client = edge_->Channel();
  ASSERT_TRUE(CreateForum(old_client, "rotated").ok());
  EXPECT_FALSE(GetForum(ChannelTo(edge_->address(), Tls("new-ca.pem", false)),
                        "forums/rotated", absl::Seconds(3))
                   .ok())
      << "the new CA does not know the old certificate";

  // As cert-manager does: the files replaced in place.
  std::filesystem::copy_file(File("new-server.pem"), File("tls.crt"),
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(File("new-server.key"), File("tls.key"),
                             std::filesystem::copy_options::overwrite_existing);
  grpc::Status renewed = grpc::Status::CANCELLED;
  for (int i = 0; i < 100 && !renewed.ok(); ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    renewed = GetForum(ChannelTo(edge_->address(), Tls("new-ca.pem", false)),
                       "forums/rotated", absl::Seconds(3));
  }
  EXPECT_TRUE(renewed.ok()) << Describe(renewed) << "\n" << edge_->Output();
  // HAProxy serves the new certificate as soon as the push commits; the
  // edge's log line follows it.
  EXPECT_TRUE(WaitFor(
      [&] {
        return edge_->Output().find("edge_tls_reloaded") != std::string::npos;
      },
      absl::Seconds(5), "the edge logs the reload"))
      << edge_->Output();
  // The connection opened before the rotation goes on.
  EXPECT_TRUE(GetForum(old_client, "forums/rotated", absl::Seconds(3)).ok());
}

TEST_F(EdgeTest, WatchesOutliveTheEdgeTimeoutAndADrainNamesTheRevision) {
  StartServer({"--watch-bookmark-interval=500ms", "--drain-period=2s"});
  edge_ = EdgeProcess::Start(*server_, {.settings = {{"TIMEOUT", "2s"}}});
  const auto channel = edge_->Channel();
  ASSERT_TRUE(CreateForum(channel, "watched").ok());
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  v1::WatchChangesRequest request;
  request.set_after_revision(0);
  auto watch =
      v1::ChangeService::NewStub(channel)->WatchChanges(&context, request);
  v1::WatchChangesResponse message;
  // Bookmarks for three times the edge's silence timeout: the watch stays.
  const absl::Time until = absl::Now() + absl::Seconds(6);
  int bookmarks = 0;
  while (absl::Now() < until) {
    ASSERT_TRUE(watch->Read(&message)) << Describe(watch->Finish()) << "\n"
                                       << edge_->Output();
    ++bookmarks;
  }
  EXPECT_GE(bookmarks, 8);

  // The server drains: the watch ends, through the edge, naming where to
  // resume.
  kill(server_->pid(), SIGTERM);
  while (watch->Read(&message)) {
  }
  const grpc::Status ended = watch->Finish();
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::UNAVAILABLE)
      << Describe(ended);
  EXPECT_THAT(ended.error_message(), HasSubstr("after_revision="));
}

TEST_F(EdgeTest, HeaderBlocksThatTripGrpc151StopAtTheEdge) {
  StartServer();
  edge_ = EdgeProcess::Start(*server_);
  const auto channel = edge_->Channel();
  ASSERT_TRUE(CreateForum(channel, "steady").ok());
  const pid_t server_pid = server_->pid();

  // Another client, on a connection of its own, asks all along.
  std::atomic<bool> stop{false};
  std::atomic<int> gets{0}, failed{0};
  std::string first_failure;
  std::thread other([&] {
    const auto mine = edge_->Channel();
    while (!stop.load()) {
      const grpc::Status status =
          GetForum(mine, "forums/steady", absl::Seconds(2));
      ++gets;
      if (!status.ok() && failed++ == 0) first_failure = Describe(status);
      absl::SleepFor(absl::Milliseconds(20));
    }
  });
  const CommandResult result =
      RunCommand({kPython, SourceDir() + "/tests/e2e/malformed_headers.py",
                  "127.0.0.1", std::to_string(edge_->port()),
                  "/forumregistry.v1.ForumService/GetForum"});
  stop = true;
  other.join();
  ASSERT_EQ(result.exit_code, 0) << result.error;
  std::cout << result.output;
  std::map<std::string, std::string> outcomes;
  for (absl::string_view line :
       absl::StrSplit(result.output, '\n', absl::SkipEmpty())) {
    const std::pair<std::string, std::string> kv =
        absl::StrSplit(line, absl::MaxSplits(' ', 1));
    outcomes[kv.first] = kv.second;
  }
  ASSERT_EQ(outcomes.size(), 10u) << result.output;
  for (const auto& [name, outcome] : outcomes) {
    EXPECT_NE(outcome, "timeout") << name << ": every case gets an answer";
    EXPECT_NE(outcome, "grpc-status=13") << name << ": no INTERNAL";
  }
  // 40 KiB header blocks, a CONTINUATION flood and a table size past the
  // limit end the connection at the edge; a bad `te` ends its stream.
  for (const char* refused :
       {"te", "grpclb", "scheme", "continuation", "hpack_table", "te_alone"}) {
    EXPECT_THAT(outcomes[refused],
                ::testing::AnyOf(::testing::StartsWith("goaway="),
                                 ::testing::StartsWith("reset="),
                                 ::testing::StartsWith("closed")))
        << refused;
  }
  // grpclb_client_stats is dropped and `:scheme` written anew: the server
  // answers such a request as any other (an empty GetForum request is
  // INVALID_ARGUMENT), as it does under HPACK churn.
  for (const char* answered : {"grpclb_alone", "scheme_alone", "hpack_churn"}) {
    EXPECT_EQ(outcomes[answered], "grpc-status=3") << answered;
  }
  EXPECT_EQ(failed.load(), 0) << first_failure;
  EXPECT_GT(gets.load(), 10);
  // The server never saw a crash, and still answers.
  EXPECT_EQ(kill(server_pid, 0), 0) << "the server is running";
  EXPECT_TRUE(GetForum(channel, "forums/steady", absl::Seconds(5)).ok());
  EXPECT_TRUE(
      GetForum(server_->Channel(), "forums/steady", absl::Seconds(5)).ok());
}

// Loopback has many addresses: the attacker's calls come from 127.0.0.2 and
// 127.0.0.3, the honest client's from 127.0.0.1.
TEST_F(EdgeTest, PerClientLimitsRefuseOneAddressAndSpareTheOthers) {
  StartServer();
  edge_ = EdgeProcess::Start(
      *server_, {.settings = {{"MAX_REQUEST_RATE_PER_CLIENT", "20"},
                              {"MAX_CONNECTIONS_PER_CLIENT", "5"}}});
  const auto channel = edge_->Channel();
  ASSERT_TRUE(CreateForum(channel, "spared").ok());

  // 60 calls in a burst from one address: past 20 in 10 s they are refused
  // at the edge, with a gRPC status.
  CommandResult flood =
      RunCommand({kPython, SourceDir() + "/tests/e2e/request_flood.py",
                  "127.0.0.1", std::to_string(edge_->port()), "127.0.0.2",
                  "/forumregistry.v1.ForumService/GetForum", "60"});
  ASSERT_EQ(flood.exit_code, 0) << flood.error;
  int ok = 0, refused = 0, other = 0;
  ASSERT_EQ(std::sscanf(flood.output.c_str(), "ok=%d refused=%d other=%d", &ok,
                        &refused, &other),
            3)
      << flood.output;
  EXPECT_LE(ok, 21) << flood.output;
  EXPECT_GE(refused, 39) << flood.output;
  EXPECT_EQ(other, 0) << flood.output;

  // Ten connections held from another address: five are let in.
  CommandResult held = RunCommand(
      {kPython, SourceDir() + "/tests/e2e/hold_connections.py", "127.0.0.1",
       std::to_string(edge_->port()), "127.0.0.3", "10", "1"});
  ASSERT_EQ(held.exit_code, 0) << held.error;
  EXPECT_EQ(held.output, "open=5 closed=5\n");

  // The honest client, from its own address, is never refused.
  for (int i = 0; i < 15; ++i) {
    const grpc::Status status =
        GetForum(channel, "forums/spared", absl::Seconds(2));
    ASSERT_TRUE(status.ok()) << Describe(status);
  }
  // A client of its own past the rate sees the edge's status and message.
  grpc::Status refusal;
  for (int i = 0; i < 30 && refusal.ok(); ++i) {
    refusal = GetForum(channel, "forums/spared", absl::Seconds(2));
  }
  EXPECT_EQ(refusal.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << Describe(refusal);
  EXPECT_THAT(refusal.error_message(),
              HasSubstr("FORUM_REGISTRY_EDGE_MAX_REQUEST_RATE_PER_CLIENT"));
}

// The peers (the edge's side of each server connection) of the server's
// log lines for `method`, in order.
std::vector<std::string> PeersOf(const std::string& log,
                                 const std::string& method) {
  std::vector<std::string> peers;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (!absl::StrContains(line, method)) continue;
    const size_t at = line.find("\"peer\":\"");
    if (at == absl::string_view::npos) continue;
    const size_t start = at + 8;
    peers.emplace_back(line.substr(start, line.find('"', start) - start));
  }
  return peers;
}

// http-reuse never: the calls of one client connection go to server
// connections of its own, never shared with another client, so the
// server's per-connection bounds see one client each.
TEST_F(EdgeTest, EachClientConnectionHasServerConnectionsOfItsOwn) {
  StartServer();
  edge_ = EdgeProcess::Start(*server_);
  const auto first = edge_->Channel();
  const auto second = edge_->Channel();
  ASSERT_TRUE(CreateForum(first, "shared").ok());
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(GetForum(first, "forums/shared", absl::Seconds(2)).ok());
  }
  std::vector<std::string> peers =
      PeersOf(server_->Output(), "ForumService/GetForum");
  ASSERT_EQ(peers.size(), 10u);
  EXPECT_EQ(std::set<std::string>(peers.begin(), peers.end()).size(), 1u)
      << "one client connection, one server connection";
  const std::string first_peer = peers[0];
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(GetForum(second, "forums/shared", absl::Seconds(2)).ok());
  }
  peers = PeersOf(server_->Output(), "ForumService/GetForum");
  ASSERT_EQ(peers.size(), 20u);
  const std::set<std::string> later(peers.begin() + 10, peers.end());
  EXPECT_EQ(later.size(), 1u);
  EXPECT_FALSE(later.count(first_peer)) << "never the other client's";
}

// gRPC A9 at the edge: every FORUM_REGISTRY_EDGE_MAX_CONNECTION_AGE the
// edge reloads, and its old worker sends each client GOAWAY after its next
// answer. The client reconnects (here, to the same edge: a new server
// connection, seen as a new peer in the server's log). A call sent at the
// very moment an idle connection is closed can fail with UNAVAILABLE, which
// a client retries (seen once in about twenty recycles): never another
// code, and never more than a few.
TEST_F(EdgeTest, ClientConnectionsAreRecycled) {
  StartServer();
  edge_ = EdgeProcess::Start(*server_,
                             {.settings = {{"MAX_CONNECTION_AGE", "1"},
                                           {"CLOSE_SPREAD_TIME", "200ms"}}});
  const auto channel = edge_->Channel();
  ASSERT_TRUE(CreateForum(channel, "recycled").ok());
  int calls_made = 0, failed = 0;
  std::string other_failure;
  const absl::Time until = absl::Now() + absl::Seconds(4);
  while (absl::Now() < until) {
    const grpc::Status status =
        GetForum(channel, "forums/recycled", absl::Seconds(2));
    ++calls_made;
    if (!status.ok()) {
      ++failed;
      if (status.error_code() != grpc::StatusCode::UNAVAILABLE) {
        other_failure = Describe(status);
      }
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(other_failure, "");
  EXPECT_LE(failed * 10, calls_made)
      << failed << " of " << calls_made << " calls failed";
  const std::vector<std::string> calls =
      PeersOf(server_->Output(), "ForumService/GetForum");
  const std::set<std::string> peers(calls.begin(), calls.end());
  EXPECT_GE(peers.size(), 2u) << "the client never reconnected";
  EXPECT_THAT(edge_->Output(), HasSubstr("edge_connections_recycled"));
}

// One address for both: plain HTTP/1.1 reaches the server's HTTP door, gRPC
// (HTTP/2) its gRPC server, and the door's log lines name the client the
// edge saw, not the edge.
TEST_F(EdgeTest, HttpAndGrpcShareTheEdgesAddress) {
  StartServer();
  edge_ = EdgeProcess::Start(*server_);
  ASSERT_TRUE(CreateForum(edge_->Channel(), "over-http").ok());

  httplib::Client http = Http();
  const httplib::Result got = http.Get("/v1/forums/over-http");
  ASSERT_TRUE(got) << httplib::to_string(got.error());
  EXPECT_EQ(got->status, 200) << got->body;
  EXPECT_EQ(got->get_header_value("content-type"), "application/json");
  EXPECT_THAT(got->body, HasSubstr("\"name\":\"forums/over-http\""));
  const httplib::Result missing = http.Get("/v1/forums/missing");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_THAT(missing->body, HasSubstr("\"code\":5"));
  // Connect, on the same connection.
  const httplib::Result connect =
      http.Post("/forumregistry.v1.ForumService/GetForum",
                R"({"name":"forums/over-http"})", "application/json");
  ASSERT_TRUE(connect);
  EXPECT_EQ(connect->status, 200) << connect->body;
  EXPECT_THAT(connect->body, HasSubstr("\"displayName\":\"over-http\""));

  // From another of loopback's addresses: the server names that one.
  const std::string raw =
      HttpFrom("127.0.0.4", edge_->port(),
               "GET /v1/forums/over-http HTTP/1.1\r\nHost: registry\r\n"
               "Connection: close\r\n\r\n");
  EXPECT_THAT(raw, ::testing::StartsWith("HTTP/1.1 200")) << raw;

  const auto get_forum_lines = [&] {
    return LogLinesOf(server_->Output(),
                      "/forumregistry.v1.ForumService/GetForum");
  };
  // A call's line may follow its answer by a moment.
  WaitFor([&] { return get_forum_lines().size() >= 4; }, absl::Seconds(5),
          "four GetForum lines");
  std::vector<std::string> lines = get_forum_lines();
  ASSERT_EQ(lines.size(), 4u) << server_->Output();
  for (int i : {0, 1, 2}) {
    EXPECT_THAT(lines[i], HasSubstr("\"client_address\":\"127.0.0.1\""));
  }
  EXPECT_THAT(lines[3], HasSubstr("\"client_address\":\"127.0.0.4\""));

  // gRPC goes on, on the same address.
  EXPECT_TRUE(
      GetForum(edge_->Channel(), "forums/over-http", absl::Seconds(5)).ok());
  WaitFor([&] { return get_forum_lines().size() >= 5; }, absl::Seconds(5),
          "five GetForum lines");
  EXPECT_EQ(get_forum_lines().size(), 5u);
}

TEST_F(EdgeTest, IdentityHeadersOnHttpAreBelievedFromTheEdgeAlone) {
  MakeTlsFiles(dir_);
  StartServer({"--allow-anonymous-reads", "--tls-client-role=admin"});
  edge_ = EdgeProcess::Start(*server_);
  const httplib::Headers forged = {
      {"x-forum-registry-edge-client-cert",
       CertificateHeader(File("client.pem"))},
      {"X-Forum-Registry-Edge-Client-Address", "203.0.113.7"}};
  const std::string body =
      R"({"kind":"FORUM_KIND_SUMMIT","displayName":"forged"})";
  const std::string before = db_->WriteState();

  // Through the edge: dropped there, then set from the connection
  // (plaintext: no certificate), so the caller is anonymous.
  httplib::Client http = Http();
  const httplib::Result refused = http.Post("/v1/forums?forum_id=forged-http",
                                            forged, body, "application/json");
  ASSERT_TRUE(refused) << httplib::to_string(refused.error());
  EXPECT_EQ(refused->status, 401) << refused->body;
  EXPECT_THAT(refused->body, HasSubstr("\"code\":16"));
  EXPECT_EQ(db_->WriteState(), before) << "nothing was written";
  EXPECT_THAT(server_->Output(), Not(HasSubstr("203.0.113.7")));
  EXPECT_THAT(server_->Output(),
              Not(HasSubstr("spiffe://forum-registry.test/client")));

  // The same request straight to the server's door for the edge is
  // believed: the refusal above is the edge's doing.
  httplib::Client door("127.0.0.1", server_->HttpEdgePort());
  const httplib::Result believed = door.Post("/v1/forums?forum_id=forged-http",
                                             forged, body, "application/json");
  ASSERT_TRUE(believed) << httplib::to_string(believed.error());
  EXPECT_EQ(believed->status, 200) << believed->body;
}

// A watch as Server-Sent Events is one long HTTP answer: it outlives the
// edge's timeout (bookmarks keep it going) and carries the changes.
TEST_F(EdgeTest, ServerSentEventsPassTheEdge) {
  StartServer({"--watch-bookmark-interval=500ms"});
  edge_ = EdgeProcess::Start(*server_, {.settings = {{"TIMEOUT", "2s"}}});
  std::mutex mutex;
  std::string events;
  std::atomic<bool> stop{false};
  httplib::Client http = Http();
  auto watch = std::async(std::launch::async, [&] {
    return http.Get("/v1/changes:watch", {{"accept", "text/event-stream"}},
                    [&](const char* data, size_t size) {
                      std::lock_guard<std::mutex> lock(mutex);
                      events.append(data, size);
                      return !stop.load();
                    });
  });
  const auto received = [&](const std::string& what) {
    std::lock_guard<std::mutex> lock(mutex);
    return absl::StrContains(events, what);
  };
  ASSERT_TRUE(WaitFor([&] { return received("event: bookmark"); },
                      absl::Seconds(5), "a first bookmark"));
  // Three times the edge's timeout, then a change.
  absl::SleepFor(absl::Seconds(6));
  ASSERT_TRUE(CreateForum(edge_->Channel(), "sse-watched").ok());
  EXPECT_TRUE(WaitFor([&] { return received("forums/sse-watched"); },
                      absl::Seconds(5), "the change"))
      << events << "\n"
      << edge_->Output();
  stop = true;
  const httplib::Result ended = watch.get();
  EXPECT_EQ(ended.error(), httplib::Error::Canceled)
      << "the watch was ended by the client, not by the edge: "
      << httplib::to_string(ended.error());
  std::lock_guard<std::mutex> lock(mutex);
  int bookmarks = 0;
  for (size_t at = 0;
       (at = events.find("event: bookmark", at)) != std::string::npos; ++at) {
    ++bookmarks;
  }
  EXPECT_GE(bookmarks, 8) << events;
}

// The request rate per client address counts HTTP requests too, and the
// refusal is an HTTP answer: 429, Retry-After, google.rpc.Status JSON.
TEST_F(EdgeTest, HttpRequestsPastTheRateAreRefusedWithJson) {
  StartServer();
  edge_ = EdgeProcess::Start(
      *server_, {.settings = {{"MAX_REQUEST_RATE_PER_CLIENT", "10"}}});
  httplib::Client http = Http();
  int answered = 0;
  httplib::Response refusal;
  for (int i = 0; i < 30; ++i) {
    const httplib::Result got = http.Get("/v1/forums");
    ASSERT_TRUE(got) << httplib::to_string(got.error());
    if (got->status != 200) {
      refusal = *got;
      break;
    }
    ++answered;
  }
  // The edge's health check counted one.
  EXPECT_LE(answered, 10);
  EXPECT_EQ(refusal.status, 429) << refusal.body;
  EXPECT_EQ(refusal.get_header_value("retry-after"), "1");
  EXPECT_EQ(refusal.get_header_value("content-type"), "application/json");
  EXPECT_THAT(refusal.body, ::testing::StartsWith("{\"code\":8,\"message\":"));
  EXPECT_THAT(refusal.body,
              HasSubstr("FORUM_REGISTRY_EDGE_MAX_REQUEST_RATE_PER_CLIENT"));
  // Another address is spared.
  const std::string other = HttpFrom(
      "127.0.0.5", edge_->port(),
      "GET /v1/forums HTTP/1.1\r\nHost: registry\r\nConnection: close\r\n\r\n");
  EXPECT_THAT(other, ::testing::StartsWith("HTTP/1.1 200")) << other;
  // gRPC from the refused address gets its refusal as a gRPC status.
  const grpc::Status refused =
      GetForum(edge_->Channel(), "forums/any", absl::Seconds(2));
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << Describe(refused);
}

// Without an HTTP upstream only gRPC is served, and plain HTTP is told so.
TEST_F(EdgeTest, WithoutAnHttpUpstreamHttpIsAnsweredNotImplemented) {
  server_ = ServerProcess::Start(db_->url(), {"--edge-address=127.0.0.1:0"});
  edge_ = EdgeProcess::Start(*server_);
  const httplib::Result got = Http().Get("/v1/forums");
  ASSERT_TRUE(got) << httplib::to_string(got.error());
  EXPECT_EQ(got->status, 501) << got->body;
  EXPECT_THAT(got->body, HasSubstr("\"code\":12"));
  EXPECT_THAT(got->body, HasSubstr("FORUM_REGISTRY_EDGE_HTTP_UPSTREAM"));
  EXPECT_TRUE(CreateForum(edge_->Channel(), "grpc-only").ok());
}

}  // namespace
}  // namespace forum_registry::testing
