#include "src/auth/jwt_verifier.h"

#include <jwt.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/auth/testing/tokens.h"

namespace forum_registry::auth {
namespace {

using ::forum_registry::auth::testing::ClaimsJson;
using ::forum_registry::auth::testing::EcSignedToken;
using ::forum_registry::auth::testing::HmacToken;
using ::forum_registry::auth::testing::JwkOf;
using ::forum_registry::auth::testing::JwksOf;
using ::forum_registry::auth::testing::KeyPair;
using ::forum_registry::auth::testing::NewEcKeyPair;
using ::forum_registry::auth::testing::NewRsaKeyPair;
using ::forum_registry::auth::testing::OkpJwk;
using ::forum_registry::auth::testing::SignedJws;
using ::forum_registry::auth::testing::SignedToken;
using ::forum_registry::auth::testing::TokenSpec;
using ::testing::HasSubstr;
using ::testing::Not;

std::string WriteKey(const std::string& pem) {
  char path[] = "/tmp/fr-jwt-key-XXXXXX";
  const int fd = mkstemp(path);
  close(fd);
  std::ofstream(path) << pem;
  return path;
}

// A JWK Set of `jwks`.
std::string SetOf(const std::vector<std::string>& jwks) {
  std::string set = "{\"keys\":[";
  for (size_t i = 0; i < jwks.size(); ++i) {
    set += (i == 0 ? "" : ",") + jwks[i];
  }
  return set + "]}";
}

// `jwk` with "alg": `alg`.
std::string WithAlg(const std::string& jwk, const std::string& alg) {
  return "{\"alg\":\"" + alg + "\"," + jwk.substr(1);
}

// A JOSE header: RS256 with `more` members (`,"kid":"k1"`).
std::string Header(const std::string& more = "",
                   const std::string& alg = "RS256") {
  return "{\"alg\":\"" + alg + "\"" + more + "}";
}

// A verifier of `files`, telling `reads` of what it read.
absl::StatusOr<std::unique_ptr<JwtVerifier>> VerifierOf(
    std::vector<std::string> files, std::vector<KeyFileRead>* reads = nullptr,
    absl::Duration refresh = absl::ZeroDuration()) {
  return JwtVerifier::Create({.public_key_files = std::move(files),
                              .issuer = "https://issuer.test",
                              .audience = "forum-registry",
                              .refresh_interval = refresh,
                              .on_read = [reads](const KeyFileRead& read) {
                                if (reads != nullptr) reads->push_back(read);
                              }});
}

class JwtVerifierTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    issuer_key_ = new KeyPair(NewRsaKeyPair());
    other_key_ = new KeyPair(NewRsaKeyPair());
  }
  static void TearDownTestSuite() {
    delete issuer_key_;
    delete other_key_;
  }
  void SetUp() override {
    key_file_ = WriteKey(issuer_key_->public_pem);
    absl::StatusOr<std::unique_ptr<JwtVerifier>> verifier =
        JwtVerifier::Create({.public_key_files = {key_file_},
                             .issuer = "https://issuer.test",
                             .audience = "forum-registry"});
    ASSERT_TRUE(verifier.ok()) << verifier.status();
    verifier_ = *std::move(verifier);
  }
  void TearDown() override { std::remove(key_file_.c_str()); }

  absl::StatusOr<Claims> Verify(const TokenSpec& spec) {
    return verifier_->Verify(SignedToken(spec, issuer_key_->private_pem),
                             absl::Now());
  }
  static void ExpectRefused(const absl::StatusOr<Claims>& claims,
                            const std::string& why) {
    ASSERT_FALSE(claims.ok());
    EXPECT_EQ(claims.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_THAT(claims.status().message(), HasSubstr(why));
  }

  static KeyPair* issuer_key_;
  static KeyPair* other_key_;
  std::string key_file_;
  std::unique_ptr<JwtVerifier> verifier_;
};

KeyPair* JwtVerifierTest::issuer_key_ = nullptr;
KeyPair* JwtVerifierTest::other_key_ = nullptr;

TEST_F(JwtVerifierTest, AcceptsAGoodTokenWithItsSubjectAndHighestRole) {
  TokenSpec spec;
  spec.roles_json = R"(["reader", "editor", "unknown"])";
  const absl::StatusOr<Claims> claims = Verify(spec);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->subject, "alice@example.org");
  EXPECT_EQ(claims->role, Role::kEditor);
}

TEST_F(JwtVerifierTest, ReadsRolesFromASpaceSeparatedString) {
  TokenSpec spec;
  spec.roles_json = R"("reader admin")";
  const absl::StatusOr<Claims> claims = Verify(spec);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->role, Role::kAdmin);
}

TEST_F(JwtVerifierTest, ReadsRolesFromANestedClaim) {
  absl::StatusOr<std::unique_ptr<JwtVerifier>> nested =
      JwtVerifier::Create({.public_key_files = {key_file_},
                           .issuer = "https://issuer.test",
                           .audience = "forum-registry",
                           .roles_claim = "realm_access.roles"});
  ASSERT_TRUE(nested.ok());
  TokenSpec spec;
  spec.roles_claim = "realm_access";
  spec.roles_json = R"({"roles": ["admin"]})";
  const absl::StatusOr<Claims> claims = (*nested)->Verify(
      SignedToken(spec, issuer_key_->private_pem), absl::Now());
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->role, Role::kAdmin);
}

TEST_F(JwtVerifierTest, RefusesAnExpiredToken) {
  TokenSpec spec;
  spec.expires = absl::Now() - absl::Minutes(5);
  ExpectRefused(Verify(spec), "expired at");
}

TEST_F(JwtVerifierTest, AllowsALittleClockSkew) {
  TokenSpec spec;
  spec.expires = absl::Now() - absl::Seconds(10);
  spec.not_before = absl::Now() + absl::Seconds(10);
  EXPECT_TRUE(Verify(spec).ok());
}

TEST_F(JwtVerifierTest, RefusesATokenNotYetValid) {
  TokenSpec spec;
  spec.not_before = absl::Now() + absl::Minutes(10);
  ExpectRefused(Verify(spec), "not valid before");
}

TEST_F(JwtVerifierTest, RefusesATokenWithoutExpiry) {
  TokenSpec spec;
  spec.with_expiry = false;
  ExpectRefused(Verify(spec), "no expiry (exp)");
}

TEST_F(JwtVerifierTest, RefusesAnotherIssuer) {
  TokenSpec spec;
  spec.issuer = "https://elsewhere.test";
  ExpectRefused(Verify(spec), "issuer (iss) is not https://issuer.test");
}

TEST_F(JwtVerifierTest, RefusesAnotherAudience) {
  TokenSpec spec;
  spec.audience = "another-service";
  ExpectRefused(Verify(spec), "audience (aud) does not include forum-registry");
}

TEST_F(JwtVerifierTest, RefusesATokenSignedByAnUnknownKey) {
  const absl::StatusOr<Claims> claims = verifier_->Verify(
      SignedToken(TokenSpec(), other_key_->private_pem), absl::Now());
  ExpectRefused(claims, "matches none of the configured keys");
}

TEST_F(JwtVerifierTest, RefusesHmacEvenKeyedWithThePublicKey) {
  // The classic confusion: the public key, known to all, as an HMAC secret.
  const absl::StatusOr<Claims> claims = verifier_->Verify(
      HmacToken(TokenSpec(), issuer_key_->public_pem), absl::Now());
  ExpectRefused(claims, "algorithm HS256 is not accepted");
}

TEST_F(JwtVerifierTest, RefusesAnUnsignedToken) {
  // {"alg":"none"} . {"sub":"mallory",...} . (no signature)
  const std::string token =
      "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0."
      "eyJzdWIiOiJtYWxsb3J5Iiwicm9sZXMiOlsiYWRtaW4iXX0.";
  const absl::StatusOr<Claims> claims = verifier_->Verify(token, absl::Now());
  ASSERT_FALSE(claims.ok());
  EXPECT_EQ(claims.status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(JwtVerifierTest, RefusesGarbageWithoutEchoingIt) {
  const absl::StatusOr<Claims> claims =
      verifier_->Verify("not-a-jwt-secret-stuff", absl::Now());
  ExpectRefused(claims, "not a well-formed JWT");
  EXPECT_THAT(claims.status().message(), Not(HasSubstr("secret-stuff")));
}

// Issuers publish JWK Sets: RSA and EC keys read from one, an encryption
// key skipped, a key of the set verifying, a key outside it not.
TEST_F(JwtVerifierTest, ReadsKeysFromAJwkSet) {
  const KeyPair ec = NewEcKeyPair();
  const std::string rsa_set = WriteKey(JwksOf(issuer_key_->public_pem, "r1"));
  const std::string ec_set = WriteKey(JwksOf(ec.public_pem, "e1"));
  absl::StatusOr<std::unique_ptr<JwtVerifier>> verifier =
      JwtVerifier::Create({.public_key_files = {rsa_set, ec_set},
                           .issuer = "https://issuer.test",
                           .audience = "forum-registry"});
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  EXPECT_TRUE((*verifier)
                  ->Verify(SignedToken(TokenSpec(), issuer_key_->private_pem),
                           absl::Now())
                  .ok());
  const absl::StatusOr<Claims> by_ec = (*verifier)->Verify(
      EcSignedToken(TokenSpec(), ec.private_pem), absl::Now());
  EXPECT_TRUE(by_ec.ok()) << by_ec.status();
  ExpectRefused(
      (*verifier)->Verify(SignedToken(TokenSpec(), other_key_->private_pem),
                          absl::Now()),
      "matches none of the configured keys");
  std::remove(rsa_set.c_str());
  std::remove(ec_set.c_str());
}

TEST(JwtVerifierOptions, RefusesAFileThatIsNeitherPemNorAJwkSetWithAKey) {
  for (const auto& [text, says] :
       std::vector<std::pair<std::string, std::string>>{
           {R"({"keys": [{"kty": "OKP"}]})",
            "no signing key (key 1: a key of type \"OKP\", which this "
            "server does not verify"},
           {SetOf({OkpJwk("ed")}),
            "key 1: a key of type \"OKP\" (crv \"Ed25519\")"},
           {R"({"keys": []})", "no signing key"},
           {"{not json", "not JSON"},
           {"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
            "a PEM public key OpenSSL cannot read"}}) {
    SCOPED_TRACE(text);
    const std::string path = WriteKey(text);
    const absl::Status status =
        JwtVerifier::Create(
            {.public_key_files = {path}, .issuer = "i", .audience = "a"})
            .status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(status.message(),
                HasSubstr(path + " is not a readable PEM public key"));
    EXPECT_THAT(status.message(), HasSubstr(says));
    std::remove(path.c_str());
  }
}

TEST(JwtVerifierOptions, NeedKeysAnIssuerAndAnAudience) {
  EXPECT_THAT(JwtVerifier::Create({}).status().message(),
              HasSubstr("--jwt-public-keys"));
  EXPECT_THAT(JwtVerifier::Create(
                  {.public_key_files = {"/nonexistent"}, .audience = "a"})
                  .status()
                  .message(),
              HasSubstr("--jwt-issuer"));
  EXPECT_THAT(JwtVerifier::Create({.public_key_files = {"/nonexistent"},
                                   .issuer = "i",
                                   .audience = "a"})
                  .status()
                  .message(),
              HasSubstr("/nonexistent is not a readable file"));
}

// With a kid, the token names its key: only keys of that kid are tried.
TEST_F(JwtVerifierTest, TheKidChoosesTheKey) {
  const std::string set =
      WriteKey(SetOf({JwkOf(issuer_key_->public_pem, "k1"),
                      JwkOf(other_key_->public_pem, "k2")}));
  absl::StatusOr<std::unique_ptr<JwtVerifier>> verifier = VerifierOf({set});
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  const std::string claims = ClaimsJson(TokenSpec());
  const auto verify = [&](const std::string& header, const KeyPair& key) {
    return (*verifier)->Verify(SignedJws(header, claims, key.private_pem),
                               absl::Now());
  };
  EXPECT_TRUE(verify(Header(R"(,"kid":"k1")"), *issuer_key_).ok());
  EXPECT_TRUE(verify(Header(R"(,"kid":"k2")"), *other_key_).ok());
  EXPECT_TRUE(verify(Header(), *other_key_).ok()) << "no kid: every key";
  // Signed by k2, naming k1: k2 is not tried.
  ExpectRefused(verify(Header(R"(,"kid":"k1")"), *other_key_),
                "the signature matches none of the configured keys");
  ExpectRefused(verify(Header(R"(,"kid":"k3")"), *other_key_),
                "no configured key has its key id (kid) \"k3\"");
  ExpectRefused(verify(Header(R"(,"kid":7)"), *other_key_),
                "alg, typ and kid must be strings");
  std::remove(set.c_str());
}

// Keys without a kid (PEM files) serve tokens whose kid no key has.
TEST_F(JwtVerifierTest, KeysWithoutAKidServeTokensWhoseKidNoKeyHas) {
  const std::string set =
      WriteKey(SetOf({JwkOf(other_key_->public_pem, "k2")}));
  absl::StatusOr<std::unique_ptr<JwtVerifier>> verifier =
      VerifierOf({key_file_, set});
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  const std::string claims = ClaimsJson(TokenSpec());
  EXPECT_TRUE((*verifier)
                  ->Verify(SignedJws(Header(R"(,"kid":"from-the-idp")"), claims,
                                     issuer_key_->private_pem),
                           absl::Now())
                  .ok());
  EXPECT_TRUE((*verifier)
                  ->Verify(SignedJws(Header(R"(,"kid":"k2")"), claims,
                                     other_key_->private_pem),
                           absl::Now())
                  .ok());
  ExpectRefused((*verifier)->Verify(SignedJws(Header(R"(,"kid":"k2")"), claims,
                                              issuer_key_->private_pem),
                                    absl::Now()),
                "matches none of the configured keys");
  std::remove(set.c_str());
}

// RFC 9068 access tokens (typ at+jwt), which libjwt 1.10 refuses.
TEST_F(JwtVerifierTest, AcceptsAccessTokensTypedAtJwt) {
  const std::string claims = ClaimsJson(TokenSpec());
  const std::string at_jwt =
      SignedJws(Header(R"(,"typ":"at+jwt")"), claims, issuer_key_->private_pem);
  {
    jwt_t* raw = nullptr;
    EXPECT_NE(jwt_decode(&raw, at_jwt.c_str(),
                         reinterpret_cast<const unsigned char*>(
                             issuer_key_->public_pem.data()),
                         static_cast<int>(issuer_key_->public_pem.size())),
              0)
        << "libjwt 1.10 refuses typ at+jwt (why the verifier checks "
           "signatures itself); if this fails, libjwt changed";
    if (raw != nullptr) jwt_free(raw);
  }
  for (const char* typ : {"JWT", "jwt", "at+jwt", "AT+JWT",
                          "application/at+jwt", "Application/AT+JWT"}) {
    SCOPED_TRACE(typ);
    const absl::StatusOr<Claims> accepted = verifier_->Verify(
        SignedJws(Header(absl::StrCat(R"(,"typ":")", typ, "\"")), claims,
                  issuer_key_->private_pem),
        absl::Now());
    EXPECT_TRUE(accepted.ok()) << accepted.status();
  }
  EXPECT_TRUE(
      verifier_
          ->Verify(SignedJws(Header(), claims, issuer_key_->private_pem),
                   absl::Now())
          .ok())
      << "no typ";
  for (const char* typ : {"JOSE", "dpop+jwt", "secevent+jwt", ""}) {
    SCOPED_TRACE(typ);
    ExpectRefused(verifier_->Verify(
                      SignedJws(Header(absl::StrCat(R"(,"typ":")", typ, "\"")),
                                claims, issuer_key_->private_pem),
                      absl::Now()),
                  "its type (typ)");
  }
}

TEST_F(JwtVerifierTest, RefusesExpiryAndNotBeforeOutOfRange) {
  const std::string common =
      R"({"iss":"https://issuer.test","aud":"forum-registry","sub":"a",)";
  const std::string soon =
      absl::StrCat(absl::ToUnixSeconds(absl::Now()) + 3600);
  const auto verify = [&](const std::string& times) {
    return verifier_->Verify(
        SignedJws(Header(), absl::StrCat(common, times, "}"),
                  issuer_key_->private_pem),
        absl::Now());
  };
  for (const char* exp :
       {"1e300", "-1e300", "9223372036854775808", "-9.3e18", "1.8e19"}) {
    SCOPED_TRACE(exp);
    ExpectRefused(verify(absl::StrCat(R"("exp":)", exp)),
                  "the expiry (exp) is out of range");
  }
  for (const char* exp :
       {R"("NaN")", R"("Infinity")", "null", "[1]", R"("1700000000")"}) {
    SCOPED_TRACE(exp);
    ExpectRefused(verify(absl::StrCat(R"("exp":)", exp)),
                  "the expiry (exp) is not a number of seconds");
  }
  ExpectRefused(verify(absl::StrCat(R"("exp":)", soon, R"(,"nbf":1e300)")),
                "the start of validity (nbf) is out of range");
  ExpectRefused(verify(absl::StrCat(R"("exp":)", soon, R"(,"nbf":"-1e300")")),
                "the start of validity (nbf) is not a number of seconds");
  // In range: RFC 7519's NumericDate may have a fraction.
  const absl::StatusOr<Claims> fraction =
      verify(absl::StrCat(R"("exp":)", soon, ".5", R"(,"nbf":1.25)"));
  EXPECT_TRUE(fraction.ok()) << fraction.status();
  ExpectRefused(verify(R"("exp":-9.2e18)"), "it expired at");
}

TEST_F(JwtVerifierTest, TheAlgorithmMustFitTheKey) {
  const KeyPair ec = NewEcKeyPair();
  const std::string set = WriteKey(
      SetOf({JwkOf(ec.public_pem, "e1"),
             WithAlg(JwkOf(other_key_->public_pem, "r384"), "RS384")}));
  absl::StatusOr<std::unique_ptr<JwtVerifier>> verifier =
      VerifierOf({set, key_file_});
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  const std::string claims = ClaimsJson(TokenSpec());
  const auto verify = [&](const std::string& header, const std::string& key) {
    return (*verifier)->Verify(SignedJws(header, claims, key), absl::Now());
  };
  const absl::StatusOr<Claims> es256 =
      verify(Header(R"(,"kid":"e1")", "ES256"), ec.private_pem);
  EXPECT_TRUE(es256.ok()) << es256.status();
  // An RSA signature under an EC header, an EC one under an RSA header.
  ExpectRefused(verify(Header("", "ES256"), issuer_key_->private_pem),
                "matches none of the configured keys");
  ExpectRefused(verify(Header(R"(,"kid":"e1")"), ec.private_pem),
                "matches none of the configured keys");
  // A key whose JWK says RS384 verifies nothing else.
  ExpectRefused(verify(Header(R"(,"kid":"r384")"), other_key_->private_pem),
                "matches none of the configured keys");
  // An ES256 signature cut short.
  std::string cut = SignedJws(Header("", "ES256"), claims, ec.private_pem);
  cut.resize(cut.size() - 4);
  ExpectRefused((*verifier)->Verify(cut, absl::Now()),
                "matches none of the configured keys");
  ExpectRefused(verify(Header(R"(,"crit":["exp"])"), issuer_key_->private_pem),
                "critical header parameters (crit)");
  std::remove(set.c_str());
}

// Issuers publish keys of other types beside their signing keys: each is
// skipped and named, the rest used.
TEST_F(JwtVerifierTest, SkipsKeysItCannotUseAndNamesEach) {
  const KeyPair ec = NewEcKeyPair();
  const std::string set = WriteKey(SetOf(
      {OkpJwk("ed"), WithAlg(JwkOf(other_key_->public_pem, "pss"), "PS256"),
       WithAlg(JwkOf(ec.public_pem, "wrong-curve"), "ES384"),
       R"({"kty":"oct","kid":"hmac","k":"c2VjcmV0"})",
       R"({"kty":"RSA","kid":"broken","n":"","e":"AQAB"})", "42",
       JwkOf(issuer_key_->public_pem, "good")}));
  std::vector<KeyFileRead> reads;
  absl::StatusOr<std::unique_ptr<JwtVerifier>> verifier =
      VerifierOf({set}, &reads);
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_FALSE(reads[0].reload);
  EXPECT_TRUE(reads[0].status.ok());
  EXPECT_EQ(reads[0].keys, 1);
  ASSERT_EQ(reads[0].skipped.size(), 6u);
  EXPECT_EQ(reads[0].skipped[0].index, 1);
  EXPECT_EQ(reads[0].skipped[0].kid, "ed");
  EXPECT_EQ(reads[0].skipped[0].kty, "OKP");
  EXPECT_THAT(reads[0].skipped[0].reason,
              HasSubstr("a key of type \"OKP\" (crv \"Ed25519\")"));
  EXPECT_THAT(reads[0].skipped[1].reason,
              HasSubstr("its alg \"PS256\" is not one this server verifies"));
  EXPECT_THAT(reads[0].skipped[2].reason,
              HasSubstr("its alg ES384 does not fit the key"));
  EXPECT_THAT(reads[0].skipped[3].reason, HasSubstr("type \"oct\""));
  EXPECT_THAT(reads[0].skipped[4].reason, HasSubstr("without n and e"));
  EXPECT_THAT(reads[0].skipped[5].reason, HasSubstr("not a JSON object"));
  EXPECT_EQ((*verifier)->stats().keys, 1);
  EXPECT_EQ((*verifier)->stats().skipped, 6);
  const std::string claims = ClaimsJson(TokenSpec());
  EXPECT_TRUE((*verifier)
                  ->Verify(SignedJws(Header(R"(,"kid":"good")"), claims,
                                     issuer_key_->private_pem),
                           absl::Now())
                  .ok());
  ExpectRefused((*verifier)->Verify(SignedJws(Header(R"(,"kid":"pss")"), claims,
                                              other_key_->private_pem),
                                    absl::Now()),
                "no configured key has its key id (kid) \"pss\"");
  std::remove(set.c_str());
}

// A set replaced under the verifier: a reload takes it; a file that then
// does not read keeps the keys it had, and says so.
TEST_F(JwtVerifierTest, AReloadTakesAChangedFileAndKeepsKeysWhenItFails) {
  const std::string path =
      WriteKey(SetOf({JwkOf(issuer_key_->public_pem, "old")}));
  std::vector<KeyFileRead> reads;
  absl::StatusOr<std::unique_ptr<JwtVerifier>> verifier =
      VerifierOf({path}, &reads);
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  const std::string claims = ClaimsJson(TokenSpec());
  const std::string old_token =
      SignedJws(Header(R"(,"kid":"old")"), claims, issuer_key_->private_pem);
  const std::string new_token =
      SignedJws(Header(R"(,"kid":"new")"), claims, other_key_->private_pem);
  EXPECT_TRUE((*verifier)->Verify(old_token, absl::Now()).ok());
  ExpectRefused((*verifier)->Verify(new_token, absl::Now()), "kid");
  (*verifier)->Reload();
  EXPECT_EQ(reads.size(), 1u) << "an unchanged file is not read again";

  std::ofstream(path) << SetOf(
      {OkpJwk("ed"), JwkOf(other_key_->public_pem, "new")});
  (*verifier)->Reload();
  EXPECT_TRUE((*verifier)->Verify(new_token, absl::Now()).ok());
  ExpectRefused((*verifier)->Verify(old_token, absl::Now()),
                "no configured key has its key id (kid) \"old\"");
  ASSERT_EQ(reads.size(), 2u);
  EXPECT_TRUE(reads[1].reload);
  EXPECT_TRUE(reads[1].status.ok());
  EXPECT_EQ(reads[1].keys, 1);
  EXPECT_EQ(reads[1].skipped.size(), 1u);
  EXPECT_EQ((*verifier)->stats().reloads, 1);
  EXPECT_EQ((*verifier)->stats().skipped, 1);

  int failures = 0;
  for (const std::string& bad :
       {std::string("{not json"), std::string(R"({"keys":[]})"),
        SetOf({OkpJwk("ed")})}) {
    SCOPED_TRACE(bad);
    std::ofstream(path) << bad;
    (*verifier)->Reload();
    ++failures;
    EXPECT_TRUE((*verifier)->Verify(new_token, absl::Now()).ok())
        << "the keys are kept";
    EXPECT_FALSE(reads.back().status.ok());
    EXPECT_THAT(reads.back().status.message(), HasSubstr(path));
    EXPECT_EQ(reads.back().keys, 1) << "the keys kept";
  }
  std::remove(path.c_str());
  (*verifier)->Reload();
  ++failures;
  EXPECT_THAT(reads.back().status.message(), HasSubstr("not a readable file"));
  EXPECT_TRUE((*verifier)->Verify(new_token, absl::Now()).ok());
  EXPECT_EQ((*verifier)->stats().reload_failures, failures);
  EXPECT_EQ((*verifier)->stats().reloads, 1);
  EXPECT_EQ((*verifier)->stats().keys, 1);
}

// The refresh thread reads changed files by itself.
TEST_F(JwtVerifierTest, TheRefreshIntervalReadsChangedFiles) {
  const std::string path =
      WriteKey(SetOf({JwkOf(issuer_key_->public_pem, "old")}));
  absl::StatusOr<std::unique_ptr<JwtVerifier>> verifier =
      VerifierOf({path}, nullptr, absl::Milliseconds(20));
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  const std::string token =
      SignedJws(Header(R"(,"kid":"new")"), ClaimsJson(TokenSpec()),
                other_key_->private_pem);
  std::ofstream(path) << SetOf({JwkOf(other_key_->public_pem, "new")});
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!(*verifier)->Verify(token, absl::Now()).ok() &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE((*verifier)->Verify(token, absl::Now()).ok());
  std::remove(path.c_str());
}

// Tokens verified while the keys are replaced under them: a key in every
// version always verifies.
TEST_F(JwtVerifierTest, VerifiesWhileTheKeysAreReplaced) {
  const std::string both = SetOf({JwkOf(issuer_key_->public_pem, "stays"),
                                  JwkOf(other_key_->public_pem, "comes")});
  const std::string one = SetOf({JwkOf(issuer_key_->public_pem, "stays")});
  const std::string path = WriteKey(one);
  absl::StatusOr<std::unique_ptr<JwtVerifier>> verifier = VerifierOf({path});
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  const std::string token =
      SignedJws(Header(R"(,"kid":"stays")"), ClaimsJson(TokenSpec()),
                issuer_key_->private_pem);
  std::atomic<bool> done{false};
  std::atomic<int> refused{0};
  std::vector<std::thread> verifiers;
  for (int i = 0; i < 3; ++i) {
    verifiers.emplace_back([&] {
      while (!done.load()) {
        if (!(*verifier)->Verify(token, absl::Now()).ok()) ++refused;
      }
    });
  }
  for (int round = 0; round < 100; ++round) {
    std::ofstream(path) << (round % 2 == 0 ? both : one);
    (*verifier)->Reload();
  }
  done = true;
  for (std::thread& thread : verifiers) thread.join();
  EXPECT_EQ(refused.load(), 0);
  EXPECT_EQ((*verifier)->stats().reloads, 100);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace forum_registry::auth
