#ifndef FORUM_REGISTRY_API_FORUM_SERVICE_H_
#define FORUM_REGISTRY_API_FORUM_SERVICE_H_

#include "forumregistry/v1/forum.grpc.pb.h"
#include "src/api/resource_methods.h"
#include "src/store/pool.h"
#include "src/store/resource_store.h"

namespace forum_registry::api {

// forumregistry.v1.ForumService on the synchronous server: each RPC forwards to
// the standard methods with the forum resource's rules.
class ForumService final : public forumregistry::v1::ForumService::Service {
 public:
  // Writes go to `pool`; reads (Get, List) to `read_pool`, which may be the
  // same pool or one on a replica.
  ForumService(store::ConnectionPool* pool, store::ConnectionPool* read_pool);

  grpc::Status GetForum(grpc::ServerContext* context,
                        const forumregistry::v1::GetForumRequest* request,
                        forumregistry::v1::Forum* response) override;
  grpc::Status ListForums(
      grpc::ServerContext* context,
      const forumregistry::v1::ListForumsRequest* request,
      forumregistry::v1::ListForumsResponse* response) override;
  grpc::Status CreateForum(grpc::ServerContext* context,
                           const forumregistry::v1::CreateForumRequest* request,
                           forumregistry::v1::Forum* response) override;
  grpc::Status UpdateForum(grpc::ServerContext* context,
                           const forumregistry::v1::UpdateForumRequest* request,
                           forumregistry::v1::Forum* response) override;
  grpc::Status DeleteForum(grpc::ServerContext* context,
                           const forumregistry::v1::DeleteForumRequest* request,
                           google::protobuf::Empty* response) override;

 private:
  store::ResourceStore store_;
  ResourceMethods methods_;
};

}  // namespace forum_registry::api

#endif  // FORUM_REGISTRY_API_FORUM_SERVICE_H_
