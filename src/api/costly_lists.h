#ifndef FORUM_REGISTRY_API_COSTLY_LISTS_H_
#define FORUM_REGISTRY_API_COSTLY_LISTS_H_

// A budget for lists the planner expects to be costly (a filter no index
// serves, an order that sorts a whole table), so that a few of them cannot
// hold every database connection while Gets and cheap lists wait.
//
// A List with a filter or an order asks the planner for its cost
// (store::ResourceStore::EstimateListCost). Above `threshold` it must hold
// one of `slots` while it runs; it waits for one up to `max_wait` (and its
// deadline), then gets RESOURCE_EXHAUSTED with a retry pushback. Cheap
// lists and Gets never wait here.
//
// Thread-safe; one per process, shared by every service.

#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

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

 private:
  const int slots_;
  const double threshold_;
  const absl::Duration max_wait_;
  absl::Mutex mu_;
  int in_use_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace forum_registry::api

#endif  // FORUM_REGISTRY_API_COSTLY_LISTS_H_
