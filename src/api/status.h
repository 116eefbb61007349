#ifndef FORUM_REGISTRY_API_STATUS_H_
#define FORUM_REGISTRY_API_STATUS_H_

// The api layer's two conversions at the gRPC boundary.

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"

namespace forum_registry::api {

// The codes are the same numbers in both (both follow google.rpc.Code).
grpc::Status ToGrpcStatus(const absl::Status& status);

// When the work for this RPC must be done: the client's deadline, but never
// more than `cap` from now, so a call without a deadline cannot wait forever
// for a database connection.
absl::Time DeadlineOf(const grpc::ServerContext* context,
                      absl::Duration cap = absl::Seconds(30));

}  // namespace forum_registry::api

#endif  // FORUM_REGISTRY_API_STATUS_H_
