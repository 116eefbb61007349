-- The values of an enum are the proto's to define: drop the lists of them
-- that 0001 and 0002 wrote into CHECK constraints, so that a value added to
-- a proto enum needs no migration and the database never refuses a value the
-- API accepts. The service and `import` check every enum field against the
-- descriptors before writing (src/domain/resource_rules.cc, CheckEnum); the
-- columns stay NOT NULL where a value is required. tests/integration/
-- schema_test.cc fails if a CHECK constraint ever lists enum values again.
--
-- The constraints carry PostgreSQL's default names for column constraints,
-- <table>_<column>_check. IF EXISTS keeps this safe to run twice.
ALTER TABLE participants DROP CONSTRAINT IF EXISTS participants_kind_check;
ALTER TABLE forums DROP CONSTRAINT IF EXISTS forums_kind_check;
ALTER TABLE forums DROP CONSTRAINT IF EXISTS forums_status_check;
ALTER TABLE memberships DROP CONSTRAINT IF EXISTS memberships_role_check;
ALTER TABLE action_plans DROP CONSTRAINT IF EXISTS action_plans_status_check;
ALTER TABLE statements DROP CONSTRAINT IF EXISTS statements_kind_check;
ALTER TABLE statements DROP CONSTRAINT IF EXISTS statements_status_check;
