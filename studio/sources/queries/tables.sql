-- Sizes come from pg_class.relpages (as of the last VACUUM, ANALYZE or CREATE INDEX), not from
-- pg_total_relation_size(): that opens and stats every relation, which costs more than the
-- whole rest of the catalog on a large schema. Unknown (NULL) for a table never analyzed.
WITH __SCOPE__
SELECT c.oid,
       rel.nspname,
       c.relname,
       c.relkind::text,
       c.relispartition,
       c.relpersistence::text,
       c.relrowsecurity,
       c.relforcerowsecurity,
       CASE WHEN c.relkind IN ('r', 'p', 'm') AND c.reltuples >= 0 THEN c.reltuples::bigint END,
       CASE WHEN c.relkind IN ('r', 'm') AND (c.reltuples >= 0 OR c.relpages > 0)
            THEN (c.relpages::bigint + coalesce(toast.relpages, 0)) * current_setting('block_size')::bigint
       END,
       d.description,
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END,
       pg_get_expr(c.relpartbound, c.oid),
       coalesce(inh.parents, '{}'),
       pt.partstrat::text,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
       ARRAY(SELECT a.attname
             FROM unnest(pt.partattrs::int2[]) WITH ORDINALITY k(attnum, ord)
             LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
             ORDER BY k.ord),
       has_table_privilege(c.oid, 'SELECT')
FROM rel
JOIN pg_class c ON c.oid = rel.oid
LEFT JOIN pg_description d
       ON d.classoid = 'pg_class'::regclass AND d.objoid = c.oid AND d.objsubid = 0
LEFT JOIN pg_class toast ON toast.oid = c.reltoastrelid
LEFT JOIN pg_partitioned_table pt ON pt.partrelid = c.oid
LEFT JOIN (  -- one pass over pg_inherits, not one per relation
    SELECT i.inhrelid, array_agg(pn.nspname || '.' || pc.relname ORDER BY i.inhseqno) AS parents
    FROM pg_inherits i
    JOIN pg_class pc ON pc.oid = i.inhparent
    JOIN pg_namespace pn ON pn.oid = pc.relnamespace
    GROUP BY i.inhrelid
) inh ON inh.inhrelid = c.oid
ORDER BY rel.nspname, c.relname
