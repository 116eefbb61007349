#include "src/store/list_cache.h"

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"

namespace forum_registry::store {
namespace {

constexpr int kField = 1;

std::string Encoded(const std::string& value) {
  google::protobuf::StringValue message;
  message.set_value(value);
  return message.SerializeAsString();
}

std::shared_ptr<const google::protobuf::Message> Record(
    const std::string& value) {
  auto message = std::make_shared<google::protobuf::StringValue>();
  message->set_value(value);
  return message;
}

// The values of the records of a page, in order; fails on anything but
// field kField.
std::vector<std::string> Values(const std::string& page) {
  std::vector<std::string> values;
  google::protobuf::io::CodedInputStream in(
      reinterpret_cast<const uint8_t*>(page.data()),
      static_cast<int>(page.size()));
  while (true) {
    const uint32_t tag = in.ReadTag();
    if (tag == 0) break;
    EXPECT_EQ(tag >> 3, static_cast<uint32_t>(kField));
    std::string bytes;
    uint32_t length = 0;
    if (!in.ReadVarint32(&length) ||
        !in.ReadString(&bytes, static_cast<int>(length))) {
      ADD_FAILURE() << "a page that does not parse";
      break;
    }
    google::protobuf::StringValue value;
    EXPECT_TRUE(value.ParseFromString(bytes));
    values.push_back(value.value());
  }
  return values;
}

// A table of records the loader reads, with the revision its snapshot
// names; the loader can be held until released.
struct Table {
  std::map<std::string, std::string> rows;  // name -> value
  int64_t revision = 0;
  std::atomic<int> loads{0};
  absl::Notification* started = nullptr;
  absl::Notification* release = nullptr;

  ListCache::Loader Loader() {
    return [this](const ListCache::Each& each) -> absl::StatusOr<int64_t> {
      ++loads;
      // The snapshot is taken first, then the rows are read; a test may
      // change the table once told the load started.
      const std::map<std::string, std::string> snapshot = rows;
      const int64_t at = revision;
      absl::Notification* const release_now = release;
      if (started != nullptr) started->Notify();
      if (release_now != nullptr) release_now->WaitForNotification();
      for (const auto& [name, value] : snapshot) {
        if (!each(name, Encoded(value))) {
          return absl::ResourceExhaustedError("past the bound");
        }
      }
      return at;
    };
  }
};

void AwaitHeld(const ListCache& cache, const std::string& collection) {
  for (int i = 0; i < 500 && !cache.Holds(collection); ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_TRUE(cache.Holds(collection)) << collection << " never held";
}

struct Page {
  bool answered = false;
  std::vector<std::string> values;
  std::string next;
};

Page Read(const ListCache& cache, const std::string& collection,
          const std::string& prefix, const std::string& after, int page_size,
          size_t max_bytes = 0, int64_t min_revision = 0) {
  Page page;
  std::string out;
  page.answered =
      cache.ReadPage(collection, prefix, after, page_size, max_bytes,
                     min_revision, kField, &out, &page.next);
  page.values = Values(out);
  return page;
}

TEST(ListCache, HoldsNothingUntilTheFeedFollowsThenPagesInNameOrder) {
  Table forums;
  forums.rows = {{"forums/c", "C"}, {"forums/a", "A"}, {"forums/b", "B"}};
  forums.revision = 7;
  ListCache cache(1 << 20);
  cache.AddKind("forums", "", forums.Loader());
  cache.Start();
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(forums.loads, 0) << "nothing is loaded before the feed follows";
  EXPECT_FALSE(Read(cache, "forums", "", "", 10).answered);

  cache.Follow(7);
  AwaitHeld(cache, "forums");
  Page first = Read(cache, "forums", "", "", 2);
  ASSERT_TRUE(first.answered);
  EXPECT_EQ(first.values, (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(first.next, "forums/b");
  Page second = Read(cache, "forums", "", first.next, 2);
  EXPECT_EQ(second.values, (std::vector<std::string>{"C"}));
  EXPECT_EQ(second.next, "") << "the last page names nothing to resume after";
  EXPECT_EQ(Read(cache, "forums", "", "", 3).next, "")
      << "a page that holds the rest exactly";
  EXPECT_FALSE(Read(cache, "sessions", "", "", 3).answered)
      << "a kind never added";
  EXPECT_EQ(cache.GetStats().records, 3u);
}

TEST(ListCache, OneParentsRecordsByPrefix) {
  Table sessions;
  sessions.rows = {{"forums/a/sessions/1", "a1"},
                   {"forums/a/sessions/2", "a2"},
                   {"forums/ab/sessions/1", "ab1"},
                   {"forums/b/sessions/1", "b1"}};
  ListCache cache(1 << 20);
  cache.AddKind("sessions", "forums", sessions.Loader());
  cache.Start();
  cache.Follow(0);
  AwaitHeld(cache, "sessions");
  EXPECT_EQ(Read(cache, "sessions", "forums/a/sessions/", "", 10).values,
            (std::vector<std::string>{"a1", "a2"}));
  EXPECT_EQ(Read(cache, "sessions", "forums/b/sessions/", "", 10).values,
            (std::vector<std::string>{"b1"}));
  EXPECT_EQ(Read(cache, "sessions", "", "", 10).values.size(), 4u);
  EXPECT_EQ(Read(cache, "sessions", "forums/c/sessions/", "", 10).values,
            std::vector<std::string>{});
  // A name to resume after that sorts before the parent's records.
  EXPECT_EQ(
      Read(cache, "sessions", "forums/b/sessions/", "forums/a", 10).values,
      (std::vector<std::string>{"b1"}));
}

TEST(ListCache, APageStopsBeforeTheRecordPastItsBytesButHoldsOne) {
  Table forums;
  forums.rows = {{"forums/a", std::string(100, 'a')},
                 {"forums/b", std::string(100, 'b')},
                 {"forums/c", std::string(100, 'c')}};
  ListCache cache(1 << 20);
  cache.AddKind("forums", "", forums.Loader());
  cache.Start();
  cache.Follow(0);
  AwaitHeld(cache, "forums");
  Page page = Read(cache, "forums", "", "", 10, /*max_bytes=*/250);
  EXPECT_EQ(page.values.size(), 2u);
  EXPECT_EQ(page.next, "forums/b");
  page = Read(cache, "forums", "", "", 10, /*max_bytes=*/10);
  EXPECT_EQ(page.values.size(), 1u) << "at least one record";
  EXPECT_EQ(page.next, "forums/a");
}

TEST(ListCache, ChangesDuringALoadApplyPastItsSnapshotOnly) {
  absl::Notification started, release;
  Table forums;
  forums.rows = {{"forums/a", "A1"}, {"forums/b", "B1"}};
  forums.revision = 10;
  forums.started = &started;
  forums.release = &release;
  ListCache cache(1 << 20);
  cache.AddKind("forums", "", forums.Loader());
  cache.Start();
  cache.Follow(8);
  started.WaitForNotification();
  // The feed applies 9 and 10, which the snapshot holds, then 11 and 12,
  // which it does not: an update of a, a delete of b, a create of c.
  cache.Apply({{.name = "forums/a", .revision = 9, .record = Record("A0")},
               {.name = "forums/y", .revision = 9, .record = Record("Y0")},
               {.name = "forums/z", .revision = 10, .deleted = true},
               {.name = "forums/a", .revision = 11, .record = Record("A2")},
               {.name = "forums/b", .revision = 12, .deleted = true},
               {.name = "forums/c", .revision = 12, .record = Record("C1")}},
              12);
  EXPECT_FALSE(Read(cache, "forums", "", "", 10).answered)
      << "answered while loading";
  release.Notify();
  AwaitHeld(cache, "forums");
  EXPECT_EQ(Read(cache, "forums", "", "", 10, 0, 12).values,
            (std::vector<std::string>{"A2", "C1"}));
  // A feed behind the load gives changes the snapshot held again: passed
  // over too.
  cache.Apply({{.name = "forums/x", .revision = 10, .record = Record("X0")},
               {.name = "forums/c", .revision = 10, .deleted = true}},
              12);
  EXPECT_EQ(Read(cache, "forums", "", "", 10, 0, 12).values,
            (std::vector<std::string>{"A2", "C1"}));
  // Then the feed goes on.
  cache.Apply({{.name = "forums/a", .revision = 13, .deleted = true},
               {.name = "sessions/x", .revision = 13, .record = Record("X")}},
              13);
  EXPECT_EQ(Read(cache, "forums", "", "", 10, 0, 13).values,
            (std::vector<std::string>{"C1"}));
}

TEST(ListCache, ALoadBegunBeforeAGapIsDroppedAndTheKindLoadedAgain) {
  absl::Notification started, release;
  Table forums;
  forums.rows = {{"forums/a", "old"}};
  forums.revision = 4;
  forums.started = &started;
  forums.release = &release;
  ListCache cache(1 << 20);
  cache.AddKind("forums", "", forums.Loader());
  cache.Start();
  cache.Follow(4);
  started.WaitForNotification();
  // Changes purged while the feed was away: what the first load read may
  // miss them.
  forums.started = nullptr;
  forums.release = nullptr;
  forums.rows = {{"forums/b", "new"}};
  forums.revision = 20;
  cache.Follow(20);
  release.Notify();
  AwaitHeld(cache, "forums");
  EXPECT_EQ(Read(cache, "forums", "", "", 10, 0, 20).values,
            (std::vector<std::string>{"new"}));
  EXPECT_EQ(forums.loads, 2);
}

TEST(ListCache, ARevisionNotAppliedOrAFeedStoppedIsNotAnswered) {
  Table forums;
  forums.rows = {{"forums/a", "A"}};
  ListCache cache(1 << 20);
  cache.AddKind("forums", "", forums.Loader());
  cache.Start();
  cache.Follow(5);
  AwaitHeld(cache, "forums");
  EXPECT_TRUE(Read(cache, "forums", "", "", 10, 0, 5).answered);
  EXPECT_TRUE(cache.HoldsAt("forums", 5));
  EXPECT_FALSE(Read(cache, "forums", "", "", 10, 0, 6).answered);
  EXPECT_FALSE(cache.HoldsAt("forums", 6));
  EXPECT_FALSE(cache.HoldsAt("sessions", 5)) << "a kind never added";
  EXPECT_FALSE(cache.AwaitRevision(6, absl::Now() + absl::Milliseconds(20)));
  cache.Apply({}, 6);
  EXPECT_TRUE(cache.AwaitRevision(6, absl::Now()));
  EXPECT_TRUE(Read(cache, "forums", "", "", 10, 0, 6).answered);
  cache.StopFollowing();
  EXPECT_FALSE(Read(cache, "forums", "", "", 10, 0, 6).answered);
  EXPECT_FALSE(cache.HoldsAt("forums", 6));
  EXPECT_FALSE(cache.AwaitRevision(6, absl::Now() + absl::Seconds(5)))
      << "a feed that is not following is not waited for";
  cache.Apply({}, 7);
  EXPECT_TRUE(Read(cache, "forums", "", "", 10, 0, 7).answered);
}

TEST(ListCache, AGapForgetsEverythingAndLoadsAgain) {
  Table forums;
  forums.rows = {{"forums/a", "A"}};
  forums.revision = 3;
  ListCache cache(1 << 20);
  cache.AddKind("forums", "", forums.Loader());
  cache.Start();
  cache.Follow(3);
  AwaitHeld(cache, "forums");
  // Changes purged while the feed was away: what they did is read again.
  forums.rows = {{"forums/b", "B"}};
  forums.revision = 9;
  cache.Follow(9);
  AwaitHeld(cache, "forums");
  EXPECT_EQ(Read(cache, "forums", "", "", 10, 0, 9).values,
            (std::vector<std::string>{"B"}));
  EXPECT_EQ(forums.loads, 2);
}

TEST(ListCache, AKindPastTheBoundIsNotHeldAndOthersAre) {
  Table forums, participants;
  for (int i = 0; i < 100; ++i) {
    forums.rows[absl::StrCat("forums/", 1000 + i)] = std::string(100, 'f');
  }
  participants.rows = {{"participants/p", "P"}};
  // Room for the participant and a few forums, not for 100.
  ListCache cache(2000);
  cache.AddKind("forums", "", forums.Loader());
  cache.AddKind("participants", "", participants.Loader());
  cache.Start();
  cache.Follow(0);
  AwaitHeld(cache, "participants");
  EXPECT_FALSE(cache.Holds("forums"));
  EXPECT_FALSE(Read(cache, "forums", "", "", 10).answered);
  EXPECT_EQ(cache.GetStats().records, 1u);
  EXPECT_LE(cache.GetStats().bytes, 2000u);
  // A kind held that grows past the bound is no longer held.
  std::vector<ListCache::Change> growth;
  for (int i = 0; i < 100; ++i) {
    growth.push_back({.name = absl::StrCat("participants/q", i),
                      .revision = 1,
                      .record = Record(std::string(100, 'q'))});
  }
  cache.Apply(growth, 1);
  EXPECT_FALSE(cache.Holds("participants"));
  EXPECT_EQ(cache.GetStats().bytes, 0u);
}

TEST(ListCache, AChangeWithoutItsRecordDropsTheKind) {
  Table forums;
  forums.rows = {{"forums/a", "A"}};
  ListCache cache(1 << 20);
  cache.AddKind("forums", "", forums.Loader());
  cache.Start();
  cache.Follow(0);
  AwaitHeld(cache, "forums");
  cache.Apply({{.name = "forums/a", .revision = 1}}, 1);
  EXPECT_FALSE(cache.Holds("forums"))
      << "an update it cannot read would leave it wrong";
}

TEST(ListCache, OffHoldsNothing) {
  Table forums;
  forums.rows = {{"forums/a", "A"}};
  ListCache cache(0);
  cache.AddKind("forums", "", forums.Loader());
  cache.Start();
  cache.Follow(0);
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(forums.loads, 0);
  EXPECT_FALSE(Read(cache, "forums", "", "", 10).answered);
  EXPECT_FALSE(cache.AwaitRevision(0, absl::Now()));
}

}  // namespace
}  // namespace forum_registry::store
