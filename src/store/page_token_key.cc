#include "src/store/page_token_key.h"

#include <fstream>
#include <pqxx/pqxx>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "src/store/memory_only.h"
#include "src/store/transaction.h"

namespace forum_registry::store {

PageTokenKey::PageTokenKey(std::string key)
    : tokens_(std::make_unique<domain::PageTokens>(std::move(key))) {}

PageTokenKey::PageTokenKey(ConnectionPool* pool) : pool_(pool) {}

absl::StatusOr<const domain::PageTokens*> PageTokenKey::Get(
    absl::Time deadline) {
  {
    absl::MutexLock lock(&mu_);
    if (tokens_ != nullptr) return tokens_.get();
  }
  if (MemoryOnly::Refuses()) {
    return absl::UnavailableError("the page token key is not read yet");
  }
  // Read without the lock, so that callers waiting for a database that does
  // not answer each wait only until their own deadlines.
  std::string key;
  absl::Status status = RunSingleRead(
      *pool_, deadline,
      [&](ConnectionPool::Lease&, pqxx::transaction_base& txn) {
        const pqxx::result rows =
            txn.exec("SELECT key FROM server_keys WHERE name = 'page_token'");
        if (rows.empty()) {
          return absl::FailedPreconditionError(
              "the database has no page token key; run `forum-registry "
              "migrate`");
        }
        const pqxx::binarystring bytes(rows[0][0]);
        key = bytes.str();
        if (key.size() < domain::PageTokens::kMinKeySize) {
          return absl::FailedPreconditionError(
              "the database's page token key is too short");
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  absl::MutexLock lock(&mu_);
  if (tokens_ == nullptr) {
    tokens_ = std::make_unique<domain::PageTokens>(std::move(key));
  }
  return tokens_.get();
}

absl::StatusOr<std::string> ReadPageTokenKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("--page-token-key-file: cannot read ", path));
  }
  std::stringstream text;
  text << in.rdbuf();
  std::string key = text.str();
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) {
    key.pop_back();
  }
  if (key.size() < domain::PageTokens::kMinKeySize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--page-token-key-file: ", path, " holds ", key.size(),
        " bytes; a key needs at least ", domain::PageTokens::kMinKeySize,
        " (e.g. `openssl rand -base64 32`)"));
  }
  return key;
}

}  // namespace forum_registry::store
