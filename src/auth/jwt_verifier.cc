#include "src/auth/jwt_verifier.h"

#include <jwt.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "src/auth/jwks.h"

namespace forum_registry::auth {
namespace {

using google::protobuf::Value;

struct JwtFree {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtFree>;

absl::Status Refused(absl::string_view why) {
  return absl::UnauthenticatedError(absl::StrCat("bearer token: ", why));
}

bool IsAccepted(jwt_alg_t alg) {
  switch (alg) {
    case JWT_ALG_RS256:
    case JWT_ALG_RS384:
    case JWT_ALG_RS512:
    case JWT_ALG_ES256:
    case JWT_ALG_ES384:
    case JWT_ALG_ES512:
      return true;
    default:
      return false;
  }
}

// Every claim of `jwt` as a JSON object.
bool AllClaims(jwt_t* jwt, google::protobuf::Struct* out) {
  char* json = jwt_get_grants_json(jwt, nullptr);
  if (json == nullptr) return false;
  const bool ok = google::protobuf::util::JsonStringToMessage(json, out).ok();
  free(json);
  return ok;
}

// The claim at the dotted `path`, or null.
const Value* ClaimAt(const google::protobuf::Struct& claims,
                     absl::string_view path) {
  const google::protobuf::Struct* object = &claims;
  const Value* value = nullptr;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    if (object == nullptr) return nullptr;
    const auto found = object->fields().find(std::string(part));
    if (found == object->fields().end()) return nullptr;
    value = &found->second;
    object = value->has_struct_value() ? &value->struct_value() : nullptr;
  }
  return value;
}

// Seconds since the epoch in a numeric claim.
std::optional<absl::Time> TimeClaim(const google::protobuf::Struct& claims,
                                    absl::string_view name) {
  const Value* value = ClaimAt(claims, name);
  if (value == nullptr || !value->has_number_value()) return std::nullopt;
  return absl::FromUnixSeconds(static_cast<int64_t>(value->number_value()));
}

Role HighestRole(const Value* claim) {
  std::vector<std::string> names;
  if (claim == nullptr) return Role::kNone;
  if (claim->has_string_value()) {
    names = absl::StrSplit(claim->string_value(), ' ', absl::SkipEmpty());
  } else if (claim->has_list_value()) {
    for (const Value& item : claim->list_value().values()) {
      if (item.has_string_value()) names.push_back(item.string_value());
    }
  }
  Role highest = Role::kNone;
  for (const std::string& name : names) {
    const std::optional<Role> role = ParseRole(name);
    if (role.has_value() && *role > highest) highest = *role;
  }
  return highest;
}

}  // namespace

JwtVerifier::JwtVerifier(JwtOptions options, std::vector<std::string> keys)
    : options_(std::move(options)), keys_(std::move(keys)) {}

absl::StatusOr<std::unique_ptr<JwtVerifier>> JwtVerifier::Create(
    JwtOptions options) {
  if (options.public_key_files.empty()) {
    return absl::InvalidArgumentError("--jwt-public-keys: no key file given");
  }
  if (options.issuer.empty()) {
    return absl::InvalidArgumentError(
        "--jwt-issuer: required with --jwt-public-keys");
  }
  if (options.audience.empty()) {
    return absl::InvalidArgumentError(
        "--jwt-audience: required with --jwt-public-keys");
  }
  std::vector<std::string> keys;
  for (const std::string& path : options.public_key_files) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    if (file &&
        text.str().find("-----BEGIN PUBLIC KEY-----") != std::string::npos) {
      keys.push_back(text.str());
      continue;
    }
    // Else a JWK Set, as issuers publish them.
    absl::StatusOr<std::vector<std::string>> set = JwksToPem(text.str());
    if (!file || !set.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--jwt-public-keys: ", path,
          " is not a readable PEM public key (-----BEGIN PUBLIC KEY-----) "
          "nor a JWK Set",
          set.ok() ? "" : absl::StrCat(" (", set.status().message(), ")")));
    }
    keys.insert(keys.end(), set->begin(), set->end());
  }
  return std::unique_ptr<JwtVerifier>(
      new JwtVerifier(std::move(options), std::move(keys)));
}

absl::StatusOr<Claims> JwtVerifier::Verify(const std::string& token,
                                           absl::Time now) const {
  // First the header alone, unverified, for its algorithm.
  jwt_t* raw = nullptr;
  if (jwt_decode(&raw, token.c_str(), nullptr, 0) != 0 || raw == nullptr) {
    return Refused("not a well-formed JWT");
  }
  JwtPtr unverified(raw);
  // (Unverified, libjwt leaves the object's algorithm at none.)
  const char* alg_name = jwt_get_header(unverified.get(), "alg");
  const jwt_alg_t alg =
      alg_name == nullptr ? JWT_ALG_INVAL : jwt_str_alg(alg_name);
  if (!IsAccepted(alg)) {
    return Refused(absl::StrCat(
        "algorithm ", alg_name == nullptr ? "(none given)" : alg_name,
        " is not accepted (RS256, RS384, RS512, ES256, ES384, ES512 are)"));
  }
  JwtPtr verified;
  for (const std::string& key : keys_) {
    raw = nullptr;
    if (jwt_decode(&raw, token.c_str(),
                   reinterpret_cast<const unsigned char*>(key.data()),
                   static_cast<int>(key.size())) == 0 &&
        raw != nullptr) {
      verified.reset(raw);
      break;
    }
    if (raw != nullptr) jwt_free(raw);
  }
  if (verified == nullptr || jwt_get_alg(verified.get()) != alg) {
    return Refused("the signature matches none of the configured keys");
  }
  google::protobuf::Struct claims;
  if (!AllClaims(verified.get(), &claims)) {
    return Refused("the claims are not a JSON object");
  }
  const Value* issuer = ClaimAt(claims, "iss");
  if (issuer == nullptr || issuer->string_value() != options_.issuer) {
    return Refused(absl::StrCat("the issuer (iss) is not ", options_.issuer));
  }
  const Value* audience = ClaimAt(claims, "aud");
  bool audience_ok = false;
  if (audience != nullptr && audience->has_string_value()) {
    audience_ok = audience->string_value() == options_.audience;
  } else if (audience != nullptr && audience->has_list_value()) {
    for (const Value& item : audience->list_value().values()) {
      audience_ok |= item.string_value() == options_.audience;
    }
  }
  if (!audience_ok) {
    return Refused(absl::StrCat("the audience (aud) does not include ",
                                options_.audience));
  }
  const std::optional<absl::Time> expires = TimeClaim(claims, "exp");
  if (!expires.has_value()) return Refused("it has no expiry (exp)");
  if (now > *expires + options_.leeway) {
    return Refused(absl::StrCat(
        "it expired at ",
        absl::FormatTime(absl::RFC3339_sec, *expires, absl::UTCTimeZone())));
  }
  const std::optional<absl::Time> not_before = TimeClaim(claims, "nbf");
  if (not_before.has_value() && now + options_.leeway < *not_before) {
    return Refused(absl::StrCat(
        "it is not valid before ",
        absl::FormatTime(absl::RFC3339_sec, *not_before, absl::UTCTimeZone())));
  }
  const Value* subject = ClaimAt(claims, "sub");
  if (subject == nullptr || subject->string_value().empty()) {
    return Refused("it names no caller (sub)");
  }
  return Claims{.subject = subject->string_value(),
                .role = HighestRole(ClaimAt(claims, options_.roles_claim))};
}

}  // namespace forum_registry::auth
