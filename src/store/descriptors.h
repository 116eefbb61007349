#ifndef FORUM_REGISTRY_STORE_DESCRIPTORS_H_
#define FORUM_REGISTRY_STORE_DESCRIPTORS_H_

// Descriptors near the process's limit.
//
// The defences that shut a socket down from another thread (the database
// watchdog, the connection cutter, the heap guard) hold a duplicate of it,
// so that the socket they shut down is the one they meant even if its
// number is closed and reused meanwhile. A duplicate is one descriptor
// more: at EMFILE there is none, and they used to stop silently exactly
// when a flood of connections had taken every descriptor.
//
// SocketRef keeps working there: it holds a duplicate when it can, and
// otherwise the number with the socket's identity (its inode, which
// fstat() reads without a descriptor), checked again before it acts. Each
// time a duplicate could not be had is counted (a metric) and logged, at
// most once in ten seconds.
//
// RaiseDescriptorLimit lifts the soft RLIMIT_NOFILE to the hard one at
// start, as Go's runtime does for every program: the hard limit is the
// operator's, the soft one an accident of the shell.

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"

namespace forum_registry::store {

class SocketRef {
 public:
  SocketRef() = default;
  // Refers to the socket of descriptor `fd` (the caller's; untouched).
  // `who` names the defence, for the log line at EMFILE.
  SocketRef(int fd, absl::string_view who);
  ~SocketRef();
  SocketRef(SocketRef&& other) noexcept;
  SocketRef& operator=(SocketRef&& other) noexcept;
  SocketRef(const SocketRef&) = delete;
  SocketRef& operator=(const SocketRef&) = delete;

  // A descriptor of the socket to ask about (getpeername, getsockopt): the
  // duplicate, or the number; -1 if none.
  int fd() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Whether it holds a duplicate (false: the number, at EMFILE).
  bool owned() const { return owned_; }

  // Shuts the socket down for reading and writing, if it is still the same
  // socket; false if not (or none).
  bool Shutdown() const;

 private:
  void Release();

  int fd_ = -1;
  bool owned_ = false;
  dev_t device_ = 0;
  ino_t inode_ = 0;
};

// The numbers of this process's open descriptors, read from /proc/self/fd
// through a handle opened once (the first call: make it at start), so the
// list can be had at EMFILE too; empty if /proc cannot be read.
std::vector<int> DescriptorNumbers();

// Times a duplicate could not be had for want of descriptors, since start.
int64_t DescriptorsExhausted();

// Descriptors open in this process (DescriptorNumbers) and its limit
// (RLIMIT_NOFILE's soft value), for /metrics; -1 where unknown.
int64_t OpenDescriptors();
int64_t DescriptorLimit();

// Lifts the soft RLIMIT_NOFILE to the hard limit; returns the limit now in
// force (-1 if it cannot be read).
int64_t RaiseDescriptorLimit();

}  // namespace forum_registry::store

#endif  // FORUM_REGISTRY_STORE_DESCRIPTORS_H_
