-- The change log in commit order.
--
-- Until now each change row drew its `sequence` when the write happened, not
-- when its transaction committed: T1 draws 5, T2 draws 6, T2 commits, a
-- reader that has seen 6 moves past it, T1 commits, and 5 is never read.
-- From here on the row is written at COMMIT: record_change() runs as a
-- deferred constraint trigger, and takes a transaction-scoped advisory lock
-- before it draws the sequence. PostgreSQL releases that lock only after the
-- commit is visible to others, so the next committer draws a higher number
-- only once every lower one can be read: `sequence` is the feed's revision,
-- in commit order, and a reader that follows the highest revision it has
-- seen skips nothing. Writers wait on each other only for that commit step.
-- A rolled-back transaction draws nothing and leaves no row.
--
-- The lock key is "fr-chang" in ASCII (the migrations use "forumreg").
-- `change_time` is now the moment of commit.

CREATE OR REPLACE FUNCTION record_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(7382012644189892199);
  IF TG_OP = 'DELETE' THEN
    INSERT INTO changes (resource, operation, version, body)
      VALUES (OLD.name, 'DELETE', OLD.version, NULL);
    PERFORM pg_notify('forum_registry_changes', OLD.name);
  ELSE
    INSERT INTO changes (resource, operation, version, body)
      VALUES (NEW.name, CASE TG_OP WHEN 'INSERT' THEN 'CREATE' ELSE 'UPDATE' END,
              NEW.version, NEW.body);
    PERFORM pg_notify('forum_registry_changes', NEW.name);
  END IF;
  RETURN NULL;
END
$$;

-- Every trigger that calls record_change() becomes a deferred constraint
-- trigger of the same name, on whatever tables have one.
DO $$
DECLARE
  t record;
BEGIN
  FOR t IN
    SELECT tg.tgname, tg.tgrelid::regclass AS tab
    FROM pg_trigger tg
    WHERE tg.tgfoid = 'record_change()'::regprocedure AND NOT tg.tgisinternal
      AND NOT tg.tgdeferrable
  LOOP
    EXECUTE format('DROP TRIGGER %I ON %s', t.tgname, t.tab);
    EXECUTE format('CREATE CONSTRAINT TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %s '
                   'DEFERRABLE INITIALLY DEFERRED FOR EACH ROW '
                   'EXECUTE FUNCTION record_change()', t.tgname, t.tab);
  END LOOP;
END
$$;

-- A writer finds the revisions its transaction produced by its id.
CREATE INDEX IF NOT EXISTS changes_transaction ON changes (transaction);
