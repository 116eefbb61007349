// forum-registry: the service and its tools, in one binary.
//
//   forum-registry serve     serve the gRPC API
//   forum-registry migrate   bring the database schema up to date
//   forum-registry import    load datasets
//   forum-registry export    write the registry as a dataset
//   forum-registry openapi   print the API's OpenAPI document
//
// `forum-registry COMMAND --help` lists each command's flags and their
// environment variables.

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "src/server/log.h"
#include "src/tools/commands.h"

namespace {

constexpr char kUsage[] =
    "Usage: forum-registry COMMAND [flags]\n"
    "\n"
    "Keeps the metadata of multilateral forums in PostgreSQL and serves it\n"
    "over gRPC.\n"
    "\n"
    "Commands:\n"
    "  serve     serve the gRPC API (with reflection and health)\n"
    "  migrate   apply the database migrations built into this binary\n"
    "  import    load datasets (protobuf text format or JSON) in one "
    "transaction\n"
    "  export    write the whole registry as a dataset\n"
    "  openapi   print the API's OpenAPI 3.1 document (JSON)\n"
    "\n"
    "Run 'forum-registry COMMAND --help' for a command's flags. Every flag\n"
    "--some-flag can also be set as FORUM_REGISTRY_SOME_FLAG.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  // Debian builds Abseil with the deadlock detection of absl::Mutex on: a
  // graph of lock order kept on every lock, by gRPC as much as by us (a few
  // per cent of a server's CPU in the profiles of docs/benchmarks.md). A
  // debug build of forum-registry keeps it; a release build turns it off
  // before any thread starts.
#ifdef NDEBUG
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
  const std::string command = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  // A database that does not answer must not hang a connect for minutes
  // (every command's connections; serve's also get the other settings of
  // store::WithConnectionDefaults).
  setenv("PGCONNECT_TIMEOUT", "3", /*overwrite=*/0);
  forum_registry::server::InitLogging("info");
  if (command == "serve") return forum_registry::tools::ServeCommand(args);
  if (command == "migrate") return forum_registry::tools::MigrateCommand(args);
  if (command == "import") return forum_registry::tools::ImportCommand(args);
  if (command == "export") return forum_registry::tools::ExportCommand(args);
  if (command == "openapi") return forum_registry::tools::OpenApiCommand(args);
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::fprintf(stderr, "forum-registry: unknown command '%s'\n\n%s",
               command.c_str(), kUsage);
  return 2;
}
