#include "src/server/reflection_v1.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/server_builder_plugin.h"
#include "grpcpp/impl/server_initializer.h"

namespace forum_registry::server {
namespace {

namespace v1 = ::grpc::reflection::v1;
using ::google::protobuf::Descriptor;
using ::google::protobuf::DescriptorPool;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::FileDescriptor;
using ::google::protobuf::FileDescriptorProto;

// One ServerReflectionInfo stream: read a request, write its answer, read
// the next, until the client half-closes.
class ReflectionStream final
    : public grpc::ServerBidiReactor<v1::ServerReflectionRequest,
                                     v1::ServerReflectionResponse> {
 public:
  explicit ReflectionStream(const std::vector<std::string>* services)
      : services_(services) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The client half-closed (or went away): the stream is done.
      Finish(grpc::Status::OK);
      return;
    }
    response_.Clear();
    response_.set_valid_host(request_.host());
    *response_.mutable_original_request() = request_;
    const grpc::Status status = Answer();
    if (!status.ok()) {
      v1::ErrorResponse* error = response_.mutable_error_response();
      error->set_error_code(status.error_code());
      error->set_error_message(status.error_message());
    }
    StartWrite(&response_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "stream broken"));
      return;
    }
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  // Fills response_ for request_; a status that is not OK becomes the
  // response's error_response. The messages are gRPC v1alpha's.
  grpc::Status Answer() {
    const DescriptorPool* pool = DescriptorPool::generated_pool();
    switch (request_.message_request_case()) {
      case v1::ServerReflectionRequest::kFileByFilename: {
        const FileDescriptor* file =
            pool->FindFileByName(request_.file_by_filename());
        if (file == nullptr) {
          return grpc::Status(grpc::StatusCode::NOT_FOUND, "File not found.");
        }
        SendFile(file);
        return grpc::Status::OK;
      }
      case v1::ServerReflectionRequest::kFileContainingSymbol: {
        const FileDescriptor* file =
            pool->FindFileContainingSymbol(request_.file_containing_symbol());
        if (file == nullptr) {
          return grpc::Status(grpc::StatusCode::NOT_FOUND, "Symbol not found.");
        }
        SendFile(file);
        return grpc::Status::OK;
      }
      case v1::ServerReflectionRequest::kFileContainingExtension: {
        const v1::ExtensionRequest& asked =
            request_.file_containing_extension();
        const Descriptor* type =
            pool->FindMessageTypeByName(asked.containing_type());
        if (type == nullptr) {
          return grpc::Status(grpc::StatusCode::NOT_FOUND, "Type not found.");
        }
        const FieldDescriptor* extension =
            pool->FindExtensionByNumber(type, asked.extension_number());
        if (extension == nullptr) {
          return grpc::Status(grpc::StatusCode::NOT_FOUND,
                              "Extension not found.");
        }
        SendFile(extension->file());
        return grpc::Status::OK;
      }
      case v1::ServerReflectionRequest::kAllExtensionNumbersOfType: {
        const std::string& name = request_.all_extension_numbers_of_type();
        const Descriptor* type = pool->FindMessageTypeByName(name);
        if (type == nullptr) {
          return grpc::Status(grpc::StatusCode::NOT_FOUND, "Type not found.");
        }
        std::vector<const FieldDescriptor*> extensions;
        pool->FindAllExtensions(type, &extensions);
        std::vector<int> numbers;
        numbers.reserve(extensions.size());
        for (const FieldDescriptor* extension : extensions) {
          numbers.push_back(extension->number());
        }
        std::sort(numbers.begin(), numbers.end());
        v1::ExtensionNumberResponse* answer =
            response_.mutable_all_extension_numbers_response();
        answer->set_base_type_name(name);
        for (int number : numbers) answer->add_extension_number(number);
        return grpc::Status::OK;
      }
      case v1::ServerReflectionRequest::kListServices: {
        if (services_ == nullptr) {
          return grpc::Status(grpc::StatusCode::NOT_FOUND,
                              "Services not found.");
        }
        v1::ListServiceResponse* answer =
            response_.mutable_list_services_response();
        for (const std::string& name : *services_) {
          answer->add_service()->set_name(name);
        }
        return grpc::Status::OK;
      }
      case v1::ServerReflectionRequest::MESSAGE_REQUEST_NOT_SET:
        break;
    }
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                        "unknown or empty message_request");
  }

  // `file`, then each of its transitive imports not yet sent on this
  // stream, breadth first. A file sent earlier had all its imports sent
  // with it, so the walk stops at one.
  void SendFile(const FileDescriptor* file) {
    v1::FileDescriptorResponse* answer =
        response_.mutable_file_descriptor_response();
    std::vector<const FileDescriptor*> queue = {file};
    sent_.insert(file);
    for (size_t next = 0; next < queue.size(); ++next) {
      const FileDescriptor* current = queue[next];
      FileDescriptorProto proto;
      current->CopyTo(&proto);
      proto.SerializeToString(answer->add_file_descriptor_proto());
      for (int i = 0; i < current->dependency_count(); ++i) {
        const FileDescriptor* import = current->dependency(i);
        if (import != nullptr && sent_.insert(import).second) {
          queue.push_back(import);
        }
      }
    }
  }

  // Names of the server's services; complete once the server has started,
  // which is before any call.
  const std::vector<std::string>* const services_;
  v1::ServerReflectionRequest request_;
  v1::ServerReflectionResponse response_;
  // Files of the generated pool this stream has sent (the pool's
  // descriptors live as long as the process).
  absl::flat_hash_set<const FileDescriptor*> sent_;
};

class ReflectionV1Service final : public v1::ServerReflection::CallbackService {
 public:
  // Called by the plugin before the server starts.
  void SetServiceList(const std::vector<std::string>* services) {
    services_ = services;
  }

  grpc::ServerBidiReactor<v1::ServerReflectionRequest,
                          v1::ServerReflectionResponse>*
  ServerReflectionInfo(grpc::CallbackServerContext* /*context*/) override {
    return new ReflectionStream(services_);
  }

 private:
  const std::vector<std::string>* services_ = nullptr;
};

// Registers the service on the server being built and hands it the
// server's list of services. The service is owned by the server (through
// the initializer), not by the plugin, which dies with the builder.
class ReflectionV1Plugin final : public grpc::ServerBuilderPlugin {
 public:
  // "reflection" in the name: WithoutReflection (parts.cc) removes it from
  // the probe server along with gRPC's.
  std::string name() override { return "forum_registry_reflection_v1"; }

  void InitServer(grpc::ServerInitializer* initializer) override {
    auto service = std::make_shared<ReflectionV1Service>();
    service->SetServiceList(initializer->GetServiceList());
    initializer->RegisterService(std::move(service));
  }
  void Finish(grpc::ServerInitializer* /*initializer*/) override {}
  void ChangeArguments(const std::string& /*name*/, void* /*value*/) override {}
};

class ReflectionV1Option final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments* /*args*/) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>*
                         plugins) override {
    plugins->push_back(std::make_unique<ReflectionV1Plugin>());
  }
};

}  // namespace

std::unique_ptr<grpc::ServerBuilderOption> ReflectionV1() {
  return std::make_unique<ReflectionV1Option>();
}

}  // namespace forum_registry::server
