-- pg_get_indexdef() for the indexes whose definition Python cannot rebuild exactly.
SELECT k.oid, pg_get_indexdef(k.oid)
FROM unnest(%(oids)s::oid[]) AS k(oid)
