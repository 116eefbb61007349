#ifndef FORUM_REGISTRY_API_MEMBERSHIP_SERVICE_H_
#define FORUM_REGISTRY_API_MEMBERSHIP_SERVICE_H_

#include "forumregistry/v1/membership.grpc.pb.h"
#include "src/api/resource_methods.h"
#include "src/store/pool.h"
#include "src/store/resource_store.h"

namespace forum_registry::api {

// forumregistry.v1.MembershipService on the synchronous server: each RPC
// forwards to the standard methods with the membership resource's rules.
class MembershipService final
    : public forumregistry::v1::MembershipService::Service {
 public:
  // Writes go to `pool`; reads (Get, List) to `read_pool`, which may be the
  // same pool or one on a replica.
  MembershipService(store::ConnectionPool* pool,
                    store::ConnectionPool* read_pool);

  grpc::Status GetMembership(
      grpc::ServerContext* context,
      const forumregistry::v1::GetMembershipRequest* request,
      forumregistry::v1::Membership* response) override;
  grpc::Status ListMemberships(
      grpc::ServerContext* context,
      const forumregistry::v1::ListMembershipsRequest* request,
      forumregistry::v1::ListMembershipsResponse* response) override;
  grpc::Status CreateMembership(
      grpc::ServerContext* context,
      const forumregistry::v1::CreateMembershipRequest* request,
      forumregistry::v1::Membership* response) override;
  grpc::Status UpdateMembership(
      grpc::ServerContext* context,
      const forumregistry::v1::UpdateMembershipRequest* request,
      forumregistry::v1::Membership* response) override;
  grpc::Status DeleteMembership(
      grpc::ServerContext* context,
      const forumregistry::v1::DeleteMembershipRequest* request,
      google::protobuf::Empty* response) override;

 private:
  store::ResourceStore store_;
  ResourceMethods methods_;
};

}  // namespace forum_registry::api

#endif  // FORUM_REGISTRY_API_MEMBERSHIP_SERVICE_H_
