#ifndef FORUM_REGISTRY_TESTS_SUPPORT_RESOURCE_CLIENT_H_
#define FORUM_REGISTRY_TESTS_SUPPORT_RESOURCE_CLIENT_H_

// One client for the standard methods of every kind of resource, derived from
// the kind's registry entry the way src/api/resource_service.{h,cc} derives
// the services: the methods are those of the kind's service descriptor that
// api::StandardMethodOf recognises, their requests and responses are the
// generated messages of the descriptor's input and output types, and the
// fields are set under the names the AIPs (and the registry) give them:
// name, parent, `forum` / `forum_id` (ResourceType::field, id_field),
// update_mask, etag, force, page_size, page_token, filter, order_by,
// `forums` and next_page_token in a list response (ResourceType::table).
//
//   ResourceClient<v1::Forum> forums(channel);
//   v1::Forum arf;
//   ASSERT_TRUE(forums.Create("", "arf", NewForum("ARF"), &arf).ok());
//   ASSERT_TRUE(forums.Get("forums/arf", &arf).ok());
//
// Why not the generated stubs: a stub's methods are named after the kind
// (ForumService::Stub::GetForum), so a client generic over kinds needs a
// hand-written table per kind (what the three families of clients this
// replaces were). The method path ("/forumregistry.v1.ForumService/GetForum")
// and the request type come from the descriptor instead, and the call goes
// through the same blocking unary call the generated stubs use
// (grpc::internal::BlockingUnaryCall, serializing the generated message), so
// what goes over the wire is byte for byte what a stub sends. A kind added to
// the registry has a client with no line added here.
//
// Every call gets a context of its own with a 30-second deadline, unless the
// caller passes one (to read response headers, or to set another deadline).
// Nothing outlives a call but the channel.

#include <chrono>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "google/protobuf/message.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"
#include "gtest/gtest.h"
#include "src/api/resource_service.h"
#include "src/domain/resource_registry.h"
#include "tests/support/test_support.h"

namespace forum_registry::testing {

using api::StandardMethod;

// What a List request asks. `parent` is for nested kinds only.
struct ListArgs {
  std::string parent;
  std::string filter;
  std::string order_by;
  int page_size = 0;
  std::string page_token;
  // The revision to list at; 0 for the present.
  int64_t as_of_revision = 0;
};

// What a Delete request asks besides the name. `force` is for the kinds with
// children only.
struct DeleteArgs {
  std::string etag;
  bool force = false;
  std::string request_id;
};

// The untyped client of one kind: requests and responses are messages of the
// generated types the descriptor names. ResourceClient<R> is the typed face
// of it; this one serves code that walks domain::Resources().
class AnyResourceClient {
 public:
  AnyResourceClient(const domain::ResourceType& type,
                    std::shared_ptr<grpc::Channel> channel);

  const domain::ResourceType& type() const { return type_; }

  // "/forumregistry.v1.ForumService/GetForum".
  const std::string& Path(StandardMethod method) const;

  // An empty request or response of the method's generated type.
  std::unique_ptr<google::protobuf::Message> NewRequest(
      StandardMethod method) const;
  std::unique_ptr<google::protobuf::Message> NewResponse(
      StandardMethod method) const;

  // Requests with the fields the AIPs name set. `parent` must be empty for a
  // top-level kind; `force` false for a kind without it.
  std::unique_ptr<google::protobuf::Message> GetRequest(
      const std::string& name, int64_t as_of_revision = 0) const;
  std::unique_ptr<google::protobuf::Message> UndeleteRequest(
      const std::string& name, const std::string& etag = "",
      const std::string& request_id = "") const;
  std::unique_ptr<google::protobuf::Message> CreateRequest(
      const std::string& parent, const std::string& id,
      const google::protobuf::Message& resource,
      const std::string& request_id = "") const;
  std::unique_ptr<google::protobuf::Message> UpdateRequest(
      const google::protobuf::Message& resource,
      const std::vector<std::string>& paths,
      const std::string& request_id = "") const;
  std::unique_ptr<google::protobuf::Message> DeleteRequest(
      const std::string& name, const DeleteArgs& args = {}) const;
  std::unique_ptr<google::protobuf::Message> ListRequest(
      const ListArgs& args) const;

  // Calls `method` with `request` (of its request type) into `response` (of
  // its response type). With `context` null, a context of its own with the
  // 30-second deadline.
  grpc::Status Call(StandardMethod method,
                    const google::protobuf::Message& request,
                    google::protobuf::Message* response,
                    grpc::ClientContext* context = nullptr) const;

  // The records of a List response, and its next_page_token.
  std::vector<const google::protobuf::Message*> Records(
      const google::protobuf::Message& list_response) const;
  std::string NextPageToken(
      const google::protobuf::Message& list_response) const;

  // Every page of a list, in order, copied into `out`; `*pages` counts them.
  // Expects (as a test failure) that no record comes twice and that every
  // page but the last is full when a page size is given; more than
  // `max_pages` pages is an error.
  grpc::Status ListAll(
      ListArgs args,
      std::vector<std::unique_ptr<google::protobuf::Message>>* out,
      int* pages = nullptr, int max_pages = 200) const;

 private:
  struct Method {
    std::string path;
    const google::protobuf::MethodDescriptor* descriptor = nullptr;
  };
  const Method& MethodOf(StandardMethod method) const;
  const google::protobuf::FieldDescriptor* Field(
      const google::protobuf::Descriptor* message,
      const std::string& name) const;

  const domain::ResourceType& type_;
  std::shared_ptr<grpc::Channel> channel_;
  std::vector<Method> methods_;  // by StandardMethod
};

// The typed client of the kind whose message is R (v1::Forum).
template <typename R>
class ResourceClient {
 public:
  explicit ResourceClient(std::shared_ptr<grpc::Channel> channel)
      : any_(Type(), std::move(channel)) {}

  // The kind's registry entry; a message type the registry does not know
  // stops the test program.
  static const domain::ResourceType& Type() {
    const domain::ResourceType* type = domain::FindByMessage(R::descriptor());
    if (type == nullptr) {
      ADD_FAILURE() << R::descriptor()->full_name() << " is not a resource";
      std::abort();
    }
    return *type;
  }

  const AnyResourceClient& any() const { return any_; }

  grpc::Status Create(const std::string& parent, const std::string& id,
                      const R& resource, R* out,
                      grpc::ClientContext* context = nullptr) const {
    return any_.Call(StandardMethod::kCreate,
                     *any_.CreateRequest(parent, id, resource), out, context);
  }

  grpc::Status Get(const std::string& name, R* out,
                   grpc::ClientContext* context = nullptr) const {
    return any_.Call(StandardMethod::kGet, *any_.GetRequest(name), out,
                     context);
  }

  // The record as it stood right after `revision`.
  grpc::Status GetAsOf(const std::string& name, int64_t revision, R* out,
                       grpc::ClientContext* context = nullptr) const {
    return any_.Call(StandardMethod::kGet, *any_.GetRequest(name, revision),
                     out, context);
  }

  grpc::Status Undelete(const std::string& name, R* out,
                        const std::string& etag = "",
                        grpc::ClientContext* context = nullptr) const {
    return any_.Call(StandardMethod::kUndelete,
                     *any_.UndeleteRequest(name, etag), out, context);
  }

  grpc::Status Update(const R& resource, const std::vector<std::string>& paths,
                      R* out, grpc::ClientContext* context = nullptr) const {
    return any_.Call(StandardMethod::kUpdate,
                     *any_.UpdateRequest(resource, paths), out, context);
  }

  grpc::Status Delete(const std::string& name, const DeleteArgs& args = {},
                      grpc::ClientContext* context = nullptr) const {
    std::unique_ptr<google::protobuf::Message> empty =
        any_.NewResponse(StandardMethod::kDelete);
    return any_.Call(StandardMethod::kDelete, *any_.DeleteRequest(name, args),
                     empty.get(), context);
  }

  // One page, into the List response of the kind's generated type
  // (v1::ListForumsResponse).
  grpc::Status List(const ListArgs& args, google::protobuf::Message* response,
                    grpc::ClientContext* context = nullptr) const {
    return any_.Call(StandardMethod::kList, *any_.ListRequest(args), response,
                     context);
  }

  // Every page, as AnyResourceClient::ListAll.
  grpc::Status ListAll(const ListArgs& args, std::vector<R>* out,
                       int* pages = nullptr, int max_pages = 200) const {
    std::vector<std::unique_ptr<google::protobuf::Message>> records;
    const grpc::Status status = any_.ListAll(args, &records, pages, max_pages);
    out->clear();
    for (const auto& record : records) {
      out->push_back(static_cast<const R&>(*record));
    }
    return status;
  }

  // A request of the method's own generated type, for calls that set what
  // the helpers above do not (a request id, a hand-made update mask): build
  // it, adjust it, and pass it to Call.
  //
  //   auto request = forums.any().CreateRequest("", id, forum);
  //   ...
  //   forums.Call(StandardMethod::kCreate, *request, &out, &context);
  grpc::Status Call(StandardMethod method,
                    const google::protobuf::Message& request,
                    google::protobuf::Message* response,
                    grpc::ClientContext* context = nullptr) const {
    return any_.Call(method, request, response, context);
  }

  // Creates `resource`; a failure is reported to the test, and the record
  // returned is then empty.
  R MustCreate(const std::string& parent, const std::string& id,
               const R& resource) const {
    R out;
    const grpc::Status status = Create(parent, id, resource, &out);
    EXPECT_TRUE(status.ok()) << "Create " << R::descriptor()->name() << " "
                             << parent << " " << id << ": " << Describe(status);
    return out;
  }

 private:
  AnyResourceClient any_;
};

// The names of records, in their order.
template <typename R>
std::vector<std::string> NamesOf(const std::vector<R>& records) {
  std::vector<std::string> names;
  for (const R& record : records) names.push_back(record.name());
  return names;
}

}  // namespace forum_registry::testing

#endif  // FORUM_REGISTRY_TESTS_SUPPORT_RESOURCE_CLIENT_H_
