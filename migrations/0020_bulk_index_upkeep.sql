-- The search index's GIN trees are kept without a pending list
-- (fastupdate = off, 0011 and 0018), so that a search never reads a long
-- list of entries not yet merged. Written one row at a time, they took a
-- fifth of an import's time in the database (an import writes a document
-- per record, each with tens of entries). For the transaction of an
-- import, begin_bulk_index_upkeep() lets them collect entries in their
-- pending lists (the importer sets how long the lists may grow); when the
-- transaction commits, a deferred trigger merges every GIN index's list
-- into its tree in bulk (gin_clean_pending_list) and puts the indexes back
-- as they were. Other transactions never see the change: it is undone
-- before it commits, and rolled back with the import.
--
-- ALTER INDEX takes SHARE UPDATE EXCLUSIVE on the index until the import
-- ends: writes and searches go on; a second import waits for the first.
--
-- Every statement here may run again.

CREATE UNLOGGED TABLE IF NOT EXISTS pending_bulk_index_upkeep (
  transaction   xid8 PRIMARY KEY DEFAULT pg_current_xact_id(),
  -- The indexes switched to fastupdate = on, to switch back.
  switched      regclass[] NOT NULL
);

CREATE OR REPLACE FUNCTION begin_bulk_index_upkeep() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  switched regclass[];
  i regclass;
BEGIN
  IF EXISTS (SELECT 1 FROM pending_bulk_index_upkeep
              WHERE transaction = pg_current_xact_id()) THEN
    RETURN;
  END IF;
  SELECT coalesce(array_agg(c.oid::regclass ORDER BY c.relname), '{}')
    INTO switched
    FROM pg_class c
    JOIN pg_am a ON a.oid = c.relam
   WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'i'
     AND a.amname = 'gin' AND 'fastupdate=off' = ANY (c.reloptions);
  FOREACH i IN ARRAY switched LOOP
    EXECUTE format('ALTER INDEX %s SET (fastupdate = on)', i);
  END LOOP;
  INSERT INTO pending_bulk_index_upkeep (switched) VALUES (switched);
END
$$;
REVOKE EXECUTE ON FUNCTION begin_bulk_index_upkeep() FROM PUBLIC;

-- At commit: every GIN index of the schema merged (the record tables'
-- own, fastupdate = on all along, collected the import's entries too),
-- then the switched ones put back.
CREATE OR REPLACE FUNCTION finish_bulk_index_upkeep() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
SET maintenance_work_mem = '64MB' AS $$
DECLARE
  i regclass;
BEGIN
  FOR i IN
    SELECT c.oid::regclass
      FROM pg_class c
      JOIN pg_am a ON a.oid = c.relam
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'i'
       AND a.amname = 'gin'
     ORDER BY c.relname
  LOOP
    PERFORM gin_clean_pending_list(i);
  END LOOP;
  FOREACH i IN ARRAY NEW.switched LOOP
    EXECUTE format('ALTER INDEX %s SET (fastupdate = off)', i);
  END LOOP;
  DELETE FROM pending_bulk_index_upkeep
   WHERE transaction = pg_current_xact_id();
  RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION finish_bulk_index_upkeep() FROM PUBLIC;

DROP TRIGGER IF EXISTS pending_bulk_index_upkeep_finish
  ON pending_bulk_index_upkeep;
CREATE CONSTRAINT TRIGGER pending_bulk_index_upkeep_finish
  AFTER INSERT ON pending_bulk_index_upkeep
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION finish_bulk_index_upkeep();
