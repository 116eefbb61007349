#include "src/api/costly_lists.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "src/domain/status_macros.h"
#include "src/store/watchdog.h"

namespace forum_registry::api {

CostlyLists::Slot::~Slot() {
  if (budget_ == nullptr) return;
  absl::MutexLock lock(&budget_->mu_);
  --budget_->in_use_;
}

absl::StatusOr<CostlyLists::Slot> CostlyLists::Wait(absl::Time deadline,
                                                    absl::string_view costly) {
  absl::MutexLock lock(&mu_);
  const auto free = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return in_use_ < slots_;
  };
  // A call its client cancelled stops waiting at once.
  const store::Waited waited = store::AwaitUnlessCancelled(
      mu_, absl::Condition(&free), std::min(deadline, absl::Now() + max_wait_));
  if (waited == store::Waited::kCancelled) {
    return absl::CancelledError(
        "the call was cancelled while it waited to run a costly read");
  }
  if (waited == store::Waited::kDeadline) {
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          "the call's deadline passed while it waited to run a costly read");
    }
    return absl::ResourceExhaustedError(absl::StrCat(
        "the server is running as many costly lists and searches as it "
        "allows (",
        slots_, "; --max-costly-lists); ", costly,
        ": retry in a moment, or narrow the filter or the query"));
  }
  ++in_use_;
  return Slot(this);
}

absl::StatusOr<std::optional<CostlyLists::Slot>> CostlyLists::Admit(
    double cost, absl::Time deadline) {
  if (cost <= threshold_) return std::nullopt;
  FR_ASSIGN_OR_RETURN(
      Slot slot,
      Wait(deadline, absl::StrCat("this one's estimated cost is ",
                                  static_cast<int64_t>(cost), " (the bound is ",
                                  static_cast<int64_t>(threshold_), ")")));
  return std::optional<Slot>(std::move(slot));
}

namespace {

// A refusal asks the client to wait before it tries again.
template <typename T>
T WithPushback(T admitted, grpc::ServerContextBase* context) {
  if (!admitted.ok() &&
      admitted.status().code() == absl::StatusCode::kResourceExhausted) {
    context->AddTrailingMetadata("grpc-retry-pushback-ms",
                                 std::to_string(CostlyLists::kPushbackMs));
  }
  return admitted;
}

}  // namespace

absl::StatusOr<std::optional<CostlyLists::Slot>> CostlyLists::AdmitCall(
    double cost, absl::Time deadline, grpc::ServerContextBase* context) {
  return WithPushback(Admit(cost, deadline), context);
}

absl::StatusOr<CostlyLists::Slot> CostlyLists::AdmitAlways(
    absl::Time deadline, grpc::ServerContextBase* context,
    absl::string_view what) {
  return WithPushback(Wait(deadline, absl::StrCat(what, " is always costly")),
                      context);
}

}  // namespace forum_registry::api
