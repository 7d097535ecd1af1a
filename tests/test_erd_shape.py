"""Full diagrams keep a readable shape: unconnected parts packed side by side, strips re-laid out."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.catalog import Catalog, Column, ForeignKey, PrimaryKey, Schema, Table
from studio.erd import Options, build, render, svg_targets
from studio.erd.bands import band_of, longest_path_ranks
from studio.erd.layout import MAX_ASPECT, MIN_ASPECT, aspect, has_dot, svg_size
from tests.test_erd_focus import chain_catalog

pytestmark = pytest.mark.skipif(not has_dot(), reason="Graphviz `dot` is not installed (the setup script installs it)")
SVG = "{http://www.w3.org/2000/svg}"


def parts_catalog(sizes: list[int], star: bool):
    """Unconnected parts of the given sizes: stars (every table references the first) or chains."""
    refs: list[list[int]] = []
    for size in sizes:
        base = len(refs)
        for i in range(size):
            refs.append([] if i == 0 else [base if star else base + i - 1])
    return chain_catalog(refs)


def node_ids(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [g.get("id") for g in root.iter(f"{SVG}g") if g.get("class") == "node" and g.get("id", "").startswith("erd-n-")]


@settings(max_examples=10, deadline=None)
@given(sizes=st.lists(st.integers(1, 12), min_size=1, max_size=40), star=st.booleans(),
       columns=st.sampled_from(["all", "keys", "none"]))
def test_unconnected_parts_are_packed_within_one_to_three(sizes, star, columns):
    diagram = build(parts_catalog(sizes, star), Options(columns=columns))
    svg = render(diagram, "svg")
    assert MIN_ASPECT <= aspect(svg) <= MAX_ASPECT, (sizes, star, aspect(svg))
    ids = node_ids(svg)
    assert sorted(ids) == sorted(svg_targets(diagram)), "every table drawn once, clickable"
    assert len(ET.fromstring(svg).findall(f".//{SVG}g[@id='erd-legend']")) == 1


def test_a_hub_with_many_children_is_not_a_strip():
    """80 tables referencing one: in one rank `dot` stacks them into a column 20 times taller than wide."""
    diagram = build(parts_catalog([81], star=True), Options(columns="keys"))
    svg = render(diagram, "svg")
    assert MIN_ASPECT <= aspect(svg) <= MAX_ASPECT, aspect(svg)
    assert len(node_ids(svg)) == 81


def test_png_keeps_every_part(tmp_path):
    png = render(build(parts_catalog([3, 3, 2], star=True), Options()), "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


@st.composite
def generated_schemas(draw, max_tables: int):
    """Schemas of up to `max_tables` tables in 1-3 schemas, as unconnected parts each a chain (table i
    references i-1), a star (all reference the first), a deep tree (i references i-1 and i//2, the shape
    of bench/erd.py) or references drawn at random to earlier tables, with a cycle now and then."""
    schemas = [f"s{k}" for k in range(draw(st.integers(1, 3)))]
    budget = draw(st.integers(1, max_tables))
    tables, start = [], 0
    while start < budget:
        size = draw(st.integers(1, budget - start))
        shape = draw(st.sampled_from(["chain", "star", "tree", "random"]))
        for i in range(size):
            if i == 0:
                targets = [size - 1] if shape == "random" and size > 2 and draw(st.booleans()) else []
            elif shape == "chain":
                targets = [i - 1]
            elif shape == "star":
                targets = [0]
            elif shape == "tree":
                targets = sorted({i - 1, i // 2})
            else:
                targets = draw(st.lists(st.integers(0, i - 1), max_size=2, unique=True))
            tables.append((start + i, [start + t for t in targets]))
        start += size
    schema_of = {i: schemas[draw(st.integers(0, len(schemas) - 1))] for i, _ in tables}
    return Catalog(
        tables=tuple(
            Table(schema_of[i], f"t{i}",
                  columns=(Column("id", "bigint", nullable=False), *(Column(f"ref{k}", "bigint") for k in range(len(refs)))),
                  primary_key=PrimaryKey(f"t{i}_pkey", ("id",)),
                  foreign_keys=tuple(ForeignKey(f"t{i}_ref{k}_fkey", (f"ref{k}",), f"{schema_of[j]}.t{j}", ("id",))
                                     for k, j in enumerate(refs)))
            for i, refs in tables
        ),
        schemas=tuple(Schema(s) for s in schemas),
    )


def assert_readable_shape(catalog: Catalog, options: Options):
    diagram = build(catalog, options)
    svg = render(diagram, "svg")
    width, height = svg_size(svg)
    assert MIN_ASPECT <= width / height <= MAX_ASPECT, (
        f"{len(diagram.tables)} tables, {options.columns} columns, cluster {options.cluster}: "
        f"{width:,.0f}x{height:,.0f} pt, aspect {width / height:.2f}")
    assert sorted(node_ids(svg)) == sorted(svg_targets(diagram)), "every table drawn once, clickable"


@settings(max_examples=12, deadline=None)
@given(catalog=generated_schemas(160), columns=st.sampled_from(["keys", "none", "all"]),
       cluster=st.sampled_from(["none", "schema"]))
def test_full_diagrams_of_generated_schemas_stay_within_one_to_three(catalog, columns, cluster):
    """Item 2 of issue 17: a 150-table chain-and-tree schema came out 22,147 x 4,112 points (5.4:1)."""
    assert_readable_shape(catalog, Options(columns=columns, cluster=cluster))


@pytest.mark.parametrize("tables", [150, 500, 1000])
def test_the_benchmark_shapes_stay_within_one_to_three(tables):
    """bench/erd.py's generated schema (i references i-1 and i//2) at the sizes it reports."""
    refs = [[] if i == 0 else sorted({i - 1, i // 2}) for i in range(tables)]
    assert_readable_shape(chain_catalog(refs), Options(columns="keys", cluster="none"))


def test_bands_follow_the_ranks_and_survive_cycles():
    edges = [("c", "b"), ("b", "a"), ("a", "c"), ("d", "c"), ("e", "d"), ("f", "e")]
    rank = longest_path_ranks("abcdef", edges)
    # b -> a closes the cycle a -> c -> b and is left out; c is below both a and d (the longer way: f, e, d)
    assert rank == {"f": 0, "e": 1, "d": 2, "a": 0, "c": 3, "b": 4}
    bands = band_of("abcdef", edges, 2)
    assert {n for n, b in bands.items() if b == 0} == {n for n, r in rank.items() if r < 3}
    assert {n for n, b in bands.items() if b == 1} == {n for n, r in rank.items() if r >= 3}
