"""ERD at scale and from the CLI: engine choice by size, the layout timeout, --overview, the user's config."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from analyzers.engine import analyze
from analyzers.families import all_rules
from studio.erd import Options, build, compute_domains, render, render_overview
from studio.erd.dot import FORCE_FROM, node_id
from studio.erd.layout import has_dot
from studio.erd.layout import render as layout
from studio.errors import StudioError
from studio.sql import ident, qualified

needs_dot = pytest.mark.skipif(not has_dot(), reason="Graphviz `dot` is not installed (the setup script installs it)")
SVG = "{http://www.w3.org/2000/svg}"


def svg_node_ids(svg: str, kind: str = "n") -> list[str]:
    root = ET.fromstring(svg)
    return [g.get("id") for g in root.iter(f"{SVG}g") if g.get("class") == "node" and g.get("id", "").startswith(f"erd-{kind}-")]


def chain_ddl(n: int, odd: str = "public", even: str = "sales") -> str:
    """n tables over two schemas, each referencing the one before it and the one at half its number."""
    lines = [f"CREATE SCHEMA IF NOT EXISTS {ident(s)};" for s in (odd, even)]

    def table(i: int) -> str:
        return qualified(odd if i % 2 else even, f"t{i:04d}")

    for i in range(1, n + 1):
        refs = ""
        if i > 1:
            a, b = i - 1, max(1, i // 2)
            refs = f", a_id bigint REFERENCES {table(a)}, b_id bigint REFERENCES {table(b)}"
        lines.append(f"CREATE TABLE {table(i)} (id bigint PRIMARY KEY, name text NOT NULL{refs});")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def large():
    """Loaded once for the module: a real database with more tables than the layered layout takes."""
    from studio.sources import embedded
    from tests.conftest import ScratchDB

    with embedded.scratch_database("test") as name:
        db = ScratchDB(name)
        db.execute(chain_ddl(FORCE_FROM + 50))
        yield db.catalog()


HOSTILE_SCHEMAS = ('Sales & <Co> "EU"', "ünïcode's")


@pytest.fixture(scope="module")
def hostile_large():
    """As `large`, over two schemas whose names need escaping in DOT, XML and HTML."""
    from studio.sources import embedded
    from tests.conftest import ScratchDB

    with embedded.scratch_database("test") as name:
        db = ScratchDB(name)
        db.execute(chain_ddl(FORCE_FROM + 10, *HOSTILE_SCHEMAS))
        yield db.catalog()


@pytest.fixture(scope="module")
def demo():
    from studio.sources import demo as demo_source

    return demo_source.load().catalog


def test_small_diagrams_keep_the_layered_layout_and_clusters(demo):
    dot = render(build(demo, Options()), "dot")
    assert "layout=sfdp" not in dot
    assert "splines=spline" in dot
    assert "subgraph cluster_" in dot  # the demo has several schemas


def test_large_diagrams_are_force_directed_with_groups_as_tints(large):
    tables = [t.qualified for t in large.tables if t.kind == "table"]
    assert len(tables) > FORCE_FROM
    dot = render(build(large, Options(columns="keys")), "dot")
    assert "layout=sfdp" in dot and "splines=false" in dot
    assert "subgraph cluster_" not in dot  # sfdp ignores clusters; the schemas are tints instead
    tints = set(re.findall(r'COLOR="#94a3b8" BGCOLOR="(#[0-9a-f]{6})"', dot))
    assert len(tints) == 2
    for name in tables:
        assert f"{node_id(name)} [id=" in dot


def legend_groups(dot: str) -> dict[str, tuple[str, int]]:
    """Escaped group name -> (tint, table count), from the DOT legend's Groups rows."""
    rows = re.findall(r'<TD BGCOLOR="(#[0-9a-f]{6})" BORDER="1"[^>]*>&#160;</TD><TD ALIGN="LEFT">(.*?) <FONT[^>]*>\((\d+) tables?\)', dot)
    return {name: (tint, int(count)) for tint, name, count in rows}


def tints_of(dot: str) -> dict[str, str]:
    """Node id -> its table background."""
    return dict(re.findall(r'^  ("(?:[^"\\]|\\.)*") \[id="erd-n-\d+", label=<<TABLE [^>]*BGCOLOR="(#[0-9a-f]{6})"', dot, re.M))


def test_large_diagrams_have_a_legend_of_group_tints(large):
    dot = render(build(large, Options(columns="keys")), "dot")
    groups = legend_groups(dot)
    tables = [t for t in large.tables if t.kind == "table"]
    assert set(groups) == {"public", "sales"}
    assert "<B>Schemas</B>" in dot
    assert sum(count for _, count in groups.values()) == len(tables)
    tints = tints_of(dot)
    for t in tables:
        assert tints[node_id(t.qualified)] == groups[t.schema][0], t.qualified
    assert len({tint for tint, _ in groups.values()}) == len(groups)  # one colour per group


def test_large_diagrams_grouped_by_domain_name_each_domain_in_the_legend(large):
    options = Options(columns="none", cluster="domain")
    domains = compute_domains(large, options)
    dot = render(build(large, options, domains=domains), "dot")
    groups = legend_groups(dot)
    assert len(domains) > 1
    assert "<B>Domains</B>" in dot
    assert {d.name for d in domains} <= set(groups)
    assert sum(count for _, count in groups.values()) == len([t for t in large.tables if t.kind == "table"])
    assert len({tint for tint, _ in groups.values()}) == len(groups)


def test_small_diagrams_have_no_group_legend(demo):
    assert legend_groups(render(build(demo, Options()), "dot")) == {}  # cluster boxes carry the names


def test_group_names_in_the_legend_are_escaped(hostile_large):
    dot = render(build(hostile_large, Options(columns="none")), "dot")
    assert set(legend_groups(dot)) == {"Sales &amp; &lt;Co&gt; &quot;EU&quot;", "ünïcode&#x27;s"}  # html.escape's form of '
    legend = next(line for line in dot.splitlines() if line.startswith("  legend "))
    assert "<Co>" not in legend and '"EU"' not in legend


@needs_dot
def test_group_legend_lays_out_with_the_names_as_text(hostile_large):
    root = ET.fromstring(render(build(hostile_large, Options(columns="none")), "svg"))
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("id") == "erd-legend")
    texts = ["".join(t.itertext()).strip() for t in legend.iter(f"{SVG}text")]
    for schema in HOSTILE_SCHEMAS:
        assert schema in texts, texts[-8:]


@needs_dot
def test_large_diagram_lays_out_with_every_table(large):
    svg = render(build(large, Options(columns="keys")), "svg")
    drawn = [t for t in large.tables if t.kind == "table"]
    assert len(set(svg_node_ids(svg))) == len(drawn)


@needs_dot
def test_layout_timeout_says_what_to_draw_instead(large):
    dot = render(build(large, Options()), "dot")
    with pytest.raises(StudioError) as caught:
        layout(dot, "svg", timeout=0, what=f"{len(large.tables)} tables")
    message = str(caught.value)
    assert "\n" not in message
    assert f"{len(large.tables)} tables" in message
    for hint in ("--focus", "--depth", "--overview", "--domain"):
        assert hint in message


# CLI ----------------------------------------------------------------------------------------------


def test_cli_overview_as_text_lists_every_domain_and_table(demo, capsys):
    from studio.cli import main

    assert main(["erd", "--demo", "--overview", "--format", "text"]) == 0
    out = capsys.readouterr().out
    domains = compute_domains(demo)
    for d in domains:
        assert re.search(rf"^{re.escape(d.name)}  \({len(d.tables)} tables?\)$", out, re.MULTILINE), d.name
        for t in d.tables:
            assert t in out
    assert " -> " in out
    assert out == render_overview(demo, "text")


def test_cli_overview_rejects_formats_and_options_it_cannot_draw(capsys):
    from studio.cli import main

    assert main(["erd", "--demo", "--overview", "--format", "mermaid"]) == 2
    assert "--overview is drawn as dot, svg, png, text" in capsys.readouterr().err
    assert main(["erd", "--demo", "--overview", "--focus", "public.work_orders"]) == 2
    assert "leave out --focus" in capsys.readouterr().err


@needs_dot
def test_cli_overview_svg_has_one_node_per_domain(demo, tmp_path):
    from studio.cli import main

    out = tmp_path / "overview.svg"
    assert main(["erd", "--demo", "--overview", "--format", "svg", "-o", str(out)]) == 0
    assert len(set(svg_node_ids(out.read_text(), "d"))) == len(compute_domains(demo))


def marked_tables(text: str) -> dict[str, int]:
    """Table -> finding count from the text ERD's titles ("schema.table  [3 findings, worst warning]")."""
    return {
        m.group(1): int(m.group(2))
        for m in re.finditer(r"^(\S+)  (?:\([^)]*\)  )?\[(\d+) findings?, worst \w+\]$", text, re.MULTILINE)
    }


def test_cli_marks_findings_under_the_discovered_config(demo, tmp_path, monkeypatch, capsys):
    from studio.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["erd", "--demo", "--format", "text"]) == 0
    default = marked_tables(capsys.readouterr().out)
    assert default
    rules = ", ".join(f'"{r}"' for r in sorted(all_rules()))
    (tmp_path / "schema-studio.toml").write_text(f"disable = [{rules}]\n", encoding="utf-8")
    assert main(["erd", "--demo", "--format", "text"]) == 0
    assert marked_tables(capsys.readouterr().out) == {}


def test_cli_marks_findings_under_a_given_config_with_suppressions(demo, tmp_path, capsys):
    from analyzers import config as config_file
    from studio.cli import main

    finding = analyze(demo).findings[0]
    path = tmp_path / "team.toml"
    path.write_text(
        f'[[suppress]]\nrule = "{finding.rule}"\nobject = "{finding.table}"\nreason = "accepted in review"\n',
        encoding="utf-8",
    )
    assert main(["erd", "--demo", "--format", "text", "--config", str(path)]) == 0
    marked = marked_tables(capsys.readouterr().out)
    expected = [f for f in analyze(demo, config_file.load(path)).findings if f.table == finding.table]
    assert marked.get(finding.table, 0) == len(expected)
    before = [f for f in analyze(demo).findings if f.table == finding.table]
    assert len(expected) < len(before)


def test_cli_reports_a_bad_config_in_one_line(tmp_path, capsys):
    from studio.cli import main

    path = tmp_path / "bad.toml"
    path.write_text('disable = ["no-such-rule"]\n', encoding="utf-8")
    assert main(["erd", "--demo", "--format", "text", "--config", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "no-such-rule" in err and "\n" not in err
