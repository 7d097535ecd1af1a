"""Batched, resumable backfills: a DO loop that commits every batch and records its progress.

The loop walks the table's primary key in ranges of BATCH_SIZE rows, updates the rows of the
range, records the last key in `schema_studio_migration.progress` and COMMITs. Interrupted (a
cancel, a timeout, a lost connection), it loses at most the batch in flight; run again, it reads
the last committed key and continues after it. Without a single-column primary key it updates
BATCH_SIZE still-empty rows at a time (also resumable: filled rows are not selected again).
The script runs outside a transaction block (a DO block may COMMIT only there).
"""

from __future__ import annotations

from studio.catalog import Table
from studio.sql import ident, literal, qualified

SCHEMA = "schema_studio_migration"
TABLE = "progress"
BATCH_SIZE = 5000


def progress_table() -> str:
    return qualified(SCHEMA, TABLE)


def setup_statements() -> tuple[str, ...]:
    return (
        f"CREATE SCHEMA IF NOT EXISTS {ident(SCHEMA)};",
        f"CREATE TABLE IF NOT EXISTS {progress_table()} (\n"
        "    step text PRIMARY KEY,\n"
        "    last_key text,\n"
        "    rows_done bigint NOT NULL DEFAULT 0,\n"
        "    started_at timestamptz NOT NULL DEFAULT now(),\n"
        "    updated_at timestamptz NOT NULL DEFAULT now(),\n"
        "    finished_at timestamptz\n"
        ");",
    )


def teardown_statements() -> tuple[str, ...]:
    return (f"DROP TABLE IF EXISTS {progress_table()};", f"DROP SCHEMA IF EXISTS {ident(SCHEMA)};")


def forget(step: str) -> str:
    """The reverse of a backfill: its progress goes, so a later run starts from the beginning."""
    return f"DELETE FROM {progress_table()} WHERE step = {literal(step)};"


def _key(table: Table):
    pk = table.primary_key
    if pk and len(pk.columns) == 1:
        return table.column(pk.columns[0])
    return None


def batched_update(step: str, table: Table, column: str, value: str, join: tuple[str, str] | None,
                   batch_size: int = BATCH_SIZE) -> str:
    """Set `column` = `value` (alias c is the row, p the joined parent) on every row still empty."""
    name = qualified(table.schema, table.name)
    col = ident(column)
    source = f" FROM {join[0]} AS p" if join else ""
    joined = f" AND {join[1]}" if join else ""
    inner = f", {join[0]} AS p" if join else ""
    key = _key(table)
    progress = progress_table()
    label = literal(f"{table.qualified}.{column}")
    start = (
        f"    INSERT INTO {progress} (step) VALUES ({literal(step)}) ON CONFLICT (step) DO NOTHING;\n"
        f"    SELECT last_key, rows_done INTO _last_text, _done FROM {progress} WHERE step = {literal(step)};\n"
        "    IF _last_text IS NOT NULL THEN\n"
        f"        RAISE NOTICE 'resuming the backfill of % after key % (% rows done)', {label}, _last_text, _done;\n"
        "    END IF;\n"
    )
    if key is None:
        loop = (
            "    LOOP\n"
            f"        UPDATE {name} AS c SET {col} = {value}{source}\n"
            f"        WHERE c.ctid IN (SELECT c.ctid FROM {name} AS c{inner} WHERE c.{col} IS NULL{joined}\n"
            f"            AND ({value}) IS NOT NULL LIMIT {batch_size}){joined} AND c.{col} IS NULL;\n"
            "        GET DIAGNOSTICS _rows = ROW_COUNT;\n"
            "        EXIT WHEN _rows = 0;\n"
            "        _done := _done + _rows;\n"
            f"        UPDATE {progress} SET rows_done = _done, updated_at = now() WHERE step = {literal(step)};\n"
            "        COMMIT;\n"
            f"        RAISE NOTICE 'backfilled % rows of %', _done, {label};\n"
            "    END LOOP;\n"
        )
        declare = ""
    else:
        k = ident(key.name)
        declare = f"    _last {key.type};\n    _upper {key.type};\n"
        loop = (
            f"    _last := _last_text::{key.type};\n"
            "    LOOP\n"
            # the batch's last key by ORDER BY, not max(): uuid and other key types have no max()
            f"        SELECT b.k INTO _upper FROM (SELECT x.{k} AS k FROM {name} AS x\n"
            f"            WHERE _last IS NULL OR x.{k} > _last ORDER BY x.{k} LIMIT {batch_size}) AS b ORDER BY b.k DESC LIMIT 1;\n"
            "        EXIT WHEN _upper IS NULL;\n"
            f"        UPDATE {name} AS c SET {col} = {value}{source}\n"
            f"        WHERE (_last IS NULL OR c.{k} > _last) AND c.{k} <= _upper AND c.{col} IS NULL{joined};\n"
            "        GET DIAGNOSTICS _rows = ROW_COUNT;\n"
            "        _done := _done + _rows;\n"
            "        _last := _upper;\n"
            f"        UPDATE {progress} SET last_key = _upper::text, rows_done = _done, updated_at = now() WHERE step = {literal(step)};\n"
            "        COMMIT;\n"
            f"        RAISE NOTICE 'backfilled % rows of % (up to key %)', _done, {label}, _upper;\n"
            "    END LOOP;\n"
        )
    return (
        "DO $backfill$\nDECLARE\n    _last_text text;\n    _done bigint;\n    _rows bigint;\n" + declare + "BEGIN\n" + start + loop
        + f"    UPDATE {progress} SET finished_at = now() WHERE step = {literal(step)};\n"
        + f"    RAISE NOTICE 'backfill of % finished: % rows', {label}, _done;\n"
        + "END\n$backfill$;"
    )


def batched_copy(step: str, table: Table, dest: str, columns: list[str], batch_size: int = BATCH_SIZE,
                 computed: dict[str, str] | None = None) -> str:
    """Copy every row of `table` into `dest` in primary key order, a batch per transaction, resumable.

    Rows of a batch are read FOR SHARE: a row being updated or deleted by a transaction still open
    is copied as that transaction leaves it (the sync trigger mirrors the change itself), never
    resurrected. ON CONFLICT DO NOTHING skips rows the sync trigger copied first. `computed` gives
    columns the table lacks as expressions over its row `x`; rows where one is NULL are not copied.
    """
    computed = computed or {}
    name = qualified(table.schema, table.name)
    key = [table.column(c) for c in table.primary_key.columns]
    k = [ident(c.name) for c in key]
    last = [f"_l{i}" for i in range(len(key))]
    upper = [f"_u{i}" for i in range(len(key))]
    row = f"({', '.join(f'x.{c}' for c in k)})"
    after = f"(NOT _started OR {row} > ({', '.join(last)}))"
    cols = ", ".join(ident(c) for c in columns)
    progress = progress_table()
    label = literal(table.qualified)
    declare = "".join(f"    {a} {c.type};\n    {b} {c.type};\n" for a, b, c in zip(last, upper, key, strict=True))
    restore = "".join(f"        {a} := (_last_text::jsonb ->> {i})::{c.type};\n" for i, (a, c) in enumerate(zip(last, key, strict=True)))
    return (
        "DO $backfill$\nDECLARE\n    _last_text text;\n    _done bigint;\n    _rows bigint;\n    _started boolean;\n" + declare + "BEGIN\n"
        f"    INSERT INTO {progress} (step) VALUES ({literal(step)}) ON CONFLICT (step) DO NOTHING;\n"
        f"    SELECT last_key, rows_done INTO _last_text, _done FROM {progress} WHERE step = {literal(step)};\n"
        "    _started := _last_text IS NOT NULL;\n"
        "    IF _started THEN\n"
        f"        RAISE NOTICE 'resuming the copy of % after key % (% rows done)', {label}, _last_text, _done;\n"
        + restore +
        "    END IF;\n"
        "    LOOP\n"
        f"        SELECT {', '.join(f'b.{c}' for c in k)} INTO {', '.join(upper)} FROM (SELECT {', '.join(f'x.{c}' for c in k)} FROM ONLY {name} AS x\n"
        f"            WHERE {after} ORDER BY {', '.join(f'x.{c}' for c in k)} LIMIT {batch_size}) AS b\n"
        f"            ORDER BY {', '.join(f'b.{c} DESC' for c in k)} LIMIT 1;\n"
        "        EXIT WHEN NOT FOUND;\n"
        f"        INSERT INTO {dest} ({cols}) OVERRIDING SYSTEM VALUE\n"
        f"            SELECT {', '.join(computed.get(c, f'x.{ident(c)}') for c in columns)} FROM ONLY {name} AS x\n"
        f"            WHERE {after} AND {row} <= ({', '.join(upper)}){''.join(f' AND ({e}) IS NOT NULL' for e in computed.values())} FOR SHARE\n"
        "            ON CONFLICT DO NOTHING;\n"
        "        GET DIAGNOSTICS _rows = ROW_COUNT;\n"
        "        _done := _done + _rows;\n"
        + "".join(f"        {a} := {b};\n" for a, b in zip(last, upper, strict=True)) +
        "        _started := true;\n"
        f"        UPDATE {progress} SET last_key = jsonb_build_array({', '.join(upper)})::text, rows_done = _done, updated_at = now()\n"
        f"            WHERE step = {literal(step)};\n"
        "        COMMIT;\n"
        f"        RAISE NOTICE 'copied % rows of % (up to key %)', _done, {label}, jsonb_build_array({', '.join(upper)});\n"
        "    END LOOP;\n"
        f"    UPDATE {progress} SET finished_at = now() WHERE step = {literal(step)};\n"
        f"    RAISE NOTICE 'copy of % finished: % rows', {label}, _done;\n"
        "END\n$backfill$;"
    )
