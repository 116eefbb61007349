#ifndef FORUM_REGISTRY_API_SEARCH_SERVICE_H_
#define FORUM_REGISTRY_API_SEARCH_SERVICE_H_

// forumregistry.v1.SearchService: Search and LookupExternalId over every
// kind (src/store/search_index.h), on the dispatcher's workers like every
// unary method. A search page token carries how many results came before
// it, signed and bound to the query, its types and its filter.

#include "forumregistry/v1/search.grpc.pb.h"
#include "src/api/costly_lists.h"
#include "src/api/dispatcher.h"
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
  // Reads from `read_pool` (a replica's, or the primary's).
  SearchService(store::ConnectionPool* read_pool, Dispatcher* dispatcher);

  // The key that signs page tokens (required).
  void set_page_token_key(store::PageTokenKey* key) { page_token_key_ = key; }

  // The budget a search the planner expects to be costly (a word thousands
  // of records hold) holds a slot of while it runs (null: none).
  void set_costly_lists(CostlyLists* budget) { costly_lists_ = budget; }

  // Who may search (null: everyone).
  void set_authorizer(const auth::Authorizer* authorizer) {
    authorizer_ = authorizer;
  }

  grpc::ServerUnaryReactor* Search(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;

  grpc::ServerUnaryReactor* LookupExternalId(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;

 private:
  store::SearchIndex index_;
  Dispatcher* dispatcher_;
  const auth::Authorizer* authorizer_ = nullptr;
  store::PageTokenKey* page_token_key_ = nullptr;
  CostlyLists* costly_lists_ = nullptr;
};

}  // namespace forum_registry::api

#endif  // FORUM_REGISTRY_API_SEARCH_SERVICE_H_
