#ifndef FORUM_REGISTRY_API_RESOURCE_SERVICE_H_
#define FORUM_REGISTRY_API_RESOURCE_SERVICE_H_

// The gRPC service of one kind of resource (forumregistry.v1.ForumService,
// ...), built at run time from the kind's registry entry and its service
// descriptor instead of from one hand-written class per kind.
//
// Every method of the service must be a standard method of the kind, known
// by its name as the AIPs spell it: GetForum, ListForums, CreateForum,
// UpdateForum, DeleteForum. Requests and responses are the generated
// messages; their fields are read by reflection under the names the AIPs give
// them (name, parent, page_size, page_token, filter, order_by, forum,
// forum_id, update_mask, etag, force; forums and next_page_token in a list
// response). The work itself is ResourceMethods'.
//
//   api::ResourceService forums(*domain::FindByMessage(Forum::descriptor()),
//                               &pool, &read_pool);
//   builder.RegisterService(&forums);
//
// Reflection lists and describes the service as usual: it reads the
// descriptor pool, and the server lists the service under the name its
// methods carry.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpcpp/impl/service_type.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"
#include "src/api/dispatcher.h"
#include "src/api/resource_methods.h"
#include "src/auth/authorizer.h"
#include "src/domain/resource_registry.h"
#include "src/store/pool.h"
#include "src/store/resource_store.h"

namespace forum_registry::api {

enum class StandardMethod { kGet, kList, kCreate, kUpdate, kDelete };

// Which standard method of `type` `method` is, from its name; nullopt if it
// is none.
std::optional<StandardMethod> StandardMethodOf(
    const domain::ResourceType& type,
    const google::protobuf::MethodDescriptor* method);

class ResourceService final : public grpc::Service {
 public:
  // Writes go to `pool`; reads (Get, List) to `read_pool`, which may be the
  // same pool or one on a replica. A method that is not a standard method,
  // or a request without a field of the AIP name and type the method reads,
  // stops the program: api_unit_test rules that out.
  // Calls run on `dispatcher`'s workers (api/dispatcher.h); it must outlive
  // the server.
  ResourceService(const domain::ResourceType& type, store::ConnectionPool* pool,
                  store::ConnectionPool* read_pool, Dispatcher* dispatcher);
  ~ResourceService() override;

  // "forumregistry.v1.ForumService".
  const std::string& full_name() const { return type_.service->full_name(); }

  // Get reuses decoded records from `cache` while they are current.
  // Who may call what (null: everyone).
  void set_authorizer(const auth::Authorizer* authorizer) {
    authorizer_ = authorizer;
  }

  // Told of every write that succeeded: the method ("CreateForum"), the
  // record's name and the caller (for the audit log).
  using WriteObserver =
      std::function<void(const std::string& method, const std::string& name,
                         const auth::Caller& caller)>;
  void set_write_observer(WriteObserver observer) {
    write_observer_ = std::move(observer);
  }

  void set_cache(store::RecordCache* cache, store::RevisionCheck* revisions) {
    store_.set_cache(cache, revisions);
  }

  void set_size_limits(SizeLimits limits) { methods_.set_size_limits(limits); }
  void set_costly_lists(CostlyLists* budget) {
    methods_.set_costly_lists(budget);
  }

  // The key that signs List's page tokens (required for List).
  void set_page_token_key(store::PageTokenKey* key) {
    methods_.set_page_token_key(key);
  }

 private:
  class Handler;
  // The fields of one method's request and response that it reads and
  // writes, looked up once when the service is built.
  struct Fields;

  grpc::Status Get(grpc::ServerContextBase* context, const auth::Caller& caller,
                   const Fields& fields,
                   const google::protobuf::Message& request,
                   google::protobuf::Message* response);
  grpc::Status List(grpc::ServerContextBase* context,
                    const auth::Caller& caller, const Fields& fields,
                    const google::protobuf::Message& request,
                    google::protobuf::Message* response);
  grpc::Status Create(grpc::ServerContextBase* context,
                      const auth::Caller& caller, const Fields& fields,
                      const google::protobuf::Message& request,
                      google::protobuf::Message* response);
  grpc::Status Update(grpc::ServerContextBase* context,
                      const auth::Caller& caller, const Fields& fields,
                      const google::protobuf::Message& request,
                      google::protobuf::Message* response);
  grpc::Status Delete(grpc::ServerContextBase* context,
                      const auth::Caller& caller, const Fields& fields,
                      const google::protobuf::Message& request,
                      google::protobuf::Message* response);

  const domain::ResourceType& type_;
  Dispatcher* const dispatcher_;
  store::ResourceStore store_;
  ResourceMethods methods_;
  const auth::Authorizer* authorizer_ = nullptr;
  WriteObserver write_observer_;
  // "/forumregistry.v1.ForumService/GetForum", ...: gRPC keeps pointers to
  // these for the life of the service.
  std::vector<std::unique_ptr<std::string>> paths_;
  std::vector<std::unique_ptr<Handler>> handlers_;
};

}  // namespace forum_registry::api

#endif  // FORUM_REGISTRY_API_RESOURCE_SERVICE_H_
