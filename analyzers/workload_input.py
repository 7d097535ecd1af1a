"""Query patterns in: a .sql file or pasted text, or the top statements of `pg_stat_statements`.

Text is split into statements as psql splits a script (`studio.sources.ddl_script`, the one reading
of PostgreSQL's strings, E'' strings, quoted identifiers, dollar quotes and nested comments). Named parameters (`:name`)
are rewritten to positional ones (`$n`, after the statement's own highest `$n`), so every
statement can be parsed by sqlglot and explained by PostgreSQL (`EXPLAIN (GENERIC_PLAN)`).
A statement sqlglot cannot parse is kept with its number, line and the parser's message:
never dropped silently.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import sqlglot
from sqlglot import exp

from analyzers.context import Connect
from studio.errors import ConfigError
from studio.sources.ddl_script import skip_quoted
from studio.sources.ddl_script import split as split_script
from studio.sql import qualified

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_POSITIONAL = re.compile(r"\$([0-9]+)")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
MAX_QUERY_BYTES = 5 * 1024 * 1024
QUERY_KINDS = (exp.Query, exp.Insert, exp.Update, exp.Delete, exp.Merge)


@dataclass(frozen=True)
class Statement:
    number: int  # 1-based position in the input
    text: str  # as written (trimmed)
    sql: str  # `:name` parameters rewritten to `$n`
    line: int  # 1-based line of the input where it starts
    parameters: tuple[str, ...] = ()  # `:name` parameters in `$n` order after the positional ones
    calls: int | None = None  # from pg_stat_statements
    total_ms: float | None = None
    mean_ms: float | None = None

    @property
    def first_line(self) -> str:
        return next((ln.strip() for ln in self.text.splitlines() if ln.strip()), "")

    @property
    def label(self) -> str:
        return f"statement {self.number} (line {self.line})"


@dataclass(frozen=True)
class ParseProblem:
    statement: Statement
    line: int  # line of the input
    column: int | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return (
            f"statement {self.statement.number} ({where}) was not analyzed: {self.message}; "
            f"it begins `{self.statement.first_line[:80]}`"
        )


@dataclass(frozen=True)
class Workload:
    statements: tuple[Statement, ...] = ()
    parsed: dict = field(default_factory=dict, compare=False)  # statement number -> sqlglot expression
    problems: tuple[ParseProblem, ...] = ()
    origin: str = "queries"
    notes: tuple[str, ...] = ()

    def expression(self, number: int) -> exp.Expression | None:
        return self.parsed.get(number)


# Splitting -------------------------------------------------------------------------------------


def _code_positions(text: str) -> list[bool]:
    """For each character: True when it is code (outside strings, quoted names and comments)."""
    code = [True] * len(text)
    i = 0
    while i < len(text):
        end = skip_quoted(text, i)
        if end is None:
            i += 1
            continue
        code[i:end] = [False] * (end - i)
        i = end
    return code


def rewrite_named(sql: str) -> tuple[str, tuple[str, ...]]:
    """`:name` parameters as `$n` numbered after the highest `$n` already used (same name, same n)."""
    code = _code_positions(sql)
    highest = max((int(m.group(1)) for m in _POSITIONAL.finditer(sql) if code[m.start()]), default=0)
    names: list[str] = []
    out, i = [], 0
    while i < len(sql):
        ch = sql[i]
        if (
            ch == ":"
            and code[i]
            and (i == 0 or sql[i - 1] != ":")
            and (m := _NAME.match(sql, i + 1))
            and not (i > 0 and sql[i - 1] == "[")
        ):
            name = m.group(0)
            if name not in names:
                names.append(name)
            out.append(f"${highest + names.index(name) + 1}")
            i = m.end()
            continue
        out.append(ch)
        i += 1
    return "".join(out), tuple(names)


def _is_blank(sql: str) -> bool:
    code = _code_positions(sql)
    return not any(c.strip() and code[k] for k, c in enumerate(sql))


def split(text: str) -> list[Statement]:
    """The statements of `text`, numbered from 1, each with the line it starts on (split as psql splits a
    script; its meta-commands are no statements)."""
    statements = []
    for found in split_script(text):
        body = found.sql.strip()
        if found.is_meta or _is_blank(body):
            continue
        sql, names = rewrite_named(body)
        statements.append(Statement(len(statements) + 1, body, sql, found.line, names))
    return statements


# Parsing ---------------------------------------------------------------------------------------


def parse(statement: Statement) -> tuple[exp.Expression | None, ParseProblem | None]:
    """sqlglot's PostgreSQL reading of a statement, or the problem that stops it."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)  # sqlglot warns when it falls back to an opaque Command
    try:
        tree = sqlglot.parse_one(statement.sql, read="postgres")
    except sqlglot.errors.SqlglotError as exc:
        detail = (getattr(exc, "errors", None) or [{}])[0]
        line = statement.line + max(0, int(detail.get("line") or 1) - 1)
        message = _ANSI.sub("", detail.get("description") or str(exc).splitlines()[0])
        return None, ParseProblem(statement, line, detail.get("col"), f"sqlglot cannot parse it ({message})")
    finally:
        logger.setLevel(level)
    if tree is None or isinstance(tree, exp.Command):
        word = tree.this if isinstance(tree, exp.Command) else "it"
        return None, ParseProblem(
            statement, statement.line, None, f"sqlglot does not understand {word} statements (read as an opaque command)"
        )
    if not isinstance(tree, QUERY_KINDS):
        return None, ParseProblem(
            statement,
            statement.line,
            None,
            f"it is not a query sqlglot recognises (read as {type(tree).__name__.lower()}); check its first word",
        )
    return tree, None


def read_text(text: str, origin: str = "queries") -> Workload:
    """Split and parse pasted text or a file's content."""
    return _parsed(split(text), origin)


def _parsed(statements: list[Statement], origin: str) -> Workload:
    parsed, problems = {}, []
    for statement in statements:
        tree, problem = parse(statement)
        if problem is not None:
            problems.append(problem)
        else:
            parsed[statement.number] = tree
    return Workload(tuple(statements), parsed, tuple(problems), origin)


def read_file(path: str | Path) -> Workload:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the queries ({exc.strerror}); check the --queries path") from None
    if len(data) > MAX_QUERY_BYTES:
        raise ConfigError(f"{path}: {len(data):,} bytes is more than the {MAX_QUERY_BYTES:,} a query file may hold")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}); save the queries as UTF-8") from None
    workload = read_text(text, origin=path.name)
    if not workload.statements:
        raise ConfigError(f"{path}: holds no SQL statement; put one or more queries in it, separated by ;")
    return workload


# pg_stat_statements ----------------------------------------------------------------------------

EXTENSION_SCHEMA = """
SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname = 'pg_stat_statements'
"""


def top_statements_sql(schema: str, server_version_num: int, limit: int) -> str:
    """The top statements by total time, this database only, without utility commands."""
    total, mean = (
        ("total_exec_time", "mean_exec_time") if server_version_num >= 130000 else ("total_time", "mean_time")
    )
    return (
        f"SELECT s.query, s.calls, s.{total}, s.{mean}\n"
        f"FROM {qualified(schema, 'pg_stat_statements')} AS s\n"
        "WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())\n"
        "  AND s.query !~* '^\\s*(begin|commit|rollback|set|show|reset|discard|vacuum|analyze|explain|copy|create|alter|drop|grant|revoke)\\M'\n"
        f"ORDER BY s.{total} DESC\n"
        f"LIMIT {int(limit)}"
    )


def read_pg_stat_statements(connect: Connect, limit: int = 50, statement_timeout_s: float = 30.0) -> Workload:
    """The database's top statements from pg_stat_statements, or an empty workload with a note saying why."""
    with connect(statement_timeout_s) as conn:
        row = conn.execute(EXTENSION_SCHEMA).fetchone()
        if row is None:
            return Workload(
                origin="pg_stat_statements",
                notes=(
                    "pg_stat_statements is not installed in this database: "
                    "add it to shared_preload_libraries and run CREATE EXTENSION pg_stat_statements",
                ),
            )
        version = int(conn.execute("SHOW server_version_num").fetchone()[0])
        try:
            rows = conn.execute(top_statements_sql(row[0], version, limit)).fetchall()
        except Exception as exc:  # e.g. installed but not preloaded: "must be loaded via shared_preload_libraries"
            first = (str(exc).strip().splitlines() or ["error"])[0]
            return Workload(origin="pg_stat_statements", notes=(f"pg_stat_statements could not be read: {first}",))
    return from_rows(rows)


def from_rows(rows) -> Workload:
    """A workload from (query, calls, total ms, mean ms) rows, in that order."""
    statements = []
    for number, (query, calls, total, mean) in enumerate(rows, 1):
        body = query.strip().rstrip(";").strip()
        statements.append(
            Statement(number, body, body, 1, (), int(calls), float(total), float(mean))
        )
    return _parsed(statements, "pg_stat_statements")
