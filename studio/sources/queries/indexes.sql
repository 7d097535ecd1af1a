-- One row per index. Key columns come as attnums (0 for an expression, whose text is read
-- with pg_get_indexdef(index, position)); indoption bit 1 is DESC, bit 2 NULLS FIRST.
-- pg_get_indexdef() of the whole index is the costliest call here, so Python rebuilds the
-- definition of a plain index (only columns, default operator classes and collations, no
-- predicate, options or tablespace) from quote_ident()ed names, and asks the server only for
-- the others (`index_definitions.sql`).
WITH __SCOPE__
SELECT i.indrelid,
       i.indexrelid,
       ic.relname,
       quote_ident(ic.relname),
       ic.relkind = 'I',
       quote_ident(rel.nspname) || '.' || quote_ident(rel.relname),
       i.indnkeyatts,
       i.indkey::int2[],
       i.indoption::int2[],
       CASE WHEN i.indexprs IS NOT NULL THEN
           ARRAY(SELECT CASE WHEN k.attnum = 0 THEN pg_get_indexdef(i.indexrelid, k.ord::int, true) END
                 FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                 ORDER BY k.ord)
       END,
       i.indclass::oid[],
       i.indcollation::oid[],
       i.indisunique,
       i.indisprimary,
       con.conname,
       am.amname,
       pg_get_expr(i.indpred, i.indrelid, true),
       i.indisvalid,
       __NULLS_NOT_DISTINCT__,
       i.indexprs IS NULL AND i.indpred IS NULL AND ic.reloptions IS NULL AND ic.reltablespace = 0,
       ic.relpages::bigint * current_setting('block_size')::bigint
FROM rel
JOIN pg_index i ON i.indrelid = rel.oid
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_am am ON am.oid = ic.relam
LEFT JOIN pg_constraint con
       ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x')
ORDER BY i.indrelid, ic.relname
