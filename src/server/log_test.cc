#include "src/server/log.h"

#include "gtest/gtest.h"

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

}  // namespace
}  // namespace forum_registry::server
