#ifndef FORUM_REGISTRY_API_SEARCH_SERVICE_H_
#define FORUM_REGISTRY_API_SEARCH_SERVICE_H_

// forumregistry.v1.SearchService: Search and LookupExternalId over every
// kind (src/store/search_index.h), on the dispatcher's workers like every
// unary method. A search page token carries how many results came before
// it, signed and bound to the query, its types and its filter.

#include "forumregistry/v1/search.grpc.pb.h"
#include "src/api/costly_lists.h"
#include "src/api/dispatcher.h"
#include "src/api/service_deps.h"
#include "src/auth/authorizer.h"
#include "src/store/page_token_key.h"
#include "src/store/pool.h"
#include "src/store/search_index.h"

namespace forum_registry::api {

class SearchService final
    : public forumregistry::v1::SearchService::WithRawCallbackMethod_Search<
          forumregistry::v1::SearchService::
              WithRawCallbackMethod_LookupExternalId<
                  forumregistry::v1::SearchService::Service>> {
 public:
  // Reads from `deps.read_pool` (a replica's, or the primary's). A search
  // the planner expects to be costly (a word thousands of records hold)
  // holds a slot of `deps.costly_lists` while it runs.
  explicit SearchService(const CommonDeps& deps);

  grpc::ServerUnaryReactor* Search(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;

  grpc::ServerUnaryReactor* LookupExternalId(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;

 private:
  store::SearchIndex index_;
  Dispatcher* const dispatcher_;
  const auth::Authorizer* const authorizer_;
  store::PageTokenKey* const page_token_key_;
  CostlyLists* const costly_lists_;
};

}  // namespace forum_registry::api

#endif  // FORUM_REGISTRY_API_SEARCH_SERVICE_H_
