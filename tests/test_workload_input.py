"""Reading query patterns: splitting, parameters of both styles, statements sqlglot cannot parse."""

from __future__ import annotations

import pytest

from analyzers.workload_input import read_file, read_text, rewrite_named, split
from studio.errors import ConfigError


def test_split_respects_quotes_comments_and_dollar_quotes():
    text = (
        "-- header; not a statement\n"
        "SELECT 'a;b' AS x, \"odd;name\" FROM t;\n"
        "/* block; /* nested; */ still */ SELECT $$ body; $$ , $tag$ x; $tag$;\n"
        "\n\n"
        "SELECT E'it\\'s; fine';\n"
        "   ;  -- empty\n"
    )
    statements = split(text)
    assert [s.number for s in statements] == [1, 2, 3]
    assert [s.line for s in statements] == [2, 3, 6]
    assert statements[0].text == "SELECT 'a;b' AS x, \"odd;name\" FROM t"
    assert statements[1].text.startswith("SELECT $$ body; $$")
    assert statements[2].text == "SELECT E'it\\'s; fine'"


def test_named_parameters_become_positional_after_the_highest_one():
    sql, names = rewrite_named("SELECT a::text FROM t WHERE b = :b AND c = $2 AND d = :d AND e = :b AND f = ':no'")
    assert sql == "SELECT a::text FROM t WHERE b = $3 AND c = $2 AND d = $4 AND e = $3 AND f = ':no'"
    assert names == ("b", "d")


def test_a_statement_sqlglot_cannot_parse_is_reported_with_its_position():
    workload = read_text("SELECT 1;\n\nSELECT id FROM WHERE id = 1;\nSELECT 2")
    assert [s.number for s in workload.statements] == [1, 2, 3]
    assert sorted(workload.parsed) == [1, 3]
    (problem,) = workload.problems
    assert problem.statement.number == 2 and problem.line == 3
    assert str(problem).startswith("statement 2 (line 3, column ")
    assert "sqlglot cannot parse it" in str(problem) and "SELECT id FROM WHERE" in str(problem)


def test_an_opaque_command_or_a_bare_expression_is_reported_not_dropped():
    workload = read_text("VACUUM t;\nSELEC broken")
    first, second = workload.problems
    assert "not analyzed" in str(first) and "VACUUM" in str(first)
    assert str(second).startswith("statement 2 (line 2) was not analyzed: it is not a query")


def test_read_file_errors_name_the_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read the queries"):
        read_file(tmp_path / "missing.sql")
    empty = tmp_path / "empty.sql"
    empty.write_text("-- nothing here\n")
    with pytest.raises(ConfigError, match="empty.sql: holds no SQL statement"):
        read_file(empty)
    latin = tmp_path / "latin.sql"
    latin.write_bytes("SELECT 'caf\xe9'".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        read_file(latin)
