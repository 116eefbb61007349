#include "src/domain/search_request.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "src/domain/page_token.h"
#include "src/domain/resource_registry.h"
#include "src/domain/status_macros.h"
#include "src/domain/validation.h"

namespace forum_registry::domain {
namespace {

// The collection a `types` entry names: a resource type
// ("forumregistry.org/Forum") or a collection ("forums").
const ResourceType* KindNamed(absl::string_view type) {
  if (const ResourceType* kind = FindByType(type)) return kind;
  for (const ResourceType& kind : Resources()) {
    if (kind.collection == type) return &kind;
  }
  return nullptr;
}

// Web-search syntax, read as websearch_to_tsquery reads it: a word or a
// "quoted phrase", either excluded by a '-' before it; `or` between them.
// `kept` gets the words looked for (phrases unquoted), `excluded` what is
// left out, joined by " or " (phrases quoted).
void SplitForNames(absl::string_view query, std::string* kept,
                   std::string* excluded) {
  std::vector<std::string> looked_for, left_out;
  const auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  };
  size_t i = 0;
  while (i < query.size()) {
    if (space(query[i])) {
      ++i;
      continue;
    }
    const bool minus = query[i] == '-';
    if (minus) ++i;
    if (i < query.size() && query[i] == '"') {
      const size_t end = std::min(query.find('"', i + 1), query.size());
      const std::string phrase(
          absl::StripAsciiWhitespace(query.substr(i + 1, end - i - 1)));
      i = end + 1;
      if (phrase.empty()) continue;
      if (minus) {
        left_out.push_back(absl::StrCat("\"", phrase, "\""));
      } else {
        looked_for.push_back(phrase);
      }
      continue;
    }
    size_t end = i;
    while (end < query.size() && !space(query[end]) && query[end] != '"') {
      ++end;
    }
    const std::string word(query.substr(i, end - i));
    i = end;
    if (word.empty()) continue;
    if (minus) {
      left_out.push_back(word);
    } else if (!absl::EqualsIgnoreCase(word, "or")) {
      looked_for.push_back(word);
    }
  }
  *kept = absl::StrJoin(looked_for, " ");
  *excluded = absl::StrJoin(left_out, " or ");
}

std::string KnownTypes() {
  std::vector<std::string> names;
  for (const ResourceType& kind : Resources()) names.push_back(kind.type);
  return absl::StrJoin(names, ", ");
}

}  // namespace

const filter::Schema& SearchFilterSchema() {
  static const filter::Schema* const kSchema = new filter::Schema{
      {.name = "citations.source",
       .type = filter::FieldType::kCitedSources,
       .collection = "sources"},
      {.name = "external_ids", .type = filter::FieldType::kExternalIds},
  };
  return *kSchema;
}

absl::StatusOr<SearchQuery> ParseSearchRequest(
    absl::string_view query, const std::vector<std::string>& types,
    absl::string_view filter, int32_t page_size) {
  SearchQuery out;
  FR_RETURN_IF_ERROR(
      CheckText(query, "query",
                {.required = true,
                 .max_chars = static_cast<size_t>(kMaxSearchQueryChars)}));
  if (absl::StripAsciiWhitespace(query).empty()) {
    return absl::InvalidArgumentError(
        "query: is required: give the words to look for");
  }
  // Words as the text search parser sees them, roughly: runs of letters
  // and digits ("a,b,c" is three words, as "a b c").
  int words = 0;
  bool in_word = false;
  for (const char c : query) {
    const bool word_char = absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                           static_cast<unsigned char>(c) >= 0x80;
    if (word_char && !in_word) ++words;
    in_word = word_char;
  }
  if (words > kMaxSearchQueryWords) {
    return absl::InvalidArgumentError(absl::StrCat("query: must have at most ",
                                                   kMaxSearchQueryWords,
                                                   " words, got ", words));
  }
  out.text = std::string(query);
  SplitForNames(query, &out.fuzzy_text, &out.excluded);
  for (size_t i = 0; i < types.size(); ++i) {
    const ResourceType* kind = KindNamed(types[i]);
    if (kind == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("types[", i, "]: \"", Quote(types[i]),
                       "\" is not a kind of record; use one of ", KnownTypes(),
                       " or its collection (\"forums\")"));
    }
    out.collections.push_back(kind->collection);
  }
  std::sort(out.collections.begin(), out.collections.end());
  out.collections.erase(
      std::unique(out.collections.begin(), out.collections.end()),
      out.collections.end());
  FR_ASSIGN_OR_RETURN(out.filter, filter::Parse(filter, SearchFilterSchema()));
  if (page_size < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: must not be negative, got ", page_size));
  }
  out.page_size = page_size == 0 ? kDefaultSearchPageSize
                                 : std::min(page_size, kMaxSearchPageSize);
  return out;
}

std::string SearchFingerprint(const SearchQuery& query) {
  return QueryFingerprint({"search", query.text,
                           absl::StrJoin(query.collections, ","),
                           filter::Canonical(query.filter)});
}

HighlightedText SplitHighlights(absl::string_view marked) {
  HighlightedText out;
  int chars = 0;  // code points of out.text so far
  int start = -1;
  size_t last_end_byte = 0;  // where the last range ended in out.text
  while (!marked.empty()) {
    if (absl::StartsWith(marked, kHighlightStart)) {
      marked.remove_prefix(kHighlightStart.size());
      if (start >= 0) continue;
      start = chars;
      // The database marks words one at a time; words separated by spaces
      // alone make one range ("ASEAN Regional Forum").
      if (!out.highlights.empty() &&
          out.text.find_first_not_of(' ', last_end_byte) == std::string::npos) {
        start = out.highlights.back().first;
        out.highlights.pop_back();
      }
      continue;
    }
    if (absl::StartsWith(marked, kHighlightEnd)) {
      marked.remove_prefix(kHighlightEnd.size());
      if (start >= 0 && chars > start) {
        out.highlights.emplace_back(start, chars);
        last_end_byte = out.text.size();
      }
      start = -1;
      continue;
    }
    const unsigned char c = static_cast<unsigned char>(marked.front());
    out.text.push_back(marked.front());
    marked.remove_prefix(1);
    // A code point starts at every byte that is not a continuation byte.
    if ((c & 0xC0) != 0x80) ++chars;
  }
  if (start >= 0 && chars > start) out.highlights.emplace_back(start, chars);
  return out;
}

absl::Status ValidateLookupExternalId(absl::string_view external_id) {
  if (external_id.empty()) {
    return absl::InvalidArgumentError(
        "external_id: is required, as \"scheme:value\" (\"wikidata:Q7768\")");
  }
  return CheckExternalIdText(external_id, "external_id");
}

}  // namespace forum_registry::domain
