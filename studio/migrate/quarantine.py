"""The cleanse phase: rows that would block a constraint move to a quarantine schema, never deleted.

Each move is one `DO` block whose one statement deletes the blocking rows (and the rows referencing
them) and inserts them, as jsonb with the reason and the step, into
`schema_studio_quarantine.quarantined_rows`, then reports how many moved with RAISE NOTICE. The reverse puts them back, column by column.
"""

from __future__ import annotations

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


def family(catalog, table: Table) -> list[Table]:
    """`table` and every table whose rows reference it, directly or through others, cycles included (each once)."""
    if catalog is None:
        return [table]
    found = {table.qualified: table}
    grew = True
    while grew:
        grew = False
        for child in catalog.stored_tables:
            if child.qualified not in found and any(fk.ref_table in found for fk in child.foreign_keys):
                found[child.qualified] = child
                grew = True
    return list(found.values())


def _rows(i: int) -> str:
    """The rows of family member i that move: a (tableoid, ctid) pair each (ctids repeat across partitions)."""
    return f"(SELECT * FROM unnest(o{i}, t{i}))"


def _move(step: str, table: Table, where: str, reason: str, catalog=None) -> str:
    """Move the rows `where` picks and, to a fixpoint, every row referencing a moving row (through any number of
    tables and foreign-key cycles): collected and locked first, then one statement deletes them all and keeps each,
    as jsonb with its reason, in the quarantine (its foreign-key checks run at its end, so a cycle holds)."""
    members = family(catalog, table)
    index = {t.qualified: i for i, t in enumerate(members)}
    declare = "".join(f"    o{i} oid[] := '{{}}';\n    t{i} tid[] := '{{}}';\n" for i in range(len(members)))
    picked = (f"    SELECT coalesce(array_agg(r.o), '{{}}'), coalesce(array_agg(r.t), '{{}}') INTO o0, t0 FROM (\n"
              f"        SELECT c.tableoid AS o, c.ctid AS t FROM {qualified(table.schema, table.name)} AS c WHERE {where} "
              "FOR UPDATE) AS r;\n    picked_o := o0;\n    picked_t := t0;\n")
    edges = []
    for child in members:
        ci = index[child.qualified]
        for fk in child.foreign_keys:
            if fk.ref_table not in index:
                continue
            pi = index[fk.ref_table]
            parent = members[pi]
            edges.append(
                f"        SELECT coalesce(array_agg(r.o), '{{}}'), coalesce(array_agg(r.t), '{{}}') INTO new_o, new_t FROM (\n"
                f"            SELECT c.tableoid AS o, c.ctid AS t FROM {qualified(child.schema, child.name)} AS c\n"
                f"            WHERE ({', '.join('c.' + ident(c) for c in fk.columns)}) IN (SELECT "
                f"{', '.join('p.' + ident(r) for r in fk.ref_columns)} FROM {qualified(parent.schema, parent.name)} AS p "
                f"WHERE (p.tableoid, p.ctid) IN {_rows(pi)})\n"
                f"              AND (c.tableoid, c.ctid) NOT IN {_rows(ci)} FOR UPDATE) AS r;\n"
                f"        o{ci} := o{ci} || new_o;\n        t{ci} := t{ci} || new_t;\n"
                "        grew := grew + cardinality(new_t);\n")
    loop = ("    LOOP\n        grew := 0;\n" + "".join(edges) + "        EXIT WHEN grew = 0;\n    END LOOP;\n") if edges else ""
    cascaded = "references a quarantined row: " + reason
    ctes = []
    for i, t in enumerate(members):
        why = (f"CASE WHEN (c.tableoid, c.ctid) IN (SELECT * FROM unnest(picked_o, picked_t)) THEN {literal(reason)} "
               f"ELSE {literal(cascaded)} END") if i == 0 else literal(cascaded)
        ctes.append(f"gone{i} AS (DELETE FROM {qualified(t.schema, t.name)} AS c WHERE (c.tableoid, c.ctid) IN {_rows(i)} "
                    f"RETURNING {why} AS reason, to_jsonb(c) AS original)")
        ctes.append(f"kept{i} AS (INSERT INTO {quarantine_table()} (step, source_table, reason, original)\n"
                    f"        SELECT {literal(step)}, {literal(t.qualified)}, g.reason, g.original FROM gone{i} AS g RETURNING 1)")
    counts = ", ".join(f"(SELECT count(*) FROM kept{i})" for i in range(len(members)))
    notices = f"    RAISE NOTICE 'quarantined % row(s) of %: %', cardinality(picked_t), {literal(table.qualified)}, {literal(reason)};\n"
    notices += "".join(
        f"    RAISE NOTICE 'quarantined % row(s) of %: %', moved[{i + 1}]{' - cardinality(picked_t)' if i == 0 else ''}, "
        f"{literal(t.qualified)}, {literal(cascaded)};\n"
        for i, t in enumerate(members) if i or edges)
    return (
        "DO $quarantine$\nDECLARE\n    moved bigint[];\n    grew bigint;\n    new_o oid[];\n    new_t tid[];\n"
        "    picked_o oid[];\n    picked_t tid[];\n" + declare + "BEGIN\n" + picked + loop +
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
    tables = family(catalog, table)
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
