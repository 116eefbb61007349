#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "src/api/openapi.h"
#include "src/server/flags.h"
#include "src/tools/commands.h"

namespace forum_registry::tools {

int OpenApiCommand(const std::vector<std::string>& args) {
  server::FlagSet flags(
      "openapi",
      "Prints the API's OpenAPI 3.1 document (JSON) to standard output: the "
      "HTTP routes of every RPC and the JSON of their messages, generated "
      "from the protos this binary was built with. The same document the "
      "server serves at /openapi.json.");
  std::vector<std::string> positional;
  bool help = false;
  if (absl::Status s = flags.Parse(args, &positional, &help); !s.ok()) {
    std::fprintf(stderr, "forum-registry openapi: %s\n",
                 std::string(s.message()).c_str());
    return 2;
  }
  if (help) {
    std::fputs(flags.Usage("forum-registry").c_str(), stdout);
    return 0;
  }
  if (!positional.empty()) {
    std::fputs("forum-registry openapi: takes no arguments\n", stderr);
    return 2;
  }
  const absl::string_view document = api::OpenApiDocument();
  if (std::fwrite(document.data(), 1, document.size(), stdout) !=
          document.size() ||
      std::fflush(stdout) != 0) {
    std::fputs("forum-registry openapi: cannot write to standard output\n",
               stderr);
    return 1;
  }
  return 0;
}

}  // namespace forum_registry::tools
