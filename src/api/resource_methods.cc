#include "src/api/resource_methods.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "src/api/status.h"
#include "src/domain/order_by.h"
#include "src/domain/page_token.h"
#include "src/domain/resource_name.h"
#include "src/domain/status_macros.h"
#include "src/domain/update_mask.h"
#include "src/domain/write_request.h"

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

// Tells the caller the revision of the change feed its write produced, in a
// response header, so it can wait for that point in the feed or in a read
// (nothing when the revision could not be read after the commit), and
// whether the answer is a replay of an earlier request with its id.
void SendWriteHeaders(grpc::ServerContextBase* context,
                      const store::WriteResult& result) {
  if (result.revision > 0) {
    context->AddInitialMetadata(std::string(kRevisionHeader),
                                std::to_string(result.revision));
  }
  if (result.replayed) {
    context->AddInitialMetadata(std::string(kReplayedHeader), "true");
  }
}

// A revision to read at: 0 for now, else a revision of the change log.
absl::Status CheckAsOfRevision(int64_t revision) {
  if (revision < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "as_of_revision: ", revision,
        " is negative; a revision of the change log is 1 or more (0 reads "
        "the present)"));
  }
  return absl::OkStatus();
}

// A read's min_revision: not negative, and not beside as_of_revision (a
// read is of one revision or of at least one, not both).
absl::Status CheckMinRevision(int64_t min_revision, int64_t as_of_revision) {
  if (min_revision < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "min_revision: ", min_revision,
        " is negative; a revision of the change log is 1 or more (0 asks "
        "for none)"));
  }
  if (min_revision > 0 && as_of_revision > 0) {
    return absl::InvalidArgumentError(
        "min_revision: cannot be given with as_of_revision, which reads one "
        "revision exactly");
  }
  return absl::OkStatus();
}

// The request id of `write`, checked and in its canonical form.
absl::Status CheckRequestId(store::WriteRequest* write) {
  FR_ASSIGN_OR_RETURN(write->id,
                      domain::ParseRequestId(write->id, "request_id"));
  return absl::OkStatus();
}

}  // namespace

ResourceMethods::ResourceMethods(store::ResourceStore& store,
                                 const domain::ResourceType& type,
                                 store::PageTokenKey& page_token_key,
                                 CostlyLists& costly_lists,
                                 const SizeLimits& limits)
    : store_(&store),
      type_(type),
      page_token_key_(&page_token_key),
      costly_lists_(&costly_lists),
      limits_(limits) {}

absl::Status ResourceMethods::Check(Message* resource) const {
  if (type_.normalize) type_.normalize(resource);
  FR_RETURN_IF_ERROR(type_.validate(*resource, type_.field));
  const size_t bytes = resource->ByteSizeLong();
  if (limits_.max_record_bytes > 0 && bytes > limits_.max_record_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        type_.field, ": is ", bytes, " bytes encoded; a record may be at most ",
        limits_.max_record_bytes, " bytes (--max-record-bytes)"));
  }
  return absl::OkStatus();
}

absl::Status ResourceMethods::CheckName(absl::string_view name,
                                        absl::string_view field) const {
  if (type_.parent_collection.empty()) {
    return domain::ValidateName(name, type_.collection, field);
  }
  return domain::ValidateNestedName(name, type_.parent_collection,
                                    type_.collection, field);
}

grpc::Status ResourceMethods::Get(grpc::ServerContextBase* context,
                                  const std::string& name,
                                  int64_t as_of_revision, int64_t min_revision,
                                  Message* out) {
  if (absl::Status s = CheckName(name, "name"); !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (absl::Status s = CheckAsOfRevision(as_of_revision); !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (absl::Status s = CheckMinRevision(min_revision, as_of_revision);
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (min_revision > 0) {
    return ToGrpcStatus(
        store_->GetAtRevision(name, min_revision, out, DeadlineOf(context)));
  }
  if (as_of_revision > 0) {
    return ToGrpcStatus(
        store_->GetAsOf(name, as_of_revision, out, DeadlineOf(context)));
  }
  return ToGrpcStatus(store_->Get(name, out, DeadlineOf(context)));
}

grpc::Status ResourceMethods::List(grpc::ServerContextBase* context,
                                   const ListRequest& request,
                                   int records_field, std::string* page,
                                   std::string* next_page_token) {
  return ToGrpcStatus(
      DoList(context, request, records_field, page, next_page_token));
}

absl::Status ResourceMethods::DoList(grpc::ServerContextBase* context,
                                     const ListRequest& request,
                                     int records_field, std::string* page,
                                     std::string* next_page_token) {
  store::ListQuery query;
  if (!type_.parent_collection.empty()) {
    FR_RETURN_IF_ERROR(domain::ValidateParent(
        request.parent, type_.parent_collection, "parent", /*allow_any=*/true));
    if (request.parent != absl::StrCat(type_.parent_collection, "/-")) {
      query.parent = request.parent;
    }
  }
  FR_ASSIGN_OR_RETURN(query.page_size,
                      domain::ResolvePageSize(request.page_size));
  FR_RETURN_IF_ERROR(CheckAsOfRevision(request.as_of_revision));
  FR_RETURN_IF_ERROR(
      CheckMinRevision(request.min_revision, request.as_of_revision));
  query.as_of_revision = request.as_of_revision;
  query.min_revision = request.min_revision;
  FR_ASSIGN_OR_RETURN(std::optional<domain::filter::Node> filter,
                      domain::filter::Parse(request.filter, type_.schema));
  FR_ASSIGN_OR_RETURN(domain::OrderBy order,
                      domain::ParseOrderBy(request.order_by, type_.order_by));
  query.filter = filter ? &*filter : nullptr;
  query.max_bytes = limits_.max_page_bytes;
  // A token is bound to everything but the page size: to the whole
  // ordering, in one spelling per ordering (a single key spells as it did
  // when order_by took one, so tokens made then still read), and to the
  // revision when there is one (added only then, so tokens of the present
  // keep the fingerprint they had before reads at a revision existed).
  const std::string filter_text =
      filter ? domain::filter::Canonical(*filter) : "";
  const std::string order_text = order.Canonical();
  const std::string revision_text =
      absl::StrCat("as_of_revision=", query.as_of_revision);
  std::vector<absl::string_view> bound = {type_.collection, query.parent,
                                          filter_text, order_text};
  if (query.as_of_revision > 0) bound.push_back(revision_text);
  const std::string fingerprint = domain::QueryFingerprint(bound);
  query.order = std::move(order);
  const absl::Time deadline = DeadlineOf(context);
  FR_ASSIGN_OR_RETURN(const domain::PageTokens* tokens,
                      page_token_key_->Get(deadline));
  if (!request.page_token.empty()) {
    FR_ASSIGN_OR_RETURN(query.after,
                        tokens->DecodeKey(request.page_token, fingerprint,
                                          query.order.keys.size() + 1));
  }
  // A list the planner expects to be costly holds a slot while it runs.
  std::optional<CostlyLists::Slot> slot;
  if (query.filter != nullptr || !query.order.keys.empty() ||
      query.as_of_revision > 0) {
    FR_ASSIGN_OR_RETURN(const double cost,
                        store_->EstimateListCost(query, deadline));
    FR_ASSIGN_OR_RETURN(std::optional<CostlyLists::Slot> admitted,
                        costly_lists_->AdmitCall(cost, deadline, context));
    if (admitted.has_value()) slot.emplace(std::move(*admitted));
  }
  std::vector<std::string> next;
  FR_RETURN_IF_ERROR(
      store_->ListWire(query, records_field, page, &next, deadline));
  next_page_token->clear();
  if (!next.empty()) *next_page_token = tokens->Encode(fingerprint, next);
  return absl::OkStatus();
}

grpc::Status ResourceMethods::Create(grpc::ServerContextBase* context,
                                     const std::string& parent,
                                     const Message& resource, bool has_resource,
                                     const std::string& id, Message* out,
                                     store::WriteRequest write) {
  return ToGrpcStatus(DoCreate(context, parent, resource, has_resource, id, out,
                               std::move(write)));
}

absl::Status ResourceMethods::DoCreate(grpc::ServerContextBase* context,
                                       const std::string& parent,
                                       const Message& resource,
                                       bool has_resource, const std::string& id,
                                       Message* out,
                                       store::WriteRequest write) {
  FR_RETURN_IF_ERROR(CheckRequestId(&write));
  std::string collection = type_.collection;
  if (!type_.parent_collection.empty()) {
    FR_RETURN_IF_ERROR(domain::ValidateParent(parent, type_.parent_collection,
                                              "parent", /*allow_any=*/false));
    collection = absl::StrCat(parent, "/", type_.collection);
  }
  if (!has_resource) {
    return absl::InvalidArgumentError(
        absl::StrCat(type_.field, ": is required"));
  }
  FR_RETURN_IF_ERROR(domain::ValidateId(id, type_.id_field));
  FR_RETURN_IF_ERROR(domain::CheckNoUnknownFields(resource, type_.field));
  std::unique_ptr<Message> record(resource.New());
  record->CopyFrom(resource);
  SetName(record.get(), domain::MakeName(collection, id));
  FR_RETURN_IF_ERROR(Check(record.get()));
  store::WriteResult result;
  FR_RETURN_IF_ERROR(store_->Create(NameOf(*record), *record, out,
                                    DeadlineOf(context), write, &result));
  SendWriteHeaders(context, result);
  return absl::OkStatus();
}

grpc::Status ResourceMethods::Update(grpc::ServerContextBase* context,
                                     const Message& resource, bool has_resource,
                                     const google::protobuf::FieldMask& mask,
                                     Message* out, store::WriteRequest write) {
  return ToGrpcStatus(
      DoUpdate(context, resource, has_resource, mask, out, std::move(write)));
}

absl::Status ResourceMethods::DoUpdate(grpc::ServerContextBase* context,
                                       const Message& resource,
                                       bool has_resource,
                                       const google::protobuf::FieldMask& mask,
                                       Message* out,
                                       store::WriteRequest write) {
  FR_RETURN_IF_ERROR(CheckRequestId(&write));
  if (!has_resource) {
    return absl::InvalidArgumentError(
        absl::StrCat(type_.field, ": is required"));
  }
  const std::string& name = NameOf(resource);
  FR_RETURN_IF_ERROR(CheckName(name, absl::StrCat(type_.field, ".name")));
  // The top-level fields the update writes (nullopt: every one).
  const std::optional<std::vector<std::string>> fields =
      domain::MaskedFields(mask);
  FR_RETURN_IF_ERROR(
      fields ? domain::CheckNoUnknownFields(resource, type_.field, *fields)
             : domain::CheckNoUnknownFields(resource, type_.field));
  // Check the mask before touching the database.
  {
    std::unique_ptr<Message> scratch(resource.New());
    FR_RETURN_IF_ERROR(domain::ApplyUpdateMask(mask, resource, scratch.get()));
  }
  store::WriteResult result;
  FR_RETURN_IF_ERROR(store_->Update(
      name, EtagOf(resource),
      [&](Message* current) -> absl::Status {
        FR_RETURN_IF_ERROR(domain::ApplyUpdateMask(mask, resource, current));
        return Check(current);
      },
      out, DeadlineOf(context), write, &result, fields ? &*fields : nullptr));
  SendWriteHeaders(context, result);
  return absl::OkStatus();
}

grpc::Status ResourceMethods::Delete(grpc::ServerContextBase* context,
                                     const std::string& name,
                                     const std::string& etag, bool force,
                                     store::WriteRequest write) {
  return ToGrpcStatus(DoDelete(context, name, etag, force, std::move(write)));
}

absl::Status ResourceMethods::DoDelete(grpc::ServerContextBase* context,
                                       const std::string& name,
                                       const std::string& etag, bool force,
                                       store::WriteRequest write) {
  FR_RETURN_IF_ERROR(CheckRequestId(&write));
  FR_RETURN_IF_ERROR(CheckName(name, "name"));
  store::WriteResult result;
  FR_RETURN_IF_ERROR(
      store_->Delete(name, etag, force, DeadlineOf(context), write, &result));
  SendWriteHeaders(context, result);
  return absl::OkStatus();
}

grpc::Status ResourceMethods::Undelete(grpc::ServerContextBase* context,
                                       const std::string& name,
                                       const std::string& etag,
                                       bool may_restore_children, Message* out,
                                       store::WriteRequest write) {
  if (absl::Status s = CheckRequestId(&write); !s.ok()) return ToGrpcStatus(s);
  if (absl::Status s = CheckName(name, "name"); !s.ok()) return ToGrpcStatus(s);
  store::WriteResult result;
  absl::Status status = store_->Undelete(name, etag, may_restore_children, out,
                                         DeadlineOf(context), write, &result);
  if (status.ok()) SendWriteHeaders(context, result);
  return ToGrpcStatus(status);
}

}  // namespace forum_registry::api
