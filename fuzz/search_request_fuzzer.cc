// Search requests: the query (its word count, its web-search syntax split
// into words for names and words excluded), the types and the filter; and
// the snippets' highlight markers. Properties: a refused request is
// INVALID_ARGUMENT naming a field of the request, in a short message; an
// accepted one has its words for names free of quotes and no longer than
// the query; a snippet split from any text holds no marker and its ranges
// are ordered, non-empty and within the text.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "fuzz/fuzz_check.h"
#include "src/domain/search_request.h"

namespace fr = forum_registry;

namespace {

// Whether `text` is well-formed UTF-8 (what the database gives; from other
// bytes, a marker can form again where one was taken out).
bool IsUtf8(const std::string& text) {
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = text[i];
    const int length = c < 0x80         ? 1
                       : (c >> 5) == 6  ? 2
                       : (c >> 4) == 14 ? 3
                       : (c >> 3) == 30 ? 4
                                        : 0;
    if (length == 0 || i + length > text.size()) return false;
    for (int k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) {
        return false;
      }
    }
    i += length;
  }
  return true;
}

int CodePoints(const std::string& text) {
  int count = 0;
  for (unsigned char c : text) count += (c & 0xC0) != 0x80;
  return count;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input = fr::fuzz::Text(data, size);
  // query \n types (comma-separated) \n filter
  std::vector<std::string> parts =
      absl::StrSplit(input, absl::MaxSplits('\n', 2));
  parts.resize(3);
  std::vector<std::string> types;
  if (!parts[1].empty()) types = absl::StrSplit(parts[1], ',');
  const int32_t page_size = size > 0 ? static_cast<int8_t>(data[0]) : 0;
  const absl::StatusOr<fr::domain::SearchQuery> query =
      fr::domain::ParseSearchRequest(parts[0], types, parts[2], page_size);
  if (!query.ok()) {
    FUZZ_CHECK(query.status().code() == absl::StatusCode::kInvalidArgument)
        << query.status();
    const std::string message(query.status().message());
    FUZZ_CHECK(absl::StartsWith(message, "query: ") ||
               absl::StartsWith(message, "types[") ||
               absl::StartsWith(message, "filter: ") ||
               absl::StartsWith(message, "page_size: "))
        << message;
    FUZZ_CHECK(message.size() < 3000) << message.size() << " bytes";
  } else {
    FUZZ_CHECK(query->fuzzy_text.find('"') == std::string::npos)
        << query->fuzzy_text;
    FUZZ_CHECK(query->fuzzy_text.size() <= query->text.size());
    FUZZ_CHECK(query->page_size >= 1 &&
               query->page_size <= fr::domain::kMaxSearchPageSize);
  }

  const fr::domain::HighlightedText split = fr::domain::SplitHighlights(input);
  // Whatever the bytes, the split ends; the properties hold for text, which
  // is what the database gives.
  if (!IsUtf8(input)) return 0;
  FUZZ_CHECK(!absl::StrContains(split.text, fr::domain::kHighlightStart) &&
             !absl::StrContains(split.text, fr::domain::kHighlightEnd))
      << "a marker left in the text";
  int last_end = -1;
  const int length = CodePoints(split.text);
  for (const auto& [start, end] : split.highlights) {
    FUZZ_CHECK(start > last_end || (last_end == -1 && start >= 0))
        << start << " after " << last_end;
    FUZZ_CHECK(start < end && end <= length) << start << "-" << end;
    last_end = end;
  }
  return 0;
}
