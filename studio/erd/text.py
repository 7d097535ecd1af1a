"""A plain-text ERD for terminals and code review: one block per table, then the relationships."""

from __future__ import annotations

from studio.erd.dot import column_markers, short_type, shown_columns
from studio.erd.model import Diagram, Relationship


def cardinality(r: Relationship) -> str:
    child = "0..1" if r.one_to_one else "0..*"
    parent = "0..1" if r.optional else "1"
    return f"{child} to {parent}"


def to_text(diagram: Diagram) -> str:
    lines: list[str] = []
    outgoing: dict[str, list[Relationship]] = {}
    incoming: dict[str, list[Relationship]] = {}
    for r in diagram.relationships:
        outgoing.setdefault(r.table, []).append(r)
        incoming.setdefault(r.ref_table, []).append(r)
    for t in diagram.tables:
        marks = diagram.marks.get(t.qualified)
        title = t.qualified
        if t.kind != "table":
            title += f"  ({t.kind.replace('_', ' ')})"
        if marks:
            title += f"  [{marks.count} finding{'s' if marks.count != 1 else ''}, worst {marks.severity}]"
        columns = shown_columns(t, diagram)
        markers = column_markers(t, diagram)
        width = max([len(c.name) for _, c in columns] + [4])
        type_width = max([len(short_type(c.type)) for _, c in columns] + [4])
        rule = "-" * max(len(title), width + type_width + 12)
        lines += [title, rule]
        for _, c in columns:
            tags = " ".join(markers.get(c.name, ()))
            lines.append(f"  {c.name:<{width}}  {short_type(c.type):<{type_width}}  {tags}".rstrip())
        hidden = len(t.columns) - len(columns)
        if hidden and diagram.options.columns != "all":
            lines.append(f"  (+{hidden} more column{'s' if hidden != 1 else ''})")
        for r in outgoing.get(t.qualified, ()):
            lines.append(f"  -> {_ref(r)}")
        for r in incoming.get(t.qualified, ()):
            lines.append(f"  <- {r.table}({', '.join(r.columns)}){'' if r.declared else '  [implied]'}")
        lines.append("")
    if diagram.relationships:
        lines.append("Relationships (child >- parent, cardinality child to parent)")
        lines.append("-" * 60)
        for r in diagram.relationships:
            lines.append(
                f"  {r.table}({', '.join(r.columns)}) >- {r.ref_table}({', '.join(r.ref_columns)})"
                f"  {cardinality(r)}{'' if r.declared else '  [implied, no constraint]'}"
            )
    return "\n".join(lines).rstrip() + "\n"


def _ref(r: Relationship) -> str:
    kind = "" if r.declared else "  [implied]"
    return f"({', '.join(r.columns)}) {r.ref_table}({', '.join(r.ref_columns)})  {cardinality(r)}{kind}"


def overview_text(domains, edges: dict[tuple[str, str], int]) -> str:
    """The domain overview for a terminal: each domain, its size and tables, and its links to other domains."""
    lines: list[str] = []
    for d in domains:
        lines.append(f"{d.name}  ({len(d.tables):,} table{'s' if len(d.tables) != 1 else ''})")
        lines.append("-" * max(len(lines[-1]), 20))
        lines.append("  " + ", ".join(d.tables))
        for (a, b), count in sorted(edges.items()):
            if a == d.name:
                lines.append(f"  -> {b}  ({count} foreign key{'s' if count != 1 else ''})")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
