"""Stand-ins for what the engine lacks and no extension stand-in covers, so the objects that use it stay in the model.

- A type nothing in the file creates (PostGIS `geometry`, an extension's type) becomes a domain over text under the
  same name; type modifiers such as `geometry(Polygon,4326)`, which a domain refuses, are dropped from the statement.
- An index whose operator class or access method is missing is not built in the sandbox but kept in the model with
  the file's definition, marked approximated.

Both are always reported, object by object.
"""

from __future__ import annotations

import dataclasses
import re

from studio.catalog import Catalog, Index, IndexKey
from studio.sql import qualified

MISSING_TYPE = re.compile(r'type "(?P<name>[^"]+?)(?:\[\])*" does not exist')
TYPMOD_REFUSED = re.compile(r'type modifier is not allowed for type "(?P<name>[^"]+)"')
MISSING_INDEX_SUPPORT = re.compile(
    r'has no default operator class for access method "|operator class "[^"]+" does not exist for access method "'
    r'|access method "[^"]+" does not exist'
)
TYPE_NOTE = ("approximated as a domain over text (the engine has no such type and nothing in the file creates it): "
             "its values are kept as text; its operators and functions are absent")


def domain_statement(name: str) -> str:
    """CREATE DOMAIN for PostgreSQL's own spelling of the missing type (`public.geometry` or `geometry`)."""
    schema, _, plain = name.rpartition(".")
    return f"CREATE DOMAIN {qualified(schema or 'public', plain)} AS text"


def without_typmods(sql: str, type_name: str) -> tuple[str, list[str]]:
    """The statement with every `type(...)` modifier of `type_name` removed, and the modifiers removed."""
    plain = type_name.rpartition(".")[2]
    pattern = re.compile(rf'(?<![\w$"])((?:(?:"[^"]+"|[\w$]+)\s*\.\s*)?"?{re.escape(plain)}"?)\s*(\([^()]*\))', re.I)
    dropped = [m.group(2) for m in pattern.finditer(sql)]
    return pattern.sub(r"\1", sql), dropped


# Approximated indexes -----------------------------------------------------------------------------------------

_CREATE_INDEX = re.compile(
    r"\ACREATE\s+(?P<unique>UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?"
    r'(?P<name>"(?:[^"]|"")+"|[\w$]+)?\s*ON\s+(?:ONLY\s+)?'
    r'(?P<table>(?:(?:"(?:[^"]|"")+"|[\w$]+)\s*\.\s*)?(?:"(?:[^"]|"")+"|[\w$]+))\s*'
    r"(?:USING\s+(?P<method>[\w$]+)\s*)?\(",
    re.I,
)


def _unquoted(text: str, start: int = 0):
    """(index, character, parenthesis depth after it) of each character outside quotes, from `start`."""
    depth, quote = 0, ""
    for i in range(start, len(text)):
        ch = text[i]
        if quote:
            quote = "" if ch == quote else quote
            continue
        if ch in "'\"":
            quote = ch
            continue
        depth += {"(": 1, ")": -1}.get(ch, 0)
        yield i, ch, depth


def _balanced(text: str, start: int) -> int:
    """Index just past the parenthesis closing the one at `start` (quotes respected)."""
    return next((i + 1 for i, ch, depth in _unquoted(text, start) if ch == ")" and depth == 0), len(text))


def _split_top(text: str) -> list[str]:
    cuts = [i for i, ch, depth in _unquoted(text) if ch == "," and depth == 0]
    bounds = zip([-1, *cuts], [*cuts, len(text)], strict=True)
    return [part for a, b in bounds if (part := text[a + 1:b].strip())]


def _unquote(name: str) -> str:
    return name[1:-1].replace('""', '"') if name.startswith('"') else name.lower()


def _key(text: str) -> IndexKey:
    words = re.match(r'(?P<column>"(?:[^"]|"")+"|[A-Za-z_][\w$]*)(?:\s+(?P<opclass>[\w$.]+))?'
                     r"(?P<rest>(?:\s+(?:ASC|DESC|NULLS\s+(?:FIRST|LAST)))*)\s*\Z", text, re.I)
    if words and (words.group("opclass") or "").upper() not in ("ASC", "DESC", "NULLS"):
        rest = words.group("rest").upper()
        return IndexKey(expression=_unquote(words.group("column")), column=_unquote(words.group("column")),
                        descending="DESC" in rest, nulls_first="NULLS FIRST" in rest, opclass=words.group("opclass"))
    return IndexKey(expression=text)


def approximated_index(sql: str, reason: str) -> tuple[str, Index] | None:
    """(table name as written, the index) of a CREATE INDEX statement, None when it cannot be read."""
    m = _CREATE_INDEX.match(sql.strip())
    if not m or not m.group("name"):
        return None
    close = _balanced(sql.strip(), m.end() - 1)
    text = sql.strip()
    keys = tuple(_key(k) for k in _split_top(text[m.end():close - 1]))
    tail = text[close:]
    where = re.search(r"\bWHERE\s+(?P<predicate>.+)\Z", tail, re.I | re.S)
    include = re.search(r"\bINCLUDE\s*\((?P<columns>[^)]*)\)", tail, re.I)
    index = Index(
        name=_unquote(m.group("name")), keys=keys, unique=bool(m.group("unique")),
        method=(m.group("method") or "btree").lower(), predicate=where.group("predicate").strip() if where else None,
        include=tuple(_unquote(c.strip()) for c in include.group("columns").split(",")) if include else (),
        definition=" ".join(text.split()), approximated=reason,
    )
    return m.group("table"), index


def keep_indexes(catalog: Catalog, approximated: list[tuple[str, Index]]) -> Catalog:
    """The catalog with each approximated index on its table (a table the file names, schema public by default)."""
    by_table: dict[str, list[Index]] = {}
    for table_name, index in approximated:
        parts = [_unquote(p.strip()) for p in re.findall(r'"(?:[^"]|"")+"|[^."]+', table_name)]
        key = ".".join(parts) if len(parts) == 2 else f"public.{parts[-1]}"
        by_table.setdefault(key, []).append(index)
    tables = tuple(
        dataclasses.replace(t, indexes=t.indexes + tuple(by_table[t.qualified])) if t.qualified in by_table else t
        for t in catalog.tables
    )
    return dataclasses.replace(catalog, tables=tables)
