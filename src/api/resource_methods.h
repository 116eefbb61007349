#ifndef FORUM_REGISTRY_API_RESOURCE_METHODS_H_
#define FORUM_REGISTRY_API_RESOURCE_METHODS_H_

// The standard methods (AIP-131 to 135) as every resource has them: request
// checks, then the store, then the answer. What is particular to a resource —
// collection, field names, rules, defaults, filter fields — is its entry in
// the resource registry (src/domain/resource_registry.h).
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
#include "src/api/costly_lists.h"
#include "src/domain/resource_registry.h"
#include "src/store/page_token_key.h"
#include "src/store/resource_store.h"

namespace forum_registry::api {

// The response header of Create, Update and Delete that names the revision of
// the change feed the write produced.
inline constexpr absl::string_view kRevisionHeader =
    "x-forum-registry-revision";
// Sent ("true") with the answer of a write whose request id had been used
// by an earlier request: the answer is that request's, and nothing was
// written this time.
inline constexpr absl::string_view kReplayedHeader =
    "x-forum-registry-replayed";

// Sizes a request or a response may reach.
struct SizeLimits {
  // The largest record, encoded, a Create or Update may store (0: no
  // bound); past it INVALID_ARGUMENT.
  size_t max_record_bytes = 0;
  // The most bytes of records in one List page (0: no bound); a page stops
  // before the record that would pass it and a token leads to the rest.
  size_t max_page_bytes = 0;
};

// The parameters of a List request.
struct ListRequest {
  std::string parent;  // nested resources only
  int32_t page_size = 0;
  std::string page_token{};
  std::string filter{};
  std::string order_by{};
  // List as the collection stood right after this revision (0: now).
  int64_t as_of_revision = 0;
  // List as of this revision or a later one (0: whatever the read database
  // holds).
  int64_t min_revision = 0;
};

class ResourceMethods {
 public:
  // `type` must outlive this object (registry entries live forever); so
  // must `store`, `page_token_key` (which signs List's page tokens) and
  // `costly_lists` (the slots of Lists the planner expects to be costly).
  ResourceMethods(store::ResourceStore& store, const domain::ResourceType& type,
                  store::PageTokenKey& page_token_key,
                  CostlyLists& costly_lists, const SizeLimits& limits);

  // With `as_of_revision` (not 0), the record as it stood right after that
  // revision of the change log; with `min_revision` (not 0), as of that
  // revision or a later one (store::ResourceStore::GetAtRevision).
  grpc::Status Get(grpc::ServerContextBase* context, const std::string& name,
                   int64_t as_of_revision, int64_t min_revision,
                   google::protobuf::Message* out);

  // Appends a page of resources to `page`, each as field `records_field` of
  // the List response (store::ResourceStore::ListWire), and sets
  // `next_page_token`.
  grpc::Status List(grpc::ServerContextBase* context,
                    const ListRequest& request, int records_field,
                    std::string* page, std::string* next_page_token);

  // `parent` is ignored for a top-level resource. The writes record
  // `write.actor` (the caller, auth/authorizer.h) in the change log; with a
  // `write.id` (the request's `request_id`, checked here) they are
  // idempotent (store::WriteRequest).
  grpc::Status Create(grpc::ServerContextBase* context,
                      const std::string& parent,
                      const google::protobuf::Message& resource,
                      bool has_resource, const std::string& id,
                      google::protobuf::Message* out,
                      store::WriteRequest write = {});

  grpc::Status Update(grpc::ServerContextBase* context,
                      const google::protobuf::Message& resource,
                      bool has_resource,
                      const google::protobuf::FieldMask& update_mask,
                      google::protobuf::Message* out,
                      store::WriteRequest write = {});

  grpc::Status Delete(grpc::ServerContextBase* context, const std::string& name,
                      const std::string& etag, bool force = false,
                      store::WriteRequest write = {});

  // Restores a deleted record (AIP-164; store::ResourceStore::Undelete);
  // the records a forced delete took with it come back only if
  // `may_restore_children`.
  grpc::Status Undelete(grpc::ServerContextBase* context,
                        const std::string& name, const std::string& etag,
                        bool may_restore_children,
                        google::protobuf::Message* out,
                        store::WriteRequest write = {});

  const domain::ResourceType& type() const { return type_; }

 private:
  absl::Status DoList(grpc::ServerContextBase* context,
                      const ListRequest& request, int records_field,
                      std::string* page, std::string* next_page_token);
  absl::Status DoCreate(grpc::ServerContextBase* context,
                        const std::string& parent,
                        const google::protobuf::Message& resource,
                        bool has_resource, const std::string& id,
                        google::protobuf::Message* out,
                        store::WriteRequest write);
  // Checks a resource name of this API's shape, for `field`.
  absl::Status CheckName(absl::string_view name, absl::string_view field) const;
  absl::Status DoUpdate(grpc::ServerContextBase* context,
                        const google::protobuf::Message& resource,
                        bool has_resource,
                        const google::protobuf::FieldMask& update_mask,
                        google::protobuf::Message* out,
                        store::WriteRequest write);
  absl::Status DoDelete(grpc::ServerContextBase* context,
                        const std::string& name, const std::string& etag,
                        bool force, store::WriteRequest write);
  // Applies defaults, then the resource's rules.
  absl::Status Check(google::protobuf::Message* resource) const;

  store::ResourceStore* const store_;
  const domain::ResourceType& type_;
  store::PageTokenKey* const page_token_key_;
  CostlyLists* const costly_lists_;
  const SizeLimits limits_;
};

}  // namespace forum_registry::api

#endif  // FORUM_REGISTRY_API_RESOURCE_METHODS_H_
