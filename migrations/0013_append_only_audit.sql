-- Issue 25: an audit log the serving role cannot rewrite, and purges in
-- bounded batches.
--
-- `migrate --serving-role` (store/migrator.cc) leaves the serving role no
-- UPDATE, DELETE or TRUNCATE on `changes`, `write_requests` and
-- `server_keys`, and no INSERT on `changes`. What the server needs besides
-- reading and inserting goes through the functions below: SECURITY DEFINER
-- (they run as the migrating role, their owner), with search_path pinned
-- (pg_temp last, where the serving role may create tables), EXECUTE revoked
-- from PUBLIC and granted to the serving role by `migrate --serving-role`
-- alone. Each does one narrow thing:
--
--   record_change()          (the trigger, 0010) appends one change per
--                            write; the only way a row enters `changes`
--   answer_write_request()   stores a write's answer in the request row its
--                            own transaction claimed, once
--   purge_changes()          deletes one batch of changes older than a
--                            retention, never the newest, never younger
--                            than retention_floor.changes
--   purge_write_requests()   the same for stored request ids
--
-- retention_floor: the shortest retention a purge may ask for. Leaked
-- serving credentials can purge nothing younger; the migrating role sets it
-- (docs/operations.md, "Retention"). The defaults are the shortest that
-- tests and development use.
--
-- changes_change_time: a purge batch reads the oldest changes by this
-- index and stops after the batch, so a batch costs the same with a
-- million changes kept as with ten (and nothing when none is old).
--
-- Every statement here may run again (a migration interrupted, a database
-- restored) and leaves the same state.

CREATE TABLE IF NOT EXISTS retention_floor (
  one             boolean PRIMARY KEY DEFAULT true CHECK (one),
  changes         interval NOT NULL DEFAULT interval '1 hour'
                  CHECK (changes >= interval '0'),
  write_requests  interval NOT NULL DEFAULT interval '1 minute'
                  CHECK (write_requests >= interval '0')
);
INSERT INTO retention_floor DEFAULT VALUES ON CONFLICT (one) DO NOTHING;

CREATE INDEX IF NOT EXISTS changes_change_time ON changes (change_time);

-- The trigger writes the change log as its owner: the serving role has no
-- INSERT on `changes`, so it cannot add a change no write made (nor one
-- with a time, transaction or revision of its choosing).
ALTER FUNCTION record_change() SECURITY DEFINER;
ALTER FUNCTION record_change() SET search_path = pg_catalog, public, pg_temp;
REVOKE EXECUTE ON FUNCTION record_change() FROM PUBLIC;

-- The answer of the write whose request id this transaction claimed
-- (store/resource_store.cc), stored once: the row must have been inserted
-- by the calling transaction and hold no answer yet.
CREATE OR REPLACE FUNCTION answer_write_request(id uuid, answer bytea)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  IF id IS NULL OR answer IS NULL THEN
    RAISE EXCEPTION 'forum-registry: a request id and its answer are both required'
      USING ERRCODE = 'null_value_not_allowed';
  END IF;
  UPDATE write_requests SET response = answer
   WHERE request_id = id AND transaction = pg_current_xact_id()
     AND response IS NULL;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'forum-registry: request_id: % was not claimed by this transaction, or is answered already', id
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
END
$$;

-- One batch of the change log's retention: up to `batch_size` (1 to
-- 100,000) of the oldest changes committed more than `keep` ago, never the
-- newest (it holds the current revision), and never with `keep` shorter
-- than retention_floor.changes. The number deleted.
CREATE OR REPLACE FUNCTION purge_changes(keep interval, batch_size integer)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  floor_ interval := (SELECT f.changes FROM retention_floor f);
  newest bigint := (SELECT max(c.sequence) FROM changes c);
  now_ timestamptz := clock_timestamp();
  -- A value, not clock_timestamp() in the query: the index takes a bound
  -- it can compare with before the scan, never a volatile call.
  cutoff timestamptz := now_ - keep;
  deleted bigint;
BEGIN
  IF batch_size IS NULL OR batch_size < 1 OR batch_size > 100000 THEN
    RAISE EXCEPTION 'forum-registry: --change-purge-batch: % is not between 1 and 100000', batch_size
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- Times compared, not intervals: an interval compares a month as 30
  -- days but subtracts it as a calendar month, so '-1200 mons +36030 days'
  -- compares as 30 days yet puts the cutoff a year and more in the future.
  -- No floor row: nothing is purged.
  IF keep IS NULL OR floor_ IS NULL OR cutoff > now_ - floor_ THEN
    RAISE EXCEPTION 'forum-registry: --change-retention: % is shorter than this database allows (retention_floor.changes, %)', keep, floor_
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- The batch's keys as an array: each row is then found by its key
  -- (changes_pkey), never by a join the planner might make a scan of the
  -- whole log.
  DELETE FROM changes c
   WHERE c.sequence = ANY (ARRAY(
     SELECT o.sequence FROM changes o
      WHERE o.change_time < cutoff AND o.sequence < newest
      ORDER BY o.change_time LIMIT batch_size));
  GET DIAGNOSTICS deleted = ROW_COUNT;
  RETURN deleted;
END
$$;

-- The same for the request ids stored with writes (0010).
CREATE OR REPLACE FUNCTION purge_write_requests(keep interval,
                                                batch_size integer)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  floor_ interval := (SELECT f.write_requests FROM retention_floor f);
  now_ timestamptz := clock_timestamp();
  cutoff timestamptz := now_ - keep;
  deleted bigint;
BEGIN
  IF batch_size IS NULL OR batch_size < 1 OR batch_size > 100000 THEN
    RAISE EXCEPTION 'forum-registry: --change-purge-batch: % is not between 1 and 100000', batch_size
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- Times compared, not intervals (see purge_changes).
  IF keep IS NULL OR floor_ IS NULL OR cutoff > now_ - floor_ THEN
    RAISE EXCEPTION 'forum-registry: --request-id-retention: % is shorter than this database allows (retention_floor.write_requests, %)', keep, floor_
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  DELETE FROM write_requests w
   WHERE w.request_id = ANY (ARRAY(
     SELECT o.request_id FROM write_requests o
      WHERE o.create_time < cutoff
      ORDER BY o.create_time LIMIT batch_size));
  GET DIAGNOSTICS deleted = ROW_COUNT;
  RETURN deleted;
END
$$;

REVOKE EXECUTE ON FUNCTION answer_write_request(uuid, bytea) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION purge_changes(interval, integer) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION purge_write_requests(interval, integer)
  FROM PUBLIC;
