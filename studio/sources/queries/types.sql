-- The column types and everything under them (domains' base types, arrays' elements),
-- so Python can resolve each column's base type and category without a per-column query.
WITH RECURSIVE __SCOPE__,
walk(oid) AS (
    SELECT DISTINCT a.atttypid
    FROM rel
    JOIN pg_attribute a ON a.attrelid = rel.oid AND a.attnum > 0 AND NOT a.attisdropped
    UNION
    SELECT CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.typelem END
    FROM walk
    JOIN pg_type t ON t.oid = walk.oid
    WHERE t.typtype = 'd' OR (t.typcategory = 'A' AND t.typelem <> 0)
)
SELECT t.oid, t.typtype, t.typbasetype, t.typelem, t.typcategory, format_type(t.oid, NULL)
FROM walk
JOIN pg_type t ON t.oid = walk.oid
