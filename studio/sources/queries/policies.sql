-- polroles holds 0 for PUBLIC.
WITH __SCOPE__
SELECT pol.polrelid,
       pol.polname,
       pol.polcmd::text,
       ARRAY(SELECT CASE WHEN r.roleid = 0 THEN 'public' ELSE ro.rolname END
             FROM unnest(pol.polroles) WITH ORDINALITY r(roleid, ord)
             LEFT JOIN pg_roles ro ON ro.oid = r.roleid
             ORDER BY r.ord),
       pg_get_expr(pol.polqual, pol.polrelid, true),
       pg_get_expr(pol.polwithcheck, pol.polrelid, true),
       pol.polpermissive
FROM rel
JOIN pg_policy pol ON pol.polrelid = rel.oid
ORDER BY pol.polrelid, pol.polname
