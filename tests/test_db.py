"""studio.db: every accepted connection-string form parsed into one URL, and its password never shown.

Passwords are generated (any printable text, quotes, spaces, %, @, /, ?, # and non-ASCII included) and
put into each form the way a user would write it; the redacted string, scrubbed messages and connection
errors must never contain them. Connections run against the embedded server.
"""

from __future__ import annotations

import logging
import socket
from urllib.parse import quote

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from psycopg import conninfo

from studio import db
from studio.errors import SourceError
from studio.sources import postgres

# long enough that it cannot occur by chance in a host, user or database name of the forms below
passwords = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=6, max_size=24
).filter(lambda p: p.strip() == p and "***" not in p)


def _forms(password: str, host: str = "db.example", port: int = 5432) -> dict[str, str]:
    encoded = quote(password, safe="")
    return {
        "libpq URL": f"postgresql://app:{encoded}@{host}:{port}/prod?sslmode=prefer",
        "SQLAlchemy URL": f"postgresql+psycopg://app:{encoded}@{host}:{port}/prod",
        "password in the query": f"postgres://app@{host}:{port}/prod?password={encoded}",
        "host list": f"postgresql://app:{encoded}@{host}:{port},{host}:{port}/prod",
        "key=value": conninfo.make_conninfo(host=host, port=str(port), user="app", password=password, dbname="prod"),
    }


@pytest.mark.parametrize(
    ("dsn", "shown"),
    [
        ("postgresql://app:s3cret@db.example:5432/prod", "postgresql://app:***@db.example:5432/prod"),
        (
            "postgresql+psycopg://app:s3cret@db.example/prod?sslmode=require",
            "postgresql+psycopg://app:***@db.example/prod?sslmode=require",
        ),
        ("postgresql://app@h/prod?password=s3cret&sslmode=require", "postgresql://app:***@h/prod?sslmode=require"),
        ("postgresql://app@h/prod?sslpassword=s3cret", "postgresql://app@h/prod"),
        ("postgresql://:s3cret@h/prod", "postgresql://:***@h/prod"),
        ("postgresql://app@db.example/prod", "postgresql://app@db.example/prod"),
        ("postgresql://app:@db.example/prod", "postgresql://app@db.example/prod"),
        ("host=db.example user=app password=s3cret dbname=prod", "postgresql://app:***@db.example/prod"),
        ("host=db.example password='s3 cret' dbname=prod", "postgresql://:***@db.example/prod"),
        ("host=/run/pg user=app dbname=prod", "postgresql://app@/prod?host=/run/pg"),
        (
            "postgresql://app:s3cret@h1:5432,h2:5433/prod",
            "postgresql://app:***@/prod?host=h1,h2&port=5432,5433",
        ),
    ],
)
def test_redact_shows_every_form_as_a_url_without_the_password(dsn, shown):
    assert db.redact(dsn) == shown
    assert "s3" not in db.redact(dsn)


def test_an_unreadable_string_is_neither_shown_nor_connected():
    broken = "host=x password=s3cret = broken '"
    assert db.redact(broken) == db.UNREADABLE
    with pytest.raises(SourceError, match="not a PostgreSQL URL or key=value conninfo") as info:
        db.parse(broken)
    assert "s3cret" not in str(info.value)


@settings(max_examples=150, deadline=None)
@given(password=passwords)
def test_a_generated_password_is_read_in_every_form_and_never_shown(password):
    for form, dsn in _forms(password).items():
        url = db.parse(dsn)
        assert url.password == password, form
        assert (url.username, url.database) == ("app", "prod"), form
        assert password not in db.redact(dsn), form
        assert "***" in db.redact(dsn), form
        assert password not in db.scrub(f"the server said: {password} rejected", dsn), form


@settings(max_examples=60, deadline=None)
@given(password=passwords)
def test_with_password_round_trips_through_libpq(password):
    for dsn in ("postgresql://ann@db:5432/x", "postgresql+psycopg://ann:old@db/x", "host=db user=ann dbname=x"):
        full = db.with_password(dsn, password)
        assert conninfo.conninfo_to_dict(db.libpq_dsn(full))["password"] == password, dsn
        assert db.parse(full).password == password, dsn
        assert password not in db.redact(full), dsn


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("form", list(_forms("x" * 6)))
def test_connection_errors_and_logs_never_name_the_password(form, caplog):
    password = "Pw-%@/?# é'\"x"
    dsn = _forms(password, "127.0.0.1", _closed_port())[form]
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SourceError) as info:
        postgres.introspect(dsn, connect_timeout_s=3)
    message = str(info.value)
    assert "connection refused" in message and "127.0.0.1" in message
    assert password not in message and quote(password, safe="") not in message
    assert password not in caplog.text and quote(password, safe="") not in caplog.text


def test_reader_opens_a_read_only_connection_with_the_timeout(scratch_db):
    scratch_db.execute("CREATE TABLE t (id int)")
    with db.reader(scratch_db.url)(1.234) as conn:
        assert conn.execute("SHOW statement_timeout").fetchone()[0] == "1234ms"
        assert conn.execute("SHOW application_name").fetchone()[0] == db.APPLICATION_NAME
        assert conn.execute("SHOW transaction_read_only").fetchone()[0] == "on"
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("INSERT INTO t VALUES (1)")
