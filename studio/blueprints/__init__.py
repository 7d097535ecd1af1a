"""Domain blueprints: proven schema modules for diagnostics and repair platforms.

    list_blueprints() -> tuple[Info, ...]
    get(name) -> Info
    render(name, tenancy="rls", schema=None, attach=None, ...) -> Blueprint   (studio.blueprints.library)
    merge_into(catalog, uses, ...) -> (sql, collisions)                        (studio.blueprints.merge)

One module per blueprint holds it as data; `library` lists and renders them with
studio.blueprints.builder, `merge` fits several into an existing model.
"""

from __future__ import annotations

from studio.blueprints.builder import Ref
from studio.blueprints.library import ATTACH_POINTS, Blueprint, Info, get, list_blueprints, render
from studio.blueprints.merge import Collision, merge_into

__all__ = [
    "ATTACH_POINTS",
    "Blueprint",
    "Collision",
    "Info",
    "Ref",
    "get",
    "list_blueprints",
    "merge_into",
    "render",
]
