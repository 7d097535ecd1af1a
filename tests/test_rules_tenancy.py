"""Tenancy and security rules on small schemas in real PostgreSQL; fixes are executed and re-checked."""

from __future__ import annotations

import psycopg

from analyzers.context import Context, Settings
from analyzers.families import all_rules

TENANTS = """
    CREATE SCHEMA app;
    CREATE TABLE app.tenants (id uuid PRIMARY KEY);
    CREATE TABLE app.projects (id bigint PRIMARY KEY, tenant_id uuid NOT NULL REFERENCES app.tenants,
                               name text NOT NULL, UNIQUE (name));
    CREATE TABLE app."TaskItems" (id bigint PRIMARY KEY, tenant_id uuid NOT NULL REFERENCES app.tenants,
                                  project_id bigint REFERENCES app.projects ON DELETE SET NULL);
    CREATE TABLE app.task_notes (id bigint PRIMARY KEY, task_id bigint NOT NULL REFERENCES app."TaskItems");
    CREATE TABLE app.countries (code text PRIMARY KEY);
    ALTER TABLE app.projects ENABLE ROW LEVEL SECURITY;
    CREATE POLICY tenant_isolation ON app.projects
        USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
"""


def hits(catalog, rule_id: str, settings: Settings | None = None):
    return list(all_rules()[rule_id].check(Context(catalog, settings or Settings())))


def found(catalog, rule_id: str, settings: Settings | None = None) -> list[tuple[str, tuple[str, ...]]]:
    return sorted((h.table, tuple(h.columns)) for h in hits(catalog, rule_id, settings))


def run(scratch_db, sql: str) -> None:
    with psycopg.connect(scratch_db.url, autocommit=True) as conn:
        conn.execute(sql)


def test_tenant_tables_without_rls_when_rls_is_adopted(catalog_of, scratch_db):
    catalog = catalog_of(TENANTS)
    assert found(catalog, "tenant-table-without-rls") == [("app.TaskItems", ("tenant_id",))]
    (hit,) = hits(catalog, "tenant-table-without-rls")
    assert "::uuid" in hit.fix and "FORCE ROW LEVEL SECURITY" in hit.fix
    run(scratch_db, hit.fix)
    after = scratch_db.catalog()
    assert not found(after, "tenant-table-without-rls")
    # The new policy isolates: with another tenant set, no rows are visible to a non-owner role.
    assert after.table("app.TaskItems").rls_forced


def test_no_rls_anywhere_means_silent_unless_the_user_chose_rls(catalog_of):
    catalog = catalog_of("""
        CREATE TABLE tenants (id int PRIMARY KEY);
        CREATE TABLE notes (id int PRIMARY KEY, tenant_id int REFERENCES tenants);
    """)
    assert found(catalog, "tenant-table-without-rls") == []
    assert found(catalog, "tenant-table-without-rls", Settings(tenancy_model="rls")) == [
        ("public.notes", ("tenant_id",))
    ]


def test_tenant_column_through_fk_to_the_tenant_table(catalog_of):
    catalog = catalog_of("""
        CREATE TABLE organizations (id int PRIMARY KEY);
        CREATE TABLE boards (id int PRIMARY KEY, org_id int NOT NULL REFERENCES organizations);
        CREATE TABLE cards (id int PRIMARY KEY, org_id int NOT NULL REFERENCES organizations);
        ALTER TABLE boards ENABLE ROW LEVEL SECURITY;
    """)
    settings = Settings(tenant_table="public.organizations")
    assert found(catalog, "tenant-table-without-rls", settings) == [("public.cards", ("org_id",))]


def test_scope_gap_follows_children_transitively(catalog_of):
    catalog = catalog_of(
        TENANTS
        + """
        CREATE TABLE app.note_likes (id bigint PRIMARY KEY, note_id bigint REFERENCES app.task_notes);
    """
    )
    assert found(catalog, "tenant-scope-gap") == [
        ("app.note_likes", ("note_id",)),
        ("app.task_notes", ("task_id",)),
    ]


def test_cross_tenant_fk_fix_builds_the_composite_key(catalog_of, scratch_db):
    catalog = catalog_of(TENANTS)
    assert found(catalog, "cross-tenant-foreign-key") == [("app.TaskItems", ("project_id",))]
    (hit,) = hits(catalog, "cross-tenant-foreign-key")
    assert "SET NULL (project_id)" in hit.fix
    for statement in hit.fix.split(";\n"):
        run(scratch_db, statement)  # CONCURRENTLY needs its own statement outside a transaction
    after = scratch_db.catalog()
    assert not found(after, "cross-tenant-foreign-key")
    assert [
        f.columns for f in after.table("app.TaskItems").foreign_keys if f.ref_table == "app.projects"
    ] == [("tenant_id", "project_id")]


def test_policies(catalog_of):
    catalog = catalog_of(
        TENANTS
        + """
        CREATE POLICY open_read ON app.projects FOR SELECT USING (true);
        CREATE POLICY by_name ON app.projects FOR UPDATE USING (name <> '');
        CREATE POLICY narrow ON app.projects AS RESTRICTIVE USING (name <> 'x');
        CREATE TABLE app.profiles (id int PRIMARY KEY);
        ALTER TABLE app.profiles ENABLE ROW LEVEL SECURITY;
        CREATE POLICY everyone ON app.profiles FOR SELECT USING (true);
    """
    )
    assert found(catalog, "rls-policy-ignores-tenant") == [("app.projects", ("tenant_id",))] * 2
    severities = sorted((h.table, h.severity) for h in hits(catalog, "rls-policy-always-true"))
    # A public read policy on a table without tenant rows is often deliberate: info, not error.
    assert severities == [("app.profiles", "info"), ("app.projects", None)]
    (overlap,) = hits(catalog, "multiple-permissive-policies")
    assert "open_read, tenant_isolation" in overlap.message and "narrow" not in overlap.message


def test_policy_fixes_run(catalog_of, scratch_db):
    catalog = catalog_of(
        TENANTS
        + """
        CREATE POLICY open_write ON app.projects FOR INSERT WITH CHECK (true);
        CREATE POLICY by_name ON app.projects FOR SELECT USING (name <> '');
    """
    )
    for rule_id in ("rls-policy-always-true", "rls-policy-ignores-tenant"):
        for hit in hits(catalog, rule_id):
            run(scratch_db, hit.fix)
    after = scratch_db.catalog()
    assert not found(after, "rls-policy-always-true") and not found(after, "rls-policy-ignores-tenant")


def test_rls_without_policy_and_not_forced(catalog_of, scratch_db):
    catalog = catalog_of("""
        CREATE SCHEMA app_private;
        CREATE TABLE public.notes (id int PRIMARY KEY, tenant_id int NOT NULL);
        CREATE TABLE app_private.secrets (id int PRIMARY KEY, hash text);
        ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
        ALTER TABLE app_private.secrets ENABLE ROW LEVEL SECURITY;
    """)
    by_table = {h.table: h for h in hits(catalog, "rls-enabled-without-policy")}
    assert by_table["public.notes"].severity is None
    assert by_table["app_private.secrets"].severity == "info"  # a private schema: deliberate lock-down
    assert found(catalog, "rls-not-forced") == [("app_private.secrets", ()), ("public.notes", ())]
    run(scratch_db, by_table["public.notes"].fix)
    assert "public.notes" not in {t for t, _ in found(scratch_db.catalog(), "rls-not-forced")}


def test_unique_without_tenant_key(catalog_of, scratch_db):
    catalog = catalog_of(
        TENANTS
        + """
        CREATE TABLE app.users (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), tenant_id uuid NOT NULL,
                                email text NOT NULL, token uuid DEFAULT gen_random_uuid() UNIQUE);
        CREATE UNIQUE INDEX users_email ON app.users (lower(email));
    """
    )
    assert found(catalog, "unique-without-tenant-key") == [
        ("app.projects", ("name",)),
        ("app.users", ("email",)),
    ]
    for hit in hits(catalog, "unique-without-tenant-key"):
        for statement in hit.fix.split(";\n"):
            run(scratch_db, statement)
    assert not found(scratch_db.catalog(), "unique-without-tenant-key")


def test_security_definer_without_search_path(catalog_of, scratch_db):
    catalog = catalog_of("""
        CREATE SCHEMA "Ops";
        CREATE FUNCTION "Ops".bump(n int, "Label" text) RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT n + 1';
        CREATE FUNCTION "Ops".safe() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
            AS 'SELECT 1';
        CREATE FUNCTION "Ops".invoker() RETURNS int LANGUAGE sql AS 'SELECT 1';
        CREATE PROCEDURE "Ops".tidy() LANGUAGE sql SECURITY DEFINER AS 'SELECT 1';
    """)
    found_hits = hits(catalog, "security-definer-search-path")
    assert sorted(h.table for h in found_hits) == ["Ops.bump", "Ops.tidy"]
    for hit in found_hits:
        run(scratch_db, hit.fix)
    assert not hits(scratch_db.catalog(), "security-definer-search-path")
