// Bearer tokens and key files as an attacker or a careless operator may
// write them (src/auth/jwt_verifier.h, jwks.h). The input is tried both as
// a token and as a key file. Properties: nothing crashes; a token refused
// is UNAUTHENTICATED with "bearer token: ", a token accepted names a
// caller; a key file refused is INVALID_ARGUMENT, one that reads gives at
// least one key, each with the algorithms it verifies.

#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>

#include "fuzz/fuzz_check.h"
#include "src/auth/jwks.h"
#include "src/auth/jwt_verifier.h"

namespace fr = forum_registry;

namespace {

// The public key the seeds' tokens were signed with (their private key is
// not kept: the fuzzer can only find a token that verifies by mutating a
// seed's header or claims, which it must not).
constexpr char kPublicKey[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAlFNfxEhNEqD9xH5+GHbc\n"
    "zTLTRt0PK8qFJhFBqwTB0ujqxH6fWcSv8fAVnAVaHZRBD/WimoB1iVN5fWjsN/dl\n"
    "lMVZK/1K49Gnverb93+K7PEnU1AGicu7iBY+ipH7ySx3e5FPwRjZGp5sr12jjLrS\n"
    "piwr/qve6hCq3FL/Sig3ugLrwfgBHtQKfZ8v/ufYGR9XAFTg6BocHuGQSdq/e+/R\n"
    "HcePFD8sid15Oz8HJI1lLThDpfjxvD7EBqzOXT8EsCMm38eTZhscw98yPaHqJG8u\n"
    "/sqbIh3tTcPtwv8aSUFo0O9VV4CvbG7qshkZ5vetztpY0yeFHvbVETh2QQOuNgQn\n"
    "mQIDAQAB\n"
    "-----END PUBLIC KEY-----\n";

const fr::auth::JwtVerifier& Verifier() {
  static const fr::auth::JwtVerifier* const verifier = [] {
    char path[] = "/tmp/fr-jwt-fuzz-XXXXXX";
    close(mkstemp(path));
    std::ofstream(path) << kPublicKey;
    auto made = fr::auth::JwtVerifier::Create({.public_key_files = {path},
                                               .issuer = "https://issuer.test",
                                               .audience = "forum-registry"});
    unlink(path);
    FUZZ_CHECK(made.ok()) << made.status();
    return made->release();
  }();
  return *verifier;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = fr::fuzz::Text(data, size);
  // 2027-01-15: before the seeds' expiry (2100).
  const auto claims =
      Verifier().Verify(text, absl::FromUnixSeconds(1800000000));
  if (claims.ok()) {
    FUZZ_CHECK(!claims->subject.empty()) << "an accepted token names a caller";
  } else {
    FUZZ_CHECK(claims.status().code() == absl::StatusCode::kUnauthenticated)
        << claims.status();
    FUZZ_CHECK(
        std::string(claims.status().message()).rfind("bearer token: ", 0) == 0)
        << claims.status();
  }
  const auto keys = fr::auth::ReadPublicKeys(text);
  if (keys.ok()) {
    FUZZ_CHECK(!keys->keys.empty());
    for (const fr::auth::PublicKey& key : keys->keys) {
      FUZZ_CHECK(key.key != nullptr && !key.algorithms.empty());
    }
  } else {
    FUZZ_CHECK(keys.status().code() == absl::StatusCode::kInvalidArgument)
        << keys.status();
  }
  return 0;
}
