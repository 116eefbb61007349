#include "src/api/connection_cutter.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/tcp.h>
#include <malloc.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "src/store/descriptors.h"

namespace forum_registry::api {

std::optional<sockaddr_storage> ParsePeer(absl::string_view encoded) {
  // gRPC writes peers as URIs: "ipv6:%5B::1%5D:5000".
  std::string decoded;
  for (size_t i = 0; i < encoded.size(); ++i) {
    int byte = 0;
    if (encoded[i] == '%' && i + 2 < encoded.size() &&
        absl::SimpleHexAtoi(encoded.substr(i + 1, 2), &byte)) {
      decoded.push_back(static_cast<char>(byte));
      i += 2;
    } else {
      decoded.push_back(encoded[i]);
    }
  }
  absl::string_view peer = decoded;
  sockaddr_storage out{};
  const bool v4 = absl::ConsumePrefix(&peer, "ipv4:");
  if (!v4 && !absl::ConsumePrefix(&peer, "ipv6:")) return std::nullopt;
  const size_t colon = peer.rfind(':');
  if (colon == absl::string_view::npos) return std::nullopt;
  uint32_t port = 0;
  if (!absl::SimpleAtoi(peer.substr(colon + 1), &port) || port > 65535) {
    return std::nullopt;
  }
  std::string host(peer.substr(0, colon));
  if (v4) {
    auto* in = reinterpret_cast<sockaddr_in*>(&out);
    in->sin_family = AF_INET;
    in->sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, host.c_str(), &in->sin_addr) != 1) {
      return std::nullopt;
    }
    return out;
  }
  if (host.size() < 2 || host.front() != '[' || host.back() != ']') {
    return std::nullopt;
  }
  host = host.substr(1, host.size() - 2);
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&out);
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET6, host.c_str(), &in6->sin6_addr) != 1) {
    return std::nullopt;
  }
  return out;
}

namespace {

// An IPv4 address mapped into IPv6 (::ffff:a.b.c.d) as the IPv4 address:
// gRPC's sockets are dual-stack, and it names such peers "ipv4:".
sockaddr_storage Unmapped(const sockaddr_storage& address) {
  if (address.ss_family != AF_INET6) return address;
  const auto& in6 = reinterpret_cast<const sockaddr_in6&>(address);
  if (!IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr)) return address;
  sockaddr_storage out{};
  auto& in = reinterpret_cast<sockaddr_in&>(out);
  in.sin_family = AF_INET;
  in.sin_port = in6.sin6_port;
  std::memcpy(&in.sin_addr, &in6.sin6_addr.s6_addr[12], 4);
  return out;
}

}  // namespace

bool SameAddress(const sockaddr_storage& left, const sockaddr_storage& right) {
  const sockaddr_storage a = Unmapped(left);
  const sockaddr_storage b = Unmapped(right);
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET) {
    const auto& x = reinterpret_cast<const sockaddr_in&>(a);
    const auto& y = reinterpret_cast<const sockaddr_in&>(b);
    return x.sin_port == y.sin_port && x.sin_addr.s_addr == y.sin_addr.s_addr;
  }
  if (a.ss_family == AF_INET6) {
    const auto& x = reinterpret_cast<const sockaddr_in6&>(a);
    const auto& y = reinterpret_cast<const sockaddr_in6&>(b);
    return x.sin6_port == y.sin6_port &&
           std::memcmp(&x.sin6_addr, &y.sin6_addr, sizeof x.sin6_addr) == 0;
  }
  return false;
}

bool ConnectionCutter::Cancelled(const std::string& peer, absl::Time now) {
  if (per_second_ <= 0) return false;
  {
    absl::MutexLock lock(&mu_);
    // Connections that went quiet are forgotten, at most once a second.
    if (now - last_prune_ >= absl::Seconds(1)) {
      last_prune_ = now;
      for (auto it = windows_.begin(); it != windows_.end();) {
        if (now - it->second.start > absl::Seconds(2)) {
          windows_.erase(it++);
        } else {
          ++it;
        }
      }
    }
    Window& window = windows_[peer];
    if (now - window.start >= absl::Seconds(1)) {
      // A new second, a new count: a connection that reuses the address
      // later, or a cut that did not find the socket, starts over.
      window = Window{.start = now};
    }
    if (window.cut || ++window.count <= per_second_) return false;
    window.cut = true;
    ++cut_;
  }
  std::vector<int> ports;
  {
    absl::MutexLock lock(&mu_);
    ports = ports_;
  }
  Cut(peer, ports);
  return true;
}

void ConnectionCutter::set_ports(std::vector<int> ports) {
  absl::MutexLock lock(&mu_);
  ports_ = std::move(ports);
}

int64_t ConnectionCutter::cut() const {
  absl::MutexLock lock(&mu_);
  return cut_;
}

namespace {

// Calls `visit` with each socket of the process (a store::SocketRef),
// until it returns true.
template <typename Visit>
void ForEachSocket(Visit visit) {
  const std::vector<int> numbers = store::DescriptorNumbers();
  for (const int fd : numbers) {
    // Checked and shut down through a duplicate: the same socket even if
    // the number is closed and reused meanwhile (at EMFILE, through the
    // number, checked to be the same socket: store/descriptors.h).
    store::SocketRef socket(fd, "connection cutter");
    if (socket.valid() && visit(socket)) return;
  }
}

// The socket's remote address, or nullopt if it is not a connected socket.
std::optional<sockaddr_storage> Remote(int fd) {
  sockaddr_storage remote{};
  socklen_t length = sizeof remote;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&remote), &length) != 0) {
    return std::nullopt;
  }
  return remote;
}

// The socket's local port, or -1.
int LocalPort(int fd) {
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0) {
    return -1;
  }
  if (local.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in&>(local).sin_port);
  }
  if (local.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6&>(local).sin6_port);
  }
  return -1;
}

std::string Key(const sockaddr_storage& address) {
  const sockaddr_storage a = Unmapped(address);
  char text[INET6_ADDRSTRLEN] = "";
  if (a.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(a);
    inet_ntop(AF_INET, &in.sin_addr, text, sizeof text);
    return absl::StrCat(text, ":", ntohs(in.sin_port));
  }
  const auto& in6 = reinterpret_cast<const sockaddr_in6&>(a);
  inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text);
  return absl::StrCat("[", text, "]:", ntohs(in6.sin6_port));
}

}  // namespace

bool ConnectionCutter::Cut(absl::string_view peer,
                           const std::vector<int>& local_ports) {
  const std::optional<sockaddr_storage> wanted = ParsePeer(peer);
  if (!wanted.has_value()) return false;
  bool found = false;
  ForEachSocket([&](const store::SocketRef& socket) {
    const std::optional<sockaddr_storage> remote = Remote(socket.fd());
    if (!remote.has_value() || !SameAddress(*remote, *wanted)) return false;
    if (!local_ports.empty() &&
        !absl::c_linear_search(local_ports, LocalPort(socket.fd()))) {
      return false;
    }
    found = socket.Shutdown();
    return found;
  });
  return found;
}

HeapGuard::HeapGuard(std::vector<int> ports, int64_t max_heap_bytes,
                     std::function<int64_t()> held)
    : ports_(std::move(ports)),
      max_heap_bytes_(max_heap_bytes),
      held_(std::move(held)) {
  if (max_heap_bytes_ > 0 && !ports_.empty())
    thread_ = std::thread([this] { Run(); });
}

HeapGuard::~HeapGuard() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

int64_t HeapGuard::cut() const {
  absl::MutexLock lock(&mu_);
  return cut_;
}

int64_t HeapGuard::HeapInUse() {
  const struct mallinfo2 info = mallinfo2();
  return static_cast<int64_t>(info.uordblks + info.hblkhd);
}

void HeapGuard::Run() {
  // Bytes each connection had received at the last look.
  absl::flat_hash_map<std::string, uint64_t> received;
  absl::Time last_cut = absl::InfinitePast();
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      const auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_;
      };
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping), kTick)) return;
    }
    absl::flat_hash_map<std::string, uint64_t> now_received;
    uint64_t most = 0;
    // The heaviest sender's socket, kept from the scan (so the socket shut
    // down is the one measured).
    store::SocketRef heaviest;
    ForEachSocket([&](const store::SocketRef& socket) {
      const int fd = socket.fd();
      if (!absl::c_linear_search(ports_, LocalPort(fd))) return false;
      const std::optional<sockaddr_storage> remote = Remote(fd);
      if (!remote.has_value()) return false;  // the listener
      tcp_info info{};
      socklen_t length = sizeof info;
      if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) != 0) {
        return false;
      }
      const std::string key = Key(*remote);
      const uint64_t total = info.tcpi_bytes_received;
      now_received[key] = total;
      const auto before = received.find(key);
      const uint64_t delta =
          total - (before == received.end() ? 0 : before->second);
      if (delta > most) {
        most = delta;
        heaviest = store::SocketRef(fd, "heap guard");
      }
      return false;
    });
    received = std::move(now_received);
    const absl::Time now = absl::Now();
    // mallinfo2 locks every arena: asked only when a cut is possible.
    const bool cut = heaviest.valid() && most >= kMinBytes &&
                     now - last_cut >= kPause &&
                     HeapInUse() > max_heap_bytes_ + (held_ ? held_() : 0) &&
                     heaviest.Shutdown();
    if (!cut) continue;
    last_cut = now;
    absl::MutexLock lock(&mu_);
    ++cut_;
  }
}

}  // namespace forum_registry::api
