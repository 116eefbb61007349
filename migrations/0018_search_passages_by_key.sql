-- Issue 29: the row of search_documents computed at half the cost.
--
-- search_passages() ran its thirteen JSON paths on every record, though a
-- record holds few of the fields they read: each path is a call of
-- jsonb_path_query. Each path now names the top-level key it starts from,
-- and runs only when the body has that key (`?`, a lookup in the body's
-- sorted keys), which yields exactly the same passages: a path whose key is
-- absent finds nothing. The same for the cited sources and external ids of
-- search_document(). An import of 100,000 records computed these rows in
-- about a third of its time (docs/benchmarks.md, "Import").
--
-- Results are unchanged (tests/e2e/search_test.cc and its ranking table).
--
-- And search_sample_percent(), below: a query whose words half the
-- registry holds reads its bounded candidates from sampled pages rather
-- than collecting every record holding them from the index first.
--
-- Every statement here may run again.

CREATE OR REPLACE FUNCTION search_passages(body jsonb)
RETURNS TABLE (field text, weight "char", passage text, ordinal bigint)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT f.field, f.weight, v.value #>> '{}',
         row_number() OVER (ORDER BY f.position, v.at)
  FROM (VALUES (1, 'display_name', 'A'::"char", 'display_name',
                '$.display_name'::jsonpath),
               (2, 'names.text', 'A', 'names', '$.names[*].text'),
               (3, 'topics', 'B', 'topics', '$.topics[*]'),
               (4, 'priority_areas', 'B', 'priority_areas',
                '$.priority_areas[*]'),
               (5, 'summary', 'B', 'summary', '$.summary'),
               (6, 'venue.city', 'B', 'venue', '$.venue.city'),
               (7, 'venue.site', 'B', 'venue', '$.venue.site'),
               (8, 'description', 'C', 'description', '$.description'),
               (9, 'items', 'C', 'items', '$.items[*]'),
               (10, 'text', 'C', 'text', '$.text'),
               (11, 'facts.metric', 'C', 'facts', '$.facts[*].metric'),
               (12, 'facts.excerpt', 'C', 'facts', '$.facts[*].excerpt'),
               (13, 'citations.excerpt', 'D', 'citations',
                '$.citations[*].excerpt'))
         AS f(position, field, weight, key, path)
  CROSS JOIN LATERAL jsonb_path_query(body, f.path)
    WITH ORDINALITY AS v(value, at)
  -- Evaluated before the path is run (it reads no column of the path's).
  WHERE body ? f.key
    AND jsonb_typeof(v.value) = 'string' AND v.value #>> '{}' <> ''
$$;

-- As in 0011, with the lists of cited sources and external ids read only
-- from a body that has them.
CREATE OR REPLACE FUNCTION search_document(name text, body jsonb)
RETURNS search_documents
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
DECLARE
  d search_documents;
BEGIN
  d.name := name;
  d.collection := substring(name FROM '([^/]+)/[^/]+$');
  d.display_name := coalesce(body->>'display_name', '');
  SELECT coalesce(array_agg(search_fold(p.passage) ORDER BY p.ordinal)
                    FILTER (WHERE p.weight = 'A'), '{}'),
         coalesce(setweight(to_tsvector('forum_registry',
           string_agg(p.passage, E'\n') FILTER (WHERE p.weight = 'A')), 'A'), '')
      || coalesce(setweight(to_tsvector('forum_registry',
           string_agg(p.passage, E'\n') FILTER (WHERE p.weight = 'B')), 'B'), '')
      || coalesce(setweight(to_tsvector('forum_registry',
           string_agg(p.passage, E'\n') FILTER (WHERE p.weight = 'C')), 'C'), '')
      || coalesce(setweight(to_tsvector('forum_registry',
           string_agg(p.passage, E'\n') FILTER (WHERE p.weight = 'D')), 'D'), '')
    INTO d.names, d.words
    FROM search_passages(body) AS p;
  d.names_text := array_to_string(d.names, ' | ');
  d.words := d.words || array_to_tsvector(ARRAY['@' || d.collection]);
  d.cited_sources := CASE WHEN body ? 'citations'
                          THEN body_cited_sources(body) ELSE '{}' END;
  d.external_ids := CASE WHEN body ? 'external_ids'
                         THEN body_external_ids(body) ELSE '{}' END;
  RETURN d;
END
$$;

-- The share of search_documents' pages to read, in percent, for the
-- candidates of a query whose words a large share of the records holds
-- ("session" in half of them), from the querytree() of its candidates
-- (search_candidates): about twice the bound of candidates
-- (`candidates`), read from pages sampled across the table (TABLESAMPLE
-- SYSTEM, with a fixed seed: the same query reads the same pages), instead
-- of the index of words, which first collects every record holding them.
-- 0 for any other query: one of words not joined by AND alone (words to
-- exclude are not in the tree), or rarer than `share` of the records by
-- the statistics
-- (pg_stats.most_common_elems; a word absent from them is rare), or in a
-- registry too small for the index to cost more than the pages. The
-- search (store/search_index.cc) falls back to the index when the pages
-- read hold fewer candidates than the bound.
CREATE OR REPLACE FUNCTION search_sample_percent(tree text,
                                                 candidates integer,
                                                 share float8)
RETURNS float8
-- PL/pgSQL, whose plans are kept for the session: as an SQL function its
-- query (over the pg_stats view) was planned on every call, 3 ms.
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
DECLARE
  found float8;
  pages float8;
  rows float8;
BEGIN
  -- Words joined by AND alone: 'a' & 'b', each quoted, without a
  -- weight, a prefix or a parenthesis.
  IF strpos(tree, '|') > 0 OR strpos(tree, '!') > 0 OR strpos(tree, '(') > 0
     OR strpos(tree, ':') > 0 THEN
    RETURN 0;
  END IF;
  SELECT (SELECT min(coalesce(s.most_common_elem_freqs[
                   array_position(s.most_common_elems::text::text[],
                                  replace(substr(w, 2, length(w) - 2),
                                          '''''', ''''))], 0))
            FROM unnest(string_to_array(tree, ' & ')) AS w)
    INTO found
    FROM pg_stats s
   WHERE s.schemaname = 'public' AND s.tablename = 'search_documents'
     AND s.attname = 'words' AND s.most_common_elems IS NOT NULL;
  SELECT c.relpages, c.reltuples INTO pages, rows
    FROM pg_class c WHERE c.oid = 'search_documents'::regclass;
  -- The pages sampled hold about 2 * candidates / found rows, each tested
  -- (ts_match_vq); the index would collect found * rows entries, each
  -- about a twentieth of a row's cost (measured on the development
  -- cluster): sample only where the index costs more.
  IF found IS NULL OR found < share OR pages <= 0 OR rows <= 0
     OR found * rows < 20 * 2 * candidates / found THEN
    RETURN 0;
  END IF;
  RETURN least(100, 100 * 2 * candidates / found / rows);
END
$$;
