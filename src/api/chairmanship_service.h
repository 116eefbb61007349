#ifndef FORUM_REGISTRY_API_CHAIRMANSHIP_SERVICE_H_
#define FORUM_REGISTRY_API_CHAIRMANSHIP_SERVICE_H_

#include "forumregistry/v1/chairmanship.grpc.pb.h"
#include "src/api/resource_methods.h"
#include "src/store/pool.h"
#include "src/store/resource_store.h"

namespace forum_registry::api {

// forumregistry.v1.ChairmanshipService on the synchronous server: each RPC
// forwards to the standard methods with the chairmanship resource's rules.
class ChairmanshipService final
    : public forumregistry::v1::ChairmanshipService::Service {
 public:
  // Writes go to `pool`; reads (Get, List) to `read_pool`, which may be the
  // same pool or one on a replica.
  ChairmanshipService(store::ConnectionPool* pool,
                      store::ConnectionPool* read_pool);

  grpc::Status GetChairmanship(
      grpc::ServerContext* context,
      const forumregistry::v1::GetChairmanshipRequest* request,
      forumregistry::v1::Chairmanship* response) override;
  grpc::Status ListChairmanships(
      grpc::ServerContext* context,
      const forumregistry::v1::ListChairmanshipsRequest* request,
      forumregistry::v1::ListChairmanshipsResponse* response) override;
  grpc::Status CreateChairmanship(
      grpc::ServerContext* context,
      const forumregistry::v1::CreateChairmanshipRequest* request,
      forumregistry::v1::Chairmanship* response) override;
  grpc::Status UpdateChairmanship(
      grpc::ServerContext* context,
      const forumregistry::v1::UpdateChairmanshipRequest* request,
      forumregistry::v1::Chairmanship* response) override;
  grpc::Status DeleteChairmanship(
      grpc::ServerContext* context,
      const forumregistry::v1::DeleteChairmanshipRequest* request,
      google::protobuf::Empty* response) override;

 private:
  store::ResourceStore store_;
  ResourceMethods methods_;
};

}  // namespace forum_registry::api

#endif  // FORUM_REGISTRY_API_CHAIRMANSHIP_SERVICE_H_
