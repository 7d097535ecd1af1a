"""Domain blueprints: each loads, passes the studio's own analyzers, and its constraints hold."""

from __future__ import annotations

import datetime as dt
import json

import psycopg
import pytest

from analyzers.engine import analyze
from studio import blueprints, ddl
from studio.cli import main
from studio.design.decisions import parse
from studio.errors import ConfigError

NAMES = [i.name for i in blueprints.list_blueprints()]
TODAY = dt.date(2025, 3, 14)


def load(scratch_db, name: str, tenancy: str, **kwargs) -> blueprints.Blueprint:
    blueprint = blueprints.render(name, tenancy=tenancy, today=TODAY, **kwargs)
    scratch_db.execute(blueprint.sql)
    return blueprint


def rejects(scratch_db, sql: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        scratch_db.execute(sql)


def test_all_seven_blueprints_are_listed():
    assert NAMES == [
        "equipment-hierarchy",
        "diagnostic-codes",
        "repair-procedures",
        "cost-tracking",
        "monetization",
        "scraping-provenance",
        "audit-trail",
    ]
    for info in blueprints.list_blueprints():
        assert info.description and len(info.tradeoffs) >= 3


@pytest.mark.parametrize("tenancy", ["rls", "none"])
@pytest.mark.parametrize("name", NAMES)
def test_blueprint_loads_and_the_analyzers_find_nothing(scratch_db, name, tenancy):
    blueprint = load(scratch_db, name, tenancy)
    catalog = scratch_db.catalog()
    created = {t.qualified for t in catalog.stored_tables if t.kind != "partition"}
    assert created == set(blueprint.tables)
    findings = analyze(catalog).findings
    assert [(f.severity, f.rule, f.table, f.columns) for f in findings] == []
    tenant_tables = [t for t in catalog.stored_tables if t.column("tenant_id") and t.kind != "partition"]
    if tenancy == "rls":
        assert tenant_tables and all(t.rls_enabled and t.rls_forced and t.policies for t in tenant_tables)
        assert all(t.primary_key.columns[0] == "tenant_id" for t in tenant_tables)
    else:
        assert tenant_tables == [] and "tenants" not in {t.name for t in catalog.tables}
    for table in catalog.stored_tables:
        assert table.comment, f"{table.qualified} has no comment"


def test_the_analyzers_do_look_at_blueprints(scratch_db):
    """Guard against a silent pass: weaken one blueprint table and the analyzers notice."""
    load(scratch_db, "repair-procedures", "rls")
    scratch_db.execute(
        "ALTER TABLE repair.procedure_steps NO FORCE ROW LEVEL SECURITY;"
        "ALTER TABLE repair.procedure_approvals DROP CONSTRAINT procedure_approvals_approver_id_fkey;"
        "DROP INDEX repair.procedure_approvals_tenant_id_procedure_version_id_idx;"
    )
    rules = {(f.rule, f.table) for f in analyze(scratch_db.catalog()).findings}
    assert ("rls-not-forced", "repair.procedure_steps") in rules
    assert ("unindexed-foreign-key", "repair.procedure_approvals") in rules


@pytest.mark.parametrize("tenancy", ["rls", "none"])
def test_overlapping_interpretations_of_a_code_are_rejected(scratch_db, tenancy):
    load(scratch_db, "diagnostic-codes", tenancy)
    scratch_db.execute(
        "INSERT INTO diagnostics.trouble_codes (code, system, title) VALUES ('P0301', 'powertrain', 'Misfire'), "
        "('P0302', 'powertrain', 'Misfire 2');"
        "INSERT INTO diagnostics.code_interpretations (trouble_code_id, version, valid_during, description) "
        "VALUES (1, 1, '[2024-01-01,2025-01-01)', 'v1'), (1, 2, '[2025-01-01,)', 'v2 adjacent is fine'),"
        " (2, 1, '[2024-06-01,)', 'another code overlaps freely')"
    )
    rejects(
        scratch_db,
        "INSERT INTO diagnostics.code_interpretations (trouble_code_id, version, valid_during, description) "
        "VALUES (1, 3, '[2024-12-01,2024-12-31)', 'overlaps v1')",
        psycopg.errors.ExclusionViolation,
    )


def _repair_fixture(scratch_db, tenancy: str) -> str:
    load(scratch_db, "repair-procedures", tenancy)
    t, v = ("tenant_id, ", "1, ") if tenancy == "rls" else ("", "")
    if tenancy == "rls":
        scratch_db.execute("INSERT INTO repair.tenants (slug, name) VALUES ('acme', 'Acme'), ('globex', 'Globex')")
    scratch_db.execute(
        f"INSERT INTO repair.users ({t}email, display_name) VALUES ({v}'a@x.io', 'A');"
        f"INSERT INTO repair.procedures ({t}code, title) VALUES ({v}'BRK-1', 'Brake pads');"
        f"INSERT INTO repair.procedure_versions ({t}procedure_id, version, status, effective_during, summary, author_id)"
        f" VALUES ({v}1, 1, 'approved', '[2024-01-01,2025-01-01)', 'v1', 1),"
        f" ({v}1, 2, 'draft', '[2024-06-01,2026-01-01)', 'a draft may overlap', 1),"
        f" ({v}1, 3, 'approved', '[2025-01-01,)', 'next period', 1)"
    )
    return t, v


@pytest.mark.parametrize("tenancy", ["rls", "none"])
def test_a_second_approved_version_in_the_same_period_is_rejected(scratch_db, tenancy):
    t, v = _repair_fixture(scratch_db, tenancy)
    rejects(
        scratch_db,
        "UPDATE repair.procedure_versions SET status = 'approved' WHERE version = 2",
        psycopg.errors.ExclusionViolation,
    )
    rejects(
        scratch_db,
        f"INSERT INTO repair.procedure_versions ({t}procedure_id, version, status, summary, author_id)"
        f" VALUES ({v}1, 4, 'approved', 'approved without a period', 1)",
        psycopg.errors.CheckViolation,
    )
    rejects(
        scratch_db,
        f"INSERT INTO repair.procedure_versions ({t}procedure_id, version, status, summary, author_id)"
        f" VALUES ({v}1, 4, 'published', 'not a workflow state', 1)",
        psycopg.errors.CheckViolation,
    )


def test_a_cross_tenant_reference_is_rejected(scratch_db):
    _repair_fixture(scratch_db, "rls")
    # tenant 2 points at tenant 1's procedure (id 1): the composite key (tenant_id, procedure_id) has no match
    scratch_db.execute("INSERT INTO repair.users (tenant_id, email, display_name) VALUES (2, 'b@x.io', 'B')")
    rejects(
        scratch_db,
        "INSERT INTO repair.procedure_versions (tenant_id, procedure_id, version, summary, author_id)"
        " VALUES (2, 1, 9, 'steals tenant 1''s procedure', 2)",
        psycopg.errors.ForeignKeyViolation,
    )
    rejects(
        scratch_db,
        "INSERT INTO repair.procedure_approvals (tenant_id, procedure_version_id, approver_id, decision)"
        " VALUES (1, 1, 2, 'approved')",  # user 2 belongs to tenant 2
        psycopg.errors.ForeignKeyViolation,
    )


@pytest.mark.parametrize("tenancy", ["rls", "none"])
def test_price_lists_reject_an_unknown_currency_and_overlaps_per_region(scratch_db, tenancy):
    load(scratch_db, "cost-tracking", tenancy)
    t, v = ("tenant_id, ", "1, ") if tenancy == "rls" else ("", "")
    if tenancy == "rls":
        scratch_db.execute("INSERT INTO costs.tenants (slug, name) VALUES ('acme', 'Acme'), ('globex', 'Globex')")
    scratch_db.execute(
        "INSERT INTO costs.currencies VALUES ('EUR', 'Euro', 2), ('USD', 'US dollar', 2);"
        f"INSERT INTO costs.price_lists ({t}region, currency_code, valid_during) VALUES"
        f" ({v}'DE', 'EUR', '[2025-01-01,2025-07-01)'), ({v}'US', 'USD', '[2025-01-01,2025-07-01)'),"
        f" ({v}'DE', 'EUR', '[2025-07-01,2026-01-01)')"
    )
    rejects(
        scratch_db,
        f"INSERT INTO costs.price_lists ({t}region, currency_code, valid_during) VALUES ({v}'FR', 'XXX', '[2025-01-01,)')",
        psycopg.errors.ForeignKeyViolation,
    )
    rejects(
        scratch_db,
        f"INSERT INTO costs.price_lists ({t}region, currency_code, valid_during) VALUES ({v}'DE', 'EUR', '[2025-03-01,2025-04-01)')",
        psycopg.errors.ExclusionViolation,
    )
    if tenancy == "rls":  # another tenant's DE list may overlap
        scratch_db.execute(
            "INSERT INTO costs.price_lists (tenant_id, region, currency_code, valid_during) VALUES (2, 'DE', 'EUR', '[2025-03-01,2025-04-01)')"
        )
    scratch_db.execute(
        f"INSERT INTO costs.parts ({t}part_number, name) VALUES ({v}'P-1', 'Pad');"
        f"INSERT INTO costs.part_prices ({t}price_list_id, part_id, unit_cost, unit_price) VALUES ({v}1, 1, 10, 15), ({v}3, 1, 11, 17)"
    )
    assert scratch_db.query("SELECT unit_price, currency_code FROM costs.price_at(1, 'DE', '2025-08-01')") == [(17, "EUR")]
    assert scratch_db.query("SELECT unit_price FROM costs.price_at(1, 'DE', '2025-02-01')") == [(15,)]


@pytest.mark.parametrize("tenancy", ["rls", "none"])
def test_usage_events_and_occurrences_are_partitioned_by_month(scratch_db, tenancy):
    load(scratch_db, "monetization", tenancy)
    partitions = scratch_db.query(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'monetization.usage_events'::regclass ORDER BY 1"
    )
    assert [p[0] for p in partitions] == [
        "usage_events_default",
        "usage_events_y2025m03",
        "usage_events_y2025m04",
        "usage_events_y2025m05",
    ]
    t, v = ("tenant_id, ", "1, ") if tenancy == "rls" else ("", "")
    if tenancy == "rls":
        scratch_db.execute("INSERT INTO monetization.tenants (slug, name) VALUES ('acme', 'Acme')")
    scratch_db.execute(
        "INSERT INTO monetization.currencies VALUES ('EUR', 'Euro', 2);"
        "INSERT INTO monetization.plans (code, name, price_amount, currency_code, billing_interval) VALUES ('pro', 'Pro', 49, 'EUR', 'month');"
        f"INSERT INTO monetization.users ({t}email, display_name) VALUES ({v}'a@x.io', 'A');"
        f"INSERT INTO monetization.subscriptions ({t}plan_id, owner_id, current_period) VALUES ({v}1, 1, '[2025-03-01,2025-04-01)');"
        f"INSERT INTO monetization.usage_events ({t}occurred_at, subscription_id, feature) VALUES"
        f" ({v}'2025-04-02 10:00+00', 1, 'api_calls'), ({v}'2031-01-01 00:00+00', 1, 'api_calls')"
    )
    placed = scratch_db.query("SELECT tableoid::regclass::text FROM monetization.usage_events ORDER BY occurred_at")
    assert placed == [("monetization.usage_events_y2025m04",), ("monetization.usage_events_default",)]
    rejects(
        scratch_db,
        f"INSERT INTO monetization.api_keys ({t}owner_id, label, display_prefix, secret_hash) VALUES ({v}1, 'ci', 'sk_1', 'plain')",
        psycopg.errors.CheckViolation,
    )


def test_audit_trail_records_changes_with_before_and_after(scratch_db):
    scratch_db.execute(
        "CREATE TABLE public.tenants (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);"
        "CREATE TABLE public.notes (tenant_id bigint NOT NULL REFERENCES public.tenants, id bigint GENERATED ALWAYS "
        "AS IDENTITY, body text NOT NULL, PRIMARY KEY (tenant_id, id));"
    )
    load(scratch_db, "audit-trail", "rls", attach={"tenant": "public.tenants"}, audited=("public.notes",))
    scratch_db.execute(
        "INSERT INTO public.tenants (name) VALUES ('Acme');"
        "SET app.user_id = 'u-7'; INSERT INTO public.notes (tenant_id, body) VALUES (1, 'first');"
        "UPDATE public.notes SET body = 'second'; UPDATE public.notes SET body = 'second'; DELETE FROM public.notes;"
    )
    rows = scratch_db.query(
        "SELECT tenant_id, operation, old_row->>'body', new_row->>'body', table_name FROM audit.audit_log ORDER BY id"
    )
    assert rows == [
        (1, "INSERT", None, "first", "notes"),
        (1, "UPDATE", "first", "second", "notes"),
        (1, "DELETE", "second", None, "notes"),
    ]


DEMO_DESIGN = """
[tenancy]
model = "rls"
tenant_table = "public.tenants"

[[blueprint]]
name = "repair-procedures"
attach = { parts = "catalog.parts" }

[[blueprint]]
name = "diagnostic-codes"
attach = { equipment = "public.equipment_units" }

[[blueprint]]
name = "equipment-hierarchy"

[[blueprint]]
name = "cost-tracking"

[[blueprint]]
name = "monetization"

[[blueprint]]
name = "scraping-provenance"

[[blueprint]]
name = "audit-trail"
audited = ["public.work_orders"]
"""


@pytest.fixture(scope="module")
def demo_catalog():
    from studio.sources import demo

    return demo.load().catalog


def test_all_blueprints_merge_into_the_demo_and_the_target_ddl_loads(scratch_db, demo_catalog):
    decisions = parse(DEMO_DESIGN)
    result = blueprints.merge.merge(demo_catalog, decisions.blueprints, tenant_table="public.tenants", today=TODAY)
    assert result.collisions == ()
    by_name = {b.name: b for b in result.blueprints}
    # attach points resolve to the demo's tables or to another blueprint of the same design
    assert dict(by_name["repair-procedures"].attached) == {
        "tenant": "public.tenants",
        "users": "public.users",
        "trouble_codes": "diagnostics.trouble_codes",
        "parts": "catalog.parts",
    }
    assert dict(by_name["monetization"].attached)["currencies"] == "costs.currencies"
    assert [b.name for b in result.blueprints].index("diagnostic-codes") < [b.name for b in result.blueprints].index(
        "repair-procedures"
    )
    sql, collisions = blueprints.merge_into(demo_catalog, decisions.blueprints, today=TODAY)
    assert sql == result.sql and collisions == ()
    scratch_db.execute(ddl.render(demo_catalog) + "\n" + sql)
    target = scratch_db.catalog()
    added = {t for b in result.blueprints for t in b.tables}
    assert added <= {t.qualified for t in target.tables}
    findings = [f for f in analyze(target).findings if f.table in added]
    assert [(f.rule, f.table, f.columns) for f in findings] == []
    # the cross-tenant composite key reaches into the demo's own tenant-keyed users table
    fks = {fk.ref_table: fk.columns for fk in target.table("repair.procedure_approvals").foreign_keys}
    assert fks["public.users"] == ("tenant_id", "approver_id")


def test_a_name_collision_is_reported_with_a_rename_that_works(scratch_db, demo_catalog):
    use = {"name": "scraping-provenance", "schema": "scraping", "tenancy": "none"}
    sql, collisions = blueprints.merge_into(demo_catalog, [use])
    assert [(c.table, c.suggested) for c in collisions] == [("scraping.sources", "scraping.provenance_sources")]
    assert 'rename = { sources = "provenance_sources" }' in collisions[0].message
    sql, collisions = blueprints.merge_into(demo_catalog, [{**use, "rename": {"sources": "provenance_sources"}}])
    assert collisions == ()
    scratch_db.execute(ddl.render(demo_catalog) + "\n" + sql)
    assert scratch_db.catalog().table("scraping.provenance_sources") is not None


def test_two_blueprints_in_one_schema_share_their_foundations(demo_catalog):
    uses = [{"name": "cost-tracking", "schema": "shop"}, {"name": "monetization", "schema": "shop"}]
    result = blueprints.merge.merge(demo_catalog, uses)
    assert result.collisions == ()
    assert [t for b in result.blueprints for t in b.tables].count("shop.currencies") == 1


def test_bad_blueprint_options_are_config_errors(demo_catalog):
    with pytest.raises(ConfigError, match="no such blueprint; did you mean monetization"):
        blueprints.render("monetisation")
    with pytest.raises(ConfigError, match="unknown option 'colour'"):
        blueprints.merge_into(demo_catalog, [{"name": "audit-trail", "colour": "red"}])
    with pytest.raises(ConfigError, match="attach users = 'public.people': no such table"):
        blueprints.merge_into(demo_catalog, [{"name": "monetization", "attach": {"users": "public.people"}}])
    with pytest.raises(ConfigError, match="keyed by tenant"):
        blueprints.merge_into(
            demo_catalog, [{"name": "monetization", "tenancy": "none", "attach": {"users": "public.users"}}]
        )
    with pytest.raises(ConfigError, match="unknown attach point 'owner'"):
        blueprints.render("audit-trail", attach={"owner": "public.users"})


def test_cli_list_and_show(capsys):
    assert main(["blueprint", "list", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [b["name"] for b in listed] == NAMES and all(b["tradeoffs"] for b in listed)
    assert main(["blueprint", "list"]) == 0
    assert capsys.readouterr().out.count("\n") == len(NAMES)
    assert main(["blueprint", "show", "cost-tracking", "--tenancy", "none", "--schema", "Pricing"]) == 0
    out = capsys.readouterr().out
    assert 'CREATE TABLE "Pricing".price_lists' in out and "tenant_id" not in out
    assert main(["blueprint", "show", "diagnostic-codes", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Blueprint `diagnostic-codes`") and "## Trade-offs" in out and "```sql" in out
    assert main(["blueprint", "show", "nope"]) == 2
    assert "no such blueprint" in capsys.readouterr().err


GALLERY_SCRIPT = """
import streamlit as st
from studio.ui.blueprints import render_gallery
render_gallery(st.session_state.get("catalog"))
"""


def test_gallery_shows_every_blueprint_and_adds_one_to_the_design(demo_catalog):
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_string(GALLERY_SCRIPT, default_timeout=120)
    app.session_state["catalog"] = demo_catalog
    app.run()
    assert not app.exception
    assert [e.label for e in app.expander if e.label in NAMES] == NAMES
    assert any("CREATE TABLE monetization.usage_events" in c.value for c in app.code)
    app.text_input(key="blueprint.monetization.schema").set_value("billing2")
    app.radio(key="blueprint.monetization.tenancy").set_value("none")
    app.run()
    app.selectbox(key="blueprint.monetization.attach.currencies").set_value("public.tenants")  # any table will do
    app.button(key="blueprint.monetization.add").click()
    app.run()
    assert not app.exception
    decisions = app.session_state["decisions"]
    (use,) = decisions.blueprints
    assert use.name == "monetization"
    assert dict(use.options) == {"schema": "billing2", "tenancy": "none", "attach": {"currencies": "public.tenants"}}
    assert 'name = "monetization"' in decisions.to_toml()
