WITH __SCOPE__
SELECT nsp.nspname, d.description
FROM nsp
LEFT JOIN pg_description d
       ON d.classoid = 'pg_namespace'::regclass AND d.objoid = nsp.oid AND d.objsubid = 0
ORDER BY nsp.nspname
