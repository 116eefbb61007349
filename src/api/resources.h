#ifndef FORUM_REGISTRY_API_RESOURCES_H_
#define FORUM_REGISTRY_API_RESOURCES_H_

// What is particular to each resource of the API: its names, its rules and
// defaults, and the fields a List filter and order_by may name. The SQL
// behind those fields is the store's (src/store/kinds.cc).

#include "src/api/resource_methods.h"

namespace forum_registry::api {

ResourceApi ParticipantApi();
ResourceApi ForumApi();
ResourceApi SourceApi();
ResourceApi MembershipApi();
ResourceApi SessionApi();
ResourceApi ChairmanshipApi();
ResourceApi ActionPlanApi();
ResourceApi StatementApi();

}  // namespace forum_registry::api

#endif  // FORUM_REGISTRY_API_RESOURCES_H_
