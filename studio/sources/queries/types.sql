-- The column types (their oids come from the columns query) and everything under them
-- (domains' base types, arrays' elements), so Python can resolve each column's base type and
-- category without a per-column query and without a second pass over pg_attribute.
WITH RECURSIVE walk(oid) AS (
    SELECT DISTINCT unnest(%(typids)s::oid[])
    UNION
    SELECT CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.typelem END
    FROM walk
    JOIN pg_type t ON t.oid = walk.oid
    WHERE t.typtype = 'd' OR (t.typcategory = 'A' AND t.typelem <> 0)
)
SELECT t.oid, t.typtype::text, t.typbasetype, t.typelem, t.typcategory::text, format_type(t.oid, NULL)
FROM walk
JOIN pg_type t ON t.oid = walk.oid
