"""What the Workload page shows, as plain data: per statement the tables, predicates and serving index;
the volume inputs, projections and their chart. No Streamlit here, so it is testable without a browser.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analyzers.engine import AnalysisConfig
from analyzers.registry import Finding
from analyzers.workload import Shape, serving_index
from analyzers.workload_input import Workload, read_text
from analyzers.workload_run import WorkloadRun, run_workload
from studio.catalog import Catalog
from studio.data.volumes import Growth, Projection, VolumeInputs, filtered_columns, project
from studio.db import reader

MAX_QUERY_CHARS = 1_000_000


@dataclass(frozen=True)
class Analysis:
    workload: Workload
    run: WorkloadRun

    def findings_of(self, number: int) -> list[Finding]:
        return [f for f in self.run.findings if f.statement == number]

    def shape_of(self, number: int) -> Shape | None:
        return next((s for s in self.run.shapes if s.statement.number == number), None)


def analyze(catalog: Catalog, text: str, *, url: str | None, live: bool, config: AnalysisConfig | None = None) -> Analysis:
    workload = read_text(text[:MAX_QUERY_CHARS], origin="pasted queries")
    return Analysis(workload, run_workload(catalog, workload, config=config, connect=reader(url) if url else None, live=live))


def access_frame(catalog: Catalog, shape: Shape) -> pd.DataFrame:
    """One row per table use: the predicates by kind and the index that serves it (or that it lacks)."""
    rows = []
    for use in shape.uses:
        table = catalog.table(use.table)
        index = serving_index(table, use) if table is not None else None
        if index is not None:
            serving = f"{index.name} ({', '.join(index.columns)})"
        elif use.needs_index:
            serving = "missing"
        else:
            serving = "not needed (no selective filter or join into it)"
        rows.append(
            {
                "table": use.table,
                "alias": use.alias,
                "equality": ", ".join(use.equality),
                "range": ", ".join(c for c in use.range if c not in use.equality),
                "expression": ", ".join(sql for sql, _ in use.expressions),
                "join": ", ".join(use.join),
                "order by": ", ".join(use.order_by),
                "group by": ", ".join(use.group_by),
                "index": serving,
            }
        )
    return pd.DataFrame(rows, columns=["table", "alias", "equality", "range", "expression", "join", "order by", "group by", "index"])


def volume_inputs_frame(catalog: Catalog, shapes) -> pd.DataFrame:
    """Editable inputs: the tables the queries touch (else every stored table), rows now, growth, retention."""
    used = list(dict.fromkeys(u.table for s in shapes for u in s.uses))
    tables = [catalog.table(t) for t in used] or [t for t in catalog.stored_tables if t.kind != "partition"]
    rows = [
        {"table": t.qualified, "rows now": int(t.row_estimate or 0), "rows per day": 0.0, "retention days": None}
        for t in tables
        if t is not None and t.is_stored
    ]
    frame = pd.DataFrame(rows, columns=["table", "rows now", "rows per day", "retention days"])
    return frame.astype({"rows now": "int64", "rows per day": "float64", "retention days": "Int64"})


def projections(catalog: Catalog, edited: pd.DataFrame, shapes, threshold: int, tenant_column: str) -> list[Projection]:
    growth, rows_now = {}, {}
    for row in edited.to_dict("records"):
        retention = row.get("retention days")
        retention = int(retention) if retention is not None and not pd.isna(retention) and retention > 0 else None
        per_day = float(row.get("rows per day") or 0)
        growth[row["table"]] = Growth(max(0.0, per_day), retention)
        rows_now[row["table"]] = max(0, int(row.get("rows now") or 0))
    inputs = VolumeInputs(growth, rows_now, filtered_columns(shapes), threshold=threshold, tenant_column=tenant_column)
    return project(catalog, inputs)


def projection_frame(items: list[Projection]) -> pd.DataFrame:
    rows = [
        {
            "table": p.table,
            "rows now": p.rows_now,
            "in 12 months": p.rows_12,
            "in 36 months": p.rows_36,
            "index size in 36 months": sum(i.bytes_36 for i in p.indexes),
            "partitioning": (
                f"{p.partition.strategy.upper()} ({p.partition.column}): {p.partition.reason}"
                if p.partition
                else ("past the threshold, but no query filters on a time or tenant column" if p.past_threshold else "")
            ),
        }
        for p in items
    ]
    return pd.DataFrame(
        rows, columns=["table", "rows now", "in 12 months", "in 36 months", "index size in 36 months", "partitioning"]
    )


def index_frame(items: list[Projection]) -> pd.DataFrame:
    rows = [
        {"table": p.table, "index": i.index, "now": i.bytes_now, "in 12 months": i.bytes_12, "in 36 months": i.bytes_36}
        for p in items
        for i in p.indexes
    ]
    return pd.DataFrame(rows, columns=["table", "index", "now", "in 12 months", "in 36 months"])


def series_frame(items: list[Projection], step_months: int = 3) -> pd.DataFrame:
    """Rows per table by month from now to 36 months (the chart's data: one column per table)."""
    months = list(range(0, 37, step_months))
    data = {p.table: [p.rows_at(m) for m in months] for p in items}
    frame = pd.DataFrame(data, index=pd.Index(months, name="month"))
    return frame
