#include "src/auth/jwt_verifier.h"

#include <jwt.h>
#include <openssl/err.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/auth/jose.h"
#include "src/auth/testing/tokens.h"

namespace forum_registry::auth {
namespace {

using ::forum_registry::auth::testing::Base64Url;
using ::forum_registry::auth::testing::ClaimsJson;
using ::forum_registry::auth::testing::EcdsaForm;
using ::forum_registry::auth::testing::EcSignedToken;
using ::forum_registry::auth::testing::HmacToken;
using ::forum_registry::auth::testing::JwkOf;
using ::forum_registry::auth::testing::JwksOf;
using ::forum_registry::auth::testing::KeyPair;
using ::forum_registry::auth::testing::NewEcKeyPair;
using ::forum_registry::auth::testing::NewRsaKeyPair;
using ::forum_registry::auth::testing::NewRsaPssKeyPair;
using ::forum_registry::auth::testing::OkpJwk;
using ::forum_registry::auth::testing::SignedJws;
using ::forum_registry::auth::testing::SignedParts;
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
  // {"alg":"none"} . good claims . a signature, so that the refusal is the
  // algorithm's, not the missing signature's.
  const std::string token =
      absl::StrCat(Base64Url(R"({"alg":"none","typ":"JWT"})"), ".",
                   Base64Url(ClaimsJson(TokenSpec())), ".", Base64Url("sig"));
  ExpectRefused(verifier_->Verify(token, absl::Now()),
                "algorithm none is not accepted");
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
  std::vector<KeyFileRead> reads;
  absl::StatusOr<std::unique_ptr<JwtVerifier>> verifier =
      VerifierOf({rsa_set, ec_set}, &reads);
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  ASSERT_EQ(reads.size(), 2u);
  for (const KeyFileRead& read : reads) {
    SCOPED_TRACE(read.path);
    EXPECT_EQ(read.keys, 1);
    ASSERT_EQ(read.skipped.size(), 1u) << "the encryption key";
    EXPECT_EQ(read.skipped[0].index, 1);
    EXPECT_THAT(read.skipped[0].reason,
                HasSubstr("its use \"enc\" is not sig"));
  }
  EXPECT_EQ((*verifier)->stats().keys, 2);
  EXPECT_EQ((*verifier)->stats().skipped, 2);
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
  // An ES256 signature cut short (by 3 bytes, still base64url).
  std::string cut = SignedJws(Header("", "ES256"), claims, ec.private_pem);
  std::string signature;
  ASSERT_TRUE(Base64UrlDecode(cut.substr(cut.rfind('.') + 1), &signature));
  cut = absl::StrCat(cut.substr(0, cut.rfind('.') + 1),
                     Base64Url(signature.substr(0, signature.size() - 3)));
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
  std::atomic<int> verified{0};
  std::vector<std::thread> verifiers;
  for (int i = 0; i < 3; ++i) {
    verifiers.emplace_back([&] {
      // At least one verification each, however fast the reloads are.
      do {
        if ((*verifier)->Verify(token, absl::Now()).ok()) {
          ++verified;
        } else {
          ++refused;
        }
      } while (!done.load());
    });
  }
  for (int round = 0; round < 100; ++round) {
    std::ofstream(path) << (round % 2 == 0 ? both : one);
    (*verifier)->Reload();
  }
  done = true;
  for (std::thread& thread : verifiers) thread.join();
  EXPECT_EQ(refused.load(), 0);
  EXPECT_GE(verified.load(), 3) << "the tokens were verified at all";
  EXPECT_EQ((*verifier)->stats().reloads, 100);
  std::remove(path.c_str());
}

// OpenSSL leaves errors on the thread's queue when a signature does not
// verify or a key does not read; the workers that verify tokens also run
// TLS, whose SSL_get_error reads that queue. Nothing is left behind.
TEST_F(JwtVerifierTest, LeavesNoOpenSslErrorBehind) {
  const KeyPair ec = NewEcKeyPair();
  const std::string set = WriteKey(SetOf({JwkOf(ec.public_pem, "e1")}));
  absl::StatusOr<std::unique_ptr<JwtVerifier>> verifier =
      VerifierOf({key_file_, set});
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  ERR_clear_error();
  ExpectRefused(
      (*verifier)->Verify(SignedToken(TokenSpec(), other_key_->private_pem),
                          absl::Now()),
      "matches none of the configured keys");
  EXPECT_EQ(ERR_peek_error(), 0u) << "after an RSA signature that fails";
  const std::string by_another_ec_key = SignedJws(
      Header("", "ES256"), ClaimsJson(TokenSpec()), NewEcKeyPair().private_pem);
  ExpectRefused((*verifier)->Verify(by_another_ec_key, absl::Now()),
                "matches none of the configured keys");
  EXPECT_EQ(ERR_peek_error(), 0u) << "after an ECDSA signature that fails";
  EXPECT_TRUE((*verifier)
                  ->Verify(SignedToken(TokenSpec(), issuer_key_->private_pem),
                           absl::Now())
                  .ok());
  EXPECT_EQ(ERR_peek_error(), 0u);
  for (const std::string& bad :
       {std::string(
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
        std::string("-----BEGIN PUBLIC KEY-----\n@@@@\n"),
        SetOf({R"({"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"})",
               R"({"kty":"RSA","n":"AAAA","e":"AQAB"})"})}) {
    SCOPED_TRACE(bad);
    const std::string path = WriteKey(bad);
    EXPECT_FALSE(VerifierOf({path}).ok());
    EXPECT_EQ(ERR_peek_error(), 0u) << "after a key file that does not read";
    std::remove(path.c_str());
  }
  std::remove(set.c_str());
}

// RFC 7518 §3.3: RSA keys of 2048 bits at least (8192 at most here), and a
// public exponent that is odd and at least 65537.
TEST_F(JwtVerifierTest, SkipsWeakRsaKeys) {
  const KeyPair short_key = NewRsaKeyPair(1024);
  const KeyPair e3 = NewRsaKeyPair(2048, 3);
  const std::string good = JwkOf(issuer_key_->public_pem, "good");
  const auto with_e = [&](const std::string& kid, const std::string& e) {
    std::string jwk = JwkOf(other_key_->public_pem, kid);
    const size_t at = jwk.find(R"("e":"AQAB")");
    return jwk.replace(at, 10, absl::StrCat(R"("e":")", e, "\""));
  };
  std::string long_modulus(8193 / 8 + 1, '\xff');  // 8200 bits, odd
  const std::string too_long =
      absl::StrCat(R"({"kty":"RSA","kid":"long","n":")",
                   Base64Url(long_modulus), R"(","e":"AQAB"})");
  const std::string set = WriteKey(
      SetOf({JwkOf(short_key.public_pem, "short"), JwkOf(e3.public_pem, "e3"),
             with_e("e1", Base64Url("\x01")),
             with_e("even", Base64Url(std::string("\x01\x00\x00", 3))),
             with_e("e65535", Base64Url("\xff\xff")), too_long, good}));
  std::vector<KeyFileRead> reads;
  absl::StatusOr<std::unique_ptr<JwtVerifier>> verifier =
      VerifierOf({set}, &reads);
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].keys, 1);
  ASSERT_EQ(reads[0].skipped.size(), 6u);
  EXPECT_EQ(reads[0].skipped[0].kid, "short");
  EXPECT_THAT(reads[0].skipped[0].reason,
              HasSubstr("an RSA key of 1024 bits (2048 to 8192 bits"));
  EXPECT_THAT(reads[0].skipped[1].reason,
              HasSubstr("public exponent is 3 (it must be odd and at least "
                        "65537)"));
  EXPECT_THAT(reads[0].skipped[2].reason, HasSubstr("public exponent is 1 "));
  EXPECT_THAT(reads[0].skipped[3].reason,
              HasSubstr("public exponent is 65536 "));
  EXPECT_THAT(reads[0].skipped[4].reason,
              HasSubstr("public exponent is 65535 "));
  EXPECT_THAT(reads[0].skipped[5].reason, HasSubstr("an RSA key of 8200 bits"));
  EXPECT_EQ((*verifier)->stats().skipped, 6);
  const std::string claims = ClaimsJson(TokenSpec());
  ExpectRefused((*verifier)->Verify(SignedJws(Header(R"(,"kid":"short")"),
                                              claims, short_key.private_pem),
                                    absl::Now()),
                "no configured key has its key id (kid) \"short\"");
  EXPECT_TRUE((*verifier)
                  ->Verify(SignedJws(Header(R"(,"kid":"good")"), claims,
                                     issuer_key_->private_pem),
                           absl::Now())
                  .ok());
  // A PEM file of a short key alone does not read, naming why.
  const std::string pem = WriteKey(short_key.public_pem);
  const absl::Status status = VerifierOf({pem}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("no usable key (key 1: an RSA key of 1024 bits"));
  std::remove(pem.c_str());
  std::remove(set.c_str());
}

TEST(Base64Url, AcceptsOnlyTheCanonicalUnpaddedSpelling) {
  std::string out;
  EXPECT_TRUE(Base64UrlDecode("", &out));
  EXPECT_TRUE(Base64UrlDecode("AQAB", &out));
  EXPECT_EQ(out, std::string("\x01\x00\x01", 3));
  EXPECT_TRUE(Base64UrlDecode("_-8", &out));
  EXPECT_EQ(out, "\xff\xef");
  EXPECT_TRUE(Base64UrlDecode("AQ", &out));
  for (const char* bad : {"AQ==", "AQ=", "AQ A", "AQ\nAB", " AQAB", "AQAB ",
                          "+/8", "A", "AQABA", "AR", "AQF", "A.B"}) {
    SCOPED_TRACE(bad);
    out = "unchanged";
    EXPECT_FALSE(Base64UrlDecode(bad, &out));
    EXPECT_EQ(out, "unchanged");
  }
}

// Each part of a token has one spelling: padding, whitespace, and unused
// bits set in the last character are refused, though a lax decoder reads
// the same bytes from them (and the signature would verify).
TEST_F(JwtVerifierTest, RefusesPartsThatAreNotStrictBase64Url) {
  const std::string header = Base64Url(Header());  // 15 bytes: 20 characters
  const std::string payload = Base64Url(ClaimsJson(TokenSpec()));
  const std::string& key = issuer_key_->private_pem;
  ASSERT_TRUE(
      verifier_->Verify(SignedParts(header, payload, key), absl::Now()).ok());
  // A header of 16 bytes, so that its encoding has unused bits.
  const std::string spaced = Base64Url(R"({"alg":"RS256"} )");
  ASSERT_TRUE(
      verifier_->Verify(SignedParts(spaced, payload, key), absl::Now()).ok());
  std::string spaced_loose = spaced;
  spaced_loose.back() = spaced.back() == 'A' ? 'B' : 'A';  // "IA" -> "IB"
  ASSERT_EQ(spaced.back(), 'A') << spaced;
  // The signature (256 bytes: 342 characters, 4 unused bits at the end).
  const std::string token = SignedParts(header, payload, key);
  std::string loose_signature = token;
  const char last = loose_signature.back();
  const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  ASSERT_EQ(alphabet.find(last) % 16, 0u);
  loose_signature.back() = alphabet[alphabet.find(last) + 1];
  for (const auto& [bad, what] :
       std::vector<std::pair<std::string, std::string>>{
           {SignedParts(spaced_loose, payload, key), "header, unused bits set"},
           {SignedParts(header + "=", payload, key), "header padded"},
           {SignedParts(Base64Url(R"({"alg":"RS256"}  )") + "==", payload, key),
            "header padded"},
           {SignedParts(header, payload.substr(0, 8) + " " + payload.substr(8),
                        key),
            "claims with a space"},
           {SignedParts(header, payload.substr(0, 8) + "\n" + payload.substr(8),
                        key),
            "claims with a newline"},
           {SignedParts(header, payload + "A", key), "claims of 4n+1"},
           {loose_signature, "signature, unused bits set"},
           {token + "==", "signature padded"},
           {token + "\n", "signature and a newline"},
           {token.substr(0, token.rfind('.') + 1) + "+/" +
                token.substr(token.rfind('.') + 3),
            "signature in base64, not base64url"}}) {
    SCOPED_TRACE(what);
    ExpectRefused(verifier_->Verify(bad, absl::Now()), "not a well-formed JWT");
  }
}

TEST_F(JwtVerifierTest, RefusesATokenLongerThan8KiB) {
  // The claims grown by a filler claim until the token is exactly 8 KiB.
  const auto token_of = [&](size_t filler) {
    std::string claims = ClaimsJson(TokenSpec());
    claims.insert(1, absl::StrCat(R"("x":")", std::string(filler, 'x'), "\","));
    return SignedJws(Header(), claims, issuer_key_->private_pem);
  };
  // Each 3 bytes of claims are 4 characters of token.
  size_t filler = (kTokenMostBytes - token_of(0).size()) * 3 / 4 - 4;
  while (token_of(filler).size() < kTokenMostBytes) ++filler;
  std::string longest = token_of(filler);
  if (longest.size() > kTokenMostBytes) longest = token_of(--filler);
  ASSERT_LE(longest.size(), kTokenMostBytes);
  ASSERT_GE(longest.size(), kTokenMostBytes - 2);
  const absl::StatusOr<Claims> accepted =
      verifier_->Verify(longest, absl::Now());
  EXPECT_TRUE(accepted.ok()) << accepted.status();
  for (size_t more = filler + 1; more < filler + 4; ++more) {
    const std::string too_long = token_of(more);
    ASSERT_GT(too_long.size(), kTokenMostBytes);
    ExpectRefused(verifier_->Verify(too_long, absl::Now()),
                  "longer than 8192 bytes, the most a token may have");
  }
  ExpectRefused(verifier_->Verify(std::string(1 << 20, '.'), absl::Now()),
                "longer than 8192 bytes");
}

// JWK members of the wrong type, and key_ops that do not allow verifying,
// skip the key, saying why.
TEST_F(JwtVerifierTest, SkipsJwksWhoseMembersDoNotAllowVerifying) {
  std::string jwk = JwkOf(other_key_->public_pem, "");
  jwk.erase(jwk.find(R"("use":"sig",)"), 12);
  const auto with = [&](const std::string& member) {
    return absl::StrCat("{", member, ",", jwk.substr(1));
  };
  const std::string set = WriteKey(SetOf(
      {with(R"("use":1,"kid":"a")"), with(R"("alg":true,"kid":"b")"),
       with(R"("kid":5)"), with(R"("key_ops":["sign"],"kid":"d")"),
       with(R"("key_ops":"verify","kid":"e")"),
       with(R"("key_ops":["verify",1],"kid":"f")"), with(R"("use":"enc")"),
       with(R"("key_ops":["sign","verify"],"kid":"ok")")}));
  std::vector<KeyFileRead> reads;
  absl::StatusOr<std::unique_ptr<JwtVerifier>> verifier =
      VerifierOf({set}, &reads);
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].keys, 1);
  ASSERT_EQ(reads[0].skipped.size(), 7u);
  EXPECT_THAT(reads[0].skipped[0].reason, HasSubstr("its use is not a string"));
  EXPECT_THAT(reads[0].skipped[1].reason, HasSubstr("its alg is not a string"));
  EXPECT_THAT(reads[0].skipped[2].reason, HasSubstr("its kid is not a string"));
  for (int i : {3, 4, 5}) {
    EXPECT_THAT(reads[0].skipped[i].reason,
                HasSubstr("its key_ops is not an array of strings including "
                          "\"verify\""));
  }
  EXPECT_THAT(reads[0].skipped[6].reason, HasSubstr("its use \"enc\""));
  EXPECT_EQ((*verifier)->stats().skipped, 7);
  const std::string claims = ClaimsJson(TokenSpec());
  EXPECT_TRUE((*verifier)
                  ->Verify(SignedJws(Header(R"(,"kid":"ok")"), claims,
                                     other_key_->private_pem),
                           absl::Now())
                  .ok());
  ExpectRefused((*verifier)->Verify(SignedJws(Header(R"(,"kid":"d")"), claims,
                                              other_key_->private_pem),
                                    absl::Now()),
                "no configured key has its key id (kid) \"d\"");
  std::remove(set.c_str());
}

// A token without a kid, or whose kid falls back to the keys without one,
// is checked against kKeysTriedMost keys at most.
TEST_F(JwtVerifierTest, TriesEightKeysAtMost) {
  ASSERT_EQ(kKeysTriedMost, 8);
  std::vector<KeyPair> keys;
  std::vector<std::string> jwks;
  for (int i = 0; i < 9; ++i) {
    keys.push_back(NewEcKeyPair());
    jwks.push_back(JwkOf(keys.back().public_pem, ""));
  }
  // An RSA key first: not for ES256, so not counted.
  jwks.insert(jwks.begin(), JwkOf(other_key_->public_pem, ""));
  const std::string set = WriteKey(SetOf(jwks));
  absl::StatusOr<std::unique_ptr<JwtVerifier>> verifier = VerifierOf({set});
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  const std::string claims = ClaimsJson(TokenSpec());
  for (const std::string& more :
       {std::string(), std::string(R"(,"kid":"x")")}) {
    SCOPED_TRACE(more);
    const absl::StatusOr<Claims> eighth = (*verifier)->Verify(
        SignedJws(Header(more, "ES256"), claims, keys[7].private_pem),
        absl::Now());
    EXPECT_TRUE(eighth.ok()) << eighth.status();
    ExpectRefused(
        (*verifier)->Verify(
            SignedJws(Header(more, "ES256"), claims, keys[8].private_pem),
            absl::Now()),
        "matches none of the first 8 configured keys it may be checked with");
  }
  // An RS256 token: one key it may be checked with, the usual message.
  ExpectRefused(
      (*verifier)->Verify(SignedToken(TokenSpec(), issuer_key_->private_pem),
                          absl::Now()),
      "the signature matches none of the configured keys");
  std::remove(set.c_str());
}

// A PEM file holding several keys (old and new while rotating): each is
// read.
TEST_F(JwtVerifierTest, ReadsEveryKeyOfAPemFile) {
  const KeyPair ec = NewEcKeyPair("P-384");
  const KeyPair pss = NewRsaPssKeyPair();
  const std::string path = WriteKey(
      absl::StrCat("old key\n", issuer_key_->public_pem, pss.public_pem,
                   "new key\n", other_key_->public_pem, ec.public_pem));
  std::vector<KeyFileRead> reads;
  absl::StatusOr<std::unique_ptr<JwtVerifier>> verifier =
      VerifierOf({path}, &reads);
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].keys, 3);
  ASSERT_EQ(reads[0].skipped.size(), 1u);
  EXPECT_EQ(reads[0].skipped[0].index, 2);
  EXPECT_EQ(reads[0].skipped[0].kty, "RSA-PSS");
  EXPECT_THAT(reads[0].skipped[0].reason, HasSubstr("a key of type RSA-PSS"));
  const std::string claims = ClaimsJson(TokenSpec());
  for (const KeyPair* key : {issuer_key_, other_key_}) {
    const absl::StatusOr<Claims> accepted = (*verifier)->Verify(
        SignedToken(TokenSpec(), key->private_pem), absl::Now());
    EXPECT_TRUE(accepted.ok()) << accepted.status();
  }
  const absl::StatusOr<Claims> es384 = (*verifier)->Verify(
      SignedJws(Header("", "ES384"), claims, ec.private_pem), absl::Now());
  EXPECT_TRUE(es384.ok()) << es384.status();
  // The RSA-PSS key was skipped: nothing it signs passes, nor as PS256.
  ExpectRefused((*verifier)->Verify(
                    SignedJws(Header(), claims, pss.private_pem), absl::Now()),
                "matches none of the configured keys");
  ExpectRefused(
      (*verifier)->Verify(
          SignedJws(Header("", "PS256"), claims, pss.private_pem), absl::Now()),
      "algorithm PS256 is not accepted");
  std::remove(path.c_str());

  // A file whose only key is RSA-PSS, or with a block cut short.
  for (const auto& [text, says] :
       std::vector<std::pair<std::string, std::string>>{
           {pss.public_pem, "no usable key (key 1: a key of type RSA-PSS"},
           {absl::StrCat(issuer_key_->public_pem,
                         other_key_->public_pem.substr(0, 100)),
            "a PEM public key OpenSSL cannot read (block 2)"}}) {
    SCOPED_TRACE(text);
    const std::string bad = WriteKey(text);
    const absl::Status status = VerifierOf({bad}).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(status.message(), HasSubstr(says));
    std::remove(bad.c_str());
  }
}

// ES384 and ES512, each with its own curve only; the signature as JWS
// writes it, never DER.
TEST_F(JwtVerifierTest, VerifiesEs384AndEs512OnTheirCurvesOnly) {
  const KeyPair p256 = NewEcKeyPair("P-256");
  const KeyPair p384 = NewEcKeyPair("P-384");
  const KeyPair p521 = NewEcKeyPair("P-521");
  const std::string set = WriteKey(
      SetOf({JwkOf(p256.public_pem, "p256"), JwkOf(p384.public_pem, "p384"),
             JwkOf(p521.public_pem, "p521")}));
  absl::StatusOr<std::unique_ptr<JwtVerifier>> verifier = VerifierOf({set});
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  const std::string claims = ClaimsJson(TokenSpec());
  const auto verify = [&](const std::string& alg, const std::string& kid,
                          const KeyPair& key,
                          EcdsaForm form = EcdsaForm::kJws) {
    return (*verifier)->Verify(
        SignedJws(Header(absl::StrCat(R"(,"kid":")", kid, "\""), alg), claims,
                  key.private_pem, form),
        absl::Now());
  };
  for (const auto& [alg, kid, key] :
       std::vector<std::tuple<std::string, std::string, const KeyPair*>>{
           {"ES256", "p256", &p256},
           {"ES384", "p384", &p384},
           {"ES512", "p521", &p521}}) {
    SCOPED_TRACE(alg);
    const absl::StatusOr<Claims> accepted = verify(alg, kid, *key);
    EXPECT_TRUE(accepted.ok()) << accepted.status();
    ExpectRefused(verify(alg, kid, *key, EcdsaForm::kDer),
                  "matches none of the configured keys");
  }
  // ES256 with the P-384 key, ES384 with the P-521 one: not tried.
  ExpectRefused(verify("ES256", "p384", p384),
                "matches none of the configured keys");
  ExpectRefused(verify("ES384", "p521", p521),
                "matches none of the configured keys");
  ExpectRefused(verify("ES512", "p256", p256),
                "matches none of the configured keys");
  std::remove(set.c_str());
}

// aud may be an array: it must hold the audience, and only strings.
TEST_F(JwtVerifierTest, ReadsTheAudienceAsAnArray) {
  const auto verify = [&](const std::string& aud) {
    std::string claims = ClaimsJson(TokenSpec());
    const size_t at = claims.find(R"("aud":"forum-registry")");
    claims.replace(at, 22, absl::StrCat(R"("aud":)", aud));
    return verifier_->Verify(
        SignedJws(Header(), claims, issuer_key_->private_pem), absl::Now());
  };
  for (const char* aud : {R"(["forum-registry"])", R"(["a","forum-registry"])",
                          R"(["forum-registry","b"])"}) {
    SCOPED_TRACE(aud);
    const absl::StatusOr<Claims> accepted = verify(aud);
    EXPECT_TRUE(accepted.ok()) << accepted.status();
  }
  for (const char* aud : {R"([])", R"(["a","b"])", R"(["Forum-Registry"])",
                          R"(7)", R"({"forum-registry":1})"}) {
    SCOPED_TRACE(aud);
    ExpectRefused(verify(aud), "the audience (aud) does not include");
  }
  for (const char* aud :
       {R"(["forum-registry",1])", R"([null,"forum-registry"])",
        R"([["forum-registry"]])"}) {
    SCOPED_TRACE(aud);
    ExpectRefused(verify(aud),
                  "the audience (aud) is not a string nor an array of strings");
  }
}

// Key files are regular files of 1 MiB at most: anything else stops the
// start and, on a reload, keeps the keys.
TEST_F(JwtVerifierTest, ReadsRegularKeyFilesOf1MiBAtMost) {
  char dir_template[] = "/tmp/fr-jwt-dir-XXXXXX";
  const std::string dir = mkdtemp(dir_template);
  const std::string fifo = dir + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const std::string big = WriteKey(absl::StrCat(
      issuer_key_->public_pem, std::string(kKeyFileMostBytes, '\n')));
  for (const auto& [path, says] :
       std::vector<std::pair<std::string, std::string>>{
           {dir, " is not a regular file"},
           {fifo, " is not a regular file"},
           {"/dev/zero", " is not a regular file"},
           {big, " is larger than 1048576 bytes (1 MiB)"},
           {dir + "/none", " is not a readable file"}}) {
    SCOPED_TRACE(path);
    const absl::Status status = VerifierOf({path}).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(status.message(),
                HasSubstr("--jwt-public-keys: " + path + says));
  }
  // Exactly 1 MiB reads.
  const std::string most = WriteKey(absl::StrCat(
      issuer_key_->public_pem,
      std::string(kKeyFileMostBytes - issuer_key_->public_pem.size(), '\n')));
  EXPECT_TRUE(VerifierOf({most}).ok());

  // At a reload: the keys are kept, and the read says why.
  std::vector<KeyFileRead> reads;
  absl::StatusOr<std::unique_ptr<JwtVerifier>> verifier =
      VerifierOf({most}, &reads);
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  const std::string token = SignedToken(TokenSpec(), issuer_key_->private_pem);
  std::ofstream(most, std::ios::app) << "\n";
  (*verifier)->Reload();
  EXPECT_THAT(reads.back().status.message(), HasSubstr("is larger than"));
  EXPECT_TRUE((*verifier)->Verify(token, absl::Now()).ok());
  std::remove(most.c_str());
  ASSERT_EQ(mkdir(most.c_str(), 0700), 0);
  (*verifier)->Reload();
  EXPECT_THAT(reads.back().status.message(),
              HasSubstr(most + " is not a regular file"));
  EXPECT_EQ(reads.back().keys, 1) << "kept";
  EXPECT_TRUE((*verifier)->Verify(token, absl::Now()).ok());
  EXPECT_EQ((*verifier)->stats().reload_failures, 2);
  rmdir(most.c_str());
  std::remove(big.c_str());
  std::remove(fifo.c_str());
  rmdir(dir.c_str());
}

}  // namespace
}  // namespace forum_registry::auth
