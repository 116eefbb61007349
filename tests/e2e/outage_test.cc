// The database stops answering without closing anything (a partition, a
// hung host): the server's calls still end by their deadlines, nothing is
// committed after a deadline, health says NOT_SERVING, and everything
// serves again soon after the traffic returns (issue 12).

#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "forumregistry/v1/forum.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "tests/support/tcp_proxy.h"
#include "tests/support/test_support.h"

namespace forum_registry::testing {
namespace {

namespace v1 = ::forumregistry::v1;

// RPCs of `method` started and finished by the server, from its metrics.
std::pair<double, double> StartedAndHandled(int metrics_port,
                                            const std::string& method) {
  const std::string metrics = HttpGet(metrics_port, "/metrics");
  double started = 0;
  double handled = 0;
  const std::string label = absl::StrCat("grpc_method=\"", method, "\"");
  for (absl::string_view line : absl::StrSplit(metrics, '\n')) {
    if (line.find(label) == absl::string_view::npos) continue;
    const double value = std::stod(std::string(line.substr(line.rfind(' '))));
    if (absl::StartsWith(line, "grpc_server_started_total{")) started += value;
    if (absl::StartsWith(line, "grpc_server_handled_total{")) handled += value;
  }
  return {started, handled};
}

TEST(DatabaseOutage, CallsEndByTheirDeadlinesAndServiceReturnsWithTheTraffic) {
  auto db = TestDatabase::Create();
  TcpProxy proxy(UnixSocketOf(db->url()));
  // No record cache: every Get reads the database.
  auto server = ServerProcess::Start(
      proxy.Url(db->url()),
      {"--health-check-interval=200ms", "--record-cache-size=0"});
  auto channel = server->Channel();
  ASSERT_TRUE(CreateForum(channel, "before", absl::Seconds(5)).ok());
  ASSERT_TRUE(GetForum(channel, "forums/before", absl::Seconds(5)).ok());

  proxy.Pause();
  // Calls in flight while nothing answers: each ends, on the server too,
  // within its deadline and the watchdog's grace.
  const absl::Duration timeout = absl::Milliseconds(400);
  std::vector<std::future<grpc::Status>> calls;
  for (int i = 0; i < 6; ++i) {
    calls.push_back(std::async(std::launch::async, [&, i] {
      return i % 3 == 0
                 ? CreateForum(channel, absl::StrCat("during-", i), timeout)
                 : GetForum(channel, "forums/before", timeout);
    }));
  }
  for (auto& call : calls) {
    const grpc::Status status = call.get();
    EXPECT_FALSE(status.ok());
    EXPECT_THAT(status.error_code(),
                ::testing::AnyOf(grpc::StatusCode::DEADLINE_EXCEEDED,
                                 grpc::StatusCode::UNAVAILABLE))
        << Describe(status);
  }
  // The server's side of those calls is over soon after: no thread is left
  // blocked on the silent database.
  const absl::Time ended = absl::Now();
  std::pair<double, double> get{}, create{};
  do {
    get = StartedAndHandled(server->MetricsPort(), "GetForum");
    create = StartedAndHandled(server->MetricsPort(), "CreateForum");
    if (get.first == get.second && create.first == create.second) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (absl::Now() - ended < absl::Seconds(3));
  EXPECT_EQ(get.first, get.second) << "GetForum calls still in the server";
  EXPECT_EQ(create.first, create.second)
      << "CreateForum calls still in the server";
  EXPECT_LT(absl::Now() - ended, absl::Seconds(1))
      << "the server's calls ended well after their deadlines";

  // Health follows: the check's own connect or read is bounded too.
  const absl::Time paused = absl::Now();
  std::string health;
  while (absl::Now() - paused < absl::Seconds(10)) {
    health = HealthStatus(channel);
    if (health == "NOT_SERVING") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(health, "NOT_SERVING");

  proxy.Resume();
  const absl::Time resumed = absl::Now();
  bool served = false;
  while (absl::Now() - resumed < absl::Seconds(10)) {
    if (HealthStatus(channel) == "SERVING" &&
        GetForum(channel, "forums/before", absl::Seconds(1)).ok()) {
      served = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(served) << "not serving 10 s after the traffic returned";
  EXPECT_LT(absl::Now() - resumed, absl::Seconds(10));

  // Nothing was committed after its deadline: the creates of the outage
  // were rolled back, even though their statements reached the database
  // once the traffic returned.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(db->Query("SELECT count(*) FROM forums WHERE name LIKE "
                      "'forums/during-%'"),
            "0");
  EXPECT_TRUE(CreateForum(channel, "after", absl::Seconds(5)).ok());
}

}  // namespace
}  // namespace forum_registry::testing
