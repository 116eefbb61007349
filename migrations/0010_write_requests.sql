-- Issue 13: writes that survive faults and retries.
--
-- 1. Request ids (AIP-155). A Create, Update or Delete that carries a
--    `request_id` claims it in `write_requests` as the first statement of its
--    transaction, and stores its answer there before COMMIT: the claim and
--    the write commit together or not at all. A retry with the same id finds
--    the row and gets the stored answer without writing again; one sent
--    while the first is still running waits on the row's key and then finds
--    it. `fingerprint` (SHA-256 of the method, the caller and the request
--    without its id) tells a retry from a different request that reuses the
--    id. `transaction` finds the revision the write produced in `changes`.
--    Rows older than --request-id-retention are purged (server/purger).
--
-- 2. Each change row names the request that made it (NULL for writes
--    without an id, imports and the seed), so a client can recognise its
--    own write in the feed, and a test can count the rows one request made.
--
-- 3. What imports last wrote, by record name (`forum-registry import`): a
--    seed run with --keep-edits updates a record only while it still holds
--    what the import wrote, and leaves records an editor changed or deleted
--    since alone (decisions §41).

CREATE TABLE IF NOT EXISTS write_requests (
  request_id  uuid PRIMARY KEY,
  fingerprint bytea NOT NULL CHECK (octet_length(fingerprint) = 32),
  method      text NOT NULL,
  resource    text COLLATE "C" NOT NULL,
  response    bytea,
  transaction xid8 NOT NULL DEFAULT pg_current_xact_id(),
  create_time timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS write_requests_create_time
  ON write_requests (create_time);

ALTER TABLE changes ADD COLUMN IF NOT EXISTS request_id uuid;
CREATE INDEX IF NOT EXISTS changes_request_id ON changes (request_id)
  WHERE request_id IS NOT NULL;

CREATE OR REPLACE FUNCTION record_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  actor text := nullif(current_setting('forum_registry.actor', true), '');
  request uuid :=
    nullif(current_setting('forum_registry.request_id', true), '')::uuid;
BEGIN
  PERFORM pg_advisory_xact_lock(7382012644189892199);
  IF TG_OP = 'DELETE' THEN
    INSERT INTO changes (resource, operation, version, body, actor, created,
                         request_id)
      VALUES (OLD.name, 'DELETE', OLD.version, NULL, actor, OLD.create_time,
              request);
    PERFORM pg_notify('forum_registry_changes', OLD.name);
  ELSE
    INSERT INTO changes (resource, operation, version, body, actor, created,
                         request_id)
      VALUES (NEW.name, CASE TG_OP WHEN 'INSERT' THEN 'CREATE' ELSE 'UPDATE' END,
              NEW.version, NEW.body, actor, NEW.create_time, request);
    PERFORM pg_notify('forum_registry_changes', NEW.name);
  END IF;
  RETURN NULL;
END
$$;

CREATE TABLE IF NOT EXISTS imported_records (
  name        text COLLATE "C" PRIMARY KEY,
  body        jsonb NOT NULL,
  import_time timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- What imports wrote before this migration, from the change log: for each
-- record, the latest change without an actor (imports and the seed write
-- without one; API writes have had one since migration 0007). A record an
-- editor changed or deleted since is thereby remembered as imported with
-- the body the import wrote, so the first run with --keep-edits sees the
-- edit and leaves it. A record whose latest import-made change is a delete
-- (an import's --prune) is not remembered.
INSERT INTO imported_records (name, body)
SELECT imported.resource, imported.body
  FROM (SELECT DISTINCT ON (resource) resource, body
          FROM changes WHERE actor IS NULL
         ORDER BY resource, sequence DESC) imported
 WHERE imported.body IS NOT NULL
ON CONFLICT (name) DO NOTHING;
