#ifndef FORUM_REGISTRY_DOMAIN_SEARCH_REQUEST_H_
#define FORUM_REGISTRY_DOMAIN_SEARCH_REQUEST_H_

// The rules of SearchService's requests (proto/forumregistry/v1/search.proto),
// without SQL: the query's bounds, the kinds it may name, the filter fields,
// page sizes, and the highlights of a snippet.
//
//   absl::StatusOr<SearchQuery> query = ParseSearchRequest(
//       "ASEAN Regional Forum", {"forums"}, "", 0);
//   // query->collections == {"forums"}, query->page_size == 20

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "src/domain/filter.h"

namespace forum_registry::domain {

inline constexpr int kMaxSearchQueryChars = 256;
inline constexpr int kMaxSearchQueryWords = 32;
inline constexpr int kDefaultSearchPageSize = 20;
inline constexpr int kMaxSearchPageSize = 100;
// A query yields at most this many results across its pages.
inline constexpr int kMaxSearchResults = 500;

// A checked request: what the store runs.
struct SearchQuery {
  std::string text;
  // For matching names roughly: the words of `text` without the syntax of
  // web search (quotes, `or`) and without the words it excludes ("-word"),
  // which are in `excluded`, joined by " or ".
  std::string fuzzy_text;
  std::string excluded;
  // Collections to search ("forums"), sorted; empty: every kind.
  std::vector<std::string> collections;
  std::optional<filter::Node> filter;
  int page_size = kDefaultSearchPageSize;
  // Results to skip (from the page token).
  int offset = 0;
};

// The fields a search filter may name: `citations.source` and
// `external_ids`, over every kind.
const filter::Schema& SearchFilterSchema();

// Checks the query, the types (resource types or collections, each
// resolved to its collection), the filter and the page size; errors are
// INVALID_ARGUMENT naming the field ("query: ...", "types[1]: ...").
absl::StatusOr<SearchQuery> ParseSearchRequest(
    absl::string_view query, const std::vector<std::string>& types,
    absl::string_view filter, int32_t page_size);

// A string that tells queries apart for page tokens: the same for requests
// that differ only in the order or spelling of types, or in whitespace of
// the filter.
std::string SearchFingerprint(const SearchQuery& query);

// A snippet as the database marks it — each highlighted run between
// kHighlightStart and kHighlightEnd — split into the plain text and the
// highlighted ranges, in code points.
inline constexpr absl::string_view kHighlightStart = "\xee\x80\x80";  // U+E000
inline constexpr absl::string_view kHighlightEnd = "\xee\x80\x81";    // U+E001
struct HighlightedText {
  std::string text;
  std::vector<std::pair<int, int>> highlights;  // [start, end)
};
HighlightedText SplitHighlights(absl::string_view marked);

// Checks "scheme:value" for LookupExternalId ("external_id: ...").
absl::Status ValidateLookupExternalId(absl::string_view external_id);

}  // namespace forum_registry::domain

#endif  // FORUM_REGISTRY_DOMAIN_SEARCH_REQUEST_H_
