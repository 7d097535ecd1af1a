"""Citus (not installed here) checked statement by statement against its documented rules; keys,
history, decisions errors and the CLI on the demo."""

from __future__ import annotations

import re

import psycopg
import pytest

from studio.cli import main
from studio.design.apply import design
from studio.design.decisions import Decisions, History, Tenancy, parse, validate
from studio.errors import ConfigError
from studio.sources import demo, embedded
from studio.sources.postgres import introspect

CALL = re.compile(r"SELECT create_(distributed|reference)_table\('([^']+)'(?:, '([^']+)')?(?:, colocate_with => '([^']+)')?\);")


@pytest.fixture(scope="module")
def demo_catalog():
    return demo.load().catalog


def _unquote(name: str) -> str:
    return ".".join(part.strip('"') for part in name.split("."))


@pytest.mark.parametrize("with_blueprints", [False, True], ids=["demo", "demo+blueprints"])
def test_citus_statements_follow_citus_rules(demo_catalog, with_blueprints):
    if with_blueprints:
        from tests.test_blueprints import DEMO_DESIGN

        decisions = parse(DEMO_DESIGN.replace('model = "rls"', 'model = "citus"'))
    else:
        decisions = Decisions(tenancy=Tenancy(model="citus"))
    result = design(demo_catalog, decisions)
    calls = [s for s in result.extra_sql if s.startswith("SELECT create_")]
    assert calls and len(calls) == len(result.extra_sql)
    distributed, reference, colocated = {}, set(), set()
    for statement in calls:
        kind, table, column, colocate = CALL.fullmatch(statement).groups()
        if kind == "reference":
            assert not distributed, "reference tables are created before the distributed tables that reference them"
            reference.add(_unquote(table))
        else:
            distributed[_unquote(table)] = column
            if colocate:
                colocated.add(_unquote(colocate))
    assert len(colocated) == 1 and colocated <= set(distributed)
    # The non-Citus part loads on plain PostgreSQL; the rules are checked on what it built.
    body = result.ddl().split("SELECT create_")[0]
    with embedded.scratch_database("citus") as db:
        with psycopg.connect(embedded.admin_url(db), autocommit=True) as conn:
            conn.execute(body)
        built = introspect(embedded.admin_url(db))
    stored = {t.qualified for t in built.stored_tables if t.kind != "partition"}
    assert stored == set(distributed) | reference, "every table is distributed or a reference table"
    for name, column in distributed.items():
        t = built.table(name)
        keys = ([t.primary_key.columns] if t.primary_key else []) + [u.columns for u in t.uniques]
        keys += [i.column_keys for i in t.indexes if i.unique]
        for key in keys:
            assert column in key, f"{name}: unique key {key} lacks the distribution column {column}"
        for e in t.exclusions:
            assert column in e.columns, f"{name}: exclusion {e.name} lacks {column}"
        for fk in t.foreign_keys:
            if fk.ref_table in distributed:
                other = distributed[fk.ref_table]
                assert column in fk.columns and other in fk.ref_columns, f"{name}.{fk.name} must carry {column}"
                assert fk.columns.index(column) == fk.ref_columns.index(other), f"{name}.{fk.name}: distribution columns must pair up"
            else:
                assert fk.ref_table in reference
    for name in reference:
        for fk in built.table(name).foreign_keys:
            assert fk.ref_table not in distributed, f"reference table {name} must not reference distributed {fk.ref_table}"


@pytest.mark.parametrize("strategy", ["bigint-identity", "uuidv7"])
def test_key_strategies_load_and_follow(demo_catalog, strategy):
    result = design(demo_catalog, Decisions(key_strategy=strategy))
    with embedded.scratch_database("keys") as db:
        url = embedded.admin_url(db)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(result.ddl())
            if strategy == "uuidv7":
                # Ordered by their millisecond timestamp (within one millisecond the rest is random).
                first, = conn.execute("SELECT public.uuidv7()").fetchone()
                conn.execute("SELECT pg_sleep(0.002)")
                second, = conn.execute("SELECT public.uuidv7()").fetchone()
                assert first.version == 7 and str(first) < str(second)
                millis = conn.execute("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint").fetchone()[0]
                assert abs((second.int >> 80) - millis) < 60_000, "the first 48 bits hold the Unix time in milliseconds"
        built = introspect(url)
    want = "uuid" if strategy == "uuidv7" else "bigint"
    for t in built.stored_tables:
        for fk in t.foreign_keys:
            ref = built.table(fk.ref_table)
            for col, ref_col in zip(fk.columns, fk.ref_columns, strict=True):
                assert t.column(col).type == ref.column(ref_col).type, f"{t.qualified}.{col} follows {fk.ref_table}.{ref_col}"
    assert built.table("public.tenants").column("id").type == want


def test_history_effective_dating_rejects_overlaps(demo_catalog):
    decisions = Decisions(history=(History("catalog.repair_procedures", "effective-dated"), History("public.customers", "audit-trigger")))
    result = design(demo_catalog, decisions)
    versions = result.target.table("catalog.repair_procedures_versions")
    assert versions is not None and "WITH &&" in versions.exclusions[0].definition
    with embedded.scratch_database("history") as db:
        url = embedded.admin_url(db)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(result.ddl())
            conn.execute("SET session_replication_role = replica")
            key = [c for c in versions.primary_key.columns if c != "valid_from"]
            cols = ", ".join([*key, "valid_from", "valid_to"] + [c.name for c in versions.columns if not c.nullable and c.name not in (*key, "valid_from", "valid_to") and c.default is None])
            assert cols.count(",") == len(key) + 1, "the test inserts only key and period columns"
            conn.execute(f"INSERT INTO catalog.repair_procedures_versions ({cols}) VALUES (1, '2025-01-01', '2025-06-01')")
            conn.execute(f"INSERT INTO catalog.repair_procedures_versions ({cols}) VALUES (1, '2025-06-01', 'infinity')")
            with pytest.raises(psycopg.errors.ExclusionViolation):
                conn.execute(f"INSERT INTO catalog.repair_procedures_versions ({cols}) VALUES (1, '2025-05-01', '2025-07-01')")
            conn.execute("SET session_replication_role = origin")
            conn.execute("INSERT INTO public.tenants (slug, name, created_at) VALUES ('t', 'T', now())")
            tenant = conn.execute("SELECT id FROM public.tenants").fetchone()[0]
            conn.execute(
                "INSERT INTO public.customers (tenant_id, customer_number, name, phone1, created_at) VALUES (%s, 'C1', 'Ann', '1', now())",
                (tenant,),
            )
            conn.execute("UPDATE public.customers SET name = 'Anna'")
            rows = conn.execute("SELECT operation, name FROM public.customers_history ORDER BY history_id").fetchall()
    assert rows == [("INSERT", "Ann"), ("UPDATE", "Anna")]


def test_decisions_errors_name_the_key(demo_catalog):
    with pytest.raises(ConfigError, match="interval needs a date or timestamp column"):
        validate(parse('[[partition]]\ntable="public.work_orders"\nstrategy="range"\ncolumn="status"\n'), demo_catalog)
    with pytest.raises(ConfigError, match="list value 3 does not fit"):
        validate(parse('[[partition]]\ntable="public.work_orders"\nstrategy="list"\ncolumn="status"\nvalues=[3]\n'), demo_catalog)
    with pytest.raises(ConfigError, match=r"unknown key tenancy\.'colour'"):
        parse('[tenancy]\ncolour="blue"\n')
    with pytest.raises(ConfigError, match="no such table"):
        validate(parse('[tenancy]\ntenant_table="public.tenantz"\n'), demo_catalog)


def test_scope_reasons_include_child_reached_through_parent(demo_catalog):
    result = design(demo_catalog, Decisions(tenancy=Tenancy(model="rls")))
    photos = result.scope.tables["public.work_order_photos"]
    assert photos.added and photos.parent == "public.work_orders" and "backfilled" in photos.reason
    assert "catalog.parts" in result.scope.shared
    column = result.target.table("public.work_order_photos").column("tenant_id")
    assert column is not None and not column.nullable
    fk = next(fk for fk in result.target.table("public.work_order_photos").foreign_keys if fk.ref_table == "public.work_orders")
    assert fk.columns == ("tenant_id", "work_order_id") and fk.ref_columns == ("tenant_id", "id")
    text = result.notes_text()
    assert "SET LOCAL app.tenant_id" in text and "BYPASSRLS" in text and "backfilled from the parent" in text


def test_cli_design_formats(tmp_path, capsys):
    decisions = tmp_path / "design.toml"
    decisions.write_text('[tenancy]\nmodel = "schema-per-tenant"\n')
    assert main(["design", "--demo", "--decisions", str(decisions), "--format", "notes"]) == 0
    assert "Catalog growth with schema-per-tenant" in capsys.readouterr().out
    out = tmp_path / "target.sql"
    assert main(["design", "--demo", "--decisions", str(decisions), "-o", str(out)]) == 0
    assert "CREATE FUNCTION public.provision_tenant" in out.read_text()
    assert main(["design", "--demo", "--decisions", str(decisions), "--format", "diff"]) == 0
    assert "+CREATE TABLE tenant_template." in capsys.readouterr().out
    decisions.write_text('[keys]\nstrategy = "sideways"\n')
    assert main(["design", "--demo", "--decisions", str(decisions)]) == 2
    err = capsys.readouterr().err
    assert "keys.strategy = 'sideways'" in err and "Traceback" not in err
