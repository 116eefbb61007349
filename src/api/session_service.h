#ifndef FORUM_REGISTRY_API_SESSION_SERVICE_H_
#define FORUM_REGISTRY_API_SESSION_SERVICE_H_

#include "forumregistry/v1/session.grpc.pb.h"
#include "src/api/resource_methods.h"
#include "src/store/pool.h"
#include "src/store/resource_store.h"

namespace forum_registry::api {

// forumregistry.v1.SessionService on the synchronous server: each RPC forwards
// to the standard methods with the session resource's rules.
class SessionService final : public forumregistry::v1::SessionService::Service {
 public:
  // Writes go to `pool`; reads (Get, List) to `read_pool`, which may be the
  // same pool or one on a replica.
  SessionService(store::ConnectionPool* pool, store::ConnectionPool* read_pool);

  grpc::Status GetSession(grpc::ServerContext* context,
                          const forumregistry::v1::GetSessionRequest* request,
                          forumregistry::v1::Session* response) override;
  grpc::Status ListSessions(
      grpc::ServerContext* context,
      const forumregistry::v1::ListSessionsRequest* request,
      forumregistry::v1::ListSessionsResponse* response) override;
  grpc::Status CreateSession(
      grpc::ServerContext* context,
      const forumregistry::v1::CreateSessionRequest* request,
      forumregistry::v1::Session* response) override;
  grpc::Status UpdateSession(
      grpc::ServerContext* context,
      const forumregistry::v1::UpdateSessionRequest* request,
      forumregistry::v1::Session* response) override;
  grpc::Status DeleteSession(
      grpc::ServerContext* context,
      const forumregistry::v1::DeleteSessionRequest* request,
      google::protobuf::Empty* response) override;

 private:
  store::ResourceStore store_;
  ResourceMethods methods_;
};

}  // namespace forum_registry::api

#endif  // FORUM_REGISTRY_API_SESSION_SERVICE_H_
