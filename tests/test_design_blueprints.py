"""Blueprints from design.toml in the design: merged after the design choices, in the target
model (so the ERD and the analyzers see them), in the DDL that loads, and collisions refused
with the rename that frees the name."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest

from studio.design.apply import design
from studio.design.decisions import parse
from studio.errors import ConfigError
from studio.sources import embedded
from studio.sources.postgres import introspect
from tests.test_blueprints import DEMO_DESIGN

TODAY = dt.date(2026, 3, 15)
SEVEN = ("repair-procedures", "diagnostic-codes", "equipment-hierarchy", "cost-tracking", "monetization",
         "scraping-provenance", "audit-trail")
# schema-per-tenant puts the blueprints in the template, beside the demo's own subscriptions and api_keys
RENAMED = 'name = "monetization"\nrename = { subscriptions = "plan_subscriptions", api_keys = "plan_api_keys" }'


@pytest.fixture(scope="module")
def demo_catalog():
    from studio.sources import demo

    return demo.load().catalog


def _built(sql: str, *statements: str):
    with embedded.scratch_database("design_bp") as db:
        url = embedded.admin_url(db)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql)
            for statement in statements:
                conn.execute(statement)
        return introspect(url, schemas=None)


def test_all_seven_blueprints_join_the_rls_design(demo_catalog):
    decisions = parse(DEMO_DESIGN)
    assert tuple(b.name for b in decisions.blueprints) == SEVEN
    result = design(demo_catalog, decisions, today=TODAY)
    added = [t for t in result.target.tables if t.schema in ("diagnostics", "repair", "equipment", "costs", "monetization", "provenance", "audit")]
    assert {t.schema for t in added} == {"diagnostics", "repair", "equipment", "costs", "monetization", "provenance", "audit"}
    note = next(n for n in result.notes if n.topic == "blueprints")
    assert note.title.startswith("7 blueprints add ")
    # the audit trigger the blueprint attaches to an existing table is in the model too
    assert any("audit" in tr.definition for tr in result.target.table("public.work_orders").triggers)
    # attached to the design's keys: repair approvals reference the tenant-keyed users
    approvals = result.target.table("repair.procedure_approvals")
    assert any(fk.ref_table == "public.users" and fk.columns == ("tenant_id", "approver_id") for fk in approvals.foreign_keys)
    built = _built(result.ddl())
    for t in added:
        if t.is_stored:
            b = built.table(t.qualified)
            assert b is not None, t.qualified
            if t.column("tenant_id") is not None and t.kind != "partition":
                assert b.rls_enabled and b.rls_forced, t.qualified
    assert "+CREATE TABLE repair.procedures (" in result.diff()


def test_schema_per_tenant_copies_the_blueprints_per_tenant(demo_catalog):
    decisions = parse(DEMO_DESIGN.replace('model = "rls"', 'model = "schema-per-tenant"').replace('name = "monetization"', RENAMED))
    result = design(demo_catalog, decisions, today=TODAY)
    template = {t.name for t in result.target.stored_tables if t.schema == "tenant_template"}
    assert {"procedures", "code_occurrences", "plan_subscriptions", "subscriptions"} <= template
    built = _built(result.ddl(), "SELECT public.provision_tenant('a')")
    copied = {t.name for t in built.tables if t.schema == "tenant_a"}
    assert {"procedures", "code_occurrences", "plan_subscriptions"} <= copied


def test_a_collision_is_an_error_naming_the_table_and_the_rename(demo_catalog):
    decisions = parse(DEMO_DESIGN.replace('model = "rls"', 'model = "schema-per-tenant"'))
    with pytest.raises(ConfigError) as error:
        design(demo_catalog, decisions, today=TODAY)
    message = str(error.value)
    assert "table tenant_template.subscriptions already exists" in message
    assert 'rename = { subscriptions = "monetization_subscriptions" }' in message
    assert "\n" not in message
    one = parse('[tenancy]\nmodel = "rls"\ntenant_table = "public.tenants"\n\n'
                '[[blueprint]]\nname = "scraping-provenance"\nschema = "scraping"\ntenancy = "none"\n')
    with pytest.raises(ConfigError, match=r'scraping.sources already exists; rename .*rename = \{ sources = "provenance_sources" \}'):
        design(demo_catalog, one, today=TODAY)
