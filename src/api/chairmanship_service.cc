#include "src/api/chairmanship_service.h"

#include "src/api/resources.h"
#include "src/store/kinds.h"

namespace forum_registry::api {

using forumregistry::v1::Chairmanship;

ChairmanshipService::ChairmanshipService(store::ConnectionPool* pool,
                                         store::ConnectionPool* read_pool)
    : store_(pool, read_pool, store::kinds::Chairmanships()),
      methods_(&store_, ChairmanshipApi()) {}

grpc::Status ChairmanshipService::GetChairmanship(
    grpc::ServerContext* context,
    const forumregistry::v1::GetChairmanshipRequest* request,
    Chairmanship* response) {
  return methods_.Get(context, request->name(), response);
}

grpc::Status ChairmanshipService::ListChairmanships(
    grpc::ServerContext* context,
    const forumregistry::v1::ListChairmanshipsRequest* request,
    forumregistry::v1::ListChairmanshipsResponse* response) {
  return methods_.List(
      context,
      {.parent = request->parent(),
       .page_size = request->page_size(),
       .page_token = request->page_token(),
       .filter = request->filter(),
       .order_by = request->order_by()},
      [response] { return response->add_chairmanships(); },
      response->mutable_next_page_token());
}

grpc::Status ChairmanshipService::CreateChairmanship(
    grpc::ServerContext* context,
    const forumregistry::v1::CreateChairmanshipRequest* request,
    Chairmanship* response) {
  return methods_.Create(context, request->parent(), request->chairmanship(),
                         request->has_chairmanship(),
                         request->chairmanship_id(), response);
}

grpc::Status ChairmanshipService::UpdateChairmanship(
    grpc::ServerContext* context,
    const forumregistry::v1::UpdateChairmanshipRequest* request,
    Chairmanship* response) {
  return methods_.Update(context, request->chairmanship(),
                         request->has_chairmanship(), request->update_mask(),
                         response);
}

grpc::Status ChairmanshipService::DeleteChairmanship(
    grpc::ServerContext* context,
    const forumregistry::v1::DeleteChairmanshipRequest* request,
    google::protobuf::Empty* /*response*/) {
  return methods_.Delete(context, request->name(), request->etag(), false);
}

}  // namespace forum_registry::api
