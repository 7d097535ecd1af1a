"""Every tenancy model, with every accepted fix (the CLI's default), exports a bundle that verifies on the demo.

Fixes and designs meet here: a fix on a table the design moves into tenant schemas is left (the pooled table
is retired), database-per-tenant changes nothing in this database (the split builds the others), Citus
distribution warns instead of failing where Citus is absent, and a fix that changes a pooled table shows in
the dedicated schemas copied from it."""

from __future__ import annotations

import functools

import pytest

from studio.design.decisions import Decisions, Tenancy
from studio.migrate.export import build_export
from studio.sources import open_source

MODELS = {
    "rls": Tenancy(model="rls"),
    "schema-per-tenant": Tenancy(model="schema-per-tenant"),
    "database-per-tenant": Tenancy(model="database-per-tenant"),
    "hybrid": Tenancy(model="hybrid", dedicated_tenants=("Northwind Repair",)),
    "citus": Tenancy(model="citus"),
}


@functools.cache
def exported(model: str):
    decisions = Decisions(tenancy=MODELS[model])
    with open_source(demo=True) as source:
        return build_export(source, accepted="all", decisions=decisions, decisions_toml=decisions.to_toml())


@pytest.mark.parametrize("model", sorted(MODELS))
def test_every_model_with_every_fix_verifies(model):
    export = exported(model)
    result = export.verified
    assert result.ok, f"{model}:\n{result.text()}"
    assert export.plan.fixed, f"{model}: the fixes the design does not supersede are applied"


def test_fixes_on_moved_tables_are_left_to_the_template():
    export = exported("schema-per-tenant")
    moved = {t for step in export.plan.steps if step.name.startswith("move_") for t in step.tables}
    assert moved, "the move steps name the tables they copy"
    assert not [k for k in export.plan.fixed if k.split(":")[1] in moved], "no fix claimed on a retired pooled table"
    assert any("apply the fix to the template" in left.reason for left in export.plan.left)


def test_database_per_tenant_leaves_this_database_to_the_split():
    export = exported("database-per-tenant")
    assert not [t for t in export.verified.migrated.tables if t.schema == "control_plane"]
    assert any("schema-studio split" in note for note in export.plan.notes)
    assert any(c.name.startswith("database-per-tenant split") and c.ok for c in export.verified.checks)


def test_citus_distribution_warns_without_citus():
    export = exported("citus")
    assert any("citus is not installed" in n for n in export.verified.notices)
    assert any(s.name.startswith("distribute") for s in export.plan.steps)


def test_uuid_keys_for_existing_integer_keys_are_refused_with_the_way_out():
    from studio.errors import ConfigError

    decisions = Decisions(key_strategy="uuidv7")
    with open_source(demo=True) as source, pytest.raises(ConfigError, match=r'uuidv7.*into uuid \(.*keys.strategy = "keep"'):
        build_export(source, accepted="none", decisions=decisions, decisions_toml=decisions.to_toml(), run_verify=False)


EVERYTHING = """
[tenancy]
model = "{model}"
{dedicated}
[keys]
strategy = "bigint-identity"
[[history]]
table = "catalog.repair_procedures"
mode = "effective-dated"
[[history]]
table = "public.customers"
mode = "audit-trigger"
[[partition]]
table = "public.dtc_occurrences"
strategy = "range"
column = "occurred_at"
interval = "month"
[[blueprint]]
name = "diagnostic-codes"
schema = "public"
tenancy = "rls"
[[blueprint]]
name = "cost-tracking"
schema = "public"
tenancy = "rls"
"""


@pytest.mark.slow
@pytest.mark.parametrize("model", sorted(MODELS))
def test_every_model_with_keys_history_partitioning_and_blueprints_verifies(model):
    """All design dimensions at once meet each other: history triggers on tables the tenancy moves, a partitioned
    table a dedicated tenant's rows leave, blueprint functions over new tables, blueprint tables in dedicated schemas."""
    from studio.design.decisions import parse

    text = EVERYTHING.format(model=model, dedicated='dedicated_tenants = ["Sierra Fleet"]' if model == "hybrid" else "")
    decisions = parse(text, f"{model} design")
    with open_source(demo=True) as source:
        export = build_export(source, accepted="all", decisions=decisions, decisions_toml=text)
    assert export.verified.ok, f"{model}:\n{export.verified.text()}"


SHARED_TABLE_GUESSES_A_POOLED_ONE = """
CREATE TABLE tenants (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
CREATE TABLE projects (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants, name text NOT NULL);
CREATE INDEX ON projects (tenant_id);
-- shared (no tenant column): guessed keys to a pooled table and to a shared one
CREATE TABLE project_stats (id bigint PRIMARY KEY, project_id bigint NOT NULL, user_id bigint, hits bigint);
INSERT INTO tenants VALUES (1, 'a'), (2, 'b');
INSERT INTO users VALUES (1, 'x@example.com');
INSERT INTO projects VALUES (10, 1, 'p'), (20, 2, 'q');
INSERT INTO project_stats VALUES (1, 10, 1, 5), (2, 99, 7, 1);
"""


def test_a_guessed_key_onto_a_table_the_design_retires_is_left(tmp_path):
    path = tmp_path / "shared.sql"
    path.write_text(SHARED_TABLE_GUESSES_A_POOLED_ONE, encoding="utf-8")
    decisions = Decisions(tenancy=MODELS["schema-per-tenant"])
    with open_source(ddl=path) as source:
        export = build_export(source, accepted="all", decisions=decisions, decisions_toml=decisions.to_toml(),
                              verify_source={"ddl": str(path)})
    assert export.verified.ok, export.verified.text()
    left = {(item.table, item.rule): item.reason for item in export.plan.left}
    assert "retires" in left.get(("public.project_stats", "implied-foreign-key"), ""), left
    guessed = [s.title for s in export.plan.steps if s.name.startswith("guessed_")]
    assert any("-> public.users" in title for title in guessed), guessed
    assert not any("-> public.projects" in title for title in guessed), guessed
