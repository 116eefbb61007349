#include <cstdio>

#include "src/server/flags.h"
#include "src/server/log.h"
#include "src/server/root.h"
#include "src/server/serve_flags.h"
#include "src/tools/commands.h"

namespace forum_registry::tools {

int ServeCommand(const std::vector<std::string>& args) {
  server::ServeConfig config;
  server::FlagSet flags("serve",
                        "Serves the forum-registry gRPC API, with server "
                        "reflection and the gRPC health service.");
  server::AddServeFlags(&flags, &config);
  // The flag tables of docs/operations.md, written from the same rows as
  // --help (script/docs-flags; the docs_flags test compares them).
  if (args.size() == 1 && args[0] == "--help-markdown") {
    std::fputs(flags.Markdown(4).c_str(), stdout);
    return 0;
  }
  std::vector<std::string> positional;
  bool help = false;
  if (absl::Status s = flags.Parse(args, &positional, &help); !s.ok()) {
    std::fprintf(stderr, "forum-registry serve: %s\n",
                 std::string(s.message()).c_str());
    return 2;
  }
  if (help) {
    std::fputs(flags.Usage("forum-registry").c_str(), stdout);
    return 0;
  }
  if (!positional.empty()) {
    std::fprintf(stderr, "forum-registry serve: unexpected argument '%s'\n",
                 positional[0].c_str());
    return 2;
  }
  if (absl::Status s = server::ValidateServeConfig(config); !s.ok()) {
    std::fprintf(stderr, "forum-registry serve: %s\n",
                 std::string(s.message()).c_str());
    return 2;
  }
  server::InitLogging(config.log_level);
  return server::RunServer(config);
}

}  // namespace forum_registry::tools
