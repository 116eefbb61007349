-- Issue 12: what a hostile or unlucky client must not get past.
--
-- 1. Etags unique per incarnation of a record. A record deleted and created
--    again restarts at version 1, so an etag of its version alone ("v1")
--    would match a stale copy of the record that was deleted. The etag also
--    names the incarnation by its create_time (domain::FormatEtag); the
--    change log keeps each change's create_time (`created`) so the etags it
--    serves are the same. NULL for changes before this migration.
--
-- 2. The key that signs page tokens, shared by every replica through the
--    database (an operator may mount one instead: --page-token-key-file).
--    Two random UUIDs: 244 random bits from PostgreSQL's strong source.
--
-- 3. Forum re-parentings one at a time. Each checks for a cycle by walking
--    up from its new parent, but two at once (A under B, B under A) each
--    walk the tree as it was and both pass. A transaction-level advisory
--    lock makes the second wait for the first to commit; its walk (a new
--    snapshot per statement under READ COMMITTED) then sees the first and
--    refuses the cycle. Only writes that change a forum's parent take it.

ALTER TABLE changes ADD COLUMN IF NOT EXISTS created timestamptz;

CREATE OR REPLACE FUNCTION record_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  actor text := nullif(current_setting('forum_registry.actor', true), '');
BEGIN
  PERFORM pg_advisory_xact_lock(7382012644189892199);
  IF TG_OP = 'DELETE' THEN
    INSERT INTO changes (resource, operation, version, body, actor, created)
      VALUES (OLD.name, 'DELETE', OLD.version, NULL, actor, OLD.create_time);
    PERFORM pg_notify('forum_registry_changes', OLD.name);
  ELSE
    INSERT INTO changes (resource, operation, version, body, actor, created)
      VALUES (NEW.name, CASE TG_OP WHEN 'INSERT' THEN 'CREATE' ELSE 'UPDATE' END,
              NEW.version, NEW.body, actor, NEW.create_time);
    PERFORM pg_notify('forum_registry_changes', NEW.name);
  END IF;
  RETURN NULL;
END
$$;

CREATE TABLE IF NOT EXISTS server_keys (
  name text PRIMARY KEY,
  key  bytea NOT NULL CHECK (octet_length(key) >= 16)
);
INSERT INTO server_keys (name, key)
  VALUES ('page_token',
          decode(replace(gen_random_uuid()::text || gen_random_uuid()::text,
                         '-', ''), 'hex'))
  ON CONFLICT (name) DO NOTHING;

CREATE OR REPLACE FUNCTION forums_check_parent_cycle() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  new_parent text COLLATE "C" := NEW.body->>'parent';
  ancestor text COLLATE "C" := new_parent;
  depth integer := 0;
BEGIN
  IF TG_OP = 'UPDATE' AND new_parent IS NOT NULL
     AND new_parent IS DISTINCT FROM OLD.body->>'parent' THEN
    -- "fr-tree" in ASCII: one re-parenting at a time.
    PERFORM pg_advisory_xact_lock(28835987177235813);
  END IF;
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
