"""Workspaces: saved decisions, notes and their history, in PostgreSQL.

    store = Store()                        # SCHEMA_STUDIO_STORE_URL, else the embedded server
    ws = store.create("Fleet review", source_kind="demo", source_label="demo",
                      catalog_json=catalog.to_json(), author="Ada")
    saved = store.save(ws.id, ws.head, {"items": {key: record}}, author="Ada", summary="noted")
    # -> Conflict(head=...) when someone saved after ws.head: merge.rebase(...) or reload
"""

from studio.workshop.workspace.merge import Merge, diff, rebase, three_way
from studio.workshop.workspace.model import (
    Changes,
    Conflict,
    Content,
    Saved,
    Summary,
    Version,
    Workspace,
    WorkspaceNotFound,
    apply,
    changes_between,
)
from studio.workshop.workspace.store import STORE_URL_ENV, Store

__all__ = [
    "STORE_URL_ENV",
    "Changes",
    "Conflict",
    "Content",
    "Merge",
    "Saved",
    "Store",
    "Summary",
    "Version",
    "Workspace",
    "WorkspaceNotFound",
    "apply",
    "changes_between",
    "diff",
    "rebase",
    "three_way",
]
