-- Issue 29: a record's row of search_documents computed by one SQL
-- statement the planner folds into the statement that writes it.
--
-- search_document() was PL/pgSQL: each call started an executor for its
-- SELECT … INTO over search_passages(), and found a record's collection
-- with a regular expression. Its work proper (the passages, four
-- to_tsvector calls, the folded names) is a few microseconds a record; the
-- calls around it cost twice that again. As an SQL function returning SETOF
-- its one SELECT is inlined where it is called (every caller names it in
-- FROM, CROSS JOIN LATERAL), search_passages() within it, and the
-- collection is split_part(name, '/', -2): the name's segment before its
-- last, as the expression found. On the development cluster's 40,014
-- sessions, the rows took 0.60-0.65 s instead of 1.38-1.51 s, and 1.13 s
-- instead of 2.81 s for all 84,069 records (docs/benchmarks.md).
--
-- The rows are the same, column for column (compared on every record of
-- the development cluster; tests/e2e/search_test.cc's ranking table is
-- unchanged). Its return type changes, so it is dropped and created again;
-- the triggers that call it look it up by name.
--
-- Every statement here may run again.

DROP FUNCTION IF EXISTS search_document(text, jsonb);

CREATE FUNCTION search_document(name text, body jsonb)
RETURNS SETOF search_documents
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT name, c.collection, coalesce(body->>'display_name', ''),
         a.names, array_to_string(a.names, ' | '),
         a.words || array_to_tsvector(ARRAY['@' || c.collection]),
         CASE WHEN body ? 'citations' THEN body_cited_sources(body)
              ELSE '{}' END,
         CASE WHEN body ? 'external_ids' THEN body_external_ids(body)
              ELSE '{}' END
  FROM (SELECT split_part(name, '/', -2) AS collection) AS c,
       (SELECT coalesce(array_agg(search_fold(p.passage) ORDER BY p.ordinal)
                          FILTER (WHERE p.weight = 'A'), '{}') AS names,
               coalesce(setweight(to_tsvector('forum_registry',
                 string_agg(p.passage, E'\n') FILTER (WHERE p.weight = 'A')),
                 'A'), '')
            || coalesce(setweight(to_tsvector('forum_registry',
                 string_agg(p.passage, E'\n') FILTER (WHERE p.weight = 'B')),
                 'B'), '')
            || coalesce(setweight(to_tsvector('forum_registry',
                 string_agg(p.passage, E'\n') FILTER (WHERE p.weight = 'C')),
                 'C'), '')
            || coalesce(setweight(to_tsvector('forum_registry',
                 string_agg(p.passage, E'\n') FILTER (WHERE p.weight = 'D')),
                 'D'), '') AS words
          FROM search_passages(body) AS p) AS a
$$;
