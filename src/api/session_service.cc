#include "src/api/session_service.h"

#include "src/api/resources.h"
#include "src/store/kinds.h"

namespace forum_registry::api {

using forumregistry::v1::Session;

SessionService::SessionService(store::ConnectionPool* pool,
                               store::ConnectionPool* read_pool)
    : store_(pool, read_pool, store::kinds::Sessions()),
      methods_(&store_, SessionApi()) {}

grpc::Status SessionService::GetSession(
    grpc::ServerContext* context,
    const forumregistry::v1::GetSessionRequest* request, Session* response) {
  return methods_.Get(context, request->name(), response);
}

grpc::Status SessionService::ListSessions(
    grpc::ServerContext* context,
    const forumregistry::v1::ListSessionsRequest* request,
    forumregistry::v1::ListSessionsResponse* response) {
  return methods_.List(
      context,
      {.parent = request->parent(),
       .page_size = request->page_size(),
       .page_token = request->page_token(),
       .filter = request->filter(),
       .order_by = request->order_by()},
      [response] { return response->add_sessions(); },
      response->mutable_next_page_token());
}

grpc::Status SessionService::CreateSession(
    grpc::ServerContext* context,
    const forumregistry::v1::CreateSessionRequest* request, Session* response) {
  return methods_.Create(context, request->parent(), request->session(),
                         request->has_session(), request->session_id(),
                         response);
}

grpc::Status SessionService::UpdateSession(
    grpc::ServerContext* context,
    const forumregistry::v1::UpdateSessionRequest* request, Session* response) {
  return methods_.Update(context, request->session(), request->has_session(),
                         request->update_mask(), response);
}

grpc::Status SessionService::DeleteSession(
    grpc::ServerContext* context,
    const forumregistry::v1::DeleteSessionRequest* request,
    google::protobuf::Empty* /*response*/) {
  return methods_.Delete(context, request->name(), request->etag(), false);
}

}  // namespace forum_registry::api
