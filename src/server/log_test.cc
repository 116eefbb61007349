#include "src/server/log.h"

#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "spdlog/spdlog.h"

namespace forum_registry::server {
namespace {

TEST(JsonEscape, LeavesPlainTextAlone) {
  EXPECT_EQ(JsonEscape("forums/arf Россия"), "forums/arf Россия");
}

TEST(JsonEscape, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(JsonEscape("a\"b\\c"), "a\\\"b\\\\c");
  EXPECT_EQ(JsonEscape("line\nnext\ttab\r"), "line\\nnext\\ttab\\r");
  EXPECT_EQ(JsonEscape(std::string("\x01", 1)), "\\u0001");
}

TEST(InitLogging, PlainMessagesAndEventsAreEachALineOfJson) {
  testing::internal::CaptureStdout();
  InitLogging("info");
  spdlog::warn("database connection lost: a \"quoted\" {}", "reason");
  LogEvent(spdlog::level::info, "an_event", {{"name", std::string("x\"y")}});
  spdlog::default_logger()->flush();
  std::fflush(stdout);
  const std::string out = testing::internal::GetCapturedStdout();
  const std::vector<std::string> lines =
      absl::StrSplit(out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << out;
  std::vector<google::protobuf::Struct> parsed(2);
  for (size_t i = 0; i < lines.size(); ++i) {
    ASSERT_TRUE(
        google::protobuf::util::JsonStringToMessage(lines[i], &parsed[i]).ok())
        << "not JSON: " << lines[i];
  }
  EXPECT_EQ(parsed[0].fields().at("level").string_value(), "warning");
  EXPECT_EQ(parsed[0].fields().at("msg").string_value(),
            "database connection lost: a \"quoted\" reason");
  EXPECT_EQ(parsed[1].fields().at("event").string_value(), "an_event");
  EXPECT_EQ(parsed[1].fields().at("name").string_value(), "x\"y");
}

}  // namespace
}  // namespace forum_registry::server
