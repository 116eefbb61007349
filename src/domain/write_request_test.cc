#include "src/domain/write_request.h"

#include "forumregistry/v1/forum.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/unknown_field_set.h"
#include "gtest/gtest.h"

namespace forum_registry::domain {
namespace {

namespace v1 = ::forumregistry::v1;
using ::testing::HasSubstr;

TEST(ParseRequestId, AcceptsUuidsInEitherCaseAndReturnsLowerCase) {
  EXPECT_EQ(*ParseRequestId("123E4567-E89B-42D3-A456-426614174000", "f"),
            "123e4567-e89b-42d3-a456-426614174000");
  EXPECT_EQ(*ParseRequestId("", "f"), "");
}

TEST(ParseRequestId, RefusesWhatIsNotAUuidNamingTheField) {
  for (const char* bad : {"x", "123e4567e89b42d3a456426614174000",
                          "123e4567-e89b-42d3-a456-42661417400g",
                          "123e4567-e89b-42d3-a456-4266141740000",
                          "{123e4567-e89b-42d3-a456-426614174000}",
                          "123e4567_e89b-42d3-a456-426614174000"}) {
    const absl::StatusOr<std::string> id = ParseRequestId(bad, "request_id");
    ASSERT_FALSE(id.ok()) << bad;
    EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(id.status().message(), HasSubstr("request_id: must be a UUID"));
  }
  const absl::StatusOr<std::string> nil =
      ParseRequestId("00000000-0000-0000-0000-000000000000", "request_id");
  ASSERT_FALSE(nil.ok());
  EXPECT_THAT(nil.status().message(), HasSubstr("nil UUID"));
}

TEST(RequestFingerprint, DiffersByMethodCallerAndRequestOnly) {
  v1::Forum a;
  a.set_display_name("ASEAN Regional Forum");
  a.add_topics("security");
  v1::Forum same = a;
  v1::Forum other = a;
  other.set_display_name("ASEAN Regional Forum ");
  const std::string fingerprint = RequestFingerprint("M", "alice", a);
  EXPECT_EQ(fingerprint.size(), 32u);
  EXPECT_EQ(fingerprint, RequestFingerprint("M", "alice", same));
  EXPECT_NE(fingerprint, RequestFingerprint("M", "alice", other));
  EXPECT_NE(fingerprint, RequestFingerprint("N", "alice", a));
  EXPECT_NE(fingerprint, RequestFingerprint("M", "bob", a));
  // Lengths keep the parts apart: ("Ma", "b") is not ("M", "ab").
  EXPECT_NE(RequestFingerprint("Ma", "b", a), RequestFingerprint("M", "ab", a));
}

TEST(CheckNoUnknownFields, PassesARecordOfKnownFields) {
  v1::Forum forum;
  forum.set_display_name("x");
  forum.add_citations()->set_source("sources/a");
  EXPECT_TRUE(CheckNoUnknownFields(forum, "forum").ok());
}

TEST(CheckNoUnknownFields, NamesUnknownFieldsAtTheTopAndInside) {
  v1::Forum forum;
  forum.set_display_name("x");
  forum.GetReflection()->MutableUnknownFields(&forum)->AddVarint(99, 1);
  forum.GetReflection()->MutableUnknownFields(&forum)->AddVarint(100, 2);
  absl::Status status = CheckNoUnknownFields(forum, "forum");
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(),
              HasSubstr("forum: carries field numbers 99, 100"));

  v1::Forum nested;
  nested.add_citations()->set_source("sources/a");
  v1::Citation* second = nested.add_citations();
  second->GetReflection()->MutableUnknownFields(second)->AddLengthDelimited(
      7, "new");
  status = CheckNoUnknownFields(nested, "forum");
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(),
              HasSubstr("forum.citations[1]: carries field number 7"));
}

TEST(CheckNoUnknownFields, AnUpdateIsCheckedOnlyInTheFieldsItWrites) {
  v1::Forum forum;
  v1::Citation* citation = forum.add_citations();
  citation->GetReflection()->MutableUnknownFields(citation)->AddVarint(7, 1);
  forum.GetReflection()->MutableUnknownFields(&forum)->AddVarint(99, 1);
  // Neither the citations nor the top level are written by this update.
  EXPECT_TRUE(CheckNoUnknownFields(forum, "forum", {"display_name"}).ok());
  const absl::Status status =
      CheckNoUnknownFields(forum, "forum", {"display_name", "citations"});
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(),
              HasSubstr("forum.citations[0]: carries field number 7"));
}

}  // namespace
}  // namespace forum_registry::domain
