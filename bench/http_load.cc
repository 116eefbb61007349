// A closed-loop HTTP/1.1 load generator for bench/http.sh, the HTTP door's
// counterpart of bench/grpc_load: the same threads, the same loop, the same
// output line, so the two can be read side by side.
//
//   http_load HOST:PORT CASE THREADS SECONDS
//
// CASE is one of: head_openapi (HEAD /openapi.json: the door answering
// without the API, its floor), get_forum (GET /v1/forums/arf, HTTP/JSON),
// connect_get_forum (POST /forumregistry.v1.ForumService/GetForum with
// {"name":"forums/arf"}, Connect unary JSON) and list_forums (GET
// /v1/forums?page_size=50). Each thread keeps one keep-alive connection
// (cpp-httplib's client, TCP_NODELAY) and sends one request after another; a call counts
// as an error unless it answers 200 (and, but for HEAD, a body). Prints one
// line: case, threads, calls, errors, calls per second, p50/p90/p99/max in
// microseconds, and the mean bytes of an answer's body.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "httplib.h"

namespace {

using Clock = std::chrono::steady_clock;

// The body's size, or -1 for a call that failed.
int64_t CallOnce(const std::string& which, httplib::Client& client) {
  if (which == "head_openapi") {
    const auto result = client.Head("/openapi.json");
    return result && result->status == 200 ? 0 : -1;
  }
  const auto result = [&] {
    if (which == "get_forum") return client.Get("/v1/forums/arf");
    if (which == "connect_get_forum") {
      return client.Post("/forumregistry.v1.ForumService/GetForum",
                         httplib::Headers{{"Connect-Protocol-Version", "1"}},
                         R"({"name":"forums/arf"})", "application/json");
    }
    if (which == "list_forums") return client.Get("/v1/forums?page_size=50");
    std::fprintf(stderr, "http_load: no case %s\n", which.c_str());
    std::exit(2);
  }();
  if (!result || result->status != 200 || result->body.empty()) return -1;
  return static_cast<int64_t>(result->body.size());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: http_load HOST:PORT CASE THREADS SECONDS\n");
    return 2;
  }
  const std::string address = argv[1], which = argv[2];
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) {
    std::fprintf(stderr, "http_load: %s is not HOST:PORT\n", argv[1]);
    return 2;
  }
  const std::string host = address.substr(0, colon);
  const int port = std::atoi(address.c_str() + colon + 1);
  const int threads = std::atoi(argv[3]);
  const auto duration = std::chrono::seconds(std::atoi(argv[4]));
  std::vector<std::vector<int64_t>> latencies(threads);
  std::atomic<int64_t> errors{0}, bytes{0};
  std::vector<std::thread> workers;
  const auto start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      httplib::Client client(host, port);
      client.set_keep_alive(true);
      // As gRPC, curl and browsers do: without it, a POST's body waits for
      // the ACK of its headers (Nagle against delayed ACKs, about 40 ms).
      client.set_tcp_nodelay(true);
      client.set_connection_timeout(5, 0);
      client.set_read_timeout(5, 0);  // grpc_load's deadline
      client.set_write_timeout(5, 0);
      // Warm up: connect, and the server's first calls.
      for (int i = 0; i < 20; ++i) CallOnce(which, client);
      int64_t my_bytes = 0;
      while (Clock::now() - start < duration) {
        const auto before = Clock::now();
        const int64_t size = CallOnce(which, client);
        if (size < 0) {
          ++errors;
        } else {
          my_bytes += size;
        }
        latencies[t].push_back(
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() -
                                                                  before)
                .count());
      }
      bytes += my_bytes;
    });
  }
  for (auto& worker : workers) worker.join();
  const double seconds =
      std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<int64_t> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  const auto pct = [&](double p) {
    return all.empty() ? 0
                       : all[std::min(all.size() - 1,
                                      static_cast<size_t>(p * all.size()))];
  };
  const int64_t ok = static_cast<int64_t>(all.size()) - errors.load();
  std::printf(
      "%s threads=%d rpcs=%zu errors=%lld rps=%.0f p50_us=%lld p90_us=%lld "
      "p99_us=%lld max_us=%lld body_bytes=%lld\n",
      which.c_str(), threads, all.size(), static_cast<long long>(errors.load()),
      all.size() / seconds, static_cast<long long>(pct(0.50)),
      static_cast<long long>(pct(0.90)), static_cast<long long>(pct(0.99)),
      static_cast<long long>(all.empty() ? 0 : all.back()),
      static_cast<long long>(ok > 0 ? bytes.load() / ok : 0));
  return errors.load() == 0 ? 0 : 1;
}
