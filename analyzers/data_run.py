"""Running the data rules (`analyzers.data`) against a live database, and joining their findings to
the static report.

`run_data_checks` runs every probe read-only, one statement at a time, under a per-statement
timeout, an overall time budget, progress reporting and a cancel token. A probe that does not
finish becomes a Report note ("not checked: ..."), never a silent pass.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import psycopg

from analyzers import data_queries as q
from analyzers.context import Connect, Context
from analyzers.data import Coverage, DataContext, DataOptions, Probe, RowEstimate
from analyzers.engine import AnalysisConfig, Report, finish, select_rules, sort_key
from analyzers.registry import REGISTRY, Finding
from studio.catalog import Catalog
from studio.progress import CancelToken, NullProgress, Progress

# Running ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataRun:
    findings: tuple[Finding, ...] = ()
    notes: tuple[str, ...] = ()
    coverage: tuple[Coverage, ...] = ()
    checks: int = 0  # probes planned
    completed: int = 0  # probes that returned a result
    cancelled: bool = False


def estimate_rows(conn: psycopg.Connection) -> dict[str, RowEstimate]:
    """Row estimate of every stored table: reltuples, or live tuples from the statistics when never analyzed."""
    return {
        f"{schema}.{name}": RowEstimate(int(rows or 0), bool(analyzed))
        for schema, name, rows, analyzed in conn.execute(q.ROW_ESTIMATES).fetchall()
    }


def plan(dctx: DataContext, rules) -> list[tuple[str, Probe]]:
    """(rule id, probe) for every data rule, grouped by table so a table's checks run together."""
    planned = [(r.id, probe) for r in rules for probe in r.check(dctx)]
    planned.sort(key=lambda item: item[1].table)
    return planned


def run_data_checks(
    catalog: Catalog,
    connect: Connect,
    *,
    config: AnalysisConfig | None = None,
    options: DataOptions | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> DataRun:
    """Every selected data rule against the rows, one bounded read-only statement per object."""
    config = config or AnalysisConfig()
    options = options or DataOptions()
    progress = progress or NullProgress()
    cancel = cancel or CancelToken()
    rules = {r.id: r for r in select_rules(config, needs=("data",))}
    started = time.monotonic()
    with connect(options.statement_timeout_s) as conn:
        conn.commit()  # keep the session settings the factory made; each check runs in its own transaction
        dctx = DataContext(Context(catalog, config.settings), options, estimate_rows(conn))
        conn.commit()
        probes = plan(dctx, rules.values())
        units: dict[str, int] = {}
        for _, probe in probes:
            units[probe.table] = units.get(probe.table, 0) + 1
        progress.start(units)
        findings, notes, coverage, completed = [], [], [], 0
        try:
            for rule_id, probe in probes:
                remaining = options.budget_s - (time.monotonic() - started)
                where = f"{rule_id} ({probe.label}) on {probe.table}"
                if cancel.cancelled:
                    notes.append(f"not checked: {where}: cancelled")
                    progress.advance(probe.table, probe.label)
                    continue
                if remaining <= 0:
                    notes.append(
                        f"not checked: {where}: the time budget of {options.budget_s:g} s was used up"
                    )
                    progress.advance(probe.table, probe.label)
                    continue
                timeout = min(options.statement_timeout_s, remaining)
                progress.begin(probe.table, probe.label)
                row, problem = _execute(conn, probe.sql, timeout, cancel)
                progress.advance(probe.table, probe.label)
                if problem is not None:
                    cut_by_budget = timeout < options.statement_timeout_s and problem == "timeout"
                    if problem == "timeout" and cut_by_budget:
                        problem = f"the time budget of {options.budget_s:g} s ran out"
                    elif problem == "timeout":
                        problem = f"timed out after {timeout:g} s"
                    notes.append(f"not checked: {where}: {problem}")
                    continue
                completed += 1
                for item in probe.read(row):
                    if isinstance(item, Coverage):
                        coverage.append(item)
                    else:
                        findings.append(rules[rule_id].finding(item))
        finally:
            progress.finish()
    findings.sort(key=sort_key)
    return DataRun(tuple(findings), tuple(notes), tuple(coverage), len(probes), completed, cancel.cancelled)


def _execute(conn: psycopg.Connection, sql: str, timeout_s: float, cancel: CancelToken):
    """(row, None) or (None, "timeout" | "cancelled" | the server's one-line error)."""
    try:
        conn.execute(f"SET LOCAL statement_timeout = {max(1, int(timeout_s * 1000))}")
        cancel.on_cancel(conn.cancel_safe)
        try:
            if cancel.cancelled:  # cancelled before the statement reached the server
                raise psycopg.errors.QueryCanceled("cancelled before it started")
            row = conn.execute(sql).fetchone()
        finally:
            cancel.on_cancel(None)
        conn.commit()
        return row, None
    except psycopg.errors.QueryCanceled:
        conn.rollback()
        return None, "cancelled" if cancel.cancelled else "timeout"
    except psycopg.Error as exc:
        conn.rollback()
        first = (str(exc).strip().splitlines() or ["error"])[0]
        return None, f"the check failed: {first}"


# Combining with the static report -------------------------------------------------------------


def confirm_implied(report: Report, data: DataRun, options: DataOptions | None = None) -> Report:
    """The static report with each implied-foreign-key finding judged by the data.

    Where most child values have no parent row, the name match was a coincidence: the finding
    drops to info and says why. Otherwise it gains the share of values the data confirms.
    """
    threshold = (options or DataOptions()).contradicted_below
    votes = {(c.table, c.column): c for c in data.coverage}
    adjusted = []
    for finding in report.findings:
        vote = votes.get((finding.table, finding.columns[0] if finding.columns else ""))
        if finding.rule != "implied-foreign-key" or vote is None or not vote.checked:
            adjusted.append(finding)
            continue
        share = f"{vote.share:.0%} of {vote.checked:,} non-NULL values"
        sampled = f" (sampled at {vote.sample.percent:g}% of pages)" if vote.sample else ""
        details = (*finding.details, ("data_share", round(vote.share, 4)), ("data_checked", vote.checked))
        if vote.share < threshold:
            adjusted.append(
                dataclasses.replace(
                    finding,
                    severity="info",
                    message=(
                        f"{finding.message}; but the data contradicts it: only {share} of "
                        f"{finding.table}.{vote.column} exist in {vote.ref_table}.{vote.ref_column}{sampled}, "
                        "so it probably does not reference that table"
                    ),
                    details=details,
                )
            )
        else:
            adjusted.append(
                dataclasses.replace(
                    finding,
                    message=f"{finding.message}; the data agrees: {share} have a parent row{sampled}",
                    details=details,
                )
            )
    adjusted.sort(key=sort_key)
    return dataclasses.replace(report, findings=tuple(adjusted))


def with_data(report: Report, data: DataRun, config: AnalysisConfig | None = None) -> Report:
    """One report: the static findings judged by the data, plus the data findings and notes."""
    config = config or AnalysisConfig()
    judged = confirm_implied(report, data)
    data_rules = tuple(REGISTRY[r] for r in sorted({f.rule for f in data.findings}))
    extra = finish(data.findings, config, rules=data_rules)
    used = {s for _, s in (*judged.suppressed, *extra.suppressed)}
    return Report(
        findings=tuple(sorted((*judged.findings, *extra.findings), key=sort_key)),
        suppressed=(*judged.suppressed, *extra.suppressed),
        unmatched_suppressions=tuple(s for s in config.suppressions if s not in used),
        rules=(*judged.rules, *data_rules),
        notes=(*report.notes, *data.notes),
    )
