"""Run rules over a catalog: `analyze(catalog, config) -> Report`.

The engine applies the configuration (disabled rules, severity overrides, suppressions
with reasons) and orders findings by severity, then table, then rule.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from analyzers.context import Context, Settings
from analyzers.families import all_rules
from analyzers.registry import SEVERITY_RANK, Finding, Rule
from studio.catalog import Catalog
from studio.errors import ConfigError
from studio.gc_pause import cyclic_gc_paused


@dataclass(frozen=True)
class Suppression:
    rule: str
    object: str  # schema-qualified table, or table.column
    reason: str

    def matches(self, finding: Finding) -> bool:
        if finding.rule != self.rule:
            return False
        if self.object == finding.table:
            return True
        table, _, column = self.object.rpartition(".")
        return table == finding.table and column in finding.columns


@dataclass(frozen=True)
class AnalysisConfig:
    settings: Settings = field(default_factory=Settings)
    disabled: frozenset[str] = frozenset()
    severity: tuple[tuple[str, str], ...] = ()  # (rule id, new severity)
    suppressions: tuple[Suppression, ...] = ()
    only: frozenset[str] = frozenset()  # --rule ID ...: run only these

    def validate(self, known: Iterable[str]) -> None:
        known = set(known)
        for origin, ids in (
            ("disable", self.disabled),
            ("severity", {r for r, _ in self.severity}),
            ("suppress", {s.rule for s in self.suppressions}),
            ("--rule", self.only),
        ):
            unknown = sorted(set(ids) - known)
            if unknown:
                raise ConfigError(f"{origin}: unknown rule id {unknown[0]!r}; `schema-studio analyze --list-rules` lists them")


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]
    suppressed: tuple[tuple[Finding, Suppression], ...] = ()
    unmatched_suppressions: tuple[Suppression, ...] = ()
    rules: tuple[Rule, ...] = ()
    notes: tuple[str, ...] = ()  # e.g. data checks not run or timed out

    def summary(self) -> dict:
        by_severity = Counter(f.severity for f in self.findings)
        by_category = Counter(f.category for f in self.findings)
        return {
            "total": len(self.findings),
            "by_severity": {s: by_severity.get(s, 0) for s in ("error", "warning", "info")},
            "by_category": dict(sorted(by_category.items())),
            "suppressed": len(self.suppressed),
        }

    def at_or_above(self, severity: str) -> tuple[Finding, ...]:
        floor = SEVERITY_RANK[severity]
        return tuple(f for f in self.findings if SEVERITY_RANK[f.severity] >= floor)


def sort_key(finding: Finding):
    return (-SEVERITY_RANK[finding.severity], finding.table, finding.rule, finding.columns, finding.statement or 0)


def select_rules(config: AnalysisConfig, needs: Iterable[str] = ("schema",)) -> list[Rule]:
    rules = all_rules()
    config.validate(rules)
    wanted = set(needs)
    return [
        r
        for r in rules.values()
        if r.needs in wanted and r.id not in config.disabled and (not config.only or r.id in config.only)
    ]


def run_rules(rules: Iterable[Rule], context: Context) -> list[Finding]:
    findings = []
    for rule in rules:
        findings.extend(rule.finding(hit) for hit in rule.check(context))
    return findings


def finish(findings: Iterable[Finding], config: AnalysisConfig, rules=(), notes=()) -> Report:
    """Apply severity overrides and suppressions; order the findings."""
    overrides = dict(config.severity)
    suppressions_by_rule: dict[str, list[Suppression]] = {}
    for s in config.suppressions:
        suppressions_by_rule.setdefault(s.rule, []).append(s)
    kept, suppressed, used = [], [], set()
    for finding in findings:
        if finding.rule in overrides:
            finding = dataclasses.replace(finding, severity=overrides[finding.rule])
        candidates = suppressions_by_rule.get(finding.rule, ())
        match = next((s for s in candidates if s.matches(finding)), None) if candidates else None
        if match is not None:
            suppressed.append((finding, match))
            used.add(match)
        else:
            kept.append(finding)
    kept.sort(key=sort_key)
    return Report(
        findings=tuple(kept),
        suppressed=tuple(suppressed),
        unmatched_suppressions=tuple(s for s in config.suppressions if s not in used),
        rules=tuple(rules),
        notes=tuple(notes),
    )


def analyze(catalog: Catalog, config: AnalysisConfig | None = None) -> Report:
    """All static (schema) rules over the catalog."""
    config = config or AnalysisConfig()
    rules = select_rules(config)
    with cyclic_gc_paused():
        # The context (and its per-run indexes) is freed before the collection at the end.
        findings = run_rules(rules, Context(catalog, config.settings))
        return finish(findings, config, rules)
