"""Saved ERD views: a named set of tables with the diagram options, kept as a workspace item.

A view is stored under the item key `view:<name>` so it merges like any other item (two people
saving two views never collide), shows on the workshop agenda as an item of its own, and goes
into the bundle as `erd/views.json`. A link opens it: `?ws=<workspace id>&view=<name>`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from studio.erd import Options
from studio.erd.options import CLUSTERS, COLUMN_DETAILS
from studio.workshop.agenda import AgendaItem, now

VIEW_PREFIX = "view:"
VIEW_THEME = "Saved views"
VIEW_PARAM = "view"
MAX_NAME = 80


@dataclass(frozen=True)
class SavedView:
    name: str
    tables: tuple[str, ...]
    columns: str = "keys"
    depth: int = 1
    cluster: str = "schema"

    def __post_init__(self):
        name = " ".join(self.name.split())
        if not name or len(name) > MAX_NAME:
            raise ValueError(f"saved view name {self.name!r}: give 1 to {MAX_NAME} characters")
        object.__setattr__(self, "name", name)
        if not self.tables:
            raise ValueError(f"saved view {name!r}: pick at least one table")
        Options(columns=self.columns, cluster=self.cluster, depth=self.depth)  # checks the options

    @property
    def key(self) -> str:
        return VIEW_PREFIX + self.name

    def options(self) -> Options:
        """The diagram of the view: one table with its neighbours `depth` hops out, or exactly its tables."""
        focus = self.tables[0] if len(self.tables) == 1 else None
        tables = () if focus else self.tables
        return Options(columns=self.columns, cluster=self.cluster, depth=self.depth, focus=focus, tables=tables)

    def link(self, workspace_id: str, page: str = "erd") -> str:
        return f"{page}?" + urlencode({"ws": workspace_id, VIEW_PARAM: self.name})

    def record(self, author: str, previous: dict | None = None) -> dict:
        out = dict(previous or {})
        out.update(
            kind="view", title=self.name, theme=VIEW_THEME, table=None, columns=[], rule=None, severity=None,
            context=f"{len(self.tables)} tables: {', '.join(self.tables)}",
            view={"tables": list(self.tables), "columns": self.columns, "depth": self.depth, "cluster": self.cluster},
            author=" ".join(str(author).split()) or "anonymous", updated_at=now(),
        )
        return out


def from_record(key: str, rec: Mapping) -> SavedView:
    view = rec.get("view") or {}
    return SavedView(
        name=key[len(VIEW_PREFIX):], tables=tuple(view.get("tables") or ()),
        columns=view.get("columns", "keys") if view.get("columns") in COLUMN_DETAILS else "keys",
        depth=int(view.get("depth", 1)),
        cluster=view.get("cluster", "schema") if view.get("cluster") in CLUSTERS else "schema",
    )


def saved_views(items: Mapping[str, dict]) -> list[SavedView]:
    return [from_record(k, r) for k, r in sorted(items.items()) if k.startswith(VIEW_PREFIX) and r.get("view")]


def view_items(items: Mapping[str, dict]) -> list[AgendaItem]:
    """Each saved view as a workshop agenda item: discuss that part of the schema."""
    return [
        AgendaItem(key=v.key, kind="view", title=v.name, theme=VIEW_THEME,
                   context=f"Saved ERD view of {len(v.tables)} tables: {', '.join(v.tables)}",
                   columns=())
        for v in saved_views(items)
    ]


def views_json(items: Mapping[str, dict]) -> str:
    """The bundle's erd/views.json: every saved view with its tables and options."""
    views = [{"name": v.name, "tables": list(v.tables), "columns": v.columns, "depth": v.depth,
              "cluster": v.cluster} for v in saved_views(items)]
    return json.dumps({"views": views}, indent=2) + "\n"
