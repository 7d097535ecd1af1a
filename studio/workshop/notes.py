"""Notes on tables and columns, kept as workspace items and read as the model's comments.

A note is stored under the item key `note:["<schema.table>", "<column or empty>"]` (one item per
table or column, so two people noting two columns never collide) and starts from the comment
the schema already has (pg_description). `annotated(catalog, items)` is the catalog with every
note as its table's or column's comment: the ERD, its DBML `Note`s and the details read that one
model. `comment_changes` lists the notes that differ from the schema's comments, for the
bundle's optional `COMMENT ON` steps (studio/migrate/comments.py); an emptied note removes the comment.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass

from studio.catalog import Catalog, Table
from studio.workshop.agenda import now

NOTE_PREFIX = "note:"
NOTE_THEME = "Notes"
MAX_NOTE = 4000  # characters


@dataclass(frozen=True)
class Note:
    table: str  # schema-qualified
    column: str | None
    text: str

    def __post_init__(self):
        text = "\n".join(line.rstrip() for line in str(self.text).replace("\r\n", "\n").split("\n")).strip()
        if "\x00" in text:
            raise ValueError(f"note on {self.target}: remove the NUL character (PostgreSQL cannot store it)")
        if len(text) > MAX_NOTE:
            raise ValueError(f"note on {self.target}: {len(text):,} characters; keep it to {MAX_NOTE:,}")
        object.__setattr__(self, "text", text)

    @property
    def key(self) -> str:
        return NOTE_PREFIX + json.dumps([self.table, self.column or ""], ensure_ascii=False)

    @property
    def target(self) -> str:
        return f"{self.table}.{self.column}" if self.column else self.table

    def record(self, author: str, previous: dict | None = None) -> dict:
        out = dict(previous or {})
        out.update(
            kind="note", title=f"Note on {self.target}", theme=NOTE_THEME, table=self.table,
            columns=[self.column] if self.column else [], rule=None, severity=None, context=self.text,
            note={"table": self.table, "column": self.column, "text": self.text},
            author=" ".join(str(author).split()) or "anonymous", updated_at=now(),
        )
        return out


def notes_of(items: Mapping[str, dict]) -> list[Note]:
    """The workspace's notes, in key order (records that are not notes are left alone)."""
    out = []
    for key, record in sorted(items.items()):
        note = record.get("note") if key.startswith(NOTE_PREFIX) else None
        if isinstance(note, dict) and note.get("table"):
            out.append(Note(str(note["table"]), note.get("column") or None, str(note.get("text") or "")))
    return out


def starting_note(table: Table, column: str | None = None) -> str:
    """What the schema itself says (COMMENT ON, read from pg_description)."""
    if column is None:
        return table.comment or ""
    found = table.column(column)
    return (found.comment or "") if found else ""


def annotated(catalog: Catalog, items: Mapping[str, dict]) -> Catalog:
    """The catalog with the workspace's notes as comments (notes on tables or columns it lacks are ignored)."""
    by_table: dict[str, dict[str | None, str]] = {}
    for note in notes_of(items):
        by_table.setdefault(note.table, {})[note.column] = note.text
    if not by_table:
        return catalog
    tables = []
    for table in catalog.tables:
        notes = by_table.get(table.qualified)
        if notes is None:
            tables.append(table)
            continue
        columns = tuple(dataclasses.replace(c, comment=notes[c.name] or None) if c.name in notes else c
                        for c in table.columns)
        comment = (notes[None] or None) if None in notes else table.comment
        tables.append(dataclasses.replace(table, columns=columns, comment=comment))
    return dataclasses.replace(catalog, tables=tuple(tables))


@dataclass(frozen=True)
class CommentChange:
    """A note that differs from the comment the schema has: `before` is the schema's (None: no comment)."""

    table: Table
    column: str | None
    before: str | None
    after: str | None

    @property
    def target(self) -> str:
        return f"{self.table.qualified}.{self.column}" if self.column else self.table.qualified


def comment_changes(catalog: Catalog, items: Mapping[str, dict]) -> list[CommentChange]:
    out = []
    for note in notes_of(items):
        table = catalog.table(note.table)
        if table is None or table.kind == "partition" or (note.column and table.column(note.column) is None):
            continue
        before = starting_note(table, note.column) or None
        if (note.text or None) != before:
            out.append(CommentChange(table, note.column, before, note.text or None))
    return out


def notes_section(catalog: Catalog, items: Mapping[str, dict], as_comments: bool) -> list[str]:
    """The bundle README's section: every note of the workspace, with the schema's own comment where it differs."""
    notes = notes_of(items)
    if not notes:
        return []
    out = ["## Notes on tables and columns", "",
           ("The notes below that differ from the schema's comments are applied as `COMMENT ON` steps (their downs "
            "restore the previous comments)." if as_comments else
            "Notes kept in the workspace; the schema's comments are not changed by this bundle."), "",
           "| on | note | the schema's comment |", "|---|---|---|"]
    for note in notes:
        table = catalog.table(note.table)
        before = starting_note(table, note.column) if table else ""
        out.append(f"| `{_cell(note.target)}` | {_cell(note.text) or '(emptied)'} | "
                   f"{'same' if before == note.text else _cell(before) or '(none)'} |")
    out.append("")
    return out


def _cell(text: str) -> str:
    """Text in a Markdown table cell: one line, pipes and backticks escaped, HTML kept as text."""
    flat = " ".join(str(text).split())
    return (flat.replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`").replace("<", "&lt;")
            .replace(">", "&gt;"))
