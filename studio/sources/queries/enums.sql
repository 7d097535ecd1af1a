WITH __SCOPE__
SELECT nsp.nspname,
       t.typname,
       ARRAY(SELECT e.enumlabel FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder)
FROM nsp
JOIN pg_type t ON t.typnamespace = nsp.oid AND t.typtype = 'e'
WHERE NOT EXISTS (
    SELECT 1 FROM pg_depend d
    WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
ORDER BY nsp.nspname, t.typname
