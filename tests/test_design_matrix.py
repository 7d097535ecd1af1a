"""Proof: every tenancy model (Citus aside) crossed with range, list and hash partitioning, on the
demo and every corpus schema, loads into a fresh PostgreSQL and shows what was decided.

One loaded source per schema (module-scoped); each case loads the target DDL into a fresh
database, introspects it, and checks RLS, the partition key, and that an insert referencing
another tenant's row fails.
"""

from __future__ import annotations

import psycopg
import pytest

from studio.design.apply import design
from studio.design.decisions import Decisions, Partition, Tenancy
from studio.sources import embedded
from studio.sources.postgres import introspect
from studio.sql import ident, qualified, qualified_name
from tests.conftest import schema_catalog

# (source, tenant table, tenant column): the corpus has no tenant column, so we name one.
SOURCES = {
    "demo": ("public.tenants", "tenant_id"),
    "chinook-postgresql.sql": ("public.artist", "artist_id"),
    "pagila-schema.sql": ("public.store", "store_id"),
    "graphile-starter-schema.sql": ("app_public.organizations", "organization_id"),
    "coder-dump.sql": ("public.organizations", "organization_id"),
    "lago-api-structure.sql": ("public.organizations", "organization_id"),
}
MODELS = ("rls", "schema-per-tenant", "database-per-tenant", "hybrid")
STRATEGIES = ("range", "list", "hash")
TIME = ("timestamp with time zone", "timestamp without time zone", "date")
LISTY = ("status", "state", "type", "kind", "category", "role", "level", "source", "provider")


@pytest.fixture(scope="module", params=list(SOURCES), ids=list(SOURCES))
def source(request):
    with schema_catalog(request.param) as catalog:
        yield request.param, catalog


def _partition_choice(catalog, scope_tables, strategy, tenant_table):
    """A table and column suitable for the strategy, preferring tenant tables (the harder case)."""
    from studio.design.decisions import validate  # noqa: F401  (choices must pass validation)

    tables = [t for t in catalog.stored_tables if t.kind == "table" and not t.inherits and t.qualified != tenant_table
              and not any(c.inherits and t.qualified in c.inherits for c in catalog.tables)]
    tables.sort(key=lambda t: (t.qualified not in scope_tables, t.qualified))
    for t in tables:
        if strategy == "range":
            for c in t.columns:
                if c.type in TIME and not c.generated:
                    return Partition(t.qualified, "range", c.name, interval="month", premake=2)
        elif strategy == "list":
            enum = {f"{e.schema}.{e.name}": e.labels for e in catalog.enums}
            for c in t.columns:
                if c.generated:
                    continue
                if c.category == "E":
                    labels = next((v for k, v in enum.items() if k.endswith("." + c.type.split(".")[-1].strip('"'))), ())
                    if labels:
                        return Partition(t.qualified, "list", c.name, values=tuple(labels[:2]))
                if c.category == "S" and any(w in c.name.lower() for w in LISTY):
                    return Partition(t.qualified, "list", c.name, values=("a", "b"))
        elif t.primary_key:  # hash
            column = next((c for c in t.primary_key.columns if c != scope_tables.get(t.qualified)), None)
            if column:
                return Partition(t.qualified, "hash", column, modulus=4)
    if strategy == "list":  # no status-like column: any plain text column outside the keys
        for t in tables:
            keyed = set(t.primary_key.columns if t.primary_key else ()) | {c for u in t.uniques for c in u.columns}
            for c in t.columns:
                if c.category == "S" and c.name not in keyed and not c.generated and not c.is_array:
                    return Partition(t.qualified, "list", c.name, values=("a", "b"))
    pytest.fail(f"no table fits {strategy} partitioning")


def _value(column, n: int) -> str | None:
    """A constant of the column's type; n distinguishes two rows."""
    t = column.type
    if column.category == "E":
        return f"(enum_range(NULL::{t}))[1]"
    if "json" in t:
        return f"'{{}}'::{t}"
    if t == "uuid":
        return f"'00000000-0000-0000-0000-00000000000{n}'::uuid"
    if column.is_array:
        return f"'{{}}'::{t}"
    if column.category == "N":
        return f"{n}::{t}"
    if column.category == "S":
        return f"'x{n}'::{t}"
    if column.category == "D":
        return f"'2026-01-15'::{t}" if t != "interval" else "'1 day'::interval"
    if column.category == "B":
        return "false"
    if t.startswith("time"):
        return f"'12:00'::{t}"
    return None


def _row(table, fixed: dict[str, str]) -> str | None:
    cols, values = [], []
    for c in table.columns:
        if c.generated:
            continue
        if c.name in fixed:
            value = fixed[c.name]
        elif c.nullable or c.default is not None or c.identity:
            continue
        else:
            value = _value(c, 1)
            if value is None:
                return None
        cols.append(ident(c.name))
        values.append(value)
    return f"({', '.join(cols)}) OVERRIDING SYSTEM VALUE VALUES ({', '.join(values)})"


def _crossing_candidates(built, scope, carries_tenant=True):
    """(child, fk, parent) pairs between tenant tables (whose FK carries the tenant column)."""
    for child_name in scope.tables:
        child = built.table(child_name)
        if child is None:
            continue
        tc = scope.tables[child_name].column
        for fk in child.foreign_keys:
            if fk.ref_table in scope.tables and fk.ref_table != child_name and (tc in fk.columns or not carries_tenant):
                yield child, fk, built.table(fk.ref_table)


def _prove_no_crossing(url_parent: str, url_child: str, built, scope, schema_of=lambda q: q, tenant_values=("1", "2")):  # noqa: C901
    """Insert a parent for tenant A; a child of tenant B referencing it must fail, tenant A's must not."""
    candidates = list(_crossing_candidates(built, scope, carries_tenant=url_parent == url_child))
    if not candidates:
        # Nothing to cross: no foreign key runs between two tenant tables (graphile-starter's
        # memberships and invitations reference only the tenant table and shared users).
        between = [(t.qualified, fk.name) for t in built.stored_tables if t.qualified in scope.tables
                   for fk in t.foreign_keys if fk.ref_table in scope.tables]
        assert between == [], f"tenant-to-tenant foreign keys exist but none carries the tenant: {between}"
        return None
    tried = 0
    for child, fk, parent in candidates:
        tried += 1
        parent_name, child_name = schema_of(parent.qualified), schema_of(child.qualified)
        tc_parent = scope.tables[parent.qualified].column
        tc_child = scope.tables[child.qualified].column
        if url_parent == url_child and (parent.column(tc_parent) is None or child.column(tc_child) is None):
            continue
        key = {ref: _value(parent.column(ref), 7) for ref in fk.ref_columns}
        if None in key.values():
            continue
        tenant_type = parent.column(tc_parent).type
        a, b = (f"{v}::{tenant_type}" if tenant_type != "uuid" else f"'00000000-0000-0000-0000-00000000000{v}'::uuid" for v in tenant_values)
        def tenant(table, column, value):  # a separate database needs no tenant column
            return {column: value} if table.column(column) is not None else {}

        parent_row = _row(parent, {**key, **tenant(parent, tc_parent, a)})
        child_fixed = {c: key[r] for c, r in zip(fk.columns, fk.ref_columns, strict=True)}
        rows = [_row(child, {**child_fixed, **tenant(child, tc_child, t)}) for t in (a, b)]
        if parent_row is None or None in rows:
            continue
        with psycopg.connect(url_parent, autocommit=True) as conn:
            conn.execute("SET session_replication_role = replica")  # the parent's own references are not the point
            try:
                conn.execute(f"INSERT INTO {qualified_name(parent_name)} {parent_row}")
            except psycopg.Error:
                continue
        with psycopg.connect(url_child, autocommit=True) as conn:
            # Keep only the foreign key under test, so a failure can only be its failure.
            for other in child.foreign_keys:
                if other.name != fk.name:
                    conn.execute(f"ALTER TABLE {qualified_name(child_name)} DROP CONSTRAINT {ident(other.name)}")
            for check in child.checks:
                conn.execute(f"ALTER TABLE {qualified_name(child_name)} DROP CONSTRAINT IF EXISTS {ident(check.name)}")
            conn.execute(f"ALTER TABLE {qualified_name(child_name)} DISABLE TRIGGER USER")
            if url_parent == url_child:
                try:
                    conn.execute(f"INSERT INTO {qualified_name(child_name)} {rows[0]}")
                except psycopg.errors.ForeignKeyViolation:
                    pytest.fail(f"same-tenant reference {child_name} -> {parent_name} was rejected")
                except psycopg.Error:
                    continue
            with pytest.raises(psycopg.errors.ForeignKeyViolation) as failed:
                conn.execute(f"INSERT INTO {qualified_name(child_name)} {rows[1]}")
            assert failed.value.diag.constraint_name == fk.name
            return f"{child_name}.{fk.name}"
    pytest.fail(f"no tenant-to-tenant foreign key could be exercised ({tried} candidates)")


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("model", MODELS)
def test_target_loads_and_isolates(source, model, strategy):
    name, catalog = source
    tenant_table, tenant_column = SOURCES[name]
    tenancy = Tenancy(model=model, tenant_table=tenant_table, tenant_column=tenant_column,
                      dedicated_tenants=("big",) if model == "hybrid" else ())
    from studio.design.scope import tenant_scope

    scope = tenant_scope(catalog, tenancy)
    choice = _partition_choice(catalog, {n: s.column for n, s in scope.tables.items()}, strategy, scope.tenant_table)
    result = design(catalog, Decisions(tenancy=tenancy, partitions=(choice,)))
    sql = result.ddl()
    assert result.notes
    with embedded.scratch_database("design") as db:
        url = embedded.admin_url(db)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql)
        built = introspect(url)
        partitioned_name = result.target.table(choice.table) and choice.table or next(
            t.qualified for t in result.target.tables if t.partitioning and t.name == choice.table.split(".", 1)[1]
        )
        partitioned = built.table(partitioned_name)
        assert partitioned.kind == "partitioned_table", partitioned_name
        assert partitioned.partitioning.strategy == strategy
        assert partitioned.partitioning.columns == (choice.column,)
        assert any(t.partition_of == partitioned_name for t in built.tables)
        if model in ("rls", "hybrid"):
            for table in result.scope.tables:
                t = built.table(table)
                assert t.rls_enabled and t.rls_forced, table
                assert any("app.tenant_id" in (p.using or "") for p in t.policies), table
            _prove_no_crossing(url, url, built, result.scope)
        if model == "hybrid":
            assert built.table(f"tenant_big.{built.table(next(iter(result.scope.tables))).name}") is not None or \
                "tenant_big" in introspect(url, schemas=["tenant_big"]).schema_names
        if model == "schema-per-tenant":
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("SELECT public.provision_tenant('a'), public.provision_tenant('b')")
            tenants = introspect(url, schemas=["tenant_a", "tenant_b"])
            assert len([t for t in tenants.tables if t.schema == "tenant_a"]) == len(
                [t for t in result.target.stored_tables if t.schema == "tenant_template"]
            )

            def in_schema(schema):
                return lambda q: f"{schema}.{result.target.table(q).name}"

            template_scope = _template_scope(result)
            _prove_no_crossing_between_schemas(url, built, template_scope)
            _check_functions_follow(url, catalog, result)
        if model == "database-per-tenant":
            with embedded.scratch_database("design_b") as other:
                other_url = embedded.admin_url(other)
                with psycopg.connect(other_url, autocommit=True) as conn:
                    conn.execute(sql)
                _prove_no_crossing(url, other_url, built, result.scope, tenant_values=("1", "1"))


def _template_scope(result):
    import dataclasses

    from studio.design.scope import ScopedTable
    from studio.design.tenancy import TEMPLATE_SCHEMA

    renames = {old: new for old, new in result.scope.tables.items()}
    tables = {}
    for t in result.target.stored_tables:
        if t.schema == TEMPLATE_SCHEMA and t.kind != "partition":
            tables[t.qualified] = ScopedTable(t.qualified, "", False, "template")
    del renames
    return dataclasses.replace(result.scope, tables=tables)


def _prove_no_crossing_between_schemas(url, built, scope):
    """In schema-per-tenant the tenant is the schema: tenant_b's child cannot reference tenant_a's parent."""
    between = [(t, fk.name) for t in scope.tables for fk in built.table(t).foreign_keys
               if fk.ref_table in scope.tables and fk.ref_table != t]
    if not between:
        # Nothing to cross (graphile-starter's template tables reference only the shared
        # organizations and users tables); the provisioned copies must then hold no reference
        # into another tenant's schema either.
        with psycopg.connect(url, autocommit=True) as conn:
            crossing = conn.execute(
                "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint "
                "WHERE contype = 'f' AND conrelid::regclass::text LIKE 'tenant\\_b.%' "
                "AND confrelid::regclass::text NOT LIKE 'tenant\\_b.%' AND confrelid::regclass::text LIKE 'tenant\\_%'"
            ).fetchall()
        assert crossing == []
        return
    for child_name in scope.tables:
        child = built.table(child_name)
        for fk in child.foreign_keys:
            if fk.ref_table not in scope.tables or fk.ref_table == child_name:
                continue
            parent = built.table(fk.ref_table)
            key = {ref: _value(parent.column(ref), 7) for ref in fk.ref_columns}
            if None in key.values():
                continue
            parent_row = _row(parent, key)
            child_row = _row(child, {c: key[r] for c, r in zip(fk.columns, fk.ref_columns, strict=True)})
            if parent_row is None or child_row is None:
                continue
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("SET session_replication_role = replica")
                try:
                    conn.execute(f"INSERT INTO {qualified('tenant_a', parent.name)} {parent_row}")
                except psycopg.Error:
                    continue
                conn.execute("SET session_replication_role = origin")
                for other in child.foreign_keys:
                    if other.name != fk.name:
                        for s in ("tenant_a", "tenant_b"):
                            conn.execute(f"ALTER TABLE {qualified(s, child.name)} DROP CONSTRAINT {ident(other.name)}")
                for s in ("tenant_a", "tenant_b"):
                    for check in child.checks:
                        conn.execute(f"ALTER TABLE {qualified(s, child.name)} DROP CONSTRAINT IF EXISTS {ident(check.name)}")
                    conn.execute(f"ALTER TABLE {qualified(s, child.name)} DISABLE TRIGGER USER")
                try:
                    conn.execute(f"INSERT INTO {qualified('tenant_a', child.name)} {child_row}")
                except psycopg.errors.ForeignKeyViolation:
                    pytest.fail(f"tenant_a.{child.name} could not reference its own tenant's {parent.name}")
                except psycopg.Error:
                    continue
                with pytest.raises(psycopg.errors.ForeignKeyViolation):
                    conn.execute(f"INSERT INTO {qualified('tenant_b', child.name)} {child_row}")
                return
    pytest.fail("no template foreign key could be exercised")


def _check_functions_follow(url, catalog, result):
    """Functions that name tenant tables are copied per tenant, or left out with a note naming them."""
    from studio.design.tenancy import TEMPLATE_SCHEMA

    moved = [t.name for t in result.target.stored_tables if t.schema == TEMPLATE_SCHEMA]
    relocated = {f.name for f in result.target.functions if f.schema == TEMPLATE_SCHEMA}
    kept = {f"{f.schema}.{f.name}" for f in result.target.functions}
    left_out = [f"{f.schema}.{f.name}" for f in catalog.functions
                if f"{f.schema}.{f.name}" not in kept and f.name not in relocated]
    titles = {n.title for n in result.notes}
    for key in left_out:
        assert f"Function {key} left out of the target" in titles, key
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT n.nspname, p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname IN ('tenant_a', %s) OR n.nspname || '.' || p.proname = ANY(%s)",
            (TEMPLATE_SCHEMA, left_out),
        ).fetchall()
    found = {(schema, fn) for schema, fn in rows}
    assert {fn for schema, fn in found if schema == "tenant_a"} == relocated
    assert {fn for schema, fn in found if schema == TEMPLATE_SCHEMA} == relocated
    assert not [f"{s}.{fn}" for s, fn in found if f"{s}.{fn}" in left_out]
    for f in result.target.functions:  # what stays in place names no moved table with its old schema
        if f.schema != TEMPLATE_SCHEMA:
            for old in result.scope.tables:
                assert old not in f.definition, (f.schema, f.name, old)
    del moved
