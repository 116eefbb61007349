#include "src/api/participant_service.h"

#include "src/domain/resource_rules.h"

namespace forum_registry::api {

using forumregistry::v1::Participant;

namespace {

ResourceApi ParticipantApi() {
  ResourceApi api;
  api.collection = "participants";
  api.field = "participant";
  api.id_field = "participant_id";
  api.validate = [](const google::protobuf::Message& m, absl::string_view at) {
    return domain::ValidateParticipant(static_cast<const Participant&>(m), at);
  };
  return api;
}

}  // namespace

ParticipantService::ParticipantService(store::ConnectionPool* pool)
    : store_(pool, {.table = "participants",
                    .singular = "participant",
                    .references_table = "participant_references"}),
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
      context, request->page_size(), request->page_token(),
      [response] { return response->add_participants(); },
      response->mutable_next_page_token());
}

grpc::Status ParticipantService::CreateParticipant(
    grpc::ServerContext* context,
    const forumregistry::v1::CreateParticipantRequest* request,
    Participant* response) {
  return methods_.Create(context, request->participant(),
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
  return methods_.Delete(context, request->name(), request->etag());
}

}  // namespace forum_registry::api
