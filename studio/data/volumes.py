"""Volumes ahead: per table, rows now, a growth rate and a retention give rows at 12 and 36 months.

A table projected past a threshold whose queries filter on a time or tenant column is a
partitioning candidate (`PartitionAdvice.decision()` is the Design page's `Partition` choice).
Index sizes are estimated from the key columns' average width: B-tree leaf tuples of an 8-byte
header plus the keys aligned to 8 bytes, a 4-byte line pointer, pages filled to 90%. It is an upper
estimate for repetitive keys, which B-tree deduplication (PostgreSQL 13+) stores more compactly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from studio.catalog import Catalog, Column, Index, Table
from studio.db import connect_readonly
from studio.design.decisions import Partition

DAYS_PER_MONTH = 365.25 / 12
HORIZONS = (12, 36)
PARTITION_THRESHOLD_ROWS = 50_000_000
PAGE_BYTES = 8192
PAGE_OVERHEAD = 24 + 16  # page header + B-tree special space
LEAF_FILL = 0.90
TUPLE_HEADER = 8
LINE_POINTER = 4
INNER_PAGES = 1.01  # inner pages are about 1% of the leaves at these fan-outs
FIXED_WIDTHS = {
    "smallint": 2,
    "integer": 4,
    "bigint": 8,
    "real": 4,
    "double precision": 8,
    "boolean": 1,
    "date": 4,
    "time without time zone": 8,
    "time with time zone": 12,
    "timestamp without time zone": 8,
    "timestamp with time zone": 8,
    "interval": 16,
    "uuid": 16,
    "money": 8,
    "oid": 4,
    "inet": 7,
    "numeric": 8,
}
VARIABLE_DEFAULT = 16  # a short text key (codes, e-mails are longer: pg_stats says when live)


@dataclass(frozen=True)
class Growth:
    rows_per_day: float = 0.0
    retention_days: int | None = None  # rows older than this are deleted


@dataclass(frozen=True)
class PartitionAdvice:
    table: str
    strategy: str  # range | hash
    column: str
    reason: str

    def decision(self):
        """The Design page's choice for this advice."""
        if self.strategy == "range":
            return Partition(self.table, "range", self.column, interval="month")
        return Partition(self.table, "hash", self.column, modulus=16)


@dataclass(frozen=True)
class IndexSize:
    index: str
    bytes_now: int
    bytes_12: int
    bytes_36: int


@dataclass(frozen=True)
class Projection:
    table: str
    rows_now: int
    growth: Growth
    rows_12: int
    rows_36: int
    indexes: tuple[IndexSize, ...] = ()
    partition: PartitionAdvice | None = None
    past_threshold: bool = False

    def rows_at(self, months: float) -> int:
        return project_rows(self.rows_now, self.growth, months)


def project_rows(rows_now: int, growth: Growth, months: float) -> int:
    """Rows after `months`: linear growth, capped at the steady state a retention allows."""
    days = months * DAYS_PER_MONTH
    rows = rows_now + growth.rows_per_day * days
    if growth.retention_days is not None and growth.rows_per_day > 0:
        steady = growth.rows_per_day * growth.retention_days
        rows = min(rows, steady) if rows_now <= steady else steady  # the retention job trims the surplus
    return max(0, int(round(rows)))


def key_width(column: Column | None, avg_width: int | None = None) -> int:
    if avg_width:
        return int(avg_width)
    if column is None:
        return VARIABLE_DEFAULT
    base = (column.base_type or column.type).split("(")[0].strip()
    if base in FIXED_WIDTHS:
        return FIXED_WIDTHS[base]
    if base in ("character", "character varying") and "(" in column.type:
        declared = int(column.type.split("(")[1].split(")")[0].split(",")[0])
        return min(declared, VARIABLE_DEFAULT) + 1 if base == "character varying" else declared + 1
    return VARIABLE_DEFAULT


def index_bytes(table: Table, index: Index, rows: int, avg_widths: Mapping[tuple[str, str], int] | None = None) -> int:
    """Estimated size of a B-tree index over `rows` rows (INCLUDE columns count, expressions as short keys)."""
    widths = avg_widths or {}
    names = [*(k.column for k in index.keys), *index.include]
    data = sum(key_width(table.column(n) if n else None, widths.get((table.qualified, n or ""))) for n in names)
    entry = TUPLE_HEADER + math.ceil(data / 8) * 8 + LINE_POINTER
    per_page = max(1, int((PAGE_BYTES - PAGE_OVERHEAD) * LEAF_FILL) // entry)
    leaves = math.ceil(rows / per_page) if rows else 0
    return int((1 + math.ceil(leaves * INNER_PAGES)) * PAGE_BYTES)


def _is_time(column: Column) -> bool:
    return column.category == "D" or any(w in column.type for w in ("timestamp", "date"))


def partition_advice(
    table: Table, rows_36: int, filtered: Iterable[str], tenant_column: str | None, growth: Growth, threshold: int
) -> PartitionAdvice | None:
    """Range by the filtered time column (retention drops whole partitions), else hash by the tenant."""
    if table.partitioning is not None or table.kind != "table" or rows_36 < threshold:
        return None
    filtered = list(dict.fromkeys(filtered))
    times = [c for c in filtered if (col := table.column(c)) is not None and _is_time(col)]
    if times:
        why = f"projected {rows_36:,} rows in 36 months and its queries filter on {times[0]}"
        if growth.retention_days:
            why += f"; with a {growth.retention_days}-day retention, old months are dropped as whole partitions"
        return PartitionAdvice(table.qualified, "range", times[0], why)
    if tenant_column and tenant_column in filtered:
        why = f"projected {rows_36:,} rows in 36 months and its queries filter on the tenant column {tenant_column}"
        return PartitionAdvice(table.qualified, "hash", tenant_column, why)
    return None


@dataclass
class VolumeInputs:
    growth: dict[str, Growth] = field(default_factory=dict)  # schema-qualified table -> growth
    rows_now: dict[str, int] = field(default_factory=dict)  # overrides of the catalog's estimate
    filtered: dict[str, list[str]] = field(default_factory=dict)  # table -> columns its queries filter on
    avg_widths: dict[tuple[str, str], int] = field(default_factory=dict)  # (table, column) -> pg_stats avg_width
    threshold: int = PARTITION_THRESHOLD_ROWS
    tenant_column: str | None = "tenant_id"


def project(catalog: Catalog, inputs: VolumeInputs) -> list[Projection]:
    """A projection for every table the inputs give a growth rate (or a row count) for."""
    out = []
    for name in sorted({*inputs.growth, *inputs.rows_now}):
        table = catalog.table(name)
        if table is None or not table.is_stored:
            continue
        growth = inputs.growth.get(name, Growth())
        rows_now = inputs.rows_now.get(name, table.row_estimate or 0)
        rows_12, rows_36 = (project_rows(rows_now, growth, m) for m in HORIZONS)
        sizes = tuple(
            IndexSize(
                index.name,
                *(index_bytes(table, index, r, inputs.avg_widths) for r in (rows_now, rows_12, rows_36)),
            )
            for index in table.indexes
            if index.method == "btree"
        )
        tenant = inputs.tenant_column if inputs.tenant_column and table.column(inputs.tenant_column) else None
        advice = partition_advice(table, rows_36, inputs.filtered.get(name, ()), tenant, growth, inputs.threshold)
        out.append(
            Projection(name, rows_now, growth, rows_12, rows_36, sizes, advice, rows_36 >= inputs.threshold)
        )
    return out


def filtered_columns(shapes) -> dict[str, list[str]]:
    """Per table, the columns the workload's statements filter on (equality and range)."""
    found: dict[str, list[str]] = {}
    for shape in shapes:
        for use in shape.uses:
            found.setdefault(use.table, []).extend([*use.equality, *use.range])
    return {t: list(dict.fromkeys(cs)) for t, cs in found.items()}


AVG_WIDTHS = """
SELECT schemaname || '.' || tablename, attname, avg_width FROM pg_stats
WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
"""


def read_avg_widths(url: str) -> dict[tuple[str, str], int]:
    """Average column widths from the planner statistics of a database (empty before ANALYZE)."""
    with connect_readonly(url, statement_timeout_ms=30_000) as conn:
        return {(t, c): int(w) for t, c, w in conn.execute(AVG_WIDTHS).fetchall() if w}
