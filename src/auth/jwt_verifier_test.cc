#include "src/auth/jwt_verifier.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/auth/testing/tokens.h"

namespace forum_registry::auth {
namespace {

using ::forum_registry::auth::testing::EcSignedToken;
using ::forum_registry::auth::testing::HmacToken;
using ::forum_registry::auth::testing::JwksOf;
using ::forum_registry::auth::testing::KeyPair;
using ::forum_registry::auth::testing::NewEcKeyPair;
using ::forum_registry::auth::testing::NewRsaKeyPair;
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

TEST(JwtVerifierOptions, RefusesAFileThatIsNeitherPemNorAJwkSet) {
  const std::string path = WriteKey(R"({"keys": [{"kty": "OKP"}]})");
  EXPECT_THAT(JwtVerifier::Create(
                  {.public_key_files = {path}, .issuer = "i", .audience = "a"})
                  .status()
                  .message(),
              HasSubstr("nor a JWK Set (key 1: a key of type \"OKP\")"));
  std::remove(path.c_str());
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
              HasSubstr("/nonexistent is not a readable PEM public key"));
}

}  // namespace
}  // namespace forum_registry::auth
