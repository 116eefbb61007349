#include "src/api/forum_service.h"

#include "src/domain/resource_rules.h"

namespace forum_registry::api {

using forumregistry::v1::Forum;

namespace {

ResourceApi ForumApi() {
  ResourceApi api;
  api.collection = "forums";
  api.field = "forum";
  api.id_field = "forum_id";
  api.validate = [](const google::protobuf::Message& m, absl::string_view at) {
    return domain::ValidateForum(static_cast<const Forum&>(m), at);
  };
  api.normalize = [](google::protobuf::Message* m) {
    domain::NormalizeForum(static_cast<Forum*>(m));
  };
  return api;
}

}  // namespace

ForumService::ForumService(store::ConnectionPool* pool)
    : store_(pool, {.table = "forums",
                    .singular = "forum",
                    .references_table = "forum_references"}),
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
      context, request->page_size(), request->page_token(),
      [response] { return response->add_forums(); },
      response->mutable_next_page_token());
}

grpc::Status ForumService::CreateForum(
    grpc::ServerContext* context,
    const forumregistry::v1::CreateForumRequest* request, Forum* response) {
  return methods_.Create(context, request->forum(), request->has_forum(),
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
  return methods_.Delete(context, request->name(), request->etag());
}

}  // namespace forum_registry::api
