#ifndef FORUM_REGISTRY_TOOLS_COMMANDS_H_
#define FORUM_REGISTRY_TOOLS_COMMANDS_H_

// The subcommands of the `forum-registry` binary. Each takes the arguments
// after its name and returns the process exit code: 0 success, 1 failure,
// 2 bad usage.

#include <string>
#include <vector>

namespace forum_registry::tools {

int ServeCommand(const std::vector<std::string>& args);
int MigrateCommand(const std::vector<std::string>& args);
int ImportCommand(const std::vector<std::string>& args);
int ExportCommand(const std::vector<std::string>& args);
int OpenApiCommand(const std::vector<std::string>& args);

}  // namespace forum_registry::tools

#endif  // FORUM_REGISTRY_TOOLS_COMMANDS_H_
