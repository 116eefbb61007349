// What verifying a bearer token costs (docs/benchmarks.md; not a test):
// libjwt 1.10's jwt_decode (the verifier before issue 25) against
// JwtVerifier::Verify (OpenSSL EVP), one RSA-2048 RS256 token, with one key
// and with a set of `keys` keys (with a kid: one key tried; without: every
// key until one verifies, the signing key last), and Verify while another
// thread reloads the keys as fast as it can. CPU time of the verifying
// thread, per token.
//
//   build/test/bench/jwt_verify [iterations] [keys]

#include <jwt.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "src/auth/jwt_verifier.h"
#include "src/auth/testing/tokens.h"

namespace {

using forum_registry::auth::JwtVerifier;
using namespace forum_registry::auth::testing;  // NOLINT

std::string Write(const std::string& text) {
  char path[] = "/tmp/fr-jwt-bench-XXXXXX";
  close(mkstemp(path));
  std::ofstream(path) << text;
  return path;
}

// This thread's CPU time: the machine is shared, and wall time would count
// the others' work.
double CpuMicros() {
  timespec now;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return now.tv_sec * 1e6 + now.tv_nsec / 1e3;
}

template <typename F>
void Measure(const char* what, int iterations, F&& once) {
  const double start = CpuMicros();
  for (int i = 0; i < iterations; ++i) {
    if (!once()) {
      std::fprintf(stderr, "%s: failed\n", what);
      std::exit(1);
    }
  }
  std::printf("%-48s %8.1f us/token (CPU)\n", what,
              (CpuMicros() - start) / iterations);
}

}  // namespace

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::atoi(argv[1]) : 2000;
  const int keys = argc > 2 ? std::atoi(argv[2]) : 5;
  const KeyPair signer = NewRsaKeyPair();
  std::string set = "{\"keys\":[";
  for (int i = 1; i < keys; ++i) {
    absl::StrAppend(
        &set, JwkOf(NewRsaKeyPair().public_pem, absl::StrCat("k", i)), ",");
  }
  absl::StrAppend(&set, JwkOf(signer.public_pem, "signer"), "]}");
  const std::string pem = Write(signer.public_pem);
  const std::string jwks = Write(set);
  const auto verifier_of = [](const std::string& file) {
    return *JwtVerifier::Create({.public_key_files = {file},
                                 .issuer = "https://issuer.test",
                                 .audience = "forum-registry"});
  };
  const auto one = verifier_of(pem);
  const auto many = verifier_of(jwks);
  const std::string token = SignedToken(TokenSpec(), signer.private_pem);
  const std::string with_kid =
      SignedJws(R"({"alg":"RS256","kid":"signer"})", ClaimsJson(TokenSpec()),
                signer.private_pem);

  Measure("libjwt 1.10 jwt_decode, one key", iterations, [&] {
    jwt_t* jwt = nullptr;
    const int failed = jwt_decode(
        &jwt, token.c_str(),
        reinterpret_cast<const unsigned char*>(signer.public_pem.data()),
        static_cast<int>(signer.public_pem.size()));
    jwt_free(jwt);
    return failed == 0;
  });
  Measure("Verify, one key", iterations,
          [&] { return one->Verify(token, absl::Now()).ok(); });
  Measure(absl::StrCat("Verify, ", keys, " keys, no kid (signer last)").c_str(),
          iterations, [&] { return many->Verify(token, absl::Now()).ok(); });
  Measure(absl::StrCat("Verify, ", keys, " keys, kid").c_str(), iterations,
          [&] { return many->Verify(with_kid, absl::Now()).ok(); });
  std::atomic<bool> done{false};
  std::atomic<int> reloads{0};
  std::thread reloader([&] {
    for (int round = 0; !done.load(); ++round) {
      std::ofstream(jwks) << (round % 2 == 0 ? set + " " : set);
      many->Reload();
      ++reloads;
    }
  });
  Measure(absl::StrCat("Verify, ", keys, " keys, kid, while reloading").c_str(),
          iterations, [&] { return many->Verify(with_kid, absl::Now()).ok(); });
  done = true;
  reloader.join();
  std::printf("(%d reloads meanwhile)\n", reloads.load());
  std::remove(pem.c_str());
  std::remove(jwks.c_str());
  return 0;
}
