"""Render a plan's steps as migration scripts: `NNNN_<phase>_<name>.up.sql` / `.down.sql`.

Every script sets lock_timeout and statement_timeout first. A transactional step runs between
BEGIN and COMMIT; a step that cannot (CREATE/DROP INDEX CONCURRENTLY, batch loops that COMMIT)
holds exactly one such statement and says so. Lexical order of the file names is run order;
downs run in the reverse order.
"""

from __future__ import annotations

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


def _header(step: Step, number: int, direction: str) -> list[str]:
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
    for rule, why in step.squawk_ignore:
        lines.append(f"-- squawk-ignore-file {rule}")
        lines.append(f"-- ({rule} deliberately not followed: {why})")
    return lines


def _script(step: Step, number: int, direction: str, statements) -> str:
    lines = _header(step, number, direction)
    lines += [f"SET lock_timeout = '{LOCK_TIMEOUT}';", f"SET statement_timeout = '{STATEMENT_TIMEOUT}';"]
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
        if not step.transactional and any("CONCURRENTLY" not in s and not s.lstrip().startswith("--") for s in step.down):
            down_step = Step(**{**step.__dict__, "transactional": True})
        down = _script(down_step, number, "down", step.down)
        scripts.append(Script(number, step, up, down))
    return scripts
