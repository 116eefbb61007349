#include "src/store/search_index.h"

#include <map>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "src/domain/status_macros.h"
#include "src/store/filter_sql.h"
#include "src/store/transaction.h"

namespace forum_registry::store {
namespace {

// The filter fields of a search, as columns of search_documents.
const std::map<std::string, Column>& SearchColumns() {
  static const auto* const kColumns = new std::map<std::string, Column>{
      {"citations.source", {"cited_sources"}},
      {"external_ids", {"external_ids"}},
  };
  return *kColumns;
}

// $1 the query, $2 the collections (a text[]; empty: all), $3 how many
// rows (a page and one more), $4 how many to skip, $5 the query's words for
// names (SearchQuery::fuzzy_text), $6 the words it excludes ("a or b");
// {filter} a condition on search_documents' columns. The conditions that
// pick candidates are written on the parameters, not on `q`, so that the
// planner sees them as index conditions it can combine with the filter's. One
// statement: the first columns tell whether the query has words to look for,
// and a query without any returns one row of them alone (the LEFT JOIN), having
// read no index.
constexpr char kSearchSql[] = R"sql(
WITH q AS MATERIALIZED (
  SELECT websearch_to_tsquery('forum_registry', $1) AS tsq,
         search_fold($5) AS folded,
         CASE WHEN $6 <> '' THEN websearch_to_tsquery('forum_registry', $6)
         END AS excluded),
usable AS MATERIALIZED (
  SELECT numnode(tsq) > 0 AND querytree(tsq) <> 'T' AS ok FROM q),
-- A query whose words a large share of the records holds ("session" in
-- half the registry) reads its candidates from pages sampled across the
-- table, as many as hold about twice the bound, rather than from the index
-- of words, which would first collect every record holding them
-- (migrations/0018, search_sample_percent). ts_match_vq is @@ that no
-- index answers.
common AS MATERIALIZED (
  SELECT search_sample_percent(
           querytree(search_candidates($1, $2::text[]))::text, {candidates},
           {common_share}) AS percent
    FROM usable WHERE ok),
bounded_hits AS MATERIALIZED (
  SELECT d.name, d.display_name, d.names, d.names_text, d.words
    FROM search_documents d
         TABLESAMPLE SYSTEM (search_sample_percent(
           querytree(search_candidates($1, $2::text[]))::text, {candidates},
           {common_share}))
         REPEATABLE (0)
   WHERE (SELECT percent FROM common) > 0
     AND ts_match_vq(d.words, search_candidates($1, $2::text[]))
     AND ({filter})
   LIMIT {candidates}),
-- The index of words, unless the pages read held the bound (a filter or a
-- kind searched may leave fewer).
word_hits AS MATERIALIZED (
  TABLE bounded_hits
  UNION ALL
  (SELECT d.name, d.display_name, d.names, d.names_text, d.words
    FROM search_documents d
   WHERE (SELECT ok FROM usable)
     AND (SELECT count(*) FROM bounded_hits) < {candidates}
     AND d.words @@ search_candidates($1, $2::text[])
     AND ({filter})
   LIMIT {candidates})),
exact_hits AS MATERIALIZED (
  SELECT d.name, d.display_name, d.names, d.names_text, d.words
    FROM search_documents d
   WHERE (SELECT ok FROM usable) AND $5 <> ''
     AND d.names @> ARRAY[search_fold($5)]
     AND (cardinality($2::text[]) = 0 OR d.collection = ANY ($2::text[]))
     AND ({filter})
   LIMIT {candidates}),
-- Names close to the query, for a query that found no name equal to it
-- and hardly any record holding its words: a misspelled name. (Reading
-- the trigram index costs more than the others, and the records it would
-- add are found by their words otherwise.)
fuzzy_hits AS (
  SELECT d.name, d.display_name, d.names, d.names_text, d.words
    FROM search_documents d
   WHERE (SELECT ok FROM usable) AND $5 <> ''
     AND NOT EXISTS (SELECT 1 FROM exact_hits)
     AND (SELECT count(*) FROM word_hits) < {few}
     AND search_fold($5) <% d.names_text
     AND word_similarity(search_fold($5), d.names_text) >= {cutoff}
     AND NOT coalesce(d.words @@ (SELECT excluded FROM q), false)
     AND (cardinality($2::text[]) = 0 OR d.collection = ANY ($2::text[]))
     AND ({filter})
   LIMIT {candidates}),
hits AS (TABLE word_hits UNION ALL TABLE exact_hits UNION ALL TABLE fuzzy_hits),
scored AS (
  -- Each candidate once (it may come from several indexes), scored from the
  -- row the index scan read: no second look-up.
  SELECT d.name, d.display_name, d.words @@ q.tsq AS has_words,
         coalesce(d.words @@ q.excluded, false) AS has_excluded,
         coalesce((SELECT max(similarity(n, q.folded)) FROM unnest(d.names) n),
                  0) AS name_score,
         word_similarity(q.folded, d.names_text) AS cover_score,
         ts_rank_cd('{0.1, 0.2, 0.4, 1.0}', d.words, q.tsq, 32) AS text_score
  FROM (SELECT DISTINCT ON (name) * FROM hits ORDER BY name) AS d CROSS JOIN q),
page AS (
  SELECT name, display_name,
         round((0.5 * name_score + 0.2 * cover_score
                + 0.3 * text_score)::numeric, 4)::float8 AS score
  FROM scored
  -- A record found by its name alone must be close to the query, and
  -- must not hold a word the query excludes.
  WHERE (has_words OR cover_score >= {cutoff}) AND NOT has_excluded
  ORDER BY score DESC, name
  LIMIT $3::integer OFFSET $4::integer)
SELECT (SELECT ok FROM usable) AS usable, numnode(q.tsq) AS nodes, r.*
FROM q LEFT JOIN LATERAL (
  SELECT p.name, p.display_name, p.score, s.field, s.snippet
  FROM page p
  LEFT JOIN LATERAL (
    SELECT x.field,
           ts_headline('forum_registry', x.passage, q.tsq,
                       '{headline}') AS snippet
    FROM search_records rec
    CROSS JOIN LATERAL (
      -- The markers of highlights never come from the text itself.
      SELECT y.field, y.weight, translate(y.passage, {markers}, '') AS passage,
             y.ordinal
      FROM search_passages(rec.body) AS y) AS x
    -- Each passage's words once, for the two tests below.
    CROSS JOIN LATERAL (
      SELECT to_tsvector('forum_registry', x.passage) AS words) AS t
    WHERE rec.name = p.name
    ORDER BY t.words @@ q.tsq DESC, ts_rank(t.words, q.tsq) DESC,
             CASE WHEN x.weight = 'A'
                  THEN similarity(search_fold(x.passage), q.folded) END
               DESC NULLS LAST,
             x.ordinal
    LIMIT 1) s ON true) r ON true
ORDER BY r.score DESC, r.name
)sql";

std::string SearchSql(const std::string& filter, int candidates) {
  return absl::StrReplaceAll(
      kSearchSql,
      {{"{filter}", filter},
       {"{candidates}", absl::StrCat(candidates)},
       {"{cutoff}", absl::StrCat(kFuzzyCutoff)},
       {"{few}", absl::StrCat(kFewWordHits)},
       {"{common_share}", absl::StrCat(kCommonShare)},
       {"{markers}",
        absl::StrCat("'", domain::kHighlightStart, domain::kHighlightEnd, "'")},
       {"{headline}",
        absl::StrCat("StartSel=", domain::kHighlightStart,
                     ", StopSel=", domain::kHighlightEnd,
                     ", MaxWords=30, MinWords=12, ShortWord=2, "
                     "MaxFragments=2, FragmentDelimiter=\" … \"")}});
}

constexpr char kLookupSql[] =
    "SELECT name, display_name FROM search_documents "
    "WHERE external_ids @> ARRAY[lower($1)] ORDER BY name LIMIT $2::integer";

}  // namespace

absl::StatusOr<SearchIndex::Statement> SearchIndex::SearchStatement(
    const domain::SearchQuery& query, int candidates) {
  Statement statement;
  statement.params = {
      query.text,
      absl::StrCat("{", absl::StrJoin(query.collections, ","), "}"),
      absl::StrCat(query.page_size + 1),
      absl::StrCat(query.offset),
      query.fuzzy_text,
      query.excluded};
  std::string filter = "true";
  if (query.filter.has_value()) {
    FR_ASSIGN_OR_RETURN(
        filter, FilterToSql(*query.filter, SearchColumns(), &statement.params));
  }
  statement.sql = SearchSql(filter, candidates);
  return statement;
}

absl::StatusOr<SearchPage> SearchIndex::Search(const domain::SearchQuery& query,
                                               absl::Time deadline) {
  FR_ASSIGN_OR_RETURN(const Statement statement, SearchStatement(query));
  const std::vector<std::string>& params = statement.params;
  // Without a filter the statement is always the same: prepared once per
  // connection, it is planned once.
  const bool plain = !query.filter.has_value();
  SearchPage page;
  FR_RETURN_IF_ERROR(RunSingleRead(
      *pool_, deadline,
      [&](ConnectionPool::Lease& lease,
          pqxx::transaction_base& txn) -> absl::Status {
        page = SearchPage();
        pqxx::result rows;
        if (plain) {
          lease.Prepare("search", statement.sql);
          rows = txn.exec_prepared("search", params[0], params[1], params[2],
                                   params[3], params[4], params[5]);
        } else {
          rows = txn.exec_params(statement.sql,
                                 pqxx::prepare::make_dynamic_params(params));
        }
        if (rows.empty() || !rows[0]["usable"].as<bool>()) {
          return absl::InvalidArgumentError(
              rows.empty() || rows[0]["nodes"].as<int>() == 0
                  ? "query: has no word to search for: only words too common "
                    "to search for (stop words such as \"the\" or \"и\") "
                    "or punctuation; add a word that tells what to find"
                  : "query: needs a word to look for that is not excluded "
                    "(\"-word\"), nor only joined by `or` to an excluded "
                    "one");
        }
        for (const pqxx::row& row : rows) {
          if (row["name"].is_null()) continue;  // no results
          if (static_cast<int>(page.hits.size()) == query.page_size) {
            page.more = true;
            break;
          }
          SearchHit& hit = page.hits.emplace_back();
          hit.name = row["name"].as<std::string>();
          hit.display_name = row["display_name"].as<std::string>();
          hit.score = row["score"].as<double>();
          if (!row["field"].is_null()) {
            hit.field = row["field"].as<std::string>();
            hit.snippet = row["snippet"].as<std::string>();
          }
        }
        return absl::OkStatus();
      }));
  return page;
}

absl::StatusOr<std::vector<RecordRef>> SearchIndex::LookupExternalId(
    const std::string& external_id, absl::Time deadline) {
  std::vector<RecordRef> records;
  FR_RETURN_IF_ERROR(RunSingleRead(
      *pool_, deadline,
      [&](ConnectionPool::Lease& lease,
          pqxx::transaction_base& txn) -> absl::Status {
        records.clear();
        lease.Prepare("search.lookup_external_id", kLookupSql);
        for (const pqxx::row& row : txn.exec_prepared(
                 "search.lookup_external_id", external_id, kMaxLookupResults)) {
          records.push_back({row["name"].as<std::string>(),
                             row["display_name"].as<std::string>()});
        }
        return absl::OkStatus();
      }));
  return records;
}

}  // namespace forum_registry::store
