#include "src/api/resource_methods.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "src/api/status.h"
#include "src/domain/order_by.h"
#include "src/domain/page_token.h"
#include "src/domain/resource_name.h"
#include "src/domain/status_macros.h"
#include "src/domain/update_mask.h"

namespace forum_registry::api {

using google::protobuf::Message;

namespace {

const std::string& NameOf(const Message& resource) {
  const auto* field = resource.GetDescriptor()->FindFieldByName("name");
  return resource.GetReflection()->GetStringReference(resource, field, nullptr);
}

void SetName(Message* resource, const std::string& name) {
  const auto* field = resource->GetDescriptor()->FindFieldByName("name");
  resource->GetReflection()->SetString(resource, field, name);
}

const std::string& EtagOf(const Message& resource) {
  const auto* field = resource.GetDescriptor()->FindFieldByName("etag");
  return resource.GetReflection()->GetStringReference(resource, field, nullptr);
}

}  // namespace

ResourceMethods::ResourceMethods(store::ResourceStore* store, ResourceApi api)
    : store_(store), api_(std::move(api)) {}

absl::Status ResourceMethods::Check(Message* resource) const {
  if (api_.normalize) api_.normalize(resource);
  return api_.validate(*resource, api_.field);
}

absl::Status ResourceMethods::CheckName(absl::string_view name,
                                        absl::string_view field) const {
  if (api_.parent_collection.empty()) {
    return domain::ValidateName(name, api_.collection, field);
  }
  return domain::ValidateNestedName(name, api_.parent_collection,
                                    api_.collection, field);
}

grpc::Status ResourceMethods::Get(grpc::ServerContext* context,
                                  const std::string& name, Message* out) {
  if (absl::Status s = CheckName(name, "name"); !s.ok()) {
    return ToGrpcStatus(s);
  }
  return ToGrpcStatus(store_->Get(name, out, DeadlineOf(context)));
}

grpc::Status ResourceMethods::List(grpc::ServerContext* context,
                                   const ListRequest& request,
                                   const std::function<Message*()>& add,
                                   std::string* next_page_token) {
  return ToGrpcStatus(DoList(context, request, add, next_page_token));
}

absl::Status ResourceMethods::DoList(grpc::ServerContext* context,
                                     const ListRequest& request,
                                     const std::function<Message*()>& add,
                                     std::string* next_page_token) {
  store::ListQuery query;
  if (!api_.parent_collection.empty()) {
    FR_RETURN_IF_ERROR(domain::ValidateParent(
        request.parent, api_.parent_collection, "parent", /*allow_any=*/true));
    if (request.parent != absl::StrCat(api_.parent_collection, "/-")) {
      query.parent = request.parent;
    }
  }
  FR_ASSIGN_OR_RETURN(query.page_size,
                      domain::ResolvePageSize(request.page_size));
  FR_ASSIGN_OR_RETURN(
      std::optional<domain::filter::Node> filter,
      domain::filter::Parse(request.filter, api_.filter_fields));
  FR_ASSIGN_OR_RETURN(
      domain::OrderBy order,
      domain::ParseOrderBy(request.order_by, api_.order_fields));
  query.filter = filter ? &*filter : nullptr;
  query.order_field = order.field;
  query.descending = order.descending;
  // A token is bound to everything but the page size.
  const std::string fingerprint = domain::QueryFingerprint(
      {api_.collection, query.parent,
       filter ? domain::filter::Canonical(*filter) : "",
       absl::StrCat(order.field, order.descending ? " desc" : "")});
  if (!request.page_token.empty()) {
    FR_ASSIGN_OR_RETURN(
        query.after, domain::DecodePageToken(request.page_token, fingerprint));
    if (query.after.size() != (order.field.empty() ? 1u : 2u)) {
      return absl::InvalidArgumentError(
          "page_token: is not a token this service issued for this list");
    }
  }
  std::vector<std::string> next;
  FR_RETURN_IF_ERROR(store_->List(query, add, &next, DeadlineOf(context)));
  next_page_token->clear();
  if (!next.empty()) {
    *next_page_token = domain::EncodePageToken(fingerprint, next);
  }
  return absl::OkStatus();
}

grpc::Status ResourceMethods::Create(grpc::ServerContext* context,
                                     const std::string& parent,
                                     const Message& resource, bool has_resource,
                                     const std::string& id, Message* out) {
  return ToGrpcStatus(
      DoCreate(context, parent, resource, has_resource, id, out));
}

absl::Status ResourceMethods::DoCreate(grpc::ServerContext* context,
                                       const std::string& parent,
                                       const Message& resource,
                                       bool has_resource, const std::string& id,
                                       Message* out) {
  std::string collection = api_.collection;
  if (!api_.parent_collection.empty()) {
    FR_RETURN_IF_ERROR(domain::ValidateParent(parent, api_.parent_collection,
                                              "parent", /*allow_any=*/false));
    collection = absl::StrCat(parent, "/", api_.collection);
  }
  if (!has_resource) {
    return absl::InvalidArgumentError(
        absl::StrCat(api_.field, ": is required"));
  }
  FR_RETURN_IF_ERROR(domain::ValidateId(id, api_.id_field));
  std::unique_ptr<Message> record(resource.New());
  record->CopyFrom(resource);
  SetName(record.get(), domain::MakeName(collection, id));
  FR_RETURN_IF_ERROR(Check(record.get()));
  return store_->Create(NameOf(*record), *record, out, DeadlineOf(context));
}

grpc::Status ResourceMethods::Update(grpc::ServerContext* context,
                                     const Message& resource, bool has_resource,
                                     const google::protobuf::FieldMask& mask,
                                     Message* out) {
  return ToGrpcStatus(DoUpdate(context, resource, has_resource, mask, out));
}

absl::Status ResourceMethods::DoUpdate(grpc::ServerContext* context,
                                       const Message& resource,
                                       bool has_resource,
                                       const google::protobuf::FieldMask& mask,
                                       Message* out) {
  if (!has_resource) {
    return absl::InvalidArgumentError(
        absl::StrCat(api_.field, ": is required"));
  }
  const std::string& name = NameOf(resource);
  FR_RETURN_IF_ERROR(CheckName(name, absl::StrCat(api_.field, ".name")));
  // Check the mask before touching the database.
  {
    std::unique_ptr<Message> scratch(resource.New());
    FR_RETURN_IF_ERROR(domain::ApplyUpdateMask(mask, resource, scratch.get()));
  }
  return store_->Update(
      name, EtagOf(resource),
      [&](Message* current) -> absl::Status {
        FR_RETURN_IF_ERROR(domain::ApplyUpdateMask(mask, resource, current));
        return Check(current);
      },
      out, DeadlineOf(context));
}

grpc::Status ResourceMethods::Delete(grpc::ServerContext* context,
                                     const std::string& name,
                                     const std::string& etag, bool force) {
  if (absl::Status s = CheckName(name, "name"); !s.ok()) {
    return ToGrpcStatus(s);
  }
  return ToGrpcStatus(store_->Delete(name, etag, force, DeadlineOf(context)));
}

}  // namespace forum_registry::api
