#ifndef FORUM_REGISTRY_STORE_KINDS_H_
#define FORUM_REGISTRY_STORE_KINDS_H_

// Where each kind of resource lives in the database: its table, the table of
// references to it, its children, and the columns a List filter or order_by
// may use. The api layer's filter schemas (src/api/resources.cc) name the
// same fields; a test checks that the two agree.

#include "src/store/resource_store.h"

namespace forum_registry::store::kinds {

ResourceKind Participants();
ResourceKind Forums();
ResourceKind Sources();
ResourceKind Memberships();
ResourceKind Sessions();
ResourceKind Chairmanships();
ResourceKind ActionPlans();
ResourceKind Statements();

}  // namespace forum_registry::store::kinds

#endif  // FORUM_REGISTRY_STORE_KINDS_H_
