"""Findings the migration creates: on its target (the migrated scratch copy), not on the source.

A fix can create a finding of its own: a foreign key added without an index on its columns
(unindexed-foreign-key), a primary key built beside an identical unique index (duplicate-index), a
guessed foreign key left NOT VALID (not-valid-constraint). Export plans the fixes of such findings
into the same bundle, a bounded number of rounds, unless the fix would move rows (a finding the user
never saw does not quarantine anything); what stays is left to a person, with why, in the plan.
Verification fails on a created finding that is neither fixed nor stated.

Findings on the migration's own schemas (the quarantine, the progress and archive tables) are not the
user's schema and are left out; so are tenant copies, which verification compares with their template.
"""

from __future__ import annotations

import dataclasses

from analyzers.registry import Finding
from studio.migrate import fixes, quarantine, target_check
from studio.migrate.plan import Builder, Left, Plan, Step

MAX_ROUNDS = 3  # each round fixes what the last one created; a fix creating findings beyond that is not converging
CHECK = "no new finding on the target left unstated"

MOVES_ROWS = ("its fix would move rows to the quarantine, and a finding the migration created is never a reason to "
              "move a row: run it by hand once the rows are reviewed")
NOT_CONVERGING = f"fixing it would need a fix round beyond the {MAX_ROUNDS} export runs"
NOTHING_ACCEPTED = "no fix was accepted (--fix none)"


def created(source: list[Finding], target: list[Finding]) -> list[Finding]:
    """Findings on the target whose key the source does not have, the migration's own schemas aside."""
    before = {f.key for f in source}
    return [f for f in target if f.key not in before and f.table.split(".", 1)[0] not in target_check.OURS]


def stated(plan: dict) -> set[str]:
    """Keys of the created findings a plan (plan.json) fixes or leaves to a person."""
    return set(plan.get("fixed", ())) | {left["key"] for left in plan.get("created", ())}


def check(findings: list[Finding], plan: dict) -> tuple[str, bool, str]:
    """(check name, ok, detail) for the verify result: every created finding is fixed or stated."""
    unstated = [f.key for f in findings if f.key not in stated(plan)]
    if unstated:
        return CHECK, False, f"{len(unstated)} created by the migration and not stated: {', '.join(unstated[:5])}"
    return CHECK, True, f"{len(findings)} created, each left to a person with why" if findings else "none created"


def with_fixes(plan: Plan, rounds, left_out: dict[str, str] | None = None) -> tuple[Plan, dict[str, str]]:
    """The plan with the fixes of the created findings appended, round after round: `rounds` holds (the target a
    round's findings were found on, those findings). Each fix is planned on that target (its objects exist there,
    and so do the ones its down restores) and runs after what created it. A fix that would move rows is left out;
    returns the plan and those findings' keys with why."""
    steps, fixed, left, notes = list(plan.steps), list(plan.fixed), list(plan.left), list(plan.notes)
    unplanned: dict[str, str] = {}
    for target, findings in rounds:
        keys = tuple(f.key for f in findings)
        builder = Builder()
        made = fixes.plan_fixes(target, findings, keys, builder, left_out)
        moving = {key: MOVES_ROWS for step in builder.steps if _moves_rows(step) for key in step.fixes if key in keys}
        if moving:
            unplanned.update(moving)
            builder = Builder()
            made = fixes.plan_fixes(target, findings, keys, builder, {**(left_out or {}), **moving})
        steps += builder.steps
        fixed += made[0]
        left += made[1]
        notes += made[2]
    return dataclasses.replace(plan, steps=tuple(steps), fixed=tuple(fixed), left=tuple(left), notes=tuple(notes)), unplanned


def _moves_rows(step: Step) -> bool:
    return step.phase == "cleanse" or quarantine.SCHEMA in " ".join(step.up)


def left_to_a_person(plan: Plan, findings: list[Finding], why: dict[str, str]) -> Plan:
    """The plan with each created finding it does not fix stated under `created`, with why; their "not accepted" or
    failure entries leave `left` (they are said once, where the target's findings are)."""
    fixed = set(plan.fixed)
    reasons = {left.key: left.reason for left in plan.left}
    keys = {f.key for f in findings}
    stay = [Left(f.key, f.rule, f.table, f"{f.message}: {why.get(f.key) or reasons.get(f.key) or _no_fix(f)}")
            for f in findings if f.key not in fixed]
    return dataclasses.replace(plan, left=tuple(left for left in plan.left if left.key not in keys), created=tuple(stay))


def _no_fix(finding: Finding) -> str:
    return "no fix is known for it" if not finding.fix else NOT_CONVERGING
