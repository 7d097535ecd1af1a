-- last_value only where this role may read the sequence (pg_sequence_last_value raises
-- otherwise); it is NULL for a sequence never used.
WITH __SCOPE__
SELECT nsp.nspname,
       c.relname,
       format_type(s.seqtypid, NULL),
       s.seqmax,
       has_sequence_privilege(c.oid, 'SELECT,USAGE') AS readable,
       CASE WHEN has_sequence_privilege(c.oid, 'SELECT,USAGE') THEN pg_sequence_last_value(c.oid) END,
       (SELECT tn.nspname || '.' || tc.relname || '.' || a.attname
        FROM pg_depend d
        JOIN pg_class tc ON tc.oid = d.refobjid
        JOIN pg_namespace tn ON tn.oid = tc.relnamespace
        JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
          AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0
        LIMIT 1)
FROM nsp
JOIN pg_class c ON c.relnamespace = nsp.oid AND c.relkind = 'S'
JOIN pg_sequence s ON s.seqrelid = c.oid
WHERE NOT EXISTS (
    SELECT 1 FROM pg_depend d
    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY nsp.nspname, c.relname
