#ifndef FORUM_REGISTRY_API_PARTICIPANT_SERVICE_H_
#define FORUM_REGISTRY_API_PARTICIPANT_SERVICE_H_

#include "forumregistry/v1/participant.grpc.pb.h"
#include "src/api/resource_methods.h"
#include "src/store/pool.h"
#include "src/store/resource_store.h"

namespace forum_registry::api {

// forumregistry.v1.ParticipantService on the synchronous server: each RPC
// forwards to the standard methods with the participant resource's rules.
class ParticipantService final
    : public forumregistry::v1::ParticipantService::Service {
 public:
  // Writes go to `pool`; reads (Get, List) to `read_pool`, which may be the
  // same pool or one on a replica.
  ParticipantService(store::ConnectionPool* pool,
                     store::ConnectionPool* read_pool);

  grpc::Status GetParticipant(
      grpc::ServerContext* context,
      const forumregistry::v1::GetParticipantRequest* request,
      forumregistry::v1::Participant* response) override;
  grpc::Status ListParticipants(
      grpc::ServerContext* context,
      const forumregistry::v1::ListParticipantsRequest* request,
      forumregistry::v1::ListParticipantsResponse* response) override;
  grpc::Status CreateParticipant(
      grpc::ServerContext* context,
      const forumregistry::v1::CreateParticipantRequest* request,
      forumregistry::v1::Participant* response) override;
  grpc::Status UpdateParticipant(
      grpc::ServerContext* context,
      const forumregistry::v1::UpdateParticipantRequest* request,
      forumregistry::v1::Participant* response) override;
  grpc::Status DeleteParticipant(
      grpc::ServerContext* context,
      const forumregistry::v1::DeleteParticipantRequest* request,
      google::protobuf::Empty* response) override;

 private:
  store::ResourceStore store_;
  ResourceMethods methods_;
};

}  // namespace forum_registry::api

#endif  // FORUM_REGISTRY_API_PARTICIPANT_SERVICE_H_
