WITH __SCOPE__
SELECT nsp.nspname,
       t.typname,
       format_type(t.typbasetype, t.typtypmod),
       NOT t.typnotnull,
       t.typdefault,
       ARRAY(SELECT pg_get_constraintdef(c.oid, true)
             FROM pg_constraint c
             WHERE c.contypid = t.oid AND c.contype = 'c'
             ORDER BY c.conname)
FROM nsp
JOIN pg_type t ON t.typnamespace = nsp.oid AND t.typtype = 'd'
WHERE NOT EXISTS (
    SELECT 1 FROM pg_depend d
    WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
ORDER BY nsp.nspname, t.typname
