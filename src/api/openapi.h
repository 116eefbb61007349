#ifndef FORUM_REGISTRY_API_OPENAPI_H_
#define FORUM_REGISTRY_API_OPENAPI_H_

// The API's OpenAPI 3.1 document, as JSON: every RPC's HTTP route (its
// google.api.http rule), the request and response bodies in protobuf's JSON
// mapping, and the protos' comments as descriptions.
//
// The build writes it from the protos' descriptor set
// (tools/openapi/gen_openapi.py) and compiles it in, so the document always
// describes the binary that serves it. The HTTP door serves it at
// /openapi.json; `forum-registry openapi` prints it.
//
//   std::string json(forum_registry::api::OpenApiDocument());
//
// The view points at static storage: it is valid for the life of the process
// and needs no copy to be served.

#include "absl/strings/string_view.h"

namespace forum_registry::api {

absl::string_view OpenApiDocument();

}  // namespace forum_registry::api

#endif  // FORUM_REGISTRY_API_OPENAPI_H_
