#ifndef FORUM_REGISTRY_API_RESOURCE_SERVICE_H_
#define FORUM_REGISTRY_API_RESOURCE_SERVICE_H_

// The gRPC service of one kind of resource (forumregistry.v1.ForumService,
// ...), built at run time from the kind's registry entry and its service
// descriptor instead of from one hand-written class per kind.
//
// Every method of the service must be a standard method of the kind, known
// by its name as the AIPs spell it: GetForum, ListForums, CreateForum,
// UpdateForum, DeleteForum, UndeleteForum. Requests and responses are the
// generated messages; their fields are read by reflection under the names the
// AIPs give them (name, parent, page_size, page_token, filter, order_by, forum,
// forum_id, update_mask, etag, force; forums and next_page_token in a list
// response). The work itself is ResourceMethods'.
//
//   api::ResourceService forums(*domain::FindByMessage(Forum::descriptor()),
//                               {.common = common, .pool = pool,
//                                .limits = limits});
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
#include "src/api/service_deps.h"
#include "src/auth/authorizer.h"
#include "src/domain/resource_registry.h"
#include "src/store/pool.h"
#include "src/store/resource_store.h"

namespace forum_registry::api {

// The standard methods (AIP-131 to 135) and Undelete (AIP-164).
enum class StandardMethod { kGet, kList, kCreate, kUpdate, kDelete, kUndelete };

// Which standard method of `type` `method` is, from its name; nullopt if it
// is none.
std::optional<StandardMethod> StandardMethodOf(
    const domain::ResourceType& type,
    const google::protobuf::MethodDescriptor* method);

// Told of every write that succeeded: the method ("CreateForum"), the
// record's name and the caller (for the audit log).
using WriteObserver =
    std::function<void(const std::string& method, const std::string& name,
                       const auth::Caller& caller)>;

// What a resource service stands on. The references must outlive it.
struct ResourceServiceDeps {
  // Calls run on `common.dispatcher`'s workers (api/dispatcher.h); Lists
  // read `common.read_pool`, Gets it or the primary, whichever has the
  // current revision (store/resource_store.h).
  const CommonDeps& common;
  // Where writes go: the primary's pool.
  store::ConnectionPool& pool;
  // Sizes a record and a List page may reach.
  const SizeLimits& limits;
  // Decoded records Get reuses while they are current (store/record_cache.h);
  // null: none.
  store::RecordCache* cache = nullptr;
  // The primary's current revision, which a Get's answer is never older
  // than; null: every Get reads the primary.
  store::RevisionCheck* revisions = nullptr;
  // Every record in memory, for Lists in name order (store/list_cache.h);
  // null: none.
  store::ListCache* lists = nullptr;
  // Where the list cache loads from: a pool of the primary's apart from
  // `pool` (null: `pool`).
  store::ConnectionPool* list_pool = nullptr;
  // Told of every write (null: nobody).
  WriteObserver on_write = nullptr;
};

class ResourceService final : public grpc::Service {
 public:
  // A method that is not a standard method, or a request without a field of
  // the AIP name and type the method reads, stops the program:
  // api_unit_test rules that out.
  ResourceService(const domain::ResourceType& type,
                  const ResourceServiceDeps& deps);
  ~ResourceService() override;

  // "forumregistry.v1.ForumService".
  const std::string& full_name() const { return type_.service->full_name(); }

  // One service per kind of the resource registry, each from `deps`.
  static std::vector<std::unique_ptr<ResourceService>> ForEveryKind(
      const ResourceServiceDeps& deps);

 private:
  class Handler;
  // The fields of one method's request and response that it reads and
  // writes, looked up once when the service is built.
  struct Fields;

  grpc::Status Get(grpc::ServerContextBase* context, const auth::Caller& caller,
                   const Fields& fields,
                   const google::protobuf::Message& request,
                   google::protobuf::Message* response);
  // A List answers with bytes: the page's records spliced as stored
  // (store/wire.h), then the next page's token.
  grpc::Status List(grpc::ServerContextBase* context, const Fields& fields,
                    const google::protobuf::Message& request,
                    std::string* response);
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
  grpc::Status Undelete(grpc::ServerContextBase* context,
                        const auth::Caller& caller, const Fields& fields,
                        const google::protobuf::Message& request,
                        google::protobuf::Message* response);

  const domain::ResourceType& type_;
  Dispatcher* const dispatcher_;
  const auth::Authorizer* const authorizer_;
  store::ResourceStore store_;
  ResourceMethods methods_;
  const WriteObserver write_observer_;
  // "/forumregistry.v1.ForumService/GetForum", ...: gRPC keeps pointers to
  // these for the life of the service.
  std::vector<std::unique_ptr<std::string>> paths_;
  std::vector<std::unique_ptr<Handler>> handlers_;
};

}  // namespace forum_registry::api

#endif  // FORUM_REGISTRY_API_RESOURCE_SERVICE_H_
