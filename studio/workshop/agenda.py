"""Workshop mode: the agenda built from a workspace, and the record of what was decided per item.

The agenda puts findings first, highest severity first, grouped by theme (the rule category),
then the open design questions: the tenancy model, a partition key for each big time-ordered
table, the key strategy. An item's record (notes, decision, option, rationale, owner) is saved
in the workspace together with a snapshot of what the item said, so the decision log reads the
workspace alone. Accepting or rejecting an item also changes the decisions document (accepted
fixes, suppressions with the rationale as reason, the chosen tenancy/partitioning/key strategy)
when `effective_decisions` is asked for the document.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from studio.catalog import Catalog, Table
from studio.design.decisions import (
    KEY_STRATEGIES,
    TENANCY_MODELS,
    TIME_TYPES,
    Decisions,
    Partition,
    Suppressed,
    Tenancy,
)

SEVERITIES = ("error", "warning", "info")
DECISIONS = ("accept", "reject", "defer")
BIG_TABLE_ROWS = 1_000_000
MAX_PARTITION_QUESTIONS = 3
# Words that name a table of events recorded over time (matched as whole words of the table name,
# so `sensor_readings`, `crawl_log` and `AuditEvents` all count).
_EVENT_WORDS = re.compile(
    r"(^|_)(log|logs|event|events|reading|readings|occurrence|occurrences|request|requests|history|audit|"
    r"measurement|measurements|metric|metrics|message|messages|click|clicks|trace|traces|activity|activities)($|_)"
)
_TIME_NAMES = re.compile(r"(_at|_on|_time|_ts|^ts|^time|^timestamp|^date)$")

TENANCY_TRADEOFFS = {
    "rls": "One set of tables with a tenant column and row level security: cheapest to run and migrate; "
    "isolation rests on every policy being right, and one noisy tenant shares every index.",
    "schema-per-tenant": "A schema per tenant: clear isolation and per-tenant restore; migrations run once "
    "per tenant and the catalog grows with every tenant.",
    "database-per-tenant": "A database per tenant: the strongest isolation and per-tenant tuning; connection "
    "pooling, cross-tenant reporting and migrations get harder.",
    "hybrid": "RLS for most tenants and a dedicated schema for the few large ones: fits skewed tenants; "
    "two code paths to operate.",
    "citus": "Distributed tables sharded by tenant: scales out; needs the Citus extension and co-located keys.",
}
KEY_TRADEOFFS = {
    "keep": "Keep today's keys: no migration; the inconsistencies the findings name remain.",
    "bigint-identity": "bigint identity keys everywhere: compact, ordered, standard SQL; ids are guessable "
    "and need a round trip to the database to exist.",
    "uuidv7": "UUIDv7 keys: made anywhere, time-ordered so indexes stay compact; twice the width of bigint.",
}


@dataclass(frozen=True)
class Option:
    name: str
    tradeoffs: str


@dataclass(frozen=True)
class AgendaItem:
    key: str  # stable: the finding's key, or "question:<topic>[:<table>]"
    kind: str  # "finding" | "question"
    title: str
    theme: str
    context: str  # the finding's explanation, or what the question is about
    severity: str | None = None
    table: str | None = None
    columns: tuple[str, ...] = ()
    rule: str | None = None
    fix: str = ""
    options: tuple[Option, ...] = ()

    @property
    def id(self) -> str:
        """Short and URL-safe, for links and widget keys."""
        return hashlib.sha1(self.key.encode()).hexdigest()[:10]


def build_agenda(
    catalog: Catalog, findings: Iterable, decisions: Decisions | None = None, recorded: Iterable[str] = ()
) -> list[AgendaItem]:
    """Findings, then the questions the decisions leave open. A question with a record in the
    workspace (`recorded` keys) stays on the agenda after its answer was written into the decisions."""
    decisions = decisions or Decisions()
    recorded = set(recorded)
    open_questions = {q.key for q in question_items(catalog, decisions)}
    questions = [q for q in question_items(catalog, Decisions()) if q.key in open_questions or q.key in recorded]
    return finding_items(findings) + questions


def finding_items(findings: Iterable) -> list[AgendaItem]:
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    groups: dict[str, list] = {}
    for finding in findings:
        groups.setdefault(finding.category, []).append(finding)

    def group_order(theme: str):
        members = groups[theme]
        return (min(rank.get(f.severity, 9) for f in members), -len(members), theme)

    items = []
    for theme in sorted(groups, key=group_order):
        for f in sorted(groups[theme], key=lambda f: (rank.get(f.severity, 9), f.table, f.rule, f.columns)):
            items.append(
                AgendaItem(
                    key=f.key,
                    kind="finding",
                    title=f.message,
                    theme=theme,
                    context=f.explanation,
                    severity=f.severity,
                    table=f.table,
                    columns=tuple(f.columns),
                    rule=f.rule,
                    fix=f.fix or "",
                )
            )
    return items


def question_items(catalog: Catalog, decisions: Decisions) -> list[AgendaItem]:
    items = []
    if decisions.tenancy.model is None:
        items.append(
            AgendaItem(
                key="question:tenancy",
                kind="question",
                title="Which tenancy model?",
                theme="design questions",
                context="How tenants' rows are kept apart decides isolation, cost per tenant and how migrations run.",
                options=tuple(Option(m, TENANCY_TRADEOFFS[m]) for m in TENANCY_MODELS),
            )
        )
    existing = {p.table for p in decisions.partitions}
    for table, column in big_time_ordered_tables(catalog):
        if table.qualified in existing:
            continue
        items.append(
            AgendaItem(
                key=f"question:partition:{table.qualified}",
                kind="question",
                title=f"Partition {table.qualified} by time?",
                theme="design questions",
                context=(
                    f"{table.qualified} grows with time (about {table.row_estimate or 0:,} rows now). Range partitions "
                    f"on {column.name} let old data be detached or dropped in one step and keep recent indexes small."
                ),
                table=table.qualified,
                columns=(column.name,),
                options=(
                    Option(f"range on {column.name} by month", "Monthly partitions: a few dozen a year; "
                           "queries must filter on the key to prune; unique keys must include it."),
                    Option("no partitioning", "Nothing to migrate; retention stays a large DELETE and vacuum."),
                ),
            )
        )
    if decisions.key_strategy == "keep" and _has_generated_keys(catalog):
        items.append(
            AgendaItem(
                key="question:keys",
                kind="question",
                title="Which key strategy?",
                theme="design questions",
                context="Surrogate keys are generated per table today; one strategy across the schema avoids "
                "mismatched foreign key types and leaks of row counts through sequential ids.",
                options=tuple(Option(k, KEY_TRADEOFFS[k]) for k in KEY_STRATEGIES),
            )
        )
    return items


def big_time_ordered_tables(catalog: Catalog) -> list[tuple[Table, object]]:
    """Unpartitioned tables of events over time, with the column to partition on; biggest first."""
    found = []
    for table in catalog.stored_tables:
        if table.kind != "table" or table.partition_of or table.partitioning:
            continue
        column = _time_column(table)
        if column is None:
            continue
        rows = table.row_estimate or 0
        if rows >= BIG_TABLE_ROWS or _EVENT_WORDS.search(_words(table.name)):
            found.append((table, column))
    found.sort(key=lambda tc: (-(tc[0].row_estimate or 0), tc[0].qualified))
    return found[:MAX_PARTITION_QUESTIONS]


def _words(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _time_column(table: Table):
    candidates = [c for c in table.columns if c.type in TIME_TYPES and not c.nullable]
    named = [c for c in candidates if _TIME_NAMES.search(_words(c.name))]
    chosen = named or candidates
    return chosen[0] if chosen else None


def _has_generated_keys(catalog: Catalog) -> bool:
    for table in catalog.stored_tables:
        pk = table.primary_key
        if pk and len(pk.columns) == 1:
            column = table.column(pk.columns[0])
            if column is not None and (column.identity or column.sequence_filled):
                return True
    return False


# Records ------------------------------------------------------------------------------------


def now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def record(
    item: AgendaItem,
    previous: dict | None = None,
    *,
    author: str,
    **fields,
) -> dict:
    """The item's record with `fields` (notes, decision, option, rationale, owner) changed."""
    allowed = {"notes", "decision", "option", "rationale", "owner"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"workshop record: unknown field {sorted(unknown)[0]!r}")
    if fields.get("decision") not in (None, *DECISIONS):
        raise ValueError(f"workshop decision {fields['decision']!r}: one of {', '.join(DECISIONS)}")
    out = dict(previous or {})
    out.update(
        title=item.title,
        kind=item.kind,
        theme=item.theme,
        severity=item.severity,
        table=item.table,
        columns=list(item.columns),
        rule=item.rule,
        context=item.context,
        fix=item.fix,
        options=[dataclasses.asdict(o) for o in item.options],
    )
    out.update(fields)
    out["author"] = " ".join(str(author).split()) or "anonymous"
    out["updated_at"] = now()
    return out


def is_decided(rec: dict | None) -> bool:
    return bool(rec and rec.get("decision") in DECISIONS)


def progress(agenda: Sequence[AgendaItem], records: dict[str, dict]) -> tuple[int, int]:
    """(items with a decision, items on the agenda)."""
    return sum(1 for item in agenda if is_decided(records.get(item.key))), len(agenda)


def suppression_object(item: AgendaItem) -> str:
    if item.table and len(item.columns) == 1:
        return f"{item.table}.{item.columns[0]}"
    return item.table or ""


def apply_to_decisions(decisions: Decisions, item: AgendaItem, rec: dict) -> Decisions:
    """The decisions document after this item's decision (accept/reject a finding, answer a question)."""
    decision = rec.get("decision")
    if item.kind == "finding":
        obj = suppression_object(item)
        accepted = tuple(k for k in decisions.accepted_fixes if k != item.key)
        suppressions = tuple(s for s in decisions.suppressions if (s.rule, s.object) != (item.rule, obj))
        if decision == "accept":
            accepted += (item.key,)
        elif decision == "reject" and item.rule and obj:
            reason = " ".join(str(rec.get("rationale") or "").split()) or "rejected in the workshop"
            suppressions += (Suppressed(item.rule, obj, reason),)
        return dataclasses.replace(decisions, accepted_fixes=accepted, suppressions=suppressions)
    option = rec.get("option")
    accepted = decision == "accept"
    if item.key == "question:tenancy":
        model = option if accepted and option in TENANCY_MODELS else None
        return dataclasses.replace(decisions, tenancy=dataclasses.replace(decisions.tenancy or Tenancy(), model=model))
    if item.key == "question:keys":
        strategy = option if accepted and option in KEY_STRATEGIES else "keep"
        return dataclasses.replace(decisions, key_strategy=strategy)
    if item.key.startswith("question:partition:") and item.table:
        kept = tuple(p for p in decisions.partitions if p.table != item.table)
        if accepted and option and option.startswith("range on ") and item.columns:
            kept += (Partition(table=item.table, strategy="range", column=item.columns[0], interval="month"),)
        return dataclasses.replace(decisions, partitions=kept)
    return decisions


def item_from_record(key: str, rec: dict) -> AgendaItem:
    """The agenda item a record was made for, from the snapshot it carries."""
    return AgendaItem(
        key=key,
        kind=rec.get("kind") or ("question" if key.startswith("question:") else "finding"),
        title=rec.get("title") or key,
        theme=rec.get("theme") or "",
        context=rec.get("context") or "",
        severity=rec.get("severity"),
        table=rec.get("table"),
        columns=tuple(rec.get("columns") or ()),
        rule=rec.get("rule"),
        fix=rec.get("fix") or "",
        options=tuple(Option(o.get("name", ""), o.get("tradeoffs", "")) for o in rec.get("options") or ()),
    )


def effective_decisions(decisions: Decisions, records: dict[str, dict]) -> Decisions:
    """The decisions document with every workshop decision applied (in the order they were made).

    Workshop decisions are kept per item rather than written into the document at once, so two
    people deciding two different items never collide on the shared document.
    """
    ordered = sorted(records.items(), key=lambda kr: (str(kr[1].get("updated_at") or ""), kr[0]))
    for key, rec in ordered:
        decisions = apply_to_decisions(decisions, item_from_record(key, rec), rec)
    return decisions
