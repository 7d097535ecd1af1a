"""Assemble a bundle: plan -> scripts -> (verify on a scratch copy) -> zip with MANIFEST.

Two passes: the migrations are verified first, then the bundle is written again with the
target schema and diagrams read back from the migrated scratch copy (the proven target) and
the verify result in the README. The migrations are byte-identical in both passes.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass

from analyzers import output
from analyzers.engine import AnalysisConfig, Suppression, analyze
from analyzers.registry import Finding
from studio import ddl
from studio.bundle.manifest import write_bundle
from studio.bundle.verify import Check, VerifyResult, verify
from studio.catalog import Catalog
from studio.erd import Options, build
from studio.erd import render as erd_render
from studio.migrate import build_plan, fixpoint
from studio.migrate.comments import comment_ops, comment_step
from studio.migrate.phases import render
from studio.migrate.plan import PHASES, Plan
from studio.migrate.readme import monitoring_sql, readme
from studio.workshop import adr
from studio.workshop.notes import annotated, comment_changes, notes_section
from studio.workshop.views import views_json


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
    try:
        return erd_render(build(catalog, Options(), findings), fmt)
    except Exception as exc:  # no Graphviz on this machine: the Mermaid file still stands
        return f"<!-- SVG not rendered: {exc} -->\n" if fmt == "svg" else ""


MAX_REPLANS = 12  # each takes at least one finding out; a bundle needing more is not worth guessing at


def build_export(source, *, accepted="all", decisions=None, decisions_toml: str = "", run_verify: bool = True,
                 workspace=None, verify_source: dict | None = None, progress: Callable[[str, float], None] | None = None,
                 strict: bool = False, left_out: dict[str, str] | None = None, replans: int = 0,
                 notes_as_comments: bool = False,
                 created: tuple[tuple[Catalog, tuple[Finding, ...]], ...] = (), rounds: int = 0) -> Export:
    """The bundle. Verified (unless run_verify is off); a fix whose step fails on the scratch copy, or that runs
    without clearing its finding, is taken out and left to a person with PostgreSQL's error, and the rest is planned
    and verified again (`strict`: all or nothing, the failed verification is the result). The workspace's notes
    on tables and columns are in the README and erd/current.dbml; `notes_as_comments` adds `COMMENT ON` steps.

    Findings the migration creates on its target (`created`, found by verification) are fixed in the same bundle,
    at most `fixpoint.MAX_ROUNDS` rounds, or left to a person with why (`fixpoint`)."""
    say = progress or (lambda message, share: None)
    catalog = source.catalog
    suppressions = tuple(Suppression(s.rule, s.object, s.reason) for s in (decisions.suppressions if decisions else ()))
    report = analyze(catalog, AnalysisConfig(suppressions=suppressions))
    if decisions is not None and decisions.accepted_fixes and accepted in (None, "none", ()):
        accepted = decisions.accepted_fixes
    say("planning the migration", 0.02)
    items = workspace.items if workspace is not None else {}
    noted = comment_step(comment_ops(comment_changes(catalog, items))) if notes_as_comments else None
    plan, unplanned = _plan(catalog, report.findings, accepted, decisions, left_out, created,
                            comments=(noted,) if noted else ())
    notes = notes_section(catalog, items, noted is not None)
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
        files["decision-log.md"] = adr.decision_log(workspace)
        files["workshop-summary.md"] = adr.workshop_summary(workspace)
        files["erd/views.json"] = views_json(workspace.items)
        files["erd/current.dbml"] = _erd(annotated(catalog, workspace.items), "dbml")
    verified = None
    target = catalog
    if run_verify:
        first = write_bundle({**files, "README.md": readme(plan, source.label, None, run_verify, notes)})
        verified = verify(first, catalog=catalog, progress=lambda m, s: say(m, 0.05 + 0.9 * s),
                          **(verify_source or _verify_source(source)))
        failed = {} if strict else {**_failed_fix_steps(verified, plan, scripts), **_claims_not_cleared(verified, plan)}
        if failed and replans < MAX_REPLANS:
            say("re-planning without the fixes that failed on the scratch copy", 0.5)
            return build_export(source, accepted=accepted, decisions=decisions, decisions_toml=decisions_toml,
                                run_verify=True, workspace=workspace, verify_source=verify_source, progress=progress,
                                strict=strict, left_out={**(left_out or {}), **failed}, replans=replans + 1,
                                notes_as_comments=notes_as_comments, created=created, rounds=rounds)
        more = _to_fix(verified, created, unplanned, accepted)
        if more and rounds < fixpoint.MAX_ROUNDS:
            say("re-planning with the fixes of the findings the migration created", 0.5)
            return build_export(source, accepted=accepted, decisions=decisions, decisions_toml=decisions_toml,
                                run_verify=True, workspace=workspace, verify_source=verify_source, progress=progress,
                                strict=strict, left_out=left_out, replans=replans, notes_as_comments=notes_as_comments,
                                created=(*created, (verified.migrated, tuple(more))),
                                rounds=rounds + 1)
        if accepted in (None, "none", ()):
            unplanned = {f.key: fixpoint.NOTHING_ACCEPTED for f in verified.created}
        plan = fixpoint.left_to_a_person(plan, verified.created, unplanned)
        _recheck_created(verified, plan)
        target = verified.migrated or catalog
        plan = _with_what_the_rows_said(plan, verified)
        files["plan.json"] = plan_json(plan)
    files["schema/target.sql"] = ddl.render(target)
    files["erd/target.svg"] = _erd(target, "svg")
    files["erd/target.mmd"] = _erd(target, "mermaid")
    files["README.md"] = readme(plan, source.label, verified, run_verify, notes)
    say("writing the bundle", 0.98)
    return Export(plan, write_bundle(files), verified, files)


def _plan(catalog, findings, accepted, decisions, left_out, created, comments=()) -> tuple[Plan, dict[str, str]]:
    """The plan, with the fixes of the findings the migration created (`created`: rounds of (target, findings));
    the created findings it does not plan (they would move rows) come back with why."""
    plan = build_plan(catalog, findings, accepted, decisions, left_out=left_out, comments=comments)
    return fixpoint.with_fixes(plan, created, left_out)


def _to_fix(verified: VerifyResult, tried, unplanned: dict[str, str], accepted) -> list[Finding]:
    """Created findings worth another round: a fix not tried yet, with verification otherwise passing."""
    if accepted in (None, "none", ()) or not all(c.ok for c in verified.checks if c.name != fixpoint.CHECK):
        return []
    seen = {f.key for _, findings in tried for f in findings} | set(unplanned)
    return [f for f in verified.created if f.fix and f.key not in seen]


def _recheck_created(verified: VerifyResult, plan: Plan) -> None:
    """The created-findings check again, over the plan that now states what it leaves (the scripts are the same)."""
    stated = json.loads(plan_json(plan))
    verified.checks[:] = [Check(*fixpoint.check(verified.created, stated)) if c.name == fixpoint.CHECK else c
                          for c in verified.checks]


def _with_what_the_rows_said(plan: Plan, verified: VerifyResult) -> Plan:
    """Facts only the rows tell (a dedicated tenant no tenant row matches), seen on the scratch copy, join the notes."""
    said = dict.fromkeys(n.split(": ", 1)[-1] for n in verified.notices if "dedicated tenant" in n and "matches it" in n)
    if not said:
        return plan
    return dataclasses.replace(plan, notes=(*plan.notes, *(f"on the scratch copy: {n}" for n in said)))


def _claims_not_cleared(verified: VerifyResult, plan: Plan) -> dict[str, str]:
    """A fix that runs but does not clear its finding is not claimed."""
    check = next((c for c in verified.checks if c.name == "claimed fixes are gone"), None)
    # created findings are not yet stated in the plan verified first: that check is settled after this one
    others_ok = all(c.ok for c in verified.checks if c is not check and c.name != fixpoint.CHECK)
    if check is None or check.ok or not others_ok:
        return {}
    return {k: "its fix ran on the scratch copy but the finding remained: left for a person"
            for k in plan.fixed if k in check.detail}


def _failed_fix_steps(verified: VerifyResult, plan: Plan, scripts) -> dict[str, str]:
    """The findings of a fix step whose script failed on the scratch copy, with PostgreSQL's error. A failing design
    step is not taken out (the design is one whole): the failed verification stands."""
    for check in verified.checks:
        if check.ok or not check.name.startswith("every ") or " script applies" not in check.name:
            continue
        failing = next((s for s in scripts if check.detail.startswith((s.up_name, s.down_name))), None)
        if failing is None or not failing.step.fixes:
            return {}
        return {key: f"its step {failing.stem} failed on the scratch copy: {check.detail}" for key in failing.step.fixes}
    return {}

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
        "created": [left.__dict__ for left in plan.created],
        "phases": {p: [s.name for s in plan.by_phase()[p]] for p in PHASES},
        "steps": [{"phase": s.phase, "name": s.name, "title": s.title, "lock": s.lock, "risk": s.risk,
                   "duration_class": s.duration_class, "transactional": s.transactional, "tables": list(s.tables),
                   "fixes": list(s.fixes)} for s in plan.ordered()],
    }, indent=2)
