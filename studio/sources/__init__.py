"""Sources: live PostgreSQL, a DDL file, the demo. Each produces the same Catalog.

`open_source()` returns a `Source`: the catalog plus, for the data checks, a read-only
URL of a database holding the rows (the user's own, or the sandbox that loaded a file).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from studio.catalog import Catalog
from studio.db import redact
from studio.errors import SourceError
from studio.sources import ddl as ddl_source
from studio.sources import demo as demo_source
from studio.sources import postgres


@dataclass
class Source:
    kind: str  # "dsn" | "ddl" | "demo"
    label: str  # shown to users: a URL without password, a file name, "demo"
    catalog: Catalog
    url: str | None = None  # where the rows are (never shown: may carry credentials)
    notes: list = field(default_factory=list)
    release: Callable[[], None] | None = field(default=None, repr=False)
    ddl_text: str | None = field(default=None, repr=False)  # a loaded file's own text (kept by workspaces)
    failures: tuple = ()  # a loaded file's statements that PostgreSQL rejected (Notes, also in `notes`)

    def close(self) -> None:
        """Drop what this source holds on the sandbox server (a loaded file's database and role)."""
        if self.release is not None:
            release, self.release = self.release, None
            release()

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def file_source(loaded) -> Source:
    """The Source of a loaded DDL file (studio.sources.ddl.Loaded): its sandbox, notes and failed statements."""
    return Source("ddl", loaded.filename, loaded.catalog, url=loaded.url, notes=list(loaded.catalog.notes),
                  release=loaded.drop, ddl_text=loaded.text, failures=loaded.failures)


def open_source(
    *, dsn: str | None = None, ddl: str | Path | None = None, demo: bool = False, schemas=None
) -> Source:
    """Load exactly one of a live database, a DDL file or the demo."""
    chosen = [x for x in (dsn, ddl, demo or None) if x]
    if len(chosen) != 1:
        raise SourceError("choose exactly one source: --dsn URL, --ddl FILE or --demo")
    if dsn:
        catalog = postgres.introspect(dsn, schemas=schemas)
        return Source("dsn", redact(dsn), catalog, url=dsn, notes=list(catalog.notes))
    if ddl:
        return file_source(ddl_source.load_file(Path(ddl), schemas=schemas))

    loaded = demo_source.load(schemas=schemas)
    return Source("demo", "demo", loaded.catalog, url=loaded.url, notes=list(loaded.catalog.notes))
