#include "src/auth/jwt_verifier.h"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "src/auth/jose.h"

namespace forum_registry::auth {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

absl::Status Refused(absl::string_view why) {
  return absl::UnauthenticatedError(absl::StrCat("bearer token: ", why));
}

// A value from the token, fit to quote in a message: escaped, and cut
// short.
std::string Quoted(absl::string_view text) {
  constexpr size_t kMost = 40;
  return absl::StrCat("\"", absl::CHexEscape(text.substr(0, kMost)),
                      text.size() > kMost ? "..." : "", "\"");
}

bool IsAccepted(absl::string_view alg) {
  for (absl::string_view accepted :
       {"RS256", "RS384", "RS512", "ES256", "ES384", "ES512"}) {
    if (alg == accepted) return true;
  }
  return false;
}

// The media types of a JWT (RFC 7519 §5.1) and of an access token (RFC 9068
// §2.1), with or without "application/", in any case (RFC 7515 §4.1.9).
bool IsAcceptedType(absl::string_view typ) {
  const std::string type = absl::AsciiStrToLower(typ);
  for (absl::string_view accepted :
       {"jwt", "application/jwt", "at+jwt", "application/at+jwt"}) {
    if (type == accepted) return true;
  }
  return false;
}

// The base64url `part` of a token as a JSON object.
bool DecodeObject(absl::string_view part, Struct* out) {
  std::string json;
  if (!Base64UrlDecode(part, &json)) return false;
  return google::protobuf::util::JsonStringToMessage(json, out).ok();
}

// The string member `name` of `object`: nullopt when absent, "" (and *ok
// false) when not a string.
std::optional<std::string> StringMember(const Struct& object, const char* name,
                                        bool* ok) {
  const auto found = object.fields().find(name);
  if (found == object.fields().end()) return std::nullopt;
  if (!found->second.has_string_value()) {
    *ok = false;
    return std::string();
  }
  return found->second.string_value();
}

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using DigestContext =
    std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using EcdsaSignature =
    std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;

// Whether `signature` is `alg`'s signature of `input` by `key`, whose type
// the caller has matched to `alg` (PublicKey::algorithms).
bool SignatureVerifies(EVP_PKEY* key, absl::string_view alg,
                       absl::string_view input, const std::string& signature) {
  const EVP_MD* digest = absl::EndsWith(alg, "256")   ? EVP_sha256()
                         : absl::EndsWith(alg, "384") ? EVP_sha384()
                                                      : EVP_sha512();
  std::string der;
  absl::string_view checked = signature;
  if (absl::StartsWith(alg, "ES")) {
    // JWS carries R and S side by side, each as long as the curve's order
    // (RFC 7518 §3.4); OpenSSL reads them as a DER ECDSA-Sig-Value.
    const size_t half = alg == "ES256" ? 32 : alg == "ES384" ? 48 : 66;
    if (signature.size() != 2 * half) return false;
    const auto* bytes =
        reinterpret_cast<const unsigned char*>(signature.data());
    EcdsaSignature ecdsa(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(bytes, static_cast<int>(half), nullptr);
    BIGNUM* s = BN_bin2bn(bytes + half, static_cast<int>(half), nullptr);
    if (ecdsa == nullptr || r == nullptr || s == nullptr ||
        ECDSA_SIG_set0(ecdsa.get(), r, s) != 1) {
      BN_free(r);
      BN_free(s);
      return false;
    }
    const int length = i2d_ECDSA_SIG(ecdsa.get(), nullptr);
    if (length <= 0) return false;
    der.resize(static_cast<size_t>(length));
    auto* out = reinterpret_cast<unsigned char*>(der.data());
    if (i2d_ECDSA_SIG(ecdsa.get(), &out) != length) return false;
    checked = der;
  }
  DigestContext context(EVP_MD_CTX_new());
  EVP_PKEY_CTX* key_context = nullptr;  // the digest context's
  if (context == nullptr || EVP_DigestVerifyInit(context.get(), &key_context,
                                                 digest, nullptr, key) != 1) {
    return false;
  }
  // RS*: RSASSA-PKCS1-v1_5 (RFC 7518 §3.3), said rather than assumed.
  if (absl::StartsWith(alg, "RS") &&
      EVP_PKEY_CTX_set_rsa_padding(key_context, RSA_PKCS1_PADDING) != 1) {
    return false;
  }
  return EVP_DigestVerify(
             context.get(),
             reinterpret_cast<const unsigned char*>(checked.data()),
             checked.size(),
             reinterpret_cast<const unsigned char*>(input.data()),
             input.size()) == 1;
}

// The claim at the dotted `path`, or null.
const Value* ClaimAt(const Struct& claims, absl::string_view path) {
  const Struct* object = &claims;
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

// The NumericDate claim `name` (RFC 7519 §2: seconds since the epoch,
// fractions allowed), `what` in messages; nullopt when absent. A value that
// is not a number, or whose seconds do not fit 64 bits, is refused naming
// the claim: it is never cast as it stands.
absl::StatusOr<std::optional<absl::Time>> TimeClaim(const Struct& claims,
                                                    const char* name,
                                                    absl::string_view what) {
  const Value* value = ClaimAt(claims, name);
  if (value == nullptr) return std::nullopt;
  if (!value->has_number_value()) {
    return Refused(absl::StrCat(what, " (", name,
                                ") is not a number of seconds since 1970"));
  }
  const double seconds = value->number_value();
  constexpr double kBound = 9223372036854775808.0;  // 2^63
  if (!std::isfinite(seconds) || seconds < -kBound || seconds >= kBound) {
    return Refused(absl::StrCat(
        what, " (", name,
        ") is out of range: seconds since 1970 must fit in 64 bits"));
  }
  return absl::FromUnixSeconds(static_cast<int64_t>(std::floor(seconds)));
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

// The text of the key file at `path`: a regular file (a symbolic link to
// one, as Kubernetes mounts a ConfigMap's) of kKeyFileMostBytes at most;
// INVALID_ARGUMENT naming the path and the rule otherwise. Opened without
// blocking, so that a FIFO put in its place cannot hang the reload.
absl::StatusOr<std::string> ReadText(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, " is not a readable file (", std::strerror(errno), ")"));
  }
  struct stat status;
  std::string text;
  absl::Status result;
  if (fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) {
    result = absl::InvalidArgumentError(absl::StrCat(
        path,
        " is not a regular file (a directory, a device or a pipe is not "
        "read as keys)"));
  } else {
    // Read to one byte past the limit: the file may grow after fstat.
    char buffer[16384];
    while (text.size() <= kKeyFileMostBytes) {
      const ssize_t got = read(fd, buffer, sizeof(buffer));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        result = absl::InvalidArgumentError(absl::StrCat(
            path, " is not a readable file (", std::strerror(errno), ")"));
        break;
      }
      if (got == 0) break;
      text.append(buffer, static_cast<size_t>(got));
    }
    if (result.ok() && text.size() > kKeyFileMostBytes) {
      result = absl::InvalidArgumentError(
          absl::StrCat(path, " is larger than ", kKeyFileMostBytes,
                       " bytes (1 MiB), the most a key file may hold"));
    }
  }
  close(fd);
  if (!result.ok()) return result;
  return text;
}

// The keys of the file at `path` whose text was read as `text`, or why
// not.
absl::StatusOr<KeyFileContents> ReadKeyFile(
    const std::string& path, const absl::StatusOr<std::string>& text) {
  if (!text.ok()) return text.status();
  absl::StatusOr<KeyFileContents> contents = ReadPublicKeys(*text);
  if (!contents.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path,
        " is not a readable PEM public key (-----BEGIN PUBLIC KEY-----) nor "
        "a JWK Set with a usable key (",
        contents.status().message(), ")"));
  }
  return contents;
}

}  // namespace

JwtVerifier::JwtVerifier(JwtOptions options, std::vector<KeyFile> files)
    : options_(std::move(options)) {
  {
    absl::MutexLock lock(&reload_mu_);
    files_ = std::move(files);
    Publish();
  }
  if (options_.refresh_interval > absl::ZeroDuration()) {
    refresher_ = std::thread([this] {
      while (!stop_.WaitForNotificationWithTimeout(options_.refresh_interval)) {
        Reload();
      }
    });
  }
}

JwtVerifier::~JwtVerifier() {
  stop_.Notify();
  if (refresher_.joinable()) refresher_.join();
}

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
  std::vector<KeyFile> files;
  for (const std::string& path : options.public_key_files) {
    absl::StatusOr<std::string> text = ReadText(path);
    absl::StatusOr<KeyFileContents> contents = ReadKeyFile(path, text);
    if (!contents.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--jwt-public-keys: ", contents.status().message()));
    }
    if (options.on_read) {
      options.on_read({.path = path,
                       .keys = static_cast<int>(contents->keys.size()),
                       .skipped = contents->skipped});
    }
    files.push_back({.path = path,
                     .text = *std::move(text),
                     .contents = *std::move(contents)});
  }
  return std::unique_ptr<JwtVerifier>(
      new JwtVerifier(std::move(options), std::move(files)));
}

void JwtVerifier::Reload() {
  absl::MutexLock lock(&reload_mu_);
  bool changed = false;
  for (KeyFile& file : files_) {
    absl::StatusOr<std::string> text = ReadText(file.path);
    if (text.ok() && *text == file.text) continue;
    absl::StatusOr<KeyFileContents> contents = ReadKeyFile(file.path, text);
    KeyFileRead read = {.path = file.path, .reload = true};
    if (!contents.ok()) {
      reload_failures_.fetch_add(1, std::memory_order_relaxed);
      read.status = contents.status();
      read.keys = static_cast<int>(file.contents.keys.size());  // kept
    } else {
      reloads_.fetch_add(1, std::memory_order_relaxed);
      read.keys = static_cast<int>(contents->keys.size());
      read.skipped = contents->skipped;
      file.text = *std::move(text);
      file.contents = *std::move(contents);
      changed = true;
    }
    if (options_.on_read) options_.on_read(read);
  }
  if (changed) Publish();
}

void JwtVerifier::Publish() {
  auto keys = std::make_shared<Keys>();
  int64_t skipped = 0;
  for (const KeyFile& file : files_) {
    keys->insert(keys->end(), file.contents.keys.begin(),
                 file.contents.keys.end());
    skipped += static_cast<int64_t>(file.contents.skipped.size());
  }
  skipped_.store(skipped, std::memory_order_relaxed);
  absl::MutexLock lock(&mu_);
  keys_ = std::move(keys);
}

std::shared_ptr<const JwtVerifier::Keys> JwtVerifier::keys() const {
  absl::ReaderMutexLock lock(&mu_);
  return keys_;
}

JwtVerifier::Stats JwtVerifier::stats() const {
  return {.keys = static_cast<int64_t>(keys()->size()),
          .skipped = skipped_.load(std::memory_order_relaxed),
          .reloads = reloads_.load(std::memory_order_relaxed),
          .reload_failures = reload_failures_.load(std::memory_order_relaxed)};
}

absl::StatusOr<Claims> JwtVerifier::Verify(const std::string& token,
                                           absl::Time now) const {
  const OpenSslErrorScope errors;  // SignatureVerifies leaves none behind
  if (token.size() > kTokenMostBytes) {
    return Refused(absl::StrCat("longer than ", kTokenMostBytes,
                                " bytes, the most a token may have"));
  }
  // header.payload.signature (RFC 7515 §7.1), the header read first, before
  // anything is verified, for its algorithm and key id.
  const std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  Struct header;
  if (parts.size() != 3 || !DecodeObject(parts[0], &header)) {
    return Refused("not a well-formed JWT");
  }
  bool strings = true;
  const std::optional<std::string> alg = StringMember(header, "alg", &strings);
  const std::optional<std::string> typ = StringMember(header, "typ", &strings);
  const std::optional<std::string> kid = StringMember(header, "kid", &strings);
  if (!strings) {
    return Refused("its header's alg, typ and kid must be strings");
  }
  if (!alg.has_value() || !IsAccepted(*alg)) {
    return Refused(absl::StrCat(
        "algorithm ",
        alg.has_value() ? absl::CHexEscape(alg->substr(0, 16)) : "(none given)",
        " is not accepted (RS256, RS384, RS512, ES256, ES384, ES512 are)"));
  }
  if (typ.has_value() && !IsAcceptedType(*typ)) {
    return Refused(
        absl::StrCat("its type (typ) ", Quoted(*typ),
                     " is not accepted (JWT and at+jwt are, in any case)"));
  }
  if (header.fields().count("crit") > 0) {
    return Refused(
        "it names critical header parameters (crit), and this server "
        "understands none");
  }
  std::string payload;
  if (!Base64UrlDecode(parts[1], &payload)) {
    return Refused("not a well-formed JWT (its claims are not base64url)");
  }
  std::string signature;
  if (!Base64UrlDecode(parts[2], &signature) || signature.empty()) {
    return Refused("not a well-formed JWT (no signature, or not base64url)");
  }

  // The keys it may have been signed with (jwt_verifier.h).
  const std::shared_ptr<const Keys> keys = this->keys();
  std::vector<const PublicKey*> candidates;
  const auto take = [&](auto&& wanted) {
    for (const PublicKey& key : *keys) {
      if (wanted(key)) candidates.push_back(&key);
    }
  };
  if (kid.has_value()) {
    take([&](const PublicKey& key) { return key.kid == *kid; });
    if (candidates.empty()) {
      take([](const PublicKey& key) { return key.kid.empty(); });
    }
    if (candidates.empty()) {
      return Refused(absl::StrCat("no configured key has its key id (kid) ",
                                  Quoted(*kid)));
    }
  } else {
    take([](const PublicKey&) { return true; });
  }
  const absl::string_view input(
      token.data(), parts[0].size() + 1 + parts[1].size());  // header.payload
  bool verified = false;
  int tried = 0;
  bool cut_short = false;  // a key it may be checked with left untried
  for (const PublicKey* key : candidates) {
    if (std::find(key->algorithms.begin(), key->algorithms.end(), *alg) ==
        key->algorithms.end()) {
      continue;  // a key of another type or curve than alg is for
    }
    if (tried == kKeysTriedMost) {
      cut_short = true;
      break;
    }
    ++tried;
    if (SignatureVerifies(key->key.get(), *alg, input, signature)) {
      verified = true;
      break;
    }
  }
  if (!verified && cut_short) {
    return Refused(absl::StrCat(
        "the signature matches none of the first ", kKeysTriedMost,
        " configured keys it may be checked with (the most tried for one "
        "token; a key id (kid) names the key)"));
  }
  if (!verified) {
    return Refused("the signature matches none of the configured keys");
  }

  Struct claims;
  if (!google::protobuf::util::JsonStringToMessage(payload, &claims).ok()) {
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
      if (!item.has_string_value()) {
        return Refused(
            "the audience (aud) is not a string nor an array of strings");
      }
      audience_ok |= item.string_value() == options_.audience;
    }
  }
  if (!audience_ok) {
    return Refused(absl::StrCat("the audience (aud) does not include ",
                                options_.audience));
  }
  absl::StatusOr<std::optional<absl::Time>> expires =
      TimeClaim(claims, "exp", "the expiry");
  if (!expires.ok()) return expires.status();
  if (!expires->has_value()) return Refused("it has no expiry (exp)");
  if (now > **expires + options_.leeway) {
    return Refused(absl::StrCat(
        "it expired at ",
        absl::FormatTime(absl::RFC3339_sec, **expires, absl::UTCTimeZone())));
  }
  absl::StatusOr<std::optional<absl::Time>> not_before =
      TimeClaim(claims, "nbf", "the start of validity");
  if (!not_before.ok()) return not_before.status();
  if (not_before->has_value() && now + options_.leeway < **not_before) {
    return Refused(
        absl::StrCat("it is not valid before ",
                     absl::FormatTime(absl::RFC3339_sec, **not_before,
                                      absl::UTCTimeZone())));
  }
  const Value* subject = ClaimAt(claims, "sub");
  if (subject == nullptr || subject->string_value().empty()) {
    return Refused("it names no caller (sub)");
  }
  return Claims{.subject = subject->string_value(),
                .role = HighestRole(ClaimAt(claims, options_.roles_claim))};
}

}  // namespace forum_registry::auth
