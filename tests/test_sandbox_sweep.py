"""The stale-sandbox sweep never takes a role from a sandbox being created.

A sandbox's role exists a moment before the database it owns. The sweep (run by every studio process)
drops sandbox roles that own no database, so without a lock it could drop a role between its CREATE
ROLE and CREATE DATABASE in another process ("role ... was concurrently dropped", seen in CI).
"""

from __future__ import annotations

import secrets
import time

from studio.sources import ddl, embedded
from studio.sql import ident


def _role_exists(conn, name: str) -> bool:
    return conn.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", (name,)).fetchone()[0] == 1


def test_a_role_of_a_sandbox_being_created_survives_the_sweep_and_is_swept_after():
    name = f"studio_sandbox_{secrets.token_hex(6)}"
    with embedded.connect() as creator, embedded.connect() as observer:
        with embedded.creating_sandbox(creator):
            creator.execute(f"CREATE ROLE {ident(name)} NOLOGIN")
            embedded.sweep_stale()
            assert _role_exists(observer, name), "the sweep dropped the role of a sandbox being created"
        for _ in range(100):  # another test process may be creating a sandbox at this moment: sweep again
            embedded.sweep_stale()
            if not _role_exists(observer, name):
                break
            time.sleep(0.1)
        assert not _role_exists(observer, name), "a role owning no database, with no creator, is swept"


def test_a_sandbox_made_while_sweeps_run_is_whole():
    database, role, _ = ddl._create_sandbox(30)
    try:
        embedded.sweep_stale()
        with embedded.connect() as conn:
            owner = conn.execute(
                "SELECT r.rolname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE d.datname = %s",
                (database,),
            ).fetchone()
        assert owner == (role,)
    finally:
        ddl._drop_sandbox(database, role)
