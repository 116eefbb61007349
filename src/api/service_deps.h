#ifndef FORUM_REGISTRY_API_SERVICE_DEPS_H_
#define FORUM_REGISTRY_API_SERVICE_DEPS_H_

// What every API service's calls go through, the same for every service:
// the composition root (src/server/root.h) builds one and hands it to each
// service at construction, inside the service's own struct of dependencies.
// The members are references, so a struct that leaves one out does not
// compile.

#include "src/api/costly_lists.h"
#include "src/api/dispatcher.h"
#include "src/auth/authorizer.h"
#include "src/store/page_token_key.h"
#include "src/store/pool.h"

namespace forum_registry::api {

struct CommonDeps {
  // Admission and the workers every unary call runs on; outlives the server.
  Dispatcher& dispatcher;
  // Who may call what.
  const auth::Authorizer& authorizer;
  // Signs and checks page tokens.
  store::PageTokenKey& page_token_key;
  // The slots of reads the planner expects to be costly.
  CostlyLists& costly_lists;
  // Where reads go: a replica's pool, or the primary's.
  store::ConnectionPool& read_pool;
};

}  // namespace forum_registry::api

#endif  // FORUM_REGISTRY_API_SERVICE_DEPS_H_
