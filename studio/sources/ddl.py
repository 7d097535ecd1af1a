"""Load an untrusted DDL file into a throwaway sandbox database and introspect it.

Security: the file runs as a fresh role created for this sandbox (LOGIN, no superuser, no
CREATEDB/CREATEROLE, member of nothing) that owns only the sandbox database, with a statement
timeout enforced by the server and by a client-side watchdog. So `COPY ... PROGRAM`,
`pg_read_file`, `ALTER SYSTEM`, `CREATE ROLE`, untrusted languages are refused by PostgreSQL
itself. psql is never run: the script is split here and psql meta-commands (`\\!`, `\\i`, `\\copy`,
...) are never executed. Extensions the file asks for are created by the administrator only from
a fixed safe list, with names parsed out of the file and quoted.

Loading policy: every statement is tried; what fails is skipped and reported as a Note with its
line: level "error" for syntax errors and failures we cannot explain, "warning" for what was
refused or skipped because a piece is missing (extension, role, an earlier skipped object),
"info" for what was ignored on purpose (OWNER TO, \\c, CREATE DATABASE, timeouts). A syntax error
is fatal only when nothing loaded (no table): then SourceError carries the first error as
`<file> line N: <PostgreSQL's message>`.

Encoding: UTF-8 (a BOM is accepted). A file that is not valid UTF-8 but declares
`SET client_encoding = '<enc>'` (as pg_dump writes) is decoded with that encoding.

Size: files over SCHEMA_STUDIO_MAX_DDL_MB megabytes (default 200) are refused.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import conninfo, errors

from studio.catalog import Catalog, Note
from studio.errors import SourceError
from studio.sources import ddl_extensions as extensions
from studio.sources import ddl_standins as standins
from studio.sources import embedded, postgres
from studio.sources.ddl_script import Statement, split
from studio.sql import ident, literal
from studio.units import human_bytes

log = logging.getLogger(__name__)

MAX_MB_ENV = "SCHEMA_STUDIO_MAX_DDL_MB"
DEFAULT_MAX_MB = 200
STATEMENT_TIMEOUT_S = 60
BATCH_SIZE = 200  # statements per round trip and transaction: bounded so the lock table never overflows


# Input ------------------------------------------------------------------------------------------


def _max_mb() -> float:
    raw = os.environ.get(MAX_MB_ENV)
    try:
        mb = float(raw) if raw else DEFAULT_MAX_MB
    except ValueError:
        mb = -1
    if mb <= 0:
        raise SourceError(f"{MAX_MB_ENV}={raw!r} is not a positive number of megabytes: set it to e.g. 200")
    return mb


def max_bytes() -> int:
    return int(_max_mb() * 1024 * 1024)


def _check_size(size: int, name: str) -> None:
    if size > max_bytes():
        raise SourceError(
            f"{name} is {human_bytes(size)}, over the {_max_mb():g} MB limit for DDL files: "
            f"give a schema-only dump (pg_dump --schema-only) or raise {MAX_MB_ENV}"
        )


_ENCODING_DECLARATION = re.compile(rb"^SET\s+client_encoding\s*=\s*'([A-Za-z0-9_-]+)'", re.M | re.I)
_PG_TO_PYTHON = {
    "LATIN1": "latin-1",
    "LATIN9": "iso8859-15",
    "WIN1252": "cp1252",
    "WIN1250": "cp1250",
    "WIN1251": "cp1251",
    "SQL_ASCII": "latin-1",
    "EUC_JP": "euc_jp",
    "SJIS": "shift_jis",
    "GBK": "gbk",
    "BIG5": "big5",
    "KOI8R": "koi8_r",
}


def decode(data: bytes, name: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceError(
            f"{name} is UTF-16 text: re-encode it as UTF-8, e.g. iconv -f UTF-16 -t UTF-8 {name} > utf8-{name}"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        declared = _ENCODING_DECLARATION.search(data[:65536])
        codec = _PG_TO_PYTHON.get(declared.group(1).decode().upper().replace("-", "")) if declared else None
        if codec:
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                pass
        line = data.count(b"\n", 0, exc.start) + 1
        raise SourceError(
            f"{name} is not UTF-8 text: byte 0x{data[exc.start]:02X} at offset {exc.start} (line {line}) "
            f"cannot be decoded; re-encode it, e.g. iconv -f LATIN1 -t UTF-8 {name} > utf8-{name}"
        ) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise SourceError(f"{name} holds a NUL byte at line {line}: it is a binary file, not SQL text")
    return text


# The sandbox ------------------------------------------------------------------------------------


@dataclass
class Loaded:
    database: str
    url: str  # for read-only use by later checks; may carry the sandbox role's password: never show it
    catalog: Catalog
    role: str = ""
    text: str = field(default="", repr=False)  # the DDL as loaded, so a workspace can keep the file itself
    filename: str = ""
    # statements PostgreSQL rejected for a reason other than a documented stand-in (also in catalog.notes)
    failures: tuple[Note, ...] = ()
    _dropped: bool = field(default=False, repr=False)

    def drop(self) -> None:
        if not self._dropped:
            _drop_sandbox(self.database, self.role)
            self._dropped = True

    def __enter__(self) -> Loaded:
        return self

    def __exit__(self, *exc) -> None:
        self.drop()


def _role_url(database: str, role: str, password: str | None) -> str:
    params = conninfo.conninfo_to_dict(embedded.admin_url(database))
    host = str(params.pop("host", "") or "")
    port = params.pop("port", None)
    for key in ("user", "password", "dbname"):
        params.pop(key, None)
    query = {k: str(v) for k, v in params.items()}
    netloc = quote(role, safe="")
    if password:
        netloc += ":" + quote(password, safe="")
    netloc += "@"
    if host and not host.startswith("/"):
        netloc += host + (f":{port}" if port else "")
    else:
        if host:
            query["host"] = host
        if port:
            query["port"] = str(port)
    q = "&".join(f"{k}={quote(v, safe='/')}" for k, v in query.items())
    return f"postgresql://{netloc}/{quote(database, safe='')}" + (f"?{q}" if q else "")


def _create_sandbox(statement_timeout_s: int) -> tuple[str, str, str]:
    name = f"studio_sandbox_{secrets.token_hex(6)}"
    password = None if embedded.is_embedded() else secrets.token_urlsafe(24)
    with embedded.connect() as admin, embedded.creating_sandbox(admin):
        options = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT CONNECTION LIMIT 16"
        if password:
            options += f" PASSWORD {literal(password)}"
        admin.execute(f"CREATE ROLE {ident(name)} {options}")
        try:
            for setting, value in (
                ("statement_timeout", f"{statement_timeout_s}s"),
                ("idle_in_transaction_session_timeout", f"{statement_timeout_s * 2}s"),
                ("temp_file_limit", "1GB"),
            ):
                admin.execute(f"ALTER ROLE {ident(name)} SET {setting} = {literal(value)}")
            admin.execute(
                f"CREATE DATABASE {ident(name)} OWNER {ident(name)} TEMPLATE template0 ENCODING 'UTF8'"
            )
            admin.execute(f"REVOKE ALL ON DATABASE {ident(name)} FROM PUBLIC")
            admin.execute(f"GRANT CONNECT, TEMPORARY ON DATABASE {ident(name)} TO {ident(name)}")
        except psycopg.Error:
            _drop_sandbox(name, name)
            raise
    return name, name, _role_url(name, name, password)


def _drop_sandbox(database: str, role: str) -> None:
    try:
        with embedded.connect() as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {ident(database)} WITH (FORCE)")
            if role:
                admin.execute(f"DROP ROLE IF EXISTS {ident(role)}")
    except psycopg.Error as exc:
        log.warning("could not drop sandbox %s: %s", database, exc)


# Loading ----------------------------------------------------------------------------------------


def load_file(path: Path, *, schemas=None, statement_timeout_s: int = STATEMENT_TIMEOUT_S) -> Loaded:
    path = Path(path)
    name = path.name
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}; check the path") from None
    if path.is_dir():
        raise SourceError(f"{path} is a folder: give a .sql file")
    _check_size(size, name)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(
            f"cannot read {path}: {exc.strerror or exc}; check the path and its permissions"
        ) from None
    return load_text(
        decode(data, name), filename=name, schemas=schemas, statement_timeout_s=statement_timeout_s
    )


def load_text(
    text: str,
    *,
    filename: str = "<input>",
    schemas=None,
    statement_timeout_s: int = STATEMENT_TIMEOUT_S,
) -> Loaded:
    _check_size(len(text.encode("utf-8", "surrogatepass")), filename)
    if text.startswith("\ufeff"):
        text = text[1:]
    statements = split(text)
    if not any(not s.is_meta for s in statements):
        raise SourceError(
            f"{filename} is empty: it holds no SQL statements; give a file with CREATE TABLE statements "
            "(e.g. from pg_dump --schema-only)"
        )
    database, role, url = _create_sandbox(statement_timeout_s)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            loader = _Loader(conn, database, statement_timeout_s)
            notes = loader.load(statements)
        catalog = postgres.introspect(url, schemas=schemas)
        if not catalog.stored_tables:
            errors_ = [n for n in notes if n.level == "error"]
            if errors_:
                first = errors_[0]
                where = f" line {first.line}" if first.line else ""
                raise SourceError(f"{filename}{where}: {first.message}")
        catalog = standins.keep_indexes(catalog, loader.approximated)
        catalog = dataclasses.replace(catalog, source=filename, notes=tuple(notes) + tuple(catalog.notes))
    except BaseException:
        _drop_sandbox(database, role)
        raise
    return Loaded(database=database, url=url, catalog=catalog, role=role, text=text, filename=filename,
                  failures=tuple(sorted(loader.failed, key=lambda n: n.line or 0)))  # fmt: skip


def failure_report(filename: str, failures) -> str:
    """`file:line: PostgreSQL's message`, one line per statement that did not load."""
    return "\n".join(f"{filename}:{n.line or '?'}: {n.message}" + (f" ({n.object})" if n.object else "")
                     for n in failures)  # fmt: skip


# Statement kinds ---------------------------------------------------------------------------------

_TRANSACTION = re.compile(
    r"\A(?:BEGIN|START\s+TRANSACTION|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE|PREPARE\s+TRANSACTION)\b",
    re.I,
)
_DATABASE = re.compile(r"\A(?:CREATE|DROP|ALTER)\s+DATABASE\b", re.I)
_IGNORED_SET = re.compile(
    r"\A(?:SET|RESET)\s+(?:SESSION\s+)?(?:statement_timeout|lock_timeout|idle_in_transaction_session_timeout|"
    r"transaction_timeout|client_encoding)\b",
    re.I,
)
_OWNER_TO = re.compile(
    r"\AALTER\s+(?!DEFAULT\s)[\s\S]*\sOWNER\s+TO\s+(?:\"(?:[^\"]|\"\")+\"|[^\s;]+)\s*\Z", re.I
)
_PRIVILEGE = re.compile(r"\A(?:GRANT|REVOKE|ALTER\s+DEFAULT\s+PRIVILEGES)\b", re.I)
_CREATE_EXTENSION = re.compile(r"\ACREATE\s+EXTENSION\b", re.I)
_QUIET_SKIP = re.compile(r"\A(?:COMMENT\s+ON\s+EXTENSION|DROP\s+EXTENSION)\b", re.I)
_ALTER_EXTENSION = re.compile(r"\AALTER\s+EXTENSION\b", re.I)
_SETTING = re.compile(r"\A(?:SET|RESET)\b", re.I)
_CREATE_SCHEMA_PUBLIC = re.compile(
    r"\ACREATE\s+SCHEMA\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:public|\"public\")\s*\Z", re.I
)

_NAME = r'(?:"(?:[^"]|"")+"|[\w$]+)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[\w$]+))?'
_CREATE_OBJECT = re.compile(
    r"\ACREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:GLOBAL|LOCAL|TEMP|TEMPORARY|UNLOGGED|UNIQUE|RECURSIVE|TRUSTED|"
    r"PROCEDURAL|CONSTRAINT|DEFAULT)\s+)*"
    r"(?P<kind>TABLE|MATERIALIZED\s+VIEW|VIEW|INDEX|TYPE|DOMAIN|FUNCTION|PROCEDURE|AGGREGATE|SEQUENCE|SCHEMA|"
    r"TRIGGER|POLICY|RULE|OPERATOR\s+CLASS|OPERATOR|COLLATION|CAST|TEXT\s+SEARCH\s+\w+|FOREIGN\s+TABLE|"
    r"PUBLICATION|SUBSCRIPTION|LANGUAGE|EVENT\s+TRIGGER|CONVERSION|STATISTICS)"
    rf"(?:\s+CONCURRENTLY)?(?:\s+IF\s+NOT\s+EXISTS)?\s+(?P<name>{_NAME})"
    rf"(?:[\s\S]*?\sON\s+(?:ONLY\s+)?(?P<on>{_NAME}))?",
    re.I,
)
_ALTER_TABLE = re.compile(
    rf"\AALTER\s+(?:TABLE|FOREIGN\s+TABLE|VIEW|MATERIALIZED\s+VIEW|SEQUENCE|INDEX|TYPE|DOMAIN|FUNCTION)"
    rf"(?:\s+IF\s+EXISTS)?(?:\s+ONLY)?\s+(?P<name>{_NAME})"
    rf"(?:[\s\S]*?\sADD\s+CONSTRAINT\s+(?P<constraint>{_NAME}))?",
    re.I,
)
_COMMENT_ON = re.compile(rf"\ACOMMENT\s+ON\s+(?P<kind>[A-Z ]+?)\s+(?P<name>{_NAME})", re.I)


def _plain(name: str | None) -> str:
    if not name:
        return ""
    parts = re.findall(r'"(?:[^"]|"")+"|[^\s."]+', name)
    return ".".join(extensions.unquote(p) for p in parts)


def describe(sql: str) -> tuple[str, str]:
    """(label for the object a statement is about, its plain name for dependency matching)."""
    if m := _CREATE_OBJECT.match(sql):
        kind = " ".join(m.group("kind").lower().split())
        name = _plain(m.group("name"))
        on = (
            f" on {_plain(m.group('on'))}"
            if m.group("on") and kind in ("index", "trigger", "policy", "rule")
            else ""
        )
        return f"{kind} {name}{on}", name
    if m := _ALTER_TABLE.match(sql):
        table = _plain(m.group("name"))
        if m.group("constraint"):
            return f"constraint {_plain(m.group('constraint'))} on {table}", ""
        return f"{table}", ""
    if m := _COMMENT_ON.match(sql):
        return f"comment on {' '.join(m.group('kind').lower().split())} {_plain(m.group('name'))}", ""
    head = " ".join(sql.split())
    return (head[:60] + "…" if len(head) > 60 else head), ""


# The loader ---------------------------------------------------------------------------------------

_CREATE_COLLATION = re.compile(rf"\ACREATE\s+COLLATION\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>{_NAME})\s*[(]", re.I)
_MISSING_COLLATION = re.compile(r'collation "(?P<name>[^"]+)" for encoding "[^"]+" does not exist')
# What an engine built without ICU says, and what stands in: same name, deterministic, byte order.
_NO_ICU = "ICU is not supported"
_C_COLLATION = "(provider = libc, locale = 'C')"
_COLLATION_STANDIN = (
    "approximated as a deterministic \"C\" collation of the same name (the embedded server has no ICU): "
    "comparisons and sorting are byte-wise, not locale-aware or case-insensitive"
)

_RETRYABLE = (
    errors.UndefinedTable,
    errors.UndefinedObject,
    errors.UndefinedFunction,
    errors.InvalidSchemaName,
    errors.UndefinedColumn,
    errors.WrongObjectType,
    errors.InvalidForeignKey,
)
_QUOTED = re.compile(r'"([^"]+)"')
_FUNCTION_NAME = re.compile(r"function ([\w.$\"]+)\(")
_WORD = re.compile(r"[A-Za-z_][\w$]*")


@dataclass
class _Failure:
    statement: Statement
    error: psycopg.Error
    search_path: str
    dropped_typmods: tuple[str, str] | None = None  # (type, modifiers) taken out of the statement for a stand-in


class _Loader:
    def __init__(self, conn: psycopg.Connection, database: str, timeout_s: int):
        self.conn = conn
        self.database = database
        self.timeout_s = timeout_s
        self.notes: list[Note] = []
        self.pending: list[Statement] = []
        self.failures: list[_Failure] = []
        self.skipped: dict[str, tuple[str, int]] = {}  # plain name -> (label, line)
        self.missing_extensions: dict[str, int] = {}
        self.owner_lines: list[int] = []
        self.privilege_failures: list[tuple[int, str]] = []
        self.meta_ignored: list[tuple[int, str]] = []
        self.available: set[str] | None = None
        self.collations_stood_in: set[str] = set()
        self.types_stood_in: set[str] = set()
        self.approximated: list = []  # (table as written, Index) the engine could not build
        self.failed: list[Note] = []  # statements PostgreSQL rejected, stand-ins in place
        conn.execute("SET check_function_bodies = off")
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET client_min_messages = error")

    # running ----------------------------------------------------------------------------------

    def _execute(self, sql: str) -> psycopg.Error | None:
        timer = threading.Timer(self.timeout_s + 5, self.conn.cancel)
        timer.start()
        try:
            self.conn.execute(sql)
            return None
        except psycopg.Error as exc:
            return exc
        finally:
            timer.cancel()

    def _search_path(self) -> str:
        return self.conn.execute("SELECT current_setting('search_path')").fetchone()[0]

    def flush(self) -> None:
        batch, self.pending = self.pending, []
        if len(batch) > 1 and self._execute(";\n".join(s.sql for s in batch)) is None:
            return
        for statement in batch:
            if (exc := self._execute(statement.sql)) is not None:
                self.failures.append(_Failure(statement, exc, self._search_path()))

    def _run_now(self, statement: Statement) -> None:
        self.flush()
        if (exc := self._execute(statement.sql)) is not None:
            self.failures.append(_Failure(statement, exc, self._search_path()))

    # the script -------------------------------------------------------------------------------

    def load(self, statements: list[Statement]) -> list[Note]:
        for statement in statements:
            self.handle(statement)
        self.flush()
        self.retry()
        self.report()
        return self.notes

    def handle(self, st: Statement) -> None:
        sql = st.sql
        if st.is_meta:
            self.meta(st)
        elif _TRANSACTION.match(sql) or _IGNORED_SET.match(sql) or _QUIET_SKIP.match(sql):
            return
        elif _DATABASE.match(sql):
            self.note("info", f"{' '.join(sql.split()[:2]).upper()} kept inside the sandbox: the file loads into one database",
                      "", st.line)  # fmt: skip
        elif _OWNER_TO.match(sql):
            self.owner_lines.append(st.line)
        elif _CREATE_EXTENSION.match(sql):
            self.flush()
            self.extension(st)
        elif _ALTER_EXTENSION.match(sql):
            self.note("info", "ALTER EXTENSION ignored in the sandbox", "", st.line)
        elif match := _CREATE_COLLATION.match(sql):
            self.flush()
            self.collation(st, match.group("name"))
        elif _CREATE_SCHEMA_PUBLIC.match(sql):
            self._run_now(Statement("CREATE SCHEMA IF NOT EXISTS public", st.line))
        elif st.copy_data is not None:
            self.flush()
            self.copy(st)
        else:
            self.pending.append(st)
            if len(self.pending) >= BATCH_SIZE:
                self.flush()

    _META_QUIET = frozenset(
        r"\set \unset \restrict \unrestrict \encoding \pset \timing \echo \qecho \warn \x \a \t \f \q \connect \c".split()
    )
    _META_INCLUDE = frozenset(r"\i \ir \include \include_relative".split())

    def meta(self, st: Statement) -> None:
        command = st.meta_command
        if command in (r"\c", r"\connect"):
            self.note("info", f"{st.sql.rstrip(';')} ignored: the sandbox is the database; loading continues in it",
                      "", st.line)  # fmt: skip
        elif command in self._META_QUIET:
            self.meta_ignored.append((st.line, command))
        elif command in self._META_INCLUDE:
            self.note("warning", f"psql meta-command {command} not followed: paste the included file's contents "
                      "into this file", "", st.line)  # fmt: skip
        else:
            self.note("warning", f"refused psql meta-command {command}: psql commands that reach the host "
                      "(shell, files, programs) are never run", "", st.line)  # fmt: skip

    def extension(self, st: Statement) -> None:
        parsed = extensions.parse_create(st.sql)
        if not parsed:
            self.note("warning", "CREATE EXTENSION statement not understood; skipped", "", st.line)
            return
        name, schema = parsed
        label = f"extension {name}"
        if self.available is None:
            with embedded.connect(self.database) as admin:
                self.available = {r[0] for r in admin.execute("SELECT name FROM pg_available_extensions")}
        if name in self.available and name in extensions.SAFE:
            try:
                with embedded.connect(self.database) as admin:
                    admin.execute(extensions.create_statement(name, schema))
                return
            except psycopg.Error as exc:
                self.note(
                    "warning", f"extension {name} could not be created: {_first_line(exc)}", label, st.line
                )
                self.missing_extensions[name] = st.line
                return
        self.missing_extensions[name] = st.line
        if name in self.available:
            self.note("warning", f"extension {name} is not on the sandbox's safe list; objects that need it are "
                      "skipped", label, st.line)  # fmt: skip
            return
        standin = extensions.STANDINS.get(name)
        if standin:
            what, make = standin
            target = schema or "public"
            failed = [exc for sql in make(target) if (exc := self._execute(sql)) is not None]
            if not failed:
                self.note("warning", f"extension {name} is not available on the sandbox server; approximated: {what}",
                          label, st.line)  # fmt: skip
                return
            self.note("warning", f"extension {name} is not available and its stand-in failed: "
                      f"{_first_line(failed[0])}", label, st.line)  # fmt: skip
            return
        self.note("warning", f"extension {name} is not available on the sandbox server; its types are stood in by "
                  "domains over text, its indexes kept unbuilt, and what still fails is skipped (each noted)",
                  label, st.line)  # fmt: skip

    def collation(self, st: Statement, name: str) -> None:
        exc = self._execute(st.sql)
        if exc is None:
            return
        if _NO_ICU not in str(exc):
            self.failures.append(_Failure(st, exc, self._search_path()))
            return
        # `name` is the file's own identifier text, matched by _NAME: quoted or a plain word
        if (standin := self._execute(f"CREATE COLLATION IF NOT EXISTS {name} {_C_COLLATION}")) is not None:
            self.failures.append(_Failure(st, standin, self._search_path()))
            return
        self.note("warning", f"collation {name}: {_COLLATION_STANDIN}", f"collation {name}", st.line)

    def stand_in_missing_collations(self) -> None:
        """Collations a statement names that the server lacks (the predefined "und-x-icu" and kin)."""
        for failure in self.failures:
            match = _MISSING_COLLATION.search(str(failure.error))
            if not match or match.group("name") in self.collations_stood_in:
                continue
            name = match.group("name")
            if self._execute(f"CREATE COLLATION IF NOT EXISTS public.{ident(name)} {_C_COLLATION}") is None:
                self.collations_stood_in.add(name)
                self.note("warning", f"collation {name}: {_COLLATION_STANDIN}; created in schema public",
                          f"collation {name}", failure.statement.line)  # fmt: skip

    def copy(self, st: Statement) -> None:
        timer = threading.Timer(self.timeout_s + 5, self.conn.cancel)
        timer.start()
        try:
            with self.conn.cursor() as cur, cur.copy(st.sql) as copy:
                copy.write(st.copy_data)
        except psycopg.Error as exc:
            self.failures.append(_Failure(st, exc, self._search_path()))
        finally:
            timer.cancel()

    # failures ---------------------------------------------------------------------------------

    def retry(self) -> None:
        """Statements that failed for want of something defined later in the file get more tries; then types
        nothing defines get stand-ins, and the statements that named them another round."""
        original = self._search_path()
        self.stand_in_missing_collations()
        self._retry_rounds()
        for _ in range(8):  # a statement may name several missing types, one error at a time
            if not self.stand_in_missing_types():
                break
            self._retry_rounds()
        self.conn.execute("SELECT set_config('search_path', %s, false)", (original,))

    def _retry_rounds(self) -> None:
        for _ in range(3):
            retryable = [
                f for f in self.failures
                if isinstance(f.error, _RETRYABLE) and not _PRIVILEGE.match(f.statement.sql)
                and f.statement.copy_data is None
            ]  # fmt: skip
            if not retryable:
                break
            progress = False
            for failure in retryable:
                self.conn.execute("SELECT set_config('search_path', %s, false)", (failure.search_path,))
                exc = self._execute(failure.statement.sql)
                for _ in range(len(self.types_stood_in)):  # each rewrite takes one type's modifiers out
                    refused = standins.TYPMOD_REFUSED.search(str(exc)) if exc is not None else None
                    if not refused or refused.group("name").rpartition(".")[2] not in self.types_stood_in:
                        break
                    exc = self._without_typmods(failure, refused.group("name"))
                if exc is None:
                    self.failures.remove(failure)
                    progress = True
                    if failure.dropped_typmods:
                        label, _ = describe(failure.statement.sql)
                        type_name, dropped = failure.dropped_typmods
                        self.note("warning", f"{label}: type modifiers {dropped} dropped (the stand-in domains of "
                                  f"{type_name} take none)", label, failure.statement.line)  # fmt: skip
                else:
                    failure.error = exc
            if not progress:
                break

    def stand_in_missing_types(self) -> bool:
        """A domain over text for each type the failed statements name that nothing in the file creates, when the
        file asked for an extension the engine lacks (the type is taken to be that extension's; without one, a
        missing type is the file's own error and is reported as such)."""
        if not self.missing_extensions:
            return False
        defined = {describe(f.statement.sql)[1].lower().rpartition(".")[2] for f in self.failures
                   if re.match(r"\s*CREATE\s+(TYPE|DOMAIN)\b", f.statement.sql, re.I)}
        made = False
        for failure in self.failures:
            match = standins.MISSING_TYPE.search(str(failure.error))
            if not match or failure.statement.copy_data is not None:
                continue
            name = match.group("name")
            plain = name.rpartition(".")[2]
            if plain in self.types_stood_in or plain.lower() in defined:
                continue
            if self._execute(standins.domain_statement(name)) is None:
                self.types_stood_in.add(plain)
                made = True
                needed = ", ".join(sorted(self.missing_extensions))
                self.note("warning", f"type {name}: {standins.TYPE_NOTE} (taken to come from {needed})",
                          f"type {name}", failure.statement.line)  # fmt: skip
        return made

    def _without_typmods(self, failure: _Failure, type_name: str) -> psycopg.Error | None:
        sql, dropped = standins.without_typmods(failure.statement.sql, type_name)
        if sql == failure.statement.sql:
            return failure.error
        failure.statement = dataclasses.replace(failure.statement, sql=sql)
        types, modifiers = failure.dropped_typmods or ("", "")
        failure.dropped_typmods = (", ".join(filter(None, [types, type_name])),
                                   ", ".join(filter(None, [modifiers, *dict.fromkeys(dropped)])))
        failure.error = self._execute(sql)
        return failure.error

    def report(self) -> None:
        for failure in self.failures:
            self.explain(failure)
        if self.owner_lines:
            self.note("info", f"{len(self.owner_lines)} OWNER TO statement(s) ignored: the sandbox role owns every "
                      f"object (first at line {self.owner_lines[0]})", "", self.owner_lines[0])  # fmt: skip
        if self.privilege_failures:
            roles = sorted({r for _, r in self.privilege_failures if r})
            first = self.privilege_failures[0][0]
            why = (
                f"role(s) {', '.join(roles)} do not exist in the sandbox"
                if roles
                else "not allowed in the sandbox"
            )
            self.note("info", f"{len(self.privilege_failures)} GRANT/REVOKE/ALTER DEFAULT PRIVILEGES statement(s) "
                      f"skipped: {why}; privileges are not part of the model (first at line {first})", "", first)  # fmt: skip
        if self.meta_ignored:
            commands = sorted({c for _, c in self.meta_ignored})
            self.note("info", f"{len(self.meta_ignored)} psql meta-command(s) ignored ({', '.join(commands)})", "",
                      self.meta_ignored[0][0])  # fmt: skip
        self.notes.sort(key=lambda n: n.line or 0)

    def explain(self, failure: _Failure) -> None:
        st, exc = failure.statement, failure.error
        message = _first_line(exc)
        label, name = describe(st.sql)
        if name:
            self.skipped.setdefault(name.lower(), (label, st.line))
        line = _error_line(st, exc)
        role = re.match(r'role "(.+)" does not exist', message)
        if _PRIVILEGE.match(st.sql):
            self.privilege_failures.append((st.line, role.group(1) if role else ""))
            return
        if _SETTING.match(st.sql):
            self.note("info", f"{' '.join(st.sql.split())[:80]} ignored: {message}", "", line)
            return
        if isinstance(exc, errors.SyntaxError):
            self.note("error", message, label, line)
            return
        if isinstance(exc, errors.InsufficientPrivilege) or "must be superuser" in message:
            self.note(
                "warning", f"refused: {message} (the file runs as an unprivileged sandbox role)", label, line
            )
            return
        if standins.MISSING_INDEX_SUPPORT.search(message) and (kept := standins.approximated_index(st.sql, message)):
            self.approximated.append(kept)
            cause = self.cause(message, st.sql)
            self.note("warning", f"approximated: {message}{f' ({cause})' if cause else ''}; the index is kept in the "
                      "model with its definition but not built in the sandbox", label, line)  # fmt: skip
            return
        if isinstance(exc, errors.QueryCanceled):
            self.note(
                "error", f"stopped after the {self.timeout_s} s statement timeout: {message}", label, line
            )
            return
        cause = self.cause(message, st.sql)
        if cause:
            self.note("warning", f"skipped: {message} ({cause})", label, line, failed=True)
        elif role:
            self.note("warning", f"skipped: {message} (roles are not created in the sandbox)", label, line,
                      failed=True)  # fmt: skip
        elif isinstance(exc, (errors.DuplicateObject, errors.DuplicateTable, errors.DuplicateFunction,
                              errors.DuplicateSchema)):  # fmt: skip
            self.note("warning", f"skipped: {message}", label, line)  # the object exists: nothing is lost
        else:
            self.note("error", message, label, line)

    def cause(self, message: str, sql: str) -> str:
        needed = sorted(
            {ext for word in _WORD.findall(sql) if (ext := extensions.PROVIDED_BY.get(word.lower()))}
            & set(self.missing_extensions)
            | {ext for ext, method in (("btree_gin", "gin"), ("btree_gist", "gist"))
               if ext in self.missing_extensions and f'access method "{method}"' in message}
        )  # fmt: skip
        if needed:
            plural = "s" if len(needed) > 1 else ""
            return f"needs extension{plural} {', '.join(needed)}, not available on the sandbox server"
        names = _QUOTED.findall(message) + _FUNCTION_NAME.findall(message)
        for raw in names:
            plain = raw.replace('"', "").lower()
            for key in (plain, plain.rsplit(".", 1)[-1]):
                for skipped, (label, line) in self.skipped.items():
                    if skipped == key or skipped.rsplit(".", 1)[-1] == key:
                        return f"skipped because {label} (line {line}) was skipped"
        return ""

    def note(self, level: str, message: str, obj: str = "", line: int | None = None, *, failed: bool = False) -> None:
        note = Note(level, message, obj, line)
        self.notes.append(note)
        if failed or level == "error":
            self.failed.append(note)


def _first_line(exc: BaseException) -> str:
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag else None
    text = primary or str(exc)
    return (text.strip().splitlines() or [type(exc).__name__])[0]


def _error_line(st: Statement, exc: psycopg.Error) -> int:
    """The file line PostgreSQL points at: statement start plus the error position's line offset."""
    diag = getattr(exc, "diag", None)
    position = getattr(diag, "statement_position", None) if diag else None
    if position and str(position).isdigit():
        return st.line + st.sql.count("\n", 0, int(position) - 1)
    context = getattr(diag, "context", None) if diag else None
    if st.copy_data is not None and context and (m := re.search(r"line (\d+)", context)):
        return st.line + int(m.group(1))
    return st.line
