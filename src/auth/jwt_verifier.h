#ifndef FORUM_REGISTRY_AUTH_JWT_VERIFIER_H_
#define FORUM_REGISTRY_AUTH_JWT_VERIFIER_H_

// Bearer tokens: JWTs (RFC 7519) in JWS compact form (RFC 7515), signed by
// an issuer whose public keys the operator mounts (jwks.h). Signatures are
// checked with OpenSSL 3's EVP over the token's signing input (libjwt 1.10
// refuses every `typ` but JWT, so RFC 9068 access tokens could not pass
// through it; docs/decisions.md). What is accepted:
//   - header: `alg` RS256/384/512 or ES256/384/512 only — never "none",
//     never HMAC (a public key must not double as a shared secret); `typ`
//     absent, "JWT", "at+jwt" or "application/at+jwt" (any case); no
//     `crit` (no extension is understood);
//   - the key: a token with a `kid` is checked against the keys with that
//     kid, or, when no key has it, against the keys that have no kid (PEM
//     files); a token without a kid against every key; in either case the
//     signature is tried against kKeysTriedMost keys at most (in the order
//     of the files and, within one, of its keys). Only a key whose
//     type (and curve) is for the token's alg — RSA for RS*, P-256 for
//     ES256, P-384 for ES384, P-521 for ES512 — and whose JWK `alg`, if
//     any, is the token's, is tried;
//   - the signature must verify with one of those keys;
//   - `iss` equal to the configured issuer, `aud` (a string or an array)
//     holding the configured audience;
//   - `exp` required and `nbf` honoured, each with a small leeway; each a
//     number of seconds within 64 bits (fractions allowed, RFC 7519's
//     NumericDate), anything else refused naming the claim;
//   - `sub` required: it names the caller;
//   - the caller's role: the highest of the known role names found in the
//     roles claim (a dotted path such as "realm_access.roles"; an array of
//     strings, or one space-separated string).
// A token is refused before it is parsed if longer than kTokenMostBytes;
// its three parts must be strict base64url (no padding, no whitespace, the
// one canonical spelling). An error names the check that failed, never the
// token.
//
// The key files are read again every `refresh_interval`: a file that
// changed replaces its keys if it reads, and keeps its previous keys if it
// does not (reported through `on_read`, counted in stats()). Verify takes
// the keys of the moment (a shared snapshot) and never waits for a read.
// Thread-safe.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "src/auth/jwks.h"
#include "src/auth/roles.h"

namespace forum_registry::auth {

// The most bytes a token may have: a longer one is refused before it is
// split or decoded. Tokens of identity providers are 1 to 2 KiB; gRPC
// bounds the whole of a call's metadata at 8 KiB by default.
inline constexpr size_t kTokenMostBytes = 8 * 1024;
// The most keys one token's signature is tried against (a token without a
// kid, or whose kid falls back to the keys without one): each try is a
// public-key operation a caller with a bad token makes the server pay.
inline constexpr int kKeysTriedMost = 8;
// The most bytes a key file may hold (a JWK Set of a hundred RSA keys is
// under 100 KiB).
inline constexpr size_t kKeyFileMostBytes = 1024 * 1024;

// What one read of a key file found, for the log.
struct KeyFileRead {
  std::string path;
  bool reload = false;  // false: the read at start
  // Not OK: the file did not read (unreadable, not a PEM key nor a JWK Set,
  // no usable key); on a reload its previous keys are kept.
  absl::Status status;
  int keys = 0;                     // usable keys, when it read
  std::vector<SkippedKey> skipped;  // keys it holds that cannot be used
};

struct JwtOptions {
  // Files, each a PEM public key (RSA or EC) or a JWK Set.
  std::vector<std::string> public_key_files;
  std::string issuer;
  std::string audience;
  std::string roles_claim = "roles";
  absl::Duration leeway = absl::Seconds(60);
  // How often the files are read again (zero: never by itself; Reload()).
  absl::Duration refresh_interval = absl::ZeroDuration();
  // Told of every read of a file at start, and of every later read that
  // found it changed (may be empty). Called on the thread that reads.
  std::function<void(const KeyFileRead&)> on_read;
};

struct Claims {
  std::string subject;
  Role role = Role::kNone;
};

class JwtVerifier {
 public:
  // Reads the keys, then starts reading them again every refresh interval;
  // INVALID_ARGUMENT naming the file or the missing option.
  static absl::StatusOr<std::unique_ptr<JwtVerifier>> Create(
      JwtOptions options);
  ~JwtVerifier();

  // The claims of `token` if it passes every check at `now`, else
  // UNAUTHENTICATED saying which check failed.
  absl::StatusOr<Claims> Verify(const std::string& token, absl::Time now) const;

  // Reads the files again: each that changed since its keys were taken
  // replaces them if it reads, else keeps them. The refresh thread calls
  // it; tests may too.
  void Reload() ABSL_LOCKS_EXCLUDED(reload_mu_, mu_);

  // For /metrics.
  struct Stats {
    int64_t keys = 0;             // usable keys held now
    int64_t skipped = 0;          // keys of the files held that cannot be used
    int64_t reloads = 0;          // files read again with new keys
    int64_t reload_failures = 0;  // reads of a changed file that failed
  };
  Stats stats() const;

 private:
  // A file as last taken: its text and its keys.
  struct KeyFile {
    std::string path;
    std::string text;
    KeyFileContents contents;
  };
  using Keys = std::vector<PublicKey>;

  JwtVerifier(JwtOptions options, std::vector<KeyFile> files);
  void Publish() ABSL_EXCLUSIVE_LOCKS_REQUIRED(reload_mu_);
  std::shared_ptr<const Keys> keys() const ABSL_LOCKS_EXCLUDED(mu_);

  const JwtOptions options_;
  // Reloads, one at a time.
  mutable absl::Mutex reload_mu_;
  std::vector<KeyFile> files_ ABSL_GUARDED_BY(reload_mu_);
  // The keys every Verify takes a reference to: replaced whole, never
  // changed in place.
  mutable absl::Mutex mu_;
  std::shared_ptr<const Keys> keys_ ABSL_GUARDED_BY(mu_);
  std::atomic<int64_t> skipped_{0};
  std::atomic<int64_t> reloads_{0};
  std::atomic<int64_t> reload_failures_{0};
  absl::Notification stop_;
  std::thread refresher_;
};

}  // namespace forum_registry::auth

#endif  // FORUM_REGISTRY_AUTH_JWT_VERIFIER_H_
