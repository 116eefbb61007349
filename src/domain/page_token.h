#ifndef FORUM_REGISTRY_DOMAIN_PAGE_TOKEN_H_
#define FORUM_REGISTRY_DOMAIN_PAGE_TOKEN_H_

// Page sizes and page tokens for List methods (AIP-158).
//
// Lists use keyset pagination: a page token carries the sort key of the last
// row returned, and the next page starts strictly after it, so rows inserted
// or deleted between pages never shift what a client sees, and no page costs
// more than its own rows.
//
// A token is opaque to clients and bound to the request that made it: it
// carries a fingerprint of the request's other parameters (parent, filter,
// order_by) and is signed with HMAC-SHA-256 (OpenSSL) under a key every
// replica shares (store/page_token_key.h). A token used with different
// parameters, altered, or made up is INVALID_ARGUMENT before anything in it
// is used; the sort key it carries is then checked against its type by the
// list that reads it.
//
//   const PageTokens tokens(key);
//   std::string fp = QueryFingerprint({"forums", filter, order_by});
//   std::string token = tokens.Encode(fp, {last_row_name});
//   absl::StatusOr<std::vector<std::string>> last = tokens.Decode(token, fp);

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace forum_registry::domain {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 1000;

// 0 -> kDefaultPageSize; above kMaxPageSize -> kMaxPageSize; negative is
// INVALID_ARGUMENT.
absl::StatusOr<int> ResolvePageSize(int32_t page_size);

// A stable digest of the parameters a token is bound to.
std::string QueryFingerprint(const std::vector<absl::string_view>& parts);

// Makes and reads page tokens signed with one key. Thread-safe.
class PageTokens {
 public:
  // The shortest key accepted, in bytes.
  static constexpr size_t kMinKeySize = 16;

  // `key`: secret, the same on every replica, at least kMinKeySize bytes.
  explicit PageTokens(std::string key);

  // A token that resumes after the row whose sort key is `last_key`.
  std::string Encode(absl::string_view query_fingerprint,
                     const std::vector<std::string>& last_key) const;

  // The sort key carried by `token`, if it was signed with this key for a
  // request with the same fingerprint.
  absl::StatusOr<std::vector<std::string>> Decode(
      absl::string_view token, absl::string_view query_fingerprint) const;

  // Decode for a list whose sort keys have `key_size` parts: a key of
  // another size is INVALID_ARGUMENT too.
  absl::StatusOr<std::vector<std::string>> DecodeKey(
      absl::string_view token, absl::string_view query_fingerprint,
      size_t key_size) const;

 private:
  std::string Sign(absl::string_view data) const;

  const std::string key_;
};

}  // namespace forum_registry::domain

#endif  // FORUM_REGISTRY_DOMAIN_PAGE_TOKEN_H_
