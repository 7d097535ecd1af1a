"""What index predicates and CHECK constraints say about NULLs, read with sqlglot's PostgreSQL parser.

PostgreSQL prints both (pg_get_expr, pg_get_constraintdef) in one normalized form, with identifiers
quoted only where needed, so a parsed identifier's text is the column name as stored. Anything the
parser cannot read is treated as saying nothing we understand: the callers then stay conservative.
"""

from __future__ import annotations

import functools
import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from studio.catalog import Table

_CHECK = re.compile(r"^\s*CHECK\s*(?P<body>.*?)(\s+NOT VALID)?(\s+NO INHERIT)?\s*$", re.IGNORECASE | re.DOTALL)
# Constructs through which a CHECK deliberately lets a column be NULL in some rows.
_NULL_AWARE = (exp.Or, exp.Coalesce, exp.Case, exp.If, exp.Nullif)
_NULL_COUNTERS = {"num_nulls", "num_nonnulls"}


@functools.lru_cache(maxsize=8192)
def _parse(text: str) -> exp.Expression | None:
    try:
        return sqlglot.parse_one(text, read="postgres")
    except SqlglotError:
        return None


def _conjuncts(expression: exp.Expression) -> list[exp.Expression]:
    node = expression.unnest()
    if isinstance(node, exp.And):
        return [c.unnest() for c in node.flatten()]
    return [node]


def _not_null_column(conjunct: exp.Expression) -> str | None:
    """The column of `col IS NOT NULL` (or `NOT (col IS NULL)`), else None."""
    node = conjunct.unnest()
    if isinstance(node, exp.Not):
        inner = node.this.unnest()
        if isinstance(inner, exp.Is) and isinstance(inner.expression, exp.Null) and not inner.args.get("negate"):
            node = inner.this.unnest()
            return node.name if isinstance(node, exp.Column) else None
        return None
    if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null) and node.args.get("negate"):
        column = node.this.unnest()
        return column.name if isinstance(column, exp.Column) else None
    return None


@functools.lru_cache(maxsize=8192)
def _conditions(predicate: str) -> tuple[tuple[str, str | None], ...] | None:
    """(normalized SQL, column of an `IS NOT NULL` test or None) per top-level AND term."""
    parsed = _parse(predicate)
    if parsed is None:
        return None
    return tuple((c.sql(dialect="postgres"), _not_null_column(c)) for c in _conjuncts(parsed))


def effective_conditions(table: Table, predicate: str | None) -> frozenset[tuple[str, str | None]] | None:
    """A partial index's conditions, without `c IS NOT NULL` on a NOT NULL column (always true).

    Empty for a full index; None when the predicate cannot be read."""
    if not predicate:
        return frozenset()
    conditions = _conditions(predicate)
    if conditions is None:
        return None
    return frozenset(
        (sql, column)
        for sql, column in conditions
        if column is None or (c := table.column(column)) is None or c.nullable
    )


def excludes_only_nulls_of(table: Table, predicate: str | None, columns) -> bool:
    """Whether the index keeps every row where all of `columns` have a value.

    `(fk) WHERE fk IS NOT NULL` serves the foreign key: the checks it makes compare `fk = $1`,
    which is never true for NULL, and PostgreSQL proves that the predicate holds for them."""
    if not predicate:
        return True
    conditions = _conditions(predicate)  # as written: the planner does not drop `c IS NOT NULL` on a
    if conditions is None:  # NOT NULL column before proving the predicate, so neither do we
        return False
    wanted = set(columns)
    return all(column in wanted for _, column in conditions)


def covers_rows_of(table: Table, wide_predicate: str | None, narrow_predicate: str | None) -> bool:
    """Whether an index with `wide_predicate` holds every row that one with `narrow_predicate` holds
    (the wide one's conditions are a subset of the narrow one's)."""
    wide = effective_conditions(table, wide_predicate)
    narrow = effective_conditions(table, narrow_predicate)
    if wide is None or narrow is None:
        return (wide_predicate or "") == (narrow_predicate or "")
    return wide <= narrow


def same_rows(table: Table, one: str | None, other: str | None) -> bool:
    """Whether two index predicates keep the same rows (as far as their text shows)."""
    return covers_rows_of(table, one, other) and covers_rows_of(table, other, one)


def check_allows_null(table: Table, column: str) -> str | None:
    """The name of a CHECK that mentions `column` and handles its NULLs on purpose, if any.

    `CHECK (a IS NOT NULL OR b IS NOT NULL)` says that either may be NULL; so do checks using
    IS NULL, OR, coalesce, CASE, NULLIF or num_nulls on the column. Being conservative, any such
    check counts (an unreadable one that names the column counts too)."""
    for check in table.checks:
        m = _CHECK.match(check.expression)
        parsed = _parse(m.group("body")) if m else None
        if parsed is None:
            if column in check.columns:
                return check.name
            continue
        for conjunct in _conjuncts(parsed):
            mentioned = any(c.name == column for c in conjunct.find_all(exp.Column))
            if mentioned and _not_null_column(conjunct) != column and _handles_nulls(conjunct):
                return check.name
    return None


def _handles_nulls(parsed: exp.Expression) -> bool:
    for node in parsed.walk():
        if isinstance(node, _NULL_AWARE):
            return True
        if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
            return True
        if isinstance(node, exp.Anonymous) and node.name.lower() in _NULL_COUNTERS:
            return True
    return False
