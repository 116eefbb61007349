#ifndef FORUM_REGISTRY_SERVER_CHANGE_PURGER_H_
#define FORUM_REGISTRY_SERVER_CHANGE_PURGER_H_

// Keeps the change log to `--change-retention` and request ids to
// `--request-id-retention`: a background thread purges older rows every
// `--change-purge-interval`, through the primary's pool.
// Every replica runs one; a database lock lets one purge at a time, and the
// others skip that round. Deletions are logged.

#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "src/store/pool.h"

namespace forum_registry::server {

class ChangePurger {
 public:
  // A zero `retention` keeps every change.
  ChangePurger(store::ConnectionPool* primary, absl::Duration retention,
               absl::Duration request_id_retention, absl::Duration interval);
  ~ChangePurger();

  void Start();
  void Stop();

 private:
  void Run();

  store::ConnectionPool* const primary_;
  const absl::Duration retention_;
  const absl::Duration request_id_retention_;
  const absl::Duration interval_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace forum_registry::server

#endif  // FORUM_REGISTRY_SERVER_CHANGE_PURGER_H_
