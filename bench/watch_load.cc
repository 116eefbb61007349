// The WatchChanges benchmark of bench/watch.sh: many watchers, a steady
// stream of writes, and how late each change reaches each watcher.
//
//   watch_load ADDRESS SERVER_PID WATCHERS WRITES_PER_SECOND SECONDS
//
// Opens WATCHERS streams (no filter: every change to every watcher) on ten
// channels with gRPC's callback client, waits until each has its first
// bookmark, then creates WRITES_PER_SECOND participants a second through
// CreateParticipant for SECONDS. A change's latency is the time it is read
// by a watcher minus its change_time, the moment its transaction committed
// (the server stamps it at COMMIT; client and server share this machine's
// clock). The server's memory (VmRSS of SERVER_PID) is read before the
// watchers open and once they are all open and idle.
//
// Prints one line of results. Not a test.

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "forumregistry/v1/change.grpc.pb.h"
#include "forumregistry/v1/participant.grpc.pb.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace {

namespace v1 = forumregistry::v1;
using Clock = std::chrono::steady_clock;

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Resident memory of `pid`, in KiB.
int64_t RssKiB(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return -1;
}

// CPU time `pid` has used (user + system), in microseconds.
int64_t CpuMicros(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)),
                   std::istreambuf_iterator<char>());
  // Fields after the command name, which ends with ')': state is field 3,
  // utime 14 and stime 15.
  std::istringstream rest(text.substr(text.rfind(')') + 2));
  std::string field;
  int64_t utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  return (utime + stime) * 1000000 / sysconf(_SC_CLK_TCK);
}

class Watcher final : public grpc::ClientReadReactor<v1::WatchChangesResponse> {
 public:
  Watcher(v1::ChangeService::Stub* stub, std::atomic<int>* ready)
      : ready_(ready) {
    stub->async()->WatchChanges(&context_, &request_, this);
    StartRead(&response_);
    StartCall();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows
    const int64_t now = NowMicros();
    for (const v1::Change& change : response_.changes()) {
      latencies_.push_back(static_cast<int32_t>(
          now - google::protobuf::util::TimeUtil::TimestampToMicroseconds(
                    change.change_time())));
    }
    ++messages_;
    if (!got_bookmark_) {
      got_bookmark_ = true;
      ready_->fetch_add(1);
    }
    StartRead(&response_);
  }
  void OnDone(const grpc::Status& status) override {
    status_ = status;
    done_.Notify();
  }
  void Cancel() { context_.TryCancel(); }
  void Wait() { done_.WaitForNotification(); }
  const std::vector<int32_t>& latencies() const { return latencies_; }
  int64_t messages() const { return messages_; }
  const grpc::Status& status() const { return status_; }

 private:
  grpc::ClientContext context_;
  v1::WatchChangesRequest request_;
  v1::WatchChangesResponse response_;
  std::atomic<int>* ready_;
  bool got_bookmark_ = false;
  std::vector<int32_t> latencies_;  // µs; only OnReadDone touches it
  int64_t messages_ = 0;
  grpc::Status status_;
  absl::Notification done_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr,
                 "usage: %s ADDRESS SERVER_PID WATCHERS WRITES_PER_SECOND "
                 "SECONDS\n",
                 argv[0]);
    return 2;
  }
  const std::string address = argv[1];
  const int server_pid = std::atoi(argv[2]);
  const int watchers = std::atoi(argv[3]);
  const int rate = std::atoi(argv[4]);
  const int seconds = std::atoi(argv[5]);

  constexpr int kChannels = 10;
  std::vector<std::unique_ptr<v1::ChangeService::Stub>> stubs;
  for (int i = 0; i < kChannels; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("forum_registry.bench_channel", i);  // a connection each
    stubs.push_back(v1::ChangeService::NewStub(grpc::CreateCustomChannel(
        address, grpc::InsecureChannelCredentials(), args)));
  }
  auto participants = v1::ParticipantService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));

  const int64_t rss_before = RssKiB(server_pid);
  std::atomic<int> ready{0};
  std::vector<std::unique_ptr<Watcher>> open;
  const auto opening = Clock::now();
  for (int i = 0; i < watchers; ++i) {
    open.push_back(
        std::make_unique<Watcher>(stubs[i % kChannels].get(), &ready));
  }
  while (ready.load() < watchers &&
         Clock::now() - opening < std::chrono::seconds(60)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const double open_s =
      std::chrono::duration<double>(Clock::now() - opening).count();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const int64_t rss_open = RssKiB(server_pid);

  const int64_t cpu_before = CpuMicros(server_pid);
  // Writes, paced.
  const std::string run = std::to_string(NowMicros());
  int writes = 0, failed = 0;
  const auto start = Clock::now();
  const auto interval = std::chrono::microseconds(1000000 / rate);
  for (auto next = start; Clock::now() - start < std::chrono::seconds(seconds);
       next += interval) {
    std::this_thread::sleep_until(next);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(5));
    v1::CreateParticipantRequest request;
    request.set_participant_id("bench-" + run + "-" + std::to_string(writes));
    request.mutable_participant()->set_display_name("Bench");
    request.mutable_participant()->set_kind(v1::PARTICIPANT_KIND_STATE);
    v1::Participant created;
    ++writes;
    if (!participants->CreateParticipant(&context, request, &created).ok()) {
      ++failed;
    }
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));  // stragglers
  const int64_t server_cpu = CpuMicros(server_pid) - cpu_before;
  const int64_t rss_load = RssKiB(server_pid);
  for (auto& watcher : open) watcher->Cancel();
  std::vector<int32_t> all;
  int ended_badly = 0;
  int64_t messages = 0;
  for (auto& watcher : open) {
    messages += watcher->messages();
    watcher->Wait();
    if (watcher->status().error_code() != grpc::StatusCode::CANCELLED) {
      ++ended_badly;
    }
    all.insert(all.end(), watcher->latencies().begin(),
               watcher->latencies().end());
  }
  std::sort(all.begin(), all.end());
  const auto pct = [&](double p) {
    return all.empty() ? 0.0
                       : all[std::min(all.size() - 1,
                                      static_cast<size_t>(p * all.size()))] /
                             1000.0;
  };
  const int64_t expected = static_cast<int64_t>(writes - failed) * watchers;
  std::printf(
      "watchers=%d ready=%d open_s=%.2f writes=%d failed_writes=%d "
      "delivered=%zu expected=%lld messages=%lld ended_badly=%d "
      "latency_ms p50=%.2f "
      "p90=%.2f p99=%.2f max=%.2f rss_kib before=%lld open=%lld load=%lld "
      "kib_per_watcher=%.1f server_cpu_s=%.2f server_cpu_us_per_change=%.2f\n",
      watchers, ready.load(), open_s, writes, failed, all.size(),
      static_cast<long long>(expected), static_cast<long long>(messages),
      ended_badly, pct(0.5), pct(0.9), pct(0.99),
      all.empty() ? 0.0 : all.back() / 1000.0,
      static_cast<long long>(rss_before), static_cast<long long>(rss_open),
      static_cast<long long>(rss_load),
      watchers > 0 ? static_cast<double>(rss_open - rss_before) / watchers
                   : 0.0,
      server_cpu / 1e6,
      all.empty() ? 0.0 : static_cast<double>(server_cpu) / all.size());
  return all.size() == static_cast<size_t>(expected) ? 0 : 1;
}
