#ifndef FORUM_REGISTRY_TESTS_SUPPORT_TCP_PROXY_H_
#define FORUM_REGISTRY_TESTS_SUPPORT_TCP_PROXY_H_

// A TCP proxy a test owns, to cut a server off from its database the way a
// network partition does: connections stay open, bytes stop moving.
//
//   TcpProxy proxy(UnixSocketOf(db->url()));
//   auto server = ServerProcess::Start(proxy.Url(db->url()));
//   proxy.Pause();   // nothing is forwarded, nothing is closed
//   ...
//   proxy.Resume();  // what waited is delivered
//
// One thread moves the bytes of every connection; connections made while
// paused are accepted and wait too.

#include <atomic>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace forum_registry::testing {

class TcpProxy {
 public:
  // Listens on 127.0.0.1 (a free port) and forwards to the Unix socket at
  // `target` (PostgreSQL's "<dir>/.s.PGSQL.5432").
  explicit TcpProxy(std::string target);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }

  // `database_url` (a URL with ?host=<socket dir>, as TestDatabase gives)
  // made to connect through this proxy instead.
  std::string Url(const std::string& database_url) const;

  void Pause() { paused_ = true; }
  void Resume() { paused_ = false; }
  // Closes every connection it carries and returns once done; bytes still
  // waiting (while paused) are lost. The client's end is reset; the
  // database's end is closed too, or, without `database_side_too`, left
  // open and silent until the proxy goes, so the database notices nothing.
  // New connections are accepted as before.
  void Cut(bool database_side_too = true);

 private:
  void Run();

  const std::string target_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> paused_{false};
  std::atomic<bool> stop_{false};
  enum class Cutting { kNone, kBoth, kClients };
  std::atomic<Cutting> cut_{Cutting::kNone};
  std::vector<int> held_;  // database ends left open by Cut; thread only
  std::vector<std::pair<int, int>> pairs_;  // client, server; thread only
  std::thread thread_;
};

// The Unix socket of the PostgreSQL a TestDatabase URL names.
std::string UnixSocketOf(const std::string& database_url);

}  // namespace forum_registry::testing

#endif  // FORUM_REGISTRY_TESTS_SUPPORT_TCP_PROXY_H_
