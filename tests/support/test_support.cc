#include "tests/support/test_support.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <mutex>
#include <pqxx/pqxx>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "forumregistry/v1/forum.grpc.pb.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "httplib.h"

namespace forum_registry::testing {
namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

// The URL of database `name` on the admin URL's server.
std::string UrlFor(const std::string& admin_url, const std::string& name) {
  // script/test gives postgresql:///postgres?host=...: swap the database.
  const std::string prefix = "postgresql:///";
  const size_t query = admin_url.find('?');
  if (admin_url.rfind(prefix, 0) == 0 && query != std::string::npos) {
    return absl::StrCat(prefix, name, admin_url.substr(query));
  }
  return absl::StrCat(admin_url, " dbname=", name);
}

}  // namespace

std::string BinaryPath() { return FR_TEST_BINARY; }
std::string BufPath() { return FR_TEST_BUF; }
std::string SourceDir() { return FR_TEST_SOURCE_DIR; }

std::string SeedPath() { return SourceDir() + "/data/asean-2023.textproto"; }

std::string AdminUrl() {
  const std::string url = Env("FORUM_REGISTRY_TEST_ADMIN_URL");
  if (url.empty()) {
    std::fprintf(stderr,
                 "FORUM_REGISTRY_TEST_ADMIN_URL is not set: run the tests "
                 "with script/test, which starts their PostgreSQL\n");
    std::abort();
  }
  return url;
}

std::unique_ptr<TestDatabase> TestDatabase::Create(bool migrate) {
  static std::atomic<int> counter{0};
  const std::string name = absl::StrCat("fr_test_", getpid(), "_", counter++);
  {
    pqxx::connection admin(AdminUrl());
    pqxx::nontransaction txn(admin);
    txn.exec(absl::StrCat("DROP DATABASE IF EXISTS ", name));
    txn.exec(absl::StrCat("CREATE DATABASE ", name));
  }
  auto db = std::unique_ptr<TestDatabase>(
      new TestDatabase(name, UrlFor(AdminUrl(), name)));
  if (migrate) {
    const CommandResult result = RunCommand(
        {BinaryPath(), "migrate", absl::StrCat("--database-url=", db->url())});
    if (result.exit_code != 0) {
      ADD_FAILURE() << "migrate failed: " << result.output << result.error;
    }
  }
  return db;
}

TestDatabase::~TestDatabase() {
  try {
    pqxx::connection admin(AdminUrl());
    pqxx::nontransaction txn(admin);
    txn.exec(absl::StrCat("DROP DATABASE IF EXISTS ", name_, " WITH (FORCE)"));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cannot drop %s: %s\n", name_.c_str(), e.what());
  }
}

std::string TestDatabase::Query(const std::string& sql) const {
  pqxx::connection connection(url_);
  pqxx::read_transaction txn(connection);
  const pqxx::result rows = txn.exec(sql);
  if (rows.empty() || rows[0][0].is_null()) return "";
  return rows[0][0].as<std::string>();
}

void TestDatabase::Execute(const std::string& sql) const {
  pqxx::connection connection(url_);
  pqxx::work txn(connection);
  txn.exec(sql);
  txn.commit();
}

int64_t TestDatabase::Count(const std::string& table) const {
  return std::stoll(Query(absl::StrCat("SELECT count(*) FROM ", table)));
}

int TestDatabase::LockWaiters() const {
  return std::stoi(
      Query("SELECT count(*) FROM pg_stat_activity WHERE datname = "
            "current_database() AND wait_event_type = 'Lock'"));
}

std::string TestDatabase::WriteState() const {
  // Every resource table's rows and versions, every reference table's rows,
  // and the change log, which every write to a resource table extends.
  // Not the marks of stored-bytes fills (migrations/0016), which change no
  // record.
  return Query(R"sql(
    SELECT concat_ws(' ',
      (SELECT string_agg(t.tablename || '=' || (xpath('/row/c/text()',
               query_to_xml(format('SELECT count(*) || '':'' || coalesce(sum(%s), 0) AS c FROM %I',
                                   CASE WHEN t.tablename LIKE '%\_references' OR
                                             t.tablename IN ('reference_kinds', 'changes',
                                                             'schema_migrations') OR
                                             NOT EXISTS (SELECT 1 FROM information_schema.columns c
                                                         WHERE c.table_schema = 'public'
                                                           AND c.table_name = t.tablename
                                                           AND c.column_name = 'version')
                                        THEN '0' ELSE 'version' END,
                                   t.tablename), false, true, '')))[1]::text,
               ' ' ORDER BY t.tablename)
         FROM pg_tables t WHERE t.schemaname = 'public'
          AND t.tablename <> 'stored_bytes_fills'),
      'changes', (SELECT count(*) || ':' || coalesce(max(sequence), 0) FROM changes)))sql");
}

std::unique_ptr<PrivateCluster> PrivateCluster::Start() {
  const char* bin = std::getenv("FORUM_REGISTRY_TEST_PG_BIN");
  if (bin == nullptr || *bin == '\0') {
    ADD_FAILURE() << "FORUM_REGISTRY_TEST_PG_BIN is not set (script/test sets "
                     "it to PostgreSQL's bin folder)";
    return nullptr;
  }
  char dir[] = "/tmp/fr-cluster.XXXXXX";
  if (mkdtemp(dir) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed";
    return nullptr;
  }
  std::unique_ptr<PrivateCluster> cluster(new PrivateCluster);
  cluster->dir_ = dir;
  chmod(dir, 0755);
  if (geteuid() == 0) {
    // initdb and postgres refuse to run as root.
    const passwd* owner = getpwnam("postgres");
    if (owner == nullptr) {
      ADD_FAILURE() << "running as root, and there is no postgres user";
      return nullptr;
    }
    if (chown(dir, owner->pw_uid, owner->pw_gid) != 0) {
      ADD_FAILURE() << "cannot give " << dir << " to postgres";
      return nullptr;
    }
  }
  if (!cluster->RunAsOwner({absl::StrCat(bin, "/initdb"), "-D",
                            cluster->dir_ + "/data", "-U", "postgres",
                            "--auth=trust", "--encoding=UTF8",
                            "--locale=C.UTF-8", "--no-sync"}) ||
      !cluster->RunAsOwner({"/usr/bin/mkdir", cluster->dir_ + "/socket"}) ||
      !cluster->Restart()) {
    return nullptr;
  }
  cluster->url_ = absl::StrCat("postgresql:///postgres?host=", cluster->dir_,
                               "/socket&user=postgres");
  return cluster;
}

PrivateCluster::~PrivateCluster() {
  Kill();
  RunCommand({"/usr/bin/rm", "-rf", dir_});
}

bool PrivateCluster::RunAsOwner(const std::vector<std::string>& argv) const {
  std::vector<std::string> command;
  if (geteuid() == 0) command = {"/usr/sbin/runuser", "-u", "postgres", "--"};
  command.insert(command.end(), argv.begin(), argv.end());
  const CommandResult result = RunCommand(command);
  if (result.exit_code != 0) {
    ADD_FAILURE() << argv[0] << " failed (" << result.exit_code << "):\n"
                  << result.output << result.error;
    return false;
  }
  return true;
}

bool PrivateCluster::Migrate() const {
  const CommandResult result = RunCommand(
      {BinaryPath(), "migrate", absl::StrCat("--database-url=", url_)});
  if (result.exit_code != 0) {
    ADD_FAILURE() << "migrate failed:\n" << result.output << result.error;
    return false;
  }
  return true;
}

void PrivateCluster::Kill() {
  const std::string pid_file = dir_ + "/data/postmaster.pid";
  const pid_t postmaster = std::atoi(ReadFile(pid_file).c_str());
  if (postmaster <= 0) return;
  // Stopped, the postmaster forks no new backend while its children are
  // found by their parent; then all of them die at once.
  kill(postmaster, SIGSTOP);
  std::vector<pid_t> pids = {postmaster};
  if (DIR* proc = opendir("/proc")) {
    while (const dirent* entry = readdir(proc)) {
      const pid_t pid = std::atoi(entry->d_name);
      if (pid <= 0) continue;
      const std::string status =
          ReadFile(absl::StrCat("/proc/", pid, "/status"));
      const size_t at = status.find("\nPPid:\t");
      if (at != std::string::npos &&
          std::atoi(status.c_str() + at + 7) == postmaster) {
        pids.push_back(pid);
      }
    }
    closedir(proc);
  }
  for (const pid_t pid : pids) kill(pid, SIGKILL);
  for (int i = 0; i < 500; ++i) {
    bool alive = false;
    for (const pid_t pid : pids) {
      // A dead process nobody reaped yet is a zombie: its state says so.
      const std::string status =
          ReadFile(absl::StrCat("/proc/", pid, "/status"));
      alive = alive || (!status.empty() &&
                        status.find("State:\tZ") == std::string::npos);
    }
    if (!alive) {
      // After a crash the lock files name a dead postmaster. PostgreSQL
      // starts over them, unless an init that reaps no orphans (as in some
      // containers) keeps that pid a zombie, which looks alive: remove them.
      unlink(pid_file.c_str());
      unlink((dir_ + "/socket/.s.PGSQL.5432.lock").c_str());
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "PostgreSQL processes outlived SIGKILL";
}

bool PrivateCluster::Restart() {
  const char* bin = std::getenv("FORUM_REGISTRY_TEST_PG_BIN");
  return RunAsOwner(
      {absl::StrCat(bin, "/pg_ctl"), "-D", dir_ + "/data", "-l",
       dir_ + "/data/server.log", "-w", "-t", "60", "-o",
       absl::StrCat("-c listen_addresses='' -c unix_socket_directories='", dir_,
                    "/socket' -c fsync=off -c max_connections=100"),
       "start"});
}

CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::string& input) {
  char out_path[] = "/tmp/fr-cmd-out.XXXXXX";
  char err_path[] = "/tmp/fr-cmd-err.XXXXXX";
  char in_path[] = "/tmp/fr-cmd-in.XXXXXX";
  const int out_fd = mkstemp(out_path);
  const int err_fd = mkstemp(err_path);
  const int in_fd = mkstemp(in_path);
  if (write(in_fd, input.data(), input.size()) !=
      static_cast<ssize_t>(input.size())) {
    ADD_FAILURE() << "cannot write stdin file";
  }
  lseek(in_fd, 0, SEEK_SET);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(in_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    std::vector<char*> args;
    for (const std::string& arg : argv)
      args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    std::perror("execv");
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  close(in_fd);
  close(out_fd);
  close(err_fd);
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.output = ReadFile(out_path);
  result.error = ReadFile(err_path);
  unlink(out_path);
  unlink(err_path);
  unlink(in_path);
  return result;
}

bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout,
             const std::string& what, absl::Duration poll) {
  const absl::Time give_up = absl::Now() + timeout;
  while (true) {
    if (condition()) return true;
    if (absl::Now() >= give_up) break;
    absl::SleepFor(poll);
  }
  ADD_FAILURE() << "waited " << timeout << " in vain for " << what;
  return false;
}

int EstablishedConnections(int port) {
  std::ifstream in("/proc/net/tcp");
  std::string line;
  std::getline(in, line);  // the header
  // "sl local_address rem_address st ...": 0100007F:1F90 is 127.0.0.1:8080,
  // state 01 is ESTABLISHED.
  const std::string local =
      absl::StrCat("0100007F:", absl::Hex(port, absl::kZeroPad4));
  int count = 0;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local_address, remote_address, state;
    fields >> slot >> local_address >> remote_address >> state;
    if (absl::EqualsIgnoreCase(local_address, local) && state == "01") ++count;
  }
  return count;
}

std::string CodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  const int index = static_cast<int>(code);
  if (index >= 0 && index < static_cast<int>(std::size(kNames))) {
    return kNames[index];
  }
  return absl::StrCat("code ", index);
}

std::string Describe(const grpc::Status& status) {
  return absl::StrCat(CodeName(status.error_code()), ": ",
                      status.error_message());
}

int WriteOutOfOrder(const std::string& url, const std::string& prefix,
                    int writers, int rounds) {
  std::atomic<int> committed{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937 random(1234 + w);
      pqxx::connection connection(url);
      for (int round = 0; round < rounds; ++round) {
        pqxx::work txn(connection);
        txn.exec_params(
            "INSERT INTO participants (name, body) VALUES ($1, "
            "jsonb_build_object('kind', 'PARTICIPANT_KIND_STATE', "
            "'display_name', $1::text))",
            absl::StrCat("participants/", prefix, "-w", w, "-r", round));
        std::this_thread::sleep_for(std::chrono::milliseconds(random() % 40));
        if (random() % 4 == 0) {
          txn.abort();
        } else {
          txn.commit();
          ++committed;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  return committed.load();
}

std::string RandomUuid() {
  static std::mutex mu;
  static std::mt19937_64 random{std::random_device{}()};
  std::lock_guard<std::mutex> lock(mu);
  const uint64_t high = (random() & ~0xf000ULL) | 0x4000ULL;
  const uint64_t low = (random() & ~(3ULL << 62)) | (2ULL << 62);
  const std::string hex = absl::StrCat(absl::Hex(high, absl::kZeroPad16),
                                       absl::Hex(low, absl::kZeroPad16));
  return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-",
                      hex.substr(12, 4), "-", hex.substr(16, 4), "-",
                      hex.substr(20));
}

std::string UniqueId(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return absl::StrCat(prefix, "-", counter++);
}

std::string HealthStatus(const std::shared_ptr<grpc::Channel>& channel,
                         const std::string& service) {
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(2));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) {
    return absl::StrCat("error ", status.error_code(), ": ",
                        status.error_message());
  }
  return grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
      response.status());
}

namespace {

// Sends `signal` to the child `*pid` and waits up to `timeout_s` for it to
// exit; then `before_kill` and SIGKILL. Its exit code, or -1 if it had to
// be killed; *pid is -1 after.
int StopChild(pid_t* pid, int signal, int timeout_s,
              const std::function<void()>& before_kill = {}) {
  if (*pid <= 0) return -1;
  kill(*pid, signal);
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  int status = 0;
  while (std::chrono::steady_clock::now() < give_up) {
    if (waitpid(*pid, &status, WNOHANG) == *pid) {
      *pid = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (before_kill) before_kill();
  kill(*pid, SIGKILL);
  waitpid(*pid, &status, 0);
  *pid = -1;
  return -1;
}

// Forks and runs `argv` with its stdout and stderr on `log_fd`, after
// `in_child` (a limit, the environment) in the child.
pid_t Spawn(const std::vector<std::string>& argv, int log_fd,
            const std::function<void()>& in_child = {}) {
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    if (in_child) in_child();
    std::vector<char*> args;
    for (const std::string& arg : argv)
      args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

// Waits up to `timeout` until `ready()`: true then. False if the child
// *pid exited first (*pid is -1 after) or the time ran out.
bool AwaitReady(pid_t* pid, std::chrono::seconds timeout,
                const std::function<bool()>& ready) {
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < give_up) {
    int status = 0;
    if (waitpid(*pid, &status, WNOHANG) == *pid) {
      *pid = -1;
      return false;
    }
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// The "port" of the first log line of `event` in `output`, or 0 while
// there is none (the server logs "listening", "metrics_listening",
// "probe_listening" and "edge_listening" with the port it bound).
int LoggedPort(const std::string& output, const std::string& event) {
  const size_t line = output.find(absl::StrCat("\"event\":\"", event, "\""));
  if (line == std::string::npos) return 0;
  const size_t end = output.find('\n', line);
  if (end == std::string::npos) return 0;  // the line is not complete yet
  const std::string key = "\"port\":";
  const size_t at = output.find(key, line);
  if (at == std::string::npos || at > end) return 0;
  return std::atoi(output.c_str() + at + key.size());
}

// A port on 127.0.0.1 that was free a moment ago, for a program that
// cannot be told to bind port 0 and report the port it got: HAProxy (the
// edge) binds the address it is given and logs nothing to read it from.
// Another process may take the port before the program binds it, so its
// caller retries on a clash.
int PickFreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

}  // namespace

std::unique_ptr<ServerProcess> ServerProcess::Start(
    const std::string& database_url,
    const std::vector<std::string>& extra_flags, const std::string& wait_for,
    std::shared_ptr<grpc::ChannelCredentials> credentials,
    int max_descriptors) {
  auto server = std::unique_ptr<ServerProcess>(new ServerProcess());
  server->credentials_ = std::move(credentials);
  char log_path[] = "/tmp/fr-server-log.XXXXXX";
  const int log_fd = mkstemp(log_path);
  server->log_path_ = log_path;
  // Every listener on port 0: the server binds a free port and logs it
  // ("listening"), so no other process can take it in between.
  std::vector<std::string> argv = {
      BinaryPath(), "serve", absl::StrCat("--database-url=", database_url),
      "--listen-address=127.0.0.1:0", "--health-check-interval=200ms",
      "--drain-period=200ms", "--metrics-address=127.0.0.1:0",
      // A test that ends with a client still connected waits this long:
      // Shutdown waits for clients to hang up after its GOAWAY.
      "--shutdown-timeout=2s"};
  // Open to every caller unless the test says how callers are known.
  const bool sets_auth = std::any_of(
      extra_flags.begin(), extra_flags.end(), [](const std::string& flag) {
        return absl::StartsWith(flag, "--jwt-") ||
               flag == "--allow-anonymous-reads" || flag == "--no-auth" ||
               absl::StartsWith(flag, "--tls-client-ca");
      });
  if (!sets_auth) {
    argv.push_back("--no-auth");
    // Behind a test's edge, which listens on loopback too (EdgeProcess).
    if (std::any_of(extra_flags.begin(), extra_flags.end(),
                    [](const std::string& flag) {
                      return absl::StartsWith(flag, "--edge-address");
                    })) {
      argv.push_back("--no-auth-beyond-loopback");
    }
  }
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  server->pid_ = Spawn(argv, log_fd, [max_descriptors] {
    if (max_descriptors > 0) {
      const rlimit limit = {.rlim_cur = static_cast<rlim_t>(max_descriptors),
                            .rlim_max = static_cast<rlim_t>(max_descriptors)};
      setrlimit(RLIMIT_NOFILE, &limit);
    }
  });
  if (AwaitReady(&server->pid_, std::chrono::seconds(30), [&] {
        if (server->port_ == 0) {
          server->port_ = LoggedPort(server->Output(), "listening");
        }
        return server->port_ != 0 &&
               HealthStatus(server->Channel()) == wait_for;
      })) {
    close(log_fd);
    return server;
  }
  close(log_fd);
  ADD_FAILURE() << "the server did not become " << wait_for << "; its output:\n"
                << server->Output();
  return server;
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Stop(SIGTERM, 30);
  if (!log_path_.empty()) unlink(log_path_.c_str());
}

std::string ServerProcess::address() const {
  return absl::StrCat("127.0.0.1:", port_);
}

std::shared_ptr<grpc::Channel> ServerProcess::Channel() const {
  // A channel of its own, with its own connection: a channel that failed to
  // connect (to a server still starting) backs off for seconds, and channels
  // share connections through gRPC's global subchannel pool otherwise.
  return ChannelOfItsOwn(address(), credentials_ != nullptr
                                        ? credentials_
                                        : grpc::InsecureChannelCredentials());
}

int ServerProcess::Stop(int signal, int timeout_s) {
  return StopChild(&pid_, signal, timeout_s);
}

std::string ServerProcess::Output() const { return ReadFile(log_path_); }

int ServerProcess::MetricsPort() const {
  return LoggedPort(Output(), "metrics_listening");
}

int ServerProcess::EdgePort() const {
  return LoggedPort(Output(), "edge_listening");
}

int ServerProcess::ProbePort() const {
  return LoggedPort(Output(), "probe_listening");
}

int ServerProcess::HttpPort() const {
  return LoggedPort(Output(), "http_listening");
}

int ServerProcess::HttpEdgePort() const {
  return LoggedPort(Output(), "http_edge_listening");
}

int64_t ProcStatusKib(pid_t pid, const std::string& field) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) != 0) continue;
    int64_t kib = 0;
    const std::string digits = line.substr(field.size() + 1);
    const size_t start = digits.find_first_not_of(" \t");
    const size_t end = digits.find(' ', start);
    if (absl::SimpleAtoi(digits.substr(start, end - start), &kib)) return kib;
  }
  return -1;
}

std::unique_ptr<EdgeProcess> EdgeProcess::Start(const ServerProcess& server,
                                                Options options) {
  auto edge = std::unique_ptr<EdgeProcess>(new EdgeProcess());
  edge->options_ = std::move(options);
  char log_path[] = "/tmp/fr-edge-log.XXXXXX";
  const int log_fd = mkstemp(log_path);
  edge->log_path_ = log_path;
  const int upstream = server.EdgePort();
  if (upstream == 0) {
    ADD_FAILURE() << "the server has no edge listener (--edge-address)";
    close(log_fd);
    return edge;
  }
  const int http_upstream = server.HttpEdgePort();
  for (int attempt = 0; attempt < 5; ++attempt) {
    edge->port_ = PickFreePort();
    edge->monitor_port_ = PickFreePort();
    std::vector<std::pair<std::string, std::string>> settings = {
        {"LISTEN_ADDRESS", edge->address()},
        {"UPSTREAM", absl::StrCat("127.0.0.1:", upstream)},
        {"HTTP_UPSTREAM",
         http_upstream == 0 ? "" : absl::StrCat("127.0.0.1:", http_upstream)},
        {"MONITOR_ADDRESS", absl::StrCat("127.0.0.1:", edge->monitor_port_)},
        {"TLS_CERT", edge->options_.tls_cert},
        {"TLS_KEY", edge->options_.tls_key},
        {"TLS_CLIENT_CA", edge->options_.tls_client_ca},
        {"TLS_REFRESH_INTERVAL", "1"},
        {"HARD_STOP_AFTER", "5s"}};
    settings.insert(settings.end(), edge->options_.settings.begin(),
                    edge->options_.settings.end());
    edge->pid_ =
        Spawn({SourceDir() + "/deploy/edge/forum-registry-edge"}, log_fd,
              [&settings] {
                for (const auto& [name, value] : settings) {
                  setenv(absl::StrCat("FORUM_REGISTRY_EDGE_", name).c_str(),
                         value.c_str(), 1);
                }
              });
    if (AwaitReady(&edge->pid_, std::chrono::seconds(20), [&] {
          return HealthStatus(edge->Channel()) == "SERVING";
        })) {
      close(log_fd);
      return edge;
    }
    // Exited (a port may have been taken: try others), or running but
    // never passing calls.
    if (edge->pid_ > 0) break;
  }
  close(log_fd);
  ADD_FAILURE() << "the edge did not pass a health check; its output:\n"
                << edge->Output();
  return edge;
}

EdgeProcess::~EdgeProcess() {
  if (pid_ > 0) Stop(SIGTERM, 30);
  if (!log_path_.empty()) unlink(log_path_.c_str());
}

std::string EdgeProcess::address() const {
  return absl::StrCat("127.0.0.1:", port_);
}

namespace {

// The children of `pid` (of its main thread).
std::vector<pid_t> ChildrenOf(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/task/", pid, "/children"));
  std::vector<pid_t> children;
  pid_t child = 0;
  while (in >> child) children.push_back(child);
  return children;
}

bool IsHaproxy(pid_t pid) {
  return absl::StrContains(ReadFile(absl::StrCat("/proc/", pid, "/comm")),
                           "haproxy");
}

}  // namespace

std::vector<pid_t> EdgeProcess::HaproxyPids() const {
  std::vector<pid_t> pids;
  if (pid_ <= 0) return pids;
  // The script's children: HAProxy's master, and now and then a sleep.
  for (const pid_t master : ChildrenOf(pid_)) {
    if (!IsHaproxy(master)) continue;
    pids.push_back(master);
    for (const pid_t worker : ChildrenOf(master)) {
      if (IsHaproxy(worker)) pids.push_back(worker);
    }
  }
  return pids;
}

std::shared_ptr<grpc::Channel> EdgeProcess::Channel() const {
  return ChannelOfItsOwn(address(), options_.credentials != nullptr
                                        ? options_.credentials
                                        : grpc::InsecureChannelCredentials());
}

int EdgeProcess::Stop(int signal, int timeout_s) {
  // HAProxy outlives a supervisor killed outright: it goes first.
  return StopChild(&pid_, signal, timeout_s, [this] {
    for (const pid_t haproxy : HaproxyPids()) kill(haproxy, SIGKILL);
  });
}

std::string EdgeProcess::Output() const { return ReadFile(log_path_); }

std::shared_ptr<grpc::ChannelCredentials> TlsCredentials(const std::string& dir,
                                                         const std::string& ca,
                                                         bool client) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ReadFile(dir + "/" + ca);
  if (client) {
    options.pem_private_key = ReadFile(dir + "/client.key");
    options.pem_cert_chain = ReadFile(dir + "/client.pem");
  }
  return grpc::SslCredentials(options);
}

std::shared_ptr<grpc::Channel> ChannelOfItsOwn(
    const std::string& address,
    std::shared_ptr<grpc::ChannelCredentials> credentials) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(address, std::move(credentials), args);
}

void MakeTlsFiles(const std::string& dir, const std::string& prefix) {
  const std::string p = dir + "/" + (prefix.empty() ? "" : prefix + "-");
  const auto run = [](const std::vector<std::string>& argv) {
    const CommandResult result = RunCommand(argv);
    if (result.exit_code != 0) {
      ADD_FAILURE() << argv[0] << " " << argv[1] << ": " << result.error;
    }
  };
  const auto request = [&](const std::string& key, const std::string& out,
                           const std::string& subject, bool x509) {
    std::vector<std::string> argv = {"/usr/bin/openssl", "req"};
    if (x509) argv.insert(argv.end(), {"-x509", "-days", "2"});
    argv.insert(argv.end(),
                {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                 "-nodes", "-keyout", key, "-out", out, "-subj", subject});
    run(argv);
  };
  const auto sign = [&](const std::string& name, const std::string& san) {
    request(p + name + ".key", p + name + ".csr", "/CN=" + name, false);
    const std::string ext = p + name + ".ext";
    std::ofstream(ext) << "subjectAltName=" << san << "\n";
    run({"/usr/bin/openssl", "x509", "-req", "-in", p + name + ".csr", "-CA",
         p + "ca.pem", "-CAkey", p + "ca.key", "-CAcreateserial", "-out",
         p + name + ".pem", "-days", "2", "-extfile", ext});
  };
  request(p + "ca.key", p + "ca.pem", "/CN=forum-registry-test-ca", true);
  sign("server", "DNS:localhost,IP:127.0.0.1");
  sign("client", "URI:spiffe://forum-registry.test/client");
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

std::string WriteTempFile(const std::string& suffix, const std::string& text) {
  static std::atomic<int> counter{0};
  const std::string path =
      absl::StrCat("/tmp/fr-test-", getpid(), "-", counter++, suffix);
  std::ofstream(path) << text;
  return path;
}

std::string ManyParticipantsTextproto(int count) {
  std::string text;
  for (int i = 0; i < count; ++i) {
    absl::StrAppend(&text, "participants { name: \"participants/p-", i,
                    "\" kind: PARTICIPANT_KIND_STATE display_name: "
                    "\"Delegation zyx",
                    i, "\" }\n");
  }
  return text;
}

namespace {
constexpr char kGinIndexes[] =
    " FROM pg_class c JOIN pg_am a ON a.oid = c.relam WHERE a.amname = 'gin' "
    "AND c.relnamespace = 'public'::regnamespace";
}  // namespace

std::string GinIndexOptions(const TestDatabase& db) {
  return db.Query(
      absl::StrCat("SELECT string_agg(c.relname || ' ' || "
                   "coalesce(array_to_string(c.reloptions, ','), ''), '; ' "
                   "ORDER BY c.relname)",
                   kGinIndexes));
}

int64_t MergePendingGinPages(const TestDatabase& db, const std::string& table) {
  pqxx::connection connection(db.url());
  pqxx::work txn(connection);
  const int64_t pages =
      txn.exec_params(
             absl::StrCat("SELECT coalesce(sum(gin_clean_pending_list("
                          "c.oid::regclass)), 0)",
                          kGinIndexes,
                          " AND c.oid IN (SELECT indexrelid FROM pg_index "
                          "WHERE indrelid = $1::regclass)"),
             table)[0][0]
          .as<int64_t>();
  txn.commit();
  return pages;
}

std::string RevisionHeader(const grpc::ClientContext& context) {
  const auto& headers = context.GetServerInitialMetadata();
  const auto found = headers.find("x-forum-registry-revision");
  return found == headers.end()
             ? ""
             : std::string(found->second.data(), found->second.size());
}

double MetricSample(const std::string& metrics, const std::string& series) {
  const size_t at = metrics.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::atof(metrics.c_str() + at + series.size() + 2);
}

std::string HttpGet(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5);
  const auto response = client.Get(path.c_str());
  if (!response) return "";
  return response->body;
}

namespace {

// A database, a server on it and a channel to the server, for
// SharedRegistry and SeededRegistry. The members go in the reverse of their
// order: the channel hangs up first (the server's Shutdown waits for
// connected clients), then the server stops, then its database is dropped.
struct Running {
  std::string setup_error;  // why it is not usable, if it is not
  std::unique_ptr<TestDatabase> db;
  std::unique_ptr<ServerProcess> server;
  std::shared_ptr<grpc::Channel> channel;
};

// Only between SharedRegistry::SetUp and TearDown.
Running* g_shared = nullptr;

}  // namespace

void SharedRegistry::SetUp() {
  g_shared = new Running;
  g_shared->db = TestDatabase::Create();
  // Request ids kept the shortest time allowed and purged often, so that a
  // test can watch one expire (retry_test).
  g_shared->server = ServerProcess::Start(
      g_shared->db->url(),
      {"--request-id-retention=1m", "--change-purge-interval=1s"});
  g_shared->channel = g_shared->server->Channel();
}

void SharedRegistry::TearDown() {
  delete g_shared;
  g_shared = nullptr;
}

TestDatabase* SharedRegistry::db() {
  return g_shared == nullptr ? nullptr : g_shared->db.get();
}

ServerProcess* SharedRegistry::server() {
  return g_shared == nullptr ? nullptr : g_shared->server.get();
}

std::shared_ptr<grpc::Channel>* SharedRegistry::channel() {
  return g_shared == nullptr ? nullptr : &g_shared->channel;
}

namespace {

// The registry of the running SeededRegistry suite; only between its
// SetUpTestSuite and TearDownTestSuite.
Running* g_seeded = nullptr;

}  // namespace

void SeededRegistry::SetUpTestSuite() {
  g_seeded = new Running;
  g_seeded->db = TestDatabase::Create();
  const CommandResult import = RunCommand(
      {BinaryPath(), "import",
       absl::StrCat("--database-url=", g_seeded->db->url()), SeedPath()});
  if (import.exit_code != 0) {
    AddSetupError(absl::StrCat("forum-registry import ", SeedPath(),
                               " exited with ", import.exit_code, ":\n",
                               import.output, import.error));
  }
  g_seeded->server = ServerProcess::Start(g_seeded->db->url());
  if (g_seeded->server->pid() <= 0) {
    AddSetupError(absl::StrCat("the server is not running:\n",
                               g_seeded->server->Output()));
  }
  g_seeded->channel = g_seeded->server->Channel();
}

void SeededRegistry::TearDownTestSuite() {
  delete g_seeded;
  g_seeded = nullptr;
}

TestDatabase& SeededRegistry::db() { return *g_seeded->db; }
ServerProcess& SeededRegistry::server() { return *g_seeded->server; }
const std::shared_ptr<grpc::Channel>& SeededRegistry::channel() {
  return g_seeded->channel;
}

void SeededRegistry::SetUp() {
  ASSERT_TRUE(SetupError().empty()) << SetupError();
}

void SeededRegistry::AddSetupError(const std::string& error) {
  absl::StrAppend(&g_seeded->setup_error, error, "\n");
}

const std::string& SeededRegistry::SetupError() {
  return g_seeded->setup_error;
}

void ExpectSameMessage(const google::protobuf::Message& actual,
                       const google::protobuf::Message& expected) {
  std::string differences;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&differences);
  EXPECT_TRUE(differencer.Compare(expected, actual))
      << differences << "\nexpected:\n"
      << expected.DebugString() << "actual:\n"
      << actual.DebugString();
}

grpc::Status GetForum(const std::shared_ptr<grpc::Channel>& channel,
                      const std::string& name, absl::Duration timeout) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  forumregistry::v1::GetForumRequest request;
  request.set_name(name);
  forumregistry::v1::Forum forum;
  return forumregistry::v1::ForumService::NewStub(channel)->GetForum(
      &context, request, &forum);
}

grpc::Status CreateForum(const std::shared_ptr<grpc::Channel>& channel,
                         const std::string& id, absl::Duration timeout) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  forumregistry::v1::CreateForumRequest request;
  request.set_forum_id(id);
  request.mutable_forum()->set_kind(forumregistry::v1::FORUM_KIND_SUMMIT);
  request.mutable_forum()->set_display_name(id);
  forumregistry::v1::Forum forum;
  return forumregistry::v1::ForumService::NewStub(channel)->CreateForum(
      &context, request, &forum);
}

}  // namespace forum_registry::testing
