#ifndef FORUM_REGISTRY_SERVER_HEALTH_MONITOR_H_
#define FORUM_REGISTRY_SERVER_HEALTH_MONITOR_H_

// Keeps the gRPC health status true to the database.
//
// A background thread asks the database, on a connection of its own (so a
// busy pool cannot make a healthy server look sick), whether it answers and
// has every migration this binary needs. SERVING while it does, NOT_SERVING
// while it does not, switching back by itself when the database returns. Each
// change is logged. When the database comes back, idle pooled connections,
// which may be dead, are dropped.
//
// Stop() ends the thread; after it the status is left to the caller (the
// shutdown sequence sets NOT_SERVING).

#include <functional>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace forum_registry::server {

class HealthMonitor {
 public:
  // `set_serving` is called with each new status (and the first one).
  // `on_recovered` is called when the database answers again after failing.
  HealthMonitor(std::string database_url, absl::Duration interval,
                std::function<void(bool)> set_serving,
                std::function<void()> on_recovered);
  ~HealthMonitor();

  void Start();
  void Stop();

  // One check, as the thread does it; true if healthy.
  bool CheckOnce();

 private:
  void Run();

  const std::string database_url_;
  const absl::Duration interval_;
  const std::function<void(bool)> set_serving_;
  const std::function<void()> on_recovered_;
  absl::Notification stop_;
  std::thread thread_;
  int last_state_ = -1;  // -1 unknown, 0 not serving, 1 serving; thread only
  std::string last_problem_;
};

}  // namespace forum_registry::server

#endif  // FORUM_REGISTRY_SERVER_HEALTH_MONITOR_H_
