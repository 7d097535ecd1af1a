"""Designs that move tables (schema-per-tenant, hybrid): export + verify end to end, rows conserved, downs restore."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.bundle.manifest import read_bundle
from studio.bundle.verify import model_differences, run_script
from studio.design.decisions import Decisions, Tenancy
from studio.migrate.export import build_export
from studio.migrate.phases import render
from studio.migrate.plan import build_plan
from studio.sources import open_source
from tests.conftest import corpus_file
from tests.interrupt import interrupted
from tests.squawk import assert_squawk_passes, bundle_migrations

SCHEMA_PER_TENANT = Decisions(tenancy=Tenancy(model="schema-per-tenant"))


def _check(result, name: str) -> str:
    check = next(c for c in result.checks if c.name.startswith(name))
    assert check.ok, result.text()
    return check.detail


def test_demo_schema_per_tenant_moves_every_row():
    export = build_export(open_source(demo=True), accepted="none", decisions=SCHEMA_PER_TENANT,
                          decisions_toml=SCHEMA_PER_TENANT.to_toml())
    result = export.verified
    assert result.ok, result.text()
    assert "0 in quarantine" not in _check(result, "no row lost"), "the demo's duplicate invoice numbers and orphan payments are quarantined"
    tenants = {t.schema for t in result.migrated.tables if t.schema.startswith("tenant_") and t.schema != "tenant_template"}
    assert tenants == {"tenant_northwind_repair_1", "tenant_fjord_diagnostics_2", "tenant_sierra_fleet_3"}
    assert not any("not planned automatically" in n and "moves or drops" in n for n in export.plan.notes)
    assert any(s.phase == "contract" and s.name == "retire_pooled_tables" for s in export.plan.steps)
    assert any("continues after the last committed key" in s.risk for s in export.plan.steps if s.name.startswith("move_"))


def test_null_and_unknown_tenant_rows_end_in_the_quarantine(scratch_db):
    from studio.bundle.verify import run_script
    from studio.migrate.phases import render
    from studio.migrate.plan import build_plan

    scratch_db.execute("""
    CREATE TABLE tenants (id bigint PRIMARY KEY, slug text NOT NULL UNIQUE);
    CREATE TABLE "Orders" (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant_id bigint, total numeric);
    INSERT INTO tenants VALUES (1, 'Acme Corp'), (2, 'acme-corp');
    INSERT INTO "Orders" (tenant_id, total) SELECT 1 + g % 2, g FROM generate_series(1, 50) g;
    INSERT INTO "Orders" (tenant_id, total) VALUES (NULL, 1), (99, 2);
    """)
    catalog = scratch_db.catalog()
    decisions = Decisions(tenancy=Tenancy(model="schema-per-tenant", tenant_table="public.tenants"))
    scripts = render(build_plan(catalog, (), "none", decisions))
    notices: list[str] = []
    for script in scripts:
        run_script(scratch_db.url, script.up, script.up_name, notices)
    assert sorted(r[0] for r in scratch_db.query("SELECT schema_name FROM schema_studio_migration.tenant_schemas")) == [
        "tenant_acme_corp_1", "tenant_acme_corp_2"], "same slug, different keys: collision-free names"
    copied = sum(scratch_db.query(f'SELECT count(*) FROM {s}."Orders"')[0][0] for s in ("tenant_acme_corp_1", "tenant_acme_corp_2"))
    quarantined = scratch_db.query("SELECT reason FROM schema_studio_quarantine.quarantined_rows")
    assert copied == 50 and len(quarantined) == 2 and all("no tenant" in r[0] for r in quarantined)
    assert scratch_db.query("SELECT count(*) FROM schema_studio_retired.\"Orders\"")[0][0] == 52, "retired, not destroyed"
    nxt = scratch_db.query("SELECT nextval(pg_get_serial_sequence('tenant_acme_corp_1.\"Orders\"', 'id'))")[0][0]
    assert nxt > 50, "the copy's identity continues after the copied values"
    for script in reversed(scripts):
        run_script(scratch_db.url, script.down, script.down_name, notices)
    assert scratch_db.query('SELECT count(*) FROM "Orders"')[0][0] == 52


# hybrid, the corpus, interruptions, squawk ---------------------------------------------------------

HYBRID = Decisions(tenancy=Tenancy(model="hybrid", dedicated_tenants=("Northwind Repair", "nobody")))


@pytest.fixture(scope="module")
def hybrid_export():
    return build_export(open_source(demo=True), accepted="none", decisions=HYBRID, decisions_toml=HYBRID.to_toml())


@pytest.fixture(scope="module")
def chinook_export():
    """Singular table names, <table>_id keys, a tenant (employee) with no slug reached through support_rep_id."""
    path = corpus_file("chinook-postgresql.sql")
    decisions = Decisions(tenancy=Tenancy(model="schema-per-tenant", tenant_table="public.employee"))
    with open_source(ddl=path) as source:
        return build_export(source, accepted="none", decisions=decisions, decisions_toml=decisions.to_toml(),
                            verify_source={"ddl": path})


def test_demo_hybrid_moves_a_dedicated_tenant_through_the_shops_users_cycle(hybrid_export):
    result = hybrid_export.verified
    assert result.ok, result.text()
    steps = [s.name for s in hybrid_export.plan.steps]
    assert steps[-2:] == ["provision_dedicated_tenants", "move_dedicated_tenants"], "after the RLS contract: final shape"
    move = next(s for s in hybrid_export.plan.steps if s.name == "move_dedicated_tenants")
    assert "WITH c0 AS (INSERT INTO" in move.up[0] and "public.shops" in move.up[0] and "public.users" in move.up[0]
    moved = [n for n in result.notices if "moved tenant 1 into tenant_northwind_repair" in n]
    assert moved and '"public.shops": 3' in moved[0] and '"public.users": 5' in moved[0], result.notices
    assert any("dedicated tenant nobody: no row of public.tenants matches it" in n for n in result.notices)
    assert any("on the scratch copy: dedicated tenant nobody: no row" in n for n in hybrid_export.plan.notes)
    assert "dedicated tenant nobody: no row" in read_bundle(hybrid_export.data)["README.md"].decode()
    assert any("'Northwind Repair' is not a schema name" in n and "'northwind_repair'" in n for n in hybrid_export.plan.notes)
    held = [n for n in result.notices if "the dedicated schema cannot take moved to the quarantine" in n]
    assert held, "the demo's duplicate invoice numbers (an INVALID unique index in the pool) cannot enter a valid one"
    schemas = {t.schema for t in result.migrated.tables}
    assert {"tenant_northwind_repair", "tenant_nobody"} <= schemas
    lost = next(c for c in result.checks if c.name.startswith("no row lost"))
    assert "0 in quarantine" not in lost.detail


def test_corpus_schema_per_tenant_verifies(chinook_export):
    result = chinook_export.verified
    assert result.ok, result.text()
    tenants = {t.schema for t in result.migrated.tables if t.schema.startswith("tenant_") and t.schema != "tenant_template"}
    assert tenants == {f"tenant_{n}" for n in range(1, 9)}, "employees have no slug: schemas by key"
    counted = [n for n in result.notices if "public.invoice_line:" in n and "pooled rows =" in n]
    assert counted and "2240 pooled rows = 2240 copied + 0 quarantined" in counted[0]


@pytest.mark.parametrize("bundle", ["hybrid_export", "chinook_export"])
def test_squawk_passes_every_move_migration(bundle, request, tmp_path: Path):
    export = request.getfixturevalue(bundle)
    paths = assert_squawk_passes(bundle_migrations(export.data), tmp_path)
    assert any("move" in p for p in paths)


POOL = """
CREATE TABLE tenants (id bigint PRIMARY KEY, slug text NOT NULL UNIQUE);
CREATE TABLE "Shops" (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants (id), manager_id bigint);
CREATE TABLE "Users" (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants (id), shop_id bigint REFERENCES "Shops" (id));
ALTER TABLE "Shops" ADD CONSTRAINT shops_manager_fkey FOREIGN KEY (manager_id) REFERENCES "Users" (id);
CREATE TABLE orders (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants (id),
                     shop_id bigint REFERENCES "Shops" (id), total numeric);
CREATE INDEX ON "Shops" (tenant_id); CREATE INDEX ON "Shops" (manager_id); CREATE INDEX ON "Users" (tenant_id);
CREATE INDEX ON "Users" (shop_id); CREATE INDEX ON orders (tenant_id); CREATE INDEX ON orders (shop_id);
INSERT INTO tenants VALUES (1, 'Acme'), (2, 'Beta'), (3, 'Gamma');
INSERT INTO "Shops" SELECT g, 1 + g % 3, NULL FROM generate_series(1, 30) g;
INSERT INTO "Users" SELECT g, 1 + g % 3, g FROM generate_series(1, 30) g;
UPDATE "Shops" SET manager_id = id;
INSERT INTO orders SELECT g, 1 + g % 3, 3 + 3 * (g % 9) + g % 3, g FROM generate_series(1, 30000) g;  -- a shop of its tenant
ANALYZE;
"""
TABLES = ('"Shops"', '"Users"', "orders")


def _counts(db, where: str = "") -> dict[str, int]:
    return {t: db.query(f"SELECT count(*) FROM {t}{where}")[0][0] for t in TABLES}


def _apply(db, scripts, notices: list[str]) -> None:
    for script in scripts:
        run_script(db.url, script.up, script.up_name, notices)


def test_interrupted_hybrid_move_resumes_and_downs_bring_the_rows_back(scratch_db):
    scratch_db.execute(POOL)
    catalog = scratch_db.catalog()
    before = _counts(scratch_db)
    decisions = Decisions(tenancy=Tenancy(model="hybrid", tenant_table="public.tenants", dedicated_tenants=("acme", "beta")))
    scripts = render(build_plan(catalog, (), "none", decisions))
    move = next(s for s in scripts if s.step.name == "move_dedicated_tenants")
    notices: list[str] = []
    _apply(scratch_db, scripts[: scripts.index(move)], notices)
    # beta (second by schema name) is blocked by an uncommitted row of its own copy: acme commits, beta is cancelled
    interrupted(scratch_db, move, "INSERT INTO tenant_beta.orders (id, tenant_id, total) "
                                   "SELECT id, tenant_id, total FROM public.orders WHERE tenant_id = 2 ORDER BY id DESC LIMIT 1")
    assert _counts(scratch_db, " WHERE tenant_id = 1") == dict.fromkeys(TABLES, 0), "acme moved in its own transaction"
    assert _counts(scratch_db, " WHERE tenant_id = 2") == _counts(scratch_db, " WHERE tenant_id = 3"), "beta untouched"
    assert scratch_db.query("SELECT count(*) FROM tenant_beta.orders")[0][0] == 0
    run_script(scratch_db.url, move.up, move.up_name, notices)  # run again: acme skipped, beta moves
    assert any("tenant 1 already moved into tenant_acme" in n for n in notices), notices
    assert _counts(scratch_db, " WHERE tenant_id IN (1, 2)") == dict.fromkeys(TABLES, 0)
    for tenant, schema in ((1, "tenant_acme"), (2, "tenant_beta")):
        copied = {t: scratch_db.query(f"SELECT count(*) FROM {schema}.{t}")[0][0] for t in TABLES}
        assert copied == {t: n // 3 for t, n in before.items()}, f"{schema}: every row of tenant {tenant}"
    assert scratch_db.query("SELECT placement, schema_name FROM tenant_placements ORDER BY tenant_id") == [
        ("dedicated", "tenant_acme"), ("dedicated", "tenant_beta")]
    for script in reversed(scripts):
        run_script(scratch_db.url, script.down, script.down_name, notices)
    assert _counts(scratch_db) == before
    assert model_differences(catalog, scratch_db.catalog()) == []


def test_interrupted_schema_per_tenant_copy_resumes_with_counts_equal(scratch_db):
    scratch_db.execute(POOL)
    before = _counts(scratch_db)
    decisions = Decisions(tenancy=Tenancy(model="schema-per-tenant", tenant_table="public.tenants"))
    scripts = render(build_plan(scratch_db.catalog(), (), "none", decisions))
    copy = next(s for s in scripts if s.step.name == "move_orders")
    notices: list[str] = []
    _apply(scratch_db, scripts[: scripts.index(copy)], notices)
    held = 25000  # a row of tenant acme's copy held by another session: the copy stops in the batch that holds it
    interrupted(scratch_db, copy, f"INSERT INTO tenant_acme_1.orders (id, tenant_id, total) VALUES ({held - held % 3}, 1, 0)")
    last_key, done, finished = scratch_db.query(
        "SELECT last_key, rows_done, finished_at FROM schema_studio_migration.progress WHERE step LIKE 'move public.orders -> tenant_acme_1'")[0]
    assert finished is None and 0 < done < 10000 and int(last_key.strip("[]")) < held, "stopped half-way, earlier batches committed"
    assert scratch_db.query("SELECT count(*) FROM tenant_acme_1.orders")[0][0] == done
    run_script(scratch_db.url, copy.up, copy.up_name, notices)  # run again: continues after the last committed key
    assert any("resuming the move of public.orders into tenant_acme_1" in n for n in notices), notices
    _apply(scratch_db, scripts[scripts.index(copy) + 1:], notices)  # validate raises unless pooled = copied + quarantined
    copied = {t: sum(scratch_db.query(f"SELECT count(*) FROM {s}.{t}")[0][0] for s in ("tenant_acme_1", "tenant_beta_2", "tenant_gamma_3"))
              for t in TABLES}
    assert copied == before
    assert any("public.orders: 30000 pooled rows = 30000 copied + 0 quarantined" in n for n in notices), notices


def test_readme_explains_run_order_window_and_retired_schema(hybrid_export, chinook_export):
    from studio.migrate.tenant_moves import runbook

    retired = read_bundle(chinook_export.data)["README.md"].decode()
    assert "## Tenant moves: schema-per-tenant" in retired and "Compatibility window" in retired
    assert "DROP SCHEMA schema_studio_retired CASCADE" in retired and "A person drops it" in retired
    hybrid = read_bundle(hybrid_export.data)["README.md"].decode()
    assert "## Tenant moves: hybrid" in hybrid and "No retired schema" in hybrid and "Compatibility window" in hybrid
    assert hybrid.index("## Run order") < hybrid.index("## Tenant moves") < hybrid.index("## Rollback")
    rls = build_plan(open_source(demo=True).catalog, (), "none", Decisions(tenancy=Tenancy(model="rls")))
    assert runbook(rls) == [], "other designs get no tenant-move section"
