#ifndef FORUM_REGISTRY_API_RESOURCE_METHODS_H_
#define FORUM_REGISTRY_API_RESOURCE_METHODS_H_

// The standard methods (AIP-131 to 135) as every resource has them: request
// checks, then the store, then the answer. A resource's service states only
// what is its own — collection, field names, rules, defaults — and forwards
// each RPC here.
//
// Every method returns a grpc::Status whose message names the request field
// and the rule that failed ("forum.parent: forums/x does not exist"). Nothing
// is written unless every check passed.

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/message.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"
#include "src/domain/filter.h"
#include "src/store/resource_store.h"

namespace forum_registry::api {

// What is particular to one resource.
struct ResourceApi {
  // For a nested resource, the collection of its parent ("forums"); empty
  // for a top-level one.
  std::string parent_collection{};
  // The collection in names ("forums", "sessions").
  std::string collection{};
  // The request field that holds the resource ("forum").
  std::string field{};
  // The request field that holds the id on create ("forum_id").
  std::string id_field{};
  // The resource's own rules; `field` is the path to prefix messages with.
  std::function<absl::Status(const google::protobuf::Message&,
                             absl::string_view field)>
      validate;
  // Fills defaults for fields left unspecified. May be empty.
  std::function<void(google::protobuf::Message*)> normalize{};
  // The fields a List filter may name (an allow-list), and of those, the
  // ones `order_by` accepts.
  domain::filter::Schema filter_fields{};
  std::vector<std::string> order_fields{};
};

// The parameters of a List request.
struct ListRequest {
  std::string parent;  // nested resources only
  int32_t page_size = 0;
  std::string page_token{};
  std::string filter{};
  std::string order_by{};
};

class ResourceMethods {
 public:
  ResourceMethods(store::ResourceStore* store, ResourceApi api);

  grpc::Status Get(grpc::ServerContext* context, const std::string& name,
                   google::protobuf::Message* out);

  // Adds a page of resources with `add` and sets `next_page_token`.
  grpc::Status List(grpc::ServerContext* context, const ListRequest& request,
                    const std::function<google::protobuf::Message*()>& add,
                    std::string* next_page_token);

  // `parent` is ignored for a top-level resource.
  grpc::Status Create(grpc::ServerContext* context, const std::string& parent,
                      const google::protobuf::Message& resource,
                      bool has_resource, const std::string& id,
                      google::protobuf::Message* out);

  grpc::Status Update(grpc::ServerContext* context,
                      const google::protobuf::Message& resource,
                      bool has_resource,
                      const google::protobuf::FieldMask& update_mask,
                      google::protobuf::Message* out);

  grpc::Status Delete(grpc::ServerContext* context, const std::string& name,
                      const std::string& etag, bool force = false);

  const ResourceApi& api() const { return api_; }

 private:
  absl::Status DoList(grpc::ServerContext* context, const ListRequest& request,
                      const std::function<google::protobuf::Message*()>& add,
                      std::string* next_page_token);
  absl::Status DoCreate(grpc::ServerContext* context, const std::string& parent,
                        const google::protobuf::Message& resource,
                        bool has_resource, const std::string& id,
                        google::protobuf::Message* out);
  // Checks a resource name of this API's shape, for `field`.
  absl::Status CheckName(absl::string_view name, absl::string_view field) const;
  absl::Status DoUpdate(grpc::ServerContext* context,
                        const google::protobuf::Message& resource,
                        bool has_resource,
                        const google::protobuf::FieldMask& update_mask,
                        google::protobuf::Message* out);
  // Applies defaults, then the resource's rules.
  absl::Status Check(google::protobuf::Message* resource) const;

  store::ResourceStore* store_;
  const ResourceApi api_;
};

}  // namespace forum_registry::api

#endif  // FORUM_REGISTRY_API_RESOURCE_METHODS_H_
