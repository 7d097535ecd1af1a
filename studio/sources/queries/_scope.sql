-- Spliced in where __SCOPE__ appears: the schemas and relations `scope.sql` found.
nsp AS (
    SELECT n.oid, n.nspname FROM pg_namespace n WHERE n.oid = ANY (%(nsp)s::oid[])
),
rel AS (
    SELECT c.oid, n.nspname, c.relname, c.relkind
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = ANY (%(rels)s::oid[])
)
