"""Designs that move tables (schema-per-tenant, hybrid): export + verify end to end, rows conserved, downs restore."""

from __future__ import annotations

from studio.design.decisions import Decisions, Tenancy
from studio.migrate.export import build_export
from studio.sources import open_source

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
    from studio.migrate.phases import render
    from studio.migrate.plan import build_plan
    from studio.verify import run_script

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
