"""Assemble a bundle: plan -> scripts -> (verify on a scratch copy) -> zip with MANIFEST.

Two passes: the migrations are verified first, then the bundle is written again with the
target schema and diagrams read back from the migrated scratch copy (the proven target) and
the verify result in the README. The migrations are byte-identical in both passes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from analyzers import output
from analyzers.engine import AnalysisConfig, Suppression, analyze
from studio import ddl
from studio.bundle.manifest import write_bundle
from studio.bundle.verify import VerifyResult, verify
from studio.catalog import Catalog
from studio.migrate import build_plan
from studio.migrate.phases import render
from studio.migrate.plan import PHASES, Plan
from studio.migrate.readme import monitoring_sql, readme


@dataclass
class Export:
    plan: Plan
    data: bytes
    verified: VerifyResult | None
    files: dict[str, str | bytes]

    @property
    def ok(self) -> bool:
        return self.verified is None or self.verified.ok


def _erd(catalog: Catalog, fmt: str, findings=None) -> str | bytes:
    from studio.erd import Options, build
    from studio.erd import render as erd_render

    try:
        return erd_render(build(catalog, Options(), findings), fmt)
    except Exception as exc:  # no Graphviz on this machine: the Mermaid file still stands
        return f"<!-- SVG not rendered: {exc} -->\n" if fmt == "svg" else ""


def build_export(source, *, accepted="all", decisions=None, decisions_toml: str = "", run_verify: bool = True,
                 workspace=None, verify_source: dict | None = None, progress: Callable[[str, float], None] | None = None) -> Export:
    from analyzers import families  # noqa: F401

    say = progress or (lambda message, share: None)
    catalog = source.catalog
    suppressions = tuple(Suppression(s.rule, s.object, s.reason) for s in (decisions.suppressions if decisions else ()))
    report = analyze(catalog, AnalysisConfig(suppressions=suppressions))
    if decisions is not None and decisions.accepted_fixes and accepted in (None, "none", ()):
        accepted = decisions.accepted_fixes
    say("planning the migration", 0.02)
    plan = build_plan(catalog, report.findings, accepted, decisions)
    scripts = render(plan)
    files: dict[str, str | bytes] = {"plan.json": plan_json(plan)}
    for script in scripts:
        files[script.up_name] = script.up
        files[script.down_name] = script.down
    files["schema/current.sql"] = ddl.render(catalog)
    files["erd/current.svg"] = _erd(catalog, "svg", report.findings)
    files["findings/findings.json"] = output.render(report, "json")
    files["findings/findings.sarif"] = output.render(report, "sarif")
    files["findings/report.md"] = output.render(report, "markdown", source_label=source.label)
    files["design.toml"] = decisions_toml or (decisions.to_toml() if decisions else "")
    files["monitoring.sql"] = monitoring_sql(plan, catalog)
    if workspace is not None:
        from studio.workshop import adr

        files["decision-log.md"] = adr.decision_log(workspace)
        files["workshop-summary.md"] = adr.workshop_summary(workspace)
    verified = None
    target = catalog
    if run_verify:
        first = write_bundle({**files, "README.md": readme(plan, source.label, None, run_verify)})
        verified = verify(first, catalog=catalog, progress=lambda m, s: say(m, 0.05 + 0.9 * s),
                          **(verify_source or _verify_source(source)))
        not_cleared = _claims_not_cleared(verified, plan)
        if not_cleared and accepted not in (None, "none", ()):
            # A fix that runs but does not clear its finding is not claimed: plan without it, verify again.
            keep = [f.key for f in report.findings if f.key not in not_cleared and f in _accepted(report, accepted)]
            say("re-planning without fixes that do not clear their findings", 0.5)
            return _with_left(build_export(source, accepted=tuple(keep) or "none", decisions=decisions, decisions_toml=decisions_toml,
                                           run_verify=True, workspace=workspace, verify_source=verify_source, progress=progress),
                              not_cleared, report)
        target = verified.migrated or catalog
        plan = _with_what_the_rows_said(plan, verified)
        files["plan.json"] = plan_json(plan)
    files["schema/target.sql"] = ddl.render(target)
    files["erd/target.svg"] = _erd(target, "svg")
    files["erd/target.mmd"] = _erd(target, "mermaid")
    files["README.md"] = readme(plan, source.label, verified, run_verify)
    say("writing the bundle", 0.98)
    return Export(plan, write_bundle(files), verified, files)


def _with_what_the_rows_said(plan: Plan, verified: VerifyResult) -> Plan:
    """Facts only the rows tell (a dedicated tenant no tenant row matches), seen on the scratch copy, join the notes."""
    import dataclasses

    said = dict.fromkeys(n.split(": ", 1)[-1] for n in verified.notices if "dedicated tenant" in n and "matches it" in n)
    if not said:
        return plan
    return dataclasses.replace(plan, notes=(*plan.notes, *(f"on the scratch copy: {n}" for n in said)))


def _accepted(report, accepted):
    from studio.migrate.fixes import accepted_findings

    return accepted_findings(report.findings, accepted)


def _claims_not_cleared(verified: VerifyResult, plan: Plan) -> list[str]:
    check = next((c for c in verified.checks if c.name == "claimed fixes are gone"), None)
    others_ok = all(c.ok for c in verified.checks if c is not check)
    if check is None or check.ok or not others_ok:
        return []
    return [k for k in plan.fixed if k in check.detail]


def _with_left(export: Export, not_cleared: list[str], report) -> Export:
    """Record the dropped claims in the plan and README of the re-planned export."""
    import dataclasses

    from studio.migrate.plan import Left

    by_key = {f.key: f for f in report.findings}
    extra = tuple(Left(k, by_key[k].rule, by_key[k].table, "its fix ran on the scratch copy but the finding remained: "
                       "left for a person") for k in not_cleared)
    export.plan = dataclasses.replace(export.plan, left=tuple(x for x in export.plan.left if x.key not in not_cleared) + extra)
    files = dict(export.files)
    files["plan.json"] = plan_json(export.plan)
    files["README.md"] = readme(export.plan, files["README.md"].splitlines()[0].removeprefix("# Migration bundle for "),
                                export.verified, True)
    export.files = files
    export.data = write_bundle(files)
    return export


def _verify_source(source) -> dict:
    if source.kind == "demo":
        return {"demo": True}
    if source.kind == "dsn":
        return {"dsn": source.url}
    raise ValueError("a DDL source needs verify_source={'ddl': path}")


def plan_json(plan: Plan) -> str:
    return json.dumps({
        "fixed": list(plan.fixed),
        "design_day": plan.design_day,
        "notes": list(plan.notes),
        "left": [left.__dict__ for left in plan.left],
        "phases": {p: [s.name for s in plan.by_phase()[p]] for p in PHASES},
        "steps": [{"phase": s.phase, "name": s.name, "title": s.title, "lock": s.lock, "risk": s.risk,
                   "duration_class": s.duration_class, "transactional": s.transactional, "tables": list(s.tables),
                   "fixes": list(s.fixes)} for s in plan.ordered()],
    }, indent=2)
