"""Mermaid `erDiagram`: entity aliases for names Mermaid cannot take, relationships with cardinality.

Mermaid entity names are bare words; any other name gets a generated alias and the real
name as its label (`e3["public.Order Lines"]`). Labels, attribute comments and relationship
labels cannot hold double quotes, so those become typographic quotes.
"""

from __future__ import annotations

import re

from studio.erd.dot import column_markers, short_type, shown_columns
from studio.erd.model import Diagram

_BARE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_TYPE_CHARS = re.compile(r"[^A-Za-z0-9_\-\[\]()]")
_RESERVED = {"erdiagram", "direction", "style", "classdef", "class", "title", "accTitle", "accDescr"}


def text(value: str) -> str:
    """Text safe inside a Mermaid double-quoted string."""
    value = value.replace('"', "\u201d").replace("\n", " ").replace("\r", " ")
    return value.replace("#", "#35;").replace("<", "#lt;").replace(">", "#gt;")


def attribute_type(type_: str) -> str:
    cleaned = _TYPE_CHARS.sub("_", short_type(type_).replace(", ", ","))
    return cleaned if re.match(r"[A-Za-z_]", cleaned) else "t_" + cleaned


def attribute_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_]+", "_", name)
    return cleaned if re.match(r"[A-Za-z_]", cleaned or "0") else "c_" + cleaned


def entity_names(diagram: Diagram) -> dict[str, tuple[str, str | None]]:
    """Each table's Mermaid entity: (identifier, label or None when the identifier is the name)."""
    names: dict[str, tuple[str, str | None]] = {}
    used: set[str] = set()
    for i, t in enumerate(diagram.tables):
        shown = diagram.label(t)
        candidate = shown.replace(".", "__")
        if _BARE.match(candidate) and candidate.lower() not in used and candidate.lower() not in _RESERVED:
            names[t.qualified] = (candidate, None if candidate == shown else shown)
            used.add(candidate.lower())
        else:
            alias = f"e{i}"
            while alias.lower() in used:
                alias += "_"
            used.add(alias.lower())
            names[t.qualified] = (alias, shown)
    return names


def to_mermaid(diagram: Diagram) -> str:
    lines = ["erDiagram"]
    if diagram.options.direction == "LR":
        lines.append("    direction LR")
    names = entity_names(diagram)
    for t in diagram.tables:
        ident, label = names[t.qualified]
        head = f'{ident}["{text(label)}"]' if label else ident
        columns = shown_columns(t, diagram)
        if not columns:
            lines.append(f"    {head} {{")
            lines.append("    }")
            continue
        lines.append(f"    {head} {{")
        markers = column_markers(t, diagram)
        for _, c in columns:
            keys = [k for k in ("PK", "FK", "UK") if k in _mermaid_keys(markers.get(c.name, []))]
            name = attribute_name(c.name)
            comment = c.name if name != c.name else ""
            if not c.nullable and "PK" not in keys:
                comment = (comment + " " if comment else "") + "not null"
            for target in _outside_targets(markers.get(c.name, [])):
                comment = (comment + " " if comment else "") + f"references {target}"
            line = f"        {attribute_type(c.type)} {name}"
            if keys:
                line += " " + ",".join(keys)
            if comment:
                line += f' "{text(comment)}"'
            lines.append(line)
        lines.append("    }")
    for r in diagram.relationships:
        child, _ = names[r.table]
        parent, _ = names[r.ref_table]
        parent_end = "|o" if r.optional else "||"
        child_end = "o|" if r.one_to_one else "o{"
        line = "--" if r.declared else ".."
        label = ", ".join(r.columns) + ("" if r.declared else " (implied)")
        lines.append(f'    {parent} {parent_end}{line}{child_end} {child} : "{text(label)}"')
    return "\n".join(lines) + "\n"


def _mermaid_keys(markers: list[str]) -> set[str]:
    keys = set()
    for m in markers:
        if m == "PK":
            keys.add("PK")
        elif m in ("FK", "FK?") or m.startswith(("FK → ", "FK? → ")):
            keys.add("FK")
        elif m == "UQ":
            keys.add("UK")
    return keys


def _outside_targets(markers: list[str]) -> list[str]:
    """The tables a column references outside the diagram, from its "FK → target" markers."""
    return [m.partition(" → ")[2] for m in markers if " → " in m]
