#include "src/http/routes.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/api/annotations.pb.h"
#include "google/api/http.pb.h"

namespace forum_registry::http {
namespace {

using google::protobuf::MethodDescriptor;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One path segment percent-decoded; nullopt if an escape is malformed. A
// "/" it decodes to stays escaped: a segment never becomes two.
std::optional<std::string> DecodeSegment(absl::string_view segment) {
  std::string out;
  out.reserve(segment.size());
  for (size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] != '%') {
      out.push_back(segment[i]);
      continue;
    }
    if (i + 2 >= segment.size()) return std::nullopt;
    const int high = HexValue(segment[i + 1]);
    const int low = HexValue(segment[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    const char c = static_cast<char>(high * 16 + low);
    if (c == '/') {
      out.append(segment.data() + i, 3);
    } else {
      out.push_back(c);
    }
    i += 2;
  }
  return out;
}

bool IsFieldPath(absl::string_view text) {
  if (text.empty()) return false;
  for (absl::string_view part : absl::StrSplit(text, '.')) {
    if (part.empty() || absl::ascii_isdigit(part[0])) return false;
    for (char c : part) {
      if (!absl::ascii_isalnum(c) && c != '_') return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<PathTemplate> PathTemplate::Parse(absl::string_view text) {
  const auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("path template \"", text, "\": ", why));
  };
  PathTemplate parsed;
  parsed.text_ = std::string(text);
  if (!absl::StartsWith(text, "/")) return invalid("does not begin with /");
  absl::string_view rest = text.substr(1);
  // The verb: a colon after the last slash, outside any variable.
  const size_t last_slash = rest.rfind('/');
  const size_t last_close = rest.rfind('}');
  const size_t colon = rest.rfind(':');
  if (colon != absl::string_view::npos &&
      (last_slash == absl::string_view::npos || colon > last_slash) &&
      (last_close == absl::string_view::npos || colon > last_close)) {
    parsed.verb_ = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (parsed.verb_.empty()) return invalid("empty verb after ':'");
  }
  std::optional<Variable> open;
  size_t i = 0;
  while (i <= rest.size()) {
    size_t end = i;
    if (!open && i < rest.size() && rest[i] == '{') {
      const size_t close = rest.find('}', i);
      if (close == absl::string_view::npos) return invalid("unclosed {");
      const absl::string_view inside = rest.substr(i + 1, close - i - 1);
      const size_t equals = inside.find('=');
      const absl::string_view field = inside.substr(0, equals);
      if (!IsFieldPath(field)) {
        return invalid(absl::StrCat("\"", field, "\" is not a field path"));
      }
      const absl::string_view pattern = equals == absl::string_view::npos
                                            ? absl::string_view("*")
                                            : inside.substr(equals + 1);
      Variable variable{.field_path = std::string(field),
                        .first = parsed.segments_.size()};
      for (absl::string_view part : absl::StrSplit(pattern, '/')) {
        Segment segment;
        if (part == "*") {
          segment.kind = Segment::kOne;
        } else if (part == "**") {
          segment.kind = Segment::kRest;
        } else if (part.empty() || absl::StrContains(part, '{')) {
          return invalid(
              absl::StrCat("bad segment \"", part, "\" in {", inside, "}"));
        } else {
          segment.literal = std::string(part);
        }
        parsed.segments_.push_back(std::move(segment));
      }
      variable.end = parsed.segments_.size();
      parsed.variables_.push_back(std::move(variable));
      end = close + 1;
      if (end < rest.size() && rest[end] != '/') {
        return invalid("a variable must end its segment");
      }
    } else {
      end = rest.find('/', i);
      if (end == absl::string_view::npos) end = rest.size();
      const absl::string_view part = rest.substr(i, end - i);
      if (part.empty()) return invalid("empty segment");
      if (absl::StrContains(part, '{') || absl::StrContains(part, '}')) {
        return invalid(absl::StrCat("bad segment \"", part, "\""));
      }
      Segment segment;
      if (part == "*") {
        segment.kind = Segment::kOne;
      } else if (part == "**") {
        segment.kind = Segment::kRest;
      } else {
        segment.literal = std::string(part);
      }
      parsed.segments_.push_back(std::move(segment));
    }
    i = end + 1;
  }
  for (size_t s = 0; s + 1 < parsed.segments_.size(); ++s) {
    if (parsed.segments_[s].kind == Segment::kRest) {
      return invalid("** must be the last segment");
    }
  }
  return parsed;
}

std::optional<std::vector<std::pair<std::string, std::string>>>
PathTemplate::Match(absl::string_view path) const {
  if (!absl::ConsumePrefix(&path, "/")) return std::nullopt;
  if (!verb_.empty()) {
    if (!absl::ConsumeSuffix(&path, absl::StrCat(":", verb_))) {
      return std::nullopt;
    }
  }
  const std::vector<absl::string_view> parts = absl::StrSplit(path, '/');
  // The path's segments each template segment took: [begin, end).
  std::vector<std::pair<size_t, size_t>> taken(segments_.size());
  size_t p = 0;
  for (size_t s = 0; s < segments_.size(); ++s) {
    const Segment& segment = segments_[s];
    if (segment.kind == Segment::kRest) {
      if (p >= parts.size()) return std::nullopt;
      taken[s] = {p, parts.size()};
      p = parts.size();
      continue;
    }
    if (p >= parts.size() || parts[p].empty()) return std::nullopt;
    if (segment.kind == Segment::kLiteral && parts[p] != segment.literal) {
      return std::nullopt;
    }
    taken[s] = {p, p + 1};
    ++p;
  }
  if (p != parts.size()) return std::nullopt;
  std::vector<std::pair<std::string, std::string>> bindings;
  for (const Variable& variable : variables_) {
    std::vector<std::string> decoded;
    for (size_t s = variable.first; s < variable.end; ++s) {
      for (size_t q = taken[s].first; q < taken[s].second; ++q) {
        std::optional<std::string> one = DecodeSegment(parts[q]);
        if (!one) return std::nullopt;
        decoded.push_back(*std::move(one));
      }
    }
    bindings.emplace_back(variable.field_path, absl::StrJoin(decoded, "/"));
  }
  return bindings;
}

std::string GrpcPath(const MethodDescriptor& method) {
  return absl::StrCat("/", method.service()->full_name(), "/", method.name());
}

absl::StatusOr<RouteTable> RouteTable::FromServices(
    const std::vector<std::string>& services) {
  RouteTable table;
  const google::protobuf::DescriptorPool* pool =
      google::protobuf::DescriptorPool::generated_pool();
  for (const std::string& name : services) {
    const google::protobuf::ServiceDescriptor* service =
        pool->FindServiceByName(name);
    if (service == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("no service ", name, " in the generated pool"));
    }
    for (int m = 0; m < service->method_count(); ++m) {
      const MethodDescriptor* method = service->method(m);
      table.by_path_.emplace(GrpcPath(*method), method);
      if (!method->options().HasExtension(google::api::http)) continue;
      const google::api::HttpRule& top =
          method->options().GetExtension(google::api::http);
      std::vector<const google::api::HttpRule*> rules = {&top};
      for (const google::api::HttpRule& more : top.additional_bindings()) {
        rules.push_back(&more);
      }
      for (const google::api::HttpRule* rule : rules) {
        std::string verb, text;
        switch (rule->pattern_case()) {
          case google::api::HttpRule::kGet:
            verb = "GET", text = rule->get();
            break;
          case google::api::HttpRule::kPost:
            verb = "POST", text = rule->post();
            break;
          case google::api::HttpRule::kPatch:
            verb = "PATCH", text = rule->patch();
            break;
          case google::api::HttpRule::kPut:
            verb = "PUT", text = rule->put();
            break;
          case google::api::HttpRule::kDelete:
            verb = "DELETE", text = rule->delete_();
            break;
          case google::api::HttpRule::kCustom:
            verb = rule->custom().kind(), text = rule->custom().path();
            break;
          case google::api::HttpRule::PATTERN_NOT_SET:
            continue;
        }
        absl::StatusOr<PathTemplate> path = PathTemplate::Parse(text);
        if (!path.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat(method->full_name(), ": ", path.status().message()));
        }
        table.routes_.push_back(Route{.http_method = verb,
                                      .path = *std::move(path),
                                      .method = method,
                                      .body = rule->body()});
      }
    }
  }
  return table;
}

absl::StatusOr<RouteMatch> RouteTable::Find(absl::string_view http_method,
                                            absl::string_view path) const {
  std::set<std::string> allowed;
  // HEAD is answered as GET, without its body.
  const absl::string_view wanted = http_method == "HEAD" ? "GET" : http_method;
  for (const Route& route : routes_) {
    auto bindings = route.path.Match(path);
    if (!bindings) continue;
    if (route.http_method != wanted) {
      allowed.insert(route.http_method);
      continue;
    }
    return RouteMatch{.route = &route, .bindings = *std::move(bindings)};
  }
  if (!allowed.empty()) {
    return absl::UnimplementedError(absl::StrCat(http_method, " ", path,
                                                 ": the path takes ",
                                                 absl::StrJoin(allowed, ", ")));
  }
  return absl::NotFoundError(
      absl::StrCat("no route for ", http_method, " ", path,
                   " (the routes are listed in /openapi.json)"));
}

const MethodDescriptor* RouteTable::MethodByPath(
    absl::string_view grpc_path) const {
  const auto found = by_path_.find(grpc_path);
  return found == by_path_.end() ? nullptr : found->second;
}

}  // namespace forum_registry::http
