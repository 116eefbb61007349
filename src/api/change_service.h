#ifndef FORUM_REGISTRY_API_CHANGE_SERVICE_H_
#define FORUM_REGISTRY_API_CHANGE_SERVICE_H_

// forumregistry.v1.ChangeService: the change feed. ListChanges pages through
// the log oldest first; a page token carries the last revision returned, so
// a page never shifts when changes are committed meanwhile — they come after.
// WatchChanges streams them as they commit (src/api/change_feed.h); it is a
// raw callback method, so an open watch holds no thread and its messages are
// encoded once for every watcher.

#include "forumregistry/v1/change.grpc.pb.h"
#include "src/api/change_feed.h"
#include "src/api/costly_lists.h"
#include "src/api/dispatcher.h"
#include "src/auth/authorizer.h"
#include "src/store/change_log.h"
#include "src/store/page_token_key.h"
#include "src/store/pool.h"

namespace forum_registry::api {

class ChangeService final
    : public forumregistry::v1::ChangeService::
          WithRawCallbackMethod_ListChanges<
              forumregistry::v1::ChangeService::
                  WithRawCallbackMethod_WatchChanges<
                      forumregistry::v1::ChangeService::Service>> {
 public:
  // Lists from `read_pool` (a replica's, or the primary's) on `dispatcher`'s
  // workers; watches with `feed`.
  ChangeService(store::ConnectionPool* read_pool, ChangeFeed* feed,
                Dispatcher* dispatcher);

  // The most bytes of records in a ListChanges page (0: no bound).
  void set_max_page_bytes(size_t bytes) { max_page_bytes_ = bytes; }

  // The key that signs ListChanges' page tokens (required for it).
  void set_page_token_key(store::PageTokenKey* key) { page_token_key_ = key; }

  // The budget a ListChanges with a filter the planner expects to be
  // costly holds a slot of while it runs (null: none).
  void set_costly_lists(CostlyLists* budget) { costly_lists_ = budget; }

  // Who may list and watch (null: everyone).
  void set_authorizer(const auth::Authorizer* authorizer) {
    authorizer_ = authorizer;
  }

  // Raw, like the resource services' methods (api/dispatcher.h).
  grpc::ServerUnaryReactor* ListChanges(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;

  // Raw: the feed writes messages it encoded once for every watcher
  // (src/api/change_feed.cc); the request is parsed here.
  grpc::ServerWriteReactor<grpc::ByteBuffer>* WatchChanges(
      grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request) override;

 private:
  store::ChangeLog log_;
  ChangeFeed* feed_;
  Dispatcher* dispatcher_;
  const auth::Authorizer* authorizer_ = nullptr;
  store::PageTokenKey* page_token_key_ = nullptr;
  CostlyLists* costly_lists_ = nullptr;
  size_t max_page_bytes_ = 0;
};

}  // namespace forum_registry::api

#endif  // FORUM_REGISTRY_API_CHANGE_SERVICE_H_
