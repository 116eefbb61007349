-- Triggers whose statements are planned once per connection, not per row.
--
-- A bulk write (an import) spent nearly all its time in the row triggers
-- (docs/benchmarks.md, "Import"): sync_references() and forget_references()
-- ran up to ten dynamic statements (EXECUTE format(...)) per row, and
-- PL/pgSQL plans a dynamic statement on every execution; the forum cycle
-- check's recursive query kept a plan made while `forums` was nearly empty,
-- which then read the whole table for every new forum, so a large import
-- slowed down quadratically.
--
-- Now:
-- * forums_check_parent_cycle() walks up the parents one primary-key lookup
--   at a time.
-- * The per-table and per-kind statements are static, in functions generated
--   from the catalog by regenerate_reference_functions(): is_current_row(),
--   reference_exists(), add_reference() and forget_references(). A later
--   migration that adds a record table or a reference kind calls it again.
-- * A created record's sync skips forgetting references: it has none (see
--   sync_references below).
-- Behaviour, messages and SQLSTATEs are unchanged.

CREATE OR REPLACE FUNCTION forums_check_parent_cycle() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  new_parent text COLLATE "C" := NEW.body->>'parent';
  ancestor text COLLATE "C" := new_parent;
  depth integer := 0;
BEGIN
  WHILE ancestor IS NOT NULL LOOP
    IF ancestor = NEW.name THEN
      RAISE EXCEPTION 'forum-registry: forum.parent: % is % or one of its descendants, which would make a cycle',
        new_parent, NEW.name
        USING ERRCODE = 'check_violation';
    END IF;
    depth := depth + 1;
    IF depth > 1000 THEN
      -- No real hierarchy is this deep; a cycle elsewhere (none should
      -- exist) must not make this loop forever.
      RAISE EXCEPTION 'forum-registry: forum.parent: the chain of parents above % is longer than 1000 forums',
        new_parent
        USING ERRCODE = 'check_violation';
    END IF;
    SELECT f.parent INTO ancestor FROM forums f WHERE f.name = ancestor;
  END LOOP;
  RETURN NEW;
END
$$;

-- (Re)writes the functions below from the catalog: the record tables are
-- those with a sync_references() trigger, the kinds those of
-- reference_kinds.
CREATE OR REPLACE FUNCTION regenerate_reference_functions() RETURNS void
LANGUAGE plpgsql AS $gen$
DECLARE
  version_branches text;
  exists_branches text;
  add_branches text;
  forget_statements text;
BEGIN
  SELECT string_agg(format(
           'IF record_table = %L THEN RETURN EXISTS (SELECT 1 FROM %I t WHERE t.name = record_name AND t.version = record_version AND t.body = record_body); END IF;',
           tab, tab), E'\n' ORDER BY tab)
    INTO version_branches
    FROM (SELECT DISTINCT c.relname::text AS tab
            FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid
           WHERE tg.tgfoid = 'sync_references()'::regprocedure
             AND NOT tg.tgisinternal) t;
  SELECT string_agg(format(
           'IF target_kind = %L THEN RETURN EXISTS (SELECT 1 FROM %I t WHERE t.name = target); END IF;',
           kind, table_name), E'\n' ORDER BY kind),
         string_agg(format(
           'IF target_kind = %L THEN INSERT INTO %I VALUES (owner_name, field, target) ON CONFLICT DO NOTHING; RETURN; END IF;',
           kind, kind || '_references'), E'\n' ORDER BY kind),
         string_agg(format('DELETE FROM %I t WHERE t.owner = owner_name;',
                           kind || '_references'), E'\n' ORDER BY kind)
    INTO exists_branches, add_branches, forget_statements
    FROM reference_kinds;

  EXECUTE format($f$
    CREATE OR REPLACE FUNCTION is_current_row(record_table text, record_name text,
                                              record_version bigint, record_body jsonb)
    RETURNS boolean LANGUAGE plpgsql AS $body$
    BEGIN
      %s
      RAISE EXCEPTION 'forum-registry: %% is not a table of records', record_table;
    END $body$$f$, version_branches);
  EXECUTE format($f$
    CREATE OR REPLACE FUNCTION reference_exists(target_kind text, target text)
    RETURNS boolean LANGUAGE plpgsql AS $body$
    BEGIN
      %s
      RAISE EXCEPTION 'forum-registry: %% is not a kind of reference', target_kind;
    END $body$$f$, exists_branches);
  EXECUTE format($f$
    CREATE OR REPLACE FUNCTION add_reference(target_kind text, owner_name text,
                                             field text, target text)
    RETURNS void LANGUAGE plpgsql AS $body$
    BEGIN
      %s
      RAISE EXCEPTION 'forum-registry: %% is not a kind of reference', target_kind;
    END $body$$f$, add_branches);
  EXECUTE format($f$
    CREATE OR REPLACE FUNCTION forget_references(owner_name text)
    RETURNS void LANGUAGE plpgsql AS $body$
    BEGIN
      %s
    END $body$$f$, forget_statements);
END
$gen$;

SELECT regenerate_reference_functions();

-- As in 0001, with the per-row statements static.
CREATE OR REPLACE FUNCTION sync_references() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  i integer;
  field text;
  target text;
  target_kind text;
BEGIN
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
