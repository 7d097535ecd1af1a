-- Primary keys, uniques, foreign keys, checks and exclusions. A foreign key that points at a
-- partitioned table gets one hidden clone per referenced partition on the same table
-- (conparentid set, parent on the same conrelid): those are left out. Clones on partitions
-- of a partitioned referencing table are real constraints and stay.
WITH __SCOPE__
SELECT con.conrelid,
       con.conname,
       con.contype::text,
       con.conkey,
       CASE WHEN con.contype = 'f' THEN fn.nspname || '.' || fc.relname END,
       con.confrelid,
       con.confkey,
       -- names of referenced columns only where the referenced table is out of scope (Python
       -- names the others from the columns it read: a subquery per foreign key costs more)
       CASE WHEN con.contype = 'f' AND ref.oid IS NULL THEN
           ARRAY(SELECT a.attname
                 FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
                 ORDER BY k.ord)
       END,
       con.confdeltype::text,
       __DELETE_SET_COLUMNS__,
       con.confupdtype::text,
       con.confmatchtype::text,
       con.condeferrable,
       con.condeferred,
       con.convalidated,
       CASE WHEN con.contype IN ('c', 'x') THEN pg_get_constraintdef(con.oid, true) END,
       __NULLS_NOT_DISTINCT__
FROM rel
JOIN pg_constraint con ON con.conrelid = rel.oid
LEFT JOIN pg_class fc ON fc.oid = con.confrelid
LEFT JOIN rel ref ON ref.oid = con.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
LEFT JOIN pg_index ci ON ci.indexrelid = con.conindid AND con.contype = 'u'
WHERE con.contype IN ('p', 'u', 'f', 'c', 'x')
  AND NOT (con.contype = 'f' AND con.conparentid <> 0 AND EXISTS (
          SELECT 1 FROM pg_constraint parent
          WHERE parent.oid = con.conparentid AND parent.conrelid = con.conrelid))
ORDER BY con.conrelid, con.conname
