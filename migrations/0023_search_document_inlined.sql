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
-- And the row of a record named and nothing more is built without
-- aggregating its passages. Most records (70,000 of the development
-- cluster's 84,069: the sessions, memberships and chairmanships the
-- registry holds most of) have no text to index but their display_name,
-- and the aggregate over search_passages() (five aggregates, one of them
-- sorting) was most of the rest of the cost. For a body holding none of
-- the keys search_passages() reads other than display_name, the row is
-- built from the display name directly: the names are its folded form,
-- the words its lexemes at weight A, which is what the aggregates give for
-- that one passage (or none, for a display name that is not a non-empty
-- string). Any other body takes the aggregates.
-- tests/integration/schema_test.cc compares the two ways on bodies of each
-- shape. 84,069 records: 481 ms instead of 701-769 ms for their rows with
-- the aggregates alone (docs/benchmarks.md). The keys below are those of
-- search_passages() (migrations/0025) but display_name: a key added there
-- is added here too.
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
         -- Each looks for its key first (migrations/0024).
         body_cited_sources(body), body_external_ids(body)
  FROM (SELECT split_part(name, '/', -2) AS collection,
               NOT (body ?| ARRAY['names', 'topics', 'priority_areas',
                                  'summary', 'venue', 'description', 'items',
                                  'text', 'facts', 'citations'])
                 AS named_only) AS c,
       LATERAL (
         SELECT coalesce(array_agg(search_fold(p.passage) ORDER BY p.ordinal)
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
           FROM search_passages(body) AS p
         HAVING NOT c.named_only
         UNION ALL
         SELECT CASE WHEN n.display_name IS NULL THEN '{}'::text[]
                     ELSE ARRAY[search_fold(n.display_name)] END,
                coalesce(setweight(to_tsvector('forum_registry',
                                               n.display_name), 'A'), '')
           FROM (SELECT CASE WHEN jsonb_typeof(body->'display_name') = 'string'
                              AND body->>'display_name' <> ''
                             THEN body->>'display_name' END
                          AS display_name) AS n
          WHERE c.named_only) AS a
$$;
