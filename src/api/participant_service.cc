#include "src/api/participant_service.h"

#include "src/api/resources.h"
#include "src/store/kinds.h"

namespace forum_registry::api {

using forumregistry::v1::Participant;

ParticipantService::ParticipantService(store::ConnectionPool* pool,
                                       store::ConnectionPool* read_pool)
    : store_(pool, read_pool, store::kinds::Participants()),
      methods_(&store_, ParticipantApi()) {}

grpc::Status ParticipantService::GetParticipant(
    grpc::ServerContext* context,
    const forumregistry::v1::GetParticipantRequest* request,
    Participant* response) {
  return methods_.Get(context, request->name(), response);
}

grpc::Status ParticipantService::ListParticipants(
    grpc::ServerContext* context,
    const forumregistry::v1::ListParticipantsRequest* request,
    forumregistry::v1::ListParticipantsResponse* response) {
  return methods_.List(
      context,
      {.page_size = request->page_size(),
       .page_token = request->page_token(),
       .filter = request->filter(),
       .order_by = request->order_by()},
      [response] { return response->add_participants(); },
      response->mutable_next_page_token());
}

grpc::Status ParticipantService::CreateParticipant(
    grpc::ServerContext* context,
    const forumregistry::v1::CreateParticipantRequest* request,
    Participant* response) {
  return methods_.Create(context, "", request->participant(),
                         request->has_participant(), request->participant_id(),
                         response);
}

grpc::Status ParticipantService::UpdateParticipant(
    grpc::ServerContext* context,
    const forumregistry::v1::UpdateParticipantRequest* request,
    Participant* response) {
  return methods_.Update(context, request->participant(),
                         request->has_participant(), request->update_mask(),
                         response);
}

grpc::Status ParticipantService::DeleteParticipant(
    grpc::ServerContext* context,
    const forumregistry::v1::DeleteParticipantRequest* request,
    google::protobuf::Empty* /*response*/) {
  return methods_.Delete(context, request->name(), request->etag(), false);
}

}  // namespace forum_registry::api
