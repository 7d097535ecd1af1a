"""Render a plan's steps as migration scripts: `NNNN_<phase>_<name>.up.sql` / `.down.sql`.

Every script sets lock_timeout and statement_timeout first. A transactional step runs between
BEGIN and COMMIT; a step that cannot (CREATE/DROP INDEX CONCURRENTLY, batch loops that COMMIT)
holds exactly one such statement and says so. Lexical order of the file names is run order;
downs run in the reverse order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from studio.migrate.plan import Plan, Step

LOCK_TIMEOUT = "5s"
STATEMENT_TIMEOUT = "30min"


@dataclass(frozen=True)
class Script:
    number: int
    step: Step
    up: str
    down: str

    @property
    def stem(self) -> str:
        return f"{self.number:04d}_{self.step.phase}_{self.step.name}"

    @property
    def up_name(self) -> str:
        return f"migrations/{self.stem}.up.sql"

    @property
    def down_name(self) -> str:
        return f"migrations/{self.stem}.down.sql"


# squawk rules a statement shape deliberately breaks, with why (written into the file beside the ignore).
_DELIBERATE = (
    (r"DROP CONSTRAINT", "ban-drop-constraint", "removes only a constraint this plan replaced or added (contract or rollback)"),
    (r"DROP TABLE", "ban-drop-table", "rollback of the quarantine table, guarded to run only when it is empty"),
    (r"DROP SCHEMA", "ban-drop-schema", "rollback of the quarantine schema, guarded to run only when it is empty"),
    (r"DROP SEQUENCE", "ban-drop-sequence", "contract: the column is filled by its identity now"),
    (r"DROP DEFAULT", "ban-drop-default", "serial to identity: the identity replaces the nextval() default"),
    (r"DROP COLUMN", "ban-drop-column", "rollback of a column this plan added"),
    (r"DROP IDENTITY|ADD GENERATED", "ban-alter-identity", "serial to identity conversion (or its rollback)"),
    (r"TYPE (integer|int)\b", "prefer-bigint-over-int", "rollback restores the original type"),
    (r"TYPE timestamp without time zone", "prefer-timestamp-tz", "rollback restores the original type"),
    (r"TYPE (character|char)", "prefer-text-field", "rollback restores the original type"),
    (r"ADD CONSTRAINT \S+ UNIQUE \(", "disallowed-unique-constraint", "rollback re-creates the original constraint as it was"),
    (r"VALIDATE CONSTRAINT|ADD CONSTRAINT \S+ UNIQUE \(", "constraint-missing-not-valid", "added NOT VALID and validated in one short step: a rollback or a table the plan rates seconds"),
    (r"ADD COLUMN .*IDENTITY", "adding-field-with-default", "an identity key must fill every existing row: the rewrite is the fix"),
)


def _deliberate(step: Step, statements) -> list[tuple[str, str]]:
    text = "\n".join(statements)
    found = list(step.squawk_ignore)
    for pattern, rule, why in _DELIBERATE:
        if re.search(pattern, text, re.I) and rule not in {r for r, _ in found}:
            found.append((rule, why))
    return found


def _header(step: Step, number: int, direction: str, statements=()) -> list[str]:
    lines = [
        f"-- {number:04d} {step.phase.upper()}{' (CONTRACT: run only after the compatibility window)' if step.phase == 'contract' else ''}: {step.title or step.name} [{direction}]",
        f"-- Lock: {step.lock}",
        f"-- Risk: {step.risk}",
        f"-- Duration: {step.duration_class}",
    ]
    if step.fixes:
        lines.append(f"-- Fixes: {', '.join(step.fixes)}")
    if not step.transactional:
        lines.append("-- Runs outside a transaction block: run it on its own (psql -f, autocommit).")
    for rule, why in _deliberate(step, statements):
        lines.append(f"-- squawk-ignore-file {rule}")
        lines.append(f"-- ({rule} deliberately not followed: {why})")
    return lines


# A script that reads or moves rows must see every row: under row level security (FORCE for the owner) it would
# see only one tenant's, or fail on a policy reading current_setting('app.tenant_id') without missing_ok.
_MOVES_ROWS = re.compile(r"\b(DELETE\s+FROM|INSERT\s+INTO|UPDATE\s+\S+(\s+AS\s+\S+)?\s+SET)\b", re.I)
ROW_GUARD = (
    "DO $rls$\nBEGIN\n"
    "    IF NOT (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user) AND EXISTS (\n"
    "        SELECT 1 FROM pg_class WHERE relrowsecurity AND (relforcerowsecurity OR NOT pg_has_role(current_user, relowner, 'USAGE'))) THEN\n"
    "        RAISE EXCEPTION 'this script moves rows under row level security: run the migrations as a role with BYPASSRLS '\n"
    "            'so every row is seen (ALTER ROLE ... BYPASSRLS)';\n"
    "    END IF;\nEND\n$rls$;"
)


def _script(step: Step, number: int, direction: str, statements) -> str:
    lines = _header(step, number, direction, statements)
    lines += [f"SET lock_timeout = '{LOCK_TIMEOUT}';", f"SET statement_timeout = '{STATEMENT_TIMEOUT}';"]
    if any(_MOVES_ROWS.search(s) for s in statements if not s.lstrip().startswith("--")):
        lines.append(ROW_GUARD)
    body = [s for s in statements if s.strip()]
    executable = [s for s in body if not s.lstrip().startswith("--")]
    if step.transactional and executable:
        lines += ["BEGIN;", *body, "COMMIT;"]
    else:
        lines += body
    return "\n".join(lines) + "\n"


def render(plan: Plan) -> list[Script]:
    scripts = []
    for number, step in enumerate(plan.ordered(), start=1):
        up = _script(step, number, "up", step.up)
        down_step = step
        # a down that COMMITs batch by batch (a restore) cannot run in a transaction block either
        if not step.transactional and not any("COMMIT;" in s for s in step.down) and any(
                "CONCURRENTLY" not in s and not s.lstrip().startswith("--") for s in step.down):
            down_step = Step(**{**step.__dict__, "transactional": True})
        down = _script(down_step, number, "down", step.down)
        scripts.append(Script(number, step, up, down))
    return scripts
