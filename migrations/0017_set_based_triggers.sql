-- Issue 29: the change log and the reference sync done set-based, once per
-- statement, instead of once per row (decisions §71).
--
-- Until now each record written ran two row triggers: `<t>_references`
-- (sync_references(), a constraint trigger, immediate unless the transaction
-- defers constraints, as an import does) and `<t>_changes` (record_change(),
-- a constraint trigger deferred to commit so that the change log is written
-- in commit order). An import of 100,000 records spent most of its time in
-- them (docs/benchmarks.md, "Import").
--
-- PostgreSQL gives a statement-level trigger every row the statement wrote
-- (transition tables), but cannot defer such a trigger to commit. So each
-- family is now two parts:
--
--   * `<t>_changes_{insert,update,delete}` and
--     `<t>_references_{insert,update}`: statement-level triggers that stage
--     what the statement wrote, one INSERT ... SELECT per statement, in
--     tables only the owner can write (`pending_changes`,
--     `pending_reference_syncs`), and mark the transaction
--     (`pending_change_flushes`, `pending_reference_checks`);
--   * a constraint trigger on each mark, which does the work for every row
--     staged, set-based: `flush_changes()` at commit (INITIALLY DEFERRED,
--     as record_change() was: changes enter the log in commit order), and
--     `check_pending_references()` at the end of the statement, or at commit
--     when the transaction defers constraints (INITIALLY IMMEDIATE, as
--     sync_references() was).
--
-- What a reader of the log or of the reference tables sees is unchanged:
-- one change per row written, in the order written, with the same columns;
-- the references of each record as its body stands at commit; the same
-- messages, SQLSTATEs and DETAIL ("owner: <name>") for a reference refused.
-- The staging tables are UNLOGGED (they never outlive their transaction),
-- and empty outside one. The serving role may not write them (migrate
-- --serving-role), so no change can be staged that no write made.
--
-- Every statement here may run again and leaves the same state.

CREATE UNLOGGED TABLE IF NOT EXISTS pending_changes (
  transaction   xid8 NOT NULL DEFAULT pg_current_xact_id(),
  ordinal       bigint GENERATED ALWAYS AS IDENTITY,
  resource      text COLLATE "C" NOT NULL,
  operation     text NOT NULL,
  version       bigint NOT NULL,
  body          jsonb,
  body_pb       bytea,
  actor         text,
  created       timestamptz,
  request_id    uuid,
  updated       timestamptz,
  PRIMARY KEY (transaction, ordinal)
);

CREATE UNLOGGED TABLE IF NOT EXISTS pending_change_flushes (
  transaction   xid8 PRIMARY KEY DEFAULT pg_current_xact_id()
);

CREATE UNLOGGED TABLE IF NOT EXISTS pending_reference_syncs (
  transaction   xid8 NOT NULL DEFAULT pg_current_xact_id(),
  table_name    text NOT NULL,
  name          text COLLATE "C" NOT NULL,
  -- Written by an UPDATE: the record may hold references to forget.
  updated       boolean NOT NULL
);
CREATE INDEX IF NOT EXISTS pending_reference_syncs_transaction
  ON pending_reference_syncs (transaction, table_name);

CREATE UNLOGGED TABLE IF NOT EXISTS pending_reference_checks (
  transaction   xid8 PRIMARY KEY DEFAULT pg_current_xact_id()
);

-- The change of every row a statement wrote, staged in the order written.
-- Rows an update only filled the stored bytes of (fill_stored_bytes, 0016)
-- are the record as it was: no change.
CREATE OR REPLACE FUNCTION stage_changes() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  actor text := nullif(current_setting('forum_registry.actor', true), '');
  request uuid :=
    nullif(current_setting('forum_registry.request_id', true), '')::uuid;
  staged bigint;
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO pending_changes (resource, operation, version, body, body_pb,
                                 actor, created, request_id, updated)
    SELECT n.name, 'CREATE', n.version, n.body, n.body_pb, actor,
           n.create_time, request, n.update_time
      FROM new_rows n;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO pending_changes (resource, operation, version, body, actor,
                                 created, request_id)
    SELECT o.name, 'DELETE', o.version, NULL, actor, o.create_time, request
      FROM old_rows o;
  ELSIF EXISTS (SELECT 1 FROM stored_bytes_fills f
                 WHERE f.transaction = pg_current_xact_id()) THEN
    -- Only the owner's fill marks its transaction (0016).
    INSERT INTO pending_changes (resource, operation, version, body, body_pb,
                                 actor, created, request_id, updated)
    SELECT n.name, 'UPDATE', n.version, n.body, n.body_pb, actor,
           n.create_time, request, n.update_time
      FROM (SELECT r.*, row_number() OVER () AS written FROM new_rows r) n
      JOIN old_rows o ON o.name = n.name
     WHERE NOT (o.body_pb IS NULL AND n.body_pb IS NOT NULL
                AND o.body = n.body AND o.version = n.version
                AND o.update_time = n.update_time)
     ORDER BY n.written;
  ELSE
    INSERT INTO pending_changes (resource, operation, version, body, body_pb,
                                 actor, created, request_id, updated)
    SELECT n.name, 'UPDATE', n.version, n.body, n.body_pb, actor,
           n.create_time, request, n.update_time
      FROM new_rows n;
  END IF;
  GET DIAGNOSTICS staged = ROW_COUNT;
  IF staged > 0 THEN
    INSERT INTO pending_change_flushes DEFAULT VALUES ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION stage_changes() FROM PUBLIC;

-- At commit: the staged changes enter the log, under the lock that orders
-- the log by commit (0004), and the listeners are woken once.
CREATE OR REPLACE FUNCTION flush_changes() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(7382012644189892199);
  INSERT INTO changes (resource, operation, version, body, body_pb, actor,
                       created, request_id, updated)
  SELECT p.resource, p.operation, p.version, p.body, p.body_pb, p.actor,
         p.created, p.request_id, p.updated
    FROM pending_changes p
   WHERE p.transaction = pg_current_xact_id()
   ORDER BY p.ordinal;
  DELETE FROM pending_changes WHERE transaction = pg_current_xact_id();
  DELETE FROM pending_change_flushes WHERE transaction = pg_current_xact_id();
  PERFORM pg_notify('forum_registry_changes', '');
  RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION flush_changes() FROM PUBLIC;

DROP TRIGGER IF EXISTS pending_change_flushes_flush ON pending_change_flushes;
CREATE CONSTRAINT TRIGGER pending_change_flushes_flush
  AFTER INSERT ON pending_change_flushes
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION flush_changes();

-- The records a statement created, or changed the body of, staged for the
-- check of their references.
CREATE OR REPLACE FUNCTION stage_references() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  staged bigint;
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO pending_reference_syncs (table_name, name, updated)
    SELECT TG_TABLE_NAME, n.name, false FROM new_rows n;
  ELSE
    INSERT INTO pending_reference_syncs (table_name, name, updated)
    SELECT TG_TABLE_NAME, n.name, true FROM new_rows n
     WHERE NOT EXISTS (SELECT 1 FROM old_rows o
                        WHERE o.name = n.name AND o.body = n.body);
  END IF;
  GET DIAGNOSTICS staged = ROW_COUNT;
  IF staged > 0 THEN
    -- Its constraint trigger runs at the end of this INSERT, or at commit
    -- when constraints are deferred (then the mark is already there).
    INSERT INTO pending_reference_checks DEFAULT VALUES ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION stage_references() FROM PUBLIC;

-- The record tables: those the change log follows (0016 gave each of them
-- `<t>_body_pb`). Their row triggers become statement triggers; the
-- arguments of the reference trigger (the record's label for messages,
-- then pairs of field and JSON path) move with it.
DO $$
DECLARE
  t record;
  event text;
  arguments text;
BEGIN
  FOR t IN
    SELECT c.relname::text AS tab FROM pg_trigger g
      JOIN pg_class c ON c.oid = g.tgrelid
     WHERE g.tgname = c.relname || '_body_pb' AND NOT g.tgisinternal
     ORDER BY c.relname
  LOOP
    FOREACH event IN ARRAY ARRAY['insert', 'update', 'delete'] LOOP
      EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I',
                     t.tab || '_changes_' || event, t.tab);
      EXECUTE format(
        'CREATE TRIGGER %I AFTER %s ON %I REFERENCING %s TABLE AS %I '
        'FOR EACH STATEMENT EXECUTE FUNCTION stage_changes()',
        t.tab || '_changes_' || event, upper(event), t.tab,
        CASE event WHEN 'delete' THEN 'OLD' WHEN 'insert' THEN 'NEW'
                   ELSE 'OLD TABLE AS old_rows NEW' END,
        CASE event WHEN 'delete' THEN 'old_rows' ELSE 'new_rows' END);
    END LOOP;
    EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', t.tab || '_changes',
                   t.tab);

    -- The arguments: of the row trigger on a first run, of the statement
    -- trigger on a second.
    SELECT string_agg(quote_literal(a), ', ' ORDER BY i) INTO arguments
      FROM (SELECT g.tgargs FROM pg_trigger g
             WHERE g.tgrelid = t.tab::regclass
               AND g.tgname IN (t.tab || '_references',
                                t.tab || '_references_insert')
             ORDER BY g.tgname = t.tab || '_references' DESC LIMIT 1) g,
           unnest(array_remove(string_to_array(encode(g.tgargs, 'escape'),
                                               '\000'), '')) WITH ORDINALITY
             AS x(a, i);
    IF arguments IS NOT NULL THEN
      EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I',
                     t.tab || '_references_insert', t.tab);
      EXECUTE format(
        'CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows '
        'FOR EACH STATEMENT EXECUTE FUNCTION stage_references(%s)',
        t.tab || '_references_insert', t.tab, arguments);
      EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I',
                     t.tab || '_references_update', t.tab);
      EXECUTE format(
        'CREATE TRIGGER %I AFTER UPDATE ON %I '
        'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
        'FOR EACH STATEMENT EXECUTE FUNCTION stage_references(%s)',
        t.tab || '_references_update', t.tab, arguments);
      EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I',
                     t.tab || '_references', t.tab);
    END IF;
  END LOOP;
END
$$;

-- (Re)writes check_pending_references() from the catalog: static SQL for
-- each table with a stage_references() trigger (its arguments tell the
-- fields and paths) and each kind of reference_kinds, chosen by IF, so that
-- every statement is planned once per connection and a check runs only the
-- statements of the tables and kinds it has rows of (one record written by
-- the API: about ten). The names and references found are held in arrays,
-- not tables: each statement reads the tables by their indexes, one entry
-- per name, whatever the statistics of the staging table say. A later
-- migration that adds a record table or a kind calls it again.
CREATE OR REPLACE FUNCTION regenerate_reference_check() RETURNS void
LANGUAGE plpgsql AS $gen$
DECLARE
  t record;
  k record;
  forget text := '';
  find text := '';
  check_kinds text := '';
  paths text;
BEGIN
  -- An updated record's references are found again from its body.
  FOR k IN SELECT kind, table_name FROM reference_kinds ORDER BY kind LOOP
    forget := forget || format($b$
          DELETE FROM %1$I r WHERE r.owner = ANY (updated);$b$,
      k.kind || '_references');
    check_kinds := check_kinds || format($b$
          ELSIF kind = %1$L THEN
            SELECT p.owner, p.field, p.target INTO bad
              FROM unnest(owners, fields, targets, kinds)
                     AS p(owner, field, target, kind)
             WHERE p.kind = %1$L
               AND NOT EXISTS (SELECT 1 FROM %2$I x WHERE x.name = p.target)
             ORDER BY p.owner, p.field, p.target LIMIT 1;
            IF FOUND THEN
              RAISE EXCEPTION 'forum-registry: %%.%%: %% does not exist',
                label, bad.field, bad.target
                USING ERRCODE = 'foreign_key_violation',
                      DETAIL = 'owner: ' || bad.owner;
            END IF;
            INSERT INTO %3$I
            SELECT DISTINCT p.owner, p.field, p.target
              FROM unnest(owners, fields, targets, kinds)
                     AS p(owner, field, target, kind)
             WHERE p.kind = %1$L
            ON CONFLICT DO NOTHING;$b$, k.kind, k.table_name,
      k.kind || '_references');
  END LOOP;
  FOR t IN
    SELECT c.relname::text AS tab,
           array_remove(string_to_array(encode(g.tgargs, 'escape'), '\000'),
                        '') AS args
      FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
     WHERE g.tgfoid = 'stage_references()'::regprocedure
       AND g.tgname = c.relname || '_references_insert'
     ORDER BY c.relname
  LOOP
    SELECT string_agg(format('(%L, %L::jsonpath)', t.args[i], t.args[i + 1]),
                      ', ' ORDER BY i)
      INTO paths
      FROM generate_series(2, array_length(t.args, 1) - 1, 2) AS i;
    -- Only the record as it stands now: one changed again or deleted since
    -- it was staged has its last body read, or none.
    find := find || format($b$
        ELSIF tab = %1$L THEN
          label := %3$L;
          SELECT array_agg(r.name), array_agg(f.field), array_agg(v.target),
                 array_agg((SELECT k.kind FROM reference_kinds k
                             WHERE v.target ~ k.name_pattern
                             ORDER BY k.kind LIMIT 1))
            INTO owners, fields, targets, kinds
            FROM unnest(names) AS p(name)
            JOIN %1$I r ON r.name = p.name
           CROSS JOIN LATERAL (VALUES %2$s) AS f(field, path)
           CROSS JOIN LATERAL (
             SELECT DISTINCT x #>> '{}' AS target
               FROM jsonb_path_query(r.body, f.path) AS x
              WHERE jsonb_typeof(x) = 'string' AND x #>> '{}' <> '') AS v;$b$,
      t.tab, paths, t.args[1]);
  END LOOP;

  EXECUTE format($f$
    CREATE OR REPLACE FUNCTION check_pending_references() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
    -- Planned once per connection: a plan made for the arrays of one call
    -- (one record, say) would be cheaper than the generic one, so
    -- PostgreSQL would otherwise plan every statement on every call.
    SET plan_cache_mode = force_generic_plan AS $body$
    DECLARE
      me xid8 := pg_current_xact_id();
      tab text;
      names text[];
      updated text[];
      owners text[];
      fields text[];
      targets text[];
      kinds text[];
      kind text;
      label text;
      bad record;
    BEGIN
      FOR tab IN SELECT DISTINCT p.table_name FROM pending_reference_syncs p
                  WHERE p.transaction = me LOOP
        SELECT array_agg(DISTINCT p.name),
               array_agg(DISTINCT p.name) FILTER (WHERE p.updated)
          INTO names, updated
          FROM pending_reference_syncs p
         WHERE p.transaction = me AND p.table_name = tab;
        IF updated IS NOT NULL THEN%s
        END IF;
        IF false THEN NULL;%s
        ELSE
          RAISE EXCEPTION 'forum-registry: %% is not a table of records', tab;
        END IF;
        FOR kind IN SELECT DISTINCT x FROM unnest(kinds) AS x LOOP
          IF kind IS NULL THEN
            SELECT p.owner, p.field, p.target INTO bad
              FROM unnest(owners, fields, targets, kinds)
                     AS p(owner, field, target, kind)
             WHERE p.kind IS NULL
             ORDER BY p.owner, p.field, p.target LIMIT 1;
            RAISE EXCEPTION 'forum-registry: %%.%%: %% is not the name of a record that can be referred to',
              label, bad.field, bad.target
              USING ERRCODE = 'invalid_parameter_value',
                    DETAIL = 'owner: ' || bad.owner;%s
          END IF;
        END LOOP;
      END LOOP;
      DELETE FROM pending_reference_syncs WHERE transaction = me;
      DELETE FROM pending_reference_checks WHERE transaction = me;
      RETURN NULL;
    END $body$$f$, forget, find, check_kinds);
  REVOKE EXECUTE ON FUNCTION check_pending_references() FROM PUBLIC;
END
$gen$;

SELECT regenerate_reference_check();

DROP TRIGGER IF EXISTS pending_reference_checks_check ON pending_reference_checks;
CREATE CONSTRAINT TRIGGER pending_reference_checks_check
  AFTER INSERT ON pending_reference_checks
  DEFERRABLE INITIALLY IMMEDIATE
  FOR EACH ROW EXECUTE FUNCTION check_pending_references();
