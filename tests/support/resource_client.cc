#include "tests/support/resource_client.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/message.h"
#include "grpcpp/impl/client_unary_call.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/impl/rpc_method.h"
#include "gtest/gtest.h"

namespace forum_registry::testing {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;

namespace {

constexpr StandardMethod kMethods[] = {
    StandardMethod::kGet,    StandardMethod::kList,
    StandardMethod::kCreate, StandardMethod::kUpdate,
    StandardMethod::kDelete, StandardMethod::kUndelete};

[[noreturn]] void Fail(const std::string& what) {
  ADD_FAILURE() << what;
  std::fprintf(stderr, "resource_client: %s\n", what.c_str());
  std::abort();
}

std::unique_ptr<Message> New(const Descriptor* descriptor) {
  return std::unique_ptr<Message>(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(descriptor)
          ->New());
}

}  // namespace

AnyResourceClient::AnyResourceClient(const domain::ResourceType& type,
                                     std::shared_ptr<grpc::Channel> channel)
    : type_(type), channel_(std::move(channel)), methods_(std::size(kMethods)) {
  for (int i = 0; i < type.service->method_count(); ++i) {
    const google::protobuf::MethodDescriptor* method = type.service->method(i);
    const std::optional<StandardMethod> standard =
        api::StandardMethodOf(type, method);
    if (!standard.has_value()) continue;
    Method& slot = methods_[static_cast<int>(*standard)];
    slot.descriptor = method;
    slot.path =
        absl::StrCat("/", type.service->full_name(), "/", method->name());
  }
  for (StandardMethod method : kMethods) {
    if (methods_[static_cast<int>(method)].descriptor == nullptr) {
      Fail(absl::StrCat(type.service->full_name(), " lacks standard method ",
                        static_cast<int>(method)));
    }
  }
}

const AnyResourceClient::Method& AnyResourceClient::MethodOf(
    StandardMethod method) const {
  return methods_[static_cast<int>(method)];
}

const std::string& AnyResourceClient::Path(StandardMethod method) const {
  return MethodOf(method).path;
}

const FieldDescriptor* AnyResourceClient::Field(const Descriptor* message,
                                                const std::string& name) const {
  const FieldDescriptor* field = message->FindFieldByName(name);
  if (field == nullptr) {
    Fail(absl::StrCat(message->full_name(), " has no field ", name));
  }
  return field;
}

std::unique_ptr<Message> AnyResourceClient::NewRequest(
    StandardMethod method) const {
  return New(MethodOf(method).descriptor->input_type());
}

std::unique_ptr<Message> AnyResourceClient::NewResponse(
    StandardMethod method) const {
  return New(MethodOf(method).descriptor->output_type());
}

std::unique_ptr<Message> AnyResourceClient::GetRequest(
    const std::string& name, int64_t as_of_revision) const {
  std::unique_ptr<Message> request = NewRequest(StandardMethod::kGet);
  request->GetReflection()->SetString(
      request.get(), Field(request->GetDescriptor(), "name"), name);
  request->GetReflection()->SetInt64(
      request.get(), Field(request->GetDescriptor(), "as_of_revision"),
      as_of_revision);
  return request;
}

std::unique_ptr<Message> AnyResourceClient::UndeleteRequest(
    const std::string& name, const std::string& etag,
    const std::string& request_id) const {
  std::unique_ptr<Message> request = NewRequest(StandardMethod::kUndelete);
  const Descriptor* in = request->GetDescriptor();
  const auto* reflection = request->GetReflection();
  reflection->SetString(request.get(), Field(in, "name"), name);
  reflection->SetString(request.get(), Field(in, "etag"), etag);
  reflection->SetString(request.get(), Field(in, "request_id"), request_id);
  return request;
}

std::unique_ptr<Message> AnyResourceClient::CreateRequest(
    const std::string& parent, const std::string& id, const Message& resource,
    const std::string& request_id) const {
  std::unique_ptr<Message> request = NewRequest(StandardMethod::kCreate);
  const Descriptor* in = request->GetDescriptor();
  const auto* reflection = request->GetReflection();
  if (type_.parent != nullptr) {
    reflection->SetString(request.get(), Field(in, "parent"), parent);
  } else if (!parent.empty()) {
    ADD_FAILURE() << type_.label << " is a top-level kind: no parent "
                  << parent;
  }
  reflection->MutableMessage(request.get(), Field(in, type_.field))
      ->CopyFrom(resource);
  reflection->SetString(request.get(), Field(in, type_.id_field), id);
  reflection->SetString(request.get(), Field(in, "request_id"), request_id);
  return request;
}

std::unique_ptr<Message> AnyResourceClient::UpdateRequest(
    const Message& resource, const std::vector<std::string>& paths,
    const std::string& request_id) const {
  std::unique_ptr<Message> request = NewRequest(StandardMethod::kUpdate);
  const Descriptor* in = request->GetDescriptor();
  const auto* reflection = request->GetReflection();
  reflection->MutableMessage(request.get(), Field(in, type_.field))
      ->CopyFrom(resource);
  google::protobuf::FieldMask mask;
  for (const std::string& path : paths) mask.add_paths(path);
  reflection->MutableMessage(request.get(), Field(in, "update_mask"))
      ->CopyFrom(mask);
  reflection->SetString(request.get(), Field(in, "request_id"), request_id);
  return request;
}

std::unique_ptr<Message> AnyResourceClient::DeleteRequest(
    const std::string& name, const DeleteArgs& args) const {
  std::unique_ptr<Message> request = NewRequest(StandardMethod::kDelete);
  const Descriptor* in = request->GetDescriptor();
  const auto* reflection = request->GetReflection();
  reflection->SetString(request.get(), Field(in, "name"), name);
  reflection->SetString(request.get(), Field(in, "etag"), args.etag);
  reflection->SetString(request.get(), Field(in, "request_id"),
                        args.request_id);
  if (args.force) {
    reflection->SetBool(request.get(), Field(in, "force"), true);
  }
  return request;
}

std::unique_ptr<Message> AnyResourceClient::ListRequest(
    const ListArgs& args) const {
  std::unique_ptr<Message> request = NewRequest(StandardMethod::kList);
  const Descriptor* in = request->GetDescriptor();
  const auto* reflection = request->GetReflection();
  if (type_.parent != nullptr) {
    reflection->SetString(request.get(), Field(in, "parent"), args.parent);
  } else if (!args.parent.empty()) {
    ADD_FAILURE() << type_.label << " is a top-level kind: no parent "
                  << args.parent;
  }
  reflection->SetString(request.get(), Field(in, "filter"), args.filter);
  reflection->SetString(request.get(), Field(in, "order_by"), args.order_by);
  reflection->SetInt32(request.get(), Field(in, "page_size"), args.page_size);
  reflection->SetString(request.get(), Field(in, "page_token"),
                        args.page_token);
  reflection->SetInt64(request.get(), Field(in, "as_of_revision"),
                       args.as_of_revision);
  return request;
}

grpc::Status AnyResourceClient::Call(StandardMethod method,
                                     const Message& request, Message* response,
                                     grpc::ClientContext* context) const {
  const Method& m = MethodOf(method);
  if (request.GetDescriptor() != m.descriptor->input_type() ||
      response->GetDescriptor() != m.descriptor->output_type()) {
    Fail(absl::StrCat(m.path, " takes ", m.descriptor->input_type()->name(),
                      " and returns ", m.descriptor->output_type()->name(),
                      ", not ", request.GetDescriptor()->name(), " and ",
                      response->GetDescriptor()->name()));
  }
  grpc::ClientContext own;
  if (context == nullptr) {
    own.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(30));
    context = &own;
  }
  const grpc::internal::RpcMethod rpc(
      m.path.c_str(), grpc::internal::RpcMethod::NORMAL_RPC, channel_);
  return grpc::internal::BlockingUnaryCall<Message, Message>(
      channel_.get(), rpc, context, request, response);
}

std::vector<const Message*> AnyResourceClient::Records(
    const Message& list_response) const {
  const FieldDescriptor* field =
      Field(list_response.GetDescriptor(), type_.table);
  const auto* reflection = list_response.GetReflection();
  std::vector<const Message*> records;
  for (int i = 0; i < reflection->FieldSize(list_response, field); ++i) {
    records.push_back(&reflection->GetRepeatedMessage(list_response, field, i));
  }
  return records;
}

std::string AnyResourceClient::NextPageToken(
    const Message& list_response) const {
  return list_response.GetReflection()->GetString(
      list_response, Field(list_response.GetDescriptor(), "next_page_token"));
}

grpc::Status AnyResourceClient::ListAll(
    ListArgs args, std::vector<std::unique_ptr<Message>>* out, int* pages,
    int max_pages) const {
  out->clear();
  std::set<std::string> seen;
  const FieldDescriptor* name_field = Field(type_.descriptor, "name");
  for (int page = 1; page <= max_pages; ++page) {
    std::unique_ptr<Message> response = NewResponse(StandardMethod::kList);
    const grpc::Status status =
        Call(StandardMethod::kList, *ListRequest(args), response.get());
    if (!status.ok()) return status;
    const std::vector<const Message*> records = Records(*response);
    for (const Message* record : records) {
      const std::string name =
          record->GetReflection()->GetString(*record, name_field);
      EXPECT_TRUE(seen.insert(name).second)
          << name << " came twice; filter: " << args.filter
          << ", order_by: " << args.order_by;
      out->emplace_back(record->New());
      out->back()->CopyFrom(*record);
    }
    const std::string next = NextPageToken(*response);
    if (next.empty()) {
      if (pages != nullptr) *pages = page;
      return grpc::Status::OK;
    }
    if (args.page_size > 0) {
      EXPECT_EQ(static_cast<int>(records.size()), args.page_size)
          << "a page before the last is not full; filter: " << args.filter;
    }
    args.page_token = next;
  }
  ADD_FAILURE() << "more than " << max_pages
                << " pages: the token does not advance";
  return grpc::Status(grpc::StatusCode::INTERNAL, "too many pages");
}

}  // namespace forum_registry::testing
