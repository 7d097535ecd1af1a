"""Database-per-tenant split on the embedded PostgreSQL: the demo, a mixed-case schema with stray rows, chinook."""

from __future__ import annotations

import contextlib
import secrets

import psycopg
import pytest
from psycopg import conninfo

from studio.bundle.verify import model_differences
from studio.design.decisions import parse
from studio.migrate import tenant_split
from studio.migrate.tenant_split import plan_from_design, split
from studio.sources import embedded, postgres
from studio.sql import ident, qualified_name
from tests.conftest import corpus_file

DEMO_DECISIONS = '[tenancy]\nmodel = "database-per-tenant"\n'


@contextlib.contextmanager
def tenant_databases():
    """A database-name prefix for one test; every database starting with it is dropped afterwards."""
    prefix = f"studio_test_split_{secrets.token_hex(4)}_"
    try:
        yield prefix
    finally:
        with embedded.connect() as conn:
            names = conn.execute("SELECT datname FROM pg_database WHERE starts_with(datname, %s)", (prefix,)).fetchall()
            for (name,) in names:
                conn.execute(f"DROP DATABASE IF EXISTS {ident(name)} WITH (FORCE)")


def template_for(prefix: str) -> str:
    return conninfo.make_conninfo(embedded.admin_url("postgres"), dbname=prefix + "{tenant}")


def url_of(database: str) -> str:
    return embedded.admin_url(database)


def count(url: str, sql: str, params=None) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchone()[0]


@pytest.fixture(scope="module")
def demo():
    from studio.sources import demo as demo_source

    loaded = demo_source.load()
    return loaded, plan_from_design(loaded.catalog, parse(DEMO_DECISIONS))


@pytest.fixture(scope="module")
def demo_split(demo):
    loaded, plan = demo
    with tenant_databases() as prefix:
        report = split(loaded.url, plan, template_for(prefix), create_databases=True)
        yield loaded, plan, prefix, report


def _tenant_ids(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {tenant_split.slugify(slug): tid for tid, slug in conn.execute("SELECT id, slug FROM public.tenants")}


def test_demo_tenant_rows_land_in_their_own_database(demo_split):
    loaded, plan, prefix, report = demo_split
    assert report.ok, report.text()
    tenants = _tenant_ids(loaded.url)
    assert len(tenants) >= 3 and {t.tenant.slug for t in report.tenants} == set(tenants)
    direct = [t for t in plan.tenant_tables if loaded.catalog.table(t.name).column("tenant_id")]
    assert len(direct) >= 15
    for slug, tid in tenants.items():
        target = url_of(prefix + slug)
        for table in direct:
            name = qualified_name(table.name)
            expected = count(loaded.url, f"SELECT count(*) FROM {name} WHERE tenant_id = %s", (tid,))
            assert count(target, f"SELECT count(*) FROM {name}") == expected, (slug, table.name)
            assert count(target, f"SELECT count(*) FROM {name} WHERE tenant_id <> %s", (tid,)) == 0
        # work_order_photos has no tenant column: its rows follow their work order
        photos = count(loaded.url, "SELECT count(*) FROM public.work_order_photos p JOIN public.work_orders w "
                                   "ON p.work_order_id = w.id WHERE w.tenant_id = %s", (tid,))
        assert count(target, "SELECT count(*) FROM public.work_order_photos") == photos
    total_photos = count(loaded.url, "SELECT count(*) FROM public.work_order_photos")
    assert sum(count(url_of(prefix + s), "SELECT count(*) FROM public.work_order_photos") for s in tenants) == total_photos


def test_demo_shared_tables_are_copied_whole(demo_split):
    loaded, plan, prefix, report = demo_split
    shared = [t.name for t in plan.shared_tables]
    assert "catalog.parts" in shared and "public.tenants" in shared
    for slug in _tenant_ids(loaded.url):
        for name in shared:
            assert count(url_of(prefix + slug), f"SELECT count(*) FROM {qualified_name(name)}") == \
                count(loaded.url, f"SELECT count(*) FROM {qualified_name(name)}"), (slug, name)


def test_demo_tenant_databases_reintrospect_to_the_target(demo_split):
    loaded, plan, prefix, report = demo_split
    schemas = sorted({t.schema for t in plan.target.tables})
    for slug in _tenant_ids(loaded.url):
        copy = postgres.introspect(url_of(prefix + slug), schemas=schemas)
        assert model_differences(plan.target, copy) == [], slug
        # sequences continue where the source's are, so new ids never collide with copied ones
        assert count(url_of(prefix + slug), "SELECT last_value FROM public.work_orders_id_seq") == \
            count(loaded.url, "SELECT last_value FROM public.work_orders_id_seq")


def test_demo_control_plane_routes_every_tenant(demo_split):
    loaded, plan, prefix, report = demo_split
    control = url_of(prefix + "control_plane")
    with psycopg.connect(control) as conn:
        rows = conn.execute("SELECT t.slug, t.status, d.database_name, d.schema_version FROM control_plane.tenants t "
                            "JOIN control_plane.tenant_databases d ON d.tenant_id = t.id ORDER BY t.id").fetchall()
    assert [(slug, status, db) for slug, status, db, _ in rows] == \
        [(t.tenant.slug, "active", prefix + t.tenant.slug) for t in report.tenants]
    assert all(version == plan.schema_version for *_, version in rows)


def test_demo_rerun_skips_completed_tenants(demo_split):
    loaded, plan, prefix, report = demo_split
    again = split(loaded.url, plan, template_for(prefix), create_databases=True)
    assert again.ok and [t.status for t in again.tenants] == ["skipped"] * len(report.tenants)
    assert {t.tenant.slug: t.counts for t in again.tenants} == {t.tenant.slug: t.counts for t in report.tenants}


class Crash(Exception):
    """Stands in for a kill: the run stops in the middle of a tenant's copy."""


def test_interrupted_split_resumes_and_redoes_a_half_done_tenant(demo):
    loaded, plan = demo
    with tenant_databases() as prefix:
        template = template_for(prefix)
        seen: list[str] = []

        def crash_in_second_tenant(message: str) -> None:
            seen.append(message)
            if message.startswith(f"tenant {slugs[1]}: ") and message.endswith("public.work_orders"):
                raise Crash()

        slugs = list(_tenant_ids(loaded.url))
        with pytest.raises(Crash):
            split(loaded.url, plan, template, create_databases=True, progress=crash_in_second_tenant)
        first, second = (url_of(prefix + s) for s in slugs[:2])
        assert count(first, "SELECT count(*) FROM studio_split.completed") == 1
        assert count(second, "SELECT count(to_regclass('public.work_orders'))") == 0  # rolled back
        # a half-done database: an earlier attempt left a table with stray rows and no marker
        with psycopg.connect(second, autocommit=True) as conn:
            conn.execute("CREATE TABLE public.shops (junk int)")
            conn.execute("INSERT INTO public.shops SELECT generate_series(1, 50)")
        resumed = split(loaded.url, plan, template, create_databases=True)
        assert resumed.ok, resumed.text()
        assert [t.status for t in resumed.tenants] == ["skipped"] + ["copied"] * (len(slugs) - 1)
        tid = _tenant_ids(loaded.url)[slugs[1]]
        assert count(second, "SELECT count(*) FROM public.shops") == \
            count(loaded.url, "SELECT count(*) FROM public.shops WHERE tenant_id = %s", (tid,))
        assert resumed.unbalanced() == []


def test_missing_tenant_database_fails_that_tenant_only_then_resumes(demo):
    loaded, plan = demo
    with tenant_databases() as prefix:
        template = template_for(prefix)
        slugs = list(_tenant_ids(loaded.url))
        with embedded.connect() as conn:
            for name in ["control_plane", *slugs[:-1]]:
                conn.execute(f"CREATE DATABASE {ident(prefix + name)}")
        report = split(loaded.url, plan, template)
        assert not report.ok
        assert [t.status for t in report.tenants] == ["copied"] * (len(slugs) - 1) + ["failed"]
        assert prefix + slugs[-1] in report.tenants[-1].error and "\n" not in report.tenants[-1].error
        assert "split INCOMPLETE" in report.text()
        with embedded.connect() as conn:
            conn.execute(f"CREATE DATABASE {ident(prefix + slugs[-1])}")
        resumed = split(loaded.url, plan, template)
        assert resumed.ok and [t.status for t in resumed.tenants] == ["skipped"] * (len(slugs) - 1) + ["copied"]


MIXED_CASE = """
CREATE SCHEMA "Crm";
CREATE TABLE "Crm"."Organizations" ("OrgId" integer PRIMARY KEY, "Slug" text NOT NULL, name text NOT NULL);
CREATE TABLE "Crm"."Projects" (id integer PRIMARY KEY, "OrgId" integer REFERENCES "Crm"."Organizations", title text);
CREATE TABLE public.tasks (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                           project_id integer REFERENCES "Crm"."Projects", note text,
                           note_length integer GENERATED ALWAYS AS (length(note)) STORED);
CREATE TABLE public.events (id integer PRIMARY KEY, tenant_id integer, kind text);
CREATE TABLE public.labels (id integer PRIMARY KEY, name text NOT NULL);
INSERT INTO "Crm"."Organizations" VALUES (1, 'acme', 'Acme Co'), (2, 'Beta Labs!', 'Beta');
INSERT INTO "Crm"."Projects" VALUES (1, 1, 'a'), (2, 2, 'b'), (3, NULL, 'orphan');
INSERT INTO public.tasks (project_id, note) VALUES (1, 'x'), (1, 'yy'), (2, 'z'), (3, 'on the orphan'), (NULL, 'loose');
INSERT INTO public.events VALUES (1, 1, 'in'), (2, 2, 'in'), (3, 99, 'unknown'), (4, NULL, 'none');
INSERT INTO public.labels VALUES (1, 'red'), (2, 'blue');
"""


def test_null_and_unknown_tenant_rows_are_reported_and_kept(scratch_db):
    scratch_db.execute(MIXED_CASE)
    catalog = scratch_db.catalog()
    plan = plan_from_design(catalog, parse(DEMO_DECISIONS + 'tenant_table = "Crm.Organizations"\n'))
    assert {t.name for t in plan.tenant_tables} == {"Crm.Projects", "public.tasks", "public.events"}
    with tenant_databases() as prefix:
        report = split(scratch_db.url, plan, template_for(prefix), create_databases=True)
        assert report.ok, report.text()
        assert [t.tenant.slug for t in report.tenants] == ["acme", "beta_labs"]
        assert report.unassigned == {
            "Crm.Projects": {tenant_split.NO_TENANT: 1},
            "public.tasks": {tenant_split.NO_TENANT: 2},
            "public.events": {tenant_split.NO_TENANT: 1, "unknown tenant 99": 1},
        }
        assert "public.events: 1 rows, unknown tenant 99" in report.text()
        kept = list(tenant_split.unassigned_rows(url_of(prefix + "control_plane")))
        assert len(kept) == 5
        assert ("public.tasks", tenant_split.NO_TENANT, "loose") in [(t, r, row.get("note")) for t, r, row in kept]
        acme = url_of(prefix + "acme")
        assert count(acme, "SELECT count(*) FROM public.tasks") == 2
        assert count(acme, "SELECT sum(note_length) FROM public.tasks") == 3  # generated column recomputed
        assert count(acme, 'SELECT count(*) FROM "Crm"."Projects"') == 1
        assert count(url_of(prefix + "beta_labs"), "SELECT count(*) FROM public.labels") == 2
        assert report.unbalanced() == []


def test_chinook_splits_by_employee():
    """Singular table names, <table>_id keys, and a tenant reached through support_rep_id, not tenant_id."""
    from studio.sources.ddl import load_file

    loaded = load_file(corpus_file("chinook-postgresql.sql"))
    try:
        plan = plan_from_design(loaded.catalog, parse(DEMO_DECISIONS + 'tenant_table = "employee"\n'))
        assert {t.name for t in plan.tenant_tables} == {"public.customer", "public.invoice", "public.invoice_line"}
        admin = embedded.admin_url(loaded.database)
        with tenant_databases() as prefix:
            report = split(admin, plan, template_for(prefix), create_databases=True)
            assert report.ok, report.text()
            assert len(report.tenants) == count(admin, "SELECT count(*) FROM employee") >= 3
            for entry in report.tenants:
                rep = int(entry.tenant.id)
                target = url_of(prefix + entry.tenant.slug)
                assert count(target, "SELECT count(*) FROM invoice_line") == count(
                    admin, "SELECT count(*) FROM invoice_line l JOIN invoice i USING (invoice_id) "
                           "JOIN customer c USING (customer_id) WHERE c.support_rep_id = %s", (rep,))
            assert sum(count(url_of(prefix + e.tenant.slug), "SELECT count(*) FROM invoice_line") for e in report.tenants) \
                + sum(report.unassigned.get("public.invoice_line", {}).values()) == count(admin, "SELECT count(*) FROM invoice_line")
            assert count(url_of(prefix + report.tenants[0].tenant.slug), "SELECT count(*) FROM track") == \
                count(admin, "SELECT count(*) FROM track") > 3000
    finally:
        loaded.drop()


def test_cli_bad_target_is_one_line_naming_it(tmp_path, capsys):
    from studio.cli import main

    decisions = tmp_path / "design.toml"
    decisions.write_text(DEMO_DECISIONS)
    assert main(["split", "--demo", "--decisions", str(decisions), "--target", "postgresql://db.example/tenants"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "postgresql://db.example/tenants" in err and "{tenant}" in err
    bad = "postgresql://splitter:s3cret@/nowhere_{tenant}?host=/nonexistent-socket-dir"
    assert main(["split", "--demo", "--decisions", str(decisions), "--target", bad]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nowhere_control_plane" in err and "s3cret" not in err and "Traceback" not in err


def test_cli_split_of_the_demo(tmp_path, capsys):
    from studio.cli import main

    decisions = tmp_path / "design.toml"
    decisions.write_text(DEMO_DECISIONS)
    with tenant_databases() as prefix:
        args = ["split", "--demo", "--decisions", str(decisions), "--target", template_for(prefix), "--create-databases"]
        assert main(args) == 0
        out = capsys.readouterr().out
        assert out.count("counts match") == 3 and "split complete: 3 of 3" in out


def test_verify_runs_the_split_of_a_database_per_tenant_bundle(tmp_path, monkeypatch):
    from psycopg import conninfo

    from studio.bundle.verify import verify
    from studio.cli import main

    decisions = tmp_path / "design.toml"
    decisions.write_text(DEMO_DECISIONS)
    bundle = tmp_path / "bundle.zip"
    assert main(["export", "--demo", "--fix", "none", "--decisions", str(decisions), "--no-verify", "-o", str(bundle)]) == 0
    targets: list[str] = []  # this verify's own scratch databases (other tests split the demo at the same time)
    real_split = tenant_split.split

    def recording_split(source_url, plan, target_template, **kwargs):
        targets.append(conninfo.conninfo_to_dict(target_template)["dbname"].replace(tenant_split.PLACEHOLDER, ""))
        return real_split(source_url, plan, target_template, **kwargs)

    monkeypatch.setattr(tenant_split, "split", recording_split)
    result = verify(bundle, demo=True)
    checks = {c.name: c for c in result.checks}
    split_check = checks[tenant_split.CHECK_NAME]
    assert split_check.ok, split_check.detail
    assert "3 tenant databases" in split_check.detail and "0 rows unassigned" in split_check.detail
    assert len(targets) == 1 and targets[0].startswith("studio_scratch_")
    with embedded.connect() as conn:
        left = conn.execute("SELECT datname FROM pg_database WHERE starts_with(datname, %s)", (targets[0],)).fetchall()
    assert not left  # the split's scratch databases are dropped
    import zipfile

    readme = zipfile.ZipFile(bundle).read("README.md").decode()
    assert "schema-studio split" in readme and "--target" in readme


def demo_database() -> str:
    from studio.sources import demo as demo_source

    return demo_source.ensure_database()


def test_verify_adds_no_split_check_to_other_designs():
    assert tenant_split.prove('[tenancy]\nmodel = "rls"\n', "unused", "unused", None) is None
    assert tenant_split.prove("", "unused", "unused", None) is None


CROSS_TENANT = """
CREATE TABLE tenants (id bigint PRIMARY KEY, slug text NOT NULL);
CREATE TABLE projects (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants);
CREATE TABLE tasks (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants,
                    project_id bigint NOT NULL REFERENCES projects);
CREATE TABLE comments (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants,
                       task_id bigint NOT NULL REFERENCES tasks);
INSERT INTO tenants VALUES (1, 'a'), (2, 'b');
INSERT INTO projects VALUES (10, 1), (20, 2);
-- task 3 is tenant a's but points at tenant b's project; comment 300 is on it
INSERT INTO tasks VALUES (1, 1, 10), (2, 2, 20), (3, 1, 20);
INSERT INTO comments VALUES (100, 1, 1), (200, 2, 2), (300, 1, 3);
"""


def test_rows_pointing_at_another_tenants_rows_are_unassigned_with_what_hangs_on_them(scratch_db):
    scratch_db.execute(CROSS_TENANT)
    plan = plan_from_design(scratch_db.catalog(), parse(DEMO_DECISIONS))
    with tenant_databases() as prefix:
        report = split(scratch_db.url, plan, template_for(prefix), create_databases=True)
        assert report.ok, report.text()
        assert report.unassigned == {"public.tasks": {tenant_split.STRAY: 1}, "public.comments": {tenant_split.STRAY: 1}}
        kept = {(table, row["id"]) for table, _, row in tenant_split.unassigned_rows(url_of(prefix + "control_plane"))}
        assert kept == {("public.tasks", 3), ("public.comments", 300)}
        a = url_of(prefix + "a")
        assert count(a, "SELECT count(*) FROM public.tasks") == 1 and count(a, "SELECT count(*) FROM public.comments") == 1
        assert count(url_of(prefix + "b"), "SELECT count(*) FROM public.tasks") == 1
        assert report.unbalanced() == []


CROSSING_CYCLE = """
CREATE TABLE public.tenants (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE public.projects (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES public.tenants,
                              lead_task_id bigint, title text NOT NULL);
CREATE TABLE public.tasks (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES public.tenants,
                           project_id bigint NOT NULL REFERENCES public.projects, title text NOT NULL);
ALTER TABLE public.projects ADD FOREIGN KEY (lead_task_id) REFERENCES public.tasks (id);
CREATE TABLE public.comments (id bigint PRIMARY KEY, task_id bigint NOT NULL REFERENCES public.tasks, body text NOT NULL);
INSERT INTO public.tenants VALUES (1, 'acme'), (2, 'beta');
INSERT INTO public.projects VALUES (1, 1, NULL, 'a1'), (2, 2, NULL, 'b1'), (3, 1, NULL, 'a2 led by a crossing task');
INSERT INTO public.tasks VALUES (1, 1, 1, 'a'), (2, 1, 2, 'acme task in beta project'), (3, 2, 2, 'b'),
                                (4, 1, 3, 'in the project the crossing task leads'), (5, 1, 1, 'a');
UPDATE public.projects SET lead_task_id = 2 WHERE id = 3;
INSERT INTO public.comments VALUES (1, 1, 'kept'), (2, 2, 'on the crossing task'), (3, 4, 'two steps away'), (4, 3, 'b');
"""


def test_a_stray_row_takes_what_references_it_through_a_cycle_and_a_parent_path(scratch_db):
    """A task of acme in beta's project would break tasks_project_id_fkey in acme's database: it stays in the
    control plane with its reason, and so does everything that references it however far (the project it leads
    through the cycle, that project's other task, their comments). Every source row is in one place."""
    scratch_db.execute(CROSSING_CYCLE)
    plan = plan_from_design(scratch_db.catalog(), parse(DEMO_DECISIONS))
    with tenant_databases() as prefix:
        report = split(scratch_db.url, plan, template_for(prefix), create_databases=True)
        assert report.ok, report.text()
        kept = {(t, row["id"]): reason for t, reason, row in tenant_split.unassigned_rows(url_of(prefix + "control_plane"))}
        assert set(kept) == {("public.tasks", 2), ("public.projects", 3), ("public.tasks", 4),
                             ("public.comments", 2), ("public.comments", 3)}
        assert set(kept.values()) == {tenant_split.STRAY}
        acme, beta = url_of(prefix + "acme"), url_of(prefix + "beta")
        assert count(acme, "SELECT array_agg(id ORDER BY id) FROM public.tasks") == [1, 5]
        assert count(acme, "SELECT array_agg(id ORDER BY id) FROM public.projects") == [1]
        assert count(acme, "SELECT array_agg(id ORDER BY id) FROM public.comments") == [1]
        assert count(beta, "SELECT array_agg(id ORDER BY id) FROM public.tasks") == [3]
        assert count(beta, "SELECT array_agg(id ORDER BY id) FROM public.comments") == [4]
        assert report.unbalanced() == []
        assert report.unassigned == {"public.tasks": {tenant_split.STRAY: 2}, "public.projects": {tenant_split.STRAY: 1},
                                     "public.comments": {tenant_split.STRAY: 2}}
