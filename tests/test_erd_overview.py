"""The domain overview: names that say what a domain holds, counts on aggregated edges, a compact grid."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.catalog import Catalog, Column, ForeignKey, PrimaryKey, Schema, Table
from studio.erd import Options, compute_domains, domain_edges, find_domains, overview_dot, render_overview
from studio.erd.layout import has_dot
from studio.erd.model import all_relationships
from studio.erd.overview import ASPECT

needs_dot = pytest.mark.skipif(not has_dot(), reason="Graphviz `dot` is not installed (the setup script installs it)")
SVG = "{http://www.w3.org/2000/svg}"


def svg_size(svg: str) -> tuple[float, float]:
    match = re.search(r'<svg width="(\d+)pt" height="(\d+)pt"', svg)
    return float(match.group(1)), float(match.group(2))


# Names -------------------------------------------------------------------------------------------


def community(head: str, children: list[str], lookup: str | None = None, queue: str | None = None):
    """Edges of one community: every child references the head (and the lookup); the queue references all."""
    edges = [(c, head) for c in children]
    if lookup:
        edges += [(c, lookup) for c in [head, *children]]
    if queue:
        edges += [(queue, t) for t in [head, *children]]
    return edges


def test_a_domain_is_named_after_its_main_entity_not_a_code_table_or_a_queue():
    # Everything references the code table `kinds` more often than `shipments`; a queue table
    # references everything. Neither says what the domain holds.
    children = ["public.shipment_legs", "public.parcels", "public.labels", "public.customs_forms"]
    edges = community("public.shipments", children, lookup="public.kinds", queue="public.outbox")
    edges += [("public.parcels", "public.labels")]
    tables = sorted({t for e in edges for t in e})
    domains = find_domains(tables, edges, lookups=["public.kinds"])
    domain = holding("public.shipments", domains)
    assert (domain.name, domain.named_by, domain.central) == ("shipments", "table", "public.shipments")
    assert not {"kinds", "outbox"} & {d.name for d in domains}
    # without knowing it is a code table, `kinds` (referenced by all six) would name it
    assert holding("public.shipments", find_domains(tables, edges)).name == "kinds"


def holding(table: str, domains):
    return next(d for d in domains if table in d.tables)


def test_a_shared_prefix_names_a_domain_its_tables_share_and_others_do_not():
    billing = ["public.billing_invoices", "public.billing_payments", "public.billing_refunds", "public.billing_taxes"]
    edges = [(a, b) for a in billing for b in billing if a < b]  # no table stands out
    edges += community("public.users", ["public.sessions", "public.tokens", "public.devices"])
    edges += [("public.billing_invoices", "public.users")]
    tables = sorted({t for e in edges for t in e})
    named = {d.name: d for d in find_domains(tables, edges)}
    assert named["billing_*"].named_by == "prefix"
    assert set(named["billing_*"].tables) == set(billing)
    assert named["users"].named_by == "table"


def test_a_prefix_every_table_has_explains_nothing():
    groups = [[f"app.tbl_{g}_{i}" for i in range(4)] for g in ("order", "user")]
    edges = []
    for group in groups:
        edges += [(c, group[0]) for c in group[1:]]
    edges.append((groups[0][0], groups[1][0]))
    domains = find_domains(sorted(t for g in groups for t in g), edges)
    assert {d.named_by for d in domains} == {"table"}, [(d.name, d.named_by) for d in domains]


def test_a_schema_names_the_domain_that_is_that_schema(catalog_of):
    catalog = catalog_of(
        """
        CREATE SCHEMA audit;
        CREATE TABLE public.accounts (id bigint PRIMARY KEY, name text, email text, plan text, since date);
        CREATE TABLE public.projects (id bigint PRIMARY KEY, account_id bigint REFERENCES public.accounts);
        CREATE TABLE public.tasks (id bigint PRIMARY KEY, project_id bigint REFERENCES public.projects,
                                   account_id bigint REFERENCES public.accounts);
        CREATE TABLE audit.sessions (id bigint PRIMARY KEY);
        CREATE TABLE audit.events (id bigint PRIMARY KEY, session_id bigint REFERENCES audit.sessions);
        CREATE TABLE audit.changes (id bigint PRIMARY KEY, event_id bigint REFERENCES audit.events,
                                    session_id bigint REFERENCES audit.sessions);
        CREATE TABLE audit.exports (id bigint PRIMARY KEY, session_id bigint REFERENCES audit.sessions);
        """
    )
    named = {d.name: d for d in compute_domains(catalog)}
    assert named["audit"].named_by == "schema"
    assert set(named["audit"].tables) == {"audit.sessions", "audit.events", "audit.changes", "audit.exports"}
    assert "accounts" in named or "public" in named, list(named)


def test_names_are_unique_and_every_table_is_in_one_domain(demo_catalog):
    domains = compute_domains(demo_catalog)
    assert len({d.name for d in domains}) == len(domains)
    tables = [t for d in domains for t in d.tables]
    assert len(tables) == len(set(tables))


@pytest.fixture(scope="module")
def demo_catalog():
    from studio.sources import demo

    return demo.load().catalog


# Edges -------------------------------------------------------------------------------------------


def test_edges_between_domains_carry_the_count_of_foreign_keys_both_ways(demo_catalog):
    domains = compute_domains(demo_catalog)
    dot = overview_dot(demo_catalog, Options(), domains)
    domain_of = {t: i for i, d in enumerate(domains) for t in d.tables}
    expected = Counter()
    for r in all_relationships(demo_catalog):
        a, b = domain_of[r.table], domain_of[r.ref_table]
        if a != b:
            expected[tuple(sorted((a, b)))] += 1
    drawn = {
        tuple(sorted((int(a), int(b)))): int(n)
        for a, b, n in re.findall(r"^  d(\d+) -> d(\d+) \[label=\"(\d+)\"", dot, re.MULTILINE)
    }
    assert drawn == dict(expected)
    assert sum(domain_edges(domains, all_relationships(demo_catalog)).values()) == sum(expected.values())


# Shape -------------------------------------------------------------------------------------------


def random_catalog(sizes: list[int], links: int, seed: int) -> Catalog:
    """Communities of the given sizes (each a star around its first table) and cross links between them."""
    import random

    rng = random.Random(seed)
    tables, heads = [], []
    for g, size in enumerate(sizes):
        for i in range(size):
            name = f"g{g}_t{i}"
            refs = [f"g{g}_t0"] if i else []
            if i > 1 and rng.random() < 0.5:
                refs.append(f"g{g}_t{rng.randrange(1, i)}")
            tables.append([name, refs])
        heads.append(f"g{g}_t0")
    for _ in range(links):
        a, b = rng.sample(range(len(tables)), 2)
        tables[a][1].append(tables[b][0])
    out = []
    for name, refs in tables:
        columns = [Column("id", "bigint", nullable=False)] + [Column(f"r{k}", "bigint") for k in range(len(refs))]
        fks = tuple(ForeignKey(f"{name}_r{k}", (f"r{k}",), f"s.{ref}", ("id",)) for k, ref in enumerate(refs))
        out.append(Table("s", name, columns=tuple(columns), primary_key=PrimaryKey(f"{name}_pkey", ("id",)),
                         foreign_keys=fks))
    return Catalog(tables=tuple(out), schemas=(Schema("s"),))


@needs_dot
@settings(max_examples=8, deadline=None)
@given(sizes=st.lists(st.integers(3, 12), min_size=6, max_size=24), links=st.integers(0, 30), seed=st.integers(0, 99))
def test_the_overview_is_shaped_like_a_screen(sizes, links, seed):
    catalog = random_catalog(sizes, links, seed)
    domains = compute_domains(catalog)
    svg = render_overview(catalog, "svg", domains=domains)
    width, height = svg_size(svg)
    if len(domains) >= 6:
        assert ASPECT / 1.6 <= width / height <= ASPECT * 1.6, (len(domains), width, height)
    root = ET.fromstring(svg)
    nodes = [g for g in root.iter(f"{SVG}g") if g.get("class") == "node"]
    assert len(nodes) == len(domains)


@needs_dot
def test_the_overview_boxes_do_not_overlap(demo_catalog):
    from studio.erd.overview import box_sizes, positions, undirected

    domains = compute_domains(demo_catalog)
    centres = positions(domains, undirected(domain_edges(domains, all_relationships(demo_catalog))))
    sizes = box_sizes(domains)
    boxes = [(centres[i][0] - w / 2, centres[i][1] - h / 2, centres[i][0] + w / 2, centres[i][1] + h / 2)
             for i, (w, h) in enumerate(sizes)]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
