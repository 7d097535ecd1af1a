"""The cleanse phase: rows that would block a constraint move to a quarantine schema, never deleted.

Each move is one `DO` block whose one statement deletes the blocking rows (and the rows referencing
them) and inserts them, as jsonb with the reason and the step, into
`schema_studio_quarantine.quarantined_rows`, then reports how many moved with RAISE NOTICE. The reverse puts them back, column by column.
"""

from __future__ import annotations

import re

from studio.catalog import Table
from studio.sql import ident, idents, literal, qualified, qualified_name

SCHEMA = "schema_studio_quarantine"
TABLE = "quarantined_rows"


def quarantine_table() -> str:
    return qualified(SCHEMA, TABLE)


def setup_statements() -> tuple[str, ...]:
    return (
        f"CREATE SCHEMA IF NOT EXISTS {ident(SCHEMA)};",
        f"CREATE TABLE IF NOT EXISTS {quarantine_table()} (\n"
        "    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
        "    step text NOT NULL,\n"
        "    source_table text NOT NULL,\n"
        "    reason text NOT NULL,\n"
        "    original jsonb NOT NULL,\n"
        "    moved_at timestamptz NOT NULL DEFAULT now()\n"
        ");",
    )


def dependents(catalog, table: Table, depth: int = 6) -> list[tuple[Table, object]]:
    """(child table, foreign key) pairs that reference `table`, deepest first."""
    if catalog is None or depth == 0:
        return []
    found = []
    for child in catalog.stored_tables:
        for fk in child.foreign_keys:
            if fk.ref_table == table.qualified and child.qualified != table.qualified:
                found = dependents(catalog, child, depth - 1) + found + [(child, fk)]
    return found


def _family_where(catalog, table: Table, where: str) -> list[tuple[Table, str]]:
    """Each dependent table with the condition selecting the rows that reference moved rows."""
    conditions = {table.qualified: where}
    out = []

    def cond(t: Table) -> str:
        if t.qualified in conditions:
            return conditions[t.qualified]
        parts = []
        for fk in t.foreign_keys:
            parent = catalog.table(fk.ref_table)
            if parent is not None and parent.qualified in conditions:
                alias = f"p{len(conditions)}_{len(parts)}"
                pc = re.sub(r"\bc\.", f"{alias}.", conditions[parent.qualified])
                parts.append(f"({', '.join('c.' + ident(c) for c in fk.columns)}) IN (SELECT {', '.join(alias + '.' + ident(r) for r in fk.ref_columns)} "
                             f"FROM {qualified(parent.schema, parent.name)} AS {alias} WHERE {pc})")
        conditions[t.qualified] = " OR ".join(parts) or "false"
        return conditions[t.qualified]

    seen = {table.qualified}  # through a cycle the table is its own dependent: its rows are the ones `where` picks
    for child, _ in reversed(dependents(catalog, table)):
        if child.qualified not in seen:
            seen.add(child.qualified)
            out.append((child, cond(child)))
    return list(reversed(out))


def _move(step: str, table: Table, where: str, reason: str, catalog=None) -> str:
    """One statement deletes the rows and every row referencing them (their foreign-key checks run at its end, so a
    cycle between the tables holds) and keeps each, as jsonb with the reason, in the quarantine."""
    family = _family_where(catalog, table, where) if catalog is not None else []
    parts = [(child, cond, "references a quarantined row: " + reason) for child, cond in family] + [(table, where, reason)]
    ctes = []
    for i, (t, cond, why) in enumerate(parts):
        ctes.append(f"gone{i} AS (DELETE FROM {qualified(t.schema, t.name)} AS c WHERE {cond} RETURNING c.*)")
        ctes.append(f"kept{i} AS (INSERT INTO {quarantine_table()} (step, source_table, reason, original)\n"
                    f"        SELECT {literal(step)}, {literal(t.qualified)}, {literal(why)}, to_jsonb(gone{i}) FROM gone{i} RETURNING 1)")
    counts = ", ".join(f"(SELECT count(*) FROM kept{i})" for i in range(len(parts)))
    notices = "".join(
        f"    RAISE NOTICE 'quarantined % row(s) of %: %', moved[{i + 1}], {literal(t.qualified)}, {literal(why)};\n"
        for i, (t, _, why) in enumerate(parts))
    return (
        "DO $quarantine$\nDECLARE\n    moved bigint[];\nBEGIN\n"
        f"    WITH {(',' + chr(10) + '    ').join(ctes)}\n"
        f"    SELECT ARRAY[{counts}] INTO moved;\n" + notices +
        "END\n$quarantine$;"
    )


def teardown_statements() -> tuple[str, ...]:
    """Drop the quarantine only when it is empty: rows there are someone's data."""
    return (
        "DO $quarantine$\nBEGIN\n"
        f"    IF EXISTS (SELECT 1 FROM {quarantine_table()}) THEN\n"
        "        RAISE EXCEPTION 'the quarantine still holds rows: restore or archive them first';\n"
        "    END IF;\nEND\n$quarantine$;",
        f"DROP TABLE {quarantine_table()};",
        f"DROP SCHEMA IF EXISTS {ident(SCHEMA)};",
    )


def restore(step: str, table: Table, catalog=None) -> str:
    """Put a step's quarantined rows back, parents before the rows that reference them."""
    tables = [table] + ([child for child, _ in reversed(_family_where(catalog, table, "true"))] if catalog is not None else [])
    inserts = ",\n".join(f"back{i} AS ({_restore_one(step, t)} RETURNING 1)" for i, t in enumerate(tables))
    # one statement: the foreign-key checks run at its end, when every table of a cycle has its rows back
    return f"WITH {inserts}\nDELETE FROM {quarantine_table()} WHERE step = {literal(step)};"


def _restore_one(step: str, table: Table) -> str:
    name = qualified(table.schema, table.name)
    columns = [c.name for c in table.columns if not c.generated]
    overriding = " OVERRIDING SYSTEM VALUE" if any(c.identity == "always" for c in table.columns) else ""
    return (
        f"INSERT INTO {name} ({idents(columns)}){overriding}\n"
        f"SELECT {', '.join('r.' + ident(c) for c in columns)}\n"
        f"FROM {quarantine_table()} AS q, jsonb_populate_record(NULL::{name}, q.original) AS r\n"
        f"WHERE q.step = {literal(step)} AND q.source_table = {literal(table.qualified)}"
    )


def _orphan_where(columns, parent: str, ref_columns) -> str:
    present = " AND ".join(f"c.{ident(c)} IS NOT NULL" for c in columns)
    join = " AND ".join(f"p.{ident(r)} = c.{ident(c)}" for c, r in zip(columns, ref_columns, strict=True))
    return f"{present} AND NOT EXISTS (SELECT 1 FROM {qualified_name(parent)} AS p WHERE {join})"


def orphans(step: str, child: Table, columns, parent: str, ref_columns, constraint: str, catalog=None) -> str:
    reason = f"orphan: no {parent} row for {', '.join(columns)} (blocks {constraint})"
    return _move(step, child, _orphan_where(columns, parent, ref_columns), reason, catalog)


def orphan_query(child: Table, columns, parent: str, ref_columns) -> str:
    """The rows a foreign key would reject, for a person to read (nothing moves)."""
    return f"SELECT c.* FROM {qualified(child.schema, child.name)} AS c WHERE {_orphan_where(columns, parent, ref_columns)}"


def _duplicate_where(table: Table, columns, predicate: str | None) -> str:
    present = " AND ".join(f"{ident(c)} IS NOT NULL" for c in columns)
    scope = f" AND ({predicate})" if predicate else ""
    return (
        f"c.ctid IN (SELECT ctid FROM (SELECT ctid, row_number() OVER (PARTITION BY {idents(columns)} ORDER BY ctid) AS n "
        f"FROM {qualified(table.schema, table.name)} WHERE {present}{scope}) AS ranked WHERE n > 1)"
    )


def duplicates(step: str, table: Table, columns, predicate: str | None, constraint: str, catalog=None) -> str:
    """Keep the first row of each key (lowest ctid); move the others."""
    reason = f"duplicate: same {', '.join(columns)} as an earlier row (blocks a unique index)"
    return _move(step, table, _duplicate_where(table, columns, predicate), reason, catalog)


def duplicate_query(table: Table, columns, predicate: str | None = None) -> str:
    """The rows a unique key would reject (all but the first of each key), for a person to read."""
    return f"SELECT c.* FROM {qualified(table.schema, table.name)} AS c WHERE {_duplicate_where(table, columns, predicate)}"


def unfilled(step: str, table: Table, column: str, value: str, catalog=None) -> str:
    """Rows the new NOT NULL `column` cannot be filled for: `value` (over the row `c`) is NULL."""
    reason = f"null: no value to fill the new {column} from (blocks NOT NULL)"
    return _move(step, table, f"({value}) IS NULL", reason, catalog)


def nulls(step: str, table: Table, column: str, catalog=None) -> str:
    reason = f"null: {column} is empty (blocks NOT NULL)"
    return _move(step, table, f"c.{ident(column)} IS NULL", reason, catalog)
