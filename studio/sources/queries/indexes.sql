-- One row per index. Key columns come as attnums (0 for an expression, whose text is read
-- with pg_get_indexdef(index, position)); indoption bit 1 is DESC, bit 2 NULLS FIRST.
WITH __SCOPE__
SELECT i.indrelid,
       ic.relname,
       i.indnkeyatts,
       i.indkey::text,
       i.indoption::text,
       ARRAY(SELECT CASE WHEN k.attnum = 0 THEN pg_get_indexdef(i.indexrelid, k.ord::int, true) END
             FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
             ORDER BY k.ord),
       ARRAY(SELECT CASE WHEN o.opcdefault THEN NULL ELSE o.opcname END
             FROM unnest(i.indclass::oid[]) WITH ORDINALITY k(opc, ord)
             LEFT JOIN pg_opclass o ON o.oid = k.opc
             ORDER BY k.ord),
       ARRAY(SELECT CASE WHEN k.coll = 0 OR k.coll = coalesce(a.attcollation, 100) THEN NULL
                         ELSE co.collname END
             FROM unnest(i.indcollation::oid[], i.indkey::int2[]) WITH ORDINALITY k(coll, attnum, ord)
             LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum > 0
             LEFT JOIN pg_collation co ON co.oid = k.coll
             ORDER BY k.ord),
       i.indisunique,
       i.indisprimary,
       con.conname,
       am.amname,
       pg_get_expr(i.indpred, i.indrelid, true),
       i.indisvalid,
       __NULLS_NOT_DISTINCT__,
       pg_get_indexdef(i.indexrelid),
       pg_relation_size(i.indexrelid)
FROM rel
JOIN pg_index i ON i.indrelid = rel.oid
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_am am ON am.oid = ic.relam
LEFT JOIN pg_constraint con
       ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x')
ORDER BY i.indrelid, ic.relname
