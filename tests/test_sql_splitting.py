"""The one SQL splitter (studio.sources.ddl_script), read by the DDL loader and the workload reader alike,
checked against PostgreSQL: generated values written as standard, E'' and dollar-quoted strings with
semicolons, quotes, backslashes and comment markers inside, between nested comments, come back from the
server exactly as written when each split statement runs."""

from __future__ import annotations

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzers.workload_input import read_text
from studio.sources.ddl_script import split

values = st.text(st.sampled_from(list("ab;'\"$\\-/*\nxé_")), max_size=12)
tags = st.sampled_from(["", "t", "tag_1", "ä", "_x"])


def _standard(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _escape(value: str) -> str:
    return "E'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _dollar(value: str, tag: str) -> str | None:
    quote = f"${tag}$"
    return None if quote in value + "$" or value.endswith("$") else quote + value + quote


@st.composite
def scripts(draw):
    written, parts = [], []
    for n in range(draw(st.integers(1, 5))):
        value = draw(values)
        form = draw(st.sampled_from(["standard", "escape", "dollar"]))
        literal = {"standard": _standard, "escape": _escape}.get(form, lambda v: _dollar(v, draw(tags)))(value)
        if literal is None:
            literal = _standard(value)
        comment = draw(st.sampled_from(["", "-- a; 'b\n", "/* x; /* nested; */ 'y */ ", "/* $$ */"]))
        parts.append(f"{comment}SELECT {literal} AS v{n};\n")
        written.append(value)
    return "".join(parts), written


@pytest.fixture(scope="module")
def server():
    from studio.sources import embedded

    with embedded.scratch_database("split") as name, psycopg.connect(embedded.admin_url(name), autocommit=True) as conn:
        yield conn


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scripts())
def test_each_statement_returns_the_value_written(server, script):
    text, written = script
    statements = [s.sql for s in split(text)]
    assert len(statements) == len(written), text
    assert [server.execute(sql).fetchone()[0] for sql in statements] == written
    assert [s.text for s in read_text(text).statements] == [s.strip() for s in statements]


@pytest.mark.parametrize(
    ("text", "count", "runs"),
    [
        ("SELECT $ä$;$ä$; SELECT 2", 2, True),  # a tag beyond ASCII
        ("SELECT $a$ $b$;$b$ ; $a$; SELECT 2", 2, True),  # another tag inside is text
        ("SELECT a$b$c FROM t; SELECT 2", 2, False),  # `$` inside an identifier starts no quote
        ("SELECT $1, $2 FROM t WHERE x = $1; SELECT 2", 2, False),  # positional parameters are no tags
        ("SELECT E'it\\'s; here'; SELECT 2", 2, True),  # E'' string with a backslash escape
        ("SELECT 'a\\'; SELECT 2", 2, True),  # a standard string ends at the quote after the backslash
        ("SELECT 1 /* a /* b; */ c; */; SELECT 2", 2, True),  # nested comments
        ("SELECT typE'x;'; SELECT 2", 2, False),  # a type name ending in e, then a string: no E''
    ],
)
def test_quoting_cases(server, text, count, runs):
    statements = split(text)
    assert len(statements) == count, [s.sql for s in statements]
    assert statements[-1].sql.strip() == "SELECT 2"
    for statement in statements if runs else ():
        server.execute(statement.sql)  # PostgreSQL reads each split statement whole
    assert [s.text for s in read_text(text).statements] == [s.sql.strip() for s in statements]
