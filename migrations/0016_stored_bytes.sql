-- Issue 29: records served as stored bytes (decisions §69).
--
-- Beside its JSON, every record keeps `body_pb`: the record encoded as
-- protobuf, without the fields the server sets (name, etag, create_time,
-- update_time), exactly the message `body` holds. The server writes both in
-- one statement, and serves a record by splicing these bytes between its
-- name and its etag and times, with no parse and no re-encode. The JSON
-- stays the source for filters, search and SQL users.
--
-- NULL means "read the JSON": rows written before this migration, rows
-- written by psql or COPY, and records holding fields the writer did not
-- know. A change to the JSON made outside the server cannot leave a stale
-- binary copy: `<table>_body_pb` clears it whenever `body` changes and
-- `body_pb` does not (the server always writes both). The change log keeps
-- the bytes of each change beside its body, for ListChanges and the watch.

DO $$
DECLARE
  t record;
BEGIN
  FOR t IN
    SELECT c.table_name FROM information_schema.columns c
      JOIN information_schema.tables tb
        ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name
     WHERE c.table_schema = 'public' AND c.column_name = 'body'
       AND c.data_type = 'jsonb' AND tb.table_type = 'BASE TABLE'
       AND c.table_name <> 'imported_records'
     ORDER BY c.table_name
  LOOP
    -- Nullable without a default: no table is rewritten.
    EXECUTE format('ALTER TABLE %I ADD COLUMN IF NOT EXISTS body_pb bytea',
                   t.table_name);
  END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION clear_body_pb() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.body_pb := NULL;
  RETURN NEW;
END
$$;

-- On every record table: the tables whose writes the change log records.
DO $$
DECLARE
  t record;
BEGIN
  FOR t IN
    SELECT c.relname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
     WHERE g.tgname = c.relname || '_changes' AND NOT g.tgisinternal
     ORDER BY c.relname
  LOOP
    EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I',
                   t.relname || '_body_pb', t.relname);
    -- WHEN is evaluated without calling PL/pgSQL: a server write, which
    -- sets both columns, pays nothing.
    EXECUTE format(
      'CREATE TRIGGER %I BEFORE UPDATE ON %I FOR EACH ROW '
      'WHEN (OLD.body IS DISTINCT FROM NEW.body '
      'AND OLD.body_pb IS NOT DISTINCT FROM NEW.body_pb) '
      'EXECUTE FUNCTION clear_body_pb()',
      t.relname || '_body_pb', t.relname);
  END LOOP;
END
$$;

-- The transactions of fill_stored_bytes, which record_change does not log.
-- The serving role has no privilege on it (migrate --serving-role).
CREATE TABLE IF NOT EXISTS stored_bytes_fills (
  transaction xid8 PRIMARY KEY DEFAULT pg_current_xact_id()
);

-- 0015's record_change, which now copies the bytes too.
CREATE OR REPLACE FUNCTION record_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  actor text := nullif(current_setting('forum_registry.actor', true), '');
  request uuid :=
    nullif(current_setting('forum_registry.request_id', true), '')::uuid;
BEGIN
  -- Stored bytes filled for rows written without them (fill_stored_bytes,
  -- below): the record is what it was, and no change is logged. Only
  -- the owner's fill marks its transaction, so no other writer can
  -- change a row unlogged.
  IF TG_OP = 'UPDATE' AND OLD.body_pb IS NULL AND NEW.body_pb IS NOT NULL
     AND OLD.body = NEW.body AND OLD.version = NEW.version
     AND OLD.update_time = NEW.update_time
     AND EXISTS (SELECT 1 FROM stored_bytes_fills f
                  WHERE f.transaction = pg_current_xact_id()) THEN
    RETURN NULL;
  END IF;
  PERFORM pg_advisory_xact_lock(7382012644189892199);
  IF TG_OP = 'DELETE' THEN
    INSERT INTO changes (resource, operation, version, body, actor, created,
                         request_id)
      VALUES (OLD.name, 'DELETE', OLD.version, NULL, actor, OLD.create_time,
              request);
    PERFORM pg_notify('forum_registry_changes', OLD.name);
  ELSE
    INSERT INTO changes (resource, operation, version, body, body_pb, actor,
                         created, request_id, updated)
      VALUES (NEW.name, CASE TG_OP WHEN 'INSERT' THEN 'CREATE' ELSE 'UPDATE' END,
              NEW.version, NEW.body, NEW.body_pb, actor, NEW.create_time,
              request, NEW.update_time);
    PERFORM pg_notify('forum_registry_changes', NEW.name);
  END IF;
  RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION record_change() FROM PUBLIC;

-- Fills the stored bytes of rows of the record table `t` that have none,
-- from `rows`: [{"name": ..., "body": <the body read>, "pb": <hex>}].
-- Compare-and-set: a row whose body changed since it was read keeps no
-- bytes (a write since then wins). Silent: no change is logged, no
-- reference or search row is touched (the body is the same), the version
-- and update time stay. `forum-registry migrate` runs it, as the owner.
-- The number of rows filled.
CREATE OR REPLACE FUNCTION fill_stored_bytes(t text, rows jsonb)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  filled integer;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
                  WHERE c.relname = t AND g.tgname = t || '_body_pb') THEN
    RAISE EXCEPTION 'forum-registry: % is not a table of records', t
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- Marks of finished transactions are of no use.
  DELETE FROM stored_bytes_fills
   WHERE transaction < pg_snapshot_xmin(pg_current_snapshot());
  INSERT INTO stored_bytes_fills DEFAULT VALUES ON CONFLICT DO NOTHING;
  EXECUTE format(
    'UPDATE %I AS r SET body_pb = decode(v.pb, ''hex'') '
    'FROM jsonb_to_recordset($1) AS v(name text, body jsonb, pb text) '
    'WHERE r.name = v.name AND r.body = v.body AND r.body_pb IS NULL', t)
    USING rows;
  GET DIAGNOSTICS filled = ROW_COUNT;
  RETURN filled;
END
$$;
REVOKE EXECUTE ON FUNCTION fill_stored_bytes(text, jsonb) FROM PUBLIC;

CREATE OR REPLACE FUNCTION sync_references() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  i integer;
  field text;
  target text;
  target_kind text;
BEGIN
  -- A body unchanged has the references it had (an update that filled
  -- only the stored bytes).
  IF TG_OP = 'UPDATE' AND OLD.body IS NOT DISTINCT FROM NEW.body THEN
    RETURN NULL;
  END IF;
  -- Deferred, this may run after the row changed again or went away: only
  -- the row as it stands is synced. (The body too: a record deleted and
  -- created again in one transaction is at version 1 twice.)
  IF NOT is_current_row(TG_TABLE_NAME, NEW.name, NEW.version, NEW.body) THEN
    RETURN NULL;
  END IF;
  -- A created record has no references yet: its name's were forgotten when
  -- it was deleted, and a sync of the same body adds the same rows.
  IF TG_OP = 'UPDATE' THEN
    PERFORM forget_references(NEW.name);
  END IF;
  i := 1;
  WHILE i + 1 <= TG_NARGS LOOP
    field := TG_ARGV[i];
    FOR target IN
      SELECT DISTINCT v #>> '{}'
      FROM jsonb_path_query(NEW.body, TG_ARGV[i + 1]::jsonpath) AS v
      WHERE jsonb_typeof(v) = 'string' AND v #>> '{}' <> ''
    LOOP
      target_kind := NULL;
      SELECT kind INTO target_kind FROM reference_kinds WHERE target ~ name_pattern;
      IF target_kind IS NULL THEN
        RAISE EXCEPTION 'forum-registry: %.%: % is not the name of a record that can be referred to',
          TG_ARGV[0], field, target
          USING ERRCODE = 'invalid_parameter_value',
                DETAIL = 'owner: ' || NEW.name;
      END IF;
      IF NOT reference_exists(target_kind, target) THEN
        RAISE EXCEPTION 'forum-registry: %.%: % does not exist', TG_ARGV[0], field, target
          USING ERRCODE = 'foreign_key_violation',
                DETAIL = 'owner: ' || NEW.name;
      END IF;
      PERFORM add_reference(target_kind, NEW.name, field, target);
    END LOOP;
    i := i + 2;
  END LOOP;
  RETURN NULL;
END
$$;

-- As in 0011, but an update re-indexes only the records whose body
-- changed (not those whose stored bytes were filled).
CREATE OR REPLACE FUNCTION search_index_records() RETURNS trigger
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
    INSERT INTO search_documents AS d
    SELECT s.* FROM new_rows n
      CROSS JOIN LATERAL search_document(n.name, n.body) s
     WHERE NOT EXISTS (SELECT 1 FROM old_rows o
                        WHERE o.name = n.name AND o.body = n.body)
    ON CONFLICT (name) DO UPDATE SET
      display_name = excluded.display_name, names = excluded.names,
      names_text = excluded.names_text, words = excluded.words,
      cited_sources = excluded.cited_sources,
      external_ids = excluded.external_ids;
    RETURN NULL;
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
