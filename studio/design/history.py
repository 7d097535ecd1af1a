"""History per table: an audit-trigger history table, or effective-dated versions.

Effective dating keeps the table as the entity (its key, and every foreign key to it, stay
valid) and adds `<table>_versions` with valid_from / valid_to and an exclusion constraint
against overlapping versions of one entity. The embedded server has no btree_gist, so the
exclusion cannot say `id WITH =` on a scalar; each key column becomes a one-point range
(`int8range(id, id, '[]') WITH =`), which the built-in range GiST operator class handles, and
key types without a built-in range get a range type of their own (`CREATE TYPE ... AS RANGE`).
"""

from __future__ import annotations

import dataclasses

from studio.catalog import (
    Catalog,
    CheckConstraint,
    Column,
    ExclusionConstraint,
    ForeignKey,
    Function,
    Index,
    IndexKey,
    PrimaryKey,
    Table,
    Trigger,
)
from studio.design.constraint_indexes import sync_constraint_indexes
from studio.design.decisions import History
from studio.design.notes import Note
from studio.sql import MAX_IDENTIFIER_BYTES, constraint_name, ident, qualified

BUILTIN_RANGES = {
    "smallint": ("int8range", "::bigint"),
    "integer": ("int8range", "::bigint"),
    "bigint": ("int8range", ""),
    "numeric": ("numrange", ""),
    "date": ("daterange", ""),
    "timestamp without time zone": ("tsrange", ""),
    "timestamp with time zone": ("tstzrange", ""),
}


def free_table_name(catalog: Catalog, schema: str, base: str) -> str:
    base = base.encode()[:MAX_IDENTIFIER_BYTES].decode(errors="ignore")
    name, n = base, 1
    while f"{schema}.{name}" in catalog:
        n += 1
        name = f"{base[: MAX_IDENTIFIER_BYTES - 3]}_{n}"
    return name


def _plain(column: Column) -> Column:
    return dataclasses.replace(column, nullable=True, default=None, identity=None, sequence=None, generated=None)


def audit_trigger(catalog: Catalog, t: Table) -> tuple[Catalog, list[str], Note]:
    name = free_table_name(catalog, t.schema, f"{t.name}_history")
    copied = [_plain(c) for c in t.columns]
    history = sync_constraint_indexes(Table(
        schema=t.schema,
        name=name,
        columns=(
            Column("history_id", "bigint", nullable=False, identity="always", category="N", base_type="bigint"),
            Column("operation", "text", nullable=False, category="S", base_type="text"),
            Column("changed_at", "timestamp with time zone", nullable=False, default="now()", category="D"),
            Column("changed_by", "text", nullable=False, default="CURRENT_USER", category="S", base_type="text"),
            *copied,
        ),
        primary_key=PrimaryKey(constraint_name(name, (), "pkey"), ("history_id",)),
        checks=(CheckConstraint(constraint_name(name, ("operation",), "check"), "CHECK ((operation = ANY (ARRAY['INSERT'::text, 'UPDATE'::text, 'DELETE'::text])))", ("operation",)),),
        indexes=(Index(constraint_name(name, (*(t.primary_key.columns if t.primary_key else ()), "changed_at"), "idx"),
                       tuple(IndexKey(c, c) for c in (*(t.primary_key.columns if t.primary_key else ()), "changed_at"))),),
        comment=f"Every insert, update and delete of {t.qualified}, written by a trigger",
    ))
    function = f"{name}_write"[:MAX_IDENTIFIER_BYTES]
    cols = ", ".join(ident(c.name) for c in t.columns)
    new_values = ", ".join(f"NEW.{ident(c.name)}" for c in t.columns)
    old_values = ", ".join(f"OLD.{ident(c.name)}" for c in t.columns)
    target = qualified(t.schema, name)
    body = f"""CREATE FUNCTION {qualified(t.schema, function)}() RETURNS trigger
LANGUAGE plpgsql
AS $history$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO {target} (operation, {cols}) VALUES (TG_OP, {old_values});
        RETURN OLD;
    END IF;
    INSERT INTO {target} (operation, {cols}) VALUES (TG_OP, {new_values});
    RETURN NEW;
END
$history$"""
    trigger_name = constraint_name(t.name, (), "history")
    trigger = Trigger(
        trigger_name,
        f"CREATE TRIGGER {ident(trigger_name)} AFTER INSERT OR UPDATE OR DELETE ON {qualified(t.schema, t.name)} "
        f"FOR EACH ROW EXECUTE FUNCTION {qualified(t.schema, function)}()",
        function=f"{t.schema}.{function}",
    )
    tables = []
    for other in catalog.tables:
        tables.append(dataclasses.replace(other, triggers=(*other.triggers, trigger)) if other.qualified == t.qualified else other)
        if other.qualified == t.qualified:
            tables.append(history)
    catalog = dataclasses.replace(
        catalog,
        tables=tuple(tables),
        functions=(*catalog.functions, Function(t.schema, function, returns="trigger", language="plpgsql", definition=body)),
    )
    rows = t.row_estimate if t.row_estimate and t.row_estimate > 0 else None
    note = Note(
        "history",
        f"Audit history of {t.qualified}",
        f"{t.schema}.{name} receives a full copy of the row on every insert, update and delete (an AFTER row "
        f"trigger), with who and when. Each write to {t.qualified} becomes two writes; the history grows by one row "
        f"per change" + (f" (today's table holds {rows:,} rows, so a single full update adds as many)" if rows else "")
        + ". New columns must be added to the history table and its trigger function in the same migration; "
        "retention is a scheduled delete or a partitioned history table.",
        f"the columns of {t.qualified}" + (" and its row estimate" if rows else ""),
    )
    return catalog, [], note


def effective_dated(catalog: Catalog, t: Table) -> tuple[Catalog, list[str], Note]:
    key = t.primary_key.columns
    name = free_table_name(catalog, t.schema, f"{t.name}_versions")
    setup: list[str] = []
    ranges = []
    for col in key:
        column = t.column(col)
        rng = BUILTIN_RANGES.get(column.type)
        if rng:
            function, cast = rng
            ranges.append(f"{function}({ident(col)}{cast}, {ident(col)}{cast}, '[]') WITH =")
        else:
            range_type = free_table_name(catalog, t.schema, f"{t.name}_{col}_key_range")
            setup.append(f"CREATE TYPE {qualified(t.schema, range_type)} AS RANGE (subtype = {column.type});")
            ranges.append(f"{qualified(t.schema, range_type)}({ident(col)}, {ident(col)}, '[]') WITH =")
    ranges.append("tstzrange(valid_from, valid_to) WITH &&")
    data = [_plain(c) for c in t.columns if c.name not in key]
    versions = sync_constraint_indexes(Table(
        schema=t.schema,
        name=name,
        columns=(
            *[dataclasses.replace(_plain(t.column(c)), nullable=False) for c in key],
            Column("valid_from", "timestamp with time zone", nullable=False, default="now()", category="D"),
            Column("valid_to", "timestamp with time zone", nullable=False, default="'infinity'::timestamp with time zone", category="D"),
            *data,
        ),
        primary_key=PrimaryKey(constraint_name(name, (), "pkey"), (*key, "valid_from")),
        foreign_keys=(ForeignKey(constraint_name(name, key, "fkey"), key, t.qualified, key, on_delete="CASCADE"),),
        checks=(CheckConstraint(constraint_name(name, ("valid",), "check"), "CHECK ((valid_from < valid_to))", ("valid_from", "valid_to")),),
        exclusions=(ExclusionConstraint(constraint_name(name, (), "no_overlap"), f"EXCLUDE USING gist ({', '.join(ranges)})", (*key, "valid_from", "valid_to")),),
        comment=f"Effective-dated versions of {t.qualified}: one row per period, periods of one entity never overlap",
    ))
    tables = []
    for other in catalog.tables:
        tables.append(other)
        if other.qualified == t.qualified:
            tables.append(versions)
    catalog = dataclasses.replace(catalog, tables=tuple(tables))
    note = Note(
        "history",
        f"Effective dating of {t.qualified}",
        f"{t.schema}.{name} holds one row per period of validity of each {t.name} row: valid_from inclusive, valid_to "
        f"exclusive ('infinity' while current), and an exclusion constraint rejects overlapping periods of one "
        f"entity. The entity table keeps its key, so every foreign key to it stays valid and existing queries read "
        f"the current values; 'as of' queries read the versions table (WHERE valid_from <= t AND t < valid_to). "
        f"PostgreSQL without btree_gist cannot put a scalar = in a GiST exclusion, so each key column is compared as "
        f"a one-point range ({ranges[0]}); with btree_gist installed the plain form ({', '.join(ident(k) for k in key)} WITH =) "
        f"is equivalent. Writers close the current period and open the next in one transaction.",
        f"the primary key of {t.qualified} ({', '.join(key)})",
    )
    return catalog, setup, note


def apply_history(catalog: Catalog, items: tuple[History, ...], resolve) -> tuple[Catalog, list[str], list[Note], dict[str, str]]:
    """Returns (catalog, setup SQL, notes, {new table: the table it follows})."""
    setup: list[str] = []
    notes: list[Note] = []
    added: dict[str, str] = {}
    for item in items:
        t = catalog.table(resolve(item.table))
        before = {x.qualified for x in catalog.tables}
        if item.mode == "audit-trigger":
            catalog, more, note = audit_trigger(catalog, t)
        else:
            catalog, more, note = effective_dated(catalog, t)
        for x in catalog.tables:
            if x.qualified not in before:
                added[x.qualified] = t.qualified
        setup += more
        notes.append(note)
    return catalog, setup, notes, added
