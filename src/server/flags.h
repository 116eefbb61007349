#ifndef FORUM_REGISTRY_SERVER_FLAGS_H_
#define FORUM_REGISTRY_SERVER_FLAGS_H_

// Command-line flags with environment-variable equivalents.
//
// Every flag --some-name has the variable FORUM_REGISTRY_SOME_NAME; a flag on
// the command line wins over the variable, which wins over the default. Both
// `--name=value` and `--name value` are accepted; a bool flag alone means
// true. Anything not starting with `--` is a positional argument.
//
// A flag is one FlagSpec: its name, type, default, group and help. The
// default is written as an operator would type it ("32MiB", "720h"), and is
// parsed into the target when the flag is added, so the table is the one
// place a default lives; --help and the Markdown table of docs/ are rendered
// from the same specs (serve's: src/server/serve_flags.h).
//
//   FlagSet flags("export", "Writes the registry.");
//   flags.String("database-url", &url, "PostgreSQL URL");
//   absl::Status s = flags.Parse(args, &positional, &help);
//
// Types: strings and paths (a path is a string the docs call a file);
// integers (64-bit); sizes in bytes, with an optional IEC unit (`4096`,
// `16KiB`, `32MiB`, `1GiB`); durations as absl spells them (`250ms`, `30s`,
// `5m`, `720h`, `0`); booleans (true/false, yes/no, 1/0).
//
// Why not absl::flags: its flags are global to the binary and know nothing of
// environment variables or subcommands, and its --help lists Abseil's own
// flags too. This does exactly what an operator reads.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace forum_registry::server {

enum class FlagType { kString, kPath, kInt, kSize, kDuration, kBool };

// "string", "path", "integer", "size", "duration", "bool".
const char* FlagTypeName(FlagType type);

// Where a parsed value goes: a string (kString, kPath), an int64_t (kInt,
// kSize), a duration or a bool.
using FlagTarget = std::variant<std::string*, int64_t*, absl::Duration*, bool*>;

struct FlagSpec {
  std::string name;  // without the leading --
  FlagType type = FlagType::kString;
  // As typed on the command line; parsed into the target by FlagSet::Add.
  std::string default_value;
  // The heading the flag is listed under in --help and the docs.
  std::string group;
  // One paragraph; `code` in backquotes, as in Markdown.
  std::string help;
  // The least and the most an int, size or duration may be, in the flag's
  // own syntax; empty: no bound.
  std::string min;
  std::string max;
};

class FlagSet {
 public:
  FlagSet(std::string command, std::string summary);

  // Adds `spec`, and sets *target to its default. A default that does not
  // parse, or a target of the wrong type, stops the program (a mistake in
  // the table, which flags_test and serve_flags_test catch).
  void Add(FlagSpec spec, FlagTarget target);

  // Shorthands for flags of no group and no bounds, with the target's
  // current value as the default.
  void String(const std::string& name, std::string* target,
              const std::string& help);
  void Int(const std::string& name, int64_t* target, const std::string& help);
  void Duration(const std::string& name, absl::Duration* target,
                const std::string& help);
  void Bool(const std::string& name, bool* target, const std::string& help);

  // Reads the environment, then `args` (without the program and command).
  // Sets *help when --help or -h is given. INVALID_ARGUMENT names the flag or
  // variable, the value and the form expected.
  absl::Status Parse(const std::vector<std::string>& args,
                     std::vector<std::string>* positional, bool* help);

  // The --help text: every flag by group, its variable, its type, its
  // default and its meaning.
  std::string Usage(const std::string& program,
                    const std::string& positional_usage = "") const;

  // The flags as Markdown: a heading (`heading_level` #s) and a table per
  // group, in the order the groups first appear.
  std::string Markdown(int heading_level = 3) const;

  const std::vector<FlagSpec>& specs() const { return specs_; }

  // FORUM_REGISTRY_SOME_NAME for "some-name".
  static std::string EnvName(const std::string& flag);

 private:
  // Parses `value` for flag `i` into its target; `source` ("--name" or the
  // variable) names it in the error.
  absl::Status Set(size_t i, const std::string& value,
                   const std::string& source) const;
  std::vector<std::string> Groups() const;

  std::string command_;
  std::string summary_;
  std::vector<FlagSpec> specs_;
  std::vector<FlagTarget> targets_;
};

// Parses a size: bytes, or a number with KiB, MiB or GiB ("32MiB"); false
// for anything else, or a negative size.
bool ParseSize(const std::string& text, int64_t* bytes);
// "32MiB" for 32 << 20: the largest unit that divides `bytes`.
std::string FormatSize(int64_t bytes);

// Whether `address` ("host:port") names this host's loopback interface only:
// 127.0.0.0/8, [::1] or localhost.
bool IsLoopbackAddress(const std::string& address);

}  // namespace forum_registry::server

#endif  // FORUM_REGISTRY_SERVER_FLAGS_H_
