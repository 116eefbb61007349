-- Issue 29: the indexes of external ids and cited sources pay for a body's
-- list only when the body has one.
--
-- Every searchable table has two GIN indexes on expressions,
-- body_external_ids(body) and body_cited_sources(body) (0011), and every
-- record written ran both functions: each an SQL function with a FROM, run
-- by its own executor, though most bodies hold neither list. Both are now
-- one CASE that the planner inlines, into the indexes' expressions as into
-- the filters' (domain/resource_registry.cc writes the same calls): a body
-- without the key gives '{}' at once, as the full function did; a body
-- with it runs the full function, renamed below. 40,014 sessions into a
-- copy of the table with one such index: 15-18 ms above the table alone
-- instead of 150 ms (docs/benchmarks.md).
--
-- The results are the same for every body, so the indexes stay valid. A
-- server's connection that had read an index's expression before this ran
-- would keep the call uninlined and no longer match the filters' inlined
-- CASE to the index: each index's expression column gets its statistics
-- target set, to its default, which makes every connection read the index
-- again (ShareUpdateExclusiveLock: writes go on). index_test checks that
-- the filters read these indexes.
--
-- Every statement here may run again.

-- "wikidata:q7768" for every external id of a body (lower case).
CREATE OR REPLACE FUNCTION body_external_ids_listed(body jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT coalesce(array_agg(DISTINCT lower((e->>'scheme') || ':' || (e->>'value'))), '{}')
  FROM jsonb_array_elements(CASE jsonb_typeof(body->'external_ids')
                              WHEN 'array' THEN body->'external_ids'
                              ELSE '[]' END) AS e
  WHERE jsonb_typeof(e) = 'object'
$$;

-- The sources a body cites (citations[].source), lower case as names are.
CREATE OR REPLACE FUNCTION body_cited_sources_listed(body jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT coalesce(array_agg(DISTINCT lower(c->>'source')), '{}')
  FROM jsonb_array_elements(CASE jsonb_typeof(body->'citations')
                              WHEN 'array' THEN body->'citations'
                              ELSE '[]' END) AS c
  WHERE jsonb_typeof(c) = 'object' AND coalesce(c->>'source', '') <> ''
$$;

CREATE OR REPLACE FUNCTION body_external_ids(body jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN body ? 'external_ids' THEN body_external_ids_listed(body)
              ELSE '{}'::text[] END
$$;

CREATE OR REPLACE FUNCTION body_cited_sources(body jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN body ? 'citations' THEN body_cited_sources_listed(body)
              ELSE '{}'::text[] END
$$;

DO $$
DECLARE
  i regclass;
BEGIN
  FOR i IN
    SELECT x.indexrelid::regclass FROM pg_index x
     WHERE pg_get_expr(x.indexprs, x.indrelid)
           ~ '^body_(external_ids|cited_sources)\(body\)$'
  LOOP
    EXECUTE format('ALTER INDEX %s ALTER COLUMN 1 SET STATISTICS -1', i);
  END LOOP;
END
$$;
