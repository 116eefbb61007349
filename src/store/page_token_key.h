#ifndef FORUM_REGISTRY_STORE_PAGE_TOKEN_KEY_H_
#define FORUM_REGISTRY_STORE_PAGE_TOKEN_KEY_H_

// The key that signs page tokens (domain/page_token.h). Every replica must
// use the same one, or a token made by one is refused by the next:
//
//   - the file --page-token-key-file names (a mounted Secret, say), or else
//   - the key `migrate` stored in the database (server_keys, migration
//     0008), read when first needed and kept.
//
// Thread-safe.

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "src/domain/page_token.h"
#include "src/store/pool.h"

namespace forum_registry::store {

class PageTokenKey {
 public:
  // A key known already (from a file, or a test's).
  explicit PageTokenKey(std::string key);
  // The database's key, read through `pool` when first needed.
  explicit PageTokenKey(ConnectionPool* pool);

  // The signer; UNAVAILABLE while the database's key cannot be read.
  absl::StatusOr<const domain::PageTokens*> Get(absl::Time deadline);

 private:
  ConnectionPool* const pool_ = nullptr;
  absl::Mutex mu_;
  std::unique_ptr<const domain::PageTokens> tokens_ ABSL_GUARDED_BY(mu_);
};

// The key in the file at `path`: its bytes, without a final newline, at
// least domain::PageTokens::kMinKeySize of them. INVALID_ARGUMENT naming the
// flag otherwise.
absl::StatusOr<std::string> ReadPageTokenKeyFile(const std::string& path);

}  // namespace forum_registry::store

#endif  // FORUM_REGISTRY_STORE_PAGE_TOKEN_KEY_H_
