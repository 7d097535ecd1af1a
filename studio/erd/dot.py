"""Graphviz DOT: HTML-table nodes, crow's-foot edges between column ports, findings, a legend.

Crow's-foot ends (Graphviz arrow shapes, the first drawn nearest the table):
  referencing side: `crowodot` zero-or-many, `teeodot` zero-or-one (a unique FK: one-to-one);
  referenced side:  `teetee` exactly one (NOT NULL FK), `teeodot` zero-or-one (nullable FK).
"""

from __future__ import annotations

import colorsys
import re
from collections.abc import Callable
from functools import partial

from studio.catalog import Table
from studio.erd.bands import band_of
from studio.erd.escape import dot_string, html
from studio.erd.model import Diagram, Relationship

SEVERITY_COLOURS = {"error": "#dc2626", "warning": "#d97706", "info": "#2563eb"}
SEVERITY_TINTS = {"error": "#fee2e2", "warning": "#fef3c7", "info": "#dbeafe"}
HEADER = "#334155"
FOCUS_HEADER = "#0f766e"
BORDER = "#94a3b8"
FONT = "Helvetica"
TYPE_COLOUR = "#64748b"
CLUSTER_FILLS = ("#f8fafc", "#f0f9ff", "#fefce8", "#f0fdf4", "#fdf4ff", "#fff7ed", "#f5f3ff", "#ecfeff")
# Table backgrounds that tell groups apart where there are no cluster boxes (sfdp): stronger than
# CLUSTER_FILLS (near-white there, behind a titled box) and no red, amber or blue, which mark
# columns with findings (SEVERITY_TINTS).
GROUP_TINTS = ("#dcfce7", "#fae8ff", "#cffafe", "#ede9fe", "#e2e8f0", "#ecfccb", "#ccfbf1", "#fce7f3", "#e7e5e4")


def node_id(table: str) -> str:
    return dot_string(table)


def svg_id(index: int, kind: str = "n") -> str:
    """The id Graphviz gives the node's SVG group: the page maps it back to a table or domain."""
    return f"erd-{kind}-{index}"


def short_type(type_: str) -> str:
    return (
        type_.replace("character varying", "varchar")
        .replace("timestamp with time zone", "timestamptz")
        .replace("timestamp without time zone", "timestamp")
        .replace("time with time zone", "timetz")
        .replace("double precision", "float8")
        .replace("character(", "char(")
    )


def key_columns(table: Table, diagram: Diagram) -> set[str]:
    keys = set(table.primary_key.columns) if table.primary_key else set()
    for u in table.uniques:
        keys.update(u.columns)
    for r in diagram.touching.get(table.qualified, ()):
        if r.table == table.qualified:
            keys.update(r.columns)
        if r.ref_table == table.qualified:
            keys.update(r.ref_columns)
    for r in diagram.outside_by_table.get(table.qualified, ()):
        keys.update(r.columns)
    return keys


def column_markers(table: Table, diagram: Diagram) -> dict[str, list[str]]:
    markers: dict[str, list[str]] = {c.name: [] for c in table.columns}
    for c in table.primary_key.columns if table.primary_key else ():
        markers.setdefault(c, []).append("PK")
    for r in diagram.touching.get(table.qualified, ()):
        if r.table == table.qualified:
            for c in r.columns:
                tag = "FK" if r.declared else "FK?"
                if tag not in markers.setdefault(c, []):
                    markers[c].append(tag)
    for r in diagram.outside_by_table.get(table.qualified, ()):
        for c in r.columns:
            tag = f"{'FK' if r.declared else 'FK?'} → {diagram.target_label(r.ref_table)}"
            if tag not in markers.setdefault(c, []):
                markers[c].append(tag)
    for u in table.uniques:
        for c in u.columns:
            if "UQ" not in markers.setdefault(c, []) and "PK" not in markers[c]:
                markers[c].append("UQ")
    for c in table.columns:
        if not c.nullable and "PK" not in markers[c.name]:
            markers[c.name].append("NN")
    return markers


def shown_columns(table: Table, diagram: Diagram):
    detail = diagram.options.columns
    if detail == "none":
        return []
    if detail == "keys":
        keys = key_columns(table, diagram)
        return [(i, c) for i, c in enumerate(table.columns) if c.name in keys]
    return list(enumerate(table.columns))


def table_label(table: Table, diagram: Diagram, fill: str | None = None) -> str:
    marks = diagram.marks.get(table.qualified)
    focus = diagram.options.focus == table.qualified
    border = SEVERITY_COLOURS[marks.severity] if marks and marks.severity in SEVERITY_COLOURS else BORDER
    title = html(diagram.label(table))
    if table.kind != "table":
        title += " " + small(_kind_note(table, diagram))
    header_fill = FOCUS_HEADER if focus else HEADER
    background = f' BGCOLOR="{fill}"' if fill else ""
    rows = [
        f'<TABLE BORDER="{2 if marks else 1}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" COLOR="{border}"{background}>'
    ]
    header = (f'<TD BGCOLOR="{header_fill}" ALIGN="LEFT" COLSPAN="{2 if marks else 3}"{note_tooltip(table.comment)}>'
              f'<FONT COLOR="white"><B>{title}</B></FONT></TD>')
    if marks:
        badge = SEVERITY_COLOURS.get(marks.severity, BORDER)
        header += f'<TD BGCOLOR="{badge}" ALIGN="RIGHT"><FONT COLOR="white"><B>{marks.count}</B></FONT></TD>'
    rows.append(f"<TR>{header}</TR>")
    markers = column_markers(table, diagram)
    column_marks = dict(marks.columns) if marks else {}
    for index, column in shown_columns(table, diagram):
        tint = SEVERITY_TINTS.get(column_marks.get(column.name, ""), "")
        bg = f' BGCOLOR="{tint}"' if tint else ""
        tags = " ".join(markers.get(column.name, ()))
        name = html(column.name)
        if table.primary_key and column.name in table.primary_key.columns:
            name = f"<B>{name}</B>"
        tip = note_tooltip(column.comment)
        rows.append(
            f'<TR><TD ALIGN="LEFT" PORT="w{index}"{bg}{tip}>{name}</TD>'
            f'<TD ALIGN="LEFT"{bg}{tip}><FONT COLOR="{TYPE_COLOUR}">{html(short_type(column.type))}</FONT></TD>'
            f'<TD ALIGN="RIGHT" PORT="e{index}"{bg}{tip}>{small(tags)}</TD></TR>'
        )
    if diagram.options.columns != "all" and len(table.columns) > len(shown_columns(table, diagram)):
        hidden = len(table.columns) - len(shown_columns(table, diagram))
        rows.append(
            f'<TR><TD ALIGN="LEFT" COLSPAN="3"><FONT POINT-SIZE="9" COLOR="{TYPE_COLOUR}">'
            f"+{hidden} column{'s' if hidden != 1 else ''}</FONT></TD></TR>"
        )
    rows.append("</TABLE>")
    return "<" + "".join(rows) + ">"


# Notes on hover. Graphviz writes a cell's TOOLTIP only for a cell with an HREF, as <a xlink:href
# xlink:title>; `note_titles` turns those anchors into plain groups with an SVG <title> (the standard
# tooltip, and what the studio's viewer shows), so no note is a link.
NOTE_HREF = "#erd-note"
MAX_TOOLTIP = 600  # characters; the details panel shows the whole note
_NOTE_ANCHOR = re.compile(r'<a xlink:href="' + re.escape(NOTE_HREF) + r'" xlink:title="([^"]*)">(.*?)</a>', re.S)


def note_tooltip(note: str | None) -> str:
    """The TOOLTIP (and HREF) attributes of a cell showing `note` on hover; none without a note."""
    if not note:
        return ""
    text = note if len(note) <= MAX_TOOLTIP else note[: MAX_TOOLTIP - 1] + "…"
    # a backslash would start one of Graphviz's escapes (\N: the node's name): shown as a look-alike
    return f' HREF="{NOTE_HREF}" TOOLTIP="{html(text.replace(chr(92), chr(0x29F5)))}"'


def note_titles(svg: str) -> str:
    """The SVG with each note's anchor made a <g class="erd-note"> holding a <title> (no link)."""
    return _NOTE_ANCHOR.sub(r'<g class="erd-note"><title>\1</title>\2</g>', svg)


def small(text: str, colour: str | None = None) -> str:
    """Small print; Graphviz rejects an empty <FONT> element, so empty text stays empty."""
    if not text:
        return ""
    tint = f' COLOR="{colour}"' if colour else ""
    return f'<FONT POINT-SIZE="9"{tint}>{html(text)}</FONT>'


def _kind_note(table: Table, diagram: Diagram) -> str:
    if table.kind == "partitioned_table":
        n = diagram.partitions.get(table.qualified, 0)
        return f"partitioned, {n} partition{'s' if n != 1 else ''}"
    return table.kind.replace("_", " ")


def _port(table: Table, diagram: Diagram, column: str, side: str) -> str:
    """The column's port; left to right, edges leave a child on the east and enter a parent on the west."""
    shown = {c.name: i for i, c in shown_columns(table, diagram)}
    if column not in shown:
        return ""
    return f":{side}{shown[column]}:{side}" if diagram.options.direction == "LR" else f":w{shown[column]}"


def edge_line(r: Relationship, tables: dict[str, Table], diagram: Diagram, across_bands: bool = False) -> str:
    tail = node_id(r.table) + _port(tables[r.table], diagram, r.columns[0], "e")
    head = node_id(r.ref_table) + _port(tables[r.ref_table], diagram, r.ref_columns[0], "w")
    attrs = {
        "dir": "both",
        "arrowtail": "teeodot" if r.one_to_one else "crowodot",
        "arrowhead": "teeodot" if r.optional else "teetee",
        "color": '"#475569"' if r.declared else '"#7c3aed"',
    }
    if not r.declared:
        attrs["style"] = "dashed"
    if across_bands:  # lets the next band start again at the first rank (studio/erd/bands.py)
        attrs["constraint"] = "false"
    return f"  {tail} -> {head} [{', '.join(f'{k}={v}' for k, v in attrs.items())}];"


def group_tint(index: int) -> str:
    """The `index`-th group's table background: GROUP_TINTS, then pastel hues a golden ratio apart
    (every group its own tint, so the legend names one group per colour), kept to yellow-green to
    cyan (60-190 degrees) and violet to pink (250-330), away from the severity tints."""
    if index < len(GROUP_TINTS):
        return GROUP_TINTS[index]
    spread = ((index - len(GROUP_TINTS)) * 0.618034) % 1 * 210
    hue = 60 + spread if spread < 130 else 250 + (spread - 130)
    red, green, blue = colorsys.hls_to_rgb(hue / 360, 0.9, 0.65)
    return f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"


def legend_label(groups: list[tuple[str, str, int]] = (), groups_title: str = "Groups") -> str:
    """The legend; `groups` (name, tint, table count) adds what each table background means."""
    def row(sample: str, text: str) -> str:
        return f'<TR><TD ALIGN="LEFT">{sample}</TD><TD ALIGN="LEFT">{text}</TD></TR>'

    rows = [
        '<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" COLOR="#cbd5e1">',
        f'<TR><TD COLSPAN="2" BGCOLOR="{HEADER}"><FONT COLOR="white"><B>Legend</B></FONT></TD></TR>',
        row("PK FK UQ NN", "primary key, foreign key, unique, NOT NULL"),
        row("FK?", "implied foreign key (no constraint)"),
        row('<FONT COLOR="#475569">────</FONT>', "declared foreign key"),
        row('<FONT COLOR="#7c3aed">- - - -</FONT>', "implied foreign key (dashed)"),
        row("&gt;o", "zero or many (crow's foot)"),
        row("o|", "zero or one (nullable FK, or unique FK: one-to-one)"),
        row("||", "exactly one (NOT NULL FK)"),
    ]
    for severity, colour in SEVERITY_COLOURS.items():
        rows.append(row(f'<FONT COLOR="{colour}"><B>■ n</B></FONT>', f"findings, worst {severity}"))
    if groups:
        rows.append(f'<TR><TD COLSPAN="2" BGCOLOR="{HEADER}"><FONT COLOR="white"><B>{html(groups_title)}</B></FONT></TD></TR>')
    for name, tint, count in sorted(groups, key=lambda g: str(g[0]).casefold()):
        rows.append(
            f'<TR><TD BGCOLOR="{tint}" BORDER="1" COLOR="{BORDER}">&#160;</TD>'
            f'<TD ALIGN="LEFT">{html(name)} <FONT COLOR="{TYPE_COLOUR}">({count} table{"s" if count != 1 else ""})</FONT></TD></TR>'
        )
    rows.append("</TABLE>")
    return "<" + "".join(rows) + ">"


BOUNDED_FROM = 60  # tables; past this, bound Graphviz's network simplex and crossing passes
FORCE_FROM = 200  # tables; past this, lay out with sfdp (force-directed) instead of dot (layered)


def layout_attributes(size: int) -> str:
    """Graph attributes that choose and tune the layout engine for a diagram of `size` tables.

    Up to 60 tables: `dot` unbounded, curved edges between column ports (best at workshop size).
    `newrank=true` ranks the whole graph at once instead of each schema cluster apart: an edge
    between two schemas then runs straight between them. With per-cluster ranking the demo's one
    implied FK from `public` into `catalog` looped around the whole diagram, and the diagram was
    15% taller.
    60 to 200: `dot` with network simplex and crossing passes bounded. Unbounded, 150 tables took
    15+ s; bounded, 0.5 s (all columns), a layout only slightly less compact.
    Past 200: `sfdp` with overlap removal and straight edges, named in the DOT (`layout=`) so an
    exported file lays out the same way. `dot`'s cost grows with the depth of the relationship
    graph: 250 tables took 2 s, 400 took 6-8 s, 1,000 more than 30 s even with splines=false,
    remincross=false and nslimit=0.01 (10 s); its result is also hundreds of ranks wide. sfdp lays
    out 1,000 tables in about 1 s as a compact 2-D map that reads well zoomed in. Curved or
    polyline edges around the nodes (splines=true|polyline) took more than 40 s at 1,000, so the
    edges are straight. sfdp ignores clusters, so groups are shown by tinting the tables instead.
    """
    if size > FORCE_FROM:
        return 'layout=sfdp, overlap=prism, splines=false, sep="+6"'
    if size > BOUNDED_FROM:
        return "splines=spline, newrank=true, nslimit=2, nslimit1=2, mclimit=0.3"
    return "splines=spline, newrank=true"


def force_directed(size: int) -> bool:
    return size > FORCE_FROM


def graph_header(direction: str, name: str = "erd", size: int = 0) -> list[str]:
    return [
        f"digraph {name} {{",
        f'  graph [rankdir={direction}, fontname="{FONT}", fontsize=11, nodesep=0.35, ranksep=0.9, '
        f'pad=0.3, bgcolor="white", {layout_attributes(size)}];',
        f'  node [shape=plaintext, fontname="{FONT}", fontsize=10, margin=0];',
        f'  edge [fontname="{FONT}", fontsize=9, arrowsize=0.8, penwidth=1.1];',
    ]


def to_dot(diagram: Diagram, only: set[str] | None = None, legend: bool | None = None, bands: int = 1) -> str:
    """The diagram as DOT; `only` keeps those tables (one connected part), `legend` overrides the option,
    `bands` > 1 wraps the ranks into that many bands side by side (studio/erd/bands.py)."""
    options = diagram.options
    drawn = [t for t in diagram.tables if only is None or t.qualified in only]
    lines = graph_header(options.direction, size=len(diagram.tables))
    tables = {t.qualified: t for t in diagram.tables}
    index = {t.qualified: i for i, t in enumerate(diagram.tables)}
    keep = {t.qualified for t in drawn}
    edges = [r for r in diagram.relationships if r.table in keep]
    sfdp = force_directed(len(diagram.tables))
    band = {} if bands < 2 or sfdp else band_of(keep, [(r.table, r.ref_table) for r in edges], bands)

    def node(table: Table, indent: str = "  ", fill: str | None = None) -> str:
        label = table_label(table, diagram, fill)
        return f"{indent}{node_id(table.qualified)} [id={dot_string(svg_id(index[table.qualified]))}, label={label}];"

    groups: dict[str, list[Table]] = {}
    if options.cluster == "schema" and diagram.multi_schema:
        for t in diagram.tables:
            groups.setdefault(t.schema, []).append(t)
    elif options.cluster == "domain" and diagram.domains:
        domain_of = diagram.domain_of
        for t in diagram.tables:
            groups.setdefault(domain_of.get(t.qualified, "other"), []).append(t)
    legend_groups: list[tuple[str, str, int]] = []
    if len(groups) > 1 and sfdp:
        for i, (title, members) in enumerate(groups.items()):
            legend_groups.append((title, group_tint(i), len(members)))
            lines.extend(node(t, fill=group_tint(i)) for t in members if t.qualified in keep)
    else:
        for b in sorted(set(band.values())) if band else [None]:
            indent = "  " if b is None else "    "
            if b is not None:
                lines.append(f"  subgraph cluster_band{b} {{")
                lines.append('    label=""; peripheries=0;')
            inside = {t.qualified for t in drawn if b is None or band[t.qualified] == b}
            if len(groups) > 1:
                for i, (title, members) in enumerate(groups.items()):
                    members = [t for t in members if t.qualified in inside]
                    if not members:
                        continue
                    fill = CLUSTER_FILLS[i % len(CLUSTER_FILLS)]
                    lines.append(f"{indent}subgraph cluster_{i}{'' if b is None else f'_{b}'} {{")
                    lines.append(f'{indent}  label=<<B>{html(title)}</B>>; style="rounded,filled"; '
                                 f'fillcolor="{fill}"; color="#cbd5e1";')
                    lines.extend(node(t, indent + "  ") for t in members)
                    lines.append(f"{indent}}}")
            else:
                lines.extend(node(t, indent) for t in drawn if t.qualified in inside)
            if b is not None:
                lines.append("  }")
    lines.extend(edge_line(r, tables, diagram, band.get(r.table) != band.get(r.ref_table)) for r in edges)
    if options.legend if legend is None else legend:
        title = "Schemas" if options.cluster == "schema" else "Domains"
        lines.append(f"  legend [id=\"erd-legend\", label={legend_label(legend_groups, title)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def connected_parts(diagram: Diagram) -> list[set[str]]:
    """The diagram's tables in parts no relationship links to each other, largest first."""
    parent = {t.qualified: t.qualified for t in diagram.tables}

    def root(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    for r in diagram.relationships:
        parent[root(r.table)] = root(r.ref_table)
    parts: dict[str, set[str]] = {}
    for name in parent:
        parts.setdefault(root(name), set()).add(name)
    return sorted(parts.values(), key=lambda p: (-len(p), min(p)))


def part_dots(diagram: Diagram) -> list[Callable[..., str]]:
    """One DOT graph per connected part (single tables wrapped into one), the legend last on its own:
    each a function of `bands` (see to_dot), so the layout can wrap a part that comes out a strip."""
    parts = connected_parts(diagram)
    singles = set().union(*[p for p in parts if len(p) == 1]) if parts else set()
    drawers = [partial(to_dot, diagram, p, False) for p in parts if len(p) > 1]
    if singles:
        drawers.append(partial(to_dot, diagram, singles, False))
    if diagram.options.legend:
        drawers.append(partial(to_dot, diagram, set(), True))
    return drawers
