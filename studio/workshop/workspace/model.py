"""What a workspace holds, as values: the workspace at one version, its history rows, changes.

A version's content is one JSON document:

    {"name": "...", "decisions": "<design.toml text>", "items": {item key: record}}

An item record is a workshop item's notes and decision (a dict, see `studio.workshop.agenda.record()`); the
decisions text carries the suppressions with reasons and the accepted fixes. A change names only
what it touches: `{"items": {key: record or None}}`, `{"decisions": text}`, `{"name": text}`;
an item set to None is removed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from studio.catalog import Catalog
from studio.design.decisions import Decisions, parse
from studio.errors import StudioError

Content = dict[str, Any]
Changes = dict[str, Any]
CHANGE_KEYS = ("name", "decisions", "items")
ITEM_PREFIX = "item:"


def empty_content(name: str, decisions: str = "") -> Content:
    return {"name": name, "decisions": decisions, "items": {}}


@dataclass(frozen=True)
class Workspace:
    id: str
    version: int  # the version this value shows
    head: int  # the newest version when it was read
    name: str
    source_kind: str
    source_label: str  # never carries a password
    source_ddl: str | None
    catalog_json: str
    content: Content
    created_at: datetime
    created_by: str
    participants: tuple[str, ...] = ()  # every author of a version, in order of first appearance

    @property
    def decisions_toml(self) -> str:
        return self.content.get("decisions", "")

    @property
    def items(self) -> dict[str, dict]:
        return self.content.get("items", {})

    def catalog(self):
        return Catalog.from_json(self.catalog_json)

    def decisions(self):
        text = self.decisions_toml
        return parse(text, f"workspace {self.name}") if text.strip() else Decisions()


@dataclass(frozen=True)
class Version:
    workspace_id: str
    version: int
    created_at: datetime
    author: str
    summary: str
    restored_from: int | None = None


@dataclass(frozen=True)
class Summary:
    """A row of the workspace list."""

    id: str
    name: str
    source_label: str
    head: int
    created_at: datetime
    updated_at: datetime
    created_by: str


class WorkspaceNotFound(StudioError):
    pass


class Conflict(StudioError):
    """Someone saved after `base`: the change was not stored. `head` is the newer version."""

    def __init__(self, workspace_id: str, base: int, head: int):
        self.workspace_id, self.base, self.head = workspace_id, base, head
        super().__init__(
            f"workspace {workspace_id}: version {head} was saved by someone else after version {base}; "
            "merge your change into it or reload"
        )


@dataclass(frozen=True)
class Saved:
    workspace: Workspace
    stored: bool = field(default=True)  # False when the change changed nothing (no new version)


def check_changes(changes: Changes) -> None:
    unknown = sorted(set(changes) - set(CHANGE_KEYS))
    if unknown:
        raise ValueError(f"workspace change: unknown key {unknown[0]!r} (allowed: {', '.join(CHANGE_KEYS)})")
    if "items" in changes and not isinstance(changes["items"], dict):
        raise ValueError("workspace change: items must map item keys to records (or None to remove one)")


def apply(content: Content, changes: Changes) -> Content:
    """The content with `changes` applied (a new value; `content` is not touched)."""
    check_changes(changes)
    out = copy.deepcopy(content)
    for key in ("name", "decisions"):
        if key in changes:
            out[key] = changes[key]
    items = out.setdefault("items", {})
    for key, record in changes.get("items", {}).items():
        if record is None:
            items.pop(key, None)
        else:
            items[key] = copy.deepcopy(record)
    return out


def flatten(content: Content) -> dict[str, Any]:
    """One entry per independently mergeable part: the name, the decisions, each item."""
    flat = {"name": content.get("name", ""), "decisions": content.get("decisions", "")}
    for key, record in content.get("items", {}).items():
        flat[ITEM_PREFIX + key] = record
    return flat


def changes_between(old: Content, new: Content) -> Changes:
    """The smallest change that turns `old` into `new`."""
    before, after = flatten(old), flatten(new)
    changes: Changes = {}
    for key in ("name", "decisions"):
        if before[key] != after[key]:
            changes[key] = after[key]
    items = {}
    for key in sorted(set(before) | set(after)):
        if key.startswith(ITEM_PREFIX) and before.get(key) != after.get(key):
            items[key[len(ITEM_PREFIX):]] = after.get(key)
    if items:
        changes["items"] = items
    return changes
