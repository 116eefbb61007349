// TLS on the gRPC port, through the real server: certificates made by the
// openssl command, a TLS-only server, mutual TLS (a client without a
// certificate fails the handshake; one with a certificate is named by it in
// the change log), and certificate files rotated under a running server.

#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "forumregistry/v1/change.grpc.pb.h"
#include "forumregistry/v1/forum.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace forum_registry {
namespace {

namespace v1 = ::forumregistry::v1;
using ::forum_registry::testing::BufPath;
using ::forum_registry::testing::CommandResult;
using ::forum_registry::testing::Describe;
using ::forum_registry::testing::HealthStatus;
using ::forum_registry::testing::MakeTlsFiles;
using ::forum_registry::testing::ReadFile;
using ::forum_registry::testing::RunCommand;
using ::forum_registry::testing::ServerProcess;
using ::forum_registry::testing::TestDatabase;
using ::testing::HasSubstr;

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/fr-tls-XXXXXX";
    dir_ = mkdtemp(dir);
    MakeTlsFiles(dir_);
    db_ = TestDatabase::Create();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string File(const std::string& name) const {
    return absl::StrCat(dir_, "/", name);
  }
  // TLS trusting the CA `ca`, with the client certificate when `client`.
  std::shared_ptr<grpc::ChannelCredentials> Credentials(const std::string& ca,
                                                        bool client) const {
    return forum_registry::testing::TlsCredentials(dir_, ca, client);
  }
  std::shared_ptr<grpc::Channel> ChannelWith(
      std::shared_ptr<grpc::ChannelCredentials> credentials) const {
    return forum_registry::testing::ChannelOfItsOwn(server_->address(),
                                                    std::move(credentials));
  }
  std::vector<std::string> TlsFlags() const {
    return {absl::StrCat("--tls-cert=", File("server.pem")),
            absl::StrCat("--tls-key=", File("server.key")),
            "--tls-refresh-interval=1s"};
  }
  static grpc::Status GetForum(const std::shared_ptr<grpc::Channel>& channel,
                               const std::string& name) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(3)));
    v1::GetForumRequest request;
    request.set_name(name);
    v1::Forum forum;
    return v1::ForumService::NewStub(channel)->GetForum(&context, request,
                                                        &forum);
  }

  std::string dir_;
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(TlsTest, ServesOverTlsAndNotInPlaintext) {
  std::vector<std::string> flags = TlsFlags();
  flags.push_back("--allow-anonymous-reads");
  server_ = ServerProcess::Start(db_->url(), flags, "SERVING",
                                 Credentials("ca.pem", false));
  EXPECT_EQ(HealthStatus(server_->Channel()), "SERVING");
  EXPECT_EQ(GetForum(server_->Channel(), "forums/none").error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(
      GetForum(ChannelWith(grpc::InsecureChannelCredentials()), "forums/none")
          .error_code(),
      grpc::StatusCode::UNAVAILABLE)
      << "a plaintext client cannot talk to a TLS port";
}

// Kubernetes' gRPC probes do not speak TLS: a plaintext port serves health
// and nothing else.
TEST_F(TlsTest, APlaintextProbePortServesHealthOnly) {
  std::vector<std::string> flags = TlsFlags();
  flags.push_back("--allow-anonymous-reads");
  flags.push_back("--probe-address=127.0.0.1:0");
  server_ = ServerProcess::Start(db_->url(), flags, "SERVING",
                                 Credentials("ca.pem", false));
  const int probe_port = server_->ProbePort();
  ASSERT_NE(probe_port, 0) << server_->Output();
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  const auto probe =
      grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", probe_port),
                                grpc::InsecureChannelCredentials(), args);
  EXPECT_EQ(HealthStatus(probe), "SERVING");
  EXPECT_EQ(HealthStatus(probe, "liveness"), "SERVING");
  EXPECT_EQ(HealthStatus(probe, "forumregistry.v1.ForumService"), "SERVING");
  EXPECT_EQ(GetForum(probe, "forums/none").error_code(),
            grpc::StatusCode::UNIMPLEMENTED)
      << "the probe port opens no part of the API";
  // Nor reflection, which stays on the main port.
  const std::string probe_url = absl::StrCat("http://127.0.0.1:", probe_port);
  const CommandResult listed = RunCommand(
      {BufPath(), "curl", "--protocol", "grpc", "--list-services", probe_url});
  EXPECT_NE(listed.exit_code, 0) << listed.output;
  EXPECT_THAT(listed.error + listed.output, HasSubstr("nimplemented"));

  // Its own small bounds: four streams a connection. Four Health watches
  // open; a fifth waits for one of them to end.
  auto health = grpc::health::v1::Health::NewStub(probe);
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<
      grpc::ClientReader<grpc::health::v1::HealthCheckResponse>>>
      watches;
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  for (int i = 0; i < 4; ++i) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    watches.push_back(health->Watch(contexts.back().get(), request));
    ASSERT_TRUE(watches.back()->Read(&response));
  }
  grpc::ClientContext fifth;
  fifth.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
  auto waiting = health->Watch(&fifth, request);
  EXPECT_FALSE(waiting->Read(&response));
  EXPECT_EQ(waiting->Finish().error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  for (size_t i = 0; i < watches.size(); ++i) {
    contexts[i]->TryCancel();
    while (watches[i]->Read(&response)) {
    }
    watches[i]->Finish();
  }
  EXPECT_EQ(HealthStatus(probe), "SERVING") << "a stream is free again";
}

TEST_F(TlsTest, MutualTlsRefusesAClientWithoutACertificateAndNamesOneWith) {
  std::vector<std::string> flags = TlsFlags();
  flags.push_back(absl::StrCat("--tls-client-ca=", File("ca.pem")));
  flags.push_back("--tls-client-role=editor");
  server_ = ServerProcess::Start(db_->url(), flags, "SERVING",
                                 Credentials("ca.pem", true));
  const std::string before = db_->WriteState();
  EXPECT_EQ(GetForum(ChannelWith(Credentials("ca.pem", false)), "forums/none")
                .error_code(),
            grpc::StatusCode::UNAVAILABLE)
      << "the handshake fails without a client certificate";
  EXPECT_EQ(db_->WriteState(), before);

  grpc::ClientContext context;
  v1::CreateForumRequest request;
  request.set_forum_id("by-certificate");
  request.mutable_forum()->set_kind(v1::FORUM_KIND_SUMMIT);
  request.mutable_forum()->set_display_name("By certificate");
  v1::Forum forum;
  const grpc::Status status = v1::ForumService::NewStub(server_->Channel())
                                  ->CreateForum(&context, request, &forum);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(db_->Query("SELECT actor FROM changes WHERE resource = "
                       "'forums/by-certificate'"),
            "spiffe://forum-registry.test/client");
}

TEST_F(TlsTest, RotatedCertificateFilesAreServedWithoutARestart) {
  MakeTlsFiles(dir_, "next");  // another CA, and a server certificate of it
  std::vector<std::string> flags = TlsFlags();
  flags.push_back("--allow-anonymous-reads");
  server_ = ServerProcess::Start(db_->url(), flags, "SERVING",
                                 Credentials("ca.pem", false));
  const auto trusting_next = [&] {
    return ChannelWith(Credentials("next-ca.pem", false));
  };
  EXPECT_EQ(GetForum(trusting_next(), "forums/none").error_code(),
            grpc::StatusCode::UNAVAILABLE)
      << "the server still presents the first CA's certificate";
  // cert-manager writes the new pair in place.
  std::filesystem::copy_file(File("next-server.pem"), File("server.pem"),
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(File("next-server.key"), File("server.key"),
                             std::filesystem::copy_options::overwrite_existing);
  grpc::StatusCode code = grpc::StatusCode::UNAVAILABLE;
  for (int attempt = 0; attempt < 50 && code != grpc::StatusCode::NOT_FOUND;
       ++attempt) {
    absl::SleepFor(absl::Milliseconds(200));
    code = GetForum(trusting_next(), "forums/none").error_code();
  }
  EXPECT_EQ(code, grpc::StatusCode::NOT_FOUND)
      << "a new connection gets the rotated certificate";
  EXPECT_GT(server_->pid(), 0);
}

}  // namespace
}  // namespace forum_registry
