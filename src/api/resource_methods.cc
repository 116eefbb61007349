#include "src/api/resource_methods.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "src/api/status.h"
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

grpc::Status ResourceMethods::Get(grpc::ServerContext* context,
                                  const std::string& name, Message* out) {
  if (absl::Status s = domain::ValidateName(name, api_.collection, "name");
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  return ToGrpcStatus(store_->Get(name, out, DeadlineOf(context)));
}

grpc::Status ResourceMethods::List(grpc::ServerContext* context,
                                   int32_t page_size,
                                   const std::string& page_token,
                                   const std::function<Message*()>& add,
                                   std::string* next_page_token) {
  return ToGrpcStatus(
      DoList(context, page_size, page_token, add, next_page_token));
}

absl::Status ResourceMethods::DoList(grpc::ServerContext* context,
                                     int32_t page_size,
                                     const std::string& page_token,
                                     const std::function<Message*()>& add,
                                     std::string* next_page_token) {
  FR_ASSIGN_OR_RETURN(const int size, domain::ResolvePageSize(page_size));
  const std::string fingerprint = domain::QueryFingerprint({api_.collection});
  store::ListPage page;
  page.page_size = size;
  if (!page_token.empty()) {
    FR_ASSIGN_OR_RETURN(std::vector<std::string> key,
                        domain::DecodePageToken(page_token, fingerprint));
    if (key.size() != 1) {
      return absl::InvalidArgumentError(
          "page_token: is not a token this service issued for this list");
    }
    page.after_name = std::move(key[0]);
  }
  // The last message added carries the key the next page resumes after.
  Message* last = nullptr;
  bool more = false;
  FR_RETURN_IF_ERROR(store_->List(
      page,
      [&]() {
        last = add();
        return last;
      },
      &more, DeadlineOf(context)));
  next_page_token->clear();
  if (more && last != nullptr) {
    *next_page_token = domain::EncodePageToken(fingerprint, {NameOf(*last)});
  }
  return absl::OkStatus();
}

grpc::Status ResourceMethods::Create(grpc::ServerContext* context,
                                     const Message& resource, bool has_resource,
                                     const std::string& id, Message* out) {
  return ToGrpcStatus(DoCreate(context, resource, has_resource, id, out));
}

absl::Status ResourceMethods::DoCreate(grpc::ServerContext* context,
                                       const Message& resource,
                                       bool has_resource, const std::string& id,
                                       Message* out) {
  if (!has_resource) {
    return absl::InvalidArgumentError(
        absl::StrCat(api_.field, ": is required"));
  }
  FR_RETURN_IF_ERROR(domain::ValidateId(id, api_.id_field));
  std::unique_ptr<Message> record(resource.New());
  record->CopyFrom(resource);
  SetName(record.get(), domain::MakeName(api_.collection, id));
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
  FR_RETURN_IF_ERROR(domain::ValidateName(name, api_.collection,
                                          absl::StrCat(api_.field, ".name")));
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
                                     const std::string& etag) {
  if (absl::Status s = domain::ValidateName(name, api_.collection, "name");
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  return ToGrpcStatus(store_->Delete(name, etag, DeadlineOf(context)));
}

}  // namespace forum_registry::api
