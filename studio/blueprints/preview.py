"""A blueprint's own Catalog, for its ERD preview: its DDL loaded into a throwaway database."""

from __future__ import annotations

from studio.catalog import Catalog
from studio.sources import embedded, postgres


def catalog_of(sql: str) -> Catalog:
    """Load trusted blueprint DDL into a scratch database on the embedded server and introspect it."""
    with embedded.scratch_database("blueprint") as name:
        with embedded.connect(name) as conn:
            conn.execute(sql)
        return postgres.introspect(embedded.admin_url(name))
