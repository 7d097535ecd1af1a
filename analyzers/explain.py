"""EXPLAIN (never ANALYZE) confirms or refutes each query-not-covered-by-index finding.

The statement is planned, not run, inside a read-only transaction with a statement timeout.
`$n` parameters need `EXPLAIN (GENERIC_PLAN)` (PostgreSQL 16+); `:name` parameters were
already rewritten to `$n` when the statement was read. The plan's scans of the finding's table
(or its partitions) decide: a sequential scan confirms the finding, an index scan refutes it.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

import psycopg

from analyzers.context import Connect
from analyzers.registry import Finding
from analyzers.workload_input import Statement, Workload
from studio.catalog import Catalog

COVERAGE_RULE = "query-not-covered-by-index"
INDEX_NODES = ("Index Scan", "Index Only Scan", "Bitmap Index Scan")


@dataclass(frozen=True)
class Scan:
    node: str  # "Seq Scan", "Index Scan", ...
    table: str  # schema-qualified
    index: str | None = None


def scans(plan: dict) -> list[Scan]:
    """Every scan node in an EXPLAIN (FORMAT JSON, VERBOSE) plan tree."""
    found = []
    stack = [plan]
    while stack:
        node = stack.pop()
        relation = node.get("Relation Name")
        if relation is None and node.get("Node Type") == "Bitmap Index Scan":
            relation = node.get("_heap")
        if relation is not None and "Scan" in node.get("Node Type", ""):
            found.append(Scan(node["Node Type"], f"{node.get('Schema', 'public')}.{relation}", node.get("Index Name")))
        for child in node.get("Plans", ()):
            if child.get("Node Type") == "Bitmap Index Scan" and relation is not None:
                child = {**child, "_heap": relation, "Schema": node.get("Schema", "public")}
            stack.append(child)
    return found


def plan_of(conn: psycopg.Connection, statement: Statement, generic: bool) -> dict:
    options = "FORMAT JSON, VERBOSE, COSTS OFF" + (", GENERIC_PLAN" if generic else "")
    row = conn.execute(f"EXPLAIN ({options}) {statement.sql}", prepare=False).fetchone()
    data = row[0] if not isinstance(row[0], str) else json.loads(row[0])
    return data[0]["Plan"]


def _has_parameters(statement: Statement) -> bool:
    return "$" in statement.sql  # refined by PostgreSQL itself: a false positive only asks for GENERIC_PLAN


def verdict(catalog: Catalog, finding: Finding, found: list[Scan]) -> tuple[str, str]:
    """("confirmed" | "refuted" | "unseen", the sentence to add to the message)."""
    owners = {finding.table} | {t.qualified for t in catalog.tables if t.partition_of == finding.table}
    mine = [s for s in found if s.table in owners]
    if not mine:
        return "unseen", f"EXPLAIN shows no scan of {finding.table} (the planner avoided the table)"
    indexed = [s for s in mine if s.node in INDEX_NODES and s.index]
    if any(s.node == "Seq Scan" for s in mine) or not indexed:
        kind = next(s.node for s in mine)
        return "confirmed", f"EXPLAIN confirms it: the planner reads {finding.table} with a {kind.lower()}"
    return "refuted", (
        f"EXPLAIN refutes it: the planner reads {finding.table} through index {indexed[0].index}"
    )


def judge_coverage(
    connect: Connect, catalog: Catalog, workload: Workload, findings: list[Finding], statement_timeout_s: float = 10.0
) -> tuple[list[Finding], list[str]]:
    """The findings with each coverage finding judged by EXPLAIN, plus notes on statements not explained."""
    wanted = sorted({f.statement for f in findings if f.rule == COVERAGE_RULE and f.statement is not None})
    if not wanted:
        return findings, []
    statements = {s.number: s for s in workload.statements}
    plans: dict[int, list[Scan]] = {}
    notes: list[str] = []
    with connect(statement_timeout_s) as conn:
        version = int(conn.execute("SHOW server_version_num").fetchone()[0])
        for number in wanted:
            statement = statements[number]
            generic = version >= 160000
            if not generic and _has_parameters(statement):
                notes.append(
                    f"{statement.label}: not explained: PostgreSQL {version // 10000} cannot plan a statement "
                    "with parameters (EXPLAIN (GENERIC_PLAN) needs 16+)"
                )
                continue
            conn.execute("SAVEPOINT explain_one")
            try:
                plans[number] = scans(plan_of(conn, statement, generic))
                conn.execute("RELEASE SAVEPOINT explain_one")
            except psycopg.Error as exc:
                conn.execute("ROLLBACK TO SAVEPOINT explain_one")
                first = (str(exc).strip().splitlines() or ["error"])[0]
                notes.append(f"{statement.label}: not explained: {first}")
    judged = []
    for finding in findings:
        if finding.rule != COVERAGE_RULE or finding.statement not in plans:
            judged.append(finding)
            continue
        outcome, sentence = verdict(catalog, finding, plans[finding.statement])
        changed = dataclasses.replace(
            finding,
            message=f"{finding.message}; {sentence}",
            details=(*finding.details, ("explain", outcome)),
        )
        if outcome == "refuted":
            changed = dataclasses.replace(changed, severity="info")
        judged.append(changed)
    return judged, notes
