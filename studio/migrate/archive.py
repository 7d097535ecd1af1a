"""A dropped column's values are archived first, with the row's key, so its drop can be rolled back.

The archive table `schema_studio_archive.<schema>__<table>__<column>` holds (key columns, value);
a trigger keeps it current while the application still writes the column, a batched copy fills
it, and only then does a contract step drop the column. The rollback re-adds the column and
restores the values from the archive in batches (`backfill.batched_update`).
"""

from __future__ import annotations

import hashlib

from studio.catalog import Column, Table
from studio.sql import MAX_IDENTIFIER_BYTES, ident, idents, qualified

SCHEMA = "schema_studio_archive"


def archive_key(table: Table, column: str) -> tuple[str, ...] | None:
    """The primary key, else a unique constraint over NOT NULL columns; never one holding the dropped column."""
    candidates = ([table.primary_key.columns] if table.primary_key else []) + [u.columns for u in table.uniques]
    for columns in candidates:
        cols = [table.column(c) for c in columns]
        if column not in columns and all(c is not None and not c.nullable for c in cols):
            return tuple(columns)
    return None


def _name(*parts: str) -> str:
    name = "__".join(parts)
    if len(name.encode()) <= MAX_IDENTIFIER_BYTES:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return name.encode()[: MAX_IDENTIFIER_BYTES - 9].decode(errors="ignore") + "_" + digest


def table_name(table: Table, column: str) -> str:
    return _name(table.schema, table.name, column)


def archive_table(table: Table, column: str) -> str:
    return qualified(SCHEMA, table_name(table, column))


def function_name(table: Table, column: str) -> str:
    return _name("sync", table.schema, table.name, column)


def trigger_names(table: Table, column: str) -> tuple[str, str]:
    return _name("archive", column), _name("archive", column, "truncate")


def setup_statements() -> tuple[str, ...]:
    return (f"CREATE SCHEMA IF NOT EXISTS {ident(SCHEMA)};",)


def teardown_statements() -> tuple[str, ...]:
    return (f"DROP SCHEMA IF EXISTS {ident(SCHEMA)};",)  # RESTRICT: an archive still holding a table stays


def _typed(column: Column) -> str:
    collate = f" COLLATE {ident(column.collation)}" if column.collation else ""
    return f"{ident(column.name)} {column.type}{collate}"


def create_statements(table: Table, column: Column, key: tuple[str, ...]) -> list[str]:
    """The archive table, its sync function and the triggers mirroring writes (and TRUNCATE) into it."""
    name = qualified(table.schema, table.name)
    archive = archive_table(table, column.name)
    function = qualified(SCHEMA, function_name(table, column.name))
    row, truncate = trigger_names(table, column.name)
    keys = [f"{ident(k)} {table.column(k).type} NOT NULL" for k in key]
    match = " AND ".join(f"a.{ident(k)} = OLD.{ident(k)}" for k in key)
    values = ", ".join(f"NEW.{ident(c)}" for c in (*key, column.name))
    return [
        f"CREATE TABLE {archive} ({', '.join(keys)}, {_typed(column)}, PRIMARY KEY ({idents(key)}));",
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $archive$\n"
        "BEGIN\n"
        "    IF TG_OP = 'TRUNCATE' THEN\n"
        f"        TRUNCATE {archive};\n"
        "        RETURN NULL;\n"
        "    END IF;\n"
        "    IF TG_OP IN ('UPDATE', 'DELETE') THEN\n"
        f"        DELETE FROM {archive} AS a WHERE {match};\n"
        "    END IF;\n"
        "    IF TG_OP IN ('INSERT', 'UPDATE') THEN\n"
        f"        INSERT INTO {archive} ({idents((*key, column.name))}) VALUES ({values})\n"
        f"            ON CONFLICT ({idents(key)}) DO UPDATE SET {ident(column.name)} = EXCLUDED.{ident(column.name)};\n"
        "    END IF;\n"
        "    RETURN NULL;\n"
        "END\n$archive$;",
        f"CREATE TRIGGER {ident(row)} AFTER INSERT OR UPDATE OR DELETE ON {name} FOR EACH ROW EXECUTE FUNCTION {function}();",
        f"CREATE TRIGGER {ident(truncate)} AFTER TRUNCATE ON {name} FOR EACH STATEMENT EXECUTE FUNCTION {function}();",
    ]


def drop_sync_statements(table: Table, column: str) -> list[str]:
    name = qualified(table.schema, table.name)
    return [*(f"DROP TRIGGER IF EXISTS {ident(t)} ON {name};" for t in trigger_names(table, column)),
            f"DROP FUNCTION IF EXISTS {qualified(SCHEMA, function_name(table, column))}();"]


def drop_statements(table: Table, column: str) -> list[str]:
    return [*drop_sync_statements(table, column), f"DROP TABLE IF EXISTS {archive_table(table, column)};"]
