#include "src/api/source_service.h"

#include "src/api/resources.h"
#include "src/store/kinds.h"

namespace forum_registry::api {

using forumregistry::v1::Source;

SourceService::SourceService(store::ConnectionPool* pool,
                             store::ConnectionPool* read_pool)
    : store_(pool, read_pool, store::kinds::Sources()),
      methods_(&store_, SourceApi()) {}

grpc::Status SourceService::GetSource(
    grpc::ServerContext* context,
    const forumregistry::v1::GetSourceRequest* request, Source* response) {
  return methods_.Get(context, request->name(), response);
}

grpc::Status SourceService::ListSources(
    grpc::ServerContext* context,
    const forumregistry::v1::ListSourcesRequest* request,
    forumregistry::v1::ListSourcesResponse* response) {
  return methods_.List(
      context,
      {.page_size = request->page_size(),
       .page_token = request->page_token(),
       .filter = request->filter(),
       .order_by = request->order_by()},
      [response] { return response->add_sources(); },
      response->mutable_next_page_token());
}

grpc::Status SourceService::CreateSource(
    grpc::ServerContext* context,
    const forumregistry::v1::CreateSourceRequest* request, Source* response) {
  return methods_.Create(context, "", request->source(), request->has_source(),
                         request->source_id(), response);
}

grpc::Status SourceService::UpdateSource(
    grpc::ServerContext* context,
    const forumregistry::v1::UpdateSourceRequest* request, Source* response) {
  return methods_.Update(context, request->source(), request->has_source(),
                         request->update_mask(), response);
}

grpc::Status SourceService::DeleteSource(
    grpc::ServerContext* context,
    const forumregistry::v1::DeleteSourceRequest* request,
    google::protobuf::Empty* /*response*/) {
  return methods_.Delete(context, request->name(), request->etag(), false);
}

}  // namespace forum_registry::api
