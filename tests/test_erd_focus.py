"""Under --focus (or a domain, or a filter) a column that references a table left out of the
diagram keeps its FK badge and names the table it references, in every format that shows columns."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from studio.catalog import Catalog, Column, ForeignKey, PrimaryKey, Schema, Table
from studio.erd import Options, build, render
from studio.erd.dot import column_markers


def test_focus_keeps_badges_naming_tables_outside_it(catalog_of):
    catalog = catalog_of(
        """
        CREATE SCHEMA billing;
        CREATE TABLE customers (id bigint PRIMARY KEY);
        CREATE TABLE billing.accounts (id bigint PRIMARY KEY);
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers,
                             account_id bigint REFERENCES billing.accounts, coupon_id bigint);
        CREATE TABLE coupons (id bigint PRIMARY KEY);
        CREATE TABLE order_lines (id bigint PRIMARY KEY, order_id bigint REFERENCES orders);
        """
    )
    diagram = build(catalog, Options(focus="public.order_lines", depth=1, columns="keys"))
    assert {t.qualified for t in diagram.tables} == {"public.order_lines", "public.orders"}
    orders = next(t for t in diagram.tables if t.qualified == "public.orders")
    markers = column_markers(orders, diagram)
    # public.orders is one of two schemas' tables only in the catalog; the diagram is one schema
    assert "FK → customers" in markers["customer_id"]
    assert "FK → billing.accounts" in markers["account_id"]
    assert "FK? → coupons" in markers["coupon_id"]  # implied by its name, no constraint
    dot = render(diagram, "dot")
    assert "FK → customers" in dot and "FK → billing.accounts" in dot
    assert dot.count("->") == 1  # only the edge between the two drawn tables
    text = render(diagram, "text")
    assert re.search(r"^  customer_id\s+bigint\s+FK → customers NN$", text, re.MULTILINE), text
    mermaid = render(diagram, "mermaid")
    assert re.search(r"bigint customer_id FK \"not null references customers\"", mermaid), mermaid
    assert re.search(r"bigint account_id FK \"references billing.accounts\"", mermaid), mermaid

    whole = build(catalog, Options(columns="keys"))
    assert whole.outside == ()
    assert not any("→" in m for t in whole.tables for ms in column_markers(t, whole).values() for m in ms)


def chain_catalog(refs: list[list[int]]) -> Catalog:
    """Table i has one FK column per entry of refs[i], to the table at that index."""
    tables = []
    for i, targets in enumerate(refs):
        columns = [Column("id", "bigint", nullable=False)]
        fks = []
        for k, j in enumerate(targets):
            columns.append(Column(f"ref{k}", "bigint"))
            fks.append(ForeignKey(f"t{i}_ref{k}_fkey", (f"ref{k}",), f"s.t{j}", ("id",)))
        tables.append(Table("s", f"t{i}", columns=tuple(columns), primary_key=PrimaryKey(f"t{i}_pkey", ("id",)),
                            foreign_keys=tuple(fks)))
    return Catalog(tables=tuple(tables), schemas=(Schema("s"),))


graphs = st.integers(2, 9).flatmap(
    lambda n: st.lists(st.lists(st.integers(0, n - 1), max_size=3), min_size=n, max_size=n)
)


@settings(max_examples=60, deadline=None)
@given(refs=graphs, focus=st.integers(0, 8), depth=st.integers(0, 2))
def test_every_foreign_key_of_a_drawn_table_is_an_edge_or_names_its_target(refs, focus, depth):
    catalog = chain_catalog(refs)
    focus = f"s.t{focus % len(refs)}"
    diagram = build(catalog, Options(focus=focus, depth=depth, columns="keys", implied=False))
    drawn = {t.qualified for t in diagram.tables}
    edges = {(r.table, r.columns) for r in diagram.relationships}
    for table in diagram.tables:
        markers = column_markers(table, diagram)
        for fk in table.foreign_keys:
            if fk.ref_table in drawn:
                assert (table.qualified, fk.columns) in edges
            else:
                assert f"FK → {fk.ref_table.partition('.')[2]}" in markers[fk.columns[0]], (table.qualified, fk)
