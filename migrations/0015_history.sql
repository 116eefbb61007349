-- Issue 27: the change log as the registry's history.
--
-- Get and List read records as they stood right after any revision the log
-- covers (store/resource_store.cc): a record's state at revision N is its
-- latest change at or before N, absent if that change is a delete. For that
-- to hold, retention may no longer delete the oldest changes whatever they
-- are (a record created long ago and never changed since would vanish from
-- every past revision). It now compacts instead, as Kafka compacts a topic:
--
--   change_horizon.revision  every change after it is kept; of those at or
--                            before it, only each record's latest, and none
--                            of a record whose latest is a delete. Reads at
--                            a revision at or after the horizon are exact;
--                            older ones are refused (OUT_OF_RANGE). A
--                            follower of the log that resumes after a
--                            revision below it may have missed changes.
--                            It never falls inside a transaction: a forced
--                            delete's changes are compacted together.
--   change_horizon.history_from  the first revision reads are exact at
--                            besides (see below); 0 for a log kept whole.
--   purge_changes()          moves the horizon over up to `batch_size` of
--                            the changes older than the retention (never
--                            the newest, and whole transactions) and
--                            deletes what the horizon no longer needs; the
--                            number of changes it moved over (fewer than
--                            `batch_size`: none older is left).
--
-- `updated`: the record's update_time at each change, so a record read from
-- the log (a past revision, the change feed) is the record a Get returned
-- then, to the microsecond. NULL for changes logged before this migration
-- (their change_time stands in).
--
-- A database whose log an earlier version purged (min(sequence) > 1: the
-- oldest changes were deleted whatever they were) has records whose last
-- write is no longer in the log. Each such record gets one change now, an
-- UPDATE carrying it as it stands (its version, body and times, no actor),
-- and reads at a revision are exact from the newest revision after that
-- (history_from); the feed stays whole from its oldest kept change, as
-- before.
--
-- Every statement here may run again and leaves the same state.

CREATE TABLE IF NOT EXISTS change_horizon (
  one           boolean PRIMARY KEY DEFAULT true CHECK (one),
  revision      bigint NOT NULL DEFAULT 0 CHECK (revision >= 0),
  history_from  bigint NOT NULL DEFAULT 0 CHECK (history_from >= 0)
);

ALTER TABLE changes ADD COLUMN IF NOT EXISTS updated timestamptz;

DO $$
DECLARE
  kind text;
BEGIN
  IF EXISTS (SELECT 1 FROM change_horizon) THEN
    RETURN;  -- run before
  END IF;
  IF coalesce((SELECT min(sequence) FROM changes), 1) > 1 THEN
    -- In commit order with every write (record_change's lock).
    PERFORM pg_advisory_xact_lock(7382012644189892199);
    FOREACH kind IN ARRAY ARRAY['participants', 'forums', 'sources',
        'memberships', 'sessions', 'chairmanships', 'action_plans',
        'statements'] LOOP
      EXECUTE format(
        'INSERT INTO changes (resource, operation, version, body, created, '
        '                     updated) '
        'SELECT t.name, %L, t.version, t.body, t.create_time, t.update_time '
        '  FROM %I t '
        ' WHERE NOT EXISTS (SELECT 1 FROM (SELECT c.operation, c.version '
        '         FROM changes c WHERE c.resource = t.name '
        '        ORDER BY c.sequence DESC LIMIT 1) l '
        '       WHERE l.operation <> %L AND l.version = t.version) '
        ' ORDER BY t.name', 'UPDATE', kind, 'DELETE');
    END LOOP;
    INSERT INTO change_horizon (history_from)
      SELECT max(sequence) FROM changes;
  ELSE
    INSERT INTO change_horizon DEFAULT VALUES;
  END IF;
END
$$;

CREATE OR REPLACE FUNCTION record_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
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
                         request_id, updated)
      VALUES (NEW.name, CASE TG_OP WHEN 'INSERT' THEN 'CREATE' ELSE 'UPDATE' END,
              NEW.version, NEW.body, actor, NEW.create_time, request,
              NEW.update_time);
    PERFORM pg_notify('forum_registry_changes', NEW.name);
  END IF;
  RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION record_change() FROM PUBLIC;

CREATE OR REPLACE FUNCTION purge_changes(keep interval, batch_size integer)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  floor_ interval := (SELECT f.changes FROM retention_floor f);
  now_ timestamptz := clock_timestamp();
  -- A value, not clock_timestamp() in the query (see 0013).
  cutoff timestamptz := now_ - keep;
  horizon bigint;
  newest bigint;
  passed bigint[];
  boundary xid8;
  boundary_end bigint;
BEGIN
  IF batch_size IS NULL OR batch_size < 1 OR batch_size > 100000 THEN
    RAISE EXCEPTION 'forum-registry: --change-purge-batch: % is not between 1 and 100000', batch_size
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- Times compared, not intervals (see 0013).
  IF keep IS NULL OR floor_ IS NULL OR cutoff > now_ - floor_ THEN
    RAISE EXCEPTION 'forum-registry: --change-retention: % is shorter than this database allows (retention_floor.changes, %)', keep, floor_
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- One purge at a time moves the horizon.
  SELECT h.revision INTO horizon FROM change_horizon h FOR UPDATE;
  IF horizon IS NULL THEN
    RETURN 0;
  END IF;
  newest := (SELECT max(c.sequence) FROM changes c);
  -- The next changes after the horizon, by key, and of those the run that
  -- is older than the cutoff: a batch reads `batch_size` rows at most,
  -- however long the log.
  passed := ARRAY(
    SELECT b.sequence FROM (
      SELECT o.sequence,
             bool_and(o.change_time < cutoff) OVER (ORDER BY o.sequence) AS old
        FROM (SELECT c.sequence, c.change_time FROM changes c
               WHERE c.sequence > horizon AND c.sequence < newest
               ORDER BY c.sequence LIMIT batch_size) o) b
     WHERE b.old ORDER BY b.sequence);
  IF cardinality(passed) = 0 THEN
    RETURN 0;
  END IF;
  -- Whole transactions only: a batch that ends inside one (a forced delete,
  -- an import) ends before it instead, and one transaction longer than a
  -- batch is passed whole, once it is old and not the newest's.
  boundary := (SELECT c.transaction FROM changes c
                WHERE c.sequence = passed[cardinality(passed)]);
  boundary_end := (SELECT max(c.sequence) FROM changes c
                    WHERE c.transaction = boundary);
  IF boundary_end > passed[cardinality(passed)] THEN
    passed := ARRAY(
      SELECT p FROM unnest(passed) p
       WHERE p < (SELECT min(c.sequence) FROM changes c
                   WHERE c.transaction = boundary)
       ORDER BY p);
    IF cardinality(passed) = 0 THEN
      IF boundary_end >= newest OR (SELECT max(c.change_time) FROM changes c
                                     WHERE c.transaction = boundary) >= cutoff
      THEN
        RETURN 0;
      END IF;
      passed := ARRAY(SELECT c.sequence FROM changes c
                       WHERE c.transaction = boundary AND c.sequence > horizon
                       ORDER BY c.sequence);
    END IF;
  END IF;
  -- For each record changed in the batch, what its latest change up to the
  -- new horizon makes redundant: every earlier change, and that change too
  -- when it is a delete. Each found by changes_resource: OFFSET 0 keeps the
  -- lateral subquery a probe per record (pulled up into a join, the
  -- planner may hash the whole log).
  DELETE FROM changes c
   WHERE c.sequence = ANY (ARRAY(
     SELECT d.sequence
       FROM (SELECT o.resource, max(o.sequence) AS last
               FROM changes o WHERE o.sequence = ANY (passed)
              GROUP BY o.resource) t
       CROSS JOIN LATERAL (
         SELECT e.sequence FROM changes e
          WHERE e.resource = t.resource AND e.sequence <= t.last
            AND (e.sequence < t.last OR e.operation = 'DELETE')
          OFFSET 0) d));
  UPDATE change_horizon SET revision = passed[cardinality(passed)];
  RETURN cardinality(passed);
END
$$;
REVOKE EXECUTE ON FUNCTION purge_changes(interval, integer) FROM PUBLIC;
