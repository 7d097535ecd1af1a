"""`schema-studio analyze` end to end: formats, --fail-on exit codes, --rule, --baseline, errors."""

from __future__ import annotations

import json

from studio.cli import main

SCHEMA = """
CREATE TABLE customers (id bigint PRIMARY KEY);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id));
"""


def _ddl(tmp_path):
    path = tmp_path / "s.sql"
    path.write_text(SCHEMA)
    return str(path)


def test_exit_codes_follow_fail_on(tmp_path, capsys):
    ddl = _ddl(tmp_path)
    assert main(["analyze", "--ddl", ddl]) == 0
    assert "unindexed-foreign-key" in capsys.readouterr().out
    assert main(["analyze", "--ddl", ddl, "--fail-on", "warning"]) == 1
    assert main(["analyze", "--ddl", ddl, "--fail-on", "error"]) == 0


def test_json_rule_filter_and_baseline(tmp_path, capsys):
    ddl, out = _ddl(tmp_path), tmp_path / "r.json"
    assert (
        main(["analyze", "--ddl", ddl, "--format", "json", "--rule", "unindexed-foreign-key", "-o", str(out)])
        == 0
    )
    data = json.loads(out.read_text())
    assert {f["rule"] for f in data["findings"]} == {"unindexed-foreign-key"}
    assert (
        main(
            [
                "analyze",
                "--ddl",
                ddl,
                "--format",
                "json",
                "--baseline",
                str(out),
                "--fail-on",
                "info",
                "--rule",
                "unindexed-foreign-key",
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["findings"] == []


def test_bad_input_exits_2_with_one_line(tmp_path, capsys):
    assert main(["analyze", "--ddl", str(tmp_path / "missing.sql")]) == 2
    assert main(["analyze", "--ddl", _ddl(tmp_path), "--rule", "no-such-rule"]) == 2
    err = capsys.readouterr().err
    assert "no-such-rule" in err and "Traceback" not in err


def test_list_rules_needs_no_source(capsys):
    assert main(["analyze", "--list-rules"]) == 0
    assert "no-primary-key" in capsys.readouterr().out
