-- Issue 14: search across every record, lookups by identifier and by source.
--
-- * `forum_registry`, a text search configuration: the `russian`
--   configuration (English words stemmed by english_stem, Cyrillic ones by
--   russian_stem), with the `unaccent` dictionary in front of the stemmer for
--   words that are not plain ASCII, so that "Hà Nội" is found by "Ha Noi"
--   and "Ёлка" by "елка". A query goes through the same configuration.
-- * `search_documents`: one row per record of any kind, with its weighted
--   words (GIN), its names for fuzzy matching (pg_trgm, GIN), the sources it
--   cites and its external ids. Statement triggers on every record table
--   write it in the statement that writes the record, so a search sees
--   exactly the records its snapshot sees, and every writer (the API,
--   `import`, psql) keeps it current.
-- * GIN indexes on every record table's external ids and cited sources
--   (expressions of the body, so no table is rewritten), for List filters.
--
-- The words of Cyrillic (or any non-ASCII) text are only words to the
-- parser and to pg_trgm under a database whose LC_CTYPE knows them: under
-- LC_CTYPE "C" they are dropped. script/lib/postgres.sh creates clusters
-- with C.UTF-8, the production Cluster says so; this migration warns.

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;

DO $$
BEGIN
  IF (SELECT datctype FROM pg_database WHERE datname = current_database())
     IN ('C', 'POSIX') THEN
    RAISE WARNING 'forum-registry: this database''s LC_CTYPE is C: search will ignore words that are not ASCII (create it with C.UTF-8; docs/operations.md)';
  END IF;
END
$$;

CREATE TEXT SEARCH CONFIGURATION forum_registry (COPY = pg_catalog.russian);
ALTER TEXT SEARCH CONFIGURATION forum_registry
  ALTER MAPPING FOR word, hword, hword_part WITH unaccent, russian_stem;

-- The passages of a record that search reads, with the weight of their
-- field: A names, B topics and short labels, C descriptions and texts, D
-- the passages quoted from sources. Paths absent from a kind yield nothing.
-- Search results name the field of the passage they show.
CREATE FUNCTION search_passages(body jsonb)
RETURNS TABLE (field text, weight "char", passage text, ordinal bigint)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT f.field, f.weight, v.value #>> '{}',
         row_number() OVER (ORDER BY f.position, v.at)
  FROM (VALUES (1, 'display_name', 'A'::"char", '$.display_name'::jsonpath),
               (2, 'names.text', 'A', '$.names[*].text'),
               (3, 'topics', 'B', '$.topics[*]'),
               (4, 'priority_areas', 'B', '$.priority_areas[*]'),
               (5, 'summary', 'B', '$.summary'),
               (6, 'venue.city', 'B', '$.venue.city'),
               (7, 'venue.site', 'B', '$.venue.site'),
               (8, 'description', 'C', '$.description'),
               (9, 'items', 'C', '$.items[*]'),
               (10, 'text', 'C', '$.text'),
               (11, 'facts.metric', 'C', '$.facts[*].metric'),
               (12, 'facts.excerpt', 'C', '$.facts[*].excerpt'),
               (13, 'citations.excerpt', 'D', '$.citations[*].excerpt'))
         AS f(position, field, weight, path)
  CROSS JOIN LATERAL jsonb_path_query(body, f.path)
    WITH ORDINALITY AS v(value, at)
  WHERE jsonb_typeof(v.value) = 'string' AND v.value #>> '{}' <> ''
$$;

-- Text as names are compared: lower case, without accents.
CREATE FUNCTION search_fold(text text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT lower(unaccent('unaccent', text)) $$;

-- What picks a search's candidates from the index of words: the query's
-- positive part (querytree: what an index can answer) with phrases read as
-- AND, which the index answers without reading the rows (a phrase needs
-- each row rechecked; the exact query is applied to the candidates), and,
-- for a search of some kinds, one of their '@collection' lexemes.
CREATE FUNCTION search_candidates(query text, collections text[])
RETURNS tsquery
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN cardinality(collections) = 0 THEN core
              ELSE core && (SELECT string_agg(quote_literal('@' || c), ' | ')
                              FROM unnest(collections) AS c)::tsquery
         END
  FROM (SELECT regexp_replace(
                 querytree(websearch_to_tsquery('forum_registry', query)),
                 '<[0-9]*-?>', '&', 'g')::tsquery AS core) AS x
$$;

-- "wikidata:q7768" for every external id of a body (lower case).
CREATE FUNCTION body_external_ids(body jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT coalesce(array_agg(DISTINCT lower((e->>'scheme') || ':' || (e->>'value'))), '{}')
  FROM jsonb_array_elements(CASE jsonb_typeof(body->'external_ids')
                              WHEN 'array' THEN body->'external_ids'
                              ELSE '[]' END) AS e
  WHERE jsonb_typeof(e) = 'object'
$$;

-- The sources a body cites (citations[].source), lower case as names are.
CREATE FUNCTION body_cited_sources(body jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT coalesce(array_agg(DISTINCT lower(c->>'source')), '{}')
  FROM jsonb_array_elements(CASE jsonb_typeof(body->'citations')
                              WHEN 'array' THEN body->'citations'
                              ELSE '[]' END) AS c
  WHERE jsonb_typeof(c) = 'object' AND coalesce(c->>'source', '') <> ''
$$;

CREATE TABLE search_documents (
  name          text COLLATE "C" PRIMARY KEY,
  -- The collection of the record's kind: "forums", "sessions".
  collection    text NOT NULL,
  display_name  text NOT NULL,
  -- Every name, folded (search_fold), display name first; and the same
  -- joined, for the trigram index.
  names         text[] NOT NULL,
  names_text    text NOT NULL,
  -- The weighted words, and one lexeme without position naming the
  -- collection ('@forums'), so that a search of some kinds is answered by
  -- this index alone.
  words         tsvector NOT NULL,
  cited_sources text[] NOT NULL,
  external_ids  text[] NOT NULL
);
-- Without GIN's pending list (fastupdate): every search would read the
-- entries written since the last vacuum, up to 4 MB, which made a search
-- on a freshly loaded million records several times slower; writes pay
-- for updating the index at once instead.
CREATE INDEX search_documents_words ON search_documents USING gin (words)
  WITH (fastupdate = off);
CREATE INDEX search_documents_names
  ON search_documents USING gin (names_text gin_trgm_ops)
  WITH (fastupdate = off);
CREATE INDEX search_documents_exact_names
  ON search_documents USING gin (names) WITH (fastupdate = off);
CREATE INDEX search_documents_cited_sources
  ON search_documents USING gin (cited_sources);
CREATE INDEX search_documents_external_ids
  ON search_documents USING gin (external_ids);

-- The row of one record: its names folded (its display name first), its
-- words weighted, from one pass over its passages. PL/pgSQL, whose plans
-- are kept for the session: as an SQL function returning a row it was
-- planned again for every record, eight times slower.
CREATE FUNCTION search_document(name text, body jsonb)
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
  d.cited_sources := body_cited_sources(body);
  d.external_ids := body_external_ids(body);
  RETURN d;
END
$$;

-- Writes the rows of the records a statement wrote (new_rows) or deleted
-- (old_rows). Set-based: an import of many records is one statement here.
-- An update that renames a record (only psql can) drops the old name; a
-- TRUNCATE drops every row whose record is gone.
CREATE FUNCTION search_index_records() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM search_documents d
     WHERE NOT EXISTS (SELECT 1 FROM search_records r WHERE r.name = d.name);
    RETURN NULL;
  END IF;
  IF TG_OP = 'DELETE' THEN
    DELETE FROM search_documents d USING old_rows o WHERE d.name = o.name;
    RETURN NULL;
  END IF;
  IF TG_OP = 'UPDATE' THEN
    DELETE FROM search_documents d USING old_rows o
     WHERE d.name = o.name AND NOT EXISTS (SELECT 1 FROM new_rows n
                                           WHERE n.name = o.name);
  END IF;
  INSERT INTO search_documents AS d
  SELECT s.* FROM new_rows n CROSS JOIN LATERAL search_document(n.name, n.body) s
  ON CONFLICT (name) DO UPDATE SET
    display_name = excluded.display_name, names = excluded.names,
    names_text = excluded.names_text, words = excluded.words,
    cited_sources = excluded.cited_sources, external_ids = excluded.external_ids;
  RETURN NULL;
END
$$;

-- Makes a record table searchable: the indexes of its external ids and
-- cited sources, its triggers, and its rows indexed now (not by an update,
-- which would log changes). A later migration that adds a record table
-- calls it, then search_records_view().
CREATE FUNCTION make_searchable(t text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE INDEX %I ON %I USING gin (body_external_ids(body))',
                 t || '_external_ids', t);
  EXECUTE format('CREATE INDEX %I ON %I USING gin (body_cited_sources(body))',
                 t || '_cited_sources', t);
  EXECUTE format(
    'CREATE TRIGGER search_index_insert AFTER INSERT ON %I '
    'REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT '
    'EXECUTE FUNCTION search_index_records()', t);
  EXECUTE format(
    'CREATE TRIGGER search_index_update AFTER UPDATE ON %I '
    'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
    'FOR EACH STATEMENT EXECUTE FUNCTION search_index_records()', t);
  EXECUTE format(
    'CREATE TRIGGER search_index_delete AFTER DELETE ON %I '
    'REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT '
    'EXECUTE FUNCTION search_index_records()', t);
  EXECUTE format(
    'CREATE TRIGGER search_index_truncate AFTER TRUNCATE ON %I '
    'FOR EACH STATEMENT EXECUTE FUNCTION search_index_records()', t);
  EXECUTE format('INSERT INTO search_documents SELECT s.* FROM %I n '
                 'CROSS JOIN LATERAL search_document(n.name, n.body) s', t);
END
$$;

-- (Re)creates `search_records`, every record's body by name, for the
-- snippets of a page of results, over the searchable tables (those with
-- the search triggers).
CREATE FUNCTION search_records_view() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE 'CREATE OR REPLACE VIEW search_records AS '
    || (SELECT string_agg(format('SELECT name, body FROM %I', t), ' UNION ALL '
                          ORDER BY t)
          FROM (SELECT DISTINCT c.relname::text AS t
                  FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid
                 WHERE tg.tgname = 'search_index_insert') AS x);
END
$$;

-- Every record table: those whose references are synced.
SELECT make_searchable(c.relname::text)
  FROM (SELECT DISTINCT c.relname
          FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid
         WHERE tg.tgfoid = 'sync_references()'::regprocedure
           AND NOT tg.tgisinternal
         ORDER BY 1) AS c;
SELECT search_records_view();
