-- Issue 12: pages measured in bytes. Every table that stores records as
-- `body` (and the change log) keeps the size of the body's JSON text,
-- computed once when the row is written, so that a list can stop a page
-- before it outgrows a message without reading, let alone sending, the
-- bodies past that point (store::ListQuery::max_bytes).

DO $$
DECLARE
  t record;
BEGIN
  FOR t IN
    SELECT c.table_name FROM information_schema.columns c
     WHERE c.table_schema = 'public' AND c.column_name = 'body'
       AND c.data_type = 'jsonb'
     ORDER BY c.table_name
  LOOP
    EXECUTE format(
      'ALTER TABLE %I ADD COLUMN IF NOT EXISTS body_bytes integer '
      'GENERATED ALWAYS AS (octet_length(body::text)) STORED', t.table_name);
  END LOOP;
END
$$;
