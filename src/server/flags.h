#ifndef FORUM_REGISTRY_SERVER_FLAGS_H_
#define FORUM_REGISTRY_SERVER_FLAGS_H_

// Command-line flags with environment-variable equivalents.
//
// Every flag --some-name has the variable FORUM_REGISTRY_SOME_NAME; a flag on
// the command line wins over the variable, which wins over the default. Both
// `--name=value` and `--name value` are accepted; a bool flag alone means
// true. Anything not starting with `--` is a positional argument.
//
//   FlagSet flags("serve", "Serves the gRPC API.");
//   flags.String("database-url", &config.database_url, "PostgreSQL URL");
//   absl::Status s = flags.Parse(args, &positional);
//
// Why not absl::flags: its flags are global to the binary and know nothing of
// environment variables or subcommands, and its --help lists Abseil's own
// flags too. This is a few dozen lines that do exactly what an operator reads.

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace forum_registry::server {

class FlagSet {
 public:
  FlagSet(std::string command, std::string summary);

  void String(const std::string& name, std::string* target,
              const std::string& help);
  void Int(const std::string& name, int* target, const std::string& help);
  void Duration(const std::string& name, absl::Duration* target,
                const std::string& help);
  void Bool(const std::string& name, bool* target, const std::string& help);

  // Reads the environment, then `args` (without the program and command).
  // Sets *help when --help or -h is given. INVALID_ARGUMENT names the flag or
  // variable and the value's problem.
  absl::Status Parse(const std::vector<std::string>& args,
                     std::vector<std::string>* positional, bool* help);

  // The --help text: every flag, its variable, its default and its meaning.
  std::string Usage(const std::string& program,
                    const std::string& positional_usage = "") const;

  // FORUM_REGISTRY_SOME_NAME for "some-name".
  static std::string EnvName(const std::string& flag);

 private:
  struct Flag {
    std::string name;
    std::string help;
    std::string default_value;
    bool is_bool = false;
    std::function<bool(const std::string&)> set;  // false: bad value
  };
  absl::Status Set(const Flag& flag, const std::string& value,
                   const std::string& source);

  std::string command_;
  std::string summary_;
  std::vector<Flag> flags_;
};

// Whether `address` ("host:port") names this host's loopback interface only:
// 127.0.0.0/8, [::1] or localhost.
bool IsLoopbackAddress(const std::string& address);

}  // namespace forum_registry::server

#endif  // FORUM_REGISTRY_SERVER_FLAGS_H_
