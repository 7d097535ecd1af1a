"""The built-in demo: it loads, it is reused, and its answer key matches the database.

The analyzers' own tests assert that they find every answer-key finding and nothing else;
these tests pin the demo itself, so a broken demo is reported here and not as a rule bug.
"""

from __future__ import annotations

import re

import psycopg
import pytest

from studio import demo
from studio.sources import demo as demo_source
from studio.sql import ident, idents, qualified

# Every rule id of the catalog (RULES.md). The demo plants each of them at least once.
CATALOG_RULES = {
    "no-primary-key",
    "implied-foreign-key",
    "foreign-key-type-mismatch",
    "foreign-key-cycle",
    "natural-key-not-unique",
    "nullable-unique-column",
    "unindexed-foreign-key",
    "duplicate-index",
    "redundant-index",
    "repeating-column-group",
    "denormalized-column",
    "polymorphic-association",
    "entity-attribute-value",
    "float-for-money",
    "money-type",
    "timestamp-without-time-zone",
    "json-instead-of-jsonb",
    "serial-instead-of-identity",
    "tenant-table-without-rls",
    "rls-enabled-without-policy",
    "rls-not-forced",
    "orphaned-rows",
    "duplicate-natural-key-values",
    "column-never-null",
    "invalid-index",
    "not-valid-constraint",
    "duplicate-foreign-key",
    "integer-key-exhaustion",
    "inconsistent-column-type",
    "table-inheritance",
    "char-n-type",
    "tenant-scope-gap",
    "cross-tenant-foreign-key",
    "rls-policy-ignores-tenant",
    "rls-policy-always-true",
    "multiple-permissive-policies",
    "unique-without-tenant-key",
    "soft-delete-full-unique",
    "cascade-blast-radius",
    "status-without-constraint",
    "security-definer-search-path",
    "identifier-hazard",
}
# Data checks the team added beside the catalog.
EXTRA_RULES = {"denormalized-copy-drift"}
FUNCTION_RULES = {"security-definer-search-path"}


@pytest.fixture(scope="module")
def loaded():
    return demo_source.load()


@pytest.fixture(scope="module")
def key():
    return demo.answer_key()


@pytest.fixture(scope="module")
def db(loaded):
    with psycopg.connect(loaded.url, autocommit=True) as conn:
        yield conn


def scalar(conn, sql: str, params=None):
    return conn.execute(sql, params).fetchone()[0]


def test_demo_has_about_36_tables_in_four_schemas(loaded):
    tables = loaded.catalog.stored_tables
    assert 34 <= len(tables) <= 40
    assert {t.schema for t in tables} == {"public", "catalog", "billing", "scraping"}
    assert all(t.row_estimate and t.row_estimate > 0 for t in tables), "ANALYZE gives every table an estimate"


def test_every_table_has_rows(loaded, db):
    empty = [
        t.qualified
        for t in loaded.catalog.stored_tables
        if scalar(db, f"SELECT count(*) FROM ONLY {qualified(t.schema, t.name)}") == 0
    ]
    assert empty == []


def test_answer_key_covers_every_catalog_rule_once_per_key(key):
    rules = {f.rule for f in key.findings}
    assert rules == CATALOG_RULES | EXTRA_RULES
    keys = [f.key for f in key.findings]
    assert len(keys) == len(set(keys))
    assert {c.rule for c in key.clean} <= CATALOG_RULES
    assert not {c.key for c in key.clean} & set(keys)
    assert all(e.why for e in (*key.findings, *key.clean))


def test_answer_key_names_existing_tables_and_columns_in_table_order(loaded, key):
    catalog = loaded.catalog
    functions = {f"{f.schema}.{f.name}" for f in catalog.functions}
    for entry in (*key.findings, *key.clean):
        if entry.rule in FUNCTION_RULES:
            assert entry.table in functions, entry
            continue
        table = catalog.table(entry.table)
        assert table is not None, entry
        assert all(table.column(c) is not None for c in entry.columns), entry
        order = [c for c in table.column_names if c in entry.columns]
        assert list(entry.columns) == order, f"{entry.key}: columns not in table order"
        assert all(catalog.table(r) is not None for r in entry.related), entry


def test_planted_orphans_have_exact_counts(loaded, key, db):
    catalog = loaded.catalog
    for entry in key.for_rule("orphaned-rows"):
        table = catalog.table(entry.table)
        parent = catalog.table(entry.related[0])
        declared = [fk for fk in table.foreign_keys if fk.columns == entry.columns]
        ref_columns = declared[0].ref_columns if declared else parent.primary_key.columns
        if declared:
            assert not declared[0].validated, f"{entry.key}: a validated FK cannot have orphans"
        else:
            assert len(entry.columns) == 1 and parent.primary_key.columns == ("id",)
        match = " AND ".join(
            f"p.{ident(r)} = c.{ident(c)}" for c, r in zip(entry.columns, ref_columns, strict=True)
        )
        orphans = scalar(
            db,
            f"SELECT count(*) FROM {qualified(table.schema, table.name)} c WHERE NOT EXISTS "
            f"(SELECT 1 FROM {qualified(parent.schema, parent.name)} p WHERE {match})",
        )
        assert orphans == entry.count, entry


def test_planted_duplicate_natural_keys_have_exact_counts(loaded, key, db):
    for entry in key.for_rule("duplicate-natural-key-values"):
        table = loaded.catalog.table(entry.table)
        name = qualified(table.schema, table.name)
        for group in (list(entry.columns), ["tenant_id", *entry.columns]):
            values, rows = db.execute(
                f"SELECT count(*), coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM {name} "
                f"GROUP BY {idents(group)} HAVING count(*) > 1) d"
            ).fetchone()
            assert (values, rows) == (entry.count, entry.rows), (entry, group)


def test_planted_denormalized_copies_drift(loaded, key, db):
    (entry,) = key.for_rule("denormalized-copy-drift")
    (column,) = entry.columns
    stem, parent_column = column.split("_", 1)
    table = loaded.catalog.table(entry.table)
    (fk,) = [
        fk for fk in table.foreign_keys if f"{stem}_id" in fk.columns and fk.ref_table == entry.related[0]
    ]
    parent = loaded.catalog.table(fk.ref_table)
    join = " AND ".join(
        f"p.{ident(r)} = c.{ident(c)}" for c, r in zip(fk.columns, fk.ref_columns, strict=True)
    )
    drifted = scalar(
        db,
        f"SELECT count(*) FROM {qualified(table.schema, table.name)} c "
        f"JOIN {qualified(parent.schema, parent.name)} p ON {join} "
        f"WHERE p.{ident(parent_column)} IS DISTINCT FROM c.{ident(column)}",
    )
    assert drifted == entry.count


def test_only_the_planted_nullable_column_is_never_null(loaded, key, db):
    planted = {(f.table, f.columns[0]) for f in key.for_rule("column-never-null")}
    never_null = set()
    for table in loaded.catalog.stored_tables:
        name = qualified(table.schema, table.name)
        for column in table.columns:
            if (
                column.nullable
                and scalar(db, f"SELECT count(*) FROM ONLY {name} WHERE {ident(column.name)} IS NULL") == 0
            ):
                never_null.add((table.qualified, column.name))
    assert never_null == planted


def test_invalid_index_is_left_behind_in_the_loaded_demo(loaded, key):
    (entry,) = key.for_rule("invalid-index")
    assert entry.live_only
    table = loaded.catalog.table(entry.table)
    invalid = [i for i in table.indexes if not i.valid]
    assert [(i.name, i.columns) for i in invalid] == [(entry.extra["index"], entry.columns)]


def test_integer_key_is_past_half_its_range(loaded, key):
    (entry,) = key.for_rule("integer-key-exhaustion")
    table = loaded.catalog.table(entry.table)
    column = table.column(entry.columns[0])
    assert column.type == "integer"
    (sequence,) = [s for s in loaded.catalog.sequences if f"{s.schema}.{s.name}" == column.sequence]
    assert sequence.last_value > sequence.max_value // 2


def test_types_only_where_planted(loaded, key):
    """The type rules' cheap facts: each odd type appears only where the answer key plants it."""
    planted = {f.rule: {(f.table, c) for c in f.columns} for f in key.findings}
    seen: dict[str, set] = {}
    for table in loaded.catalog.stored_tables:
        for c in table.columns:
            where = (table.qualified, c.name)
            if c.type == "timestamp without time zone":
                seen.setdefault("timestamp-without-time-zone", set()).add(where)
            if c.type == "json":
                seen.setdefault("json-instead-of-jsonb", set()).add(where)
            if c.type == "money":
                seen.setdefault("money-type", set()).add(where)
            if c.sequence_filled and not c.identity:
                seen.setdefault("serial-instead-of-identity", set()).add(where)
            if c.type.startswith("character varying"):
                seen.setdefault("char-n-type", set()).add(where)
            if c.name != c.name.lower():
                seen.setdefault("identifier-hazard", set()).add(where)
    for rule in (
        "timestamp-without-time-zone",
        "json-instead-of-jsonb",
        "money-type",
        "serial-instead-of-identity",
        "char-n-type",
        "identifier-hazard",
    ):
        assert seen.get(rule) == planted[rule], rule


def test_rls_only_off_or_unforced_where_planted(loaded, key):
    tenant_tables = [t for t in loaded.catalog.stored_tables if t.column("tenant_id") is not None]
    assert len(tenant_tables) == key.for_rule("cascade-blast-radius")[0].extra["reached"]
    off = {t.qualified for t in tenant_tables if not t.rls_enabled}
    unforced = {t.qualified for t in tenant_tables if t.rls_enabled and not t.rls_forced}
    no_policy = {t.qualified for t in tenant_tables if t.rls_enabled and not t.policies}
    assert off == {f.table for f in key.for_rule("tenant-table-without-rls")}
    assert unforced == {f.table for f in key.for_rule("rls-not-forced")}
    assert no_policy == {f.table for f in key.for_rule("rls-enabled-without-policy")}


def test_loading_twice_reuses_the_database(loaded):
    again = demo_source.load()
    assert again.database == loaded.database == demo_source.database_name()
    assert re.fullmatch(r"studio_demo_[0-9a-f]{10}", again.database)
    from studio.sources import embedded

    with embedded.connect() as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s", (again.database + "%",)
            )
        ]
    assert names == [again.database], "no half-built copy is left behind"


def test_sql_loads_as_an_untrusted_ddl_file_with_the_same_tables(loaded):
    from studio.sources import ddl

    with ddl.load_text(demo_source.sql(), filename="demo.sql") as sandbox:
        errors = [n for n in sandbox.catalog.notes if n.level == "error"]
        assert errors == []
        assert {t.qualified for t in sandbox.catalog.stored_tables} == {
            t.qualified for t in loaded.catalog.stored_tables
        }
        invoices = sandbox.catalog.table("billing.invoices")
        assert all(i.valid for i in invoices.indexes), "the failed concurrent index is live-only"


def test_concurrent_first_loads_build_one_database(monkeypatch):
    import secrets
    from concurrent.futures import ThreadPoolExecutor

    from studio.sources import embedded

    fresh = "t" + secrets.token_hex(5)[:9]  # a digest no database has yet
    monkeypatch.setattr(demo, "digest", lambda: fresh)
    name = demo_source.database_name()
    try:
        with ThreadPoolExecutor(3) as pool:
            names = list(pool.map(lambda _: demo_source.ensure_database(), range(3)))
        assert names == [name] * 3
        with embedded.connect() as conn:
            found = [
                r[0]
                for r in conn.execute(
                    "SELECT datname FROM pg_database WHERE strpos(datname, %s) = 1", (name,)
                )
            ]
        assert found == [name]
        with embedded.connect(name) as conn:
            assert conn.execute("SELECT count(*) FROM public.tenants").fetchone()[0] == 3
    finally:
        embedded.drop_database(name)


def test_scratch_copy_works_while_someone_uses_the_demo(loaded, db, key):
    from studio.sources import embedded

    (entry,) = key.for_rule("invalid-index")
    assert scalar(db, "SELECT count(*) FROM public.tenants") == 3  # `db` holds a session on the demo
    with demo_source.scratch_copy() as name:
        assert name != loaded.database
        with embedded.connect(name) as conn:
            conn.execute("DELETE FROM public.work_order_photos")
            valid = scalar(
                conn,
                "SELECT indisvalid FROM pg_index WHERE indexrelid = %s::regclass",
                (f"billing.{entry.extra['index']}",),
            )
        assert valid is False
    assert scalar(db, "SELECT count(*) FROM public.work_order_photos") > 0, "the shared demo is untouched"
    with embedded.connect() as conn:
        assert scalar(conn, "SELECT count(*) FROM pg_database WHERE datname = %s", (name,)) == 0
