#include "src/store/descriptors.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "spdlog/spdlog.h"

namespace forum_registry::store {
namespace {

std::atomic<int64_t> g_exhausted{0};
std::atomic<int64_t> g_last_log_micros{0};

void NoteExhausted(absl::string_view who) {
  const int64_t count = g_exhausted.fetch_add(1) + 1;
  const int64_t now = absl::ToUnixMicros(absl::Now());
  int64_t last = g_last_log_micros.load();
  if (now - last < 10'000'000 ||
      !g_last_log_micros.compare_exchange_strong(last, now)) {
    return;
  }
  spdlog::warn(
      "out of file descriptors ({} times since start; limit {}): the {} "
      "goes on with the socket's number and identity instead of a "
      "duplicate",
      count, DescriptorLimit(), std::string(who));
}

}  // namespace

SocketRef::SocketRef(int fd, absl::string_view who) {
  if (fd < 0) return;
  struct stat status {};
  if (::fstat(fd, &status) != 0) return;
  device_ = status.st_dev;
  inode_ = status.st_ino;
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy >= 0) {
    fd_ = copy;
    owned_ = true;
    return;
  }
  if (errno == EMFILE || errno == ENFILE) NoteExhausted(who);
  fd_ = fd;
  owned_ = false;
}

SocketRef::~SocketRef() { Release(); }

SocketRef::SocketRef(SocketRef&& other) noexcept
    : fd_(other.fd_),
      owned_(other.owned_),
      device_(other.device_),
      inode_(other.inode_) {
  other.fd_ = -1;
  other.owned_ = false;
}

SocketRef& SocketRef::operator=(SocketRef&& other) noexcept {
  if (this != &other) {
    Release();
    fd_ = other.fd_;
    owned_ = other.owned_;
    device_ = other.device_;
    inode_ = other.inode_;
    other.fd_ = -1;
    other.owned_ = false;
  }
  return *this;
}

void SocketRef::Release() {
  if (owned_ && fd_ >= 0) ::close(fd_);
  fd_ = -1;
  owned_ = false;
}

bool SocketRef::Shutdown() const {
  if (fd_ < 0) return false;
  if (!owned_) {
    // The number may have been closed and given to another file since:
    // act only if it is still the same socket.
    struct stat status {};
    if (::fstat(fd_, &status) != 0 || status.st_dev != device_ ||
        status.st_ino != inode_) {
      return false;
    }
  }
  return ::shutdown(fd_, SHUT_RDWR) == 0;
}

int64_t DescriptorsExhausted() { return g_exhausted.load(); }

std::vector<int> DescriptorNumbers() {
  // procfs lists a directory anew each time it is read from the start.
  static absl::Mutex mu(absl::kConstInit);
  static DIR* fds = nullptr;
  absl::MutexLock lock(&mu);
  if (fds == nullptr) fds = ::opendir("/proc/self/fd");
  if (fds == nullptr) return {};
  ::rewinddir(fds);
  std::vector<int> numbers;
  while (const dirent* entry = ::readdir(fds)) {
    int fd = -1;
    if (absl::SimpleAtoi(entry->d_name, &fd) && fd != ::dirfd(fds)) {
      numbers.push_back(fd);
    }
  }
  return numbers;
}

int64_t OpenDescriptors() {
  const std::vector<int> numbers = DescriptorNumbers();
  return numbers.empty() ? -1 : static_cast<int64_t>(numbers.size());
}

int64_t DescriptorLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
  return limit.rlim_cur == RLIM_INFINITY ? INT64_MAX
                                         : static_cast<int64_t>(limit.rlim_cur);
}

int64_t RaiseDescriptorLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  return DescriptorLimit();
}

}  // namespace forum_registry::store
