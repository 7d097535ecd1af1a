"""Connection strings and read-only connections to a user's PostgreSQL: the one place a DSN is read.

Accepted forms: libpq URLs (`postgresql://`, `postgres://`), SQLAlchemy URLs (`postgresql+psycopg://`,
`postgresql+psycopg2://`) and libpq `key=value` conninfo. `parse()` reads any of them into SQLAlchemy's
URL type, and everything shown, logged, stored or raised is `redact()`ed: the URL's
render_as_string(hide_password=True), with a password given as a query or conninfo parameter moved
into the URL so it is hidden too. What is connected to is the user's own string, only its scheme made
libpq's (`libpq_dsn`): re-rendering a URL would re-quote its parts, and libpq reads the original
exactly.

The analyzers never import this module: live reads reach them as a `reader(url)`, a function of a
statement timeout that opens a read-only connection.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import conninfo as pg_conninfo
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from studio.errors import SourceError
from studio.sql import literal

APPLICATION_NAME = "schema-studio"
UNREADABLE = "<unreadable connection string>"
NOT_A_DSN = (
    "the connection string is not a PostgreSQL URL or key=value conninfo: use postgresql://user@host:5432/dbname"
)
# libpq parameters that hold a secret: never shown, and scrubbed from any message
SECRET_PARAMETERS = ("password", "sslpassword")
# parameters a URL names in its netloc and path, not its query
_URL_PARTS = {"user", "password", "host", "port", "dbname"}

_SCHEME = re.compile(r"^(postgres|postgresql)(\+[A-Za-z0-9_]+)?://", re.IGNORECASE)
_USERINFO_PASSWORD = re.compile(r"^[^/?#@]*?:([^/?#@]*)@")

# a socket folder or host list reads as the user wrote it; these need no escape in a URL's query
_READABLE = {"%2F": "/", "%2C": ",", "%3A": ":"}
_QUERY_ESCAPES = re.compile("|".join(_READABLE), re.IGNORECASE)


def is_url(dsn: str) -> bool:
    return bool(_SCHEME.match(dsn.strip()))


def libpq_dsn(dsn: str) -> str:
    """The connection string libpq understands: SQLAlchemy's `+driver` and `postgres://` unified."""
    dsn = dsn.strip()
    return _SCHEME.sub("postgresql://", dsn, count=1) if is_url(dsn) else dsn


def parse(dsn: str) -> URL:
    """Any accepted form as a SQLAlchemy URL whose `password` holds the password, wherever it was given.

    Raises SourceError naming what to use when libpq cannot read it either."""
    dsn = dsn.strip()
    if is_url(dsn):
        try:
            url = make_url(dsn)
        except (ArgumentError, ValueError):  # a libpq host list (h1:5432,h2:5433) SQLAlchemy cannot read
            url = _from_parameters(_libpq_parameters(dsn), drivername=_SCHEME.match(dsn).group(0)[:-3])
        if url.password == "":  # postgresql://user:@host: no password given
            url = url._replace(password=None)  # URL.set() reads None as "unchanged"
        given = url.query.get("password")
        if given and url.password is None:
            url = url.set(username=url.username or "", password=given if isinstance(given, str) else given[0])
        return url.difference_update_query(SECRET_PARAMETERS)
    return _from_parameters(_libpq_parameters(dsn), drivername="postgresql")


def redact(dsn: str) -> str:
    """The connection string with its password shown as *** (safe to show, log or store)."""
    try:
        shown = parse(dsn).render_as_string(hide_password=True)
    except SourceError:
        return UNREADABLE
    address, question, query = shown.partition("?")
    return address + question + _QUERY_ESCAPES.sub(lambda m: _READABLE[m.group(0).upper()], query)


def with_password(dsn: str, password: str) -> str:
    """The connection string with `password` set (URL or key=value form); unchanged when empty."""
    if not password:
        return dsn
    dsn = dsn.strip()
    if is_url(dsn):
        parts = urlsplit(dsn)
        userinfo, at, hosts = parts.netloc.rpartition("@")
        user = userinfo.split(":", 1)[0] if at else ""
        netloc = f"{user}:{quote(password, safe='')}@{hosts}"
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return pg_conninfo.make_conninfo(dsn, password=password)


def scrub(text: str, dsn: str) -> str:
    """`text` with every secret of `dsn` replaced by ***, as parsed and as the user typed it."""
    for secret in sorted(_secrets(dsn), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def _secrets(dsn: str) -> set[str]:
    found: set[str] = set()
    with contextlib.suppress(SourceError):
        found.update(str(v) for k, v in _libpq_parameters(dsn).items() if k in SECRET_PARAMETERS and v)
    with contextlib.suppress(SourceError):
        password = parse(dsn).password
        if password:
            found.add(str(password))
    if is_url(dsn) and (typed := _USERINFO_PASSWORD.match(_SCHEME.sub("", dsn.strip(), count=1))):
        found.add(typed.group(1))
    return {s for s in found if s}


def _libpq_parameters(dsn: str) -> dict[str, str]:
    try:
        return {k: str(v) for k, v in pg_conninfo.conninfo_to_dict(libpq_dsn(dsn)).items()}
    except psycopg.ProgrammingError:
        raise SourceError(NOT_A_DSN) from None


def _from_parameters(params: dict[str, str], *, drivername: str) -> URL:
    """libpq parameters as a URL: one host and port in the netloc, a host list or socket folder in the query."""
    host, port = params.get("host"), params.get("port")
    in_netloc = bool(host) and "," not in host and "/" not in host and (not port or port.isdigit())
    query = {k: v for k, v in params.items() if k not in _URL_PARTS}
    if not in_netloc:
        query.update({k: params[k] for k in ("host", "port") if params.get(k)})
    return URL.create(
        drivername,
        username=params.get("user") or ("" if params.get("password") else None),  # "" shows :***@
        password=params.get("password"),
        host=host if in_netloc else None,
        port=int(port) if in_netloc and port else None,
        database=params.get("dbname"),
        query=query,
    )


def _connect_failure(exc: psycopg.Error, dsn: str, connect_timeout_s: int) -> SourceError:
    """One line naming the server and saying what to do, never the password."""
    where = redact(dsn)
    raw = str(exc)
    low = raw.lower()
    user = re.search(r'for user "([^"]*)"', raw)
    if "password authentication failed" in low:
        who = user.group(1) if user else "?"
        msg = f"password authentication failed for user {who} at {where}: check the user name and password"
    elif "no password supplied" in low:
        msg = f"{where} asks for a password: put it in the URL, PGPASSWORD or ~/.pgpass"
    elif (m := re.search(r'role "([^"]*)" does not exist', raw)) is not None:
        msg = f"role {m.group(1)} does not exist at {where}: check the user name"
    elif (m := re.search(r'database "([^"]*)" does not exist', raw)) is not None:
        msg = f"database {m.group(1)} does not exist at {where}: check the database name"
    elif "timeout expired" in low or "timed out" in low:
        msg = (
            f"could not connect to {where} within the connect timeout of {connect_timeout_s} s "
            "(is the host reachable? raise the connect timeout for a slow network)"
        )
    elif "connection refused" in low:
        msg = f"could not connect to {where}: connection refused (is the server running and reachable?)"
    elif "no such file or directory" in low:
        msg = f"could not connect to {where}: no server socket there (is the server running? check the host)"
    elif "could not translate host name" in low or "name or service not known" in low:
        msg = f"could not connect to {where}: unknown host name (check the host)"
    elif "no pg_hba.conf entry" in low:
        msg = f"{where} does not accept this user from here (no pg_hba.conf entry): ask its administrator"
    elif "invalid" in low and ("connection" in low or "dsn" in low or "uri" in low):
        msg = f"not a valid PostgreSQL connection string {where}: use postgresql://user@host:5432/dbname"
    else:
        first = next((line.strip() for line in raw.splitlines() if line.strip()), type(exc).__name__)
        msg = f"could not connect to {where}: {first}"
    return SourceError(scrub(msg, dsn))


@contextlib.contextmanager
def connect_readonly(
    url: str,
    *,
    statement_timeout_ms: int = 60000,
    connect_timeout_s: int = 10,
    snapshot: str | None = None,
) -> Iterator[psycopg.Connection]:
    """A connection inside a READ ONLY, REPEATABLE READ transaction with a statement timeout.

    With `snapshot` (from pg_export_snapshot() in another such transaction) it sees exactly
    what that transaction sees. The transaction is rolled back and the connection closed on
    exit. Connection failures become a one-line SourceError without the password.
    """
    dsn = libpq_dsn(url)
    timeout = int(_libpq_parameters(dsn).get("connect_timeout") or connect_timeout_s)
    try:
        conn = psycopg.connect(
            dsn, autocommit=True, connect_timeout=timeout, application_name=APPLICATION_NAME
        )
    except psycopg.Error as exc:
        raise _connect_failure(exc, url, timeout) from None
    try:
        conn.execute(
            "SELECT set_config('statement_timeout', %s, false),"
            " set_config('default_transaction_read_only', 'on', false)",
            (f"{int(statement_timeout_ms)}ms",),
        )
        conn.autocommit = False
        conn.read_only = True
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        if snapshot:
            conn.execute(f"SET TRANSACTION SNAPSHOT {literal(snapshot)}")
        yield conn
    finally:
        with contextlib.suppress(psycopg.Error):
            conn.rollback()
        conn.close()


def reader(url: str) -> Callable[[float], AbstractContextManager[psycopg.Connection]]:
    """What the analyzers take for live reads (their `Connect`): reader(url)(statement_timeout_s) opens a
    read-only connection."""

    def connect(statement_timeout_s: float) -> AbstractContextManager[psycopg.Connection]:
        return connect_readonly(url, statement_timeout_ms=int(statement_timeout_s * 1000))

    return connect
