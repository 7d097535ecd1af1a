"""The workspace store in PostgreSQL: versions, restore, optimistic concurrency, its own migrations.

Where it lives: the server named by SCHEMA_STUDIO_STORE_URL (one server shared by every studio
process behind a load balancer), else the database `schema_studio_store` on the embedded server,
created on first use. The store's schema is brought up to date once per process, under an
advisory lock, by the ordered `migrations/NNNN_name.sql` files; `store_schema_version` records
what ran.

Every save is one transaction that locks the workspace row, checks that its head is still the
version the writer started from, and writes the next version: two writers can never both win.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from studio.db import redact
from studio.errors import ConfigError
from studio.sources import embedded
from studio.sql import ident
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
    check_changes,
    empty_content,
)

log = logging.getLogger(__name__)

STORE_URL_ENV = "SCHEMA_STUDIO_STORE_URL"
EMBEDDED_DATABASE = "schema_studio_store"
MIGRATIONS = Path(__file__).with_name("migrations")
MIGRATION_LOCK = 0x5C4E_57D0  # advisory lock key: one migrator at a time across processes
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
SOURCE_KINDS = ("dsn", "ddl", "demo")
MAX_AUTHOR = 120


def migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) in order."""
    found = []
    for path in sorted(MIGRATIONS.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise ConfigError(f"{path}: migration files are named NNNN_name.sql")
        found.append((int(match.group(1)), path.name, path.read_text(encoding="utf-8")))
    numbers = [n for n, _, _ in found]
    if numbers != list(range(1, len(found) + 1)):
        raise ConfigError(f"{MIGRATIONS}: migrations must be numbered 0001, 0002, ... without gaps")
    return found


def _embedded_url() -> str:
    with embedded.connect() as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (EMBEDDED_DATABASE,)).fetchone()
        if not exists:
            # another studio process may create it first
            with contextlib.suppress(psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
                conn.execute(f"CREATE DATABASE {ident(EMBEDDED_DATABASE)}")
    return embedded.admin_url(EMBEDDED_DATABASE)


def default_url() -> str:
    return os.environ.get(STORE_URL_ENV) or _embedded_url()


def clean_author(author: str) -> str:
    name = " ".join(str(author or "").split())[:MAX_AUTHOR]
    return name or "anonymous"


def redacted_label(kind: str, label: str) -> str:
    """What the store keeps as the source reference: a live URL always loses its password."""
    if kind == "dsn":
        return redact(label)
    return label


class Store:
    def __init__(self, url: str | None = None):
        self._url = url
        self._ready = False
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        if self._url is None:
            self._url = default_url()
        return self._url

    @contextmanager
    def _connect(self) -> Iterator[psycopg.Connection]:
        self.migrate()
        with psycopg.connect(self.url, row_factory=dict_row, connect_timeout=10) as conn:
            yield conn

    # The store's own schema ----------------------------------------------------------------

    def migrate(self) -> list[str]:
        """Apply the migrations this store has not run yet (once per process); their names."""
        if self._ready:
            return []
        with self._lock:
            if self._ready:
                return []
            applied = []
            with psycopg.connect(self.url, autocommit=True, connect_timeout=10) as conn, conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS store_schema_version ("
                    " version integer PRIMARY KEY, name text NOT NULL,"
                    " applied_at timestamptz NOT NULL DEFAULT now())"
                )
                done = {row[0] for row in conn.execute("SELECT version FROM store_schema_version")}
                for number, name, sql in migrations():
                    if number in done:
                        continue
                    conn.execute(sql)
                    conn.execute(
                        "INSERT INTO store_schema_version (version, name) VALUES (%s, %s)", (number, name)
                    )
                    applied.append(name)
            if applied:
                log.info("workspace store: applied %s", ", ".join(applied))
            self._ready = True
            return applied

    def schema_version(self) -> int:
        with self._connect() as conn:
            return conn.execute("SELECT coalesce(max(version), 0) AS v FROM store_schema_version").fetchone()["v"]

    # Reading --------------------------------------------------------------------------------

    def list(self) -> list[Summary]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT w.id, w.name, w.source_label, w.head, w.created_at, w.created_by, v.created_at AS updated_at"
                " FROM workspace w JOIN workspace_version v ON v.workspace_id = w.id AND v.version = w.head"
                " ORDER BY v.created_at DESC, w.id"
            ).fetchall()
        return [Summary(**row) for row in rows]

    def get(self, workspace_id: str, version: int | None = None) -> Workspace:
        """The workspace at `version` (default: its head)."""
        with self._connect() as conn:
            return self._read(conn, workspace_id, version)

    def _read(self, conn: psycopg.Connection, workspace_id: str, version: int | None) -> Workspace:
        row = conn.execute("SELECT * FROM workspace WHERE id = %s", (workspace_id,)).fetchone()
        if row is None:
            raise WorkspaceNotFound(f"workspace {workspace_id}: not found; open one from the Workspaces page")
        wanted = row["head"] if version is None else version
        content = conn.execute(
            "SELECT content FROM workspace_version WHERE workspace_id = %s AND version = %s", (workspace_id, wanted)
        ).fetchone()
        if content is None:
            raise WorkspaceNotFound(f"workspace {row['name']}: has no version {wanted} (versions 1 to {row['head']})")
        authors = conn.execute(
            "SELECT author FROM workspace_version WHERE workspace_id = %s AND version <= %s"
            " GROUP BY author ORDER BY min(version)",
            (workspace_id, wanted),
        ).fetchall()
        return Workspace(
            id=row["id"],
            version=wanted,
            head=row["head"],
            name=content["content"].get("name", row["name"]),
            source_kind=row["source_kind"],
            source_label=row["source_label"],
            source_ddl=row["source_ddl"],
            catalog_json=row["catalog_json"],
            content=content["content"],
            created_at=row["created_at"],
            created_by=row["created_by"],
            participants=tuple(a["author"] for a in authors),
        )

    def history(self, workspace_id: str) -> list[Version]:
        """Every version, newest first."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT workspace_id, version, created_at, author, summary, restored_from"
                " FROM workspace_version WHERE workspace_id = %s ORDER BY version DESC",
                (workspace_id,),
            ).fetchall()
        if not rows:
            self.get(workspace_id)  # raises WorkspaceNotFound
        return [Version(**row) for row in rows]

    # Writing --------------------------------------------------------------------------------

    def create(
        self,
        name: str,
        *,
        source_kind: str,
        source_label: str,
        catalog_json: str,
        author: str,
        source_ddl: str | None = None,
        decisions: str = "",
    ) -> Workspace:
        if source_kind not in SOURCE_KINDS:
            raise ValueError(f"workspace source kind {source_kind!r}: one of {', '.join(SOURCE_KINDS)}")
        name = " ".join(str(name).split()) or "Untitled workspace"
        author = clean_author(author)
        workspace_id = secrets.token_hex(6)
        with self._connect() as conn, conn.transaction():
            conn.execute(
                "INSERT INTO workspace (id, name, source_kind, source_label, source_ddl, catalog_json, head, created_by)"
                " VALUES (%s, %s, %s, %s, %s, %s, 1, %s)",
                (
                    workspace_id,
                    name,
                    source_kind,
                    redacted_label(source_kind, source_label),
                    source_ddl,
                    catalog_json,
                    author,
                ),
            )
            conn.execute(
                "INSERT INTO workspace_version (workspace_id, version, author, summary, content)"
                " VALUES (%s, 1, %s, %s, %s)",
                (workspace_id, author, "created", Jsonb(empty_content(name, decisions))),
            )
            return self._read(conn, workspace_id, None)

    def save(self, workspace_id: str, base_version: int, changes: Changes, author: str, summary: str) -> Saved:
        """Store `changes` as the next version, if the head is still `base_version`; else raise Conflict.

        A change that changes nothing stores no version (`Saved.stored` is False).
        """
        check_changes(changes)
        with self._connect() as conn, conn.transaction():
            head = self._lock_head(conn, workspace_id)
            if head != base_version:
                raise Conflict(workspace_id, base_version, head)
            current = self._content(conn, workspace_id, head)
            new = apply(current, changes)
            if new == current:
                return Saved(self._read(conn, workspace_id, None), stored=False)
            self._write(conn, workspace_id, head + 1, new, author, summary)
            return Saved(self._read(conn, workspace_id, None))

    def restore(self, workspace_id: str, version: int, base_version: int, author: str) -> Workspace:
        """Make `version`'s content the newest version again (history is kept: restore adds a version)."""
        with self._connect() as conn, conn.transaction():
            head = self._lock_head(conn, workspace_id)
            if head != base_version:
                raise Conflict(workspace_id, base_version, head)
            old = self._content(conn, workspace_id, version)
            self._write(conn, workspace_id, head + 1, old, author, f"restored version {version}", restored_from=version)
            return self._read(conn, workspace_id, None)

    def delete(self, workspace_id: str) -> None:
        with self._connect() as conn:
            conn.execute("DELETE FROM workspace WHERE id = %s", (workspace_id,))

    def _lock_head(self, conn: psycopg.Connection, workspace_id: str) -> int:
        row = conn.execute("SELECT head FROM workspace WHERE id = %s FOR UPDATE", (workspace_id,)).fetchone()
        if row is None:
            raise WorkspaceNotFound(f"workspace {workspace_id}: not found; open one from the Workspaces page")
        return row["head"]

    def _content(self, conn: psycopg.Connection, workspace_id: str, version: int) -> Content:
        row = conn.execute(
            "SELECT content FROM workspace_version WHERE workspace_id = %s AND version = %s", (workspace_id, version)
        ).fetchone()
        if row is None:
            raise WorkspaceNotFound(f"workspace {workspace_id}: has no version {version}")
        return row["content"]

    def _write(self, conn, workspace_id: str, version: int, content: Content, author: str, summary: str,
               restored_from: int | None = None) -> None:
        conn.execute(
            "INSERT INTO workspace_version (workspace_id, version, author, summary, content, restored_from)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            (workspace_id, version, clean_author(author), " ".join(summary.split())[:500] or "changed",
             Jsonb(content), restored_from),
        )
        conn.execute(
            "UPDATE workspace SET head = %s, name = %s WHERE id = %s",
            (version, content.get("name") or "Untitled workspace", workspace_id),
        )


def dumps(content: Content) -> str:
    return json.dumps(content, indent=2, sort_keys=True, ensure_ascii=False)
