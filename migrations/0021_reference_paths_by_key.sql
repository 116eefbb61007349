-- Issue 29: the reference check runs a record's JSON paths only for the
-- fields it has.
--
-- check_pending_references() (0017) finds the references of each record
-- written in a transaction by running every JSON path of its kind
-- (jsonb_path_query, one call a path and record), though a record holds few
-- of the fields they read: a session has five paths, and most sessions none
-- of their fields but a citation or two. Each path now names the top-level
-- key it starts from, and runs only when the body has that key (`?`, a
-- lookup in the body's sorted keys), as search_passages() does since 0018:
-- a path whose key is absent finds nothing, so the references found are
-- the same. The 40,014 sessions of bench/dataset.sql's 10,000 forums: the
-- paths ran in 226-657 ms, and in 15 ms with the keys looked up first
-- (docs/benchmarks.md).
--
-- The generator is replaced and run again; it rewrites
-- check_pending_references() from the triggers' arguments as before. Every
-- statement here may run again.

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
    -- Each path with the top-level key it starts from ('$.citations[*].source':
    -- citations), or null when it starts otherwise.
    SELECT string_agg(format('(%L, %L, %L::jsonpath)', t.args[i],
                             substring(t.args[i + 1]
                                       FROM '^\$\.([A-Za-z_][A-Za-z0-9_]*)'),
                             t.args[i + 1]),
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
           CROSS JOIN LATERAL (VALUES %2$s) AS f(field, top, path)
           CROSS JOIN LATERAL (
             SELECT DISTINCT x #>> '{}' AS target
               FROM jsonb_path_query(r.body, f.path) AS x
              WHERE jsonb_typeof(x) = 'string' AND x #>> '{}' <> '') AS v
          WHERE f.top IS NULL OR r.body ? f.top;$b$,
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
