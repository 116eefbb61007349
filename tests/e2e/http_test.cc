// The HTTP door (src/http): the same API over HTTP/JSON (the routes of the
// protos' google.api.http annotations), the Connect protocol and
// Server-Sent Events, against the real server binary and a real database.
//
// The parity tests are driven by the registry and the descriptors: for every
// RPC of every kind, the request a gRPC client sends is turned into the HTTP
// request its annotation describes (path variables, body, the rest as query
// parameters) and into a Connect request, by code of this test (not the
// door's), and the three answers must agree: the same message, or the same
// status code and message with the HTTP status of that code.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "forumregistry/v1/change.grpc.pb.h"
#include "forumregistry/v1/export.grpc.pb.h"
#include "forumregistry/v1/forum.grpc.pb.h"
#include "forumregistry/v1/search.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/api/annotations.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "src/api/resource_service.h"
#include "src/auth/testing/tokens.h"
#include "src/domain/resource_registry.h"
#include "tests/support/resource_client.h"
#include "tests/support/test_support.h"

namespace forum_registry {
namespace {

using ::forum_registry::testing::AnyResourceClient;
using ::forum_registry::testing::ListArgs;
using ::forum_registry::testing::ServerProcess;
using ::forum_registry::testing::TestDatabase;
using ::google::protobuf::Message;
using ::google::protobuf::MethodDescriptor;
using ::testing::HasSubstr;
using ::testing::Not;
namespace v1 = ::forumregistry::v1;

constexpr char kAllowedOrigin[] = "https://app.example.org";

std::string Json(const Message& message, bool proto_names = false) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = proto_names;
  EXPECT_TRUE(
      google::protobuf::util::MessageToJsonString(message, &json, options)
          .ok());
  return json;
}

// Percent-encodes everything but RFC 3986's unreserved characters (and "/"
// when `keep_slash`).
std::string Encode(const std::string& text, bool keep_slash = false) {
  std::string out;
  for (const unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' ||
        c == '~' || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  return out;
}

// What an HTTP call answered.
struct HttpAnswer {
  int status = 0;
  std::string body;
  httplib::Headers headers;
  std::string Header(const std::string& name) const {
    const auto found = headers.find(name);
    return found == headers.end() ? "" : found->second;
  }
};

HttpAnswer Send(int port, const std::string& method, const std::string& path,
                const std::string& body = "", httplib::Headers headers = {},
                const std::string& content_type = "application/json") {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(30, 0);
  const auto send = [&]() -> httplib::Result {
    if (method == "GET") return client.Get(path, headers);
    if (method == "POST") return client.Post(path, headers, body, content_type);
    if (method == "PATCH") {
      return client.Patch(path, headers, body, content_type);
    }
    if (method == "DELETE") {
      return client.Delete(path, headers, body, content_type);
    }
    if (method == "OPTIONS") return client.Options(path, headers);
    return client.Put(path, headers, body, content_type);
  };
  const httplib::Result result = send();
  HttpAnswer answer;
  if (!result) {
    ADD_FAILURE() << method << " " << path << ": no answer ("
                  << httplib::to_string(result.error()) << ")";
    return answer;
  }
  answer.status = result->status;
  answer.body = result->body;
  answer.headers = result->headers;
  return answer;
}

// Sends `request` as it is on a connection of its own and returns what
// comes back until the server closes it or 10 s pass.
std::string RawExchange(int port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) ==
      0) {
    timeval timeout{.tv_sec = 10, .tv_usec = 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      for (ssize_t n; (n = recv(fd, buffer, sizeof(buffer), 0)) > 0;) {
        answer.append(buffer, static_cast<size_t>(n));
      }
    }
  }
  close(fd);
  return answer;
}

// The HTTP request an annotation describes for `request`: the path's
// variables from its fields, the body field as the body, every other field
// set as query parameters (nested ones with dots, repeated ones repeated).
struct RestCall {
  std::string method;
  std::string path;  // with the query
  std::string body;
};

void Flatten(const std::string& prefix, const google::protobuf::Value& value,
             std::vector<std::string>* out) {
  switch (value.kind_case()) {
    case google::protobuf::Value::kStringValue:
      out->push_back(
          absl::StrCat(Encode(prefix), "=", Encode(value.string_value())));
      break;
    case google::protobuf::Value::kNumberValue: {
      const double number = value.number_value();
      out->push_back(absl::StrCat(
          Encode(prefix), "=",
          number == static_cast<double>(static_cast<int64_t>(number))
              ? absl::StrCat(static_cast<int64_t>(number))
              : absl::StrCat(number)));
      break;
    }
    case google::protobuf::Value::kBoolValue:
      out->push_back(absl::StrCat(Encode(prefix), "=",
                                  value.bool_value() ? "true" : "false"));
      break;
    case google::protobuf::Value::kListValue:
      for (const auto& item : value.list_value().values()) {
        Flatten(prefix, item, out);
      }
      break;
    case google::protobuf::Value::kStructValue:
      for (const auto& [key, field] : value.struct_value().fields()) {
        Flatten(absl::StrCat(prefix, ".", key), field, out);
      }
      break;
    default:
      break;
  }
}

RestCall ToRest(const MethodDescriptor& method, const Message& request) {
  const google::api::HttpRule& rule =
      method.options().GetExtension(google::api::http);
  RestCall call;
  std::string path;
  switch (rule.pattern_case()) {
    case google::api::HttpRule::kGet:
      call.method = "GET", path = rule.get();
      break;
    case google::api::HttpRule::kPost:
      call.method = "POST", path = rule.post();
      break;
    case google::api::HttpRule::kPatch:
      call.method = "PATCH", path = rule.patch();
      break;
    case google::api::HttpRule::kDelete:
      call.method = "DELETE", path = rule.delete_();
      break;
    default:
      ADD_FAILURE() << method.full_name() << ": no route";
      return call;
  }
  google::protobuf::Struct fields;
  EXPECT_TRUE(
      google::protobuf::util::JsonStringToMessage(Json(request, true), &fields)
          .ok());
  // The path's variables.
  for (size_t open = path.find('{'); open != std::string::npos;
       open = path.find('{')) {
    const size_t close = path.find('}', open);
    std::string variable = path.substr(open + 1, close - open - 1);
    variable = variable.substr(0, variable.find('='));
    std::string value;
    const size_t dot = variable.find('.');
    if (dot == std::string::npos) {
      value = (*fields.mutable_fields())[variable].string_value();
      fields.mutable_fields()->erase(variable);
    } else {
      auto& inner = *(*fields.mutable_fields())[variable.substr(0, dot)]
                         .mutable_struct_value()
                         ->mutable_fields();
      value = inner[variable.substr(dot + 1)].string_value();
      inner.erase(variable.substr(dot + 1));
    }
    path.replace(open, close - open + 1, Encode(value, true));
  }
  if (rule.body() == "*") {
    call.body = Json(fields);
    fields.clear_fields();
  } else if (!rule.body().empty()) {
    auto found = fields.fields().find(rule.body());
    if (found != fields.fields().end()) {
      call.body = Json(found->second);
      fields.mutable_fields()->erase(rule.body());
    } else {
      call.body = "{}";
    }
  }
  std::vector<std::string> query;
  for (const auto& [key, value] : fields.fields()) Flatten(key, value, &query);
  std::sort(query.begin(), query.end());
  call.path = path;
  if (!query.empty())
    absl::StrAppend(&call.path, "?", absl::StrJoin(query, "&"));
  return call;
}

// An RPC of the API by "Service.Method".
const MethodDescriptor& Rpc(const std::string& name) {
  const MethodDescriptor* method =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
          absl::StrCat("forumregistry.v1.", name));
  if (method == nullptr) std::abort();
  return *method;
}

std::unique_ptr<Message> New(const google::protobuf::Descriptor* type) {
  return std::unique_ptr<Message>(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(type)
          ->New());
}

// One call's outcome, whichever protocol carried it.
struct Outcome {
  grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
  std::string message;                // the error's
  std::unique_ptr<Message> response;  // on success
  int http_status = 0;                // HTTP and Connect only
  std::string raw;                    // what came, for failure messages
};

grpc::Status GrpcCall(const std::shared_ptr<grpc::Channel>& channel,
                      const MethodDescriptor& method, const Message& request,
                      Message* response) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  const std::string bytes = request.SerializeAsString();
  grpc::Slice slice(bytes);
  grpc::ByteBuffer in(&slice, 1), out;
  std::promise<grpc::Status> done;
  stub.UnaryCall(
      &context,
      absl::StrCat("/", method.service()->full_name(), "/", method.name()),
      grpc::StubOptions(), &in, &out,
      [&](grpc::Status status) { done.set_value(status); });
  grpc::Status status = done.get_future().get();
  if (status.ok()) {
    std::vector<grpc::Slice> slices;
    EXPECT_TRUE(out.Dump(&slices).ok());
    std::string received;
    for (const grpc::Slice& s : slices) {
      received.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    EXPECT_TRUE(response->ParseFromString(received));
  }
  return status;
}

grpc::StatusCode CodeNamed(const std::string& connect_name) {
  for (int code = 0; code <= 16; ++code) {
    std::string name = absl::AsciiStrToLower(std::string(
        absl::StatusCodeToString(static_cast<absl::StatusCode>(code))));
    if (name == "cancelled") name = "canceled";
    if (name == connect_name) return static_cast<grpc::StatusCode>(code);
  }
  return grpc::StatusCode::UNKNOWN;
}

Outcome FromHttp(const MethodDescriptor& method, const HttpAnswer& answer,
                 bool connect) {
  Outcome outcome;
  outcome.http_status = answer.status;
  outcome.raw = answer.body;
  if (answer.status == 200) {
    outcome.code = grpc::StatusCode::OK;
    outcome.response = New(method.output_type());
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(
                    answer.body, outcome.response.get())
                    .ok())
        << answer.body;
    return outcome;
  }
  google::protobuf::Struct error;
  EXPECT_TRUE(
      google::protobuf::util::JsonStringToMessage(answer.body, &error).ok())
      << answer.body;
  const auto& fields = error.fields();
  if (connect) {
    outcome.code =
        CodeNamed(fields.count("code") ? fields.at("code").string_value() : "");
  } else {
    outcome.code = static_cast<grpc::StatusCode>(
        fields.count("code") ? fields.at("code").number_value() : 2);
  }
  if (fields.count("message")) {
    outcome.message = fields.at("message").string_value();
  }
  return outcome;
}

int HttpStatusOf(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      return 400;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
      return 409;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    default:
      return 500;
  }
}

// The three answers to one request.
struct ThreeWays {
  Outcome grpc, rest, connect;
};

class HttpDoorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = TestDatabase::Create().release();
    const auto import = testing::RunCommand(
        {testing::BinaryPath(), "import",
         absl::StrCat("--database-url=", db_->url()), testing::SeedPath()});
    ASSERT_EQ(import.exit_code, 0) << import.output << import.error;
    server_ =
        ServerProcess::Start(
            db_->url(), {"--http-address=127.0.0.1:0",
                         absl::StrCat("--http-cors-origins=", kAllowedOrigin),
                         "--watch-bookmark-interval=500ms"})
            .release();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete db_;
  }
  void SetUp() override {
    ASSERT_GT(server_->HttpPort(), 0) << server_->Output();
    port_ = server_->HttpPort();
  }

  ThreeWays Call(const MethodDescriptor& method, const Message& request) {
    ThreeWays three;
    three.grpc.response = New(method.output_type());
    const grpc::Status status = GrpcCall(server_->Channel(), method, request,
                                         three.grpc.response.get());
    three.grpc.code = status.error_code();
    three.grpc.message = status.error_message();
    const RestCall rest = ToRest(method, request);
    three.rest =
        FromHttp(method, Send(port_, rest.method, rest.path, rest.body), false);
    three.rest.raw = absl::StrCat(rest.method, " ", rest.path, " ", rest.body,
                                  " -> ", three.rest.raw);
    three.connect =
        FromHttp(method,
                 Send(port_, "POST",
                      absl::StrCat("/", method.service()->full_name(), "/",
                                   method.name()),
                      Json(request), {{"Connect-Protocol-Version", "1"}}),
                 true);
    return three;
  }

  // Expects the three answers to agree. `same_body`: successes compare
  // field by field (writes differ in what each made, and say so).
  void ExpectAgree(const MethodDescriptor& method, const Message& request,
                   const ThreeWays& three, bool same_body = true) {
    SCOPED_TRACE(absl::StrCat(method.full_name(), " ", Json(request)));
    for (const Outcome* other : {&three.rest, &three.connect}) {
      EXPECT_EQ(other->code, three.grpc.code) << three.grpc.message << "\n"
                                              << other->raw;
      EXPECT_EQ(other->message, three.grpc.code == grpc::StatusCode::OK
                                    ? ""
                                    : three.grpc.message)
          << other->raw;
      EXPECT_EQ(other->http_status, three.grpc.code == grpc::StatusCode::OK
                                        ? 200
                                        : HttpStatusOf(three.grpc.code))
          << other->raw;
      if (same_body && three.grpc.code == grpc::StatusCode::OK &&
          other->response != nullptr) {
        testing::ExpectSameMessage(*other->response, *three.grpc.response);
      }
    }
  }

  static TestDatabase* db_;
  static ServerProcess* server_;
  int port_ = 0;
};

TestDatabase* HttpDoorTest::db_ = nullptr;
ServerProcess* HttpDoorTest::server_ = nullptr;

// A record of each kind from the seed, and where a kind's records live.
struct KindAt {
  const domain::ResourceType* type;
  std::string parent;  // "" or "forums/x"
  std::unique_ptr<Message> record;
};

std::vector<KindAt> RecordOfEachKind(
    const std::shared_ptr<grpc::Channel>& channel) {
  std::vector<KindAt> out;
  for (const domain::ResourceType& type : domain::Resources()) {
    AnyResourceClient client(type, channel);
    ListArgs args;
    if (!type.parent_collection.empty()) {
      args.parent = absl::StrCat(type.parent_collection, "/-");
    }
    args.page_size = 1;
    std::unique_ptr<Message> page =
        client.NewResponse(api::StandardMethod::kList);
    EXPECT_TRUE(client
                    .Call(api::StandardMethod::kList, *client.ListRequest(args),
                          page.get())
                    .ok());
    const auto records = client.Records(*page);
    if (records.empty()) {
      ADD_FAILURE() << "the seed has no " << type.label;
      continue;
    }
    KindAt at{.type = &type};
    at.record.reset(records[0]->New());
    at.record->CopyFrom(*records[0]);
    const std::string name = at.record->GetReflection()->GetString(
        *at.record, at.record->GetDescriptor()->FindFieldByName("name"));
    if (!type.parent_collection.empty()) {
      at.parent = name.substr(0, name.find('/', name.find('/') + 1));
    }
    out.push_back(std::move(at));
  }
  return out;
}

const MethodDescriptor& MethodOf(const domain::ResourceType& type,
                                 api::StandardMethod wanted) {
  for (int i = 0; i < type.service->method_count(); ++i) {
    if (api::StandardMethodOf(type, type.service->method(i)) == wanted) {
      return *type.service->method(i);
    }
  }
  ADD_FAILURE() << "no such method";
  std::abort();
}

// Reads: every kind's Get and a page of its List, then the change log and
// search; the same message over every protocol.
TEST_F(HttpDoorTest, EveryReadAnswersTheSameOverEveryProtocol) {
  std::set<std::string> called;
  for (const KindAt& at : RecordOfEachKind(server_->Channel())) {
    AnyResourceClient client(*at.type, server_->Channel());
    const std::string name = at.record->GetReflection()->GetString(
        *at.record, at.record->GetDescriptor()->FindFieldByName("name"));
    const MethodDescriptor& get = MethodOf(*at.type, api::StandardMethod::kGet);
    auto request = client.GetRequest(name);
    ThreeWays three = Call(get, *request);
    EXPECT_EQ(three.grpc.code, grpc::StatusCode::OK) << three.grpc.message;
    ExpectAgree(get, *request, three);
    called.insert(get.full_name());

    const MethodDescriptor& list =
        MethodOf(*at.type, api::StandardMethod::kList);
    ListArgs args{.parent = at.parent, .page_size = 2};
    request = client.ListRequest(args);
    three = Call(list, *request);
    ExpectAgree(list, *request, three);
    called.insert(list.full_name());
  }
  v1::ListChangesRequest changes;
  changes.set_page_size(3);
  changes.set_filter("resource = \"forums/arf\"");
  ExpectAgree(Rpc("ChangeService.ListChanges"), changes,
              Call(Rpc("ChangeService.ListChanges"), changes));
  called.insert("forumregistry.v1.ChangeService.ListChanges");
  v1::SearchRequest search;
  search.set_query("ASEAN");
  search.set_page_size(5);
  search.add_types("forumregistry.org/Forum");
  const MethodDescriptor& search_method = Rpc("SearchService.Search");
  ExpectAgree(search_method, search, Call(search_method, search));
  called.insert(search_method.full_name());
  v1::LookupExternalIdRequest lookup;
  lookup.set_external_id("wikidata:Q7768");
  const MethodDescriptor& lookup_method = Rpc("SearchService.LookupExternalId");
  ExpectAgree(lookup_method, lookup, Call(lookup_method, lookup));
  called.insert(lookup_method.full_name());

  // Every read method of every service was called.
  for (const domain::ResourceType& type : domain::Resources()) {
    for (int i = 0; i < type.service->method_count(); ++i) {
      const MethodDescriptor* method = type.service->method(i);
      if (method->options().idempotency_level() ==
          google::protobuf::MethodOptions::NO_SIDE_EFFECTS) {
        EXPECT_TRUE(called.count(method->full_name())) << method->full_name();
      }
    }
  }
}

// Bad input: the same code and message over every protocol, the HTTP
// status of that code, and nothing written.
TEST_F(HttpDoorTest, BadInputIsRefusedAlikeAndWritesNothing) {
  const std::string before = db_->WriteState();
  int checked = 0;
  for (const KindAt& at : RecordOfEachKind(server_->Channel())) {
    AnyResourceClient client(*at.type, server_->Channel());
    const std::string collection =
        at.parent.empty() ? at.type->collection
                          : absl::StrCat(at.parent, "/", at.type->collection);
    const std::string bad_name = absl::StrCat(collection, "/Not An Id!");
    const std::string missing = absl::StrCat(collection, "/missing-record");
    std::vector<std::pair<api::StandardMethod, std::unique_ptr<Message>>>
        requests;
    requests.emplace_back(api::StandardMethod::kGet,
                          client.GetRequest(bad_name));
    requests.emplace_back(api::StandardMethod::kGet,
                          client.GetRequest(missing));
    requests.emplace_back(
        api::StandardMethod::kList,
        client.ListRequest({.parent = at.parent, .page_size = -1}));
    requests.emplace_back(
        api::StandardMethod::kList,
        client.ListRequest({.parent = at.parent, .filter = "nonsense ==="}));
    std::unique_ptr<Message> copy(at.record->New());
    copy->CopyFrom(*at.record);
    requests.emplace_back(api::StandardMethod::kCreate,
                          client.CreateRequest(at.parent, "Not An Id!", *copy));
    requests.emplace_back(api::StandardMethod::kUpdate,
                          client.UpdateRequest(*copy, {}));
    requests.emplace_back(api::StandardMethod::kUpdate,
                          client.UpdateRequest(*copy, {"no_such_field"}));
    requests.emplace_back(api::StandardMethod::kDelete,
                          client.DeleteRequest(missing));
    for (const auto& [which, request] : requests) {
      const MethodDescriptor& method = MethodOf(*at.type, which);
      const ThreeWays three = Call(method, *request);
      EXPECT_NE(three.grpc.code, grpc::StatusCode::OK)
          << method.full_name() << " " << Json(*request);
      ExpectAgree(method, *request, three);
      ++checked;
    }
  }
  v1::ListChangesRequest changes;
  changes.set_filter("revision >");
  const MethodDescriptor& list_changes = Rpc("ChangeService.ListChanges");
  ExpectAgree(list_changes, changes, Call(list_changes, changes));
  v1::SearchRequest search;  // no query
  const MethodDescriptor& search_method = Rpc("SearchService.Search");
  ExpectAgree(search_method, search, Call(search_method, search));
  EXPECT_GE(checked, 8 * 8);
  EXPECT_EQ(db_->WriteState(), before) << "nothing was written";
}

// Writes: a copy of a record of each kind created, changed and deleted over
// each protocol; the answers agree but for what each write made (its name,
// etag and times).
TEST_F(HttpDoorTest, EveryWriteWorksOverEveryProtocol) {
  const auto clear = [](Message* message) {
    const auto* type = message->GetDescriptor();
    for (const char* field : {"name", "etag", "create_time", "update_time"}) {
      if (const auto* f = type->FindFieldByName(field)) {
        message->GetReflection()->ClearField(message, f);
      }
    }
  };
  for (const KindAt& at : RecordOfEachKind(server_->Channel())) {
    SCOPED_TRACE(at.type->label);
    AnyResourceClient client(*at.type, server_->Channel());
    std::unique_ptr<Message> copy(at.record->New());
    copy->CopyFrom(*at.record);
    clear(copy.get());
    const MethodDescriptor& create =
        MethodOf(*at.type, api::StandardMethod::kCreate);
    const MethodDescriptor& del =
        MethodOf(*at.type, api::StandardMethod::kDelete);
    // Made over gRPC, HTTP and Connect, under three ids.
    std::vector<std::unique_ptr<Message>> made;
    std::vector<std::string> codes;
    for (const char* protocol : {"grpc", "rest", "connect"}) {
      auto request = client.CreateRequest(
          at.parent, absl::StrCat("via-", protocol), *copy);
      Outcome outcome;
      if (std::string(protocol) == "grpc") {
        outcome.response = New(create.output_type());
        const grpc::Status status = GrpcCall(server_->Channel(), create,
                                             *request, outcome.response.get());
        outcome.code = status.error_code();
        outcome.message = status.error_message();
      } else if (std::string(protocol) == "rest") {
        const RestCall rest = ToRest(create, *request);
        outcome = FromHttp(
            create, Send(port_, rest.method, rest.path, rest.body), false);
      } else {
        outcome = FromHttp(create,
                           Send(port_, "POST",
                                absl::StrCat("/", create.service()->full_name(),
                                             "/", create.name()),
                                Json(*request)),
                           true);
      }
      codes.push_back(absl::StrCat(outcome.code, ": ", outcome.message));
      if (outcome.code == grpc::StatusCode::OK) {
        made.push_back(std::move(outcome.response));
      }
    }
    // A rule (one sole chair at a time) may refuse a copy: then it refuses
    // each alike, naming each one's id.
    EXPECT_EQ(absl::StrReplaceAll(codes[1], {{"via-rest", "via-grpc"}}),
              codes[0]);
    EXPECT_EQ(absl::StrReplaceAll(codes[2], {{"via-connect", "via-grpc"}}),
              codes[0]);
    if (made.size() != 3) continue;
    for (auto& message : made) clear(message.get());
    testing::ExpectSameMessage(*made[1], *made[0]);
    testing::ExpectSameMessage(*made[2], *made[0]);
    for (const char* protocol : {"grpc", "rest", "connect"}) {
      const std::string name =
          absl::StrCat(at.parent.empty() ? "" : absl::StrCat(at.parent, "/"),
                       at.type->collection, "/via-", protocol);
      auto request = client.DeleteRequest(name);
      const ThreeWays three = Call(del, *request);
      // Whichever protocol goes first deletes it; the others find nothing.
      EXPECT_EQ(three.grpc.code, grpc::StatusCode::OK) << three.grpc.message;
      EXPECT_EQ(three.rest.code, grpc::StatusCode::NOT_FOUND);
      EXPECT_EQ(three.connect.code, grpc::StatusCode::NOT_FOUND);
    }
  }
}

TEST_F(HttpDoorTest, WritesCarryTheirRevisionAndReplayByRequestId) {
  const std::string body = R"({"kind":"FORUM_KIND_SUMMIT","displayName":"H"})";
  const std::string path =
      "/v1/forums?forum_id=over-http&request_id="
      "0b6f7a52-8d0e-4c3e-9a57-3c1b8a1d2e01";
  const HttpAnswer first = Send(port_, "POST", path, body);
  ASSERT_EQ(first.status, 200) << first.body;
  int64_t revision = 0;
  EXPECT_TRUE(
      absl::SimpleAtoi(first.Header("x-forum-registry-revision"), &revision))
      << first.body;
  const HttpAnswer again = Send(port_, "POST", path, body);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.Header("x-forum-registry-replayed"), "true");
  EXPECT_EQ(again.body, first.body);
  const HttpAnswer patched =
      Send(port_, "PATCH", "/v1/forums/over-http?update_mask=displayName",
           R"({"displayName":"H2"})");
  EXPECT_EQ(patched.status, 200) << patched.body;
  EXPECT_THAT(patched.body, HasSubstr("\"displayName\":\"H2\""));
  const HttpAnswer gone = Send(port_, "DELETE", "/v1/forums/over-http");
  EXPECT_EQ(gone.status, 200) << gone.body;
  EXPECT_EQ(gone.body, "{}");
}

TEST_F(HttpDoorTest, WhatIsNoRouteSaysSo) {
  const std::string before = db_->WriteState();
  const auto refused = [&] {
    return testing::MetricSample(
        testing::HttpGet(server_->MetricsPort(), "/metrics"),
        "forum_registry_http_answers_total{protocol=\"http_json\","
        "status=\"4xx\"}");
  };
  const double refused_before = refused();
  HttpAnswer answer = Send(port_, "GET", "/v2/forums");
  EXPECT_EQ(answer.status, 404);
  EXPECT_EQ(refused(), refused_before + 1) << "the metrics count it";
  EXPECT_THAT(answer.body, HasSubstr("no route for GET /v2/forums"));
  answer = Send(port_, "PUT", "/v1/forums/arf", "{}");
  EXPECT_EQ(answer.status, 405);
  EXPECT_THAT(answer.body, HasSubstr("DELETE, GET, PATCH"));
  answer = Send(port_, "POST", "/v1/forums?forum_id=x", "{not json");
  EXPECT_EQ(answer.status, 400);
  EXPECT_THAT(answer.body, HasSubstr("request body"));
  answer = Send(port_, "GET", "/v1/forums?pageSize=2&page_size=3");
  EXPECT_EQ(answer.status, 400);
  EXPECT_THAT(answer.body, HasSubstr("given twice"));
  answer = Send(port_, "GET", "/v1/forums?colour=blue");
  EXPECT_EQ(answer.status, 400);
  EXPECT_THAT(answer.body,
              HasSubstr("forumregistry.v1.ListForumsRequest has no field "
                        "\\\"colour\\\""));
  // Connect: a write by GET, a content type it does not take.
  answer = Send(port_, "GET",
                "/forumregistry.v1.ForumService/DeleteForum?encoding=json&"
                "message=%7B%22name%22%3A%22forums%2Farf%22%7D");
  EXPECT_EQ(answer.status, 405);
  answer = Send(port_, "POST", "/forumregistry.v1.ForumService/DeleteForum",
                "name: 'forums/arf'", {}, "text/plain");
  EXPECT_EQ(answer.status, 415);
  EXPECT_THAT(answer.body, HasSubstr("\"code\":\"invalid_argument\""));
  EXPECT_EQ(db_->WriteState(), before) << "nothing was written";
}

// What a page of another site could make a browser send without asking
// first, or a client could make the door hold, is refused before any call.
TEST_F(HttpDoorTest, TheDoorRefusesWhatABrowserMayBeTrickedToSend) {
  const std::string before = db_->WriteState();
  // A form or `no-cors` fetch: a write must say application/json.
  HttpAnswer answer = Send(port_, "POST", "/v1/forums?forum_id=forged",
                           R"({"kind":"FORUM_KIND_SUMMIT","displayName":"F"})",
                           {}, "text/plain");
  EXPECT_EQ(answer.status, 415) << answer.body;
  EXPECT_THAT(answer.body, HasSubstr("application/json"));
  // DNS rebinding: a loopback door answers loopback names only.
  answer = Send(port_, "GET", "/v1/forums/arf", "",
                {{"Host", "attacker.example:8080"}});
  EXPECT_EQ(answer.status, 403) << answer.body;
  EXPECT_THAT(answer.body, HasSubstr("attacker.example"));
  EXPECT_EQ(
      Send(port_, "GET", "/v1/forums/arf", "", {{"Host", "localhost"}}).status,
      200);
  // An escaped slash stays inside its segment: never another route.
  answer = Send(port_, "GET", "/v1/forums/arf%2Fmemberships%2Frussia");
  EXPECT_EQ(answer.status, 400) << answer.body;
  EXPECT_THAT(answer.body, Not(HasSubstr("\"member\"")));
  // A body declared too large is refused before it is read: the answer
  // comes with none of the body sent.
  const std::string head = RawExchange(
      port_,
      "POST /v1/forums?forum_id=huge HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Type: application/json\r\nContent-Length: 5242880\r\n\r\n");
  EXPECT_TRUE(absl::StartsWith(head, "HTTP/1.1 413")) << head;
  // Methods a path takes, and the credentials it wants.
  answer = Send(port_, "PUT", "/v1/forums/arf", "{}");
  EXPECT_EQ(answer.status, 405);
  EXPECT_EQ(answer.Header("Allow"), "DELETE, GET, HEAD, PATCH");
  EXPECT_EQ(db_->WriteState(), before) << "nothing was written";
}

TEST_F(HttpDoorTest, ConnectServesReadsByGetAndBinaryBodies) {
  v1::GetForumRequest request;
  request.set_name("forums/arf");
  const HttpAnswer by_get =
      Send(port_, "GET",
           absl::StrCat("/forumregistry.v1.ForumService/GetForum?connect=v1&"
                        "encoding=json&message=",
                        Encode(Json(request))));
  ASSERT_EQ(by_get.status, 200) << by_get.body;
  v1::Forum forum;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(by_get.body, &forum).ok());
  EXPECT_EQ(forum.name(), "forums/arf");
  const HttpAnswer binary =
      Send(port_, "POST", "/forumregistry.v1.ForumService/GetForum",
           request.SerializeAsString(), {}, "application/proto");
  ASSERT_EQ(binary.status, 200) << binary.body;
  EXPECT_EQ(binary.Header("Content-Type"), "application/proto");
  v1::Forum from_binary;
  ASSERT_TRUE(from_binary.ParseFromString(binary.body));
  testing::ExpectSameMessage(from_binary, forum);
}

TEST_F(HttpDoorTest, DeadlinesComeFromATimeoutHeader) {
  const HttpAnswer late = Send(port_, "GET", "/v1/forums?page_size=100", "",
                               {{"X-Server-Timeout", "0.000001"}});
  EXPECT_EQ(late.status, 504) << late.body;
  EXPECT_THAT(late.body, HasSubstr("\"code\":4"));
  // Connect's, in milliseconds: the same microsecond.
  v1::ListForumsRequest list;
  list.set_page_size(100);
  const HttpAnswer late_connect = Send(
      port_, "POST", "/forumregistry.v1.ForumService/ListForums", Json(list),
      {{"Connect-Protocol-Version", "1"}, {"Connect-Timeout-Ms", "0.001"}});
  EXPECT_EQ(late_connect.status, 504) << late_connect.body;
  EXPECT_THAT(late_connect.body, HasSubstr("deadline_exceeded"));
  const HttpAnswer bad =
      Send(port_, "GET", "/v1/forums", "", {{"X-Server-Timeout", "soon"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(bad.body, HasSubstr("X-Server-Timeout"));
  const HttpAnswer fine =
      Send(port_, "GET", "/v1/forums/arf", "",
           {{"Connect-Timeout-Ms", "5000"}, {"X-Server-Timeout", "5"}});
  EXPECT_EQ(fine.status, 200);
}

TEST_F(HttpDoorTest, BrowsersOfListedOriginsMayCall) {
  HttpAnswer preflight =
      Send(port_, "OPTIONS", "/v1/forums", "",
           {{"Origin", kAllowedOrigin},
            {"Access-Control-Request-Method", "POST"},
            {"Access-Control-Request-Headers", "authorization, content-type"}});
  EXPECT_EQ(preflight.status, 204);
  EXPECT_EQ(preflight.Header("Access-Control-Allow-Origin"), kAllowedOrigin);
  EXPECT_EQ(preflight.Header("Access-Control-Allow-Credentials"), "true");
  EXPECT_THAT(preflight.Header("Access-Control-Allow-Headers"),
              HasSubstr("authorization"));
  const HttpAnswer get =
      Send(port_, "GET", "/v1/forums/arf", "", {{"Origin", kAllowedOrigin}});
  EXPECT_EQ(get.Header("Access-Control-Allow-Origin"), kAllowedOrigin);
  EXPECT_THAT(get.Header("Access-Control-Expose-Headers"),
              HasSubstr("x-forum-registry-revision"));

  preflight = Send(port_, "OPTIONS", "/v1/forums", "",
                   {{"Origin", "https://elsewhere.example"},
                    {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(preflight.status, 403);
  EXPECT_EQ(preflight.Header("Access-Control-Allow-Origin"), "");
  const HttpAnswer other = Send(port_, "GET", "/v1/forums/arf", "",
                                {{"Origin", "https://elsewhere.example"}});
  EXPECT_EQ(other.Header("Access-Control-Allow-Origin"), "");
}

TEST_F(HttpDoorTest, TheOpenApiDocumentIsServed) {
  const HttpAnswer document = Send(port_, "GET", "/openapi.json");
  EXPECT_EQ(document.status, 200);
  EXPECT_THAT(document.body, HasSubstr("\"openapi\""));
  EXPECT_THAT(document.body, HasSubstr("/v1/forums"));
}

// One SSE stream read on a thread of its own until `until` holds or the
// stream ends.
class SseReader {
 public:
  SseReader(int port, const std::string& path, httplib::Headers headers = {}) {
    thread_ = std::thread([=, this] {
      httplib::Client client("127.0.0.1", port);
      client.set_read_timeout(30, 0);
      auto result = client.Get(
          path, headers,
          [this](const httplib::Response& response) {
            absl::MutexLock lock(&mu_);
            status_ = response.status;
            return true;
          },
          [this](const char* data, size_t size) {
            absl::MutexLock lock(&mu_);
            text_.append(data, size);
            return !stop_;
          });
      absl::MutexLock lock(&mu_);
      if (result) {
        status_ = result->status;
        if (text_.empty()) text_ = result->body;
      }
      ended_ = true;
    });
  }
  ~SseReader() {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
    }
    thread_.join();
  }
  std::string text() {
    absl::MutexLock lock(&mu_);
    return text_;
  }
  bool ended() {
    absl::MutexLock lock(&mu_);
    return ended_;
  }
  int status() {
    absl::MutexLock lock(&mu_);
    return status_;
  }

 private:
  absl::Mutex mu_;
  std::string text_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  int status_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

int64_t CurrentRevision(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = v1::ChangeService::NewStub(channel);
  grpc::ClientContext context;
  v1::WatchChangesRequest request;
  auto watch = stub->WatchChanges(&context, request);
  v1::WatchChangesResponse first;
  EXPECT_TRUE(watch->Read(&first));
  context.TryCancel();
  watch->Finish();
  return first.revision();
}

TEST_F(HttpDoorTest, AWatchOverServerSentEventsResumesFromTheLastEventId) {
  const int64_t start = CurrentRevision(server_->Channel());
  SseReader reader(
      port_, absl::StrCat("/v1/changes:watch?after_revision=", start,
                          "&filter=", Encode("resource = \"forums/watched\"")));
  const HttpAnswer made =
      Send(port_, "POST", "/v1/forums?forum_id=watched",
           R"({"kind":"FORUM_KIND_SUMMIT","displayName":"W"})");
  ASSERT_EQ(made.status, 200) << made.body;
  const std::string revision = made.Header("x-forum-registry-revision");
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        return absl::StrContains(reader.text(),
                                 absl::StrCat("id: ", revision, "\ndata: "));
      },
      absl::Seconds(10), "the change's event"))
      << reader.text();
  // Bookmarks come every --watch-bookmark-interval (500 ms here).
  ASSERT_TRUE(testing::WaitFor(
      [&] { return absl::StrContains(reader.text(), "event: bookmark\n"); },
      absl::Seconds(10), "a bookmark"));
  const std::string text = reader.text();
  EXPECT_TRUE(absl::StartsWith(text, "retry: ")) << text;
  EXPECT_THAT(text, HasSubstr("\"resource\":\"forums/watched\""));
  EXPECT_THAT(text, HasSubstr("event: bookmark\n"));
  EXPECT_EQ(reader.status(), 200);

  // A browser's EventSource comes back to the same URL with Last-Event-ID:
  // the next change, and not the one it had.
  const HttpAnswer changed =
      Send(port_, "PATCH", "/v1/forums/watched?update_mask=displayName",
           R"({"displayName":"W2"})");
  ASSERT_EQ(changed.status, 200);
  SseReader resumed(
      port_,
      absl::StrCat("/v1/changes:watch?after_revision=", start,
                   "&filter=", Encode("resource = \"forums/watched\"")),
      {{"Last-Event-ID", revision}});
  ASSERT_TRUE(testing::WaitFor(
      [&] { return absl::StrContains(resumed.text(), "\"W2\""); },
      absl::Seconds(10), "the next change"));
  EXPECT_THAT(resumed.text(),
              Not(HasSubstr(absl::StrCat("id: ", revision, "\n"))));
  EXPECT_THAT(resumed.text(), Not(HasSubstr("CHANGE_OPERATION_CREATE")));
}

// WatchChanges as a Connect server stream: enveloped messages, then the
// end-of-stream message with the status the stream ended with.
TEST_F(HttpDoorTest, AWatchOverConnectIsAStreamOfEnvelopes) {
  const auto enveloped = [](const std::string& json) {
    std::string out(5, '\0');
    out[4] = static_cast<char>(json.size());
    return out + json;
  };
  const auto request = [&](const std::string& json, int timeout_ms) {
    const std::string body = enveloped(json);
    return RawExchange(
        port_,
        absl::StrCat("POST /forumregistry.v1.ChangeService/WatchChanges "
                     "HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Content-Type: application/connect+json\r\n"
                     "Connect-Protocol-Version: 1\r\nConnect-Timeout-Ms: ",
                     timeout_ms, "\r\nConnection: close\r\nContent-Length: ",
                     body.size(), "\r\n\r\n", body));
  };
  // From now on, until its deadline: a bookmark, then the end, in-stream.
  std::string answer = request("{}", 1500);
  EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 200")) << answer;
  EXPECT_THAT(answer, HasSubstr("application/connect+json"));
  EXPECT_THAT(answer, HasSubstr("{\"revision\":\""));
  EXPECT_THAT(answer, HasSubstr("{\"error\":{\"code\":\"deadline_exceeded\""));
  // Refused at its start: still 200, the error in the end message.
  answer = request(R"({"afterRevision":"999999999"})", 5000);
  EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 200")) << answer;
  EXPECT_THAT(answer, HasSubstr("{\"error\":{\"code\":\"out_of_range\""));
}

TEST_F(HttpDoorTest, AWatchRefusedAtItsStartIsAnHttpError) {
  SseReader bad_filter(port_, "/v1/changes:watch?filter=nonsense%20%3D%3D%3D");
  ASSERT_TRUE(testing::WaitFor([&] { return bad_filter.ended(); },
                               absl::Seconds(10), "the refusal"));
  EXPECT_EQ(bad_filter.status(), 400) << bad_filter.text();
  EXPECT_THAT(bad_filter.text(), HasSubstr("\"code\":3"));
  SseReader too_new(port_, "/v1/changes:watch?after_revision=999999999");
  ASSERT_TRUE(testing::WaitFor([&] { return too_new.ended(); },
                               absl::Seconds(10), "the refusal"));
  EXPECT_EQ(too_new.status(), 400) << too_new.text();
  EXPECT_THAT(too_new.text(), HasSubstr("\"code\":11"));
}

// A door on a server that knows its callers: the bearer token of an HTTP
// call is the gRPC call's.
class HttpAuthTest : public ::testing::Test {};

TEST_F(HttpAuthTest, BearerTokensDecideAsOverGrpc) {
  const auth::testing::KeyPair key = auth::testing::NewRsaKeyPair();
  const std::string key_file = testing::WriteTempFile(".pem", key.public_pem);
  auto db = TestDatabase::Create();
  auto server = ServerProcess::Start(
      db->url(),
      {absl::StrCat("--jwt-public-keys=", key_file),
       "--jwt-issuer=https://issuer.test", "--jwt-audience=forum-registry",
       "--allow-anonymous-reads", "--http-address=127.0.0.1:0"});
  const int port = server->HttpPort();
  ASSERT_GT(port, 0) << server->Output();
  const std::string before = db->WriteState();
  const std::string body = R"({"kind":"FORUM_KIND_SUMMIT","displayName":"A"})";
  HttpAnswer answer =
      Send(port, "POST", "/v1/forums?forum_id=authorized", body);
  EXPECT_EQ(answer.status, 401) << answer.body;
  EXPECT_THAT(answer.body, HasSubstr("\"code\":16"));
  answer = Send(port, "POST", "/v1/forums?forum_id=authorized", body,
                {{"Authorization", "Bearer not-a-token"}});
  EXPECT_EQ(answer.status, 401) << answer.body;
  auth::testing::TokenSpec reader;
  reader.roles_json = R"(["reader"])";
  answer = Send(port, "POST", "/v1/forums?forum_id=authorized", body,
                {{"Authorization",
                  absl::StrCat("Bearer ", auth::testing::SignedToken(
                                              reader, key.private_pem))}});
  EXPECT_EQ(answer.status, 403) << answer.body;
  EXPECT_EQ(db->WriteState(), before) << "nothing was written";
  auth::testing::TokenSpec editor;
  editor.roles_json = R"(["editor"])";
  editor.subject = "http-editor";
  answer = Send(port, "POST", "/v1/forums?forum_id=authorized", body,
                {{"Authorization",
                  absl::StrCat("Bearer ", auth::testing::SignedToken(
                                              editor, key.private_pem))}});
  EXPECT_EQ(answer.status, 200) << answer.body;
  EXPECT_THAT(server->Output(), HasSubstr("\"caller\":\"http-editor\""));
  // Anonymous reads stay open, with the client named in the log.
  answer = Send(port, "GET", "/v1/forums/authorized");
  EXPECT_EQ(answer.status, 200) << answer.body;
  EXPECT_THAT(server->Output(), HasSubstr("\"client_address\":\"127.0.0.1\""));
  std::remove(key_file.c_str());
}

// The door's edge headers are believed from the door alone: a client that
// sends them to the door directly is named by its connection.
TEST_F(HttpDoorTest, EdgeHeadersSentToTheDoorAreNotBelieved) {
  const HttpAnswer answer =
      Send(port_, "GET", "/v1/forums/arf", "",
           {{"x-forum-registry-edge-client-address", "203.0.113.9"},
            {"x-forum-registry-door", "guess"}});
  EXPECT_EQ(answer.status, 200);
  EXPECT_THAT(server_->Output(), Not(HasSubstr("203.0.113.9")));
}

// The exports over gRPC (their HTTP side is tests/export/http_test.py): a
// stream of HttpBody messages of the file's media type, the tag and the
// caching in the initial metadata, and an if-none-match with that tag
// answered with no message at all. What the file says is the engine's to
// test.
TEST_F(HttpDoorTest, ExportsOverGrpcCarryTheirTagAndHonourIfNoneMatch) {
  auto stub = v1::ExportService::NewStub(server_->Channel());
  v1::ExportSessionsCalendarRequest request;
  request.set_parent("forums/arf");
  std::string etag;
  {
    grpc::ClientContext context;
    auto reader = stub->ExportSessionsCalendar(&context, request);
    google::api::HttpBody message;
    std::string file;
    int messages = 0;
    while (reader->Read(&message)) {
      EXPECT_THAT(message.content_type(),
                  ::testing::StartsWith("text/calendar"));
      file += message.data();
      ++messages;
    }
    const grpc::Status status = reader->Finish();
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_GE(messages, 1);
    EXPECT_THAT(file, ::testing::StartsWith("BEGIN:VCALENDAR"));
    const auto& metadata = context.GetServerInitialMetadata();
    ASSERT_EQ(metadata.count("etag"), 1u);
    etag = std::string(metadata.find("etag")->second.data(),
                       metadata.find("etag")->second.size());
    EXPECT_THAT(etag, ::testing::MatchesRegex("\"r[0-9]+-[0-9a-f]{12}\""));
    ASSERT_EQ(metadata.count("cache-control"), 1u);
    EXPECT_EQ(metadata.find("cache-control")->second, "private, no-cache");
    EXPECT_EQ(metadata.count("x-forum-registry-not-modified"), 0u);
  }
  {
    grpc::ClientContext context;
    context.AddMetadata("if-none-match", etag);
    auto reader = stub->ExportSessionsCalendar(&context, request);
    google::api::HttpBody message;
    EXPECT_FALSE(reader->Read(&message)) << "a message for a tag that holds";
    const grpc::Status status = reader->Finish();
    ASSERT_TRUE(status.ok()) << status.error_message();
    const auto& metadata = context.GetServerInitialMetadata();
    ASSERT_EQ(metadata.count("x-forum-registry-not-modified"), 1u);
    EXPECT_EQ(metadata.find("etag")->second, etag);
  }
  {
    // What the door sends for a HEAD: the headers, the media type among
    // them, and no message.
    grpc::ClientContext context;
    context.AddMetadata("x-forum-registry-head", "1");
    auto reader = stub->ExportSessionsCalendar(&context, request);
    google::api::HttpBody message;
    EXPECT_FALSE(reader->Read(&message)) << "a message for a HEAD";
    const grpc::Status status = reader->Finish();
    ASSERT_TRUE(status.ok()) << status.error_message();
    const auto& metadata = context.GetServerInitialMetadata();
    ASSERT_EQ(metadata.count("etag"), 1u);
    EXPECT_EQ(metadata.find("etag")->second, etag);
    ASSERT_EQ(metadata.count("x-forum-registry-content-type"), 1u);
    EXPECT_THAT(
        std::string(
            metadata.find("x-forum-registry-content-type")->second.data(),
            metadata.find("x-forum-registry-content-type")->second.size()),
        ::testing::StartsWith("text/calendar"));
    EXPECT_EQ(metadata.count("content-disposition"), 1u);
    EXPECT_EQ(metadata.count("x-forum-registry-not-modified"), 0u);
  }
  {
    grpc::ClientContext context;
    v1::ExportPopoloRequest bad;
    bad.set_as_of("2023-13-40");
    auto reader = stub->ExportPopolo(&context, bad);
    google::api::HttpBody message;
    EXPECT_FALSE(reader->Read(&message));
    const grpc::Status status = reader->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("as_of"));
  }
}

}  // namespace
}  // namespace forum_registry

namespace forum_registry {
namespace {

// Stopping: a watch over SSE ends with the status the server's drain gives
// it (UNAVAILABLE, naming the revision to resume from), a request after the
// door closed is refused, and the process exits cleanly with streams open.
TEST(HttpDrainTest, AWatchEndsWithTheDrainAndTheProcessExitsCleanly) {
  auto db = TestDatabase::Create();
  auto server = ServerProcess::Start(
      db->url(), {"--http-address=127.0.0.1:0", "--drain-period=1s",
                  "--watch-bookmark-interval=500ms"});
  const int port = server->HttpPort();
  ASSERT_GT(port, 0) << server->Output();
  SseReader watch(port, "/v1/changes:watch");
  SseReader resumed(port, "/v1/changes:watch?after_revision=0");
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        return absl::StrContains(watch.text(), "event: bookmark") &&
               absl::StrContains(resumed.text(), "event: bookmark");
      },
      absl::Seconds(10), "both watches began"));
  EXPECT_EQ(server->Stop(SIGTERM, 30), 0) << server->Output();
  ASSERT_TRUE(testing::WaitFor([&] { return watch.ended(); }, absl::Seconds(10),
                               "the watch ended"));
  EXPECT_THAT(watch.text(), HasSubstr("event: status\ndata: {\"code\":14"));
  EXPECT_THAT(watch.text(), HasSubstr("shutting down"));
}

}  // namespace
}  // namespace forum_registry
