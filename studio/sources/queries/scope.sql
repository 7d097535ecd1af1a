-- The objects in scope, computed once and passed to every other query as oid arrays
-- (`_scope.sql`): user schemas (not pg_*, not information_schema, not owned by an
-- extension), optionally only those named in %(schemas)s, and their tables, views,
-- materialized views and foreign tables that no extension owns.
WITH extension_owned AS (
    SELECT d.classid, d.objid FROM pg_depend d WHERE d.deptype = 'e'
),
nsp AS (
    SELECT n.oid
    FROM pg_namespace n
    WHERE n.nspname !~ '^pg_'
      AND n.nspname <> 'information_schema'
      AND (%(schemas)s::text[] IS NULL OR n.nspname = ANY (%(schemas)s::text[]))
      AND n.oid NOT IN (SELECT objid FROM extension_owned WHERE classid = 'pg_namespace'::regclass)
)
SELECT ARRAY(SELECT oid FROM nsp),
       ARRAY(SELECT c.oid
             FROM pg_class c
             JOIN nsp ON nsp.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
               AND c.oid NOT IN (SELECT objid FROM extension_owned WHERE classid = 'pg_class'::regclass))
