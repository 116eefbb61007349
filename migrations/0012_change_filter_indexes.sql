-- Issue 23: ListChanges filters that an index serves.
--
-- A page of ListChanges is `sequence > $after AND <filter> ORDER BY
-- sequence LIMIT n`. Filtered on `resource` it reads changes_resource
-- (0001); filtered on `collection`, `operation` or `change_time` it used to
-- walk the log from $after until it had n rows, the whole log when few or
-- none match. These indexes are on the very expressions the filter
-- compiler writes (store/change_log.cc ChangeColumns, store/filter_sql.cc),
-- so the planner matches them; index_test checks that it does.
--
--   collection = "forums/arf/sessions"    changes_collection, in order
--   operation = "CHANGE_OPERATION_DELETE" changes_operation, in order
--   change_time = "2026-05", <, >=...    changes_change_day(_range)
--
-- What no index serves (an OR across fields, a NOT or `!=`, a `:` on
-- collection) is admitted by its planner cost (api/costly_lists.h).

CREATE INDEX IF NOT EXISTS changes_collection ON changes
  ((coalesce(regexp_replace(resource, '/[^/]+$', ''), '')), sequence);

CREATE INDEX IF NOT EXISTS changes_operation ON changes
  ((coalesce('CHANGE_OPERATION_' || operation, 'CHANGE_OPERATION_UNSPECIFIED')),
   sequence);

-- `change_time <, <=, >, >=` compare the day's lower bound; `=` tests the
-- day range for overlap.
CREATE INDEX IF NOT EXISTS changes_change_day ON changes
  ((lower(daterange((change_time AT TIME ZONE 'UTC')::date,
                    (change_time AT TIME ZONE 'UTC')::date, '[]'))));
CREATE INDEX IF NOT EXISTS changes_change_day_range ON changes USING gist
  ((daterange((change_time AT TIME ZONE 'UTC')::date,
              (change_time AT TIME ZONE 'UTC')::date, '[]')));
