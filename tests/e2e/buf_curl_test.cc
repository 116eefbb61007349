// End to end through a reflection client nobody here wrote: `buf curl`
// against the real server binary on a real port, with JSON bodies, the way a
// person browses the service.

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "forumregistry/v1/forum.pb.h"
#include "gmock/gmock.h"
#include "google/api/field_behavior.pb.h"
#include "google/api/resource.pb.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "src/domain/resource_registry.h"
#include "tests/support/test_support.h"

namespace forum_registry::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class BufCurl : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = TestDatabase::Create().release();
    server_ = ServerProcess::Start(db_->url()).release();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete db_;
  }

  // `buf curl --protocol grpc ARGS... URL`, where `path` is appended to the
  // server's base URL.
  static CommandResult Curl(const std::string& path,
                            const std::vector<std::string>& args = {},
                            const std::string& input = "") {
    std::vector<std::string> argv = {BufPath(), "curl",      "--protocol",
                                     "grpc",    "--timeout", "20s"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(absl::StrCat("http://", server_->address(), path));
    return RunCommand(argv, input);
  }

  // Calls a ForumService method with a JSON body.
  static CommandResult CallForums(const std::string& method,
                                  const std::string& json) {
    return Curl(absl::StrCat("/forumregistry.v1.ForumService/", method),
                {"-d", json});
  }

  template <typename Message>
  static Message Parse(const CommandResult& result) {
    Message message;
    const auto status =
        google::protobuf::util::JsonStringToMessage(result.output, &message);
    EXPECT_TRUE(status.ok()) << status.ToString() << "\noutput:\n"
                             << result.output << "\nerror:\n"
                             << result.error;
    return message;
  }

  static TestDatabase* db_;
  static ServerProcess* server_;
};

TestDatabase* BufCurl::db_ = nullptr;
ServerProcess* BufCurl::server_ = nullptr;

TEST_F(BufCurl, ListsServicesThroughReflection) {
  const CommandResult result = Curl("", {"--list-services"});
  ASSERT_EQ(result.exit_code, 0) << result.error;
  EXPECT_THAT(result.output, HasSubstr("forumregistry.v1.ForumService\n"));
  EXPECT_THAT(result.output,
              HasSubstr("forumregistry.v1.ParticipantService\n"));
  EXPECT_THAT(result.output, HasSubstr("grpc.health.v1.Health\n"));
  EXPECT_THAT(result.output,
              HasSubstr("grpc.reflection.v1alpha.ServerReflection"));
}

// The reflection protocols a client may ask for: v1, which grpcurl 1.8.8+,
// buf, grpcui and Postman try first (src/server/reflection_v1.h), and
// gRPC's v1alpha. Named, buf curl uses that one alone, with no fallback.
const std::vector<std::string> kReflectProtocols = {"grpc-v1", "grpc-v1alpha"};

TEST_F(BufCurl, ListsTheSameServicesThroughEitherReflectionProtocol) {
  std::vector<std::string> outputs;
  for (const std::string& protocol : kReflectProtocols) {
    SCOPED_TRACE(protocol);
    const CommandResult result =
        Curl("", {"--reflect-protocol", protocol, "--list-services"});
    ASSERT_EQ(result.exit_code, 0) << result.error;
    for (const domain::ResourceType& type : domain::Resources()) {
      EXPECT_THAT(result.output,
                  HasSubstr(absl::StrCat(type.service->full_name(), "\n")));
    }
    for (const char* service :
         {"forumregistry.v1.ChangeService", "forumregistry.v1.SearchService",
          "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
          "grpc.reflection.v1alpha.ServerReflection"}) {
      EXPECT_THAT(result.output, HasSubstr(absl::StrCat(service, "\n")));
    }
    outputs.push_back(result.output);
  }
  EXPECT_EQ(outputs[0], outputs[1]);
}

TEST_F(BufCurl, DescribesAndCallsThroughEitherReflectionProtocol) {
  for (const std::string& protocol : kReflectProtocols) {
    SCOPED_TRACE(protocol);
    const std::vector<std::string> reflect = {"--reflect-protocol", protocol};
    // Listing the methods describes every service: its file and imports.
    std::vector<std::string> args = reflect;
    args.push_back("--list-methods");
    CommandResult result = Curl("", args);
    ASSERT_EQ(result.exit_code, 0) << result.error;
    EXPECT_THAT(result.output,
                HasSubstr("forumregistry.v1.ForumService/GetForum\n"));
    EXPECT_THAT(result.output,
                HasSubstr("forumregistry.v1.ForumService/UpdateForum\n"));

    // A call: buf encodes the JSON with the descriptors reflection served.
    const std::string id = absl::StrCat("reflected-", protocol.substr(5));
    args = reflect;
    args.insert(args.end(),
                {"-d", absl::StrCat(R"({"forumId": ")", id, R"(", "forum": )",
                                    R"({"kind": "FORUM_KIND_DIALOGUE", )",
                                    R"("displayName": "Through )", protocol,
                                    R"("}})")});
    result = Curl("/forumregistry.v1.ForumService/CreateForum", args);
    ASSERT_EQ(result.exit_code, 0) << result.error;
    args = reflect;
    args.insert(args.end(),
                {"-d", absl::StrCat(R"({"name": "forums/)", id, R"("})")});
    result = Curl("/forumregistry.v1.ForumService/GetForum", args);
    ASSERT_EQ(result.exit_code, 0) << result.error;
    EXPECT_EQ(Parse<forumregistry::v1::Forum>(result).display_name(),
              absl::StrCat("Through ", protocol));

    // A field the served schema does not have is refused before sending,
    // and nothing is written.
    const std::string before = db_->WriteState();
    args = reflect;
    args.insert(args.end(), {"-d", R"({"forumId": "stray", "forum": )"
                                   R"({"kind": "FORUM_KIND_DIALOGUE", )"
                                   R"("noSuchField": 1}})"});
    result = Curl("/forumregistry.v1.ForumService/CreateForum", args);
    EXPECT_NE(result.exit_code, 0);
    EXPECT_THAT(result.error, HasSubstr("noSuchField"));
    EXPECT_EQ(db_->WriteState(), before);
  }
}

TEST_F(BufCurl, ListsTheServiceAndMethodsOfEveryKindOfTheRegistry) {
  const CommandResult services = Curl("", {"--list-services"});
  ASSERT_EQ(services.exit_code, 0) << services.error;
  const CommandResult methods = Curl("", {"--list-methods"});
  ASSERT_EQ(methods.exit_code, 0) << methods.error;
  for (const domain::ResourceType& type : domain::Resources()) {
    EXPECT_THAT(services.output,
                HasSubstr(absl::StrCat(type.service->full_name(), "\n")));
    for (int i = 0; i < type.service->method_count(); ++i) {
      EXPECT_THAT(methods.output, HasSubstr(absl::StrCat(
                                      type.service->full_name(), "/",
                                      type.service->method(i)->name(), "\n")));
    }
  }
}

TEST_F(BufCurl, ServesTheGoogleApiFilesTheProtosImport) {
  for (const char* file :
       {"google/api/resource.proto", "google/api/field_behavior.proto"}) {
    const CommandResult result = Curl(
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        {"-d", "@-"}, absl::StrCat(R"({"fileByFilename":")", file, R"("})"));
    ASSERT_EQ(result.exit_code, 0) << result.error;
    EXPECT_THAT(result.output, HasSubstr("fileDescriptorResponse")) << file;
    EXPECT_THAT(result.output, Not(HasSubstr("errorResponse"))) << file;
  }
}

TEST_F(BufCurl, ListsForumMethods) {
  const CommandResult result = Curl("", {"--list-methods"});
  ASSERT_EQ(result.exit_code, 0) << result.error;
  for (const char* method : {"GetForum", "ListForums", "CreateForum",
                             "UpdateForum", "DeleteForum"}) {
    EXPECT_THAT(result.output, HasSubstr(absl::StrCat(
                                   "forumregistry.v1.ForumService/", method)));
  }
}

// What `grpcurl describe forumregistry.v1.Forum` shows, asked of the
// reflection service itself through buf curl.
TEST_F(BufCurl, DescribesForumThroughReflection) {
  const CommandResult result = Curl(
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
      {"-d", "@-"}, R"({"fileContainingSymbol":"forumregistry.v1.Forum"})");
  ASSERT_EQ(result.exit_code, 0) << result.error;
  // The answer carries serialized FileDescriptorProtos, base64 in JSON.
  const std::string marker = "\"fileDescriptorProto\": [";
  const size_t at = result.output.find(marker);
  ASSERT_NE(at, std::string::npos) << result.output;
  const size_t start = result.output.find('"', at + marker.size()) + 1;
  const size_t end = result.output.find('"', start);
  std::string bytes;
  ASSERT_TRUE(
      absl::Base64Unescape(result.output.substr(start, end - start), &bytes));
  google::protobuf::FileDescriptorProto file;
  ASSERT_TRUE(file.ParseFromString(bytes));
  EXPECT_EQ(file.name(), "forumregistry/v1/forum.proto");
  const google::protobuf::DescriptorProto* forum = nullptr;
  for (const auto& message : file.message_type()) {
    if (message.name() == "Forum") forum = &message;
  }
  ASSERT_NE(forum, nullptr);
  std::vector<std::string> fields;
  for (const auto& field : forum->field()) fields.push_back(field.name());
  EXPECT_THAT(fields, ::testing::IsSupersetOf({"name", "kind", "display_name",
                                               "parent", "founded", "etag",
                                               "create_time", "update_time"}));
  // The annotations travel with the file: what a client reads of the
  // resource is what the server is wired from.
  ASSERT_TRUE(forum->options().HasExtension(google::api::resource));
  const google::api::ResourceDescriptor& resource =
      forum->options().GetExtension(google::api::resource);
  EXPECT_EQ(resource.type(), "forumregistry.org/Forum");
  EXPECT_THAT(resource.pattern(), ::testing::ElementsAre("forums/{forum}"));
  for (const auto& field : forum->field()) {
    if (field.name() == "parent") {
      EXPECT_EQ(
          field.options().GetExtension(google::api::resource_reference).type(),
          "forumregistry.org/Forum");
    }
    if (field.name() == "create_time") {
      EXPECT_THAT(
          field.options().GetRepeatedExtension(google::api::field_behavior),
          ::testing::ElementsAre(google::api::OUTPUT_ONLY));
    }
  }
}

TEST_F(BufCurl, DescribesHealthThroughReflection) {
  const CommandResult result =
      Curl("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
           {"-d", "@-"}, R"({"fileContainingSymbol":"grpc.health.v1.Health"})");
  ASSERT_EQ(result.exit_code, 0) << result.error;
  EXPECT_THAT(result.output, HasSubstr("fileDescriptorResponse"));
  EXPECT_THAT(result.output, Not(HasSubstr("errorResponse")));
}

TEST_F(BufCurl, HealthCheckSaysServing) {
  const CommandResult result =
      Curl("/grpc.health.v1.Health/Check", {"-d", "{}"});
  ASSERT_EQ(result.exit_code, 0) << result.error;
  EXPECT_THAT(result.output, HasSubstr("\"status\": \"SERVING\""));
}

TEST_F(BufCurl, ForumLifecycleWithJson) {
  // Create.
  CommandResult result = CallForums("CreateForum", R"({
    "forumId": "lifecycle",
    "forum": {"kind": "FORUM_KIND_DIALOGUE", "displayName": "Lifecycle dialogue",
              "founded": {"year": 2023, "month": 6}, "topics": ["ict security"]}})");
  ASSERT_EQ(result.exit_code, 0) << result.error;
  auto created = Parse<forumregistry::v1::Forum>(result);
  EXPECT_EQ(created.name(), "forums/lifecycle");
  EXPECT_THAT(created.etag(), ::testing::StartsWith("v1."));
  EXPECT_EQ(created.status(), forumregistry::v1::FORUM_STATUS_ACTIVE);
  EXPECT_EQ(created.founded().month(), 6);

  // Get.
  result = CallForums("GetForum", R"({"name": "forums/lifecycle"})");
  ASSERT_EQ(result.exit_code, 0) << result.error;
  EXPECT_EQ(Parse<forumregistry::v1::Forum>(result).display_name(),
            "Lifecycle dialogue");

  // Update with a field mask: only the masked field changes.
  result = CallForums("UpdateForum", absl::StrCat(R"({
    "forum": {"name": "forums/lifecycle", "etag": ")",
                                                  created.etag(), R"(",
              "description": "Launched in June 2023.",
              "displayName": "not applied: not in the mask"},
    "updateMask": "description"})"));
  ASSERT_EQ(result.exit_code, 0) << result.error;
  auto updated = Parse<forumregistry::v1::Forum>(result);
  EXPECT_EQ(updated.description(), "Launched in June 2023.");
  EXPECT_EQ(updated.display_name(), "Lifecycle dialogue");
  EXPECT_THAT(updated.etag(), ::testing::StartsWith("v2."));

  // List: a page of one gives `forums` and `nextPageToken`.
  result = CallForums("CreateForum", R"({
    "forumId": "lifecycle-2",
    "forum": {"kind": "FORUM_KIND_SUMMIT", "displayName": "Second"}})");
  ASSERT_EQ(result.exit_code, 0) << result.error;
  result = CallForums("ListForums", R"({"pageSize": 1})");
  ASSERT_EQ(result.exit_code, 0) << result.error;
  EXPECT_THAT(result.output, HasSubstr("\"forums\": ["));
  EXPECT_THAT(result.output, HasSubstr("\"nextPageToken\": "));
  auto page = Parse<forumregistry::v1::ListForumsResponse>(result);
  ASSERT_EQ(page.forums_size(), 1);
  EXPECT_EQ(page.forums(0).name(), "forums/lifecycle");
  EXPECT_THAT(page.next_page_token(), Not(IsEmpty()));
  result =
      CallForums("ListForums", absl::StrCat(R"({"pageSize": 1, "pageToken": ")",
                                            page.next_page_token(), "\"}"));
  ASSERT_EQ(result.exit_code, 0) << result.error;
  EXPECT_EQ(
      Parse<forumregistry::v1::ListForumsResponse>(result).forums(0).name(),
      "forums/lifecycle-2");

  // Delete with a stale etag is refused; with the current one it works.
  result = CallForums("DeleteForum",
                      absl::StrCat(R"({"name": "forums/lifecycle", "etag": ")",
                                   created.etag(), "\"}"));
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.error, HasSubstr("aborted"));
  result = CallForums("DeleteForum",
                      absl::StrCat(R"({"name": "forums/lifecycle", "etag": ")",
                                   updated.etag(), "\"}"));
  ASSERT_EQ(result.exit_code, 0) << result.error;
  result = CallForums("GetForum", R"({"name": "forums/lifecycle"})");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.error, HasSubstr("not_found"));
  EXPECT_EQ(
      db_->Query("SELECT count(*) FROM forums WHERE name = 'forums/lifecycle'"),
      "0");
}

TEST_F(BufCurl, BadInputNamesTheFieldAndWritesNothing) {
  const std::string before = db_->WriteState();
  const CommandResult result = CallForums("CreateForum", R"({
    "forumId": "Not_A_Slug",
    "forum": {"kind": "FORUM_KIND_SUMMIT", "displayName": "Bad id"}})");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.error, HasSubstr("invalid_argument"));
  EXPECT_THAT(result.error, HasSubstr("forum_id"));
  EXPECT_EQ(db_->WriteState(), before);
}

}  // namespace
}  // namespace forum_registry::testing
