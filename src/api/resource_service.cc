#include "src/api/resource_service.h"

#include <cstdio>
#include <cstdlib>
#include <new>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/field_mask.pb.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/impl/rpc_service_method.h"
#include "grpcpp/support/method_handler.h"
#include "src/store/kinds.h"

namespace forum_registry::api {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

namespace {

const FieldDescriptor* FieldOf(const Message& message,
                               const std::string& name) {
  return message.GetDescriptor()->FindFieldByName(name);
}

// A string field of the request, or "" if the request has none of that name.
std::string StringOf(const Message& message, const std::string& name) {
  const FieldDescriptor* field = FieldOf(message, name);
  return field == nullptr ? ""
                          : message.GetReflection()->GetString(message, field);
}

}  // namespace

std::optional<StandardMethod> StandardMethodOf(
    const domain::ResourceType& type,
    const google::protobuf::MethodDescriptor* method) {
  const std::string& kind = type.descriptor->name();
  std::string plural = type.plural;
  if (!plural.empty()) plural[0] = absl::ascii_toupper(plural[0]);
  const std::string& name = method->name();
  if (method->client_streaming() || method->server_streaming()) {
    return std::nullopt;
  }
  if (name == absl::StrCat("Get", kind)) return StandardMethod::kGet;
  if (name == absl::StrCat("List", plural)) return StandardMethod::kList;
  if (name == absl::StrCat("Create", kind)) return StandardMethod::kCreate;
  if (name == absl::StrCat("Update", kind)) return StandardMethod::kUpdate;
  if (name == absl::StrCat("Delete", kind)) return StandardMethod::kDelete;
  return std::nullopt;
}

// Runs one unary method on the synchronous server with the generated request
// and response types, made from their prototypes.
class ResourceService::Handler final : public grpc::internal::MethodHandler {
 public:
  using Method = grpc::Status (ResourceService::*)(grpc::ServerContext*,
                                                   const Message&, Message*);

  Handler(ResourceService* service, Method method,
          const google::protobuf::MethodDescriptor* descriptor)
      : service_(service),
        method_(method),
        request_prototype_(Prototype(descriptor->input_type())),
        response_prototype_(Prototype(descriptor->output_type())) {}

  void RunHandler(const HandlerParameter& param) final {
    // Ours since Deserialize; may be null if that failed.
    std::unique_ptr<Message> request(static_cast<Message*>(param.request));
    std::unique_ptr<Message> response(response_prototype_->New());
    grpc::Status status = param.status;
    if (status.ok() && request != nullptr) {
      status = grpc::internal::CatchingFunctionHandler([&] {
        return (service_->*method_)(
            static_cast<grpc::ServerContext*>(param.server_context), *request,
            response.get());
      });
    }
    request.reset();
    grpc::internal::UnaryRunHandlerHelper(param, response.get(), status);
  }

  void* Deserialize(grpc_call* /*call*/, grpc_byte_buffer* buffer,
                    grpc::Status* status, void** /*handler_data*/) final {
    Message* request = request_prototype_->New();
    void* parsed =
        grpc::internal::UnaryDeserializeHelper(buffer, status, request);
    // On failure the helper has run the destructor; free the memory.
    if (parsed == nullptr) ::operator delete(request);
    return parsed;
  }

 private:
  static const Message* Prototype(const google::protobuf::Descriptor* type) {
    const Message* prototype =
        google::protobuf::MessageFactory::generated_factory()->GetPrototype(
            type);
    if (prototype == nullptr) {
      std::fprintf(stderr, "forum-registry: no generated message %s\n",
                   type->full_name().c_str());
      std::abort();
    }
    return prototype;
  }

  ResourceService* const service_;
  const Method method_;
  const Message* const request_prototype_;
  const Message* const response_prototype_;
};

ResourceService::ResourceService(const domain::ResourceType& type,
                                 store::ConnectionPool* pool,
                                 store::ConnectionPool* read_pool)
    : type_(type),
      store_(pool, read_pool, store::KindOf(type)),
      methods_(&store_, type) {
  for (int i = 0; i < type.service->method_count(); ++i) {
    const google::protobuf::MethodDescriptor* method = type.service->method(i);
    const std::optional<StandardMethod> standard =
        StandardMethodOf(type, method);
    if (!standard.has_value()) {
      std::fprintf(stderr,
                   "forum-registry: %s is not a standard method of %s\n",
                   method->full_name().c_str(), type.type.c_str());
      std::abort();
    }
    Handler::Method run = nullptr;
    switch (*standard) {
      case StandardMethod::kGet:
        run = &ResourceService::Get;
        break;
      case StandardMethod::kList:
        run = &ResourceService::List;
        break;
      case StandardMethod::kCreate:
        run = &ResourceService::Create;
        break;
      case StandardMethod::kUpdate:
        run = &ResourceService::Update;
        break;
      case StandardMethod::kDelete:
        run = &ResourceService::Delete;
        break;
    }
    paths_.push_back(std::make_unique<std::string>(
        absl::StrCat("/", type.service->full_name(), "/", method->name())));
    AddMethod(new grpc::internal::RpcServiceMethod(
        paths_.back()->c_str(), grpc::internal::RpcMethod::NORMAL_RPC,
        new Handler(this, run, method)));
  }
}

ResourceService::~ResourceService() = default;

grpc::Status ResourceService::Get(grpc::ServerContext* context,
                                  const Message& request, Message* response) {
  return methods_.Get(context, StringOf(request, "name"), response);
}

grpc::Status ResourceService::List(grpc::ServerContext* context,
                                   const Message& request, Message* response) {
  const FieldDescriptor* page_size = FieldOf(request, "page_size");
  const FieldDescriptor* records = FieldOf(*response, type_.table);
  std::string next_page_token;
  grpc::Status status = methods_.List(
      context,
      {.parent = StringOf(request, "parent"),
       .page_size = page_size == nullptr
                        ? 0
                        : request.GetReflection()->GetInt32(request, page_size),
       .page_token = StringOf(request, "page_token"),
       .filter = StringOf(request, "filter"),
       .order_by = StringOf(request, "order_by")},
      [response, records] {
        return response->GetReflection()->AddMessage(response, records);
      },
      &next_page_token);
  if (!next_page_token.empty()) {
    response->GetReflection()->SetString(response,
                                         FieldOf(*response, "next_page_token"),
                                         std::move(next_page_token));
  }
  return status;
}

grpc::Status ResourceService::Create(grpc::ServerContext* context,
                                     const Message& request,
                                     Message* response) {
  const FieldDescriptor* record = FieldOf(request, type_.field);
  const google::protobuf::Reflection* reflection = request.GetReflection();
  return methods_.Create(context, StringOf(request, "parent"),
                         reflection->GetMessage(request, record),
                         reflection->HasField(request, record),
                         StringOf(request, type_.id_field), response);
}

grpc::Status ResourceService::Update(grpc::ServerContext* context,
                                     const Message& request,
                                     Message* response) {
  const FieldDescriptor* record = FieldOf(request, type_.field);
  const google::protobuf::Reflection* reflection = request.GetReflection();
  return methods_.Update(
      context, reflection->GetMessage(request, record),
      reflection->HasField(request, record),
      static_cast<const google::protobuf::FieldMask&>(
          reflection->GetMessage(request, FieldOf(request, "update_mask"))),
      response);
}

grpc::Status ResourceService::Delete(grpc::ServerContext* context,
                                     const Message& request,
                                     Message* /*response*/) {
  const FieldDescriptor* force = FieldOf(request, "force");
  return methods_.Delete(
      context, StringOf(request, "name"), StringOf(request, "etag"),
      force != nullptr && request.GetReflection()->GetBool(request, force));
}

}  // namespace forum_registry::api
