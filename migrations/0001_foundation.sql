-- Foundation: participants, forums, references between records, and the
-- change log.
--
-- Every resource table has the same shape: the resource's full name as its key
-- ("forums/arf"), the record itself in `body` (the resource's protobuf JSON with
-- proto field names and without its output-only fields), and a version behind
-- its etag. The columns the database must check, index or order by are
-- GENERATED from `body`, so no writer — the service, an import, a person with
-- psql — can store a body whose columns disagree with it, and every CHECK below
-- holds for every writer.

-- A partial date as the range of days it covers: "2023" is
-- [2023-01-01, 2024-01-01), "June 2023" is [2023-06-01, 2023-07-01).
CREATE FUNCTION partial_date_range(y integer, m integer, d integer)
RETURNS daterange
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE
    WHEN coalesce(y, 0) = 0 THEN NULL
    WHEN coalesce(m, 0) = 0 THEN daterange(make_date(y, 1, 1), make_date(y + 1, 1, 1))
    WHEN coalesce(d, 0) = 0 THEN daterange(make_date(y, m, 1),
                                            (make_date(y, m, 1) + interval '1 month')::date)
    ELSE daterange(make_date(y, m, d), make_date(y, m, d) + 1)
  END
$$;

-- The same for a PartialDate message inside a body.
CREATE FUNCTION partial_date_range(date jsonb)
RETURNS daterange
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT partial_date_range((date->>'year')::integer, (date->>'month')::integer,
                            (date->>'day')::integer)
$$;

CREATE TABLE participants (
  name          text COLLATE "C" PRIMARY KEY
                CHECK (name ~ '^participants/[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
  body          jsonb NOT NULL CHECK (jsonb_typeof(body) = 'object'),
  kind          text GENERATED ALWAYS AS (body->>'kind') STORED NOT NULL
                CHECK (kind IN ('PARTICIPANT_KIND_STATE', 'PARTICIPANT_KIND_ORGANIZATION',
                                'PARTICIPANT_KIND_AGENCY', 'PARTICIPANT_KIND_PERSON')),
  display_name  text GENERATED ALWAYS AS (body->>'display_name') STORED NOT NULL
                CHECK (char_length(display_name) BETWEEN 1 AND 300),
  version       bigint NOT NULL DEFAULT 1 CHECK (version > 0),
  create_time   timestamptz NOT NULL DEFAULT clock_timestamp(),
  update_time   timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE forums (
  name          text COLLATE "C" PRIMARY KEY
                CHECK (name ~ '^forums/[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
  body          jsonb NOT NULL CHECK (jsonb_typeof(body) = 'object'),
  kind          text GENERATED ALWAYS AS (body->>'kind') STORED NOT NULL
                CHECK (kind IN ('FORUM_KIND_ORGANIZATION', 'FORUM_KIND_SUMMIT',
                                'FORUM_KIND_MINISTERIAL', 'FORUM_KIND_DIALOGUE',
                                'FORUM_KIND_MECHANISM', 'FORUM_KIND_PLATFORM',
                                'FORUM_KIND_PROGRAMME', 'FORUM_KIND_BUSINESS_FORUM')),
  display_name  text GENERATED ALWAYS AS (body->>'display_name') STORED NOT NULL
                CHECK (char_length(display_name) BETWEEN 1 AND 300),
  parent        text COLLATE "C" GENERATED ALWAYS AS (body->>'parent') STORED,
  status        text GENERATED ALWAYS AS (body->>'status') STORED
                CHECK (status IN ('FORUM_STATUS_PROPOSED', 'FORUM_STATUS_ACTIVE',
                                  'FORUM_STATUS_DORMANT', 'FORUM_STATUS_DISSOLVED')),
  founded       daterange GENERATED ALWAYS AS (partial_date_range(body->'founded')) STORED,
  dissolved     daterange GENERATED ALWAYS AS (partial_date_range(body->'dissolved')) STORED,
  version       bigint NOT NULL DEFAULT 1 CHECK (version > 0),
  create_time   timestamptz NOT NULL DEFAULT clock_timestamp(),
  update_time   timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT forums_not_own_parent CHECK (parent IS DISTINCT FROM name),
  CONSTRAINT forums_dissolved_after_founded
    CHECK (dissolved IS NULL OR founded IS NULL OR upper(dissolved) >= upper(founded))
);
CREATE INDEX forums_parent ON forums (parent);

-- A forum may not be its own ancestor. BEFORE triggers run before generated
-- columns are computed, so NEW.parent is not usable here: read the body.
CREATE FUNCTION forums_check_parent_cycle() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  new_parent text COLLATE "C" := NEW.body->>'parent';
BEGIN
  IF new_parent IS NOT NULL AND EXISTS (
      WITH RECURSIVE ancestors(name) AS (
        SELECT new_parent
        UNION
        SELECT f.parent FROM forums f JOIN ancestors a ON f.name = a.name
        WHERE f.parent IS NOT NULL)
      SELECT 1 FROM ancestors WHERE name = NEW.name) THEN
    RAISE EXCEPTION 'forum-registry: forum.parent: % is % or one of its descendants, which would make a cycle',
      new_parent, NEW.name
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER forums_parent_cycle BEFORE INSERT OR UPDATE ON forums
  FOR EACH ROW EXECUTE FUNCTION forums_check_parent_cycle();

-- References between records, one row per reference, in one table per kind
-- of target (`participant_references`, `forum_references`, ... — later
-- migrations add kinds), so that a foreign key checks that each target exists
-- and refuses to delete a target still referred to (and, by its share lock on
-- the target, stops a concurrent delete from slipping in between). `owner` is
-- the full name of the referring record, of any kind; `field` is where in its
-- body the reference stands. The rows are kept by sync_references() from the
-- body alone.
--
-- reference_kinds tells, from the shape of a name, which kind of record it
-- names and where that kind lives.
CREATE TABLE reference_kinds (
  kind          text PRIMARY KEY,
  name_pattern  text NOT NULL,
  table_name    text NOT NULL
);
INSERT INTO reference_kinds VALUES
  ('participant', '^participants/[^/]+$', 'participants'),
  ('forum', '^forums/[^/]+$', 'forums');

CREATE TABLE participant_references (
  owner         text COLLATE "C" NOT NULL,
  field         text NOT NULL,
  participant   text COLLATE "C" NOT NULL
                REFERENCES participants (name) DEFERRABLE INITIALLY IMMEDIATE,
  PRIMARY KEY (owner, field, participant)
);
CREATE INDEX participant_references_target
  ON participant_references (participant, owner);

CREATE TABLE forum_references (
  owner         text COLLATE "C" NOT NULL,
  field         text NOT NULL,
  forum         text COLLATE "C" NOT NULL
                REFERENCES forums (name) DEFERRABLE INITIALLY IMMEDIATE,
  PRIMARY KEY (owner, field, forum)
);
CREATE INDEX forum_references_target ON forum_references (forum, owner);

-- Forgets every reference a record made; on delete of the record.
CREATE FUNCTION forget_references(owner_name text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  k record;
BEGIN
  FOR k IN SELECT kind FROM reference_kinds LOOP
    EXECUTE format('DELETE FROM %I WHERE owner = $1', k.kind || '_references')
      USING owner_name;
  END LOOP;
END
$$;

CREATE FUNCTION forget_references_on_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM forget_references(OLD.name);
  RETURN NULL;
END
$$;

-- Constraint trigger function: rebuilds the reference rows of one record from
-- its body. Arguments: the record's singular for messages ("forum"), then
-- pairs of (field, JSON path), e.g. 'initiated_by', '$.initiated_by[*]'. The
-- kind of each target comes from its name (reference_kinds).
--
-- It runs as a DEFERRABLE constraint trigger: immediately after each row
-- normally, at commit when a transaction (an import) defers constraints, so
-- that records may refer to each other in any order within it. A reference to
-- a record that does not exist is refused with a message that names the
-- field and the missing record; DETAIL names the referring record.
CREATE FUNCTION sync_references() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  i integer;
  field text;
  target text;
  target_kind text;
  target_table text;
  found boolean;
  current_version bigint;
BEGIN
  -- Deferred, this may run after the row changed again or went away: only
  -- the row's latest version is synced.
  EXECUTE format('SELECT version FROM %I WHERE name = $1', TG_TABLE_NAME)
    INTO current_version USING NEW.name;
  IF current_version IS DISTINCT FROM NEW.version THEN
    RETURN NULL;
  END IF;
  PERFORM forget_references(NEW.name);
  i := 1;
  WHILE i + 1 <= TG_NARGS LOOP
    field := TG_ARGV[i];
    FOR target IN
      SELECT DISTINCT v #>> '{}'
      FROM jsonb_path_query(NEW.body, TG_ARGV[i + 1]::jsonpath) AS v
      WHERE jsonb_typeof(v) = 'string' AND v #>> '{}' <> ''
    LOOP
      SELECT kind, table_name INTO target_kind, target_table
        FROM reference_kinds WHERE target ~ name_pattern;
      IF target_kind IS NULL THEN
        RAISE EXCEPTION 'forum-registry: %.%: % is not the name of a record that can be referred to',
          TG_ARGV[0], field, target
          USING ERRCODE = 'invalid_parameter_value',
                DETAIL = 'owner: ' || NEW.name;
      END IF;
      EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE name = $1)', target_table)
        INTO found USING target;
      IF NOT found THEN
        RAISE EXCEPTION 'forum-registry: %.%: % does not exist', TG_ARGV[0], field, target
          USING ERRCODE = 'foreign_key_violation',
                DETAIL = 'owner: ' || NEW.name;
      END IF;
      EXECUTE format('INSERT INTO %I VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
                     target_kind || '_references')
        USING NEW.name, field, target;
    END LOOP;
    i := i + 2;
  END LOOP;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER participants_references AFTER INSERT OR UPDATE ON participants
  DEFERRABLE INITIALLY IMMEDIATE
  FOR EACH ROW EXECUTE FUNCTION sync_references(
    'participant',
    'affiliation', '$.affiliation',
    'roles.of', '$.roles[*].of',
    'citations.source', '$.citations[*].source');
CREATE TRIGGER participants_forget_references AFTER DELETE ON participants
  FOR EACH ROW EXECUTE FUNCTION forget_references_on_delete();

CREATE CONSTRAINT TRIGGER forums_references AFTER INSERT OR UPDATE ON forums
  DEFERRABLE INITIALLY IMMEDIATE
  FOR EACH ROW EXECUTE FUNCTION sync_references(
    'forum',
    'parent', '$.parent',
    'initiated_by', '$.initiated_by[*]',
    'citations.source', '$.citations[*].source');
CREATE TRIGGER forums_forget_references AFTER DELETE ON forums
  FOR EACH ROW EXECUTE FUNCTION forget_references_on_delete();

-- The change log: one row per write, written by trigger in the same
-- transaction as the write, so that no write can happen without its row. A
-- rolled-back transaction may leave a gap in `sequence`. Change feeds read
-- this table; NOTIFY only wakes them up.
CREATE TABLE changes (
  sequence      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  resource      text COLLATE "C" NOT NULL,
  operation     text NOT NULL CHECK (operation IN ('CREATE', 'UPDATE', 'DELETE')),
  version       bigint NOT NULL,
  body          jsonb,
  change_time   timestamptz NOT NULL DEFAULT clock_timestamp(),
  transaction   xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX changes_resource ON changes (resource, sequence);

CREATE FUNCTION record_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
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

CREATE TRIGGER participants_changes AFTER INSERT OR UPDATE OR DELETE ON participants
  FOR EACH ROW EXECUTE FUNCTION record_change();
CREATE TRIGGER forums_changes AFTER INSERT OR UPDATE OR DELETE ON forums
  FOR EACH ROW EXECUTE FUNCTION record_change();
