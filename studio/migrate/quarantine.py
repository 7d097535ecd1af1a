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


# The moves and restores read the foreign keys from pg_constraint when they run, not from a model: a migration
# adds, widens and drops keys between the steps, and a row must move with exactly the rows that reference it then.
_FIXPOINT = """
    LOOP
        grew := 0;
        FOR fk IN
            SELECT k.conrelid::regclass AS child, k.confrelid::regclass AS parent,
                   (SELECT string_agg(format('c.%I', a.attname), ', ' ORDER BY u.n) FROM unnest(k.conkey) WITH ORDINALITY AS u(num, n)
                    JOIN pg_attribute AS a ON a.attrelid = k.conrelid AND a.attnum = u.num) AS columns,
                   (SELECT string_agg(format('p.%I', a.attname), ', ' ORDER BY u.n) FROM unnest(k.confkey) WITH ORDINALITY AS u(num, n)
                    JOIN pg_attribute AS a ON a.attrelid = k.confrelid AND a.attnum = u.num) AS ref_columns
            FROM pg_constraint AS k
            WHERE k.contype = 'f' AND k.conparentid = 0
              AND k.confrelid IN (SELECT DISTINCT coalesce(pg_partition_root(m.o), m.o) FROM unnest(moving_o) AS m(o))
        LOOP
            EXECUTE format('SELECT coalesce(array_agg(r.o), ''{}''), coalesce(array_agg(r.t), ''{}'') FROM ('
                           'SELECT c.tableoid AS o, c.ctid AS t FROM %s AS c WHERE (%s) IN (SELECT %s FROM %s AS p '
                           'WHERE (p.tableoid, p.ctid) IN (SELECT * FROM unnest($1, $2))) '
                           'AND (c.tableoid, c.ctid) NOT IN (SELECT * FROM unnest($1, $2)) FOR UPDATE) AS r',
                           fk.child, fk.columns, fk.ref_columns, fk.parent)
                INTO new_o, new_t USING moving_o, moving_t;
            moving_o := moving_o || new_o;
            moving_t := moving_t || new_t;
            grew := grew + cardinality(new_t);
        END LOOP;
        EXIT WHEN grew = 0;
    END LOOP;
"""

# One statement moves every collected row (its foreign-key checks run at its end, so a cycle holds).
_MOVE_ALL = """
    FOR rel IN
        SELECT DISTINCT coalesce(pg_partition_root(m.o), m.o)::regclass AS name, n.nspname || '.' || c.relname AS label
        FROM unnest(moving_o) AS m(o)
        JOIN pg_class AS c ON c.oid = coalesce(pg_partition_root(m.o), m.o) JOIN pg_namespace AS n ON n.oid = c.relnamespace
    LOOP
        parts := parts || format('gone%s AS (DELETE FROM %s AS c WHERE (c.tableoid, c.ctid) IN (SELECT * FROM unnest($1, $2)) '
                                 'RETURNING CASE WHEN (c.tableoid, c.ctid) IN (SELECT * FROM unnest($3, $4)) THEN $5 ELSE $6 END '
                                 'AS reason, to_jsonb(c) AS original), kept%s AS (INSERT INTO %s (step, source_table, reason, original) '
                                 'SELECT $7, %L, g.reason, g.original FROM gone%s AS g RETURNING 1)',
                                 i, rel.name, i, _quarantine, rel.label, i);
        counts := counts || format('(SELECT count(*) FROM kept%s)', i);
        i := i + 1;
    END LOOP;
    IF i > 0 THEN
        EXECUTE 'WITH ' || array_to_string(parts, ', ') || ' SELECT ' || array_to_string(counts, ' + ')
            INTO total USING moving_o, moving_t, picked_o, picked_t, _reason, _cascaded, _step;
    END IF;
"""


def _move(step: str, table: Table, where: str, reason: str) -> str:
    """Move the rows `where` picks and, to a fixpoint, every row referencing a moving row through the foreign keys
    that exist when it runs (any number of tables, cycles, partitions): collected and locked first, then moved in
    one statement, each kept as jsonb with its reason."""
    return (
        "DO $quarantine$\nDECLARE\n"
        f"    _step text := {literal(step)};\n    _reason text := {literal(reason)};\n"
        f"    _cascaded text := {literal('references a quarantined row: ' + reason)};\n"
        f"    _quarantine text := {literal(quarantine_table())};\n"
        "    moving_o oid[];\n    moving_t tid[];\n    picked_o oid[];\n    picked_t tid[];\n    new_o oid[];\n"
        "    new_t tid[];\n    grew bigint;\n    total bigint := 0;\n    fk record;\n    rel record;\n"
        "    parts text[] := '{}';\n    counts text[] := '{}';\n    i int := 0;\n"
        "BEGIN\n"
        "    SELECT coalesce(array_agg(r.o), '{}'), coalesce(array_agg(r.t), '{}') INTO picked_o, picked_t FROM (\n"
        f"        SELECT c.tableoid AS o, c.ctid AS t FROM {qualified(table.schema, table.name)} AS c WHERE {where} "
        "FOR UPDATE) AS r;\n"
        "    moving_o := picked_o;\n    moving_t := picked_t;\n"
        + _FIXPOINT + _MOVE_ALL +
        f"    RAISE NOTICE 'quarantined % row(s) of %: %', cardinality(picked_t), {literal(table.qualified)}, _reason;\n"
        "    IF total > cardinality(picked_t) THEN\n"
        "        RAISE NOTICE 'quarantined % row(s) referencing them: %', total - cardinality(picked_t), _cascaded;\n"
        "    END IF;\n"
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


def restore(step: str) -> str:
    """Put back every row the step quarantined, into whichever tables they came from, in one statement (its
    foreign-key checks run at its end, when every table of a cycle has its rows back), column by column as the
    tables are when it runs."""
    return (
        "DO $restore$\nDECLARE\n"
        f"    _step text := {literal(step)};\n    _quarantine text := {literal(quarantine_table())};\n"
        "    rel record;\n    parts text[] := '{}';\n    i int := 0;\n"
        "BEGIN\n"
        "    FOR rel IN\n"
        "        SELECT DISTINCT q.source_table AS label, c.oid::regclass AS name,\n"
        "               (SELECT string_agg(format('%I', a.attname), ', ' ORDER BY a.attnum) FROM pg_attribute AS a\n"
        "                WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '') AS columns,\n"
        "               (SELECT string_agg(format('r.%I', a.attname), ', ' ORDER BY a.attnum) FROM pg_attribute AS a\n"
        "                WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '') AS values,\n"
        "               EXISTS (SELECT 1 FROM pg_attribute AS a WHERE a.attrelid = c.oid AND a.attidentity = 'a'\n"
        "                       AND NOT a.attisdropped) AS identity_always\n"
        f"        FROM {quarantine_table()} AS q\n"
        "        JOIN pg_namespace AS n ON q.source_table LIKE n.nspname || '.%'\n"
        "        JOIN pg_class AS c ON c.relnamespace = n.oid AND n.nspname || '.' || c.relname = q.source_table\n"
        "        WHERE q.step = _step AND c.relkind IN ('r', 'p')\n"
        "    LOOP\n"
        "        parts := parts || format('back%s AS (INSERT INTO %s (%s)%s SELECT %s FROM %s AS q, '\n"
        "                                 'jsonb_populate_record(NULL::%s, q.original) AS r WHERE q.step = $1 '\n"
        "                                 'AND q.source_table = %L RETURNING 1)', i, rel.name, rel.columns,\n"
        "                                 CASE WHEN rel.identity_always THEN ' OVERRIDING SYSTEM VALUE' ELSE '' END,\n"
        "                                 rel.values, _quarantine, rel.name, rel.label);\n"
        "        i := i + 1;\n"
        "    END LOOP;\n"
        "    IF i > 0 THEN\n"
        "        EXECUTE 'WITH ' || array_to_string(parts, ', ') || format(' DELETE FROM %s WHERE step = $1', _quarantine)\n"
        "            USING _step;\n"
        "    END IF;\n"
        "END\n$restore$;"
    )


def _orphan_where(columns, parent: str, ref_columns) -> str:
    present = " AND ".join(f"c.{ident(c)} IS NOT NULL" for c in columns)
    join = " AND ".join(f"p.{ident(r)} = c.{ident(c)}" for c, r in zip(columns, ref_columns, strict=True))
    return f"{present} AND NOT EXISTS (SELECT 1 FROM {qualified_name(parent)} AS p WHERE {join})"


def orphans(step: str, child: Table, columns, parent: str, ref_columns, constraint: str) -> str:
    reason = f"orphan: no {parent} row for {', '.join(columns)} (blocks {constraint})"
    return _move(step, child, _orphan_where(columns, parent, ref_columns), reason)


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


def duplicates(step: str, table: Table, columns, predicate: str | None, constraint: str) -> str:
    """Keep the first row of each key (lowest ctid); move the others."""
    reason = f"duplicate: same {', '.join(columns)} as an earlier row (blocks a unique index)"
    return _move(step, table, _duplicate_where(table, columns, predicate), reason)


def duplicate_query(table: Table, columns, predicate: str | None = None) -> str:
    """The rows a unique key would reject (all but the first of each key), for a person to read."""
    return f"SELECT c.* FROM {qualified(table.schema, table.name)} AS c WHERE {_duplicate_where(table, columns, predicate)}"


def unfilled(step: str, table: Table, column: str, value: str) -> str:
    """Rows the new NOT NULL `column` cannot be filled for: `value` (over the row `c`) is NULL."""
    reason = f"null: no value to fill the new {column} from (blocks NOT NULL)"
    return _move(step, table, f"({value}) IS NULL", reason)


def nulls(step: str, table: Table, column: str) -> str:
    reason = f"null: {column} is empty (blocks NOT NULL)"
    return _move(step, table, f"c.{ident(column)} IS NULL", reason)
