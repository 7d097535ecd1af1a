-- One row per column (the sequence filling it comes from column_sequences.sql).
WITH __SCOPE__
SELECT a.attrelid,
       a.attnum,
       a.attname,
       format_type(a.atttypid, a.atttypmod),
       a.atttypid,
       NOT a.attnotnull,
       pg_get_expr(ad.adbin, ad.adrelid),
       a.attidentity::text,
       a.attgenerated::text,
       CASE WHEN coll.collnamespace = 'pg_catalog'::regnamespace THEN coll.collname
            ELSE collns.nspname || '.' || coll.collname END,
       d.description,
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
ORDER BY a.attrelid, a.attnum
