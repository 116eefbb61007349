#include "src/server/rpc_log_interceptor.h"

#include "gtest/gtest.h"

namespace forum_registry::server {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1700000000);

TEST(LogBudget, AllowsABurstThenTheRateAndCountsWhatItLeftOut) {
  LogBudget budget(/*per_second=*/10, /*burst=*/3);
  int64_t suppressed = -1;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(budget.Take(kStart, &suppressed)) << i;
    EXPECT_EQ(suppressed, 0);
  }
  EXPECT_FALSE(budget.Take(kStart, &suppressed));
  EXPECT_FALSE(budget.Take(kStart + absl::Milliseconds(50), &suppressed));
  // 100 ms later one line's worth has come back; it reports the two left
  // out.
  ASSERT_TRUE(budget.Take(kStart + absl::Milliseconds(100), &suppressed));
  EXPECT_EQ(suppressed, 2);
  EXPECT_FALSE(budget.Take(kStart + absl::Milliseconds(100), &suppressed));
}

TEST(LogBudget, RefillsNoFurtherThanTheBurst) {
  LogBudget budget(/*per_second=*/1000, /*burst=*/2);
  int64_t suppressed = 0;
  ASSERT_TRUE(budget.Take(kStart, &suppressed));
  const absl::Time later = kStart + absl::Hours(1);
  EXPECT_TRUE(budget.Take(later, &suppressed));
  EXPECT_TRUE(budget.Take(later, &suppressed));
  EXPECT_FALSE(budget.Take(later, &suppressed)) << "two at once, not 3.6 M";
}

TEST(LogBudget, AClockGoingBackwardsGivesNothingBack) {
  LogBudget budget(/*per_second=*/10, /*burst=*/1);
  int64_t suppressed = 0;
  ASSERT_TRUE(budget.Take(kStart, &suppressed));
  EXPECT_FALSE(budget.Take(kStart - absl::Seconds(5), &suppressed));
  EXPECT_FALSE(budget.Take(kStart, &suppressed));
  EXPECT_TRUE(budget.Take(kStart + absl::Milliseconds(100), &suppressed));
  EXPECT_EQ(suppressed, 2);
}

}  // namespace
}  // namespace forum_registry::server
