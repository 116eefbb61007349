// Bearer tokens and key files as an attacker or a careless operator may
// write them (src/auth/jwt_verifier.h, jwks.h). The input is tried both as
// a token and as a key file. Properties: nothing crashes; a token refused
// is UNAUTHENTICATED with "bearer token: ", a token accepted names a
// caller; a key file refused is INVALID_ARGUMENT, one that reads gives at
// least one key, each with the algorithms it verifies.
//
// A mutated header or claims no longer match the seed's signature, so the
// input's header.payload is also signed again here, with a test key the
// verifier trusts (RSA for RS256/384/512, P-256 for ES256, as the header
// says), and verified: the claim checks (iss, aud, exp, nbf, sub, roles)
// see fuzzed claims. Such a token is never refused for its signature.

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "fuzz/fuzz_check.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "src/auth/jose.h"
#include "src/auth/jwks.h"
#include "src/auth/jwt_verifier.h"

namespace fr = forum_registry;

namespace {

// The public key the seeds' tokens were signed with (their private key is
// not kept: a mutated seed verifies under it only if its header and claims
// are unchanged).
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

// Keys made for this target only (openssl genpkey), never used elsewhere:
// the fuzzer signs with them.
constexpr char kRsaPrivateKey[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCQ3BKJqTdt+Xmr\n"
    "8SgMqcTu1QfCCgNrkvZJvzxjeQDZDKdswzTi5J5O3EjVUIHbppocZDAH/vSGBlfO\n"
    "2A+JINbyFrSra764fFnF6JjOu6rVLyxr4mVWKTV52vURqm5B1W9ElMVlOmZHGWje\n"
    "NJvgUzKWltrl4IDskewY1ufwuPUO3jI90IxtQjNHh9JunAsgE+qOpRm5KR02vePh\n"
    "Y4S6MyQXR35Z26s2IEXLVrY1rWTsDi9PT1WwvXB+oI0lThcjt7t0KXT/1gaNf0El\n"
    "b31kA1tByQqH88KHntDC/brkyQByE89gqhf7BLKZuuIK5ubkEai7wPrpHkTq55E4\n"
    "bS97Q4jDAgMBAAECggEAKA+8zrZuHmtyo0Mn1My0qmpe4WJcjMkRdNa+8DGcMuql\n"
    "eNZJj4AzadLRD7FaoHDkSPrKL8PqQxCJAyrMrRtYZo4x/ABpt+Kn/ywy6mWLOrb3\n"
    "nYR4iwoNgHw172NHZ8yLn5dXOgYbGAmmb2F0RGct4+indBCRBxvaBAqXDYNRPoF5\n"
    "B/4f8aoK3VV3WOBKJBoRl6fj5wD54ypHLLXYEkA93XUbAzCxb6LV/LVCbGx52ZDP\n"
    "S8mReBKjqZivN+0xgv0C4qcIZW2athqfu3avVrLNNl1cq2uabeU9+6qFzbwVwPzN\n"
    "la6mYPyiY5AAOt04wTQOvvQt9adC+h72UfXtBfagIQKBgQDMMGeEX8w51/bkJX+g\n"
    "G8EgyEqncEMtiSFXxdY23n66W+15wdOgJlvPPxeNhcwAMQ6WIEfl1VlwqEnmPGMl\n"
    "Q+dT+KDY1M5LOcbwYZW3ziY2S1HOUJjlxCd5S1FLjAf54ho0hsVhynYrcGuE32Uz\n"
    "e3NQwPawQv+1ITcqcHcsEi1vYwKBgQC1ncgs18fgAZ+KQgaPYcvq2e4eFwa06Txh\n"
    "+W1F1YrCFcNdvJUx5G/FSp0Vzph8YaMpkDGPSgT699DWvbDdml7aFGBVUB04YfW3\n"
    "lVNdmGBDfZZF/IW9Tuh85+SSxHKyvxYp5cMCezuiBDE7cUaCo0JYIoYHayOopg+Q\n"
    "+q2+0scvIQKBgQCVkNsyno1UzXm+ci1DFTFpFu2AKn46q5jt1y9rL5z6Wv3fUvf1\n"
    "9kMH0roo4xmkBksd8nVXx+hk2hCPgipJkKyw2IzRZ0fY2HB9ga2OXoWk/ZTloCnv\n"
    "G7iiY2YgBWmOQ21YjmOklw3qEcXgJVbW2BWG0GGiiOEPR05GWu0gLgxz6wKBgH+f\n"
    "SXwhgaXq3haEwSFegrIcxFRGsALO5wyd/uiU33X1XxzumRS/Rr+n5+zcCZFV9xcM\n"
    "6ZacWBWXsRxFnhSLFt4+dVdd/bqSM932w+dAXVzv0nqJsd1OptanCZsNCuCKoON+\n"
    "PmPu/v+h3Iq91eOVH9jZIb/yzNMFJmkljpRKf4ehAoGAXDxlDGxfnzDX0Z7hiONl\n"
    "KHuIk/StY6PVzbcmwK+zdNboCQTpdUVRhrqHvrxPTk/7W6r9UGfI6JTdV165lvX2\n"
    "CZ636Hgpalk5c8kiAyXCybVpUrba672K11e6wICFeegesjF0cDpRTBNho2eC73LF\n"
    "ezP6Yv2loFMbt+nXpt/uCBI=\n"
    "-----END PRIVATE KEY-----\n";
constexpr char kEcPrivateKey[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgqB0KKd5WzhKt7axX\n"
    "Aj8mdA3gxgB6mM9Y0xTOIOBxCc2hRANCAAQF2po6El9yV6cEeK9CNM2iVdPlFjfu\n"
    "RvdwX33Rdhl/nKWywW6+xJM0Yz1OqI6PQSMRKLZDZy5T6HplbVXOqnkv\n"
    "-----END PRIVATE KEY-----\n";

EVP_PKEY* PrivateKey(const char* pem) {
  BIO* bio = BIO_new_mem_buf(pem, -1);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  FUZZ_CHECK(key != nullptr);
  return key;
}

EVP_PKEY* RsaKey() {
  static EVP_PKEY* const key = PrivateKey(kRsaPrivateKey);
  return key;
}

EVP_PKEY* EcKey() {
  static EVP_PKEY* const key = PrivateKey(kEcPrivateKey);
  return key;
}

std::string PublicPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  return pem;
}

// `input` (header.payload) signed as `alg` says with the key for it, as
// a JWS signature; "" for an alg there is no key for here.
std::string Signature(const std::string& alg, const std::string& input) {
  const bool rsa = alg == "RS256" || alg == "RS384" || alg == "RS512";
  if (!rsa && alg != "ES256") return "";
  const EVP_MD* digest = absl::EndsWith(alg, "384")   ? EVP_sha384()
                         : absl::EndsWith(alg, "512") ? EVP_sha512()
                                                      : EVP_sha256();
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  size_t size = 0;
  std::string signature;
  const auto* bytes = reinterpret_cast<const unsigned char*>(input.data());
  FUZZ_CHECK(EVP_DigestSignInit(context, nullptr, digest, nullptr,
                                rsa ? RsaKey() : EcKey()) == 1 &&
             EVP_DigestSign(context, nullptr, &size, bytes, input.size()) == 1);
  signature.resize(size);
  FUZZ_CHECK(EVP_DigestSign(context,
                            reinterpret_cast<unsigned char*>(signature.data()),
                            &size, bytes, input.size()) == 1);
  signature.resize(size);
  EVP_MD_CTX_free(context);
  if (rsa) return signature;
  // DER ECDSA-Sig-Value to R || S, 32 bytes each.
  const auto* der = reinterpret_cast<const unsigned char*>(signature.data());
  ECDSA_SIG* ecdsa =
      d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(signature.size()));
  FUZZ_CHECK(ecdsa != nullptr);
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(ecdsa),
               reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(ecdsa),
               reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(ecdsa);
  return raw;
}

const fr::auth::JwtVerifier& Verifier() {
  static const fr::auth::JwtVerifier* const verifier = [] {
    char path[] = "/tmp/fr-jwt-fuzz-XXXXXX";
    close(mkstemp(path));
    std::ofstream(path) << kPublicKey << PublicPem(RsaKey())
                        << PublicPem(EcKey());
    auto made = fr::auth::JwtVerifier::Create({.public_key_files = {path},
                                               .issuer = "https://issuer.test",
                                               .audience = "forum-registry"});
    unlink(path);
    FUZZ_CHECK(made.ok()) << made.status();
    return made->release();
  }();
  return *verifier;
}

// Verifies `token` and checks the properties; returns the refusal's
// message ("" when accepted).
std::string VerifyAndCheck(const std::string& token) {
  // 2027-01-15: before the seeds' expiry (2100).
  const auto claims =
      Verifier().Verify(token, absl::FromUnixSeconds(1800000000));
  if (claims.ok()) {
    FUZZ_CHECK(!claims->subject.empty()) << "an accepted token names a caller";
    return "";
  }
  FUZZ_CHECK(claims.status().code() == absl::StatusCode::kUnauthenticated)
      << claims.status();
  FUZZ_CHECK(
      std::string(claims.status().message()).rfind("bearer token: ", 0) == 0)
      << claims.status();
  return std::string(claims.status().message());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = fr::fuzz::Text(data, size);
  VerifyAndCheck(text);
  // header.payload signed again, when the header names an alg this target
  // has a key for.
  const std::vector<std::string> parts =
      absl::StrSplit(text, absl::MaxSplits('.', 2));
  std::string header_json;
  google::protobuf::Struct header;
  if (parts.size() >= 2 && fr::auth::Base64UrlDecode(parts[0], &header_json) &&
      google::protobuf::util::JsonStringToMessage(header_json, &header).ok()) {
    const auto alg = header.fields().find("alg");
    const std::string input = absl::StrCat(parts[0], ".", parts[1]);
    const std::string signature =
        alg == header.fields().end()
            ? ""
            : Signature(alg->second.string_value(), input);
    if (!signature.empty()) {
      std::string encoded;
      absl::WebSafeBase64Escape(signature, &encoded);
      const std::string refusal =
          VerifyAndCheck(absl::StrCat(input, ".", encoded));
      FUZZ_CHECK(!absl::StrContains(refusal, "signature matches none"))
          << "a token signed by a trusted key: " << refusal;
    }
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
