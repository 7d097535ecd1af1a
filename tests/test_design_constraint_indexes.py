"""The target model's constraint-backing indexes match their constraints after every design choice.

Property over the whole target, for each tenancy model crossed with each partition strategy (plus a
key strategy and a history table, so every transform runs) on the demo and two corpus schemas:
every index that backs a primary key or unique constraint has the constraint's name and columns in
order, is unique, primary exactly for the primary key, btree, with the constraint's NULLS NOT
DISTINCT; every such constraint has exactly one; no index backs a constraint that is gone. One case
is also loaded into PostgreSQL and its backing indexes compared with the model's.
"""

from __future__ import annotations

import psycopg
import pytest

from studio.catalog import Catalog, Index, PrimaryKey, Table, UniqueConstraint
from studio.design.apply import design
from studio.design.constraint_indexes import sync_constraint_indexes
from studio.design.decisions import Decisions, History, Partition, Tenancy
from studio.design.scope import tenant_scope
from studio.sources import embedded
from studio.sources.postgres import introspect
from tests.conftest import schema_catalog
from tests.test_design_matrix import SOURCES, _partition_choice

CHOSEN = ("demo", "pagila-schema.sql", "chinook-postgresql.sql")
MODELS = ("rls", "schema-per-tenant", "database-per-tenant", "hybrid", "citus")
STRATEGIES = ("range", "list", "hash")
KEYS = {"range": "keep", "list": "bigint-identity", "hash": "uuidv7"}


def backing_index_problems(catalog: Catalog) -> list[str]:
    problems = []
    for t in catalog.stored_tables:
        wanted: dict[str, tuple] = {}
        if t.primary_key:
            wanted[t.primary_key.name] = (t.primary_key.columns, True, False)
        for u in t.uniques:
            wanted[u.name] = (u.columns, False, u.nulls_not_distinct)
        exclusions = {e.name for e in t.exclusions}
        backing = [i for i in t.indexes if i.constraint]
        for i in backing:
            if i.constraint in exclusions:
                continue
            if i.constraint not in wanted:
                problems.append(f"{t.qualified}.{i.name} backs {i.constraint}, which the table does not have")
                continue
            columns, primary, nulls_not_distinct = wanted[i.constraint]
            shape = (i.name, i.column_keys, i.unique, i.primary, i.method, i.nulls_not_distinct, i.predicate, i.include)
            want = (i.constraint, columns, True, primary, "btree", nulls_not_distinct, None, ())
            if shape != want:
                problems.append(f"{t.qualified}.{i.name}: {shape}, its constraint needs {want}")
        for name in wanted:
            count = sum(1 for i in backing if i.constraint == name)
            if count != 1:
                problems.append(f"{t.qualified}.{name}: {count} backing indexes")
    return problems


@pytest.fixture(scope="module", params=CHOSEN, ids=CHOSEN)
def source(request):
    with schema_catalog(request.param) as catalog:
        yield request.param, catalog


def _decisions(name: str, catalog: Catalog, model: str, strategy: str) -> tuple[Decisions, Partition]:
    tenant_table, tenant_column = SOURCES[name]
    tenancy = Tenancy(model=model, tenant_table=tenant_table, tenant_column=tenant_column,
                      dedicated_tenants=("big",) if model == "hybrid" else ())
    scope = tenant_scope(catalog, tenancy)
    choice = _partition_choice(catalog, {n: s.column for n, s in scope.tables.items()}, strategy, scope.tenant_table)
    versioned = next(t.qualified for t in catalog.stored_tables
                     if t.kind == "table" and t.primary_key and t.qualified not in (choice.table, tenant_table))
    history = (History(choice.table, "audit-trigger"), History(versioned, "effective-dated"))
    return Decisions(tenancy=tenancy, partitions=(choice,), key_strategy=KEYS[strategy], history=history), choice


def test_the_source_itself_has_no_problems(source):
    """The checker agrees with what introspection reads, so a problem in a target is the design's."""
    assert backing_index_problems(source[1]) == []


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("model", MODELS)
def test_backing_indexes_match_constraints(source, model, strategy):
    name, catalog = source
    decisions, choice = _decisions(name, catalog, model, strategy)
    target = design(catalog, decisions).target
    assert backing_index_problems(target) == []
    partitioned = [t for t in target.tables if t.partitioning and t.name == choice.table.split(".", 1)[1]]
    assert partitioned, f"{choice.table} is not partitioned in the target"
    pk = partitioned[0].primary_key
    assert pk is None or choice.column in pk.columns


def test_demo_widened_keys_named_in_the_bug_report():
    from studio.sources import demo

    catalog = demo.load().catalog
    rls = design(catalog, Decisions(tenancy=Tenancy(model="rls", tenant_table="public.tenants"))).target
    indexes = {(t.qualified, i.name): i.columns for t in rls.tables for i in t.indexes if i.constraint}
    assert indexes[("public.work_order_photos", "work_order_photos_pkey")] == ("tenant_id", "id")
    assert indexes[("public.users", "users_email_key")] == ("tenant_id", "email")
    assert ("public.work_orders", "work_orders_id_key") not in indexes  # folded into the primary key
    ranged = design(catalog, Decisions(partitions=(Partition("public.dtc_occurrences", "range", "occurred_at", interval="month"),))).target
    pkey = next(i for i in ranged.table("public.dtc_occurrences").indexes if i.name == "dtc_occurrences_pkey")
    assert pkey.columns == ranged.table("public.dtc_occurrences").primary_key.columns == ("tenant_id", "id", "occurred_at")
    hashed = design(catalog, Decisions(partitions=(Partition("public.work_orders", "hash", "tenant_id", modulus=4),))).target
    key = next(i for i in hashed.table("public.work_orders").indexes if i.name == "work_orders_id_key")
    assert key.columns == ("id", "tenant_id") and key.unique and not key.primary


def test_helper_rebuilds_drops_and_adds():
    stale = Index("t_pkey", (), unique=True, primary=True, constraint="t_pkey")
    gone = Index("t_code_key", (), unique=True, constraint="t_code_key")
    plain = Index("t_name_idx", (), definition="CREATE INDEX t_name_idx ON s.t USING btree (name)")
    table = Table("s", "t", primary_key=PrimaryKey("t_pkey", ("tenant_id", "id")),
                  uniques=(UniqueConstraint("t_email_key", ("tenant_id", "email"), nulls_not_distinct=True),),
                  indexes=(stale, gone, plain))
    synced = sync_constraint_indexes(table)
    by_name = {i.name: i for i in synced.indexes}
    assert set(by_name) == {"t_pkey", "t_name_idx", "t_email_key"}
    assert by_name["t_pkey"].columns == ("tenant_id", "id") and by_name["t_pkey"].primary
    assert by_name["t_email_key"].nulls_not_distinct and not by_name["t_email_key"].primary
    assert by_name["t_name_idx"] is plain
    assert backing_index_problems(Catalog(tables=(synced,))) == []
    assert sync_constraint_indexes(synced) is synced


def test_model_equals_what_postgresql_builds():
    """The rls + range target loaded into PostgreSQL has exactly the backing indexes the model lists."""
    from studio.sources import demo

    catalog = demo.load().catalog
    decisions = Decisions(
        tenancy=Tenancy(model="rls", tenant_table="public.tenants"),
        partitions=(Partition("public.dtc_occurrences", "range", "occurred_at", interval="month"),),
    )
    result = design(catalog, decisions)
    with embedded.scratch_database("design-keys") as db:
        url = embedded.admin_url(db)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(result.ddl())
        built = introspect(url)

    def shapes(t: Table) -> set[tuple]:
        return {(i.name, i.column_keys, i.primary, i.nulls_not_distinct) for i in t.indexes if i.constraint}

    compared = [t for t in result.target.stored_tables if t.kind != "partition"]
    assert len(compared) > 30
    for t in compared:
        assert shapes(t) == shapes(built.table(t.qualified)), t.qualified
