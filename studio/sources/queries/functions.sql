WITH __SCOPE__
SELECT nsp.nspname,
       p.proname,
       pg_get_function_identity_arguments(p.oid),
       coalesce(pg_get_function_result(p.oid), ''),
       l.lanname,
       p.prokind::text,
       p.prosecdef,
       coalesce(p.proconfig, '{}'),
       CASE WHEN p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid) ELSE '' END
FROM nsp
JOIN pg_proc p ON p.pronamespace = nsp.oid
JOIN pg_language l ON l.oid = p.prolang
WHERE NOT EXISTS (
    SELECT 1 FROM pg_depend d
    WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
ORDER BY nsp.nspname, p.proname, 3
