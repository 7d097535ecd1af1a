-- The sequence filling a column: the default's dependency on a sequence (serial, explicit
-- nextval) or an identity column's internal sequence. Apart from columns.sql so that another
-- connection reads it while that, the longest query, runs.
WITH __SCOPE__,
colseq AS (
    SELECT ad.adrelid AS relid, ad.adnum AS attnum, d.refobjid AS seqoid
    FROM rel
    JOIN pg_attrdef ad ON ad.adrelid = rel.oid
    JOIN pg_depend d
      ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid AND d.refclassid = 'pg_class'::regclass
    JOIN pg_class s ON s.oid = d.refobjid AND s.relkind = 'S'
    UNION
    SELECT d.refobjid, d.refobjsubid, d.objid
    FROM rel
    JOIN pg_depend d
      ON d.refclassid = 'pg_class'::regclass AND d.refobjid = rel.oid AND d.classid = 'pg_class'::regclass
         AND d.deptype = 'i' AND d.refobjsubid > 0
    JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
),
colseq_named AS (
    SELECT DISTINCT ON (cs.relid, cs.attnum) cs.relid, cs.attnum, sn.nspname || '.' || s.relname AS seqname
    FROM colseq cs
    JOIN pg_class s ON s.oid = cs.seqoid
    JOIN pg_namespace sn ON sn.oid = s.relnamespace
    ORDER BY cs.relid, cs.attnum, s.relname
)
SELECT relid, attnum, seqname FROM colseq_named
