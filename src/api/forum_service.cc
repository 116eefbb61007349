#include "src/api/forum_service.h"

#include "src/api/resources.h"
#include "src/store/kinds.h"

namespace forum_registry::api {

using forumregistry::v1::Forum;

ForumService::ForumService(store::ConnectionPool* pool,
                           store::ConnectionPool* read_pool)
    : store_(pool, read_pool, store::kinds::Forums()),
      methods_(&store_, ForumApi()) {}

grpc::Status ForumService::GetForum(
    grpc::ServerContext* context,
    const forumregistry::v1::GetForumRequest* request, Forum* response) {
  return methods_.Get(context, request->name(), response);
}

grpc::Status ForumService::ListForums(
    grpc::ServerContext* context,
    const forumregistry::v1::ListForumsRequest* request,
    forumregistry::v1::ListForumsResponse* response) {
  return methods_.List(
      context,
      {.page_size = request->page_size(),
       .page_token = request->page_token(),
       .filter = request->filter(),
       .order_by = request->order_by()},
      [response] { return response->add_forums(); },
      response->mutable_next_page_token());
}

grpc::Status ForumService::CreateForum(
    grpc::ServerContext* context,
    const forumregistry::v1::CreateForumRequest* request, Forum* response) {
  return methods_.Create(context, "", request->forum(), request->has_forum(),
                         request->forum_id(), response);
}

grpc::Status ForumService::UpdateForum(
    grpc::ServerContext* context,
    const forumregistry::v1::UpdateForumRequest* request, Forum* response) {
  return methods_.Update(context, request->forum(), request->has_forum(),
                         request->update_mask(), response);
}

grpc::Status ForumService::DeleteForum(
    grpc::ServerContext* context,
    const forumregistry::v1::DeleteForumRequest* request,
    google::protobuf::Empty* /*response*/) {
  return methods_.Delete(context, request->name(), request->etag(),
                         request->force());
}

}  // namespace forum_registry::api
