#ifndef FORUM_REGISTRY_HTTP_TRANSCODE_H_
#define FORUM_REGISTRY_HTTP_TRANSCODE_H_

// From HTTP to the API's messages and back: requests built from a route's
// path bindings, query parameters and JSON body (google/api/http.proto's
// rules), answers and errors written as protobuf's JSON mapping, and the
// status codes of HTTP and of the Connect protocol. Pure functions; the
// door (door.h) does the I/O.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "grpcpp/support/status.h"

namespace forum_registry::http {

using Params = std::vector<std::pair<std::string, std::string>>;

// Fills `request` (empty, of the method's input type) from an HTTP call:
// `body` (JSON) into the field `body_field` ("*": the whole request; "":
// none, and a body is an error), then `query` parameters and the path's
// `bindings`, each a field path (`page_size`, `forum.name`; JSON names such
// as `pageSize` too) and its text. Query parameters may name scalar fields
// (repeated ones by repeating the parameter), enums by name, and the
// well-known types that JSON writes as strings (FieldMask, Timestamp,
// Duration) or scalars (wrappers); a field the path or body set may not be
// set again. INVALID_ARGUMENT naming the parameter or the body and the rule.
absl::Status BuildRequest(absl::string_view body_field, absl::string_view body,
                          const Params& query, const Params& bindings,
                          google::protobuf::Message* request);

// `message` as protobuf's JSON mapping (lowerCamelCase names, enums by
// name, 64-bit integers as strings, fields at their default left out).
std::string ToJson(const google::protobuf::Message& message);

// `status` as google.rpc.Status JSON: {"code":5,"message":"..."}.
std::string StatusJson(const grpc::Status& status);

// The HTTP status google/rpc/code.proto gives each code (NOT_FOUND → 404,
// UNAVAILABLE → 503, ...).
int HttpStatusOf(grpc::StatusCode code);

// The Connect protocol's name of a code ("not_found"). Its HTTP status is
// HttpStatusOf's: Connect took code.proto's mapping (its RFC 003).
std::string ConnectCodeName(grpc::StatusCode code);

// A Connect error's JSON: {"code":"not_found","message":"..."}.
std::string ConnectErrorJson(const grpc::Status& status);

// A JSON string literal of `text` (UTF-8 passed through; quotes,
// backslashes and control characters escaped).
std::string JsonQuote(absl::string_view text);

// A deadline header's duration: `X-Server-Timeout` in seconds ("2.5"), or
// Connect's `Connect-Timeout-Ms` in milliseconds; INVALID_ARGUMENT naming
// the header if it is not a positive number.
absl::StatusOr<double> ParseTimeoutSeconds(absl::string_view header,
                                           absl::string_view value);

}  // namespace forum_registry::http

#endif  // FORUM_REGISTRY_HTTP_TRANSCODE_H_
