#ifndef FORUM_REGISTRY_AUTH_JWKS_H_
#define FORUM_REGISTRY_AUTH_JWKS_H_

// The public keys bearer tokens are verified with, read from the files the
// operator mounts: a PEM public key (-----BEGIN PUBLIC KEY-----), or a JWK
// Set (RFC 7517), the form issuers publish their keys in
// (/.well-known/jwks.json). OpenSSL 3 builds the keys from their
// parameters.
//
// Usable: RSA keys, and EC keys on P-256, P-384 and P-521. A key of a set
// whose "use" is not "sig" is left out (an encryption key: not ours to
// use). Any other key a set holds that this server cannot use — another
// type (an OKP/Ed25519 key, "oct"), another curve, an "alg" it does not
// verify or that does not fit the key, missing or bad parameters — is
// skipped and reported, never an error by itself: issuers publish such keys
// beside the ones that sign. A file with no usable key at all is an error.

#include <openssl/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace forum_registry::auth {

// One key a token may be verified with.
struct PublicKey {
  // The key id ("kid") of a JWK; "" for a key that has none (a PEM file's).
  std::string kid;
  // The algorithms it may verify: for an RSA key RS256, RS384 and RS512;
  // for an EC key the one its curve is for (ES256 on P-256, ES384 on P-384,
  // ES512 on P-521); only the JWK's "alg" when it names one.
  std::vector<std::string> algorithms;
  std::shared_ptr<EVP_PKEY> key;
};

// A key of a JWK Set that cannot be used, and why.
struct SkippedKey {
  int index = 0;  // its place in the set, from 1
  std::string kid;
  std::string kty;
  std::string reason;
};

struct KeyFileContents {
  std::vector<PublicKey> keys;  // at least one
  std::vector<SkippedKey> skipped;
};

// The keys of `text`, a PEM public key or a JWK Set; INVALID_ARGUMENT if it
// is neither, or holds no usable key (saying why, and why each key of a set
// was skipped).
absl::StatusOr<KeyFileContents> ReadPublicKeys(const std::string& text);

}  // namespace forum_registry::auth

#endif  // FORUM_REGISTRY_AUTH_JWKS_H_
