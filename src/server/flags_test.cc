#include "src/server/flags.h"

#include <cstdlib>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace forum_registry::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

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
  int64_t pool_size_ = 4;
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

TEST(Sizes, TakeBytesOrAnIecUnit) {
  int64_t bytes = 0;
  ASSERT_TRUE(ParseSize("4096", &bytes));
  EXPECT_EQ(bytes, 4096);
  ASSERT_TRUE(ParseSize("16KiB", &bytes));
  EXPECT_EQ(bytes, 16 << 10);
  ASSERT_TRUE(ParseSize("32MiB", &bytes));
  EXPECT_EQ(bytes, 32 << 20);
  ASSERT_TRUE(ParseSize("2GiB", &bytes));
  EXPECT_EQ(bytes, int64_t{2} << 30);
  for (const char* bad : {"", "MiB", "-1", "32MB", "32 MiB", "1.5MiB", "32mib",
                          "x", "99999999999999999999", "9000000000GiB"}) {
    EXPECT_FALSE(ParseSize(bad, &bytes)) << bad;
  }
  EXPECT_EQ(FormatSize(32 << 20), "32MiB");
  EXPECT_EQ(FormatSize(1536), "1536");
  EXPECT_EQ(FormatSize(3 << 10), "3KiB");
  EXPECT_EQ(FormatSize(0), "0");
}

// A flag of each type from a spec: its default is parsed into the target
// when it is added, values outside its bounds are refused naming the flag,
// the value and the bound, and a bad value names the form expected.
TEST(FlagSpecs, DefaultsBoundsAndForms) {
  FlagSet flags("serve", "Serves.");
  int64_t bytes = -1;
  absl::Duration retention;
  int64_t count = -1;
  flags.Add({.name = "max-bytes",
             .type = FlagType::kSize,
             .default_value = "32MiB",
             .group = "Limits",
             .help = "bytes; `code`",
             .min = "1KiB"},
            &bytes);
  flags.Add({.name = "retention",
             .type = FlagType::kDuration,
             .default_value = "720h",
             .group = "Limits",
             .help = "how long",
             .min = "1m"},
            &retention);
  flags.Add({.name = "count",
             .type = FlagType::kInt,
             .default_value = "3",
             .group = "Other",
             .help = "how many",
             .min = "1",
             .max = "10"},
            &count);
  EXPECT_EQ(bytes, 32 << 20);
  EXPECT_EQ(retention, absl::Hours(720));
  EXPECT_EQ(count, 3);
  std::vector<std::string> positional;
  bool help = false;
  EXPECT_FALSE(
      flags.Parse({"--max-bytes=4096", "--retention=250ms"}, &positional, &help)
          .ok());
  // The bad value stops the parse; 4096 was taken before it.
  EXPECT_EQ(bytes, 4096);
  const absl::Status low = flags.Parse({"--retention=59s"}, &positional, &help);
  EXPECT_THAT(std::string(low.message()),
              HasSubstr("--retention: \"59s\" is out of range: it must be "
                        "at least 1m"));
  const absl::Status high = flags.Parse({"--count=11"}, &positional, &help);
  EXPECT_THAT(std::string(high.message()),
              HasSubstr("\"11\" is out of range: it must be from 1 to 10"));
  const absl::Status form =
      flags.Parse({"--max-bytes=32MB"}, &positional, &help);
  EXPECT_THAT(std::string(form.message()),
              HasSubstr("--max-bytes: \"32MB\" is not a size in bytes, or "
                        "with KiB, MiB or GiB, such as 32MiB"));
  ASSERT_TRUE(
      flags.Parse({"--max-bytes=1GiB", "--count", "10"}, &positional, &help)
          .ok());
  EXPECT_EQ(bytes, int64_t{1} << 30);
  EXPECT_EQ(count, 10);

  // --help: by group, with the type, the default and the bounds, and no
  // Markdown backquotes.
  const std::string usage = flags.Usage("forum-registry");
  EXPECT_THAT(usage, HasSubstr("Limits:\n  --max-bytes=SIZE"));
  EXPECT_THAT(usage, HasSubstr("default: 32MiB; at least 1KiB"));
  EXPECT_THAT(usage, HasSubstr("Other:\n  --count=INTEGER"));
  EXPECT_THAT(usage, Not(HasSubstr("`")));
  // The docs' table: a heading and a table per group, a row per flag.
  const std::string markdown = flags.Markdown();
  EXPECT_THAT(markdown, HasSubstr("### Limits\n\n| flag | variable |"));
  EXPECT_THAT(markdown,
              HasSubstr("| `--max-bytes` | `FORUM_REGISTRY_MAX_BYTES` | size | "
                        "`32MiB` | bytes; `code` (at least 1KiB) |\n"));
  EXPECT_THAT(markdown, HasSubstr("### Other\n"));
}

TEST(FlagSpecs, AMistakeInTheTableStopsTheProgram) {
  FlagSet flags("serve", "Serves.");
  int64_t number = 0;
  bool on = false;
  EXPECT_DEATH(
      flags.Add({.name = "n", .type = FlagType::kInt, .default_value = "many"},
                &number),
      "default of --n");
  EXPECT_DEATH(
      flags.Add({.name = "b", .type = FlagType::kInt, .default_value = "1"},
                &on),
      "not of type integer");
}

}  // namespace
}  // namespace forum_registry::server
