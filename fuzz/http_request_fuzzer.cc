// HTTP requests to the door, as the transcoder reads them: a method and path
// matched against the routes of the protos' google.api.http rules, then
// query parameters and a JSON body into the method's request.
//
// Input: the first line is "METHOD PATH", the lines up to a blank one are
// query parameters "NAME=VALUE", the rest is the body.
//
// Properties: nothing crashes or leaks; a path binds only within its
// segments (a variable's value never holds a decoded "/"); a refused request
// is INVALID_ARGUMENT with a message that names the parameter, the path
// variable or the body, and stays short.

#include <cstdint>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "forumregistry/v1/change.pb.h"
#include "forumregistry/v1/forum.pb.h"
#include "forumregistry/v1/search.pb.h"
#include "forumregistry/v1/session.pb.h"
#include "fuzz/fuzz_check.h"
#include "google/protobuf/message.h"
#include "src/http/routes.h"
#include "src/http/transcode.h"

namespace fr = forum_registry;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fr::http::RouteTable* const kRoutes = [] {
    // Their files' descriptors reach the generated pool once linked in.
    (void)forumregistry::v1::Forum::descriptor();
    (void)forumregistry::v1::Session::descriptor();
    (void)forumregistry::v1::Change::descriptor();
    (void)forumregistry::v1::SearchRequest::descriptor();
    auto table = fr::http::RouteTable::FromServices(
        {"forumregistry.v1.ForumService", "forumregistry.v1.SessionService",
         "forumregistry.v1.ChangeService", "forumregistry.v1.SearchService"});
    FUZZ_CHECK(table.ok()) << table.status().message();
    return new fr::http::RouteTable(*std::move(table));
  }();
  const std::string text = fr::fuzz::Text(data, size);
  const size_t blank = text.find("\n\n");
  const std::string head = text.substr(0, blank);
  const std::string body =
      blank == std::string::npos ? "" : text.substr(blank + 2);
  std::vector<std::string> lines = absl::StrSplit(head, '\n');
  const std::string first = lines.empty() ? "" : lines[0];
  const size_t space = first.find(' ');
  const std::string method = first.substr(0, space);
  const std::string path =
      space == std::string::npos ? "" : first.substr(space + 1);

  // Any text as a template: parsed or refused, never a crash.
  (void)fr::http::PathTemplate::Parse(path);

  absl::StatusOr<fr::http::RouteMatch> match = kRoutes->Find(method, path);
  if (!match.ok()) return 0;
  for (const auto& [field, value] : match->bindings) {
    FUZZ_CHECK(!absl::StrContains(value, "//")) << value;
  }
  fr::http::Params query;
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t equals = lines[i].find('=');
    query.emplace_back(lines[i].substr(0, equals),
                       equals == std::string::npos
                           ? ""
                           : lines[i].substr(equals + 1));
  }
  std::unique_ptr<google::protobuf::Message> request(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(match->route->method->input_type())
          ->New());
  const absl::Status built = fr::http::BuildRequest(
      match->route->body, body, query, match->bindings, request.get());
  if (!built.ok()) {
    FUZZ_CHECK(built.code() == absl::StatusCode::kInvalidArgument)
        << built.message();
    const std::string message(built.message());
    FUZZ_CHECK(absl::StartsWith(message, "query parameter") ||
               absl::StartsWith(message, "path variable") ||
               absl::StartsWith(message, "request body") ||
               absl::StartsWith(message, "this method"))
        << message;
    FUZZ_CHECK(message.size() <= 512 + size) << message.size();
  }
  return 0;
}
