"""The ERD engine on the demo, real-world corpus schemas and hostile identifiers."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from analyzers.registry import Finding
from studio.erd import Options, build, compute_domains, find_domains, overview_dot, render
from studio.erd.dot import node_id
from studio.erd.layout import has_dot
from studio.erd.mermaid import entity_names
from studio.erd.model import DIAGRAM_KINDS
from tests.conftest import corpus_file

SVG = "{http://www.w3.org/2000/svg}"
needs_dot = pytest.mark.skipif(not has_dot(), reason="Graphviz `dot` is not installed (the setup script installs it)")


@pytest.fixture(scope="module")
def demo():
    from studio.sources import demo as demo_source

    return demo_source.load().catalog


def drawn(catalog):
    return [t for t in catalog.tables if t.kind in DIAGRAM_KINDS]


def declared_pairs(catalog):
    """(child, parent) of every declared FK between drawn tables, partitions folded into parents."""
    parent = {t.qualified: t.partition_of for t in catalog.tables if t.partition_of}
    return {
        (t.qualified, parent.get(fk.ref_table, fk.ref_table), fk.columns)
        for t in drawn(catalog)
        for fk in t.foreign_keys
    }


def svg_tree(svg: str):
    return ET.fromstring(svg)


def svg_texts(root) -> str:
    return "\n".join("".join(e.itertext()) for e in root.iter(f"{SVG}text"))


# Every table, every FK, in every format ------------------------------------------------------------


def assert_complete(catalog, findings=None):
    diagram = build(catalog, Options(), findings)
    tables = drawn(catalog)
    pairs = declared_pairs(catalog)
    assert len(diagram.tables) == len(tables) > 0
    assert pairs <= {(r.table, r.ref_table, r.columns) for r in diagram.relationships if r.declared}

    dot = render(diagram, "dot")
    for t in tables:
        assert f"{node_id(t.qualified)} [id=" in dot
    for child, parent, _ in pairs:
        assert re.search(re.escape(node_id(child)) + r"(:e\d+:e)? -> " + re.escape(node_id(parent)), dot), (child, parent)

    text = render(diagram, "text")
    for t in tables:
        assert re.search(rf"^{re.escape(t.qualified)}\b", text, re.MULTILINE), t.qualified
    for child, parent, columns in pairs:
        assert f"{child}({', '.join(columns)}) >- {parent}(" in text

    mermaid = render(diagram, "mermaid")
    names = entity_names(diagram)
    for t in tables:
        ident, _ = names[t.qualified]
        assert re.search(rf"^    {re.escape(ident)}(\[| \{{)", mermaid, re.MULTILINE), t.qualified
    for child, parent, _ in pairs:
        assert re.search(rf"^    {re.escape(names[parent][0])} \|[|o]--[o|][{{|] {re.escape(names[child][0])} :", mermaid, re.MULTILINE)

    from pydbml import PyDBML

    parsed = PyDBML(render(diagram, "dbml"))
    assert {f"{t.schema}.{t.name}" for t in parsed.tables} == {t.qualified for t in tables}
    refs = {(r.col1[0].table.schema + "." + r.col1[0].table.name, r.col2[0].table.schema + "." + r.col2[0].table.name)
            for r in parsed.refs}
    assert {(c, p) for c, p, _ in pairs} <= refs
    return diagram


def test_demo_every_table_and_foreign_key_in_every_format(demo):
    from analyzers.engine import analyze

    assert len(drawn(demo)) >= 30
    assert_complete(demo, analyze(demo).findings)


@needs_dot
def test_demo_svg_has_every_table_as_a_clickable_node(demo):
    from studio.erd import svg_targets

    diagram = build(demo, Options())
    root = svg_tree(render(diagram, "svg"))
    nodes = {g.get("id") for g in root.iter(f"{SVG}g") if g.get("class") == "node"}
    targets = svg_targets(diagram)
    assert set(targets) <= nodes
    assert sorted(v.removeprefix("table:") for v in targets.values()) == sorted(t.qualified for t in drawn(demo))
    edges = [g for g in root.iter(f"{SVG}g") if g.get("class") == "edge"]
    assert len(edges) == len(diagram.relationships)
    assert render(diagram, "png")[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("name", ["pagila-schema.sql", "chinook-postgresql.sql"])
def test_corpus_schemas_are_complete(name):
    from studio.sources import ddl

    catalog = ddl.load_file(corpus_file(name)).catalog
    diagram = assert_complete(catalog)
    if has_dot():
        root = svg_tree(render(diagram, "svg"))
        texts = svg_texts(root)
        for t in diagram.tables:
            assert diagram.label(t) in texts


# Focus ---------------------------------------------------------------------------------------------


def test_focus_depth_one_is_the_table_and_its_direct_neighbours(demo):
    pairs = declared_pairs(demo)
    degree = {}
    for child, parent, _ in pairs:
        degree[child] = degree.get(child, 0) + 1
        degree[parent] = degree.get(parent, 0) + 1
    # a table with both parents and children, not the most connected one
    focus = sorted((n for n in degree if 2 <= degree[n] < max(degree.values())), key=lambda n: (-degree[n], n))[0]
    expected = {focus} | {p for c, p, _ in pairs if c == focus} | {c for c, p, _ in pairs if p == focus}
    diagram = build(demo, Options(focus=focus, depth=1, implied=False))
    assert {t.qualified for t in diagram.tables} == expected
    assert len(expected) < len(drawn(demo))
    two = build(demo, Options(focus=focus, depth=2, implied=False))
    assert expected < {t.qualified for t in two.tables}
    zero = build(demo, Options(focus=focus, depth=0))
    assert [t.qualified for t in zero.tables] == [focus]


def test_unknown_focus_exits_2_naming_it_and_suggesting(tmp_path, capsys):
    from studio.cli import main

    path = tmp_path / "shop.sql"
    path.write_text(
        "CREATE TABLE customers (id bigint PRIMARY KEY);"
        "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers);"
    )
    assert main(["erd", "--ddl", str(path), "--format", "text", "--focus", "public.order"]) == 2
    err = capsys.readouterr().err
    assert "'public.order'" in err and "public.orders" in err
    out = tmp_path / "erd.txt"
    assert main(["erd", "--ddl", str(path), "--format", "text", "--focus", "orders", "-o", str(out)]) == 0
    assert "public.orders(customer_id) >- public.customers(id)" in out.read_text()


# Notation ------------------------------------------------------------------------------------------


def test_crows_foot_shows_optionality_and_one_to_one(catalog_of):
    catalog = catalog_of(
        """
        CREATE TABLE person (id bigint PRIMARY KEY);
        CREATE TABLE passport (id bigint PRIMARY KEY, person_id bigint NOT NULL UNIQUE REFERENCES person);
        CREATE TABLE car (id bigint PRIMARY KEY, owner_id bigint REFERENCES person);
        CREATE TABLE visit (id bigint PRIMARY KEY, person_id bigint NOT NULL REFERENCES person);
        """
    )
    dot = render(build(catalog, Options()), "dot")

    def edge(child):
        return next(line for line in dot.splitlines() if line.strip().startswith(node_id(f"public.{child}") + ":"))

    assert "arrowtail=teeodot" in edge("passport") and "arrowhead=teetee" in edge("passport")  # 1:1, mandatory
    assert "arrowtail=crowodot" in edge("car") and "arrowhead=teeodot" in edge("car")  # many, optional
    assert "arrowtail=crowodot" in edge("visit") and "arrowhead=teetee" in edge("visit")
    mermaid = render(build(catalog, Options()), "mermaid")
    assert "person ||--o| passport" in mermaid and "person |o--o{ car" in mermaid


def test_implied_foreign_keys_are_dashed_and_findings_are_marked(catalog_of):
    catalog = catalog_of(
        """
        CREATE TABLE customers (id bigint PRIMARY KEY, email text);
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL);
        """
    )
    finding = Finding("K001", "error", "keys", "public.orders", ("customer_id",), (), "no FK", "", "")
    dot = render(build(catalog, Options(), [finding]), "dot")
    implied = next(line for line in dot.splitlines() if "->" in line)
    assert "style=dashed" in implied and "FK?" in dot
    orders = next(line for line in dot.splitlines() if line.strip().startswith(node_id("public.orders") + " [id="))
    assert 'COLOR="#dc2626"' in orders and "<B>1</B>" in orders and "#fee2e2" in orders
    assert "->" not in render(build(catalog, Options(implied=False)), "dot")
    assert "Legend" in dot


def test_column_detail_keys_and_none(demo):
    full = render(build(demo, Options()), "dot")
    keys = render(build(demo, Options(columns="keys")), "dot")
    none = render(build(demo, Options(columns="none")), "dot")
    assert len(none) < len(keys) < len(full)
    assert "PORT=" not in none and "more column" not in full and "column" in keys


# Hostile identifiers -----------------------------------------------------------------------------

HOSTILE_SCHEMA = 'Sch<em>a "&'
HOSTILE_TABLE = 'Tä<b>le & "quoted" \'x\''
HOSTILE_COLUMN = 'co<l>&"umn'


@pytest.fixture
def hostile(catalog_of):
    s = HOSTILE_SCHEMA.replace('"', '""')
    t = HOSTILE_TABLE.replace('"', '""')
    c = HOSTILE_COLUMN.replace('"', '""')
    return catalog_of(
        f"""
        CREATE SCHEMA "{s}";
        CREATE TABLE "{s}"."{t}" ("{c}" bigint PRIMARY KEY, "ünï ✓" text);
        CREATE TABLE public."back\\slash" (id bigint PRIMARY KEY, "{c}" bigint REFERENCES "{s}"."{t}");
        COMMENT ON COLUMN "{s}"."{t}"."ünï ✓" IS 'it''s "quoted"';
        """
    )


def test_hostile_identifiers_are_escaped_in_dot_and_svg(hostile):
    diagram = build(hostile, Options())
    dot = render(diagram, "dot")
    quoted_id = node_id(f"{HOSTILE_SCHEMA}.{HOSTILE_TABLE}")
    assert quoted_id.startswith('"Sch<em>a \\"&.')  # a DOT id is a quoted string: only " is escaped
    assert dot.count("<b>") == dot.count(quoted_id) == 2  # the node and its edge; never inside a label
    assert "Tä&lt;b&gt;le &amp; &quot;quoted&quot;" in dot
    if not has_dot():
        pytest.skip("Graphviz `dot` is not installed: the SVG half of this test needs it")
    root = svg_tree(render(diagram, "svg"))  # parses as XML: nothing leaked as markup
    texts = svg_texts(root)
    assert f"{HOSTILE_SCHEMA}.{HOSTILE_TABLE}" in texts
    assert HOSTILE_COLUMN in texts and "ünï ✓" in texts
    assert not [e for e in root.iter() if e.tag in (f"{SVG}b", f"{SVG}em", "b", "em")]
    assert len([g for g in root.iter(f"{SVG}g") if g.get("class") == "edge"]) == 1


def test_hostile_identifiers_in_mermaid_dbml_and_text(hostile):
    from pydbml import PyDBML

    diagram = build(hostile, Options())
    mermaid = render(diagram, "mermaid")
    for line in mermaid.splitlines():
        assert line.count('"') in (0, 2), line  # a label never carries a raw double quote
    assert "<" not in mermaid and ">" not in mermaid
    parsed = PyDBML(render(diagram, "dbml"))
    dbml_names = {(t.schema, t.name) for t in parsed.tables}
    curly = str.maketrans({'"': "\u201d"})  # DBML cannot hold a double quote in a name
    assert dbml_names == {(HOSTILE_SCHEMA.translate(curly), HOSTILE_TABLE.translate(curly)), ("public", "back\\slash")}
    assert HOSTILE_COLUMN.translate(curly) in {c.name for t in parsed.tables for c in t.columns}
    assert len(parsed.refs) == 1
    assert f"{HOSTILE_SCHEMA}.{HOSTILE_TABLE}" in render(diagram, "text")


# Domains -----------------------------------------------------------------------------------------


def test_domains_split_communities_despite_a_hub_and_are_deterministic():
    tables = ["public.tenants"]
    edges = []
    for group in ("billing", "catalog", "fleet"):
        head = f"public.{group}"
        tables.append(head)
        edges.append((head, "public.tenants"))
        for i in range(5):
            child = f"public.{group}_{i}"
            tables.append(child)
            edges += [(child, head), (child, "public.tenants")]
            if i:
                edges.append((child, f"public.{group}_{i - 1}"))
    tables.append("public.lonely")
    domains = find_domains(tables, edges)
    assert domains == find_domains(list(reversed(tables)), list(reversed(edges)))
    named = {d.name: set(d.tables) for d in domains}
    for group in ("billing", "catalog", "fleet"):
        assert any({f"public.{group}_{i}" for i in range(5)} <= members for members in named.values()), group
    assert named["unlinked tables"] == {"public.lonely"}
    assert sorted(t for d in domains for t in d.tables) == sorted(tables)


def test_domain_overview_has_one_node_per_domain(demo):
    domains = compute_domains(demo)
    assert 2 <= len(domains) < len(drawn(demo))
    dot = overview_dot(demo, Options(), domains)
    assert len(re.findall(r"^  d\d+ \[id=", dot, re.MULTILINE)) == len(domains)
    assert re.search(r"^  d\d+ -> d\d+ \[label=\"\d+\"", dot, re.MULTILINE)
    one = domains[0]
    diagram = build(demo, Options(domain=one.name, cluster="domain"), domains=domains)
    assert {t.qualified for t in diagram.tables} == set(one.tables)


def path_points(d: str) -> list[tuple[float, float]]:
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", d)]
    return list(zip(numbers[::2], numbers[1::2], strict=True))


@needs_dot
def test_an_edge_between_two_schemas_runs_between_them(demo):
    """The demo's implied FK from `public` into `catalog` once looped around the whole diagram
    (each schema cluster ranked apart); it runs from one table to the other, bulging little."""
    root = svg_tree(render(build(demo, Options(columns="keys")), "svg"))
    dashed = [p for p in root.iter(f"{SVG}path") if p.get("stroke-dasharray")]
    assert dashed, "the demo has implied foreign keys, drawn dashed"
    for path in dashed:
        points = path_points(path.get("d"))
        (_, y0), (_, y1) = points[0], points[-1]
        ys = [y for _, y in points]
        detour = (max(ys) - min(ys)) - abs(y1 - y0)
        assert detour < 150, f"dashed edge bulges {detour:.0f} pt beyond its ends: {path.get('d')}"
