#include "src/server/flags.h"

#include <arpa/inet.h>

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace forum_registry::server {

FlagSet::FlagSet(std::string command, std::string summary)
    : command_(std::move(command)), summary_(std::move(summary)) {}

std::string FlagSet::EnvName(const std::string& flag) {
  return absl::StrCat(
      "FORUM_REGISTRY_",
      absl::AsciiStrToUpper(absl::StrReplaceAll(flag, {{"-", "_"}})));
}

void FlagSet::String(const std::string& name, std::string* target,
                     const std::string& help) {
  flags_.push_back({name, help, *target, false, [target](const std::string& v) {
                      *target = v;
                      return true;
                    }});
}

void FlagSet::Int(const std::string& name, int* target,
                  const std::string& help) {
  flags_.push_back(
      {name, help, absl::StrCat(*target), false,
       [target](const std::string& v) { return absl::SimpleAtoi(v, target); }});
}

void FlagSet::Duration(const std::string& name, absl::Duration* target,
                       const std::string& help) {
  flags_.push_back({name, help, absl::FormatDuration(*target), false,
                    [target](const std::string& v) {
                      absl::Duration d;
                      if (!absl::ParseDuration(v, &d) ||
                          d < absl::ZeroDuration()) {
                        return false;
                      }
                      *target = d;
                      return true;
                    }});
}

void FlagSet::Bool(const std::string& name, bool* target,
                   const std::string& help) {
  flags_.push_back(
      {name, help, *target ? "true" : "false", true,
       [target](const std::string& v) { return absl::SimpleAtob(v, target); }});
}

absl::Status FlagSet::Set(const Flag& flag, const std::string& value,
                          const std::string& source) {
  if (!flag.set(value)) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": \"", value,
        "\" is not a valid value (default: ", flag.default_value, ")"));
  }
  return absl::OkStatus();
}

absl::Status FlagSet::Parse(const std::vector<std::string>& args,
                            std::vector<std::string>* positional, bool* help) {
  *help = false;
  for (const Flag& flag : flags_) {
    const std::string env = EnvName(flag.name);
    if (const char* value = std::getenv(env.c_str())) {
      if (absl::Status s = Set(flag, value, env); !s.ok()) return s;
    }
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      *help = true;
      continue;
    }
    if (!absl::StartsWith(arg, "--")) {
      positional->push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    const Flag* flag = nullptr;
    for (const Flag& f : flags_) {
      if (f.name == name) flag = &f;
    }
    if (flag == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--", name, ": unknown flag for '", command_, "'; see --help"));
    }
    if (!has_value) {
      if (flag->is_bool) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, ": needs a value"));
      }
    }
    if (absl::Status s = Set(*flag, value, absl::StrCat("--", name)); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

std::string FlagSet::Usage(const std::string& program,
                           const std::string& positional_usage) const {
  std::string out =
      absl::StrCat("Usage: ", program, " ", command_, " [flags]",
                   positional_usage.empty() ? "" : " ", positional_usage,
                   "\n\n", summary_, "\n\nFlags:\n");
  for (const Flag& flag : flags_) {
    absl::StrAppend(
        &out, "  --", flag.name, flag.is_bool ? "" : "=VALUE", "    (env ",
        EnvName(flag.name), ")\n      ", flag.help, "\n      default: ",
        flag.default_value.empty() ? "(none)" : flag.default_value, "\n");
  }
  return out;
}

bool IsLoopbackAddress(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size()) return false;
  for (char c : address.substr(colon + 1)) {
    if (c < '0' || c > '9') return false;
  }
  const std::string host = address.substr(0, colon);
  if (host == "localhost" || host == "[::1]") return true;
  in_addr ipv4{};
  return inet_pton(AF_INET, host.c_str(), &ipv4) == 1 &&
         (ntohl(ipv4.s_addr) >> 24) == 127;
}

}  // namespace forum_registry::server
