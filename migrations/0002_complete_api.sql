-- The complete API: sources, memberships, sessions, chairmanships, action
-- plans and statements; lookups by any name; as-of queries; sole-chair terms
-- that cannot overlap.
--
-- Same shape as 0001: `name` as key, `body` as the record, GENERATED columns
-- for what the database checks, indexes or orders by, references kept by
-- sync_references(), a change row per write. A nested record's parent forum
-- is a generated column of its name, with a foreign key: a forum with
-- sessions, chairmanships or memberships cannot be deleted until they are
-- (the API's `force` deletes them in the same transaction).

-- A Period message as the range of days it covers; open ends are unbounded.
CREATE FUNCTION period_range(period jsonb)
RETURNS daterange
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT daterange(lower(partial_date_range(period->'start')),
                   upper(partial_date_range(period->'end')))
$$;

-- Every name of a record in lower case: its display name and each of its
-- names[].text, for case-insensitive lookups by any name in any language.
CREATE FUNCTION body_names(body jsonb)
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT coalesce(array_agg(DISTINCT lower(n)), '{}')
  FROM (SELECT body->>'display_name' AS n
        UNION ALL
        SELECT jsonb_array_elements(coalesce(body->'names', '[]'))->>'text') AS names
  WHERE n IS NOT NULL
$$;

ALTER TABLE participants
  ADD COLUMN search_names text[] GENERATED ALWAYS AS (body_names(body)) STORED;
CREATE INDEX participants_search_names ON participants USING gin (search_names);
ALTER TABLE forums
  ADD COLUMN search_names text[] GENERATED ALWAYS AS (body_names(body)) STORED;
CREATE INDEX forums_search_names ON forums USING gin (search_names);

CREATE TABLE sources (
  name          text COLLATE "C" PRIMARY KEY
                CHECK (name ~ '^sources/[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
  body          jsonb NOT NULL CHECK (jsonb_typeof(body) = 'object'),
  display_name  text GENERATED ALWAYS AS (body->>'display_name') STORED NOT NULL
                CHECK (char_length(display_name) BETWEEN 1 AND 1000),
  publish_date  daterange GENERATED ALWAYS AS (partial_date_range(body->'publish_date')) STORED,
  version       bigint NOT NULL DEFAULT 1 CHECK (version > 0),
  create_time   timestamptz NOT NULL DEFAULT clock_timestamp(),
  update_time   timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE memberships (
  name          text COLLATE "C" PRIMARY KEY
                CHECK (name ~ '^forums/[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?/memberships/[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
  forum         text COLLATE "C" GENERATED ALWAYS AS (substring(name FROM '^forums/[^/]+')) STORED
                NOT NULL REFERENCES forums (name) DEFERRABLE INITIALLY IMMEDIATE,
  body          jsonb NOT NULL CHECK (jsonb_typeof(body) = 'object'),
  member        text COLLATE "C" GENERATED ALWAYS AS (body->>'member') STORED NOT NULL,
  role          text GENERATED ALWAYS AS (body->>'role') STORED NOT NULL
                CHECK (role IN ('MEMBERSHIP_ROLE_MEMBER', 'MEMBERSHIP_ROLE_FOUNDING_MEMBER',
                                'MEMBERSHIP_ROLE_DIALOGUE_PARTNER', 'MEMBERSHIP_ROLE_STRATEGIC_PARTNER',
                                'MEMBERSHIP_ROLE_OBSERVER', 'MEMBERSHIP_ROLE_GUEST')),
  period        daterange GENERATED ALWAYS AS (period_range(body->'period')) STORED,
  version       bigint NOT NULL DEFAULT 1 CHECK (version > 0),
  create_time   timestamptz NOT NULL DEFAULT clock_timestamp(),
  update_time   timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT memberships_not_own_member CHECK (member <> forum)
);
CREATE INDEX memberships_forum ON memberships (forum, name);
CREATE INDEX memberships_period ON memberships USING gist (period);

CREATE TABLE sessions (
  name          text COLLATE "C" PRIMARY KEY
                CHECK (name ~ '^forums/[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?/sessions/[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
  forum         text COLLATE "C" GENERATED ALWAYS AS (substring(name FROM '^forums/[^/]+')) STORED
                NOT NULL REFERENCES forums (name) DEFERRABLE INITIALLY IMMEDIATE,
  body          jsonb NOT NULL CHECK (jsonb_typeof(body) = 'object'),
  display_name  text GENERATED ALWAYS AS (body->>'display_name') STORED NOT NULL
                CHECK (char_length(display_name) BETWEEN 1 AND 300),
  start_date    daterange GENERATED ALWAYS AS (partial_date_range(body->'start_date')) STORED NOT NULL,
  end_date      daterange GENERATED ALWAYS AS (partial_date_range(body->'end_date')) STORED,
  -- Every day the meeting may cover, from its start to its end.
  days          daterange GENERATED ALWAYS AS (
                  daterange(lower(partial_date_range(body->'start_date')),
                            coalesce(upper(partial_date_range(body->'end_date')),
                                     upper(partial_date_range(body->'start_date'))))) STORED,
  parent_session text COLLATE "C" GENERATED ALWAYS AS (body->>'parent_session') STORED,
  version       bigint NOT NULL DEFAULT 1 CHECK (version > 0),
  create_time   timestamptz NOT NULL DEFAULT clock_timestamp(),
  update_time   timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT sessions_end_not_before_start
    CHECK (end_date IS NULL OR upper(end_date) > lower(start_date)),
  CONSTRAINT sessions_not_own_parent CHECK (parent_session IS DISTINCT FROM name)
);
CREATE INDEX sessions_forum_start ON sessions (forum, lower(start_date), name);
CREATE INDEX sessions_start ON sessions (lower(start_date), name);
CREATE INDEX sessions_parent_session ON sessions (parent_session);

CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE chairmanships (
  name          text COLLATE "C" PRIMARY KEY
                CHECK (name ~ '^forums/[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?/chairmanships/[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
  forum         text COLLATE "C" GENERATED ALWAYS AS (substring(name FROM '^forums/[^/]+')) STORED
                NOT NULL REFERENCES forums (name) DEFERRABLE INITIALLY IMMEDIATE,
  body          jsonb NOT NULL CHECK (jsonb_typeof(body) = 'object'),
  term          daterange GENERATED ALWAYS AS (period_range(body->'term')) STORED NOT NULL,
  -- One chair alone; co-chairs share a term and may overlap other terms.
  sole          boolean GENERATED ALWAYS AS (jsonb_array_length(coalesce(body->'chairs', '[]')) = 1) STORED,
  version       bigint NOT NULL DEFAULT 1 CHECK (version > 0),
  create_time   timestamptz NOT NULL DEFAULT clock_timestamp(),
  update_time   timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT chairmanships_have_chairs
    CHECK (jsonb_array_length(coalesce(body->'chairs', '[]')) BETWEEN 1 AND 10),
  CONSTRAINT chairmanships_term_has_start CHECK (NOT lower_inf(term)),
  -- The database's own guarantee: no two sole-chair terms of one forum overlap.
  CONSTRAINT chairmanships_sole_terms_do_not_overlap
    EXCLUDE USING gist (forum WITH =, term WITH &&) WHERE (sole)
);
CREATE INDEX chairmanships_forum_term ON chairmanships USING gist (forum, term);

-- Names the record a new sole-chair term would overlap, before the exclusion
-- constraint refuses it with a message that names no record. (BEFORE
-- triggers see no generated columns: the term is computed from the body.)
CREATE FUNCTION chairmanships_check_overlap() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  new_forum text COLLATE "C" := substring(NEW.name FROM '^forums/[^/]+');
  conflict text;
BEGIN
  IF jsonb_array_length(coalesce(NEW.body->'chairs', '[]')) <> 1 THEN
    RETURN NEW;
  END IF;
  SELECT c.name INTO conflict FROM chairmanships c
   WHERE c.forum = new_forum AND c.sole AND c.name <> NEW.name
     AND c.term && period_range(NEW.body->'term')
   ORDER BY lower(c.term) LIMIT 1;
  IF conflict IS NOT NULL THEN
    RAISE EXCEPTION 'forum-registry: chairmanship.term: overlaps the sole-chair term of %; a forum has one sole chair at a time (record co-chairs together in one chairmanship)',
      conflict
      USING ERRCODE = 'exclusion_violation';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER chairmanships_overlap BEFORE INSERT OR UPDATE ON chairmanships
  FOR EACH ROW EXECUTE FUNCTION chairmanships_check_overlap();

CREATE TABLE action_plans (
  name          text COLLATE "C" PRIMARY KEY
                CHECK (name ~ '^actionPlans/[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
  body          jsonb NOT NULL CHECK (jsonb_typeof(body) = 'object'),
  display_name  text GENERATED ALWAYS AS (body->>'display_name') STORED NOT NULL
                CHECK (char_length(display_name) BETWEEN 1 AND 500),
  status        text GENERATED ALWAYS AS (body->>'status') STORED NOT NULL
                CHECK (status IN ('ACTION_PLAN_STATUS_EXPECTED', 'ACTION_PLAN_STATUS_ADOPTED',
                                  'ACTION_PLAN_STATUS_IN_FORCE', 'ACTION_PLAN_STATUS_EXPIRED')),
  period        daterange GENERATED ALWAYS AS (period_range(body->'period')) STORED,
  search_names  text[] GENERATED ALWAYS AS (body_names(body)) STORED,
  version       bigint NOT NULL DEFAULT 1 CHECK (version > 0),
  create_time   timestamptz NOT NULL DEFAULT clock_timestamp(),
  update_time   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX action_plans_search_names ON action_plans USING gin (search_names);

CREATE TABLE statements (
  name          text COLLATE "C" PRIMARY KEY
                CHECK (name ~ '^statements/[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
  body          jsonb NOT NULL CHECK (jsonb_typeof(body) = 'object'),
  display_name  text GENERATED ALWAYS AS (body->>'display_name') STORED NOT NULL
                CHECK (char_length(display_name) BETWEEN 1 AND 500),
  kind          text GENERATED ALWAYS AS (body->>'kind') STORED NOT NULL
                CHECK (kind IN ('STATEMENT_KIND_DECLARATION', 'STATEMENT_KIND_LEADERS_STATEMENT',
                                'STATEMENT_KIND_MINISTERIAL_STATEMENT', 'STATEMENT_KIND_JOINT_STATEMENT',
                                'STATEMENT_KIND_CHAIRS_STATEMENT', 'STATEMENT_KIND_COMMUNIQUE')),
  status        text GENERATED ALWAYS AS (body->>'status') STORED NOT NULL
                CHECK (status IN ('STATEMENT_STATUS_EXPECTED', 'STATEMENT_STATUS_ADOPTED')),
  adoption_date daterange GENERATED ALWAYS AS (partial_date_range(body#>'{adoption,date}')) STORED,
  search_names  text[] GENERATED ALWAYS AS (body_names(body)) STORED,
  version       bigint NOT NULL DEFAULT 1 CHECK (version > 0),
  create_time   timestamptz NOT NULL DEFAULT clock_timestamp(),
  update_time   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX statements_search_names ON statements USING gin (search_names);

-- References to the new kinds.
INSERT INTO reference_kinds VALUES
  ('source', '^sources/[^/]+$', 'sources'),
  ('session', '^forums/[^/]+/sessions/[^/]+$', 'sessions'),
  ('chairmanship', '^forums/[^/]+/chairmanships/[^/]+$', 'chairmanships'),
  ('action_plan', '^actionPlans/[^/]+$', 'action_plans');

CREATE TABLE source_references (
  owner         text COLLATE "C" NOT NULL,
  field         text NOT NULL,
  source        text COLLATE "C" NOT NULL
                REFERENCES sources (name) DEFERRABLE INITIALLY IMMEDIATE,
  PRIMARY KEY (owner, field, source)
);
CREATE INDEX source_references_target ON source_references (source, owner);

CREATE TABLE session_references (
  owner         text COLLATE "C" NOT NULL,
  field         text NOT NULL,
  session       text COLLATE "C" NOT NULL
                REFERENCES sessions (name) DEFERRABLE INITIALLY IMMEDIATE,
  PRIMARY KEY (owner, field, session)
);
CREATE INDEX session_references_target ON session_references (session, owner);

CREATE TABLE chairmanship_references (
  owner         text COLLATE "C" NOT NULL,
  field         text NOT NULL,
  chairmanship  text COLLATE "C" NOT NULL
                REFERENCES chairmanships (name) DEFERRABLE INITIALLY IMMEDIATE,
  PRIMARY KEY (owner, field, chairmanship)
);
CREATE INDEX chairmanship_references_target ON chairmanship_references (chairmanship, owner);

CREATE TABLE action_plan_references (
  owner         text COLLATE "C" NOT NULL,
  field         text NOT NULL,
  action_plan   text COLLATE "C" NOT NULL
                REFERENCES action_plans (name) DEFERRABLE INITIALLY IMMEDIATE,
  PRIMARY KEY (owner, field, action_plan)
);
CREATE INDEX action_plan_references_target ON action_plan_references (action_plan, owner);

-- References, forgetting, and the change log, per table.
CREATE CONSTRAINT TRIGGER sources_references AFTER INSERT OR UPDATE ON sources
  DEFERRABLE INITIALLY IMMEDIATE
  FOR EACH ROW EXECUTE FUNCTION sync_references(
    'source',
    'publisher', '$.publisher',
    'facts.subjects', '$.facts[*].subjects[*]');

CREATE CONSTRAINT TRIGGER memberships_references AFTER INSERT OR UPDATE ON memberships
  DEFERRABLE INITIALLY IMMEDIATE
  FOR EACH ROW EXECUTE FUNCTION sync_references(
    'membership',
    'member', '$.member',
    'citations.source', '$.citations[*].source');

CREATE CONSTRAINT TRIGGER sessions_references AFTER INSERT OR UPDATE ON sessions
  DEFERRABLE INITIALLY IMMEDIATE
  FOR EACH ROW EXECUTE FUNCTION sync_references(
    'session',
    'parent_session', '$.parent_session',
    'venue.country', '$.venue.country',
    'participants.participant', '$.participants[*].participant',
    'participants.represented_by', '$.participants[*].represented_by',
    'citations.source', '$.citations[*].source');

CREATE CONSTRAINT TRIGGER chairmanships_references AFTER INSERT OR UPDATE ON chairmanships
  DEFERRABLE INITIALLY IMMEDIATE
  FOR EACH ROW EXECUTE FUNCTION sync_references(
    'chairmanship',
    'chairs', '$.chairs[*]',
    'continues', '$.continues',
    'citations.source', '$.citations[*].source');

CREATE CONSTRAINT TRIGGER action_plans_references AFTER INSERT OR UPDATE ON action_plans
  DEFERRABLE INITIALLY IMMEDIATE
  FOR EACH ROW EXECUTE FUNCTION sync_references(
    'action_plan',
    'forums', '$.forums[*]',
    'parties', '$.parties[*]',
    'adoption.session', '$.adoption.session',
    'implements', '$.implements',
    'citations.source', '$.citations[*].source');

CREATE CONSTRAINT TRIGGER statements_references AFTER INSERT OR UPDATE ON statements
  DEFERRABLE INITIALLY IMMEDIATE
  FOR EACH ROW EXECUTE FUNCTION sync_references(
    'statement',
    'forum', '$.forum',
    'adoption.session', '$.adoption.session',
    'initiated_by', '$.initiated_by[*]',
    'citations.source', '$.citations[*].source');

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['sources', 'memberships', 'sessions', 'chairmanships',
                           'action_plans', 'statements'] LOOP
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I FOR EACH ROW '
                   'EXECUTE FUNCTION forget_references_on_delete()',
                   t || '_forget_references', t);
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I FOR EACH ROW '
                   'EXECUTE FUNCTION record_change()', t || '_changes', t);
  END LOOP;
END
$$;
