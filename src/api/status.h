#ifndef FORUM_REGISTRY_API_STATUS_H_
#define FORUM_REGISTRY_API_STATUS_H_

// The api layer's conversions at the gRPC boundary.

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"
#include "src/store/watchdog.h"

namespace forum_registry::api {

// The codes are the same numbers in both (both follow google.rpc.Code).
// Messages are cut after kMaxStatusMessageBytes: a last guard, should some
// message quote client text without domain::Quote.
inline constexpr size_t kMaxStatusMessageBytes = 1024;
grpc::Status ToGrpcStatus(const absl::Status& status);

// When the work for this RPC must be done: the client's deadline, but never
// more than `cap` from now, so a call without a deadline cannot wait forever
// for a database connection.
absl::Time DeadlineOf(const grpc::ServerContextBase* context,
                      absl::Duration cap = absl::Seconds(30));

// This RPC as the store sees it (store/watchdog.h): open it around a unary
// method's work, and the database work of a call the client cancelled is
// ended and rolled back.
inline store::CallScope ScopeOf(const grpc::ServerContextBase* context) {
  return store::CallScope([context] { return context->IsCancelled(); });
}

}  // namespace forum_registry::api

#endif  // FORUM_REGISTRY_API_STATUS_H_
