#ifndef FORUM_REGISTRY_SERVER_REFLECTION_V1_H_
#define FORUM_REGISTRY_SERVER_REFLECTION_V1_H_

// Server reflection v1 (`grpc.reflection.v1.ServerReflection`), served beside
// gRPC's own v1alpha. gRPC 1.51's libgrpc++_reflection answers v1alpha only;
// grpcurl 1.8.8 and later, `buf curl`, grpcui and Postman ask for v1 first.
// The two protocols are the same messages under another package, so a client
// sees the same answers from either:
//
//   file_by_filename, file_containing_symbol, file_containing_extension
//       the file, then those of its transitive imports this stream has not
//       been sent yet (the file asked for is always sent);
//   all_extension_numbers_of_type
//       the numbers of every extension of the message in the server;
//   list_services
//       what the server registered: the API, health and both reflections.
//
// A name the server does not know is answered in the stream, as gRPC's
// v1alpha does: an error_response with NOT_FOUND ("Symbol not found.", "File
// not found.", "Type not found.", "Extension not found."), and the stream
// goes on. Files come from the generated descriptor pool, which holds every
// proto linked into the binary (proto/CMakeLists.txt keeps them all linked).
//
// Bounds: a stream reads its next request only once the previous answer is
// written, so it holds one request and one response at a time, no thread
// while it waits, and a set of the files it has sent (at most every file in
// the binary). Message sizes are the server's (--max-message-bytes).
//
// Open to every caller, like v1alpha and health: it is not behind the
// Authorizer (auth/roles.h). gRPC 1.59 and later may ship v1 themselves; the
// build refuses them until this is removed (proto/CMakeLists.txt).

#include <memory>

#include "grpcpp/impl/server_builder_option.h"

namespace forum_registry::server {

// Adds reflection v1 to the server built with this option. It is a builder
// plugin, as gRPC's v1alpha is, because the list of services a server
// registered (health included, which gRPC adds when the server starts) is
// only handed to plugins.
std::unique_ptr<grpc::ServerBuilderOption> ReflectionV1();

}  // namespace forum_registry::server

#endif  // FORUM_REGISTRY_SERVER_REFLECTION_V1_H_
