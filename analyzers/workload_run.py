"""Running the workload rules (`analyzers.workload`): the statements' shapes, then, on a live database,
EXPLAIN's verdict on each coverage finding and which indexes were never scanned; and joining their
findings to the static report.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from analyzers.context import Connect, Context
from analyzers.engine import AnalysisConfig, Report, finish, select_rules, sort_key
from analyzers.explain import judge_coverage
from analyzers.registry import REGISTRY, Finding
from analyzers.workload import IndexUsage, Shape, WorkloadContext, shapes_of
from analyzers.workload_input import Workload
from studio.catalog import Catalog

# Live statistics and running --------------------------------------------------------------------

INDEX_USAGE = """
SELECT s.schemaname, s.relname, s.indexrelname, s.idx_scan, pg_relation_size(s.indexrelid),
       i.indisunique, EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = s.indexrelid),
       i.indisvalid,
       (SELECT d.stats_reset::text FROM pg_stat_database d WHERE d.datname = current_database())
FROM pg_stat_user_indexes s
JOIN pg_index i ON i.indexrelid = s.indexrelid
ORDER BY 1, 2, 3
"""


def read_index_usage(connect: Connect, statement_timeout_s: float = 30.0) -> tuple[IndexUsage, ...]:
    with connect(statement_timeout_s) as conn:
        rows = conn.execute(INDEX_USAGE).fetchall()
    return tuple(
        IndexUsage(f"{schema}.{table}", index, int(scans or 0), int(size or 0), bool(unique), bool(backs), bool(valid), reset)
        for schema, table, index, scans, size, unique, backs, valid, reset in rows
    )


@dataclass(frozen=True)
class WorkloadRun:
    findings: tuple[Finding, ...] = ()
    notes: tuple[str, ...] = ()
    shapes: tuple[Shape, ...] = ()


def run_workload(
    catalog: Catalog,
    workload: Workload,
    *,
    config: AnalysisConfig | None = None,
    connect: Connect | None = None,
    live: bool = False,
    explain: bool = True,
) -> WorkloadRun:
    """The workload rules over the statements; with `connect` (a live database), EXPLAIN judges coverage;
    `live` adds index usage."""
    config = config or AnalysisConfig()
    rules = select_rules(config, needs=("workload",))
    shapes = shapes_of(workload, catalog)
    notes = [*workload.notes, *(str(p) for p in workload.problems)]
    notes += [f"{s.statement.label}: {s.note}" for s in shapes if s.note]
    usage = None
    if live and connect and any(r.id == "unused-index" for r in rules):
        usage = read_index_usage(connect)
    wctx = WorkloadContext(Context(catalog, config.settings), workload, shapes, usage)
    findings = [r.finding(hit) for r in rules for hit in r.check(wctx)]
    if connect and explain:
        findings, explain_notes = judge_coverage(connect, catalog, workload, findings)
        notes += explain_notes
    findings.sort(key=sort_key)
    return WorkloadRun(tuple(findings), tuple(notes), tuple(shapes))


def with_workload(report: Report, run: WorkloadRun, config: AnalysisConfig | None = None) -> Report:
    """One report: the static findings plus the workload findings and notes."""
    config = config or AnalysisConfig()
    extra = finish(run.findings, config, rules=tuple(r for r in REGISTRY.values() if r.needs == "workload"))
    used = {s for _, s in (*report.suppressed, *extra.suppressed)}
    return dataclasses.replace(
        report,
        findings=tuple(sorted((*report.findings, *extra.findings), key=sort_key)),
        suppressed=(*report.suppressed, *extra.suppressed),
        unmatched_suppressions=tuple(s for s in config.suppressions if s not in used),
        rules=(*report.rules, *extra.rules),
        notes=(*report.notes, *run.notes),
    )
