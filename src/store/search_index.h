#ifndef FORUM_REGISTRY_STORE_SEARCH_INDEX_H_
#define FORUM_REGISTRY_STORE_SEARCH_INDEX_H_

// Search over every record (migrations/0011_search.sql): one table,
// `search_documents`, that statement triggers keep in step with the record
// tables, with a GIN index on the weighted words and a pg_trgm GIN index on
// the names.
//
// A query takes candidates from three indexes — records holding every word
// looked for (the GIN index of `words`, asked with search_candidates():
// phrases as AND, and an '@collection' lexeme for the kinds asked for, so
// the index answers alone and no row is read to be rejected), records with
// a name equal to the query (GIN on `names`), and, only when neither finds
// much (no equal name, fewer than kFewWordHits records with the words: a
// misspelled name), records with a name close to the whole query (pg_trgm's
// word similarity, GIN on the names' trigrams) — at most kCandidates from
// each, in no particular order: a query matching more records than that
// ranks only those the indexes yield first. Each candidate is scored
// between 0 and 1:
//
//   0.5 × how close the query is to the record's closest name, whole
//       (pg_trgm similarity: 1 for the exact name, "АРФ" for forums/arf)
// + 0.2 × how much of the query a name covers (word similarity)
// + 0.3 × how well the words match, by field weight and proximity
//       (ts_rank_cd, names weigh most, quoted passages least; scaled to 0-1)
//
// A candidate found by its name alone must be close (word similarity at
// least kFuzzyCutoff), or a query for "energy cooperation" would bring any
// name with a few letters in common. The snippet of each result on the page
// is the passage of its record that matches best, marked by ts_headline.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/domain/search_request.h"
#include "src/store/pool.h"

namespace forum_registry::store {

inline constexpr int kCandidates = domain::kMaxSearchResults;
inline constexpr double kFuzzyCutoff = 0.65;
// Names are matched roughly only when no name equals the query and fewer
// than this many records hold its words.
inline constexpr int kFewWordHits = 10;
// A query whose words at least this share of the records holds (by the
// statistics) reads its candidates from pages sampled across the table, not
// from the index of words (kSearchSql's `common`, migrations/0018 and
// 0019): past it, reading the rows until the bound is cheaper than
// collecting every record the index holds for the words.
inline constexpr double kCommonShare = 0.1;
inline constexpr int kMaxLookupResults = 1000;

struct SearchHit {
  std::string name;
  std::string display_name;
  double score = 0;
  std::string field;    // the snippet's field ("description")
  std::string snippet;  // marked with domain::kHighlightStart/End
};

struct SearchPage {
  std::vector<SearchHit> hits;
  bool more = false;  // results follow this page
};

struct RecordRef {
  std::string name;
  std::string display_name;
};

class SearchIndex {
 public:
  explicit SearchIndex(ConnectionPool* pool) : pool_(pool) {}

  // The statement Search runs for `query`, for EXPLAIN in tests; with
  // another bound of `candidates`, so that a small registry can take the
  // paths of a large one.
  struct Statement {
    std::string sql;
    std::vector<std::string> params;
  };
  static absl::StatusOr<Statement> SearchStatement(
      const domain::SearchQuery& query, int candidates = kCandidates);

  // One page of `query`'s results, best first (ties by name). A query of
  // stop words alone, or only of words to exclude, is INVALID_ARGUMENT
  // naming `query`.
  absl::StatusOr<SearchPage> Search(const domain::SearchQuery& query,
                                    absl::Time deadline);

  // Every record carrying `external_id` ("wikidata:Q7768"; case ignored),
  // by name, at most kMaxLookupResults.
  absl::StatusOr<std::vector<RecordRef>> LookupExternalId(
      const std::string& external_id, absl::Time deadline);

 private:
  ConnectionPool* pool_;
};

}  // namespace forum_registry::store

#endif  // FORUM_REGISTRY_STORE_SEARCH_INDEX_H_
