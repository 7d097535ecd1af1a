"""Trade-off notes: what a choice costs, with numbers from the actual schema and their basis.

Each transform (tenancy, partitioning, keys, history) returns its notes; the estimators that
need arithmetic live here so the numbers and their stated basis stay in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from studio.catalog import Catalog, Table
from studio.units import human_bytes

# Approximate on-disk width of one catalog row on PostgreSQL 16 (tuple header, alignment and
# the row's share of its indexes included). An estimate, not yet checked against measured
# catalog growth of provisioned tenant schemas; the note states these widths as its basis.
CATALOG_ROW_BYTES = {"pg_class": 270, "pg_attribute": 150, "pg_index": 170, "pg_constraint": 230, "pg_depend": 60}
SYSTEM_COLUMNS = 6  # tableoid, cmax, xmax, cmin, xmin, ctid: pg_attribute rows of every table
VARLENA = ("text", "character varying", "jsonb", "json", "bytea", "xml", "tsvector", "numeric")


@dataclass(frozen=True)
class Note:
    topic: str  # tenancy | partitioning | keys | history | rls-role | breaks
    title: str
    text: str
    based_on: str = ""

    def markdown(self) -> str:
        basis = f"\n\n*Based on: {self.based_on}*" if self.based_on else ""
        return f"**{self.title}**\n\n{self.text}{basis}"

    def plain(self) -> str:
        basis = f"\n  Based on: {self.based_on}" if self.based_on else ""
        return f"[{self.topic}] {self.title}\n  {self.text}{basis}"


def _toasted(table: Table) -> bool:
    return any(c.type.startswith(VARLENA) or c.is_array for c in table.columns)


def relations_per_tenant(tables: list[Table]) -> dict[str, int]:
    """pg_class and pg_attribute rows one copy of these tables creates."""
    relations = attributes = indexes = constraints = 0
    for t in tables:
        relations += 1 + len(t.indexes)
        indexes += len(t.indexes)
        attributes += len(t.columns) + SYSTEM_COLUMNS + sum(len(i.keys) + len(i.include) for i in t.indexes)
        if _toasted(t):
            relations += 2  # the TOAST table and its index
            attributes += 3 + SYSTEM_COLUMNS
            indexes += 1
        relations += sum(1 for c in t.columns if c.identity or c.sequence_filled)
        constraints += len(t.foreign_keys) + len(t.uniques) + len(t.checks) + (1 if t.primary_key else 0)
    return {"relations": relations, "attributes": attributes, "indexes": indexes, "constraints": constraints}


def catalog_bytes(counts: dict[str, int], copies: int) -> int:
    per_copy = (
        counts["relations"] * CATALOG_ROW_BYTES["pg_class"]
        + counts["attributes"] * CATALOG_ROW_BYTES["pg_attribute"]
        + counts["indexes"] * CATALOG_ROW_BYTES["pg_index"]
        + counts["constraints"] * CATALOG_ROW_BYTES["pg_constraint"]
        + (counts["relations"] + counts["constraints"]) * 3 * CATALOG_ROW_BYTES["pg_depend"]
    )
    return per_copy * copies


def schema_per_tenant_cost(tables: list[Table]) -> Note:
    counts = relations_per_tenant(tables)
    lines = [f"One tenant schema holds {len(tables)} tables and creates {counts['relations']:,} relations "
             f"(tables, indexes, TOAST tables, sequences) and {counts['attributes']:,} pg_attribute rows."]
    for n in (1_000, 10_000):
        lines.append(
            f"At {n:,} tenants: {counts['relations'] * n:,} relations and about "
            f"{human_bytes(catalog_bytes(counts, n))} of system catalog, which every backend caches "
            f"piecemeal (relcache) and autovacuum visits table by table."
        )
    lines.append("pg_dump, \\d and migrations slow down with the relation count; above ~10,000 schemas "
                 "plan for several databases (clusters) of schemas.")
    return Note(
        "tenancy",
        "Catalog growth with schema-per-tenant",
        " ".join(lines),
        "the template's tables, indexes and columns in this schema; catalog row widths "
        f"{', '.join(f'{k} {v} B' for k, v in CATALOG_ROW_BYTES.items())}",
    )


def type_width(type_name: str) -> int:
    return {"bigint": 8, "integer": 4, "smallint": 2, "uuid": 16}.get(type_name, 16)


def rls_index_cost(catalog: Catalog, widened: list[tuple[str, str]], tenant_type: str) -> Note:
    width = type_width(tenant_type)
    rows = 0
    known = True
    for table_name, _index in widened:
        t = catalog.table(table_name)
        if t is None or t.row_estimate is None or t.row_estimate < 0:
            known = False
            continue
        rows += t.row_estimate
    extra = rows * width
    size = f"about {human_bytes(extra)} more index space at today's row counts" if rows else (
        "no size estimate: the tables were never analyzed" if not known else "no extra space at today's (empty) tables"
    )
    return Note(
        "tenancy",
        "Wider indexes under RLS",
        f"{len(widened)} indexes gain a leading tenant column ({tenant_type}, {width} bytes per entry): {size}. "
        "Leading with the tenant column lets each tenant's queries scan only its own part of the index.",
        "pg_class.reltuples of the indexed tables; one index entry per row",
    )


def partition_cost(table: Table, strategy: str, interval: str | None, count: int) -> Note:
    rows = table.row_estimate if table.row_estimate and table.row_estimate > 0 else None
    if strategy == "range":
        per_year = {"day": 365, "week": 52, "month": 12, "year": 1}[interval or "month"]
        per = f"about {rows / per_year:,.0f} rows per partition if today's {rows:,} rows are one year of data" if rows else (
            "no rows per partition yet (no row estimate: never analyzed or empty)"
        )
        text = f"{per_year} partitions per year ({interval}); {per}. Plan retention: a detached partition is dropped without a DELETE or vacuum."
        basis = f"pg_class.reltuples of {table.qualified} ({rows if rows is not None else 'unknown'}) and a {interval} interval"
    elif strategy == "list":
        per = f"about {rows / max(count, 1):,.0f} rows per value partition on an even spread" if rows else "no row estimate yet"
        text = f"{count} value partitions plus a default; {per}. A new value lands in the default partition until it gets its own."
        basis = f"pg_class.reltuples of {table.qualified} and the listed values"
    else:
        per = f"about {rows / count:,.0f} rows per partition" if rows else "no row estimate yet"
        text = f"{count} hash partitions; {per}. Changing the modulus later means rewriting every row."
        basis = f"pg_class.reltuples of {table.qualified} and modulus {count}"
    return Note("partitioning", f"Partition sizes for {table.qualified}", text, basis)
