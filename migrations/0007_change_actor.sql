-- Who made each change (issue 11's audit): the caller the server
-- authenticated, which each write transaction states with
--   SELECT set_config('forum_registry.actor', '<caller>', true)
-- before writing; record_change() copies it into the change row at commit.
-- NULL for changes made without it (imports, SQL by hand, and every change
-- before this migration).

ALTER TABLE changes ADD COLUMN IF NOT EXISTS actor text;

CREATE OR REPLACE FUNCTION record_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  actor text := nullif(current_setting('forum_registry.actor', true), '');
BEGIN
  PERFORM pg_advisory_xact_lock(7382012644189892199);
  IF TG_OP = 'DELETE' THEN
    INSERT INTO changes (resource, operation, version, body, actor)
      VALUES (OLD.name, 'DELETE', OLD.version, NULL, actor);
    PERFORM pg_notify('forum_registry_changes', OLD.name);
  ELSE
    INSERT INTO changes (resource, operation, version, body, actor)
      VALUES (NEW.name, CASE TG_OP WHEN 'INSERT' THEN 'CREATE' ELSE 'UPDATE' END,
              NEW.version, NEW.body, actor);
    PERFORM pg_notify('forum_registry_changes', NEW.name);
  END IF;
  RETURN NULL;
END
$$;
