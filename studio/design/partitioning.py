"""Partition a table by range, list or hash in the target model.

Keys: a partitioned table's primary and unique keys must contain the partition key, so they are
extended (uniqueness then holds per partition key value, not across the table). Foreign keys
from the table stay. Foreign keys that reference it must reference its full primary key, which
now includes the partition key: we drop them and say so, rather than copy the partition column
into every referencing table (a timestamp copied into children is a worse design than an
application- or trigger-enforced reference).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from studio.catalog import Catalog, IndexKey, Partitioning, PrimaryKey, Table
from studio.design.constraint_indexes import sync_constraint_indexes
from studio.design.decisions import Partition
from studio.design.notes import Note, partition_cost
from studio.sql import MAX_IDENTIFIER_BYTES, constraint_name, ident, literal


def _with(columns: tuple[str, ...], column: str) -> tuple[str, ...]:
    return columns if column in columns else (*columns, column)


def interval_start(day: dt.date, interval: str) -> dt.date:
    if interval == "day":
        return day
    if interval == "week":
        return day - dt.timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def next_start(start: dt.date, interval: str, steps: int = 1) -> dt.date:
    if interval == "day":
        return start + dt.timedelta(days=steps)
    if interval == "week":
        return start + dt.timedelta(weeks=steps)
    if interval == "month":
        months = start.year * 12 + start.month - 1 + steps
        return dt.date(months // 12, months % 12 + 1, 1)
    return dt.date(start.year + steps, 1, 1)


def suffix(start: dt.date, interval: str) -> str:
    return {
        "day": start.strftime("p%Y_%m_%d"),
        "week": f"p{start.isocalendar()[0]}w{start.isocalendar()[1]:02d}",
        "month": start.strftime("p%Y_%m"),
        "year": start.strftime("p%Y"),
    }[interval]


def partition_name(table: str, tail: str, taken: set[str]) -> str:
    base = f"{table}_{tail}"
    if len(base.encode()) > MAX_IDENTIFIER_BYTES:
        base = table.encode()[: MAX_IDENTIFIER_BYTES - len(tail) - 1].decode(errors="ignore") + "_" + tail
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base[: MAX_IDENTIFIER_BYTES - 4]}_{n}"
    taken.add(name)
    return name


def value_tail(value) -> str:
    text = re.sub(r"[^a-z0-9]+", "_", str(value).lower()).strip("_")
    return text or "value"


def bounds(p: Partition, today: dt.date) -> list[tuple[str, str]]:
    """(name tail, FOR VALUES ...) of the partitions to create."""
    if p.strategy == "range":
        interval = p.interval or "month"
        first = next_start(interval_start(today, interval), interval, -1)  # the previous period too
        out = []
        for i in range(p.premake + 2):
            start = next_start(first, interval, i)
            end = next_start(start, interval)
            out.append((suffix(start, interval), f"FOR VALUES FROM ({literal(start.isoformat())}) TO ({literal(end.isoformat())})"))
        return out
    if p.strategy == "list":
        return [(value_tail(v), f"FOR VALUES IN ({literal(v)})") for v in p.values]
    return [(f"p{r}", f"FOR VALUES WITH (MODULUS {p.modulus}, REMAINDER {r})") for r in range(p.modulus)]


def partition_table(catalog: Catalog, table_name: str, p: Partition, today: dt.date) -> tuple[Catalog, list[Note]]:
    t = catalog.table(table_name)
    col = p.column
    notes: list[Note] = []
    widened: list[str] = []
    pk = t.primary_key
    if pk and col not in pk.columns:
        pk = PrimaryKey(pk.name, _with(pk.columns, col))
        widened.append(f"primary key ({', '.join(t.primary_key.columns)})")
    uniques = []
    for u in t.uniques:
        if col not in u.columns:
            widened.append(f"unique ({', '.join(u.columns)})")
        uniques.append(dataclasses.replace(u, columns=_with(u.columns, col)))
    indexes = []
    for index in t.indexes:
        if index.unique and not index.constraint and col not in index.column_keys:
            widened.append(f"unique index {index.name}")
            index = dataclasses.replace(index, keys=(*index.keys, IndexKey(col, col)), definition="")
        indexes.append(index)
    dropped_exclusions = [e.name for e in t.exclusions if col not in e.columns]
    columns = tuple(dataclasses.replace(c, nullable=False) if c.name == col and pk else c for c in t.columns)
    strategy = p.strategy.upper()
    parent = sync_constraint_indexes(dataclasses.replace(
        t,
        kind="partitioned_table",
        columns=columns,
        primary_key=pk,
        uniques=tuple(uniques),
        indexes=tuple(indexes),
        exclusions=tuple(e for e in t.exclusions if e.name not in dropped_exclusions),
        partitioning=Partitioning(p.strategy, f"{strategy} ({ident(col)})", (col,)),
    ))
    taken = {x.name for x in catalog.tables if x.schema == t.schema}
    partitions = []
    for tail, bound in bounds(p, today):
        partitions.append(_partition(parent, partition_name(t.name, tail, taken), bound))
    if p.strategy != "hash":
        partitions.append(_partition(parent, partition_name(t.name, "default", taken), "DEFAULT"))

    # References to the table must name its whole new key; drop the ones that no longer can.
    keys = [set(parent.primary_key.columns)] if parent.primary_key else []
    keys += [set(u.columns) for u in parent.uniques]
    keys += [set(i.column_keys) for i in parent.indexes if i.unique and not i.predicate and not i.constraint]
    tables = []
    dropped_fks = []
    for other in catalog.tables:
        if other.partition_of == table_name:
            continue
        if other.qualified == table_name:
            other = parent
        fks = tuple(fk for fk in other.foreign_keys if fk.ref_table != table_name or set(fk.ref_columns) in keys)
        if len(fks) != len(other.foreign_keys):
            dropped_fks += [f"{other.qualified} ({', '.join(fk.columns)})" for fk in other.foreign_keys if fk not in fks]
            other = dataclasses.replace(other, foreign_keys=fks)
        tables.append(other)
        if other.qualified == table_name:
            tables.extend(partitions)
    catalog = dataclasses.replace(catalog, tables=tuple(tables))

    count = len(p.values) if p.strategy == "list" else (p.modulus or 0) if p.strategy == "hash" else 0
    notes.append(partition_cost(t, p.strategy, p.interval, count))
    if widened:
        notes.append(Note(
            "breaks",
            f"Keys of {table_name} now include {col}",
            f"PostgreSQL requires every primary and unique key of a partitioned table to contain the partition key, "
            f"so {'; '.join(widened)} now also contain {col}: a value is unique only together with its {col}, and a "
            f"row whose {col} changes moves to another partition (an UPDATE becomes a DELETE plus INSERT).",
            "the keys of " + table_name,
        ))
    if dropped_fks:
        notes.append(Note(
            "breaks",
            f"{len(dropped_fks)} foreign keys to {table_name} dropped",
            f"A foreign key to a partitioned table must reference its whole primary key, which now includes {col}. "
            f"Rather than copying {col} into every referencing table, these references are dropped and must be "
            f"checked by the application or a trigger: {', '.join(dropped_fks)}.",
            "foreign keys that reference " + table_name,
        ))
    if dropped_exclusions:
        notes.append(Note(
            "breaks", f"Exclusion constraints of {table_name} dropped",
            f"An exclusion constraint on a partitioned table must include the partition key with =: {', '.join(dropped_exclusions)}.",
            "the exclusion constraints of " + table_name,
        ))
    notes.append(_maintenance(table_name, p))
    return catalog, notes


def _partition(parent: Table, name: str, bound: str) -> Table:
    return Table(
        schema=parent.schema,
        name=name,
        kind="partition",
        columns=parent.columns,
        partition_of=parent.qualified,
        partition_bound=bound,
        rls_enabled=parent.rls_enabled,
        rls_forced=parent.rls_forced,
        policies=parent.policies,
    )


def _maintenance(table_name: str, p: Partition) -> Note:
    if p.strategy == "range":
        text = (
            f"Create each {p.interval} partition before its rows arrive, keeping {p.premake} ahead (a scheduled job, "
            f"pg_partman or pg_cron); rows outside every partition land in the default partition, and a new partition "
            f"cannot be created while the default holds rows in its range (move them first). For retention, "
            f"ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY, then archive or drop it: no bulk DELETE, no vacuum debt. "
            f"Initial partitions start one {p.interval} before today; older existing rows go to the default partition "
            f"until matching partitions are created and the rows moved."
        )
    elif p.strategy == "list":
        text = ("Add a partition when a new value appears (rows go to the default partition meanwhile; split them out "
                "by detaching the default, creating the partition, and moving the rows).")
    else:
        text = ("Hash partitions need no calendar maintenance; changing the modulus means creating a new table and "
                "copying every row, so pick it for the size you expect in years.")
    return Note("partitioning", f"Maintaining {table_name}", text, f"{p.strategy} partitioning on {p.column}")


def _fk_shape(fk) -> tuple:
    return (fk.columns, fk.ref_table, fk.ref_columns, fk.on_delete, fk.on_update, fk.match, fk.deferrable, fk.initially_deferred)


def own_foreign_keys(partition: Table, parent: Table | None) -> tuple:
    """The foreign keys a partition declares itself (not the ones it inherits from its parent)."""
    inherited = {(fk.columns, fk.ref_table, fk.ref_columns) for fk in parent.foreign_keys} if parent else set()
    return tuple(fk for fk in partition.foreign_keys if (fk.columns, fk.ref_table, fk.ref_columns) not in inherited)


def hoist_partition_foreign_keys(catalog: Catalog) -> tuple[Catalog, list[Note]]:
    """Foreign keys declared on every partition become one foreign key on the parent.

    Equivalent for every existing row, inherited by future partitions, and the one place the
    tenancy, key and partitioning transforms change (they adjust a parent's keys, and a
    partition's copy would keep pointing at the old key). Clones of the parent's own foreign
    keys are left alone; keys on some partitions only stay where they are (the transforms
    adjust them partition by partition).
    """
    tables = {t.qualified: t for t in catalog.tables}
    hoisted: list[str] = []
    for parent in [t for t in catalog.tables if t.kind == "partitioned_table"]:
        partitions = [t for t in catalog.tables if t.partition_of == parent.qualified]
        if not partitions:
            continue
        owned = [{_fk_shape(fk): fk for fk in own_foreign_keys(p, parent)} for p in partitions]
        everywhere = [shape for shape in owned[0] if all(shape in o for o in owned[1:])]
        names = {c.name for c in (*parent.uniques, *parent.checks, *parent.exclusions, *parent.foreign_keys)}
        names |= {parent.primary_key.name} if parent.primary_key else set()
        added = []
        for shape in everywhere:
            name, n = constraint_name(parent.name, shape[0], "fkey"), 1
            while name in names:
                n += 1
                name = constraint_name(parent.name, shape[0], f"fkey{n}")
            names.add(name)
            added.append(dataclasses.replace(owned[0][shape], name=name))
            hoisted.append(f"{parent.qualified} ({', '.join(shape[0])}) -> {shape[1]}")
        if not added:
            continue
        tables[parent.qualified] = dataclasses.replace(parent, foreign_keys=(*parent.foreign_keys, *added))
        for p in partitions:  # the hoisted keys come back as clones named after the parent's
            keep = tuple(fk for fk in p.foreign_keys if _fk_shape(fk) not in everywhere)
            tables[p.qualified] = dataclasses.replace(p, foreign_keys=(*keep, *added))
    notes = []
    if hoisted:
        notes.append(Note(
            "partitioning",
            f"{len(hoisted)} foreign keys declared on every partition now live on the parent",
            "Each partition declared its own copy; one foreign key on the partitioned table is equivalent for every "
            "row, is inherited by future partitions, and follows the parent when a design choice widens the key it "
            "references: " + "; ".join(hoisted) + ".",
            "foreign keys that every partition of a partitioned table declares with the same columns and target",
        ))
    return dataclasses.replace(catalog, tables=tuple(tables.values())), notes
