"""Summaries of a Catalog: counts per schema, the table list, plain text and the inspect JSON.

Pure functions over the model, shared by the studio's Overview page and `schema-studio inspect`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, fields
from operator import attrgetter

import msgspec

from studio import json_codec
from studio.catalog import Catalog, Index, Note, Table
from studio.units import human_bytes

TABLE_LIST_COLUMNS = (
    "schema",
    "table",
    "kind",
    "columns",
    "foreign keys",
    "indexes",
    "est. rows",
    "size",
    "RLS",
    "comment",
)
SCHEMA_COLUMNS = ("schema", "tables", "columns", "foreign keys", "indexes", "est. rows", "size")


@dataclass(frozen=True)
class SchemaCounts:
    schema: str
    tables: int = 0
    columns: int = 0
    foreign_keys: int = 0
    indexes: int = 0
    row_estimate: int | None = None  # None when no table of the schema was ever analyzed
    total_bytes: int | None = None

    def as_row(self) -> tuple:
        return (
            self.schema,
            self.tables,
            self.columns,
            self.foreign_keys,
            self.indexes,
            self.row_estimate,
            self.total_bytes,
        )


def _add(total: int | None, value: int | None) -> int | None:
    if value is None:
        return total
    return (total or 0) + max(value, 0)


def schema_counts(catalog: Catalog) -> list[SchemaCounts]:
    """One entry per schema (declared schemas first, in order; empty schemas included)."""
    order = list(catalog.schema_names)
    order += sorted({t.schema for t in catalog.tables} - set(order))
    counts = {name: SchemaCounts(name) for name in order}
    for table in catalog.tables:
        c = counts[table.schema]
        # a partitioned table already carries its partitions' rows and bytes: count them once
        rolled_up = table.is_stored and table.kind != "partition"
        counts[table.schema] = SchemaCounts(
            schema=c.schema,
            tables=c.tables + 1,
            columns=c.columns + len(table.columns),
            foreign_keys=c.foreign_keys + len(table.foreign_keys),
            indexes=c.indexes + len(table.indexes),
            row_estimate=_add(c.row_estimate, table.row_estimate if rolled_up else None),
            total_bytes=_add(c.total_bytes, table.total_bytes if table.kind != "partition" else None),
        )
    return list(counts.values())


def totals(catalog: Catalog) -> SchemaCounts:
    """The whole catalog as one SchemaCounts (schema = number of schemas, as text)."""
    per_schema = schema_counts(catalog)
    total = SchemaCounts(str(len(per_schema)))
    for c in per_schema:
        total = SchemaCounts(
            schema=total.schema,
            tables=total.tables + c.tables,
            columns=total.columns + c.columns,
            foreign_keys=total.foreign_keys + c.foreign_keys,
            indexes=total.indexes + c.indexes,
            row_estimate=_add(total.row_estimate, c.row_estimate),
            total_bytes=_add(total.total_bytes, c.total_bytes),
        )
    return total


def _rls(table: Table) -> str:
    if not table.rls_enabled:
        return ""
    policies = len(table.policies)
    label = "forced" if table.rls_forced else "on"
    return f"{label}, {policies} polic{'y' if policies == 1 else 'ies'}"


def table_rows(catalog: Catalog) -> list[tuple]:
    return [
        (
            t.schema,
            t.name,
            t.kind.replace("_", " "),
            len(t.columns),
            len(t.foreign_keys),
            len(t.indexes),
            t.row_estimate if t.is_stored else None,
            t.total_bytes,
            _rls(t),
            t.comment or "",
        )
        for t in catalog.tables
    ]


_GRAVITY = {"error": 0, "warning": 1, "info": 2}


def note_counts(notes) -> dict[str, int]:
    """How many notes per level, e.g. {"error": 1, "warning": 2, "info": 5}, gravest first."""
    counted = Counter(n.level for n in notes)
    return {level: counted[level] for level in sorted(counted, key=lambda lv: (_GRAVITY.get(lv, 3), lv))}


def note_rows(notes) -> list[tuple[str, int | None, str, str]]:
    return [(n.level, n.line, n.object, n.message) for n in notes]


# Plain text ------------------------------------------------------------------------------------


def _index_text(index: Index) -> str:
    flags = [w for w, on in (("PRIMARY", index.primary), ("UNIQUE", index.unique and not index.primary)) if on]
    if index.method != "btree":
        flags.append(index.method)
    text = f"index {index.name} ({', '.join(index.columns)})"
    if index.include:
        text += f" INCLUDE ({', '.join(index.include)})"
    if index.predicate:
        text += f" WHERE {index.predicate}"
    if not index.valid:
        flags.append("INVALID")
    return text + (f" [{' '.join(flags)}]" if flags else "")


def _table_text(table: Table) -> list[str]:
    facts = [table.kind.replace("_", " ")]
    if table.is_stored and table.row_estimate is not None:
        facts.append(f"~{table.row_estimate:,} rows")
    if table.total_bytes is not None:
        facts.append(human_bytes(table.total_bytes))
    if table.rls_enabled:
        facts.append("RLS forced" if table.rls_forced else "RLS")
    if table.partition_of:
        facts.append(f"partition of {table.partition_of} {table.partition_bound or ''}".rstrip())
    lines = [f"  {table.qualified}  ({', '.join(facts)})"]
    if table.comment:
        lines.append(f"    -- {table.comment}")
    pk = set(table.primary_key.columns) if table.primary_key else set()
    width = max((len(c.name) for c in table.columns), default=0)
    type_width = max((len(c.type) for c in table.columns), default=0)
    for col in table.columns:
        extras = []
        if not col.nullable:
            extras.append("not null")
        if col.name in pk:
            extras.append("PK")
        if col.identity:
            extras.append(f"identity {col.identity}")
        elif col.default is not None:
            extras.append(f"default {col.default}")
        if col.generated:
            extras.append(f"generated {col.generated}")
        lines.append(f"    {col.name:<{width}}  {col.type:<{type_width}}  {'  '.join(extras)}".rstrip())
    if table.primary_key and len(table.primary_key.columns) > 1:
        lines.append(f"    primary key {table.primary_key.name} ({', '.join(table.primary_key.columns)})")
    for u in table.uniques:
        lines.append(f"    unique {u.name} ({', '.join(u.columns)})")
    for fk in table.foreign_keys:
        text = f"    FK {fk.name} ({', '.join(fk.columns)}) -> {fk.ref_table} ({', '.join(fk.ref_columns)})"
        if fk.on_delete != "NO ACTION":
            text += f" ON DELETE {fk.on_delete}"
        if not fk.validated:
            text += " NOT VALID"
        lines.append(text)
    for check in table.checks:
        lines.append(f"    check {check.name} {check.expression}")
    for index in table.indexes:
        lines.append(f"    {_index_text(index)}")
    for policy in table.policies:
        text = f"    policy {policy.name} {policy.command} to {', '.join(policy.roles)}"
        if policy.using:
            text += f" USING {policy.using}"
        if policy.with_check:
            text += f" WITH CHECK {policy.with_check}"
        lines.append(text)
    return lines


def _note_text(note: Note) -> str:
    where = ", ".join(x for x in (f"line {note.line}" if note.line else "", note.object) if x)
    return f"  {note.level}: {where + ': ' if where else ''}{note.message}"


def catalog_text(catalog: Catalog) -> str:
    """A readable plain-text rendering of the whole model (`schema-studio inspect --format text`)."""
    total = totals(catalog)
    about = [x for x in (catalog.source, f"database {catalog.database}" if catalog.database else "") if x]
    if catalog.server_version:
        about.append(f"PostgreSQL {catalog.server_version}")
    lines = [f"Catalog: {', '.join(about) or 'unnamed'}"]
    lines.append(
        f"{total.schema} schemas, {total.tables} tables, {total.columns} columns, "
        f"{total.foreign_keys} foreign keys, {total.indexes} indexes"
    )
    if catalog.extensions:
        lines.append(f"extensions: {', '.join(catalog.extensions)}")
    by_schema: dict[str, list[Table]] = {}
    for table in catalog.tables:
        by_schema.setdefault(table.schema, []).append(table)
    for counts in schema_counts(catalog):
        lines.append("")
        lines.append(
            f"schema {counts.schema}: {counts.tables} tables, {counts.columns} columns, "
            f"{counts.foreign_keys} foreign keys, {counts.indexes} indexes"
        )
        for table in by_schema.get(counts.schema, []):
            lines.extend(_table_text(table))
    for enum in catalog.enums:
        lines.append(f"enum {enum.schema}.{enum.name}: {', '.join(enum.labels)}")
    for domain in catalog.domains:
        lines.append(f"domain {domain.schema}.{domain.name}: {domain.base_type}")
    if catalog.notes:
        counts_text = ", ".join(f"{n} {level}" for level, n in note_counts(catalog.notes).items())
        lines.append("")
        lines.append(f"notes ({counts_text}):")
        lines.extend(_note_text(n) for n in catalog.notes)
    return "\n".join(lines) + "\n"


# JSON ------------------------------------------------------------------------------------------

_CATALOG_FIELDS = tuple(f.name for f in fields(Catalog))
_TABLE_FIELDS = tuple(f.name for f in fields(Table))
_INDEX_FIELDS = tuple(f.name for f in fields(Index))
_catalog_values = attrgetter(*_CATALOG_FIELDS)
_table_values = attrgetter(*_TABLE_FIELDS)
_index_values = attrgetter(*_INDEX_FIELDS)


def _inspect_index(index: Index) -> dict:
    data = dict(zip(_INDEX_FIELDS, _index_values(index), strict=True))
    data["columns"] = index.columns
    return data


def _inspect_table(table: Table) -> dict:
    data = dict(zip(_TABLE_FIELDS, _table_values(table), strict=True))
    data["indexes"] = [_inspect_index(i) for i in table.indexes]
    return data


def inspect_json_bytes(catalog: Catalog, indent: int | None = None) -> bytes:
    """`schema-studio inspect --format json`: the catalog's JSON plus, per index, its key `columns`
    (expressions as their text) after the index's own fields. Only the catalog, tables and indexes
    are opened into dicts; everything under them is encoded straight from the dataclasses."""
    data = dict(zip(_CATALOG_FIELDS, _catalog_values(catalog), strict=True))
    data["tables"] = [_inspect_table(t) for t in catalog.tables]
    return json_codec.dumps(data, indent)


def inspect_json(catalog: Catalog) -> dict:
    """`inspect_json_bytes` as plain data."""
    return msgspec.json.decode(inspect_json_bytes(catalog))
