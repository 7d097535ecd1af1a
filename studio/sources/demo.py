"""Load the built-in demo into its own database on the embedded server, once.

The database is named after a digest of the demo's SQL, so a changed demo gets a fresh
database and an unchanged one is reused. It is built under a temporary name and renamed
when complete, so a concurrent process never sees half a demo; if another process wins
the race, its copy is used and ours is dropped.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import psycopg

from studio import demo
from studio.catalog import Catalog
from studio.errors import SourceError
from studio.sources import embedded, postgres
from studio.sql import ident


@dataclass(frozen=True)
class Loaded:
    database: str
    url: str
    catalog: Catalog


def sql() -> str:
    """The demo DDL with its rows, as one script (for DDL-file paths and uploads)."""
    return demo.sql()


def database_name() -> str:
    return f"studio_demo_{demo.digest()}"


# A concurrent rename to the same name fails with DuplicateDatabase, or, when both renames
# pass that check at once, with a unique violation on pg_database's name index.
_LOST_RACE = (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation)


def _exists(name: str) -> bool:
    with embedded.connect() as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def _build(name: str) -> None:
    with embedded.connect(name, autocommit=False) as conn:
        conn.execute(demo.sql())
        conn.commit()
    with embedded.connect(name) as conn:
        try:
            conn.execute(demo.invalid_index_sql())
        except psycopg.errors.UniqueViolation:
            pass  # intended: the failed build leaves the invalid index the demo shows
        else:
            raise SourceError(
                "the demo's invalid index was built successfully: its duplicate rows are missing"
            )
        conn.execute("ANALYZE")


def ensure_database() -> str:
    """Create the demo database unless it exists; returns its name."""
    name = database_name()
    if _exists(name):
        return name
    building = f"{name}_tmp_{secrets.token_hex(4)}"
    with embedded.connect() as conn:
        conn.execute(f"CREATE DATABASE {ident(building)}")
    try:
        _build(building)
        with embedded.connect() as conn:
            try:
                conn.execute(f"ALTER DATABASE {ident(building)} RENAME TO {ident(name)}")
            except _LOST_RACE:
                pass  # another process finished first; its copy is used and ours dropped below
            else:
                return name
    except BaseException:
        embedded.drop_database(building)
        raise
    embedded.drop_database(building)
    return name


@contextlib.contextmanager
def scratch_copy(prefix: str = "democopy") -> Iterator[str]:
    """A private copy of the demo database to change freely, dropped afterwards; yields its name.

    Copied with CREATE DATABASE ... TEMPLATE when nobody is connected to the shared demo,
    otherwise (PostgreSQL refuses a template in use) built from the SQL.
    """
    source = ensure_database()
    name = f"studio_{prefix}_{secrets.token_hex(5)}"
    try:
        with embedded.connect() as conn:
            conn.execute(f"CREATE DATABASE {ident(name)} TEMPLATE {ident(source)}")
    except psycopg.errors.ObjectInUse:
        with embedded.connect() as conn:
            conn.execute(f"CREATE DATABASE {ident(name)}")
        try:
            _build(name)
        except BaseException:
            embedded.drop_database(name)
            raise
    try:
        yield name
    finally:
        embedded.drop_database(name)


def load(*, schemas: Sequence[str] | None = None) -> Loaded:
    """The demo database (built on first use) and its catalog."""
    name = ensure_database()
    url = embedded.admin_url(name)
    return Loaded(database=name, url=url, catalog=postgres.introspect(url, schemas=schemas))
