#include "src/store/record_cache.h"

#include <memory>
#include <thread>

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

TEST(RecordCache, HitsOnlyTheWriteHeld) {
  RecordCache cache(10);
  EXPECT_EQ(cache.VersionOf("forums/arf"), 0);
  EXPECT_EQ(cache.Find("forums/arf", 1, 100), nullptr);
  cache.Put("forums/arf", 1, 100, Text("v1"), 0);
  EXPECT_EQ(cache.VersionOf("forums/arf"), 1);
  EXPECT_EQ(ValueOf(cache.Find("forums/arf", 1, 100)), "v1");
  EXPECT_EQ(cache.Find("forums/arf", 2, 200), nullptr)
      << "a newer version is a miss";
  EXPECT_EQ(cache.Find("forums/arf", 1, 300), nullptr)
      << "version 1 of a record deleted and created again is another write";
  cache.Put("forums/arf", 2, 200, Text("v2"), 0);
  EXPECT_EQ(ValueOf(cache.Find("forums/arf", 2, 200)), "v2");
  EXPECT_EQ(cache.Find("forums/arf", 1, 100), nullptr);
  const RecordCache::Stats stats = cache.GetStats();
  EXPECT_EQ(stats.hits, 2);
  EXPECT_EQ(stats.misses, 2);
  EXPECT_EQ(stats.size, 1u);
}

TEST(RecordCache, DropsTheLeastRecentlyUsedBeyondItsCapacity) {
  RecordCache cache(2);
  cache.Put("a", 1, 1, Text("a"), 0);
  cache.Put("b", 1, 1, Text("b"), 0);
  ASSERT_NE(cache.Find("a", 1, 1), nullptr);  // a is now the most recent
  cache.Put("c", 1, 1, Text("c"), 0);         // b goes
  EXPECT_EQ(cache.Find("b", 1, 1), nullptr);
  EXPECT_NE(cache.Find("a", 1, 1), nullptr);
  EXPECT_NE(cache.Find("c", 1, 1), nullptr);
  EXPECT_EQ(cache.GetStats().size, 2u);
}

// The feed holds what a change wrote as current: a read after the write
// finds it in memory; a later change (a delete) drops it; an older read
// cannot replace it.
TEST(RecordCache, TheFeedHoldsTheRecordAChangeWrote) {
  RecordCache cache(2);
  cache.Follow(10);
  cache.Apply({{.name = "a",
                .revision = 11,
                .record = Text("a2"),
                .version = 2,
                .update_micros = 200}},
              11);
  EXPECT_EQ(ValueOf(cache.FindCurrent("a")), "a2");
  EXPECT_EQ(ValueOf(cache.Find("a", 2, 200)), "a2")
      << "a row of that write is the record held";
  cache.Put("a", 1, 100, Text("a1"), 10);  // a read from before the write
  EXPECT_EQ(ValueOf(cache.FindCurrent("a")), "a2");
  // Two changes to one record in a batch: the later holds.
  cache.Apply({{.name = "a",
                .revision = 12,
                .record = Text("a3"),
                .version = 3,
                .update_micros = 300},
               {.name = "a",
                .revision = 13,
                .record = Text("a4"),
                .version = 4,
                .update_micros = 400}},
              13);
  EXPECT_EQ(ValueOf(cache.FindCurrent("a")), "a4");
  cache.Apply({{.name = "a", .revision = 14}}, 14);  // a delete
  EXPECT_EQ(cache.FindCurrent("a"), nullptr);
  // Bounded like the rest.
  cache.Apply({{.name = "b",
                .revision = 15,
                .record = Text("b"),
                .version = 1,
                .update_micros = 1},
               {.name = "c",
                .revision = 16,
                .record = Text("c"),
                .version = 1,
                .update_micros = 1},
               {.name = "d",
                .revision = 17,
                .record = Text("d"),
                .version = 1,
                .update_micros = 1}},
              17);
  EXPECT_EQ(cache.GetStats().size, 2u);
  EXPECT_EQ(cache.FindCurrent("b"), nullptr);
  EXPECT_EQ(ValueOf(cache.FindCurrent("d")), "d");
}

TEST(RecordCache, ZeroCapacityHoldsNothing) {
  RecordCache cache(0);
  cache.Follow(1);
  cache.Put("a", 1, 1, Text("a"), 5);
  EXPECT_EQ(cache.Find("a", 1, 1), nullptr);
  EXPECT_EQ(cache.FindCurrent("a"), nullptr);
  EXPECT_FALSE(cache.AwaitRevision(1, absl::InfinitePast()));
  EXPECT_EQ(cache.GetStats().size, 0u);
}

TEST(RecordCache, ARecordIsCurrentOnlyWhenReadAtARevisionItKnows) {
  RecordCache cache(10);
  cache.Put("a", 1, 1, Text("unknown revision"), 0);
  EXPECT_EQ(cache.FindCurrent("a"), nullptr);
  cache.Follow(10);
  cache.Put("b", 1, 1, Text("read before the feed began"), 9);
  EXPECT_EQ(cache.FindCurrent("b"), nullptr);
  cache.Put("c", 1, 1, Text("read at 10"), 10);
  EXPECT_EQ(ValueOf(cache.FindCurrent("c")), "read at 10");
  // A hit on the same write, read at a known revision, makes it current.
  ASSERT_NE(cache.Find("a", 1, 1, 11), nullptr);
  EXPECT_EQ(ValueOf(cache.FindCurrent("a")), "unknown revision");
}

TEST(RecordCache, AChangeDropsTheRecordAndRefusesReadsOlderThanIt) {
  RecordCache cache(10);
  cache.Follow(10);
  cache.Put("a", 1, 1, Text("a1"), 10);
  ASSERT_NE(cache.FindCurrent("a"), nullptr);
  cache.Apply({{"a", 12}}, 12);
  EXPECT_EQ(cache.FindCurrent("a"), nullptr) << "changed at 12";
  EXPECT_EQ(cache.Find("a", 1, 1), nullptr);
  // A read that began before the change but ends after it was applied.
  cache.Put("a", 1, 1, Text("a1, late"), 11);
  EXPECT_EQ(cache.FindCurrent("a"), nullptr);
  EXPECT_EQ(ValueOf(cache.Find("a", 1, 1)), "a1, late")
      << "still good for decoding that write";
  cache.Put("a", 2, 2, Text("a2"), 12);
  EXPECT_EQ(ValueOf(cache.FindCurrent("a")), "a2");
  // A current record is not replaced by one of unknown age.
  cache.Put("a", 1, 1, Text("a1 from a list"), 0);
  EXPECT_EQ(ValueOf(cache.FindCurrent("a")), "a2");
}

TEST(RecordCache, FollowingAgainAfterAGapForgetsWhatIsCurrent) {
  RecordCache cache(10);
  cache.Follow(10);
  cache.Put("a", 1, 1, Text("a1"), 10);
  cache.Follow(20);  // changes 11..20 were purged unseen
  EXPECT_EQ(cache.FindCurrent("a"), nullptr);
  EXPECT_NE(cache.Find("a", 1, 1), nullptr);
  cache.Put("b", 1, 1, Text("b1"), 15);
  EXPECT_EQ(cache.FindCurrent("b"), nullptr);
}

TEST(RecordCache, AwaitsTheRevisionOnlyWhileFollowing) {
  RecordCache cache(10);
  EXPECT_FALSE(cache.AwaitRevision(0, absl::InfiniteFuture()))
      << "not following yet";
  cache.Follow(5);
  EXPECT_TRUE(cache.AwaitRevision(5, absl::InfinitePast()));
  EXPECT_FALSE(cache.AwaitRevision(6, absl::Now() + absl::Milliseconds(10)));
  std::thread feed([&] {
    absl::SleepFor(absl::Milliseconds(20));
    cache.Apply({{"a", 7}}, 7);
  });
  EXPECT_TRUE(cache.AwaitRevision(6, absl::InfiniteFuture()));
  feed.join();
  EXPECT_EQ(cache.GetStats().revision, 7);
  std::thread stop([&] {
    absl::SleepFor(absl::Milliseconds(20));
    cache.StopFollowing();
  });
  EXPECT_FALSE(cache.AwaitRevision(8, absl::InfiniteFuture()));
  stop.join();
}

}  // namespace
}  // namespace forum_registry::store
