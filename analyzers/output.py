"""Render a Report: terminal text, JSON, SARIF 2.1.0 (GitHub code scanning), Markdown.

`filter_new(report, baseline_json)` keeps only findings whose stable key is not in an
earlier JSON report, so CI can fail on what is new.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import defaultdict
from pathlib import Path

from analyzers.engine import Report
from analyzers.families import all_rules
from analyzers.registry import SEVERITIES, Finding, Rule
from studio.errors import ConfigError
from studio.sources.ddl_script import split

FORMATS = ("text", "json", "sarif", "markdown")
INFORMATION_URI = "https://github.com/schema-studio/schema-studio"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def render(report: Report, fmt: str, *, source_label: str = "", ddl_file: Path | None = None) -> str:
    if fmt == "text":
        return to_text(report, source_label)
    if fmt == "json":
        return to_json(report)
    if fmt == "sarif":
        return json.dumps(to_sarif(report, ddl_file=ddl_file), indent=2, ensure_ascii=False)
    if fmt == "markdown":
        return to_markdown(report, source_label)
    raise ValueError(f"unknown format {fmt!r}")


# Text ------------------------------------------------------------------------------------------


def to_text(report: Report, source_label: str = "") -> str:
    lines = []
    if source_label:
        lines.append(f"Schema analysis of {source_label}")
    for severity in SEVERITIES:
        found = [f for f in report.findings if f.severity == severity]
        if not found:
            continue
        lines.append("")
        lines.append(f"{severity.upper()} ({len(found)})")
        for f in found:
            lines.append(f"  [{f.rule}] {f.message}")
    lines.append("")
    lines.append(_summary_line(report))
    lines += [f"note: {n}" for n in report.notes]
    for s in report.unmatched_suppressions:
        lines.append(f"note: suppression of {s.rule} on {s.object} matched nothing")
    return "\n".join(lines).lstrip("\n") + "\n"


def _summary_line(report: Report) -> str:
    summary = report.summary()
    counts = ", ".join(f"{n} {s}" for s, n in summary["by_severity"].items())
    extra = f"; {summary['suppressed']} suppressed" if summary["suppressed"] else ""
    return f"{summary['total']} findings: {counts}{extra}"


# JSON ------------------------------------------------------------------------------------------


def to_json(report: Report) -> str:
    data = {
        "findings": [f.to_dict() for f in report.findings],
        "summary": report.summary(),
    }
    if report.notes:
        data["notes"] = list(report.notes)
    if report.unmatched_suppressions:
        data["unmatched_suppressions"] = [dataclasses.asdict(s) for s in report.unmatched_suppressions]
    return json.dumps(data, indent=2, ensure_ascii=False)


def filter_new(report: Report, baseline_json: str, origin: str = "baseline") -> Report:
    """The report without findings whose key an earlier JSON report already holds."""
    try:
        data = json.loads(baseline_json)
        known = {f["key"] if "key" in f else Finding.from_dict(f).key for f in data["findings"]}
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"{origin}: not a JSON report of `schema-studio analyze --format json` ({exc})"
        ) from None
    return dataclasses.replace(report, findings=tuple(f for f in report.findings if f.key not in known))


# SARIF -----------------------------------------------------------------------------------------


def _rules_of(report: Report) -> list[Rule]:
    rules = {r.id: r for r in report.rules}
    registry = all_rules()
    for f in report.findings:
        if f.rule not in rules and f.rule in registry:
            rules[f.rule] = registry[f.rule]
    return sorted(rules.values(), key=lambda r: r.id)


def _rule_help(rule: Rule) -> tuple[str, str]:
    text = f"{rule.explanation}\n\nBad:\n{rule.bad}\n\nGood:\n{rule.good}"
    markdown = (
        f"{rule.explanation}\n\n**Bad**\n\n```sql\n{rule.bad}\n```\n\n**Good**\n\n```sql\n{rule.good}\n```"
    )
    return text, markdown


def to_sarif(report: Report, *, ddl_file: Path | None = None) -> dict:
    rules = _rules_of(report)
    index = {r.id: i for i, r in enumerate(rules)}
    lines = table_lines(ddl_file) if ddl_file else {}
    descriptors = []
    for r in rules:
        text, markdown = _rule_help(r)
        descriptors.append(
            {
                "id": r.id,
                "name": "".join(w.capitalize() for w in re.split(r"[^a-z0-9]+", r.id)),
                "shortDescription": {"text": r.title},
                "fullDescription": {"text": r.explanation},
                "help": {"text": text, "markdown": markdown},
                "defaultConfiguration": {"level": SARIF_LEVEL[r.severity]},
                "properties": {"category": r.category, "tags": [r.category]},
            }
        )
    results = []
    for f in report.findings:
        location: dict = {
            "logicalLocations": [
                {"fullyQualifiedName": f.table, "name": f.table.rpartition(".")[2], "kind": "table"}
            ]
        }
        if ddl_file is not None:
            physical: dict = {"artifactLocation": {"uri": ddl_file.name}}
            if f.table in lines:
                physical["region"] = {"startLine": lines[f.table]}
                location["physicalLocation"] = physical
        result = {
            "ruleId": f.rule,
            "level": SARIF_LEVEL[f.severity],
            "message": {"text": f.message},
            "partialFingerprints": {"schemaStudioKey/v1": f.key},
            "locations": [location],
            "properties": {"columns": list(f.columns), "related": list(f.related), "fix": f.fix},
        }
        if f.rule in index:
            result["ruleIndex"] = index[f.rule]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "schema-studio",
                        "informationUri": INFORMATION_URI,
                        "rules": descriptors,
                    }
                },
                "results": results,
            }
        ],
    }


_CREATE_TABLE = re.compile(
    r"^(?P<lead>(?:\s*(?:--[^\n]*(?:\n|$)|/\*.*?\*/))*\s*)CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:(?:TEMP|TEMPORARY|UNLOGGED|FOREIGN)\s+)?TABLE\s+"
    r"(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>(?:\"(?:[^\"]|\"\")+\"|[\w$]+)(?:\s*\.\s*(?:\"(?:[^\"]|\"\")+\"|[\w$]+))?)",
    re.IGNORECASE | re.DOTALL,
)
_PART = re.compile(r"\"((?:[^\"]|\"\")+)\"|([\w$]+)")


def table_lines(path: Path) -> dict[str, int]:
    """Schema-qualified table -> line of its CREATE TABLE in a DDL file (unqualified: public)."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    found: dict[str, int] = {}
    for statement in split(text):
        m = _CREATE_TABLE.match(statement.sql) if not statement.is_meta else None
        if not m:
            continue
        parts = [q.replace('""', '"') if q else bare.lower() for q, bare in _PART.findall(m.group("name"))]
        name = ".".join(parts if len(parts) == 2 else ["public", *parts])
        found.setdefault(name, statement.line + m.group("lead").count("\n"))
    return found


# Markdown --------------------------------------------------------------------------------------


def to_markdown(report: Report, source_label: str = "") -> str:
    summary = report.summary()
    out = [f"# Schema analysis{f' of {source_label}' if source_label else ''}", ""]
    out += ["| severity | findings |", "|---|---|"]
    out += [f"| {s} | {n} |" for s, n in summary["by_severity"].items()]
    out += ["", "| category | findings |", "|---|---|"]
    out += [f"| {c} | {n} |" for c, n in summary["by_category"].items()]
    if summary["suppressed"]:
        out += ["", f"{summary['suppressed']} findings suppressed by the configuration."]
    by_table: dict[str, list[Finding]] = defaultdict(list)
    for f in report.findings:
        by_table[f.table].append(f)
    for table in sorted(by_table):
        out += ["", f"## `{table}`"]
        for f in by_table[table]:
            out += ["", f"### {f.severity}: `{f.rule}`", "", f.message, "", f.explanation]
            if f.fix:
                out += ["", "```sql", f.fix, "```"]
    for note in report.notes:
        out += ["", f"> {note}"]
    return "\n".join(out) + "\n"
