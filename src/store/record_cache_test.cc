#include "src/store/record_cache.h"

#include <memory>

#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"

namespace forum_registry::store {
namespace {

std::shared_ptr<const google::protobuf::Message> Text(const std::string& s) {
  auto value = std::make_shared<google::protobuf::StringValue>();
  value->set_value(s);
  return value;
}

std::string ValueOf(const std::shared_ptr<const google::protobuf::Message>& m) {
  return m == nullptr
             ? "(none)"
             : static_cast<const google::protobuf::StringValue&>(*m).value();
}

TEST(RecordCache, HitsOnlyTheVersionHeld) {
  RecordCache cache(10);
  EXPECT_EQ(cache.VersionOf("forums/arf"), 0);
  EXPECT_EQ(cache.Find("forums/arf", 1), nullptr);
  cache.Put("forums/arf", 1, Text("v1"));
  EXPECT_EQ(cache.VersionOf("forums/arf"), 1);
  EXPECT_EQ(ValueOf(cache.Find("forums/arf", 1)), "v1");
  EXPECT_EQ(cache.Find("forums/arf", 2), nullptr)
      << "a newer version is a miss";
  cache.Put("forums/arf", 2, Text("v2"));
  EXPECT_EQ(ValueOf(cache.Find("forums/arf", 2)), "v2");
  EXPECT_EQ(cache.Find("forums/arf", 1), nullptr);
  const RecordCache::Stats stats = cache.GetStats();
  EXPECT_EQ(stats.hits, 2);
  EXPECT_EQ(stats.misses, 2);
  EXPECT_EQ(stats.size, 1u);
}

TEST(RecordCache, DropsTheLeastRecentlyUsedBeyondItsCapacity) {
  RecordCache cache(2);
  cache.Put("a", 1, Text("a"));
  cache.Put("b", 1, Text("b"));
  ASSERT_NE(cache.Find("a", 1), nullptr);  // a is now the most recent
  cache.Put("c", 1, Text("c"));            // b goes
  EXPECT_EQ(cache.Find("b", 1), nullptr);
  EXPECT_NE(cache.Find("a", 1), nullptr);
  EXPECT_NE(cache.Find("c", 1), nullptr);
  EXPECT_EQ(cache.GetStats().size, 2u);
}

TEST(RecordCache, ZeroCapacityHoldsNothing) {
  RecordCache cache(0);
  cache.Put("a", 1, Text("a"));
  EXPECT_EQ(cache.Find("a", 1), nullptr);
  EXPECT_EQ(cache.GetStats().size, 0u);
}

}  // namespace
}  // namespace forum_registry::store
