#ifndef FORUM_REGISTRY_API_COSTLY_LISTS_H_
#define FORUM_REGISTRY_API_COSTLY_LISTS_H_

// A budget for reads the planner expects to be costly (a filter no index
// serves, an order that sorts a whole table, a search for a word thousands
// of records hold), so that a few of them cannot hold every database
// connection while Gets and cheap lists wait.
//
// A List with a filter or an order and a ListChanges with a filter ask the
// planner for their cost (store/planner_cost.h); above `threshold` one must
// hold one of `slots` while it runs. Every Search holds one. A read waits
// for a slot up to `max_wait` (and its deadline), then gets
// RESOURCE_EXHAUSTED with a retry pushback. Cheap reads and Gets never wait
// here.
//
// Thread-safe; one per process, shared by every service.

#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/server_context.h"

namespace forum_registry::api {

class CostlyLists {
 public:
  CostlyLists(int slots, double threshold, absl::Duration max_wait)
      : slots_(slots), threshold_(threshold), max_wait_(max_wait) {}

  // Held while a costly list runs.
  class Slot {
   public:
    explicit Slot(CostlyLists* budget) : budget_(budget) {}
    Slot(Slot&& other) noexcept : budget_(other.budget_) {
      other.budget_ = nullptr;
    }
    Slot& operator=(Slot&&) = delete;
    ~Slot();

   private:
    CostlyLists* budget_;
  };

  double threshold() const { return threshold_; }

  // A slot for a list of planner cost `cost`: none needed (nullopt) at or
  // below the threshold; RESOURCE_EXHAUSTED if none frees up in time.
  absl::StatusOr<std::optional<Slot>> Admit(double cost, absl::Time deadline);

  // As Admit, for the call of `context`: a refusal also asks its client, in
  // the trailers, to wait kPushbackMs before it tries again (gRPC's retry
  // policies read grpc-retry-pushback-ms).
  static constexpr int kPushbackMs = 250;
  absl::StatusOr<std::optional<Slot>> AdmitCall(
      double cost, absl::Time deadline, grpc::ServerContextBase* context);

  // A slot for a read that is costly whatever the planner says (a Search:
  // its plan's cost is high for every query once the index holds a few
  // thousand records, cheap or not), for the call of `context`, which
  // `what` names in a refusal.
  absl::StatusOr<Slot> AdmitAlways(absl::Time deadline,
                                   grpc::ServerContextBase* context,
                                   absl::string_view what);

 private:
  // Waits for a slot; `costly` says why the read needs one, for a refusal.
  absl::StatusOr<Slot> Wait(absl::Time deadline, absl::string_view costly);

  const int slots_;
  const double threshold_;
  const absl::Duration max_wait_;
  absl::Mutex mu_;
  int in_use_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace forum_registry::api

#endif  // FORUM_REGISTRY_API_COSTLY_LISTS_H_
