#ifndef FORUM_REGISTRY_STORE_MEMORY_ONLY_H_
#define FORUM_REGISTRY_STORE_MEMORY_ONLY_H_

// A read that must be answered from memory or not at all: on a thread that
// must never wait for the database (the revision check's, which answers the
// reads it has checked: api/resource_service.cc, decisions §75). While a
// MemoryOnly lives on a thread, a read that would wait for the feed or go to
// the database asks Refuses(), which notes the miss, and fails instead; its
// caller then runs the read where waiting is fine (a worker).
//
//   store::MemoryOnly memory;
//   status = ...the read...;
//   if (memory.missed()) ...run it again elsewhere...
//
// Not thread-safe: one thread's scope, on that thread.

namespace forum_registry::store {

class MemoryOnly {
 public:
  MemoryOnly() : outer_(current_) { current_ = this; }
  ~MemoryOnly() { current_ = outer_; }
  MemoryOnly(const MemoryOnly&) = delete;
  MemoryOnly& operator=(const MemoryOnly&) = delete;

  // Whether a read of this scope could not be answered from memory.
  bool missed() const { return missed_; }

  // For the reads: whether this thread may only read memory now; and, for
  // a read that would have to leave memory, the same question, noting the
  // miss when the answer is yes (the read then fails instead).
  static bool Active() { return current_ != nullptr; }
  static bool Refuses() {
    if (current_ == nullptr) return false;
    current_->missed_ = true;
    return true;
  }

 private:
  static inline thread_local MemoryOnly* current_ = nullptr;
  MemoryOnly* const outer_;
  bool missed_ = false;
};

}  // namespace forum_registry::store

#endif  // FORUM_REGISTRY_STORE_MEMORY_ONLY_H_
