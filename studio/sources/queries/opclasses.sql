-- Operator classes and collations, to name an index key's non-default ones in Python.
SELECT 'o', o.oid, o.opcname, o.opcdefault FROM pg_opclass o
UNION ALL
SELECT 'c', c.oid, c.collname, false FROM pg_collation c
