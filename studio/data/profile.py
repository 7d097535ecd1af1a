"""A table profile for the Overview page: row counts (exact when small, else estimated, and which)
and per-column NULL fraction and distinct estimate from pg_stats (when the table was analyzed).

Read-only and bounded: estimates come from the catalog and statistics in two statements; exact
counts run only below a row threshold, each under a statement timeout, inside an overall budget.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

import psycopg

from analyzers.data_queries import ROW_ESTIMATES
from studio.catalog import Catalog
from studio.db import connect_readonly
from studio.sql import qualified_name

STATS = """
SELECT schemaname, tablename, attname, inherited, null_frac, n_distinct
FROM pg_stats
WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
""".strip()


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    null_fraction: float | None = None  # None: no statistics (never analyzed)
    distinct: float | None = None  # estimated number of distinct values


@dataclass(frozen=True)
class TableProfile:
    table: str
    rows: int | None
    exact: bool  # True: count(*); False: estimated from reltuples / statistics
    analyzed: bool
    columns: tuple[ColumnProfile, ...] = ()

    @property
    def rows_label(self) -> str:
        if self.rows is None:
            return "unknown"
        return f"{self.rows:,} (exact)" if self.exact else f"≈ {self.rows:,} (estimated)"


@dataclass(frozen=True)
class Profile:
    tables: tuple[TableProfile, ...]
    notes: tuple[str, ...] = ()

    def table(self, qualified: str) -> TableProfile | None:
        return next((t for t in self.tables if t.table == qualified), None)

    def table_rows(self) -> list[dict]:
        """One record per table, for a data frame."""
        return [
            {
                "table": t.table,
                "rows": t.rows,
                "count": "exact" if t.exact else "estimated",
                "analyzed": t.analyzed,
            }
            for t in self.tables
        ]

    def column_rows(self) -> list[dict]:
        return [
            {
                "table": t.table,
                "column": c.name,
                "null fraction": c.null_fraction,
                "distinct (est.)": None if c.distinct is None else round(c.distinct),
            }
            for t in self.tables
            for c in t.columns
        ]


def distinct_estimate(n_distinct: float | None, rows: int | None) -> float | None:
    """pg_stats.n_distinct is a count when positive, minus a fraction of the rows when negative."""
    if n_distinct is None:
        return None
    if n_distinct >= 0:
        return float(n_distinct)
    return -n_distinct * rows if rows is not None else None


def profile(
    catalog: Catalog,
    url: str | None = None,
    *,
    exact_below: int = 100_000,
    statement_timeout_s: float = 5.0,
    budget_s: float = 30.0,
    connect: Callable[[], AbstractContextManager[psycopg.Connection]] | None = None,
) -> Profile:
    """Row counts and column statistics of every plain and partitioned table in the catalog."""
    if connect is None:

        def connect():
            return connect_readonly(url, statement_timeout_ms=int(statement_timeout_s * 1000))

    started = time.monotonic()
    notes = []
    tables = [t for t in catalog.tables if t.kind in ("table", "partitioned_table")]
    with connect() as conn:
        estimates = {f"{s}.{n}": (rows, analyzed) for s, n, rows, analyzed in conn.execute(ROW_ESTIMATES)}
        stats: dict[tuple[str, str], dict[str, tuple[float, float]]] = {}
        for schema, name, column, inherited, null_frac, n_distinct in conn.execute(STATS):
            # a partitioned table only has inherited statistics; a plain table's own ones win
            by_column = stats.setdefault((f"{schema}.{name}", column), {})
            by_column["inherited" if inherited else "own"] = (null_frac, n_distinct)
        conn.commit()
        result = []
        for table in tables:
            estimate, analyzed = estimates.get(table.qualified, (None, False))
            rows, exact = estimate, False
            small = estimate is not None and estimate < exact_below
            if small and time.monotonic() - started < budget_s:
                counted = _count(conn, table.qualified, statement_timeout_s)
                if counted is None:
                    notes.append(
                        f"{table.qualified}: count(*) timed out after {statement_timeout_s:g} s; estimated"
                    )
                else:
                    rows, exact = counted, True
            columns = []
            for column in table.columns:
                found = stats.get((table.qualified, column.name), {})
                null_frac, n_distinct = found.get("own") or found.get("inherited") or (None, None)
                columns.append(ColumnProfile(column.name, null_frac, distinct_estimate(n_distinct, rows)))
            result.append(TableProfile(table.qualified, rows, exact, bool(analyzed), tuple(columns)))
    return Profile(tuple(result), tuple(notes))


def _count(conn: psycopg.Connection, table: str, timeout_s: float) -> int | None:
    try:
        conn.execute(f"SET LOCAL statement_timeout = {max(1, int(timeout_s * 1000))}")
        (count,) = conn.execute(f"SELECT count(*) FROM {qualified_name(table)}").fetchone()
        conn.commit()
        return int(count)
    except psycopg.errors.QueryCanceled:
        conn.rollback()
        return None
