#ifndef FORUM_REGISTRY_TESTS_SUPPORT_TEST_SUPPORT_H_
#define FORUM_REGISTRY_TESTS_SUPPORT_TEST_SUPPORT_H_

// What the integration and end-to-end tests stand on: a real PostgreSQL
// (started by script/test, reached through FORUM_REGISTRY_TEST_ADMIN_URL), the
// real `forum-registry` binary started as a process on ports it picks (port
// 0, read back from its log), and real command-line clients. Nothing here
// fakes the database or the network.
//
// A missing environment is a failure, never a skip: a test that cannot reach
// its database says so and fails.

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/status.h"
#include "gtest/gtest.h"

namespace forum_registry::testing {

// Paths built into the tests by CMake.
std::string BinaryPath();  // the forum-registry binary
std::string BufPath();     // tools/node_modules/.bin/buf
std::string SourceDir();   // the checkout
std::string SeedPath();    // data/asean-2023.textproto in it: the real data

// FORUM_REGISTRY_TEST_ADMIN_URL; aborts the test program if it is unset.
std::string AdminUrl();

// A database of its own for one test program or fixture, dropped at the end.
class TestDatabase {
 public:
  // Creates an empty database; applies the migrations unless `migrate` is
  // false (by running `forum-registry migrate`, as an operator would).
  static std::unique_ptr<TestDatabase> Create(bool migrate = true);
  ~TestDatabase();

  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

  // The first column of the first row of `sql`, as text ("" for NULL).
  std::string Query(const std::string& sql) const;
  int64_t Count(const std::string& table) const;
  // Runs `sql` in a transaction of its own and commits it.
  void Execute(const std::string& sql) const;

  // How many sessions of this database wait for a lock (pg_stat_activity):
  // a test that holds a lock waits for its calls to queue behind it.
  int LockWaiters() const;

  // A summary of every row written to the registry's tables: row counts,
  // version sums and the change log's last sequence. Equal before and after
  // a request means the request wrote nothing.
  std::string WriteState() const;

 private:
  TestDatabase(std::string name, std::string url)
      : name_(std::move(name)), url_(std::move(url)) {}
  std::string name_;
  std::string url_;
};

// A PostgreSQL cluster of its own, for a test that crashes it: initialised
// in a temporary folder with the binaries of FORUM_REGISTRY_TEST_PG_BIN (as
// the `postgres` user when the test runs as root), listening only on a Unix
// socket there. Killed and removed at the end.
class PrivateCluster {
 public:
  static std::unique_ptr<PrivateCluster> Start();
  ~PrivateCluster();

  // The `postgres` database of the cluster, migrated by Migrate().
  const std::string& url() const { return url_; }
  // Runs `forum-registry migrate` on url(); false (with its output logged)
  // if it failed.
  bool Migrate() const;

  // Kills the postmaster and every backend with SIGKILL, as a crash would,
  // and waits until they are gone.
  void Kill();
  // Starts the cluster again (crash recovery first, after Kill); false if
  // it did not come up.
  bool Restart();

 private:
  PrivateCluster() = default;
  bool RunAsOwner(const std::vector<std::string>& argv) const;
  std::string dir_;
  std::string url_;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout
  std::string error;   // stderr
};

// Runs `argv` to completion with `input` on its stdin.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::string& input = "");

// `forum-registry serve` as a child process.
class ServerProcess {
 public:
  // Starts the server and waits until health says
  // `wait_for` ("SERVING" unless told otherwise). `credentials` are those
  // Channel() uses (null: plaintext), e.g. TLS for a server given --tls-*.
  // With `max_descriptors`, the process may open no more (RLIMIT_NOFILE,
  // soft and hard).
  static std::unique_ptr<ServerProcess> Start(
      const std::string& database_url,
      const std::vector<std::string>& extra_flags = {},
      const std::string& wait_for = "SERVING",
      std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr,
      int max_descriptors = 0);
  ~ServerProcess();

  // The port of its gRPC listener: it listens on port 0 and logs the port
  // it got ("listening"), which Start reads. 0 if it never did.
  int port() const { return port_; }
  std::string address() const;  // 127.0.0.1:port
  pid_t pid() const { return pid_; }

  std::shared_ptr<grpc::Channel> Channel() const;

  // Sends `signal` and waits up to `timeout_s` for the exit; returns the exit
  // code, or -1 if it had to be killed.
  int Stop(int signal = 15, int timeout_s = 30);

  // Everything the server wrote to stdout and stderr so far.
  std::string Output() const;

  // The port of its /metrics endpoint (tests start it on a free one).
  int MetricsPort() const;
  // The port of its edge listener (--edge-address=127.0.0.1:0), or 0.
  int EdgePort() const;
  // The port of its probe listener (--probe-address=127.0.0.1:0), or 0.
  int ProbePort() const;
  // The port of its HTTP door (--http-address=127.0.0.1:0), or 0.
  int HttpPort() const;
  // The port of its HTTP door for the edge (--http-edge-address=
  // 127.0.0.1:0), or 0.
  int HttpEdgePort() const;

 private:
  ServerProcess() = default;
  std::shared_ptr<grpc::ChannelCredentials> credentials_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_path_;
};

// The edge (deploy/edge/forum-registry-edge: HAProxy, installed by the
// scripts) as a child process, in front of the edge listener of `server`
// (started with --edge-address=127.0.0.1:0), listening on a free port of
// 127.0.0.1. Waits until a health check through it says SERVING. Plain
// HTTP goes to the server's HTTP door for the edge if it has one
// (--http-edge-address=127.0.0.1:0); otherwise the edge has no HTTP
// upstream (FORUM_REGISTRY_EDGE_HTTP_UPSTREAM empty).
class EdgeProcess {
 public:
  struct Options {
    // FORUM_REGISTRY_EDGE_TLS_*: TLS at the edge (cert and key, its key
    // beside it as .key), mutual TLS with a client CA.
    std::string tls_cert;
    std::string tls_key;
    std::string tls_client_ca;
    // Any other FORUM_REGISTRY_EDGE_* setting: {"TIMEOUT", "3s"}.
    std::vector<std::pair<std::string, std::string>> settings;
    // What Channel() uses (null: plaintext).
    std::shared_ptr<grpc::ChannelCredentials> credentials;
  };
  static std::unique_ptr<EdgeProcess> Start(const ServerProcess& server,
                                            Options options = {});
  ~EdgeProcess();

  int port() const { return port_; }
  std::string address() const;  // 127.0.0.1:port
  int MonitorPort() const { return monitor_port_; }
  // The supervisor script's pid, and HAProxy's processes (its master, a
  // child of the script, and the master's workers).
  pid_t pid() const { return pid_; }
  std::vector<pid_t> HaproxyPids() const;

  std::shared_ptr<grpc::Channel> Channel() const;

  // As ServerProcess::Stop.
  int Stop(int signal = 15, int timeout_s = 30);
  std::string Output() const;

 private:
  EdgeProcess() = default;
  Options options_;
  pid_t pid_ = -1;
  int port_ = 0;
  int monitor_port_ = 0;
  std::string log_path_;
};

// A field of /proc/PID/status in KiB (VmRSS, VmHWM) or as a count
// (Threads); -1 if absent.
int64_t ProcStatusKib(pid_t pid, const std::string& field);

// One database and one server for a whole test program, started before its
// first test and stopped after its last; register it once per program:
//
//   [[maybe_unused]] ::testing::Environment* const kEnvironment =
//       ::testing::AddGlobalTestEnvironment(new SharedRegistry);
//
// The accessors are null outside SetUp..TearDown (or if starting failed).
class SharedRegistry : public ::testing::Environment {
 public:
  void SetUp() override;
  void TearDown() override;

  static TestDatabase* db();
  static ServerProcess* server();
  static std::shared_ptr<grpc::Channel>* channel();
};

// One database with the seed (SeedPath(), imported by `forum-registry
// import`) and one server on it, for each test suite that derives from it:
// started before the suite's first test, stopped after its last. A test of
// a suite whose registry could not be set up fails in SetUp, saying why.
//
//   class Facts : public SeededRegistry {};
//   TEST_F(Facts, ...) { ResourceClient<v1::Forum> forums(channel()); ... }
class SeededRegistry : public ::testing::Test {
 public:
  static void SetUpTestSuite();
  static void TearDownTestSuite();

  // Valid from SetUpTestSuite to TearDownTestSuite.
  static TestDatabase& db();
  static ServerProcess& server();
  static const std::shared_ptr<grpc::Channel>& channel();

 protected:
  void SetUp() override;

  // Records why the registry is not usable (a suite that needs more than the
  // seed, e.g. a file beside it, adds to the reasons); "" while it is.
  static void AddSetupError(const std::string& error);
  static const std::string& SetupError();
};

// Expects `actual` to equal `expected` field by field (reporting the
// differences and both messages otherwise).
void ExpectSameMessage(const google::protobuf::Message& actual,
                       const google::protobuf::Message& expected);

// PEM files for TLS tests, made with the openssl command in `dir`: a CA
// (ca.pem, ca.key), a server certificate for 127.0.0.1 and localhost
// (server.pem, server.key) and a client certificate with the URI name
// spiffe://forum-registry.test/client (client.pem, client.key). With
// `prefix`, files are named prefix-ca.pem and so on.
void MakeTlsFiles(const std::string& dir, const std::string& prefix = "");

// TLS for a client of the files MakeTlsFiles made in `dir`: trusting the
// CA in the file `ca` there, presenting client.pem when `client`.
std::shared_ptr<grpc::ChannelCredentials> TlsCredentials(const std::string& dir,
                                                         const std::string& ca,
                                                         bool client);

// A channel with a connection of its own (no subchannel shared with other
// channels) to `address`.
std::shared_ptr<grpc::Channel> ChannelOfItsOwn(
    const std::string& address,
    std::shared_ptr<grpc::ChannelCredentials> credentials);

// The contents of a file ("" if unreadable).
std::string ReadFile(const std::string& path);

// Writes `text` to a new file under /tmp ending in `suffix`; its path.
std::string WriteTempFile(const std::string& suffix, const std::string& text);

// A dataset in text format of `count` participants, the i-th named
// participants/p-<i> with the display name "Delegation zyx<i>" (a word of
// its own), for imports large enough to take the bulk path (store/importer).
std::string ManyParticipantsTextproto(int count);

// The GIN indexes of the schema with their options ("name opt,opt; ..."),
// and the pages the GIN indexes of `table` hold in pending lists, merged by
// the count (migrations/0020).
std::string GinIndexOptions(const TestDatabase& db);
int64_t MergePendingGinPages(const TestDatabase& db, const std::string& table);

// The body of GET http://127.0.0.1:{port}{path}, or "" on failure.
std::string HttpGet(int port, const std::string& path);

// The revision a write reported in its response header
// x-forum-registry-revision, or "" if none.
std::string RevisionHeader(const grpc::ClientContext& context);

// The value of one sample, `series` with its labels, in Prometheus text
// exposition `metrics`; -1 when absent.
double MetricSample(const std::string& metrics, const std::string& series);

// Waits until `condition()` holds, asking again every `poll`, for at most
// `timeout`. True once it holds; false, and a test failure naming `what`,
// when the time is out. Tests wait for what they need this way, never for a
// fixed time.
//
//   WaitFor([&] { return db->LockWaiters() == 3; }, absl::Seconds(10),
//           "three lists queued behind the lock");
bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout,
             const std::string& what,
             absl::Duration poll = absl::Milliseconds(20));

// How many TCP connections to 127.0.0.1:`port` are established on this
// machine (/proc/net/tcp, the listening side's count).
int EstablishedConnections(int port);

// "INVALID_ARGUMENT", for messages.
std::string CodeName(grpc::StatusCode code);

// "INVALID_ARGUMENT: forum.parent: ...", for assertion messages.
std::string Describe(const grpc::Status& status);

// Writers that commit in another order than they write: `writers` threads,
// each inserting `rounds` participants `participants/{prefix}-w{w}-r{round}`
// straight into the database, a transaction each, committed after a random
// delay of up to 40 ms, or one time in four rolled back. Returns how many
// committed.
int WriteOutOfOrder(const std::string& url, const std::string& prefix,
                    int writers, int rounds);

// A random (version 4) UUID, for request ids. Thread-safe.
std::string RandomUuid();

// "{prefix}-{n}", unique within this test program.
std::string UniqueId(const std::string& prefix);

// GetForum and CreateForum (a summit named after its id) with a deadline
// `timeout` from now.
grpc::Status GetForum(const std::shared_ptr<grpc::Channel>& channel,
                      const std::string& name, absl::Duration timeout);
grpc::Status CreateForum(const std::shared_ptr<grpc::Channel>& channel,
                         const std::string& id,
                         absl::Duration timeout = absl::Seconds(10));

// Health Check through a gRPC stub: "SERVING", "NOT_SERVING", or the error.
std::string HealthStatus(const std::shared_ptr<grpc::Channel>& channel,
                         const std::string& service = "");

}  // namespace forum_registry::testing

#endif  // FORUM_REGISTRY_TESTS_SUPPORT_TEST_SUPPORT_H_
