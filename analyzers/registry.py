"""The rule registry: rules are small pure functions over the model, registered with their metadata.

A rule function takes a `Context` and yields `Hit`s; the engine turns each hit into a
`Finding` carrying the rule's metadata. A rule's docstring documents it with a bad and
a good example, in two sections that tests run against real PostgreSQL::

    Bad:
        CREATE TABLE ...;

    Good:
        CREATE TABLE ...;
"""

from __future__ import annotations

import inspect
import re
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("error", "warning", "info")
SEVERITY_RANK = {s: i for i, s in enumerate(reversed(SEVERITIES))}  # info 0 < warning 1 < error 2
CATEGORIES = ("keys", "indexes", "normalization", "types", "tenancy", "security", "data", "workload")


Fix = str | Callable[[], str]  # the text, or a function rendering it when first read


class RenderedOnRead:
    """A text field that may be given a zero-argument function instead: called on first read, kept.

    Rules on a large schema produce tens of thousands of findings, and rendering each one's fix
    (names, quoting, statements) was most of the analysis; a studio page shows a few dozen. Fix
    functions are pure functions of the catalog (free names are looked up, never reserved), so
    when a fix is rendered does not change what it says."""

    def __set_name__(self, owner, name: str) -> None:
        self._slot = f"_{name}"

    def __get__(self, obj, objtype=None) -> str:
        if obj is None:
            return ""  # the field's default
        value = obj.__dict__[self._slot]
        if callable(value):
            value = obj.__dict__[self._slot] = value()
        return value

    def __set__(self, obj, value: Fix) -> None:
        obj.__dict__[self._slot] = value

    def unrendered(self, obj) -> Fix:
        """The value as given: passed on from a hit to its finding without rendering it."""
        return obj.__dict__[self._slot]


@dataclass(frozen=True)
class Hit:
    """What a rule found; the engine adds the rule's metadata."""

    table: str
    message: str
    columns: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    fix: str = RenderedOnRead()  # type: ignore[assignment]  (a str, or a function rendering it)
    severity: str | None = None  # overrides the rule's default, e.g. data contradicting a heuristic
    explanation: str | None = None  # overrides the rule's explanation for this one hit
    statement: int | None = None  # 1-based statement number (workload rules)
    details: tuple[tuple[str, Any], ...] = ()  # extra facts: counts, samples, sampled rate


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    category: str
    table: str
    columns: tuple[str, ...]
    related: tuple[str, ...]
    message: str
    explanation: str
    fix: str = RenderedOnRead()  # type: ignore[assignment]  (a str, or a function rendering it)
    statement: int | None = None
    details: tuple[tuple[str, Any], ...] = ()

    def __getstate__(self) -> dict:
        """Pickled (Streamlit's cache, copies) with the fix rendered: a function may not pickle."""
        return {**self.__dict__, "_fix": self.fix}

    @property
    def key(self) -> str:
        """Stable across runs: the rule plus the objects it names (never the message text)."""
        parts = [self.rule, self.table, ",".join(self.columns), ",".join(sorted(self.related))]
        if self.statement is not None:
            parts.append(f"#{self.statement}")
        return ":".join(parts)

    def to_dict(self) -> dict:
        out = {
            "key": self.key,
            "rule": self.rule,
            "severity": self.severity,
            "category": self.category,
            "table": self.table,
            "columns": list(self.columns),
            "related": list(self.related),
            "message": self.message,
            "explanation": self.explanation,
            "fix": self.fix,
        }
        if self.statement is not None:
            out["statement"] = self.statement
        if self.details:
            out["details"] = dict(self.details)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Finding:
        return cls(
            rule=data["rule"],
            severity=data["severity"],
            category=data["category"],
            table=data["table"],
            columns=tuple(data.get("columns", ())),
            related=tuple(data.get("related", ())),
            message=data.get("message", ""),
            explanation=data.get("explanation", ""),
            fix=data.get("fix", ""),
            statement=data.get("statement"),
            details=tuple((data.get("details") or {}).items()),
        )


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: str
    category: str
    explanation: str
    check: Callable[..., Iterable[Hit]] = field(compare=False, repr=False)
    needs: str = "schema"  # schema | data | workload
    bad: str = ""
    good: str = ""

    def finding(self, hit: Hit) -> Finding:
        return Finding(
            rule=self.id,
            severity=hit.severity or self.severity,
            category=self.category,
            table=hit.table,
            columns=tuple(hit.columns),
            related=tuple(hit.related),
            message=hit.message,
            explanation=hit.explanation or self.explanation,
            fix=Hit.__dict__["fix"].unrendered(hit),
            statement=hit.statement,
            details=hit.details,
        )


REGISTRY: dict[str, Rule] = {}

_SECTION = re.compile(r"^(Bad|Good):\s*$", re.MULTILINE)


def _examples(doc: str) -> dict[str, str]:
    doc = inspect.cleandoc(doc or "")
    parts = _SECTION.split(doc)
    found = {}
    for label, body in zip(parts[1::2], parts[2::2], strict=True):
        found[label.lower()] = textwrap.dedent(body).strip()
    return found


def rule(id: str, *, severity: str, category: str, title: str, explanation: str, needs: str = "schema"):
    """Register a rule function under a public, never-changing id."""
    if severity not in SEVERITIES:
        raise ValueError(f"rule {id}: unknown severity {severity!r}")
    if category not in CATEGORIES:
        raise ValueError(f"rule {id}: unknown category {category!r}")

    def register(func):
        if id in REGISTRY:
            raise ValueError(f"rule id {id!r} registered twice")
        examples = _examples(func.__doc__ or "")
        REGISTRY[id] = Rule(
            id=id,
            title=title,
            severity=severity,
            category=category,
            explanation=" ".join(explanation.split()),
            check=func,
            needs=needs,
            bad=examples.get("bad", ""),
            good=examples.get("good", ""),
        )
        return func

    return register
