-- Indexes for the date filters that compare ranges.
--
-- `start_date = "2023-07-14"` is `start_date && daterange(...)` (overlap),
-- and `active_on = "..."` is `days @> date` / `period @> date`: the btree on
-- lower(start_date) serves `<` and `>=`, not these. GiST serves both
-- operators (memberships.period and chairmanships (forum, term) have theirs
-- since 0002).

CREATE INDEX IF NOT EXISTS sessions_start_date ON sessions USING gist (start_date);
CREATE INDEX IF NOT EXISTS sessions_days ON sessions USING gist (days);
CREATE INDEX IF NOT EXISTS action_plans_period ON action_plans USING gist (period);
