"""Workspace notes as `COMMENT ON` steps: one operation per changed comment, rendered here to SQL.

Each `CommentOn` sets a table's or column's comment to the note and, on the way down, back to the
comment the schema had (NULL when it had none). Every identifier is quoted by studio/sql.py and
every text is a literal from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from studio.migrate.plan import Step
from studio.sql import ident, literal, qualified

# The object kind COMMENT ON names for each table kind (a foreign table is not a TABLE to it).
COMMENT_KINDS = {"view": "VIEW", "materialized_view": "MATERIALIZED VIEW", "foreign_table": "FOREIGN TABLE"}
LOCK = "SHARE UPDATE EXCLUSIVE on each table (catalog only: reads and writes continue)"


@dataclass(frozen=True)
class CommentOn:
    schema: str
    table: str
    kind: str  # the table's kind (studio.catalog.Table.kind)
    column: str | None
    before: str | None  # the schema's comment, restored by the down
    after: str | None  # the note (None removes the comment)

    @property
    def target(self) -> str:
        name = qualified(self.schema, self.table)
        if self.column:
            return f"COLUMN {name}.{ident(self.column)}"
        return f"{COMMENT_KINDS.get(self.kind, 'TABLE')} {name}"

    def up(self) -> str:
        return f"COMMENT ON {self.target} IS {literal(self.after)};"

    def down(self) -> str:
        return f"COMMENT ON {self.target} IS {literal(self.before)};"


def comment_ops(changes) -> list[CommentOn]:
    """The operations for studio.workshop.notes.comment_changes(...)."""
    return [CommentOn(c.table.schema, c.table.name, c.table.kind, c.column, c.before, c.after) for c in changes]


def comment_step(ops: list[CommentOn]) -> Step | None:
    """One expand step setting every noted comment; its down restores them in reverse order."""
    if not ops:
        return None
    tables = tuple(dict.fromkeys(f"{op.schema}.{op.table}" for op in ops))
    return Step(
        phase="expand", name="notes_as_comments",
        title=f"the workspace's notes as comments on {len(tables)} table{'s' if len(tables) != 1 else ''}",
        up=tuple(op.up() for op in ops), down=tuple(op.down() for op in reversed(ops)),
        lock=LOCK, risk="None: comments only; the down restores the schema's previous comments.",
        duration_class="seconds", tables=tables,
    )
