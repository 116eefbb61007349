#include "src/api/membership_service.h"

#include "src/api/resources.h"
#include "src/store/kinds.h"

namespace forum_registry::api {

using forumregistry::v1::Membership;

MembershipService::MembershipService(store::ConnectionPool* pool,
                                     store::ConnectionPool* read_pool)
    : store_(pool, read_pool, store::kinds::Memberships()),
      methods_(&store_, MembershipApi()) {}

grpc::Status MembershipService::GetMembership(
    grpc::ServerContext* context,
    const forumregistry::v1::GetMembershipRequest* request,
    Membership* response) {
  return methods_.Get(context, request->name(), response);
}

grpc::Status MembershipService::ListMemberships(
    grpc::ServerContext* context,
    const forumregistry::v1::ListMembershipsRequest* request,
    forumregistry::v1::ListMembershipsResponse* response) {
  return methods_.List(
      context,
      {.parent = request->parent(),
       .page_size = request->page_size(),
       .page_token = request->page_token(),
       .filter = request->filter(),
       .order_by = request->order_by()},
      [response] { return response->add_memberships(); },
      response->mutable_next_page_token());
}

grpc::Status MembershipService::CreateMembership(
    grpc::ServerContext* context,
    const forumregistry::v1::CreateMembershipRequest* request,
    Membership* response) {
  return methods_.Create(context, request->parent(), request->membership(),
                         request->has_membership(), request->membership_id(),
                         response);
}

grpc::Status MembershipService::UpdateMembership(
    grpc::ServerContext* context,
    const forumregistry::v1::UpdateMembershipRequest* request,
    Membership* response) {
  return methods_.Update(context, request->membership(),
                         request->has_membership(), request->update_mask(),
                         response);
}

grpc::Status MembershipService::DeleteMembership(
    grpc::ServerContext* context,
    const forumregistry::v1::DeleteMembershipRequest* request,
    google::protobuf::Empty* /*response*/) {
  return methods_.Delete(context, request->name(), request->etag(), false);
}

}  // namespace forum_registry::api
