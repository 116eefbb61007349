// Server reflection v1 (src/server/reflection_v1.h) spoken raw, through the
// generated v1 stub, against the real server binary on a real port: every
// request kind, the errors answered inside the stream, and dependencies
// sent once per stream.

#include <chrono>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "forumregistry/v1/forum.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/api/field_behavior.pb.h"
#include "google/api/resource.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "src/auth/testing/tokens.h"
#include "src/domain/resource_registry.h"
#include "tests/support/test_support.h"

namespace forum_registry::testing {
namespace {

namespace rv1 = ::grpc::reflection::v1;
using ::google::protobuf::DescriptorPool;
using ::google::protobuf::FileDescriptor;
using ::google::protobuf::FileDescriptorProto;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsSupersetOf;
using ::testing::UnorderedElementsAreArray;

// `file` and its transitive imports, as the test binary (which links the
// same protos as the server) knows them.
std::set<std::string> Closure(const std::string& file) {
  std::set<std::string> names;
  std::vector<const FileDescriptor*> queue = {
      DescriptorPool::generated_pool()->FindFileByName(file)};
  EXPECT_NE(queue[0], nullptr) << file;
  if (queue[0] == nullptr) return names;
  names.insert(queue[0]->name());
  for (size_t i = 0; i < queue.size(); ++i) {
    for (int d = 0; d < queue[i]->dependency_count(); ++d) {
      if (names.insert(queue[i]->dependency(d)->name()).second) {
        queue.push_back(queue[i]->dependency(d));
      }
    }
  }
  return names;
}

// The names of the files a response carries, in order.
std::vector<std::string> FileNames(const rv1::ServerReflectionResponse& r) {
  std::vector<std::string> names;
  for (const std::string& bytes :
       r.file_descriptor_response().file_descriptor_proto()) {
    FileDescriptorProto file;
    EXPECT_TRUE(file.ParseFromString(bytes));
    names.push_back(file.name());
  }
  return names;
}

// One ServerReflectionInfo stream, asked one request at a time.
class Stream {
 public:
  explicit Stream(const std::shared_ptr<grpc::Channel>& channel)
      : stub_(rv1::ServerReflection::NewStub(channel)) {
    context_.set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(20));
    stream_ = stub_->ServerReflectionInfo(&context_);
  }

  rv1::ServerReflectionResponse Ask(const rv1::ServerReflectionRequest& r) {
    rv1::ServerReflectionResponse response;
    EXPECT_TRUE(stream_->Write(r));
    EXPECT_TRUE(stream_->Read(&response));
    EXPECT_EQ(response.original_request().SerializeAsString(),
              r.SerializeAsString());
    return response;
  }
  rv1::ServerReflectionResponse Symbol(const std::string& symbol) {
    rv1::ServerReflectionRequest request;
    request.set_file_containing_symbol(symbol);
    return Ask(request);
  }
  rv1::ServerReflectionResponse File(const std::string& name) {
    rv1::ServerReflectionRequest request;
    request.set_file_by_filename(name);
    return Ask(request);
  }

  // Half-closes; the server ends the stream OK.
  grpc::Status Close() {
    stream_->WritesDone();
    rv1::ServerReflectionResponse extra;
    EXPECT_FALSE(stream_->Read(&extra));
    return stream_->Finish();
  }

 private:
  std::unique_ptr<rv1::ServerReflection::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<rv1::ServerReflectionRequest,
                                           rv1::ServerReflectionResponse>>
      stream_;
};

class ReflectionV1 : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = TestDatabase::Create().release();
    server_ = ServerProcess::Start(db_->url()).release();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete db_;
  }

  static TestDatabase* db_;
  static ServerProcess* server_;
};

TestDatabase* ReflectionV1::db_ = nullptr;
ServerProcess* ReflectionV1::server_ = nullptr;

TEST_F(ReflectionV1, ListsEveryServiceBothReflectionsAndHealth) {
  Stream stream(server_->Channel());
  rv1::ServerReflectionRequest request;
  request.set_host("anything");
  request.set_list_services("*");
  const rv1::ServerReflectionResponse response = stream.Ask(request);
  EXPECT_EQ(response.valid_host(), "anything");
  std::vector<std::string> names;
  for (const auto& service : response.list_services_response().service()) {
    names.push_back(service.name());
  }
  std::vector<std::string> expected = {
      "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
      "forumregistry.v1.ChangeService", "forumregistry.v1.SearchService"};
  for (const domain::ResourceType& type : domain::Resources()) {
    expected.push_back(type.service->full_name());
  }
  EXPECT_THAT(names, IsSupersetOf(expected));
  // Each once, and nothing the server did not register.
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(),
            names.size());
  // Each described by the server (v1alpha's file is gRPC's library's).
  for (const std::string& name : names) {
    const rv1::ServerReflectionResponse described = stream.Symbol(name);
    EXPECT_TRUE(described.has_file_descriptor_response())
        << name << " is listed but not described: " << described.DebugString();
  }
  EXPECT_TRUE(stream.Close().ok());
}

TEST_F(ReflectionV1, SendsAFileWithItsImportsThenEachImportOncePerStream) {
  Stream stream(server_->Channel());
  // The first answer: forum.proto first, then every file it imports,
  // directly or not, each once.
  const std::vector<std::string> first =
      FileNames(stream.Symbol("forumregistry.v1.ForumService"));
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(first[0], "forumregistry/v1/forum.proto");
  EXPECT_THAT(first, UnorderedElementsAreArray(
                         Closure("forumregistry/v1/forum.proto")));
  EXPECT_THAT(first, Contains("google/api/resource.proto"));

  // Asked again, in any form: the file itself, its imports already sent.
  EXPECT_THAT(FileNames(stream.Symbol("forumregistry.v1.Forum")),
              ElementsAre("forumregistry/v1/forum.proto"));
  EXPECT_THAT(FileNames(stream.File("forumregistry/v1/forum.proto")),
              ElementsAre("forumregistry/v1/forum.proto"));
  EXPECT_THAT(FileNames(stream.Symbol("google.api.ResourceDescriptor")),
              ElementsAre("google/api/resource.proto"));

  // Another file: only what this stream has not had yet.
  const std::vector<std::string> session =
      FileNames(stream.Symbol("forumregistry.v1.SessionService.GetSession"));
  ASSERT_FALSE(session.empty());
  EXPECT_EQ(session[0], "forumregistry/v1/session.proto");
  const std::set<std::string> sent(first.begin(), first.end());
  std::set<std::string> expected;
  for (const std::string& name : Closure("forumregistry/v1/session.proto")) {
    if (!sent.contains(name)) expected.insert(name);
  }
  EXPECT_THAT(session, UnorderedElementsAreArray(expected));
  EXPECT_TRUE(stream.Close().ok());

  // A new stream starts afresh.
  Stream again(server_->Channel());
  EXPECT_THAT(FileNames(again.File("forumregistry/v1/forum.proto")),
              UnorderedElementsAreArray(first));
  EXPECT_TRUE(again.Close().ok());
}

TEST_F(ReflectionV1, UnknownNamesAreNotFoundAndTheStreamGoesOn) {
  Stream stream(server_->Channel());
  const auto expect_not_found = [](const rv1::ServerReflectionResponse& r,
                                   const std::string& message) {
    ASSERT_TRUE(r.has_error_response()) << r.DebugString();
    EXPECT_EQ(r.error_response().error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(r.error_response().error_message(), message);
  };
  expect_not_found(stream.Symbol("forumregistry.v1.NoSuchThing"),
                   "Symbol not found.");
  expect_not_found(stream.File("forumregistry/v1/no_such.proto"),
                   "File not found.");
  rv1::ServerReflectionRequest request;
  request.mutable_file_containing_extension()->set_containing_type(
      "no.such.Type");
  request.mutable_file_containing_extension()->set_extension_number(1053);
  expect_not_found(stream.Ask(request), "Type not found.");
  request.mutable_file_containing_extension()->set_containing_type(
      "google.protobuf.MessageOptions");
  request.mutable_file_containing_extension()->set_extension_number(99999);
  expect_not_found(stream.Ask(request), "Extension not found.");
  request.set_all_extension_numbers_of_type("no.such.Type");
  expect_not_found(stream.Ask(request), "Type not found.");

  // A request that asks nothing is answered UNIMPLEMENTED, in the stream.
  const rv1::ServerReflectionResponse empty =
      stream.Ask(rv1::ServerReflectionRequest());
  ASSERT_TRUE(empty.has_error_response());
  EXPECT_EQ(empty.error_response().error_code(),
            grpc::StatusCode::UNIMPLEMENTED);

  // The stream still answers, and the errors sent no file: the first
  // answer carries every import.
  EXPECT_THAT(
      FileNames(stream.Symbol("forumregistry.v1.Forum")),
      UnorderedElementsAreArray(Closure("forumregistry/v1/forum.proto")));
  EXPECT_TRUE(stream.Close().ok());
}

TEST_F(ReflectionV1, AnswersExtensionsOfTheOptionsTheProtosUse) {
  Stream stream(server_->Channel());
  rv1::ServerReflectionRequest request;
  request.mutable_file_containing_extension()->set_containing_type(
      "google.protobuf.MessageOptions");
  request.mutable_file_containing_extension()->set_extension_number(
      google::api::resource.number());
  const std::vector<std::string> files = FileNames(stream.Ask(request));
  ASSERT_FALSE(files.empty());
  EXPECT_EQ(files[0], "google/api/resource.proto");

  request.set_all_extension_numbers_of_type("google.protobuf.FieldOptions");
  const rv1::ServerReflectionResponse numbers = stream.Ask(request);
  ASSERT_TRUE(numbers.has_all_extension_numbers_response())
      << numbers.DebugString();
  EXPECT_EQ(numbers.all_extension_numbers_response().base_type_name(),
            "google.protobuf.FieldOptions");
  EXPECT_THAT(numbers.all_extension_numbers_response().extension_number(),
              IsSupersetOf({google::api::field_behavior.number(),
                            google::api::resource_reference.number()}));

  // A message nothing extends: an empty list, not an error.
  request.set_all_extension_numbers_of_type("forumregistry.v1.Forum");
  const rv1::ServerReflectionResponse none = stream.Ask(request);
  ASSERT_TRUE(none.has_all_extension_numbers_response());
  EXPECT_EQ(none.all_extension_numbers_response().extension_number_size(), 0);
  EXPECT_TRUE(stream.Close().ok());
}

// Reflection is open to callers without credentials, like v1alpha and
// health, while the API refuses them.
TEST(ReflectionV1Auth, OpenToCallersWithoutCredentials) {
  const auth::testing::KeyPair key = auth::testing::NewRsaKeyPair();
  const std::string key_file = WriteTempFile(".pem", key.public_pem);
  auto db = TestDatabase::Create();
  auto server = ServerProcess::Start(
      db->url(),
      {absl::StrCat("--jwt-public-keys=", key_file),
       "--jwt-issuer=https://issuer.test", "--jwt-audience=forum-registry"});
  std::remove(key_file.c_str());

  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(20));
  forumregistry::v1::GetForumRequest get;
  get.set_name("forums/any");
  forumregistry::v1::Forum forum;
  EXPECT_EQ(forumregistry::v1::ForumService::NewStub(server->Channel())
                ->GetForum(&context, get, &forum)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  Stream stream(server->Channel());
  EXPECT_THAT(FileNames(stream.Symbol("forumregistry.v1.ForumService")),
              Contains("forumregistry/v1/forum.proto"));
  EXPECT_TRUE(stream.Close().ok());
}

}  // namespace
}  // namespace forum_registry::testing
