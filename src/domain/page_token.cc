#include "src/domain/page_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace forum_registry::domain {
namespace {

// Token layout, before base64url:
//   version byte | 8-byte fingerprint | fields | 16-byte signature
// where each field is a 4-byte big-endian length and its bytes, and the
// signature is HMAC-SHA-256 of everything before it, cut to 16 bytes.
constexpr char kVersion = 2;
constexpr size_t kDigestSize = 8;
constexpr size_t kSignatureSize = 16;

// FNV-1a, 64 bits: stable across processes, builds and machines, unlike
// absl::Hash, which is seeded per process. Several replicas must agree.
uint64_t Fnv1a(absl::string_view data, uint64_t seed = 0xcbf29ce484222325ULL) {
  uint64_t hash = seed;
  for (unsigned char c : data) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

// Appends `value` as `bytes` big-endian bytes.
void AppendBigEndian(uint64_t value, size_t bytes, std::string* out) {
  for (int shift = 8 * (static_cast<int>(bytes) - 1); shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

uint32_t LoadBigEndian32(absl::string_view data) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    value = (value << 8) | static_cast<unsigned char>(data[i]);
  }
  return value;
}

std::string DigestBytes(uint64_t value) {
  std::string out;
  AppendBigEndian(value, kDigestSize, &out);
  return out;
}

absl::Status Invalid() {
  return absl::InvalidArgumentError(
      "page_token: is not a token this service issued, or it was altered; "
      "pass next_page_token unchanged, or leave page_token empty for the "
      "first page");
}

}  // namespace

absl::StatusOr<int> ResolvePageSize(int32_t page_size) {
  if (page_size < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: must not be negative, got ", page_size));
  }
  if (page_size == 0) return kDefaultPageSize;
  return page_size > kMaxPageSize ? kMaxPageSize : page_size;
}

std::string QueryFingerprint(const std::vector<absl::string_view>& parts) {
  std::string joined;
  for (absl::string_view part : parts) {
    // Length-prefixed so that ("ab", "c") and ("a", "bc") differ.
    absl::StrAppend(&joined, part.size(), ":", part);
  }
  return DigestBytes(Fnv1a(joined));
}

PageTokens::PageTokens(std::string key) : key_(std::move(key)) {}

std::string PageTokens::Sign(absl::string_view data) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
       &size);
  return std::string(reinterpret_cast<const char*>(mac), kSignatureSize);
}

std::string PageTokens::Encode(absl::string_view query_fingerprint,
                               const std::vector<std::string>& last_key) const {
  std::string raw(1, kVersion);
  raw.append(query_fingerprint.data(), query_fingerprint.size());
  for (const std::string& field : last_key) {
    AppendBigEndian(field.size(), 4, &raw);
    raw.append(field);
  }
  raw.append(Sign(raw));
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<std::vector<std::string>> PageTokens::Decode(
    absl::string_view token, absl::string_view query_fingerprint) const {
  std::string raw;
  // The decoder skips whitespace, padding and the unused low bits of the last
  // character, so several spellings decode alike: accept only the one we write.
  if (!absl::WebSafeBase64Unescape(token, &raw) ||
      absl::WebSafeBase64Escape(raw) != token) {
    return Invalid();
  }
  if (raw.size() < 1 + kDigestSize + kSignatureSize || raw[0] != kVersion) {
    return Invalid();
  }
  absl::string_view body(raw.data(), raw.size() - kSignatureSize);
  const std::string expected = Sign(body);
  if (CRYPTO_memcmp(expected.data(), raw.data() + body.size(),
                    kSignatureSize) != 0) {
    return Invalid();
  }
  if (body.substr(1, kDigestSize) != query_fingerprint) {
    return absl::InvalidArgumentError(
        "page_token: was issued for a different request; a token is valid "
        "only with the parent, filter and order_by that produced it");
  }
  std::vector<std::string> key;
  absl::string_view rest = body.substr(1 + kDigestSize);
  while (!rest.empty()) {
    if (rest.size() < 4) return Invalid();
    const uint32_t length = LoadBigEndian32(rest);
    rest.remove_prefix(4);
    if (length > rest.size()) return Invalid();
    key.emplace_back(rest.substr(0, length));
    rest.remove_prefix(length);
  }
  return key;
}

absl::StatusOr<std::vector<std::string>> PageTokens::DecodeKey(
    absl::string_view token, absl::string_view query_fingerprint,
    size_t key_size) const {
  absl::StatusOr<std::vector<std::string>> key =
      Decode(token, query_fingerprint);
  if (key.ok() && key->size() != key_size) {
    return absl::InvalidArgumentError(
        "page_token: is not a token this service issued for this list");
  }
  return key;
}

}  // namespace forum_registry::domain
