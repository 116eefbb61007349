#ifndef FORUM_REGISTRY_API_UNARY_READ_H_
#define FORUM_REGISTRY_API_UNARY_READ_H_

// The common shape of a raw unary read method (ListChanges, Search,
// LookupExternalId): on a worker of the dispatcher, authorize the caller to
// read (if there is an authorizer), parse the request as `Request`, run
// `run(request, &response)` (or `run(request, &response, caller)`, for a
// method whose answer depends on who asks), and serialize the `Response`.
//
//   return StartUnaryRead<v1::SearchRequest, v1::SearchResponse>(
//       dispatcher_, context, Dispatcher::Answer::kLarge, request, response,
//       authorizer_, "Search",
//       [this, context](const v1::SearchRequest& in, v1::SearchResponse* out) {
//         return RunSearch(..., in, out);  // an absl::Status
//       });

#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "src/api/dispatcher.h"
#include "src/api/status.h"
#include "src/auth/authorizer.h"

namespace forum_registry::api {

template <typename Request, typename Response, typename Run>
grpc::ServerUnaryReactor* StartUnaryRead(Dispatcher* dispatcher,
                                         grpc::CallbackServerContext* context,
                                         Dispatcher::Answer answer,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response,
                                         const auth::Authorizer* authorizer,
                                         const char* method, Run run) {
  return dispatcher->Start(
      context, answer, response,
      [context, request, authorizer, method, run](grpc::ByteBuffer* out) {
        auth::Caller caller;  // without an authorizer, one who sees all
        if (authorizer != nullptr) {
          absl::StatusOr<auth::Caller> authorized =
              authorizer->Authorize(*context, method, auth::Verb::kRead);
          if (!authorized.ok()) return ToGrpcStatus(authorized.status());
          caller = *std::move(authorized);
        }
        Request parsed;
        grpc::Status status = Dispatcher::Parse(*request, &parsed);
        if (!status.ok()) return status;
        Response message;
        if constexpr (std::is_invocable_v<const Run&, const Request&, Response*,
                                          const auth::Caller&>) {
          status = ToGrpcStatus(run(parsed, &message, caller));
        } else {
          status = ToGrpcStatus(run(parsed, &message));
        }
        if (!status.ok()) return status;
        return Dispatcher::Serialize(message, out);
      });
}

}  // namespace forum_registry::api

#endif  // FORUM_REGISTRY_API_UNARY_READ_H_
