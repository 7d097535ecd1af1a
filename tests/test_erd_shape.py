"""Full diagrams keep a readable shape: unconnected parts packed side by side, strips re-laid out."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.erd import Options, build, render, svg_targets
from studio.erd.layout import MAX_ASPECT, MIN_ASPECT, aspect, has_dot
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
