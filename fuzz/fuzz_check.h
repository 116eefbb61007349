#ifndef FORUM_REGISTRY_FUZZ_FUZZ_CHECK_H_
#define FORUM_REGISTRY_FUZZ_FUZZ_CHECK_H_

// FUZZ_CHECK(condition) << "what": a property a fuzz target holds; when it
// fails, the message and the condition go to stderr and the process aborts,
// so libFuzzer keeps the input as a crash.

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

namespace forum_registry::fuzz {

class Failure {
 public:
  Failure(const char* condition, const char* file, int line) {
    message_ << file << ":" << line << ": FUZZ_CHECK(" << condition
             << ") failed: ";
  }
  [[noreturn]] ~Failure() {
    std::fprintf(stderr, "%s\n", message_.str().c_str());
    std::abort();
  }
  template <typename T>
  Failure& operator<<(const T& value) {
    message_ << value;
    return *this;
  }

 private:
  std::ostringstream message_;
};

// The input as text.
inline std::string Text(const unsigned char* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

}  // namespace forum_registry::fuzz

#define FUZZ_CHECK(condition) \
  if (condition) {            \
  } else                      \
    ::forum_registry::fuzz::Failure(#condition, __FILE__, __LINE__)

#endif  // FORUM_REGISTRY_FUZZ_FUZZ_CHECK_H_
