#ifndef FORUM_REGISTRY_API_ACTION_PLAN_SERVICE_H_
#define FORUM_REGISTRY_API_ACTION_PLAN_SERVICE_H_

#include "forumregistry/v1/action_plan.grpc.pb.h"
#include "src/api/resource_methods.h"
#include "src/store/pool.h"
#include "src/store/resource_store.h"

namespace forum_registry::api {

// forumregistry.v1.ActionPlanService on the synchronous server: each RPC
// forwards to the standard methods with the action plan resource's rules.
class ActionPlanService final
    : public forumregistry::v1::ActionPlanService::Service {
 public:
  // Writes go to `pool`; reads (Get, List) to `read_pool`, which may be the
  // same pool or one on a replica.
  ActionPlanService(store::ConnectionPool* pool,
                    store::ConnectionPool* read_pool);

  grpc::Status GetActionPlan(
      grpc::ServerContext* context,
      const forumregistry::v1::GetActionPlanRequest* request,
      forumregistry::v1::ActionPlan* response) override;
  grpc::Status ListActionPlans(
      grpc::ServerContext* context,
      const forumregistry::v1::ListActionPlansRequest* request,
      forumregistry::v1::ListActionPlansResponse* response) override;
  grpc::Status CreateActionPlan(
      grpc::ServerContext* context,
      const forumregistry::v1::CreateActionPlanRequest* request,
      forumregistry::v1::ActionPlan* response) override;
  grpc::Status UpdateActionPlan(
      grpc::ServerContext* context,
      const forumregistry::v1::UpdateActionPlanRequest* request,
      forumregistry::v1::ActionPlan* response) override;
  grpc::Status DeleteActionPlan(
      grpc::ServerContext* context,
      const forumregistry::v1::DeleteActionPlanRequest* request,
      google::protobuf::Empty* response) override;

 private:
  store::ResourceStore store_;
  ResourceMethods methods_;
};

}  // namespace forum_registry::api

#endif  // FORUM_REGISTRY_API_ACTION_PLAN_SERVICE_H_
