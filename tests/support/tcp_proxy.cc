#include "tests/support/tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "absl/strings/str_cat.h"

namespace forum_registry::testing {
namespace {

// Writes all of `size` bytes; false if the peer is gone.
bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

int ConnectUnix(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address),
                sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

std::string UnixSocketOf(const std::string& database_url) {
  const size_t at = database_url.find("host=");
  if (at == std::string::npos) {
    throw std::runtime_error("no host= in " + database_url);
  }
  const size_t end = database_url.find('&', at);
  return absl::StrCat(
      database_url.substr(
          at + 5, end == std::string::npos ? std::string::npos : end - at - 5),
      "/.s.PGSQL.5432");
}

TcpProxy::TcpProxy(std::string target) : target_(std::move(target)) {
  listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (::bind(listener_, reinterpret_cast<const sockaddr*>(&address),
             sizeof(address)) != 0 ||
      ::listen(listener_, 64) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address),
                    &length) != 0) {
    throw std::runtime_error("the test proxy cannot listen");
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { Run(); });
}

TcpProxy::~TcpProxy() {
  stop_ = true;
  thread_.join();
  for (const auto& [client, server] : pairs_) {
    ::close(client);
    ::close(server);
  }
  for (const int server : held_) ::close(server);
  ::close(listener_);
}

std::string TcpProxy::Url(const std::string& database_url) const {
  // postgresql:///NAME?host=DIR&user=U ->
  // postgresql://127.0.0.1:PORT/NAME?user=U
  const size_t slash = database_url.find(":///");
  const size_t query = database_url.find('?');
  const std::string name = database_url.substr(slash + 4, query - slash - 4);
  std::string rest;
  if (const size_t user = database_url.find("user=");
      user != std::string::npos) {
    const size_t end = database_url.find('&', user);
    rest = absl::StrCat("&", database_url.substr(user, end == std::string::npos
                                                           ? std::string::npos
                                                           : end - user));
  }
  return absl::StrCat("postgresql://127.0.0.1:", port_, "/", name,
                      "?sslmode=disable", rest);
}

void TcpProxy::Cut(bool database_side_too) {
  cut_ = database_side_too ? Cutting::kBoth : Cutting::kClients;
  while (cut_ != Cutting::kNone) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void TcpProxy::Run() {
  std::vector<char> buffer(1 << 16);
  while (!stop_) {
    if (const Cutting cutting = cut_; cutting != Cutting::kNone) {
      // The client sees its socket reset; the database sees its closed, or
      // (kClients) nothing at all, as when the network fails silently on
      // its side.
      for (const auto& [client, server] : pairs_) {
        const linger reset{1, 0};
        ::setsockopt(client, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        ::close(client);
        if (cutting == Cutting::kClients) {
          held_.push_back(server);
        } else {
          ::close(server);
        }
      }
      pairs_.clear();
      cut_ = Cutting::kNone;
    }
    const bool paused = paused_;
    std::vector<pollfd> fds{{listener_, POLLIN, 0}};
    if (!paused) {
      for (const auto& [client, server] : pairs_) {
        fds.push_back({client, POLLIN, 0});
        fds.push_back({server, POLLIN, 0});
      }
    }
    if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      const int client = ::accept(listener_, nullptr, nullptr);
      if (client >= 0) {
        const int server = ConnectUnix(target_);
        if (server < 0) {
          ::close(client);
        } else {
          pairs_.emplace_back(client, server);
        }
      }
    }
    if (paused) continue;
    std::vector<size_t> closed;
    for (size_t i = 0; i + 1 < fds.size(); i += 2) {
      const size_t pair = i / 2;
      bool open = true;
      for (size_t side = 0; side < 2 && open; ++side) {
        const pollfd& from = fds[1 + i + side];
        if (from.revents == 0) continue;
        const int to = side == 0 ? pairs_[pair].second : pairs_[pair].first;
        const ssize_t n = ::recv(from.fd, buffer.data(), buffer.size(), 0);
        open = n > 0 && WriteAll(to, buffer.data(), static_cast<size_t>(n));
      }
      if (!open) closed.push_back(pair);
    }
    for (auto it = closed.rbegin(); it != closed.rend(); ++it) {
      ::close(pairs_[*it].first);
      ::close(pairs_[*it].second);
      pairs_.erase(pairs_.begin() + static_cast<std::ptrdiff_t>(*it));
    }
  }
}

}  // namespace forum_registry::testing
