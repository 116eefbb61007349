-- search_sample_percent (0018) read pg_stats on every search: about 0.6 ms
-- of a search that otherwise takes 1 to 2 ms at a million records, paid
-- by every search (the decision is made before any index is read), twice
-- by a common word's. The words a large share of the registry holds, as
-- the last ANALYZE of search_documents counted them, are now kept for the
-- session in a setting of its own, and read again from pg_stats only when
-- that table has been analyzed since (and again for ten seconds after an
-- analysis, which records its time before its statistics commit), the
-- share asked for differs, or five minutes have passed (a hot standby
-- records no analysis of its own: its statistics come from the primary's,
-- and only the time tells it to look).
-- What the function returns is unchanged.
--
-- Every statement here may run again.

CREATE OR REPLACE FUNCTION search_sample_percent(tree text,
                                                 candidates integer,
                                                 share float8)
RETURNS float8
-- PL/pgSQL, whose plans are kept for the session. PARALLEL UNSAFE: it sets
-- a session setting, which no process may while a parallel plan runs (the
-- leader included), so a search that calls it is planned without one.
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
AS $$
DECLARE
  analyzed_at timestamptz := greatest(
    pg_stat_get_last_analyze_time('search_documents'::regclass),
    pg_stat_get_last_autoanalyze_time('search_documents'::regclass));
  analyzed text := coalesce(analyzed_at::text, 'never');
  now float8 := extract(epoch FROM clock_timestamp());
  -- {"analyzed": ..., "read": epoch, "share": ..., "words": {"word": share}}
  cached jsonb := nullif(current_setting(
    'forum_registry.search_common_words', true), '')::jsonb;
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
  IF cached IS NULL OR cached->>'analyzed' IS DISTINCT FROM analyzed
     OR (cached->>'share')::float8 IS DISTINCT FROM share
     OR coalesce((cached->>'read')::float8, 0) < now - 300
     -- ANALYZE records its time before it commits its statistics: a list
     -- read in the ten seconds after may be of the statistics before.
     OR coalesce((cached->>'read')::float8, 0)
          < coalesce(extract(epoch FROM analyzed_at), 0) + 10 THEN
    -- Only the words at least `share` of the records hold: a query with
    -- any other word is never sampled.
    SELECT jsonb_build_object(
             'analyzed', analyzed, 'read', now, 'share', share,
             'words', coalesce((
               SELECT jsonb_object_agg(u.word, u.freq)
                 FROM unnest(s.most_common_elems::text::text[],
                             s.most_common_elem_freqs) AS u(word, freq)
                WHERE u.word IS NOT NULL AND u.freq >= share), '{}'))
      INTO cached
      FROM pg_stats s
     WHERE s.schemaname = 'public' AND s.tablename = 'search_documents'
       AND s.attname = 'words' AND s.most_common_elems IS NOT NULL;
    cached := coalesce(cached, jsonb_build_object(
      'analyzed', analyzed, 'read', now, 'share', share,
      'words', '{}'::jsonb));
    PERFORM set_config('forum_registry.search_common_words', cached::text,
                       false);
  END IF;
  -- The shares are pg_stats' float4s: read back as such, they are the
  -- very numbers 0018 compared.
  SELECT min(coalesce((cached->'words'->>replace(substr(w, 2, length(w) - 2),
                                                 '''''', ''''))::float4, 0))
    INTO found
    FROM unnest(string_to_array(tree, ' & ')) AS w;
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
