"""The built-in demo: a multi-tenant repair and diagnostics SaaS schema with sample rows.

Every anti-pattern in it is deliberate and recorded in `answer_key.toml`; the guard cases
that must stay silent are recorded there too. `studio.sources.demo` loads it.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Loaded in this order in one transaction; `security.sql` comes after the rows because
# FORCE ROW LEVEL SECURITY would bind a table owner loading them.
SCRIPT_FILES = ("schema.sql", "data.sql", "security.sql")
# Needs its own autocommit step (CREATE INDEX CONCURRENTLY) and is expected to fail.
INVALID_INDEX_FILE = "invalid_index.sql"
ANSWER_KEY_FILE = "answer_key.toml"


def sql() -> str:
    """The demo as one DDL script with its rows (everything but the failed concurrent index)."""
    return "\n".join((HERE / name).read_text() for name in SCRIPT_FILES)


def invalid_index_sql() -> str:
    return (HERE / INVALID_INDEX_FILE).read_text()


def digest() -> str:
    """First 10 hex digits of the SHA-256 of the demo's SQL: changes whenever the SQL does."""
    h = hashlib.sha256()
    for name in (*SCRIPT_FILES, INVALID_INDEX_FILE):
        h.update((HERE / name).read_bytes())
    return h.hexdigest()[:10]


@dataclass(frozen=True)
class Expected:
    """One answer-key entry: a finding the analyzers must report, or a guard that must stay silent."""

    rule: str
    table: str
    columns: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    why: str = ""
    count: int | None = None
    rows: int | None = None
    live_only: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, tuple[str, ...]]:
        return (self.rule, self.table, self.columns)


@dataclass(frozen=True)
class AnswerKey:
    findings: tuple[Expected, ...]
    clean: tuple[Expected, ...]

    def for_rule(self, rule: str) -> tuple[Expected, ...]:
        return tuple(f for f in self.findings if f.rule == rule)


_KNOWN = {"rule", "table", "columns", "related", "why", "count", "rows", "live_only"}


def _entry(raw: dict) -> Expected:
    return Expected(
        rule=raw["rule"],
        table=raw["table"],
        columns=tuple(raw.get("columns", ())),
        related=tuple(raw.get("related", ())),
        why=raw.get("why", ""),
        count=raw.get("count"),
        rows=raw.get("rows"),
        live_only=bool(raw.get("live_only", False)),
        extra={k: v for k, v in raw.items() if k not in _KNOWN},
    )


def answer_key() -> AnswerKey:
    raw = tomllib.loads((HERE / ANSWER_KEY_FILE).read_text())
    return AnswerKey(
        findings=tuple(_entry(r) for r in raw.get("finding", ())),
        clean=tuple(_entry(r) for r in raw.get("clean", ())),
    )
