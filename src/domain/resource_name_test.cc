#include "src/domain/resource_name.h"

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace forum_registry::domain {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(IsValidId, AcceptsSingleCharacter) {
  EXPECT_TRUE(IsValidId("a"));
  EXPECT_TRUE(IsValidId("7"));
}

TEST(IsValidId, AcceptsSixtyThreeCharacters) {
  EXPECT_TRUE(IsValidId(std::string(kMaxIdLength, 'a')));
}

TEST(IsValidId, AcceptsDigits) {
  EXPECT_TRUE(IsValidId("2023"));
  EXPECT_TRUE(IsValidId("g20"));
}

TEST(IsValidId, AcceptsHyphenInside) {
  EXPECT_TRUE(IsValidId("arf-ism-ict"));
  EXPECT_TRUE(IsValidId("a-1"));
  EXPECT_TRUE(IsValidId("a--b"));
}

TEST(IsValidId, RejectsEmpty) { EXPECT_FALSE(IsValidId("")); }

TEST(IsValidId, RejectsSixtyFourCharacters) {
  EXPECT_FALSE(IsValidId(std::string(kMaxIdLength + 1, 'a')));
}

TEST(IsValidId, RejectsUpperCase) {
  EXPECT_FALSE(IsValidId("ARF"));
  EXPECT_FALSE(IsValidId("arF"));
}

TEST(IsValidId, RejectsLeadingHyphen) { EXPECT_FALSE(IsValidId("-arf")); }

TEST(IsValidId, RejectsTrailingHyphen) { EXPECT_FALSE(IsValidId("arf-")); }

TEST(IsValidId, RejectsLoneHyphen) { EXPECT_FALSE(IsValidId("-")); }

TEST(IsValidId, RejectsUnderscore) { EXPECT_FALSE(IsValidId("arf_ict")); }

TEST(IsValidId, RejectsSlash) { EXPECT_FALSE(IsValidId("arf/ict")); }

TEST(IsValidId, RejectsSpaceAndDot) {
  EXPECT_FALSE(IsValidId("arf ict"));
  EXPECT_FALSE(IsValidId("arf.ict"));
}

TEST(IsValidId, RejectsNonAscii) {
  EXPECT_FALSE(IsValidId("россия"));
  EXPECT_FALSE(IsValidId("caf\xc3\xa9"));  // "café"
}

TEST(IsValidId, RejectsNulByte) {
  EXPECT_FALSE(IsValidId(absl::string_view("a\0b", 3)));
}

TEST(ValidateId, AcceptsValidId) {
  EXPECT_TRUE(ValidateId("arf", "forum_id").ok());
}

TEST(ValidateId, EmptyIsRequiredError) {
  const absl::Status status = ValidateId("", "forum_id");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "forum_id: is required");
}

TEST(ValidateId, InvalidIdNamesFieldAndValue) {
  const absl::Status status = ValidateId("Bad_Id", "forum_id");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), StartsWith("forum_id: "));
  EXPECT_THAT(std::string(status.message()), HasSubstr("Bad_Id"));
}

TEST(ValidateId, LongInvalidIdIsCutShortInMessage) {
  const std::string huge(10000, 'X');
  const absl::Status status = ValidateId(huge, "forum_id");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_LT(status.message().size(), 500u);
}

TEST(ParseName, ReturnsId) {
  const absl::StatusOr<std::string> id =
      ParseName("forums/arf", "forums", "forum.parent");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, "arf");
}

TEST(ParseName, ReturnsIdOfMaximumLength) {
  const std::string id(kMaxIdLength, 'z');
  const absl::StatusOr<std::string> parsed =
      ParseName("participants/" + id, "participants", "name");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, id);
}

TEST(ParseName, RejectsWrongCollection) {
  const absl::StatusOr<std::string> id =
      ParseName("participants/russia", "forums", "forum.parent");
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(id.status().message()), StartsWith("forum.parent: "));
  EXPECT_THAT(std::string(id.status().message()),
              HasSubstr("participants/russia"));
  EXPECT_THAT(std::string(id.status().message()), HasSubstr("forums/{id}"));
}

TEST(ParseName, RejectsCollectionThatOnlySharesAPrefix) {
  EXPECT_EQ(ParseName("forumsx/arf", "forums", "name").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseName("forumsarf", "forums", "name").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ParseName, RejectsExtraSegments) {
  const absl::StatusOr<std::string> id =
      ParseName("forums/a/b", "forums", "name");
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(id.status().message()), StartsWith("name: "));
}

TEST(ParseName, RejectsTrailingSlash) {
  EXPECT_EQ(ParseName("forums/arf/", "forums", "name").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ParseName, RejectsCollectionWithoutId) {
  EXPECT_EQ(ParseName("forums/", "forums", "name").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseName("forums", "forums", "name").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ParseName, RejectsInvalidId) {
  const absl::StatusOr<std::string> id =
      ParseName("forums/ARF", "forums", "forum.parent");
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(id.status().message()), StartsWith("forum.parent: "));
}

TEST(ParseName, EmptyIsRequiredError) {
  const absl::StatusOr<std::string> id = ParseName("", "forums", "name");
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(id.status().message(), "name: is required");
}

TEST(ValidateName, AcceptsValidName) {
  EXPECT_TRUE(ValidateName("forums/arf", "forums", "forum.parent").ok());
}

TEST(ValidateName, EmptyIsAllowedOnlyWhenOptional) {
  EXPECT_TRUE(
      ValidateName("", "forums", "forum.parent", /*required=*/false).ok());
  const absl::Status status =
      ValidateName("", "forums", "forum.parent", /*required=*/true);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), StartsWith("forum.parent: "));
}

TEST(ValidateName, OptionalStillChecksNonEmptyName) {
  const absl::Status status =
      ValidateName("forums/", "forums", "forum.parent", /*required=*/false);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), StartsWith("forum.parent: "));
}

TEST(MakeName, JoinsCollectionAndId) {
  EXPECT_EQ(MakeName("forums", "arf"), "forums/arf");
}

TEST(MakeName, RoundTripsThroughParseName) {
  const absl::StatusOr<std::string> id = ParseName(
      MakeName("participants", "sergey-lavrov"), "participants", "name");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, "sergey-lavrov");
}

}  // namespace
}  // namespace forum_registry::domain
