"""Steps and plans: what a migration does, phase by phase, with its lock, risk and reverse.

A Step holds its statements, not finished scripts: `phases.render_up` / `render_down` add the
timeouts, the transaction and the header. Phases run in this order: expand (additive, safe while
the application runs), backfill (batched data changes), cleanse (rows that would block a
constraint move to quarantine), validate (constraints checked, security tightened), contract
(drops of what the compatibility window kept).
"""

from __future__ import annotations

from dataclasses import dataclass, field

PHASES = ("expand", "backfill", "cleanse", "validate", "contract")


@dataclass(frozen=True)
class Step:
    phase: str
    name: str  # short slug, used in file names
    up: tuple[str, ...]  # statements, each ending with ';'
    down: tuple[str, ...]
    lock: str
    risk: str
    duration_class: str
    transactional: bool = True  # False for CONCURRENTLY and batch loops that COMMIT
    tables: tuple[str, ...] = ()  # schema-qualified tables it touches
    fixes: tuple[str, ...] = ()  # keys of the findings it helps fix
    squawk_ignore: tuple[tuple[str, str], ...] = ()  # (rule, why) deliberately not followed
    title: str = ""

    def __post_init__(self):
        if self.phase not in PHASES:
            raise ValueError(f"step {self.name}: unknown phase {self.phase!r}")


@dataclass(frozen=True)
class Left:
    key: str
    rule: str
    table: str
    reason: str


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    fixed: tuple[str, ...] = ()  # finding keys the plan claims to fix
    left: tuple[Left, ...] = ()  # findings not fixed, with why
    notes: tuple[str, ...] = ()
    design_notes: tuple[str, ...] = ()
    design_day: str = ""  # the day the design's target was computed (range partitions are named from it)
    created: tuple[Left, ...] = ()  # findings the migration creates on its target and leaves to a person, with why

    def by_phase(self) -> dict[str, list[Step]]:
        grouped: dict[str, list[Step]] = {p: [] for p in PHASES}
        for step in self.steps:
            grouped[step.phase].append(step)
        return grouped

    def ordered(self) -> list[Step]:
        return [s for p in PHASES for s in self.by_phase()[p]]


def duration_class(rows: int | None) -> str:
    """A coarse class from the planner's row estimate: enough to schedule, never a promise."""
    if rows is None or rows < 0:
        return "unknown (table never analyzed)"
    if rows < 100_000:
        return "seconds"
    if rows < 10_000_000:
        return "minutes"
    if rows < 500_000_000:
        return "tens of minutes"
    return "hours"


@dataclass
class Builder:
    steps: list[Step] = field(default_factory=list)
    seen: set = field(default_factory=set)

    def add(self, step: Step) -> None:
        signature = (step.phase, step.up)
        if signature in self.seen:  # two findings, one fix (e.g. the same type change)
            index = next(i for i, s in enumerate(self.steps) if (s.phase, s.up) == signature)
            merged = self.steps[index]
            self.steps[index] = Step(**{**merged.__dict__, "fixes": tuple(dict.fromkeys(merged.fixes + step.fixes))})
            return
        self.seen.add(signature)
        self.steps.append(step)


WHOLE_TABLE = "*"  # in `touched`: the design replaces the whole table (moves its rows to tenant schemas)
NEW_KEY = "+key"  # in `touched`: the design gives the table another primary key


def _referenced_marks(fix: str, touched: dict[str, set[str]]) -> set[str]:
    """What the design does to the tables a fix's foreign keys reference: a new key there would pin the old primary
    key (NEW_KEY), or point at a pooled table the design retires (WHOLE_TABLE)."""
    import re

    from studio.migrate.sqltext import QNAME, qualified_key

    return {mark for target in re.findall(rf"REFERENCES\s+({QNAME})", fix, re.I)
            for mark in touched.get(qualified_key(target), ()) if mark in (NEW_KEY, WHOLE_TABLE)}


def _superseded(finding, touched: dict[str, set[str]]) -> bool:
    """A fix that changes an object the design also changes would fight it: the design wins."""
    import re

    names = touched.get(finding.table, set())
    if WHOLE_TABLE in names or finding.fix and _referenced_marks(finding.fix, touched):
        return True
    return bool(finding.fix) and any(re.search(rf'(?<![\w$"]){re.escape(n)}(?![\w$"])', finding.fix) for n in names)


def _superseded_reason(finding, touched: dict[str, set[str]]) -> str:
    if WHOLE_TABLE in touched.get(finding.table, ()):
        return ("the design moves this table's rows into tenant schemas and retires it: apply the fix to the template "
                "(the tenant schemas are copies of it), not to the pooled table")
    marks = _referenced_marks(finding.fix, touched) if finding.fix else set()
    if NEW_KEY in marks:
        return ("its foreign key references a table whose primary key the design replaces: add it against the new key "
                "once the design is in place")
    if WHOLE_TABLE in marks:
        return ("its foreign key references a table the design moves into tenant schemas and retires: decide first "
                "whether this table is shared or per tenant, then add the key where both tables live")
    return "superseded by the design decisions, which change the same object"


def build_plan(catalog, findings=(), accepted: tuple[str, ...] | str = (), decisions=None, today=None,
               left_out: dict[str, str] | None = None, comments: tuple[Step, ...] = ()) -> Plan:
    """The plan for the accepted findings' fixes ("all", rule ids or finding keys) and a design; `left_out` names
    accepted findings to leave to a person, with why; `comments` are the steps setting the workspace's notes as the
    schema's comments (studio.migrate.comments.comment_step)."""
    import datetime as dt

    from studio.migrate import diff, fixes

    today = today or dt.date.today()

    builder = Builder()
    design_builder = Builder()
    design_notes: list[str] = []
    notes: list[str] = []
    touched: dict[str, set[str]] = {}
    if decisions is not None:
        design_notes, notes, touched = diff.plan_design(catalog, decisions, design_builder, today)
    kept = [f for f in findings if not _superseded(f, touched)]
    fixed, left, more = fixes.plan_fixes(catalog, kept, accepted, builder, left_out)
    builder.steps[:] = fixes.merged_rewrites(builder.steps)
    left = list(left) + [Left(f.key, f.rule, f.table, _superseded_reason(f, touched)) for f in findings if f not in kept]
    notes = list(more) + list(notes)
    for step in design_builder.steps:
        builder.add(step)
    for step in comments:
        builder.add(step)
    from studio.migrate import quarantine

    # cleanse steps, and any other step that writes to the quarantine (a hybrid tenant move holds rows back there)
    if any(s.phase == "cleanse" and "quarantine" in " ".join(s.up) or quarantine.quarantine_table() in " ".join(s.up)
           for s in builder.steps):
        builder.steps.insert(0, Step(
            phase="expand", name="quarantine_schema", title=f"create the quarantine schema {quarantine.SCHEMA}",
            up=quarantine.setup_statements(), down=quarantine.teardown_statements(),
            lock="none on application tables", risk="None: a new schema.", duration_class="seconds"))
    ordered = sorted(builder.steps, key=lambda s: (s.name.startswith(fixes.GUESSED_PREFIX), PHASES.index(s.phase)))
    return Plan(tuple(ordered), tuple(fixed), tuple(left), tuple(notes), tuple(design_notes),
                today.isoformat() if decisions is not None else "")
