"""Three-way merge of workspace contents, and readable differences between two versions.

Parts merge independently: the name, the decisions document, and each workshop item. A part
changed on one side only takes that side; changed on both sides to different values it is a
conflict the user settles (mine or theirs).
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import Any

from studio.workshop.workspace.model import ITEM_PREFIX, Changes, Content, apply, changes_between, flatten

_MISSING = object()


@dataclass(frozen=True)
class Merge:
    merged: Content  # every clean part merged; conflicting parts keep "theirs" until settled
    conflicts: tuple[str, ...] = ()  # flat part keys: "name", "decisions", "item:<key>"
    mine: dict[str, Any] = field(default_factory=dict)
    theirs: dict[str, Any] = field(default_factory=dict)

    def settle(self, choices: dict[str, str]) -> Content:
        """The merged content with each conflict settled: choices[part] is "mine" or "theirs"."""
        changes: Changes = {}
        for part in self.conflicts:
            if choices.get(part, "theirs") != "mine":
                continue
            value = self.mine.get(part)
            if part.startswith(ITEM_PREFIX):
                changes.setdefault("items", {})[part[len(ITEM_PREFIX):]] = value
            else:
                changes[part] = value
        return apply(self.merged, changes)


def three_way(base: Content, mine: Content, theirs: Content) -> Merge:
    b, m, t = flatten(base), flatten(mine), flatten(theirs)
    merged = dict(t)
    conflicts, my_side, their_side = [], {}, {}
    for part in sorted(set(b) | set(m) | set(t)):
        was, my, their = b.get(part, _MISSING), m.get(part, _MISSING), t.get(part, _MISSING)
        if my in (was, their):
            continue  # untouched by me, or both made the same change: theirs stands
        if their == was:
            if my is _MISSING:
                merged.pop(part, None)
            else:
                merged[part] = my
            continue
        conflicts.append(part)
        my_side[part] = None if my is _MISSING else my
        their_side[part] = None if their is _MISSING else their
    return Merge(_unflatten(merged), tuple(conflicts), my_side, their_side)


def rebase(base: Content, changes: Changes, theirs: Content) -> Merge:
    """Merge a change made on `base` into the newer `theirs`."""
    return three_way(base, apply(base, changes), theirs)


def _unflatten(flat: dict[str, Any]) -> Content:
    items = {k[len(ITEM_PREFIX):]: v for k, v in flat.items() if k.startswith(ITEM_PREFIX)}
    return {"name": flat.get("name", ""), "decisions": flat.get("decisions", ""), "items": items}


def part_label(part: str, items: dict[str, dict] | None = None) -> str:
    """A part key as a person reads it: an item by its title when known."""
    if part.startswith(ITEM_PREFIX):
        key = part[len(ITEM_PREFIX):]
        record = (items or {}).get(key) or {}
        return f"item {record.get('title') or key}"
    return part


def describe(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, dict):
        shown = {k: v for k, v in value.items() if k in ("decision", "option", "rationale", "owner", "notes")}
        return json.dumps(shown or value, indent=2, sort_keys=True, ensure_ascii=False)
    return str(value)


def diff(old: Content, new: Content, old_label: str = "before", new_label: str = "after") -> str:
    """A plain-text, line-based account of what changed from `old` to `new` (empty when nothing did)."""
    changes = changes_between(old, new)
    out: list[str] = []
    if "name" in changes:
        out.append(f"name: {old.get('name', '')!r} -> {new.get('name', '')!r}")
    if "decisions" in changes:
        out.append("decisions (design.toml):")
        out.extend(
            "  " + line.rstrip("\n")
            for line in difflib.unified_diff(
                old.get("decisions", "").splitlines(), new.get("decisions", "").splitlines(),
                old_label, new_label, lineterm="", n=1,
            )
        )
    old_items = old.get("items", {})
    for key, record in changes.get("items", {}).items():
        before = old_items.get(key)
        title = (record or before or {}).get("title") or key
        if before is None:
            out.append(f"+ item {title}:")
            out.extend("    " + line for line in _fields(record))
        elif record is None:
            out.append(f"- item {title} removed")
        else:
            out.append(f"~ item {title}:")
            for name in sorted(set(before) | set(record)):
                if before.get(name) != record.get(name) and name not in ("updated_at", "author"):
                    out.append(f"    {name}: {_short(before.get(name))} -> {_short(record.get(name))}")
    return "\n".join(out)


def _fields(record: dict) -> list[str]:
    return [f"{k}: {_short(record.get(k))}" for k in ("decision", "option", "rationale", "owner", "notes") if record.get(k)]


def _short(value: Any, limit: int = 200) -> str:
    text = "" if value is None else " ".join(str(value).split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
