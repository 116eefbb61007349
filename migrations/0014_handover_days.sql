-- Issue 27: a chairmanship that passes at a summit ends and begins on the
-- same day. Two sole-chair terms of one forum may share exactly one day when
-- one ends on the day the other begins; any longer overlap, or a term inside
-- another, is refused as before (docs/decisions.md §63).
--
-- `term` (the days a term covers, 0002) stays what `active_on` and
-- `term` filters read: on a handover day both terms are active. Only the
-- exclusion constraint and the trigger that names the conflict compare the
-- finer span below, in which a day stated exactly is split at noon:
--
--   a term of two days or more   from noon of its first day to noon of its
--                                last day, where that day is stated to the
--                                day; from midnight (the whole day) where the
--                                end is a year or a month, or open
--   a term of one day            the whole day, 00:00 to 24:00: it shares
--                                its day with any term that covers it, so a
--                                handover into or out of a one-day term is
--                                refused, and a one-day term inside another
--                                still overlaps it
--
-- So an outgoing term ending on 2023-07-14 ([.., 07-14 12:00)) and an
-- incoming one starting on 2023-07-14 ([07-14 12:00, ..)) touch without
-- overlapping; two terms sharing two days, or ending (or starting) on the
-- same day, or one inside another, still overlap. A partial end or start
-- ("2023", "2023-12") keeps its whole year or month: a term ending "2023"
-- and one starting "2023-12-31" overlap, since no source says the first
-- ended on the 31st.
--
-- Every statement here may run again and leaves the same state.

-- The span a sole-chair term holds against other sole-chair terms of its
-- forum. `term` is a Period message; an absent end is open. An empty term
-- (an end before the start, which validation refuses) holds nothing, never
-- everything.
CREATE OR REPLACE FUNCTION sole_chair_span(term jsonb)
RETURNS tsrange
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE
    WHEN isempty(d.days) THEN 'empty'::tsrange
    WHEN NOT upper_inf(d.days) AND upper(d.days) - lower(d.days) = 1
      THEN tsrange(lower(d.days)::timestamp, upper(d.days)::timestamp)
    ELSE tsrange(
      lower(d.days)::timestamp
        + CASE WHEN d.exact_start THEN interval '12 hours' ELSE interval '0' END,
      upper(d.days)::timestamp
        - CASE WHEN d.exact_end THEN interval '12 hours' ELSE interval '0' END)
  END
  FROM (SELECT period_range(term) AS days,
               coalesce((term->'start'->>'month')::integer, 0) <> 0
                 AND coalesce((term->'start'->>'day')::integer, 0) <> 0 AS exact_start,
               coalesce((term->'end'->>'month')::integer, 0) <> 0
                 AND coalesce((term->'end'->>'day')::integer, 0) <> 0 AS exact_end) d
$$;

-- The database's own guarantee, race-free: no two sole-chair spans of one
-- forum overlap.
ALTER TABLE chairmanships
  DROP CONSTRAINT IF EXISTS chairmanships_sole_terms_do_not_overlap;
ALTER TABLE chairmanships
  ADD CONSTRAINT chairmanships_sole_terms_do_not_overlap
  EXCLUDE USING gist (forum WITH =, (sole_chair_span(body->'term')) WITH &&)
  WHERE (sole);

-- Names the record a new sole-chair term would overlap, before the exclusion
-- constraint refuses it with a message that names no record; the same spans
-- as the constraint, so the constraint's index serves the search. (BEFORE
-- triggers see no generated columns: NEW's term is read from its body.)
CREATE OR REPLACE FUNCTION chairmanships_check_overlap() RETURNS trigger
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
     AND sole_chair_span(c.body->'term') && sole_chair_span(NEW.body->'term')
   ORDER BY lower(c.term) LIMIT 1;
  IF conflict IS NOT NULL THEN
    RAISE EXCEPTION 'forum-registry: chairmanship.term: overlaps the sole-chair term of %; a forum has one sole chair at a time (record co-chairs together in one chairmanship)',
      conflict
      USING ERRCODE = 'exclusion_violation';
  END IF;
  RETURN NEW;
END
$$;
