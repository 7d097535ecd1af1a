"""The one place where identifiers and literals become SQL text.

Every module that renders SQL calls :func:`ident` / :func:`qualified` /
:func:`literal`; nothing else in the code base quotes by hand.
"""

from __future__ import annotations

import functools
import hashlib
import re

# pg_get_keywords() where catcode <> 'U' on PostgreSQL 16: words that cannot be a bare identifier
# in every position. Quoting them always is harmless and never wrong.
_KEYWORDS = frozenset(
    """all analyse analyze and any array as asc asymmetric authorization between bigint binary bit
    boolean both case cast char character check coalesce collate collation column concurrently
    constraint create cross current_catalog current_date current_role current_schema current_time
    current_timestamp current_user dec decimal default deferrable desc distinct do else end except
    exists extract false fetch float for foreign freeze from full grant greatest group grouping having
    ilike in initially inner inout int integer intersect interval into is isnull join json_array
    json_arrayagg json_object json_objectagg lateral leading least left like limit localtime
    localtimestamp national natural nchar none normalize not notnull null nullif numeric offset on only
    or order out outer overlaps overlay placing position precision primary real references returning
    right row select session_user setof similar smallint some substring symmetric system_user table
    tablesample then time timestamp to trailing treat trim true union unique user using values varchar
    variadic verbose when where window with xmlattributes xmlconcat xmlelement xmlexists xmlforest
    xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable""".split()
)
_BARE = re.compile(r"[a-z_][a-z0-9_$]*\Z")
MAX_IDENTIFIER_BYTES = 63


def needs_quotes(name: str) -> bool:
    return not _BARE.match(name) or name in _KEYWORDS


@functools.lru_cache(maxsize=65536)
def ident(name: str) -> str:
    """Quote one identifier the way PostgreSQL's quote_ident() does."""
    if not name:
        raise ValueError("an SQL identifier cannot be empty")
    if "\x00" in name:
        raise ValueError(f"an SQL identifier cannot contain a NUL byte: {name!r}")
    if needs_quotes(name):
        return '"' + name.replace('"', '""') + '"'
    return name


def qualified(schema: str | None, name: str) -> str:
    return f"{ident(schema)}.{ident(name)}" if schema else ident(name)


def qualified_name(qname: str) -> str:
    """Quote a `schema.table` key as used by the model (split on the first dot)."""
    schema, _, name = qname.partition(".")
    return qualified(schema, name) if name else ident(schema)


def idents(names) -> str:
    return ", ".join(ident(n) for n in names)


def literal(value) -> str:
    """A SQL literal for None, bool, int, float or str (standard_conforming_strings on)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    if "\x00" in text:
        raise ValueError("an SQL literal cannot contain a NUL byte")
    if "\\" in text:
        return "E'" + text.replace("\\", "\\\\").replace("'", "''") + "'"
    return "'" + text.replace("'", "''") + "'"


def constraint_name(table: str, columns, suffix: str) -> str:
    """A PostgreSQL-style name (`orders_customer_id_fkey`) that fits in 63 bytes."""
    base = "_".join([table, *columns, suffix])
    if len(base.encode()) <= MAX_IDENTIFIER_BYTES:
        return base

    digest = hashlib.sha1(base.encode()).hexdigest()[:8]
    keep = MAX_IDENTIFIER_BYTES - len(suffix) - len(digest) - 2
    head = base.encode()[:keep].decode(errors="ignore")
    return f"{head}_{digest}_{suffix}"
