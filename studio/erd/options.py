"""What a diagram shows: the options every format and the page share."""

from __future__ import annotations

from dataclasses import dataclass

COLUMN_DETAILS = ("all", "keys", "none")
CLUSTERS = ("none", "schema", "domain")
DIRECTIONS = ("LR", "TB")


@dataclass(frozen=True)
class Options:
    columns: str = "all"  # all | keys | none
    cluster: str = "schema"  # none | schema | domain
    focus: str | None = None  # schema-qualified table at the centre
    depth: int = 1  # hops around the focus table
    schemas: tuple[str, ...] = ()  # only these schemas (empty: all)
    exclude_schemas: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()  # only these tables (empty: all)
    exclude_tables: tuple[str, ...] = ()
    domain: str | None = None  # only the tables of this domain
    direction: str = "LR"
    implied: bool = True  # draw implied foreign keys (dashed)
    views: bool = False  # include views and materialized views
    legend: bool = True

    def __post_init__(self):
        for value, allowed, what in (
            (self.columns, COLUMN_DETAILS, "columns"),
            (self.cluster, CLUSTERS, "cluster"),
            (self.direction, DIRECTIONS, "direction"),
        ):
            if value not in allowed:
                raise ValueError(f"ERD option {what}={value!r}: choose one of {', '.join(allowed)}")
        if self.depth < 0:
            raise ValueError(f"ERD option depth={self.depth}: must be 0 or more")
