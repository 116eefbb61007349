#include "src/api/action_plan_service.h"

#include "src/api/resources.h"
#include "src/store/kinds.h"

namespace forum_registry::api {

using forumregistry::v1::ActionPlan;

ActionPlanService::ActionPlanService(store::ConnectionPool* pool,
                                     store::ConnectionPool* read_pool)
    : store_(pool, read_pool, store::kinds::ActionPlans()),
      methods_(&store_, ActionPlanApi()) {}

grpc::Status ActionPlanService::GetActionPlan(
    grpc::ServerContext* context,
    const forumregistry::v1::GetActionPlanRequest* request,
    ActionPlan* response) {
  return methods_.Get(context, request->name(), response);
}

grpc::Status ActionPlanService::ListActionPlans(
    grpc::ServerContext* context,
    const forumregistry::v1::ListActionPlansRequest* request,
    forumregistry::v1::ListActionPlansResponse* response) {
  return methods_.List(
      context,
      {.page_size = request->page_size(),
       .page_token = request->page_token(),
       .filter = request->filter(),
       .order_by = request->order_by()},
      [response] { return response->add_action_plans(); },
      response->mutable_next_page_token());
}

grpc::Status ActionPlanService::CreateActionPlan(
    grpc::ServerContext* context,
    const forumregistry::v1::CreateActionPlanRequest* request,
    ActionPlan* response) {
  return methods_.Create(context, "", request->action_plan(),
                         request->has_action_plan(), request->action_plan_id(),
                         response);
}

grpc::Status ActionPlanService::UpdateActionPlan(
    grpc::ServerContext* context,
    const forumregistry::v1::UpdateActionPlanRequest* request,
    ActionPlan* response) {
  return methods_.Update(context, request->action_plan(),
                         request->has_action_plan(), request->update_mask(),
                         response);
}

grpc::Status ActionPlanService::DeleteActionPlan(
    grpc::ServerContext* context,
    const forumregistry::v1::DeleteActionPlanRequest* request,
    google::protobuf::Empty* /*response*/) {
  return methods_.Delete(context, request->name(), request->etag(), false);
}

}  // namespace forum_registry::api
