-- Issue 29: a record's passages without a window over them.
--
-- search_passages() numbered its passages with row_number() over the
-- field's position and the value's place in its list: for every record, a
-- sort and a window over its few passages. The number is only ever used
-- to order passages (search_document()'s names, the search's snippets),
-- so it is now computed from the same two numbers without either: the
-- position in the high 32 bits, the place (WITH ORDINALITY, below 2^28 in
-- a jsonb array) in the low. The passages, their fields and their order
-- are the same, the numbers no longer dense. 84,069 records of the
-- development cluster: 133 ms for their passages instead of 420-506 ms,
-- compared passage by passage (docs/benchmarks.md).
--
-- search_document() (migrations/0023) builds the row of a body holding
-- none of these keys but display_name without them: a key added here is
-- added to its list too.
--
-- Every statement here may run again.

CREATE OR REPLACE FUNCTION search_passages(body jsonb)
RETURNS TABLE (field text, weight "char", passage text, ordinal bigint)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT f.field, f.weight, v.value #>> '{}',
         (f.position::bigint << 32) + v.at
  FROM (VALUES (1, 'display_name', 'A'::"char", 'display_name',
                '$.display_name'::jsonpath),
               (2, 'names.text', 'A', 'names', '$.names[*].text'),
               (3, 'topics', 'B', 'topics', '$.topics[*]'),
               (4, 'priority_areas', 'B', 'priority_areas',
                '$.priority_areas[*]'),
               (5, 'summary', 'B', 'summary', '$.summary'),
               (6, 'venue.city', 'B', 'venue', '$.venue.city'),
               (7, 'venue.site', 'B', 'venue', '$.venue.site'),
               (8, 'description', 'C', 'description', '$.description'),
               (9, 'items', 'C', 'items', '$.items[*]'),
               (10, 'text', 'C', 'text', '$.text'),
               (11, 'facts.metric', 'C', 'facts', '$.facts[*].metric'),
               (12, 'facts.excerpt', 'C', 'facts', '$.facts[*].excerpt'),
               (13, 'citations.excerpt', 'D', 'citations',
                '$.citations[*].excerpt'))
         AS f(position, field, weight, key, path)
  CROSS JOIN LATERAL jsonb_path_query(body, f.path)
    WITH ORDINALITY AS v(value, at)
  -- Evaluated before the path is run (it reads no column of the path's).
  WHERE body ? f.key
    AND jsonb_typeof(v.value) = 'string' AND v.value #>> '{}' <> ''
$$;
