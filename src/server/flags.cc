#include "src/server/flags.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace forum_registry::server {
namespace {

struct Unit {
  const char* suffix;
  int shift;
};
// Largest first: FormatSize takes the first that divides.
constexpr Unit kUnits[] = {{"GiB", 30}, {"MiB", 20}, {"KiB", 10}};

// What a value of `type` looks like, for errors and --help.
const char* ExpectedForm(FlagType type) {
  switch (type) {
    case FlagType::kString:
    case FlagType::kPath:
      return "text";
    case FlagType::kInt:
      return "a whole number, such as 4";
    case FlagType::kSize:
      return "a size in bytes, or with KiB, MiB or GiB, such as 32MiB";
    case FlagType::kDuration:
      return "a duration with its unit, such as 250ms, 30s, 5m or 720h";
    case FlagType::kBool:
      return "true or false";
  }
  return "";
}

// The value of `text` for a flag of `type`, as a number to compare with
// bounds: an integer, bytes, or nanoseconds. False if it does not parse.
bool ParseNumber(FlagType type, const std::string& text, int64_t* number) {
  switch (type) {
    case FlagType::kInt:
      return absl::SimpleAtoi(text, number);
    case FlagType::kSize:
      return ParseSize(text, number);
    case FlagType::kDuration: {
      absl::Duration d;
      if (!absl::ParseDuration(text, &d) || d < absl::ZeroDuration()) {
        return false;
      }
      *number = d == absl::InfiniteDuration()
                    ? std::numeric_limits<int64_t>::max()
                    : absl::ToInt64Nanoseconds(d);
      return true;
    }
    default:
      return false;
  }
}

// Removes Markdown's backquotes, for the terminal.
std::string Plain(const std::string& text) {
  return absl::StrReplaceAll(text, {{"`", ""}});
}

// `text` wrapped at `width` columns, each line after `indent`.
std::string Wrap(const std::string& text, const std::string& indent,
                 size_t width) {
  std::string out;
  size_t column = 0;
  for (absl::string_view word :
       absl::StrSplit(text, ' ', absl::SkipWhitespace())) {
    if (column > 0 && column + 1 + word.size() > width) {
      absl::StrAppend(&out, "\n");
      column = 0;
    }
    if (column == 0) {
      absl::StrAppend(&out, indent, word);
      column = indent.size() + word.size();
    } else {
      absl::StrAppend(&out, " ", word);
      column += 1 + word.size();
    }
  }
  return out;
}

// "at least 1", "at most 2GiB", "from 1KiB to 1GiB", or "".
std::string Bounds(const FlagSpec& spec) {
  if (!spec.min.empty() && !spec.max.empty()) {
    return absl::StrCat("from ", spec.min, " to ", spec.max);
  }
  if (!spec.min.empty()) return absl::StrCat("at least ", spec.min);
  if (!spec.max.empty()) return absl::StrCat("at most ", spec.max);
  return "";
}

}  // namespace

const char* FlagTypeName(FlagType type) {
  switch (type) {
    case FlagType::kString:
      return "string";
    case FlagType::kPath:
      return "path";
    case FlagType::kInt:
      return "integer";
    case FlagType::kSize:
      return "size";
    case FlagType::kDuration:
      return "duration";
    case FlagType::kBool:
      return "bool";
  }
  return "";
}

bool ParseSize(const std::string& text, int64_t* bytes) {
  absl::string_view number = text;
  int shift = 0;
  for (const Unit& unit : kUnits) {
    if (absl::ConsumeSuffix(&number, unit.suffix)) {
      shift = unit.shift;
      break;
    }
  }
  if (number.empty() || !std::all_of(number.begin(), number.end(), [](char c) {
        return absl::ascii_isdigit(c);
      })) {
    return false;
  }
  int64_t value = 0;
  if (!absl::SimpleAtoi(number, &value) || value < 0 ||
      value > (std::numeric_limits<int64_t>::max() >> shift)) {
    return false;
  }
  *bytes = value << shift;
  return true;
}

std::string FormatSize(int64_t bytes) {
  for (const Unit& unit : kUnits) {
    const int64_t one = int64_t{1} << unit.shift;
    if (bytes != 0 && bytes % one == 0) {
      return absl::StrCat(bytes / one, unit.suffix);
    }
  }
  return absl::StrCat(bytes);
}

FlagSet::FlagSet(std::string command, std::string summary)
    : command_(std::move(command)), summary_(std::move(summary)) {}

std::string FlagSet::EnvName(const std::string& flag) {
  return absl::StrCat(
      "FORUM_REGISTRY_",
      absl::AsciiStrToUpper(absl::StrReplaceAll(flag, {{"-", "_"}})));
}

void FlagSet::Add(FlagSpec spec, FlagTarget target) {
  const bool string_type =
      spec.type == FlagType::kString || spec.type == FlagType::kPath;
  const bool int_type =
      spec.type == FlagType::kInt || spec.type == FlagType::kSize;
  const bool fits =
      (string_type && std::holds_alternative<std::string*>(target)) ||
      (int_type && std::holds_alternative<int64_t*>(target)) ||
      (spec.type == FlagType::kDuration &&
       std::holds_alternative<absl::Duration*>(target)) ||
      (spec.type == FlagType::kBool && std::holds_alternative<bool*>(target));
  int64_t bound = 0;
  for (const std::string* b : {&spec.min, &spec.max}) {
    if (!b->empty() && !ParseNumber(spec.type, *b, &bound)) {
      std::fprintf(stderr, "flag --%s: bound \"%s\" does not parse\n",
                   spec.name.c_str(), b->c_str());
      std::abort();
    }
  }
  specs_.push_back(std::move(spec));
  targets_.push_back(target);
  const FlagSpec& added = specs_.back();
  if (!fits) {
    std::fprintf(stderr, "flag --%s: its target is not of type %s\n",
                 added.name.c_str(), FlagTypeName(added.type));
    std::abort();
  }
  if (absl::Status s = Set(specs_.size() - 1, added.default_value,
                           "default of --" + added.name);
      !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    std::abort();
  }
}

void FlagSet::String(const std::string& name, std::string* target,
                     const std::string& help) {
  Add({.name = name,
       .type = FlagType::kString,
       .default_value = *target,
       .help = help},
      target);
}

void FlagSet::Int(const std::string& name, int64_t* target,
                  const std::string& help) {
  Add({.name = name,
       .type = FlagType::kInt,
       .default_value = absl::StrCat(*target),
       .help = help},
      target);
}

void FlagSet::Duration(const std::string& name, absl::Duration* target,
                       const std::string& help) {
  Add({.name = name,
       .type = FlagType::kDuration,
       .default_value = absl::FormatDuration(*target),
       .help = help},
      target);
}

void FlagSet::Bool(const std::string& name, bool* target,
                   const std::string& help) {
  Add({.name = name,
       .type = FlagType::kBool,
       .default_value = *target ? "true" : "false",
       .help = help},
      target);
}

absl::Status FlagSet::Set(size_t i, const std::string& value,
                          const std::string& source) const {
  const FlagSpec& spec = specs_[i];
  const FlagTarget& target = targets_[i];
  const auto invalid = [&](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": \"", value, "\" ", why, " (default: ",
        spec.default_value.empty() ? "none" : spec.default_value, ")"));
  };
  switch (spec.type) {
    case FlagType::kString:
    case FlagType::kPath:
      *std::get<std::string*>(target) = value;
      return absl::OkStatus();
    case FlagType::kBool:
      if (!absl::SimpleAtob(value, std::get<bool*>(target))) {
        return invalid(absl::StrCat("is not ", ExpectedForm(spec.type)));
      }
      return absl::OkStatus();
    case FlagType::kInt:
    case FlagType::kSize:
    case FlagType::kDuration:
      break;
  }
  int64_t number = 0;
  if (!ParseNumber(spec.type, value, &number)) {
    return invalid(absl::StrCat("is not ", ExpectedForm(spec.type)));
  }
  int64_t bound = 0;
  if ((!spec.min.empty() && ParseNumber(spec.type, spec.min, &bound) &&
       number < bound) ||
      (!spec.max.empty() && ParseNumber(spec.type, spec.max, &bound) &&
       number > bound)) {
    return invalid(absl::StrCat("is out of range: it must be ", Bounds(spec)));
  }
  if (spec.type == FlagType::kDuration) {
    absl::Duration d;
    absl::ParseDuration(value, &d);
    *std::get<absl::Duration*>(target) = d;
  } else {
    *std::get<int64_t*>(target) = number;
  }
  return absl::OkStatus();
}

absl::Status FlagSet::Parse(const std::vector<std::string>& args,
                            std::vector<std::string>* positional, bool* help) {
  *help = false;
  for (size_t i = 0; i < specs_.size(); ++i) {
    const std::string env = EnvName(specs_[i].name);
    if (const char* value = std::getenv(env.c_str())) {
      if (absl::Status s = Set(i, value, env); !s.ok()) return s;
    }
  }
  for (size_t a = 0; a < args.size(); ++a) {
    const std::string& arg = args[a];
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
    size_t i = 0;
    while (i < specs_.size() && specs_[i].name != name) ++i;
    if (i == specs_.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--", name, ": unknown flag for '", command_, "'; see --help"));
    }
    if (!has_value) {
      if (specs_[i].type == FlagType::kBool) {
        value = "true";
      } else if (a + 1 < args.size()) {
        value = args[++a];
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, ": needs a value (",
                         ExpectedForm(specs_[i].type), ")"));
      }
    }
    if (absl::Status s = Set(i, value, absl::StrCat("--", name)); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> FlagSet::Groups() const {
  std::vector<std::string> groups;
  for (const FlagSpec& spec : specs_) {
    if (std::find(groups.begin(), groups.end(), spec.group) == groups.end()) {
      groups.push_back(spec.group);
    }
  }
  return groups;
}

std::string FlagSet::Usage(const std::string& program,
                           const std::string& positional_usage) const {
  std::string out = absl::StrCat("Usage: ", program, " ", command_, " [flags]",
                                 positional_usage.empty() ? "" : " ",
                                 positional_usage, "\n\n", summary_, "\n");
  for (const std::string& group : Groups()) {
    absl::StrAppend(&out, "\n", group.empty() ? "Flags" : group, ":\n");
    for (const FlagSpec& spec : specs_) {
      if (spec.group != group) continue;
      std::string type = absl::AsciiStrToUpper(FlagTypeName(spec.type));
      const std::string bounds = Bounds(spec);
      absl::StrAppend(
          &out, "  --", spec.name,
          spec.type == FlagType::kBool ? "" : absl::StrCat("=", type),
          "    (env ", EnvName(spec.name), ")\n",
          Wrap(Plain(spec.help), "      ", 78), "\n      default: ",
          spec.default_value.empty() ? "(none)" : spec.default_value,
          bounds.empty() ? "" : absl::StrCat("; ", bounds), "\n");
    }
  }
  return out;
}

std::string FlagSet::Markdown(int heading_level) const {
  std::string out;
  for (const std::string& group : Groups()) {
    if (!out.empty()) out += "\n";
    absl::StrAppend(&out, std::string(heading_level, '#'), " ",
                    group.empty() ? "Flags" : group, "\n\n",
                    "| flag | variable | type | default | meaning |\n"
                    "|---|---|---|---|---|\n");
    for (const FlagSpec& spec : specs_) {
      if (spec.group != group) continue;
      const std::string bounds = Bounds(spec);
      const std::string meaning =
          absl::StrReplaceAll(spec.help, {{"|", "\\|"}, {"\n", " "}});
      absl::StrAppend(&out, "| `--", spec.name, "` | `", EnvName(spec.name),
                      "` | ", FlagTypeName(spec.type), " | ",
                      spec.default_value.empty()
                          ? "(empty)"
                          : absl::StrCat("`", spec.default_value, "`"),
                      " | ", meaning,
                      bounds.empty() ? "" : absl::StrCat(" (", bounds, ")"),
                      " |\n");
    }
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
