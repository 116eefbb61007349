-- A synthetic registry in realistic proportions, for the benchmarks at scale
-- and the plan tests (tests/integration/index_test.cc). For F forums: 0.4 F
-- participants, F forums (all but the first 100 under one of those), 4 F
-- sessions over 1990-2025, 2 F memberships and F co-chairmanships (two
-- chairs, so no sole-chair overlap). F = 120,000 makes about 1,000,000
-- records. Everything goes through the schema's constraints and triggers,
-- the change log included. Defines, for this session only:
--
--   SELECT pg_temp.populate(F);               all of it, in one transaction
--   SELECT pg_temp.populate_parents(F, LO, HI);   participants and forums
--   SELECT pg_temp.populate_children(F, LO, HI);  sessions, memberships,
--                                                 chairmanships
--
-- The last two write the records numbered LO..HI of each kind, so that a
-- large registry can be loaded in many short transactions (every parent
-- range first): one transaction of a million rows queues a million deferred
-- change-log triggers.

CREATE FUNCTION pg_temp.populate_parents(f int, lo int, hi int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  p int := greatest(f * 2 / 5, 2);
BEGIN
  INSERT INTO participants (name, body)
  SELECT 'participants/p' || i,
         jsonb_build_object('kind', 'PARTICIPANT_KIND_STATE',
           'display_name', 'Participant ' || i,
           'names', jsonb_build_array(jsonb_build_object(
             'text', 'P' || i, 'language', 'en')))
  FROM generate_series(lo, least(hi, p)) i;
  INSERT INTO forums (name, body)
  SELECT 'forums/f' || i,
         jsonb_strip_nulls(jsonb_build_object('kind', 'FORUM_KIND_SUMMIT',
           'display_name', 'Forum ' || i,
           'names', jsonb_build_array(jsonb_build_object(
             'text', 'F' || i, 'language', 'en')),
           'parent', CASE WHEN i > 100 THEN 'forums/f' || (i % 100 + 1) END))
  FROM generate_series(lo, least(hi, f)) i;
END
$$;

CREATE FUNCTION pg_temp.populate_children(f int, lo int, hi int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  p int := greatest(f * 2 / 5, 2);
BEGIN
  INSERT INTO sessions (name, body)
  SELECT 'forums/f' || (i % f + 1) || '/sessions/s' || i,
         jsonb_build_object('display_name', 'Session ' || i,
           'start_date', jsonb_build_object('year', 1990 + i % 36,
             'month', 1 + i % 12, 'day', 1 + i % 28))
  FROM generate_series(lo, least(hi, 4 * f)) i;
  INSERT INTO memberships (name, body)
  SELECT 'forums/f' || (i % f + 1) || '/memberships/m' || i,
         jsonb_build_object('member', 'participants/p' || (i % p + 1),
           'role', 'MEMBERSHIP_ROLE_MEMBER',
           'period', jsonb_build_object(
             'start', jsonb_build_object('year', 1990 + i % 30),
             'end', jsonb_build_object('year', 1991 + i % 30)))
  FROM generate_series(lo, least(hi, 2 * f)) i;
  INSERT INTO chairmanships (name, body)
  SELECT 'forums/f' || (i % f + 1) || '/chairmanships/c' || i,
         jsonb_build_object(
           'chairs', jsonb_build_array('participants/p' || (i % p + 1),
                                       'participants/p' || ((i + 1) % p + 1)),
           'term', jsonb_build_object(
             'start', jsonb_build_object('year', 1990 + i % 30),
             'end', jsonb_build_object('year', 1990 + i % 30)))
  FROM generate_series(lo, least(hi, f)) i;
END
$$;

CREATE FUNCTION pg_temp.populate(f int) RETURNS void LANGUAGE sql AS $$
  SELECT pg_temp.populate_parents(f, 1, f);
  SELECT pg_temp.populate_children(f, 1, 4 * f);
$$;
