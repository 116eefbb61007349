#ifndef FORUM_REGISTRY_API_SOURCE_SERVICE_H_
#define FORUM_REGISTRY_API_SOURCE_SERVICE_H_

#include "forumregistry/v1/source.grpc.pb.h"
#include "src/api/resource_methods.h"
#include "src/store/pool.h"
#include "src/store/resource_store.h"

namespace forum_registry::api {

// forumregistry.v1.SourceService on the synchronous server: each RPC forwards
// to the standard methods with the source resource's rules.
class SourceService final : public forumregistry::v1::SourceService::Service {
 public:
  // Writes go to `pool`; reads (Get, List) to `read_pool`, which may be the
  // same pool or one on a replica.
  SourceService(store::ConnectionPool* pool, store::ConnectionPool* read_pool);

  grpc::Status GetSource(grpc::ServerContext* context,
                         const forumregistry::v1::GetSourceRequest* request,
                         forumregistry::v1::Source* response) override;
  grpc::Status ListSources(
      grpc::ServerContext* context,
      const forumregistry::v1::ListSourcesRequest* request,
      forumregistry::v1::ListSourcesResponse* response) override;
  grpc::Status CreateSource(
      grpc::ServerContext* context,
      const forumregistry::v1::CreateSourceRequest* request,
      forumregistry::v1::Source* response) override;
  grpc::Status UpdateSource(
      grpc::ServerContext* context,
      const forumregistry::v1::UpdateSourceRequest* request,
      forumregistry::v1::Source* response) override;
  grpc::Status DeleteSource(
      grpc::ServerContext* context,
      const forumregistry::v1::DeleteSourceRequest* request,
      google::protobuf::Empty* response) override;

 private:
  store::ResourceStore store_;
  ResourceMethods methods_;
};

}  // namespace forum_registry::api

#endif  // FORUM_REGISTRY_API_SOURCE_SERVICE_H_
