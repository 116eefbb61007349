#include "src/domain/update_mask.h"

#include <initializer_list>
#include <string>

#include "absl/status/status.h"
#include "forumregistry/v1/forum.pb.h"
#include "forumregistry/v1/participant.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace forum_registry::domain {
namespace {

using forumregistry::v1::Forum;
using forumregistry::v1::Participant;
using google::protobuf::FieldMask;
using google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;
using ::testing::StartsWith;

FieldMask Mask(std::initializer_list<const char*> paths) {
  FieldMask mask;
  for (const char* path : paths) mask.add_paths(path);
  return mask;
}

// A stored forum with every kind of field set.
Forum StoredForum() {
  Forum forum;
  forum.set_name("forums/arf");
  forum.set_kind(forumregistry::v1::FORUM_KIND_MINISTERIAL);
  forum.set_display_name("ASEAN Regional Forum");
  forum.add_names()->set_text("ARF");
  forum.add_names()->set_text("Региональный форум АСЕАН");
  forum.set_parent("forums/asean");
  forum.mutable_founded()->set_year(1994);
  forum.mutable_founded()->set_month(7);
  forum.mutable_founded()->set_day(25);
  forum.add_initiated_by("participants/asean");
  forum.set_meeting_level(forumregistry::v1::MEETING_LEVEL_MINISTERIAL);
  forum.set_cadence(forumregistry::v1::CADENCE_ANNUAL);
  forum.set_status(forumregistry::v1::FORUM_STATUS_ACTIVE);
  forum.set_description("Security dialogue.");
  forum.add_topics("security");
  forum.add_topics("ict");
  auto* id = forum.add_external_ids();
  id->set_scheme("wikidata");
  id->set_value("Q1140826");
  forum.add_citations()->set_source("sources/one");
  forum.set_etag("v3");
  forum.mutable_create_time()->set_seconds(1000);
  forum.mutable_update_time()->set_seconds(2000);
  return forum;
}

// A request's forum: different values everywhere, including output only
// fields a client might send back.
Forum PatchForum() {
  Forum forum;
  forum.set_name("forums/other");
  forum.set_kind(forumregistry::v1::FORUM_KIND_SUMMIT);
  forum.set_display_name("East Asia Summit");
  forum.add_names()->set_text("EAS");
  forum.set_parent("forums/asean-plus");
  forum.mutable_founded()->set_year(2005);
  forum.mutable_founded()->set_month(12);
  forum.add_initiated_by("participants/malaysia");
  forum.add_initiated_by("participants/russia");
  forum.set_meeting_level(forumregistry::v1::MEETING_LEVEL_SUMMIT);
  forum.set_cadence(forumregistry::v1::CADENCE_SEMIANNUAL);
  forum.set_status(forumregistry::v1::FORUM_STATUS_DORMANT);
  forum.set_description("Leaders-led forum.");
  forum.add_topics("energy");
  forum.add_citations()->set_source("sources/two");
  forum.set_etag("v1");
  forum.mutable_create_time()->set_seconds(1);
  forum.mutable_update_time()->set_seconds(2);
  return forum;
}

void ExpectUnchanged(const Forum& actual, const Forum& expected) {
  EXPECT_TRUE(MessageDifferencer::Equals(actual, expected))
      << "got:\n"
      << actual.DebugString() << "want:\n"
      << expected.DebugString();
}

TEST(MaskedFields, NamesTopLevelProtoFieldsAsApplyUpdateMaskReadsThem) {
  EXPECT_EQ(MaskedFields(Mask({"displayName", "founded.month", "topics"})),
            (std::vector<std::string>{"display_name", "founded", "topics"}));
  EXPECT_EQ(MaskedFields(Mask({"display_name", "*"})), std::nullopt);
}

TEST(ApplyUpdateMask, DisplayNameChangesOnlyDisplayName) {
  Forum target = StoredForum();
  const absl::Status status =
      ApplyUpdateMask(Mask({"display_name"}), PatchForum(), &target);
  ASSERT_TRUE(status.ok()) << status;

  Forum expected = StoredForum();
  expected.set_display_name("East Asia Summit");
  ExpectUnchanged(target, expected);
}

TEST(ApplyUpdateMask, AcceptsCamelCasePaths) {
  Forum target = StoredForum();
  ASSERT_TRUE(ApplyUpdateMask(Mask({"displayName", "meetingLevel"}),
                              PatchForum(), &target)
                  .ok());

  Forum expected = StoredForum();
  expected.set_display_name("East Asia Summit");
  expected.set_meeting_level(forumregistry::v1::MEETING_LEVEL_SUMMIT);
  ExpectUnchanged(target, expected);
}

TEST(ApplyUpdateMask, AppliesSeveralPaths) {
  Forum target = StoredForum();
  ASSERT_TRUE(ApplyUpdateMask(Mask({"kind", "description", "cadence"}),
                              PatchForum(), &target)
                  .ok());
  Forum expected = StoredForum();
  expected.set_kind(forumregistry::v1::FORUM_KIND_SUMMIT);
  expected.set_description("Leaders-led forum.");
  expected.set_cadence(forumregistry::v1::CADENCE_SEMIANNUAL);
  ExpectUnchanged(target, expected);
}

TEST(ApplyUpdateMask, StarReplacesEveryWritableFieldAndKeepsOutputOnly) {
  Forum target = StoredForum();
  ASSERT_TRUE(ApplyUpdateMask(Mask({"*"}), PatchForum(), &target).ok());

  Forum expected = PatchForum();
  expected.set_name("forums/arf");
  expected.set_etag("v3");
  expected.mutable_create_time()->set_seconds(1000);
  expected.mutable_update_time()->set_seconds(2000);
  ExpectUnchanged(target, expected);
}

TEST(ApplyUpdateMask, StarClearsFieldsAbsentFromPatch) {
  Forum target = StoredForum();
  Forum patch;
  patch.set_kind(forumregistry::v1::FORUM_KIND_SUMMIT);
  patch.set_display_name("EAS");
  ASSERT_TRUE(ApplyUpdateMask(Mask({"*"}), patch, &target).ok());

  Forum expected = patch;
  expected.set_name("forums/arf");
  expected.set_etag("v3");
  expected.mutable_create_time()->set_seconds(1000);
  expected.mutable_update_time()->set_seconds(2000);
  ExpectUnchanged(target, expected);
}

TEST(ApplyUpdateMask, IgnoresOutputOnlyFieldsInMask) {
  Forum target = StoredForum();
  ASSERT_TRUE(ApplyUpdateMask(Mask({"name", "etag", "create_time", "updateTime",
                                    "create_time.seconds"}),
                              PatchForum(), &target)
                  .ok());
  ExpectUnchanged(target, StoredForum());
}

TEST(ApplyUpdateMask, IgnoresOutputOnlyFieldsNextToWritableOnes) {
  Forum target = StoredForum();
  ASSERT_TRUE(ApplyUpdateMask(Mask({"etag", "display_name", "name"}),
                              PatchForum(), &target)
                  .ok());
  Forum expected = StoredForum();
  expected.set_display_name("East Asia Summit");
  ExpectUnchanged(target, expected);
}

TEST(ApplyUpdateMask, RejectsUnknownPathNamingIt) {
  Forum target = StoredForum();
  const absl::Status status =
      ApplyUpdateMask(Mask({"display_name", "colour"}), PatchForum(), &target);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), StartsWith("update_mask: "));
  EXPECT_THAT(std::string(status.message()), HasSubstr("\"colour\""));
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("display_name"));  // lists fields
}

TEST(ApplyUpdateMask, RejectsUnknownSubFieldPath) {
  Forum target = StoredForum();
  const absl::Status status =
      ApplyUpdateMask(Mask({"founded.week"}), PatchForum(), &target);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("founded.week"));
}

TEST(ApplyUpdateMask, RejectsPathIntoScalarField) {
  Forum target = StoredForum();
  const absl::Status status =
      ApplyUpdateMask(Mask({"display_name.text"}), PatchForum(), &target);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
}

TEST(ApplyUpdateMask, RejectsEmptyPath) {
  Forum target = StoredForum();
  EXPECT_EQ(ApplyUpdateMask(Mask({""}), PatchForum(), &target).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ApplyUpdateMask, RejectsPathsWithEmptySegments) {
  for (const char* path :
       {"display_name.", ".display_name", "founded..month", ".", "founded."}) {
    Forum target = StoredForum();
    const absl::Status status =
        ApplyUpdateMask(Mask({path}), PatchForum(), &target);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << path;
    ExpectUnchanged(target, StoredForum());
  }
}

TEST(ApplyUpdateMask, RejectsEmptyMask) {
  Forum target = StoredForum();
  const absl::Status status =
      ApplyUpdateMask(FieldMask(), PatchForum(), &target);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("update_mask"));
  ExpectUnchanged(target, StoredForum());
}

TEST(ApplyUpdateMask, RejectsPathInsideRepeatedField) {
  Forum target = StoredForum();
  const absl::Status status =
      ApplyUpdateMask(Mask({"names.text"}), PatchForum(), &target);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), StartsWith("update_mask: "));
  EXPECT_THAT(std::string(status.message()), HasSubstr("names.text"));
}

TEST(ApplyUpdateMask, ReplacesRepeatedFieldsInsteadOfAppending) {
  Forum target = StoredForum();
  ASSERT_TRUE(ApplyUpdateMask(Mask({"names", "topics", "initiated_by"}),
                              PatchForum(), &target)
                  .ok());
  ASSERT_EQ(target.names_size(), 1);
  EXPECT_EQ(target.names(0).text(), "EAS");
  EXPECT_THAT(target.topics(), ::testing::ElementsAre("energy"));
  EXPECT_THAT(
      target.initiated_by(),
      ::testing::ElementsAre("participants/malaysia", "participants/russia"));
}

TEST(ApplyUpdateMask, ClearsRepeatedFieldAbsentFromPatch) {
  Forum target = StoredForum();
  ASSERT_TRUE(
      ApplyUpdateMask(Mask({"external_ids"}), PatchForum(), &target).ok());
  EXPECT_EQ(target.external_ids_size(), 0);
}

TEST(ApplyUpdateMask, ClearsScalarFieldAbsentFromPatch) {
  Forum target = StoredForum();
  ASSERT_TRUE(ApplyUpdateMask(Mask({"description"}), Forum(), &target).ok());
  Forum expected = StoredForum();
  expected.clear_description();
  ExpectUnchanged(target, expected);
}

TEST(ApplyUpdateMask, ReplacesWholeMessageField) {
  Forum target = StoredForum();  // founded 1994-07-25
  Forum patch;
  patch.mutable_founded()->set_year(2005);  // year precision only
  ASSERT_TRUE(ApplyUpdateMask(Mask({"founded"}), patch, &target).ok());
  EXPECT_EQ(target.founded().year(), 2005);
  EXPECT_EQ(target.founded().month(), 0);
  EXPECT_EQ(target.founded().day(), 0);
}

TEST(ApplyUpdateMask, ClearsMessageFieldAbsentFromPatch) {
  Forum target = StoredForum();
  ASSERT_TRUE(ApplyUpdateMask(Mask({"founded"}), Forum(), &target).ok());
  EXPECT_FALSE(target.has_founded());
}

TEST(ApplyUpdateMask, SubFieldPathChangesOnlyThatSubField) {
  Forum target = StoredForum();  // founded 1994-07-25
  ASSERT_TRUE(
      ApplyUpdateMask(Mask({"founded.month"}), PatchForum(), &target).ok());

  Forum expected = StoredForum();
  expected.mutable_founded()->set_month(12);
  ExpectUnchanged(target, expected);
}

TEST(ApplyUpdateMask, AcceptsCamelCaseForParticipants) {
  Participant target;
  target.set_name("participants/x");
  target.set_display_name("X");
  Participant patch;
  patch.set_display_name("Y");
  ASSERT_TRUE(ApplyUpdateMask(Mask({"displayName"}), patch, &target).ok());
  EXPECT_EQ(target.display_name(), "Y");
  EXPECT_EQ(target.name(), "participants/x");
}

TEST(ApplyUpdateMask, TargetUnchangedOnError) {
  Forum target = StoredForum();
  // The valid paths come first: nothing may be applied before the bad one
  // is found.
  const absl::Status status = ApplyUpdateMask(
      Mask({"display_name", "names", "founded.month", "nonsense"}),
      PatchForum(), &target);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  ExpectUnchanged(target, StoredForum());
}

TEST(ApplyUpdateMask, TargetUnchangedOnRepeatedSubPathError) {
  Forum target = StoredForum();
  const absl::Status status =
      ApplyUpdateMask(Mask({"*", "citations.source"}), PatchForum(), &target);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  ExpectUnchanged(target, StoredForum());
}

TEST(ApplyUpdateMask, WorksForParticipants) {
  Participant target;
  target.set_name("participants/sergey-lavrov");
  target.set_display_name("Sergey Lavrov");
  target.add_roles()->set_title("Deputy Minister");
  target.set_etag("v7");
  Participant patch;
  patch.set_name("participants/ignored");
  patch.add_roles()->set_title("Minister of Foreign Affairs");
  patch.set_affiliation("participants/russia");
  ASSERT_TRUE(
      ApplyUpdateMask(Mask({"roles", "affiliation", "name"}), patch, &target)
          .ok());
  EXPECT_EQ(target.name(), "participants/sergey-lavrov");
  EXPECT_EQ(target.display_name(), "Sergey Lavrov");
  ASSERT_EQ(target.roles_size(), 1);
  EXPECT_EQ(target.roles(0).title(), "Minister of Foreign Affairs");
  EXPECT_EQ(target.affiliation(), "participants/russia");
  EXPECT_EQ(target.etag(), "v7");
}

TEST(ApplyUpdateMask, UnknownPathMessageNamesTheMessageType) {
  Participant target;
  const absl::Status status =
      ApplyUpdateMask(Mask({"parent"}), Participant(), &target);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("\"parent\""));
  EXPECT_THAT(std::string(status.message()), HasSubstr("Participant"));
}

// --- Etags -----------------------------------------------------------------

TEST(FormatEtag, DiffersByVersionAndByIncarnation) {
  EXPECT_NE(FormatEtag(1, 1000), FormatEtag(2, 1000));
  EXPECT_NE(FormatEtag(1, 1000), FormatEtag(1, 1001))
      << "a record created again must not match the old one's etag";
  EXPECT_EQ(FormatEtag(5, 1000), FormatEtag(5, 1000));
  EXPECT_EQ(FormatEtag(5, 0x5f2a), "v5.5f2a");
  EXPECT_EQ(FormatEtag(5, 0), "v5") << "an unknown incarnation";
}

TEST(CheckEtag, EmptyEtagIsAccepted) {
  EXPECT_TRUE(CheckEtag("", 7, 1000, "forums/arf").ok());
}

TEST(CheckEtag, MatchingEtagIsAccepted) {
  EXPECT_TRUE(CheckEtag(FormatEtag(7, 1000), 7, 1000, "forums/arf").ok());
}

TEST(CheckEtag, StaleEtagIsAborted) {
  const absl::Status status =
      CheckEtag(FormatEtag(6, 1000), 7, 1000, "forums/arf");
  EXPECT_EQ(status.code(), absl::StatusCode::kAborted);
  EXPECT_THAT(std::string(status.message()), StartsWith("etag: "));
  EXPECT_THAT(std::string(status.message()), HasSubstr("forums/arf"));
}

TEST(CheckEtag, AnEtagOfAnEarlierIncarnationIsAborted) {
  EXPECT_EQ(CheckEtag(FormatEtag(1, 1000), 1, 2000, "forums/arf").code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(CheckEtag("v1", 1, 2000, "forums/arf").code(),
            absl::StatusCode::kAborted);
}

TEST(CheckEtag, MadeUpEtagIsAborted) {
  EXPECT_EQ(CheckEtag("garbage", 7, 1000, "forums/arf").code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(CheckEtag("7", 7, 1000, "forums/arf").code(),
            absl::StatusCode::kAborted);
}

}  // namespace
}  // namespace forum_registry::domain
