#ifndef FORUM_REGISTRY_SERVER_SERVE_FLAGS_H_
#define FORUM_REGISTRY_SERVER_SERVE_FLAGS_H_

// The flags of `forum-registry serve`: one table (serve_flags.cc), one row a
// flag, from which come the config's defaults, --help, the environment
// variables and the flag tables of docs/operations.md (written by
// `forum-registry serve --help-markdown`, checked by the docs_flags test).
//
// To add a flag: a field in ServeConfig, a row in the table. Checks that
// involve more than one flag go in ValidateServeConfig.

#include <string>

#include "absl/status/status.h"
#include "src/server/flags.h"
#include "src/server/serve_config.h"

namespace forum_registry::server {

// Adds every flag of `serve` to `flags`, each bound to its field of
// *config, which it sets to the flag's default.
void AddServeFlags(FlagSet* flags, ServeConfig* config);

// A config holding every default.
ServeConfig DefaultServeConfig();

// The checks no single flag can make: flags that go together, addresses
// that must be loopback, a way to know callers. INVALID_ARGUMENT names the
// flags and the rule.
absl::Status ValidateServeConfig(const ServeConfig& config);

}  // namespace forum_registry::server

#endif  // FORUM_REGISTRY_SERVER_SERVE_FLAGS_H_
