#ifndef FORUM_REGISTRY_STORE_KINDS_H_
#define FORUM_REGISTRY_STORE_KINDS_H_

// Where a kind of resource lives in the database, read off its entry in the
// resource registry (src/domain/resource_registry.h): its table, the table of
// references to it, its children, and the SQL behind each field a List filter
// or order_by may name. The registry says where a value is kept (a column,
// a path in the body); this file alone says how SQL reads it.

#include "src/domain/resource_registry.h"
#include "src/store/resource_store.h"

namespace forum_registry::store {

ResourceKind KindOf(const domain::ResourceType& type);

}  // namespace forum_registry::store

#endif  // FORUM_REGISTRY_STORE_KINDS_H_
