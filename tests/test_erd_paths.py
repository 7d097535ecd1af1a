"""How is A connected to B: shortest foreign-key paths (declared and implied), their joins run on rows."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from studio.erd import Options, render
from studio.erd.model import all_relationships, neighbourhood
from studio.erd.paths import join_sql, path_diagram, paths_text, shortest_paths
from tests.test_erd_focus import chain_catalog, graphs

SHOP = """
CREATE SCHEMA "Sales & Co";
CREATE TABLE customers (id bigint PRIMARY KEY, name text);
CREATE TABLE addresses (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers, city text);
CREATE TABLE "Sales & Co"."Order" (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers,
                                   billing_id bigint REFERENCES addresses, shipping_id bigint REFERENCES addresses);
CREATE TABLE order_lines (id bigint PRIMARY KEY, "order" bigint REFERENCES "Sales & Co"."Order", product_id bigint);
CREATE TABLE products (id bigint PRIMARY KEY, sku text);
CREATE TABLE warehouses (id bigint PRIMARY KEY);
"""
ROWS = """
INSERT INTO customers VALUES (1, 'Ada'), (2, 'Bob');
INSERT INTO addresses VALUES (10, 1, 'Oslo'), (11, 1, 'Bergen'), (12, 2, 'Turku');
INSERT INTO "Sales & Co"."Order" VALUES (100, 1, 10, 11), (101, 2, 12, NULL), (102, 2, NULL, 12);
INSERT INTO order_lines VALUES (1000, 100, 7), (1001, 100, 8), (1002, 101, 7), (1003, NULL, 7), (1004, 102, 99);
INSERT INTO products VALUES (7, 'bolt'), (8, 'nut');
"""


def test_paths_between_two_tables_run_as_joins_on_rows(catalog_of, scratch_db):
    catalog = catalog_of(SHOP)
    scratch_db.execute(ROWS)
    paths = shortest_paths(catalog, "public.products", "public.addresses")
    assert len(paths) == 2  # through billing_id and through shipping_id
    assert {p.tables for p in paths} == {("public.products", "public.order_lines", "Sales & Co.Order", "public.addresses")}
    assert all(p.implied for p in paths)  # order_lines.product_id has no constraint
    through = {p.steps[-1].relationship.columns for p in paths}
    assert through == {("billing_id",), ("shipping_id",)}
    for path in paths:
        sql = join_sql(path)
        assert '"Sales & Co"."Order"' in sql and "-- implied: no foreign key constraint" in sql
        assert 'o.id = ol."order"' in sql  # a keyword column, quoted
        rows = scratch_db.query(sql)
        column = path.steps[-1].relationship.columns[0]
        # the lines whose product exists and whose order has that address: orphans (product 99), NULL order
        # and NULL addresses drop out of an inner join
        expected = {"billing_id": 3, "shipping_id": 2}[column]  # order 101 has no shipping address
        assert len(rows) == expected, (column, rows)

    declared = shortest_paths(catalog, "public.order_lines", "public.customers", implied=True)
    assert [p.tables for p in declared] == [("public.order_lines", "Sales & Co.Order", "public.customers")]
    assert not declared[0].implied
    assert shortest_paths(catalog, "public.products", "public.warehouses") == []
    assert shortest_paths(catalog, "public.products", "public.customers", implied=False) == []


def test_the_path_diagram_draws_only_the_paths(catalog_of):
    catalog = catalog_of(SHOP)
    paths = shortest_paths(catalog, "public.order_lines", "public.addresses")
    diagram = path_diagram(catalog, paths, Options(columns="keys"))
    assert {t.qualified for t in diagram.tables} == {"public.order_lines", "Sales & Co.Order", "public.addresses"}
    assert {r.columns for r in diagram.relationships} == {("order",), ("billing_id",), ("shipping_id",)}
    dot = render(diagram, "dot")
    assert dot.count(" -> ") == 3
    assert "FK → public.customers" in dot  # Order.customer_id is not on the path: a badge, not an edge
    text = paths_text("public.order_lines", "public.addresses", paths)
    assert text.startswith("2 shortest paths from public.order_lines to public.addresses (2 joins):")


@settings(max_examples=60, deadline=None)
@given(refs=graphs, a=st.integers(0, 8), b=st.integers(0, 8))
def test_paths_are_shortest_and_connected(refs, a, b):
    catalog = chain_catalog(refs)
    start, goal = f"s.t{a % len(refs)}", f"s.t{b % len(refs)}"
    paths = shortest_paths(catalog, start, goal)
    relationships = [r for r in all_relationships(catalog) if r.table != r.ref_table]
    reachable = [k for k in range(len(refs)) if goal in neighbourhood(start, relationships, k)]
    if not reachable:
        assert paths == []
        return
    assert paths and all(len(p.steps) == reachable[0] for p in paths)
    for p in paths:
        assert p.tables[0] == start and p.tables[-1] == goal
        for step, following in zip(p.steps, p.steps[1:], strict=False):
            assert step.end == following.start
    assert len({p.steps for p in paths}) == len(paths)


def test_cli_path_names_a_missing_table_and_exits_2(tmp_path, capsys):
    from studio.cli import main

    ddl = tmp_path / "shop.sql"
    ddl.write_text(SHOP)
    assert main(["erd", "--ddl", str(ddl), "--path", "product", "addresses"]) == 2
    err = capsys.readouterr().err
    assert "'product'" in err and "public.products" in err
    assert main(["erd", "--ddl", str(ddl), "--path", "products", "warehouses"]) == 1
    assert "no foreign-key path between public.products and public.warehouses" in capsys.readouterr().err
    assert main(["erd", "--ddl", str(ddl), "--path", "order_lines", "customers"]) == 0
    out = capsys.readouterr().out
    assert re.search(r'^   JOIN "Sales & Co"\."Order" AS o2? ON', out, re.MULTILINE), out
    mermaid = tmp_path / "path.mmd"
    assert main(["erd", "--ddl", str(ddl), "--path", "order_lines", "customers", "--format", "mermaid",
                 "-o", str(mermaid)]) == 0
    drawn = mermaid.read_text()
    assert "public__order_lines" in drawn and "public__customers" in drawn
    assert "public__addresses" not in drawn  # named by the Order's badges only: not on the path
