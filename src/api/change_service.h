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
#include "src/api/resource_methods.h"
#include "src/api/service_deps.h"
#include "src/auth/authorizer.h"
#include "src/store/change_log.h"
#include "src/store/page_token_key.h"
#include "src/store/pool.h"

namespace forum_registry::api {

// What the change service stands on. The references must outlive it.
struct ChangeServiceDeps {
  // ListChanges reads from `common.read_pool` on `common.dispatcher`'s
  // workers.
  const CommonDeps& common;
  // WatchChanges streams from the feed.
  ChangeFeed& feed;
  // A ListChanges page holds at most `limits.max_page_bytes` of records.
  const SizeLimits& limits;
};

class ChangeService final
    : public forumregistry::v1::ChangeService::
          WithRawCallbackMethod_ListChanges<
              forumregistry::v1::ChangeService::
                  WithRawCallbackMethod_WatchChanges<
                      forumregistry::v1::ChangeService::Service>> {
 public:
  // A ListChanges with a filter the planner expects to be costly holds a
  // slot of `deps.common.costly_lists` while it runs.
  explicit ChangeService(const ChangeServiceDeps& deps);

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
  ChangeFeed* const feed_;
  Dispatcher* const dispatcher_;
  const auth::Authorizer* const authorizer_;
  store::PageTokenKey* const page_token_key_;
  CostlyLists* const costly_lists_;
  const size_t max_page_bytes_;
};

}  // namespace forum_registry::api

#endif  // FORUM_REGISTRY_API_CHANGE_SERVICE_H_
