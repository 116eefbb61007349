#ifndef FORUM_REGISTRY_API_CONNECTION_CUTTER_H_
#define FORUM_REGISTRY_API_CONNECTION_CUTTER_H_

// Closes the connection of a client that cancels calls faster than any
// honest client does: the in-process defence against HTTP/2 rapid reset
// (CVE-2023-44487) that gRPC 1.51 lacks (its fix, in 1.56.3 and later, sends
// GOAWAY past a rate of resets).
//
// gRPC's C++ API gives no handle on a call's transport, only its peer
// ("ipv4:10.1.2.3:45532"). So the cutter finds the server's socket whose
// remote end is that address among the process's descriptors and shuts it
// down; gRPC reads end-of-stream, closes the transport and cancels its
// calls. The descriptor is duplicated before it is checked, so the socket
// shut down is the one checked even if gRPC closes the number meanwhile.
//
// A connection is cut once its cancellations within one second pass the
// limit. Thread-safe.

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace forum_registry::api {

// The socket address of a gRPC peer string ("ipv4:127.0.0.1:5000",
// "ipv6:[::1]:5000"); nullopt for anything else (a Unix socket, garbage).
std::optional<sockaddr_storage> ParsePeer(absl::string_view peer);

// Whether `a` and `b` are the same IPv4 or IPv6 address and port; an IPv4
// address mapped into IPv6 is the IPv4 address.
bool SameAddress(const sockaddr_storage& a, const sockaddr_storage& b);

class ConnectionCutter {
 public:
  // At most `per_second` cancellations a connection, in any one second
  // (0: never cut).
  explicit ConnectionCutter(int per_second) : per_second_(per_second) {}

  // One call of `peer` was cancelled at `now`. Returns true when this one
  // passed the limit (the connection is then cut, once).
  bool Cancelled(const std::string& peer, absl::Time now);

  // Connections cut so far.
  int64_t cut() const;

  // The server's ports: only a socket on one of them is cut (none: any).
  void set_ports(std::vector<int> ports) ABSL_LOCKS_EXCLUDED(mu_);

  // Shuts down the process's socket connected to `peer` on one of
  // `local_ports` (empty: any port); false if there is none.
  static bool Cut(absl::string_view peer,
                  const std::vector<int>& local_ports = {});

 private:
  struct Window {
    absl::Time start;
    int count = 0;
    bool cut = false;
  };
  const int per_second_;
  mutable absl::Mutex mu_;
  std::vector<int> ports_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Window> windows_ ABSL_GUARDED_BY(mu_);
  absl::Time last_prune_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int64_t cut_ ABSL_GUARDED_BY(mu_) = 0;
};

// The last defence of memory: gRPC 1.51 can take in a connection's streams
// faster than it lets them reach the application (a rapid-reset flood keeps
// the transport's reader busy while the streams it created wait), so
// neither admission nor the cutter sees them, and the heap grows by a
// hundred megabytes a second. Every 100 ms the guard reads the heap in use
// (glibc's mallinfo2); past `max_heap_bytes` it shuts down the connection to
// `port` that received the most bytes since the previous look, if that was
// at least kMinBytes (160 KB a second), at most one each `kPause`. An honest
// client that only asks sends far less and is not the one cut; a heavy
// writer may be, and reconnects.
class HeapGuard {
 public:
  static constexpr absl::Duration kTick = absl::Milliseconds(100);
  static constexpr absl::Duration kPause = absl::Milliseconds(200);
  static constexpr uint64_t kMinBytes = 16 * 1024;

  // Starts the thread, watching connections to `ports`. `max_heap_bytes`
  // 0: does nothing. `held` (null: none) tells the bytes the server holds
  // on purpose (the list cache), which the heap may hold beyond the bound.
  HeapGuard(std::vector<int> ports, int64_t max_heap_bytes,
            std::function<int64_t()> held = nullptr);
  ~HeapGuard();
  HeapGuard(const HeapGuard&) = delete;
  HeapGuard& operator=(const HeapGuard&) = delete;

  int64_t cut() const;

  // The bytes of heap in use (allocated, not free in glibc's arenas).
  static int64_t HeapInUse();

 private:
  void Run();

  const std::vector<int> ports_;
  const int64_t max_heap_bytes_;
  const std::function<int64_t()> held_;
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t cut_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace forum_registry::api

#endif  // FORUM_REGISTRY_API_CONNECTION_CUTTER_H_
