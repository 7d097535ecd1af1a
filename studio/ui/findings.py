"""Findings for the studio: the cached analysis, filters as pure functions, grouping, table details.

Pure functions here take and return plain values so tests can call them without Streamlit; the
Streamlit-bound parts (the cached analysis, session suppressions) are small and named as such.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import streamlit as st

from analyzers.engine import AnalysisConfig, Report, Suppression, analyze
from analyzers.registry import CATEGORIES, SEVERITIES, SEVERITY_RANK, Finding
from studio.catalog import Catalog, Table

SUPPRESSIONS_KEY = "source.findings.suppressions"  # source-scoped: a new source starts with none
SEVERITY_ICON = {"error": ":material/error:", "warning": ":material/warning:", "info": ":material/info:"}
SEVERITY_COLOR = {"error": "red", "warning": "orange", "info": "blue"}
GROUPINGS = ("severity", "table", "rule")


@dataclass(frozen=True)
class Filters:
    severities: tuple[str, ...] = ()  # empty: all
    categories: tuple[str, ...] = ()
    schemas: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    text: str = ""


def schema_of(finding: Finding) -> str:
    return finding.table.partition(".")[0]


def matches(finding: Finding, filters: Filters) -> bool:
    if filters.severities and finding.severity not in filters.severities:
        return False
    if filters.categories and finding.category not in filters.categories:
        return False
    if filters.schemas and schema_of(finding) not in filters.schemas:
        return False
    if filters.tables and finding.table not in filters.tables:
        return False
    if filters.rules and finding.rule not in filters.rules:
        return False
    needle = filters.text.strip().casefold()
    if needle:
        hay = " ".join(
            (finding.rule, finding.table, *finding.columns, *finding.related, finding.message, finding.fix)
        )
        return needle in hay.casefold()
    return True


def apply_filters(findings: Iterable[Finding], filters: Filters) -> list[Finding]:
    return [f for f in findings if matches(f, filters)]


def options(findings: Sequence[Finding]) -> dict[str, list[str]]:
    """The values each filter can take, in a stable order (severities and categories by rank)."""
    present = {
        "severities": {f.severity for f in findings},
        "categories": {f.category for f in findings},
    }
    return {
        "severities": [s for s in SEVERITIES if s in present["severities"]],
        "categories": [c for c in CATEGORIES if c in present["categories"]],
        "schemas": sorted({schema_of(f) for f in findings}),
        "tables": sorted({f.table for f in findings}),
        "rules": sorted({f.rule for f in findings}),
    }


def counts(findings: Sequence[Finding]) -> dict[str, dict[str, int]]:
    by_severity = Counter(f.severity for f in findings)
    by_category = Counter(f.category for f in findings)
    return {
        "severity": {s: by_severity.get(s, 0) for s in SEVERITIES},
        "category": {c: by_category[c] for c in CATEGORIES if by_category.get(c)},
    }


def group(findings: Sequence[Finding], by: str) -> list[tuple[str, list[Finding]]]:
    """Findings in groups, keeping the report's order (severity first) inside each group."""
    if by not in GROUPINGS:
        raise ValueError(f"group by {by!r}: choose one of {', '.join(GROUPINGS)}")
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        label = {"severity": finding.severity, "table": finding.table, "rule": finding.rule}[by]
        groups.setdefault(label, []).append(finding)
    if by == "severity":
        return [(s, groups[s]) for s in SEVERITIES if s in groups]
    return sorted(groups.items())


def top_problems(findings: Sequence[Finding], limit: int = 5) -> list[tuple[str, str, int, int]]:
    """The rules that fire most, worst first: (rule, severity, findings, tables affected)."""
    by_rule: dict[str, list[Finding]] = {}
    for finding in findings:
        by_rule.setdefault(finding.rule, []).append(finding)
    ranked = sorted(
        by_rule.items(),
        key=lambda item: (-max(SEVERITY_RANK[f.severity] for f in item[1]), -len(item[1]), item[0]),
    )
    return [
        (
            rule,
            max((f.severity for f in found), key=lambda s: SEVERITY_RANK[s]),
            len(found),
            len({f.table for f in found}),
        )
        for rule, found in ranked[:limit]
    ]


def suppression_for(finding: Finding, reason: str) -> Suppression:
    """A suppression as narrow as the engine allows: the finding's first column, else its table."""
    reason = " ".join(reason.split())
    if not reason:
        raise ValueError("a suppression needs a reason: say why this finding is acceptable")
    target = f"{finding.table}.{finding.columns[0]}" if finding.columns else finding.table
    return Suppression(finding.rule, target, reason)


def add_suppression(current: Sequence[Suppression], new: Suppression) -> list[Suppression]:
    kept = [s for s in current if (s.rule, s.object) != (new.rule, new.object)]
    return [*kept, new]


def remove_suppression(current: Sequence[Suppression], old: Suppression) -> list[Suppression]:
    return [s for s in current if (s.rule, s.object) != (old.rule, old.object)]


def run(catalog: Catalog, suppressions: Sequence[Suppression] = ()) -> Report:
    return analyze(catalog, AnalysisConfig(suppressions=tuple(suppressions)))


# Table details -------------------------------------------------------------------------------------


def column_rows(table: Table) -> list[dict]:
    pk = set(table.primary_key.columns) if table.primary_key else set()
    in_fk = {c: fk.ref_table for fk in table.foreign_keys for c in fk.columns}
    return [
        {
            "column": c.name,
            "type": c.type,
            "null": "" if c.nullable else "NOT NULL",
            "default": c.default or (f"identity ({c.identity})" if c.identity else ""),
            "key": "PK" if c.name in pk else (f"FK → {in_fk[c.name]}" if c.name in in_fk else ""),
        }
        for c in table.columns
    ]


def key_rows(table: Table) -> list[dict]:
    rows = []
    if table.primary_key:
        rows.append(
            {
                "kind": "primary key",
                "name": table.primary_key.name,
                "definition": ", ".join(table.primary_key.columns),
            }
        )
    for u in table.uniques:
        rows.append({"kind": "unique", "name": u.name, "definition": ", ".join(u.columns)})
    for fk in table.foreign_keys:
        rows.append(
            {
                "kind": "foreign key" + ("" if fk.validated else " (not valid)"),
                "name": fk.name,
                "definition": f"({', '.join(fk.columns)}) → {fk.ref_table} ({', '.join(fk.ref_columns)})"
                + (f" ON DELETE {fk.on_delete}" if fk.on_delete != "NO ACTION" else ""),
            }
        )
    for check in table.checks:
        rows.append({"kind": "check", "name": check.name, "definition": check.expression})
    return rows


def index_rows(table: Table) -> list[dict]:
    return [
        {
            "index": i.name,
            "definition": i.definition or f"{i.method} ({', '.join(i.columns)})",
            "valid": "yes" if i.valid else "NO",
        }
        for i in table.indexes
    ]


def policy_rows(table: Table) -> list[dict]:
    return [
        {
            "policy": p.name,
            "kind": "permissive" if p.permissive else "restrictive",
            "command": p.command,
            "roles": ", ".join(p.roles),
            "using": p.using or "",
            "with check": p.with_check or "",
        }
        for p in table.policies
    ]


def rls_state(table: Table) -> str:
    if not table.rls_enabled:
        return "row level security off"
    return "row level security on" + (", forced" if table.rls_forced else ", not forced")


# Streamlit-bound: the cached analysis and the session's suppressions ---------------------------------


def cached_report(catalog: Catalog, suppressions: Sequence[Suppression] = ()) -> Report:
    """The analysis, computed once per catalog and set of suppressions (a Catalog is frozen and hashable)."""
    return _cached_run(catalog, tuple(suppressions))


def _make_cached():
    @st.cache_data(hash_funcs={Catalog: hash}, show_spinner="Analyzing the schema…", max_entries=32)
    def cached(catalog: Catalog, suppressions: tuple[Suppression, ...]) -> Report:
        return run(catalog, suppressions)

    return cached


_cached_run = _make_cached()


def session_suppressions() -> list[Suppression]:
    return list(st.session_state.get(SUPPRESSIONS_KEY, []))


def set_session_suppressions(suppressions: Sequence[Suppression]) -> None:
    st.session_state[SUPPRESSIONS_KEY] = list(suppressions)
