-- One row per column; the sequence filling it comes from the default's dependency on a
-- sequence (serial, explicit nextval) or from an identity column's internal sequence.
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
SELECT a.attrelid,
       a.attnum,
       a.attname,
       format_type(a.atttypid, a.atttypmod),
       a.atttypid,
       NOT a.attnotnull,
       pg_get_expr(ad.adbin, ad.adrelid),
       a.attidentity,
       a.attgenerated,
       CASE WHEN coll.collnamespace = 'pg_catalog'::regnamespace THEN coll.collname
            ELSE collns.nspname || '.' || coll.collname END,
       d.description,
       cs.seqname,
       quote_ident(a.attname),
       a.attcollation
FROM rel
JOIN pg_attribute a ON a.attrelid = rel.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_collation coll
       ON coll.oid = a.attcollation AND a.attcollation <> 0 AND a.attcollation <> t.typcollation
LEFT JOIN pg_namespace collns ON collns.oid = coll.collnamespace
LEFT JOIN pg_description d
       ON d.classoid = 'pg_class'::regclass AND d.objoid = a.attrelid AND d.objsubid = a.attnum
LEFT JOIN colseq_named cs ON cs.relid = a.attrelid AND cs.attnum = a.attnum
ORDER BY a.attrelid, a.attnum
