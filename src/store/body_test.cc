#include "src/store/body.h"

#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace forum_registry::store {
namespace {

// Whether two JSON objects are equal as objects (key order aside).
bool SameJson(const std::string& a, const std::string& b) {
  google::protobuf::Struct x, y;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(a, &x).ok()) << a;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(b, &y).ok()) << b;
  return google::protobuf::util::MessageDifferencer::Equals(x, y);
}

std::string Merge(const std::string& stored, const std::string& before,
                  const std::string& after) {
  absl::StatusOr<std::string> merged = MergeBody(stored, before, after);
  EXPECT_TRUE(merged.ok()) << merged.status();
  return merged.value_or("");
}

TEST(MergeBody, KeepsKeysThisVersionDoesNotKnow) {
  // A newer version stored "rank"; this one read the rest and changed the
  // display name.
  const std::string merged =
      Merge(R"({"display_name": "A", "kind": "K", "rank": 3})",
            R"({"display_name":"A","kind":"K"})",
            R"({"display_name":"B","kind":"K"})");
  EXPECT_TRUE(SameJson(merged, R"({"display_name":"B","kind":"K","rank":3})"))
      << merged;
}

TEST(MergeBody, DropsWhatTheChangeCleared) {
  const std::string merged = Merge(
      R"({"display_name":"A","description":"d","rank":3})",
      R"({"display_name":"A","description":"d"})", R"({"display_name":"A"})");
  EXPECT_TRUE(SameJson(merged, R"({"display_name":"A","rank":3})")) << merged;
}

TEST(MergeBody, DescendsIntoObjectsAndKeepsUnknownKeysInside) {
  const std::string merged =
      Merge(R"({"venue":{"city":"Jakarta","site":"JCC","floor":2}})",
            R"({"venue":{"city":"Jakarta","site":"JCC"}})",
            R"({"venue":{"city":"Bali","site":"JCC"}})");
  EXPECT_TRUE(
      SameJson(merged, R"({"venue":{"city":"Bali","site":"JCC","floor":2}})"))
      << merged;
}

TEST(MergeBody, KeepsAnUnchangedListAsStoredAndReplacesAChangedOne) {
  const std::string stored =
      R"({"citations":[{"source":"sources/a","page_hint":"p. 2"}],"topics":["x"]})";
  const std::string before =
      R"({"citations":[{"source":"sources/a"}],"topics":["x"]})";
  // The topics changed; the citations, whose elements carry a key this
  // version does not know, did not.
  std::string merged =
      Merge(stored, before,
            R"({"citations":[{"source":"sources/a"}],"topics":["x","y"]})");
  EXPECT_TRUE(SameJson(
      merged,
      R"({"citations":[{"source":"sources/a","page_hint":"p. 2"}],"topics":["x","y"]})"))
      << merged;
  // A changed list is the client's, whole.
  merged = Merge(stored, before,
                 R"({"citations":[{"source":"sources/b"}],"topics":["x"]})");
  EXPECT_TRUE(SameJson(
      merged, R"({"citations":[{"source":"sources/b"}],"topics":["x"]})"))
      << merged;
}

TEST(MergeBody, WritesANewKeyAndAnUnknownEnumValueSurvives) {
  // "level" holds a value this version cannot read: it read no level.
  const std::string merged = Merge(
      R"({"display_name":"A","level":"MEETING_LEVEL_NEW"})",
      R"({"display_name":"A"})", R"({"display_name":"A","description":"d"})");
  EXPECT_TRUE(SameJson(
      merged,
      R"({"display_name":"A","level":"MEETING_LEVEL_NEW","description":"d"})"))
      << merged;
}

TEST(MergeBody, KeysOutsideTheMaskKeepTheirStoredValue) {
  // This version could not read "status" (a value it does not know); its
  // rules filled in a default, which must not reach the stored record.
  bool changed = false;
  const std::vector<std::string> keys = {"display_name"};
  absl::StatusOr<std::string> merged =
      MergeBody(R"({"display_name":"A","status":"FORUM_STATUS_NEXT"})",
                R"({"display_name":"A"})",
                R"({"display_name":"B","status":"FORUM_STATUS_ACTIVE"})", &keys,
                &changed);
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_TRUE(
      SameJson(*merged, R"({"display_name":"B","status":"FORUM_STATUS_NEXT"})"))
      << *merged;
  EXPECT_TRUE(changed);
  // Only the default differs: nothing to write.
  merged = MergeBody(R"({"display_name":"A","status":"FORUM_STATUS_NEXT"})",
                     R"({"display_name":"A"})",
                     R"({"display_name":"A","status":"FORUM_STATUS_ACTIVE"})",
                     &keys, &changed);
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_FALSE(changed);
}

TEST(MergeBody, RefusesABodyThatIsNotAnObject) {
  EXPECT_FALSE(MergeBody("[1]", "{}", "{}").ok());
  EXPECT_FALSE(MergeBody("{}", "not json", "{}").ok());
}

}  // namespace
}  // namespace forum_registry::store
