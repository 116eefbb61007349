#include "src/server/flags.h"

#include <cstdlib>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace forum_registry::server {
namespace {

using ::testing::HasSubstr;

class FlagSetTest : public ::testing::Test {
 protected:
  FlagSetTest() : flags_("serve", "Serves.") {
    flags_.String("database-url", &url_, "URL");
    flags_.Int("pool-size", &pool_size_, "size");
    flags_.Duration("drain-period", &drain_, "drain");
    flags_.Bool("verbose", &verbose_, "verbose");
  }
  ~FlagSetTest() override {
    unsetenv("FORUM_REGISTRY_DATABASE_URL");
    unsetenv("FORUM_REGISTRY_POOL_SIZE");
  }
  absl::Status Parse(const std::vector<std::string>& args) {
    return flags_.Parse(args, &positional_, &help_);
  }

  FlagSet flags_;
  std::string url_;
  int pool_size_ = 4;
  absl::Duration drain_ = absl::Seconds(5);
  bool verbose_ = false;
  std::vector<std::string> positional_;
  bool help_ = false;
};

TEST_F(FlagSetTest, EnvironmentNameFollowsTheFlag) {
  EXPECT_EQ(FlagSet::EnvName("database-url"), "FORUM_REGISTRY_DATABASE_URL");
}

TEST_F(FlagSetTest, DefaultsStayWhenNothingIsGiven) {
  ASSERT_TRUE(Parse({}).ok());
  EXPECT_EQ(pool_size_, 4);
  EXPECT_EQ(drain_, absl::Seconds(5));
}

TEST_F(FlagSetTest, ReadsBothFlagSpellings) {
  ASSERT_TRUE(Parse({"--database-url=postgresql:///a", "--pool-size", "7",
                     "--drain-period=250ms", "--verbose", "file.textproto"})
                  .ok());
  EXPECT_EQ(url_, "postgresql:///a");
  EXPECT_EQ(pool_size_, 7);
  EXPECT_EQ(drain_, absl::Milliseconds(250));
  EXPECT_TRUE(verbose_);
  EXPECT_EQ(positional_, std::vector<std::string>{"file.textproto"});
}

TEST_F(FlagSetTest, EnvironmentSetsAndCommandLineWins) {
  setenv("FORUM_REGISTRY_DATABASE_URL", "postgresql:///from-env", 1);
  setenv("FORUM_REGISTRY_POOL_SIZE", "3", 1);
  ASSERT_TRUE(Parse({"--pool-size=9"}).ok());
  EXPECT_EQ(url_, "postgresql:///from-env");
  EXPECT_EQ(pool_size_, 9);
}

TEST_F(FlagSetTest, BadValuesNameTheFlagOrVariable) {
  absl::Status s = Parse({"--pool-size=many"});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("--pool-size"));
  s = Parse({"--drain-period=-1s"});
  EXPECT_THAT(std::string(s.message()), HasSubstr("--drain-period"));
  setenv("FORUM_REGISTRY_POOL_SIZE", "x", 1);
  s = Parse({});
  EXPECT_THAT(std::string(s.message()), HasSubstr("FORUM_REGISTRY_POOL_SIZE"));
}

TEST_F(FlagSetTest, UnknownFlagAndMissingValueAreErrors) {
  EXPECT_THAT(std::string(Parse({"--colour=red"}).message()),
              HasSubstr("--colour: unknown flag"));
  EXPECT_THAT(std::string(Parse({"--pool-size"}).message()),
              HasSubstr("needs a value"));
}

TEST_F(FlagSetTest, HelpIsNoticedAndUsageListsEveryFlagWithItsVariable) {
  ASSERT_TRUE(Parse({"--help"}).ok());
  EXPECT_TRUE(help_);
  const std::string usage = flags_.Usage("forum-registry");
  for (const char* text :
       {"--database-url", "FORUM_REGISTRY_DATABASE_URL", "--pool-size",
        "default: 4", "--drain-period", "default: 5s", "--verbose"}) {
    EXPECT_THAT(usage, HasSubstr(text));
  }
}

TEST(IsLoopbackAddress, OnlyThisHostsLoopback) {
  for (const char* yes :
       {"127.0.0.1:50052", "127.1.2.3:1", "[::1]:50052", "localhost:0"}) {
    EXPECT_TRUE(IsLoopbackAddress(yes)) << yes;
  }
  for (const char* no :
       {"0.0.0.0:50052", "10.0.0.1:50052", "[::]:50052", "127.0.0.1",
        "127.0.0.1:", "127.0.0.1:x", "example.org:50052", "unix:/tmp/s",
        "128.0.0.1:1", ""}) {
    EXPECT_FALSE(IsLoopbackAddress(no)) << no;
  }
}

}  // namespace
}  // namespace forum_registry::server
