#ifndef FORUM_REGISTRY_HTTP_ROUTES_H_
#define FORUM_REGISTRY_HTTP_ROUTES_H_

// The HTTP routes of the API, read from the protos' own annotations: each
// RPC's `option (google.api.http)` (google/api/http.proto, AIP-127) names
// an HTTP method and a path template such as `/v1/{name=forums/*}`; the
// table is built from the descriptors when the server starts, never written
// by hand, so a route exists exactly when its RPC does.
//
// Path templates, as google/api/http.proto defines them:
//
//   Template = "/" Segments [ ":" Verb ] ;
//   Segments = Segment { "/" Segment } ;
//   Segment  = "*" | "**" | LITERAL | Variable ;
//   Variable = "{" FieldPath [ "=" Segments ] "}" ;
//
// A variable binds the segments it matches to a field of the request
// (`name` = "forums/arf"); `{name}` alone means `{name=*}`. `*` matches one
// segment, `**` the rest of the path.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace forum_registry::http {

// One parsed path template.
class PathTemplate {
 public:
  // INVALID_ARGUMENT naming the template and what is wrong with it.
  static absl::StatusOr<PathTemplate> Parse(absl::string_view text);

  // The variables `path` binds ({field path, value}), percent-decoded; nullopt
  // if it does not match. `path` is the request's path without its query.
  std::optional<std::vector<std::pair<std::string, std::string>>> Match(
      absl::string_view path) const;

  const std::string& text() const { return text_; }

 private:
  struct Segment {
    enum Kind { kLiteral, kOne, kRest } kind = kLiteral;
    std::string literal;  // kLiteral
  };
  struct Variable {
    std::string field_path;
    size_t first = 0;  // its segments: [first, end)
    size_t end = 0;
  };

  std::string text_;
  std::vector<Segment> segments_;
  std::vector<Variable> variables_;
  std::string verb_;  // without the colon; empty for none
};

// One route: an HTTP method and template that call one RPC.
struct Route {
  std::string http_method;  // "GET", "POST", "PATCH", "PUT", "DELETE"
  PathTemplate path;
  const google::protobuf::MethodDescriptor* method = nullptr;
  // The request field the body fills: "" (no body), "*" (the whole request)
  // or a field's name.
  std::string body;
};

// A request matched to its route, with the path's bindings.
struct RouteMatch {
  const Route* route = nullptr;
  std::vector<std::pair<std::string, std::string>> bindings;
};

class RouteTable {
 public:
  // The routes of every method of `services` (full names) that carries a
  // google.api.http option, additional bindings included. INVALID_ARGUMENT
  // if a template does not parse.
  static absl::StatusOr<RouteTable> FromServices(
      const std::vector<std::string>& services);

  // The route for `http_method` and `path`. NOT_FOUND if no template
  // matches the path; UNIMPLEMENTED (HTTP 405: the path exists under other
  // methods, which the message names) if none matches with this method.
  absl::StatusOr<RouteMatch> Find(absl::string_view http_method,
                                  absl::string_view path) const;

  const std::vector<Route>& routes() const { return routes_; }

  // Methods by full name ("forumregistry.v1.ForumService.GetForum") and by
  // their gRPC path ("/forumregistry.v1.ForumService/GetForum"), for the
  // Connect protocol; null if there is none.
  const google::protobuf::MethodDescriptor* MethodByPath(
      absl::string_view grpc_path) const;

 private:
  std::vector<Route> routes_;
  std::map<std::string, const google::protobuf::MethodDescriptor*, std::less<>>
      by_path_;
};

// The gRPC path of `method`: "/package.Service/Method".
std::string GrpcPath(const google::protobuf::MethodDescriptor& method);

}  // namespace forum_registry::http

#endif  // FORUM_REGISTRY_HTTP_ROUTES_H_
