WITH __SCOPE__
SELECT tg.tgrelid,
       tg.tgname,
       pg_get_triggerdef(tg.oid, true),
       pn.nspname || '.' || p.proname,
       tg.tgenabled <> 'D'
FROM rel
JOIN pg_trigger tg ON tg.tgrelid = rel.oid
JOIN pg_proc p ON p.oid = tg.tgfoid
JOIN pg_namespace pn ON pn.oid = p.pronamespace
WHERE NOT tg.tgisinternal
ORDER BY tg.tgrelid, tg.tgname
