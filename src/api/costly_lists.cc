#include "src/api/costly_lists.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "src/store/watchdog.h"

namespace forum_registry::api {

CostlyLists::Slot::~Slot() {
  if (budget_ == nullptr) return;
  absl::MutexLock lock(&budget_->mu_);
  --budget_->in_use_;
}

absl::StatusOr<std::optional<CostlyLists::Slot>> CostlyLists::Admit(
    double cost, absl::Time deadline) {
  if (cost <= threshold_) return std::nullopt;
  absl::MutexLock lock(&mu_);
  const auto free = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return in_use_ < slots_;
  };
  // A call its client cancelled stops waiting at once.
  const store::Waited waited = store::AwaitUnlessCancelled(
      mu_, absl::Condition(&free), std::min(deadline, absl::Now() + max_wait_));
  if (waited == store::Waited::kCancelled) {
    return absl::CancelledError(
        "the call was cancelled while it waited to run a costly list");
  }
  if (waited == store::Waited::kDeadline) {
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          "the call's deadline passed while it waited to run a costly list");
    }
    return absl::ResourceExhaustedError(absl::StrCat(
        "the server is running as many costly lists as it allows (", slots_,
        "); this one's estimated cost is ", static_cast<int64_t>(cost),
        " (the bound is ", static_cast<int64_t>(threshold_),
        "): retry in a moment, or narrow the filter"));
  }
  ++in_use_;
  return std::optional<Slot>(Slot(this));
}

}  // namespace forum_registry::api
