"""DBML (dbdiagram.io): tables with columns and settings, `Ref:` lines with cardinality.

Every name is double-quoted. DBML has no escape inside a quoted name (its parsers keep a
backslash as it is and end the name at any double quote), so a double quote in a name becomes
the typographic quote ” and the table carries a comment with its exact name.
"""

from __future__ import annotations

from studio.erd.model import Diagram


def quoted(name: str) -> str:
    return '"' + name.replace('"', "\u201d").replace("\n", " ") + '"'


def note(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", " ") + "'"


def table_ref(qualified: str) -> str:
    schema, _, name = qualified.partition(".")
    return f"{quoted(schema)}.{quoted(name)}"


def column_ref(qualified: str, columns: tuple[str, ...]) -> str:
    if len(columns) == 1:
        return f"{table_ref(qualified)}.{quoted(columns[0])}"
    return f"{table_ref(qualified)}.({', '.join(quoted(c) for c in columns)})"


def to_dbml(diagram: Diagram) -> str:
    out: list[str] = []
    for t in diagram.tables:
        pk = t.primary_key.columns if t.primary_key else ()
        single_uniques = {u.columns[0] for u in t.uniques if len(u.columns) == 1}
        if '"' in t.qualified or any('"' in c.name for c in t.columns):
            exact = f"{t.qualified} ({', '.join(c.name for c in t.columns)})".replace("\n", " ").replace("\r", " ")
            out.append(f"// exact names: {exact}")
        out.append(f"Table {table_ref(t.qualified)} {{")
        for c in t.columns:
            settings = []
            if len(pk) == 1 and c.name == pk[0]:
                settings.append("pk")
            if not c.nullable:
                settings.append("not null")
            if c.name in single_uniques:
                settings.append("unique")
            if c.comment:
                settings.append(f"note: {note(c.comment)}")
            suffix = f" [{', '.join(settings)}]" if settings else ""
            out.append(f"  {quoted(c.name)} {quoted(c.type)}{suffix}")
        composite = []
        if len(pk) > 1:
            composite.append(f"    ({', '.join(quoted(c) for c in pk)}) [pk]")
        composite += [
            f"    ({', '.join(quoted(c) for c in u.columns)}) [unique]" for u in t.uniques if len(u.columns) > 1
        ]
        if composite:
            out.append("")
            out.append("  indexes {")
            out.extend(composite)
            out.append("  }")
        if t.comment:
            out.append(f"  Note: {note(t.comment)}")
        out.append("}")
        out.append("")
    for r in diagram.relationships:
        arrow = "-" if r.one_to_one else ">"
        comment = "" if r.declared else "  // implied by naming, no constraint"
        out.append(f"Ref: {column_ref(r.table, r.columns)} {arrow} {column_ref(r.ref_table, r.ref_columns)}{comment}")
    return "\n".join(out).rstrip() + "\n"
