"""`schema-studio inspect` as a user runs it: a subprocess, its stdout, stderr and exit status."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

TWO_TABLES = """
CREATE SCHEMA shop;
CREATE TABLE shop.customer (id bigint PRIMARY KEY, email text NOT NULL);
CREATE TABLE shop."Order" (
    id bigint PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES shop.customer (id) ON DELETE CASCADE
);
CREATE INDEX order_customer ON shop."Order" (customer_id);
ALTER TABLE shop."Order" ENABLE ROW LEVEL SECURITY;
CREATE POLICY mine ON shop."Order" USING (customer_id = 1);
"""


def inspect(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "studio.cli", "inspect", *args],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again once the socket is


def _assert_one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_ddl_json_has_the_documented_fields(tmp_path):
    schema = tmp_path / "shop.sql"
    schema.write_text(TWO_TABLES)
    result = inspect("--ddl", str(schema), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    tables = {f"{t['schema']}.{t['name']}": t for t in data["tables"]}
    assert set(tables) == {"shop.customer", "shop.Order"}
    order = tables["shop.Order"]
    for key in ("schema", "name", "kind", "columns", "primary_key", "foreign_keys", "indexes",
                "rls_enabled", "rls_forced", "policies"):
        assert key in order, key
    assert order["kind"] == "table"
    assert {"name": "customer_id", "type": "bigint", "nullable": False}.items() <= order["columns"][1].items()
    assert order["primary_key"]["columns"] == ["id"]
    fk = order["foreign_keys"][0]
    assert (fk["columns"], fk["ref_table"], fk["ref_columns"]) == (["customer_id"], "shop.customer", ["id"])
    indexes = {i["name"]: i for i in order["indexes"]}
    assert indexes["order_customer"]["columns"] == ["customer_id"]
    assert indexes["order_customer"]["unique"] is False
    assert indexes["Order_pkey"]["unique"] is True
    assert order["rls_enabled"] is True and order["rls_forced"] is False
    assert [p["name"] for p in order["policies"]] == ["mine"]


def test_demo_json_and_text():
    result = inspect("--demo", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["tables"], "the demo has tables"
    for table in data["tables"]:
        assert {"schema", "name", "kind", "columns", "primary_key", "foreign_keys", "indexes",
                "rls_enabled", "rls_forced", "policies"} <= set(table)
        for index in table["indexes"]:
            assert {"name", "columns", "unique"} <= set(index)
    assert any(t["foreign_keys"] for t in data["tables"])

    text = inspect("--demo", "--format", "text")
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("Catalog: ")
    first = data["tables"][0]
    assert f"{first['schema']}.{first['name']}" in text.stdout


def test_text_format_on_a_file(tmp_path):
    schema = tmp_path / "shop.sql"
    schema.write_text(TWO_TABLES)
    result = inspect("--ddl", str(schema), "--format", "text")
    assert result.returncode == 0, result.stderr
    assert "2 schemas, 2 tables, 4 columns, 1 foreign keys, 3 indexes" in result.stdout  # and public
    assert "FK Order_customer_id_fkey (customer_id) -> shop.customer (id) ON DELETE CASCADE" in result.stdout
    assert "policy mine ALL to public USING" in result.stdout


@pytest.mark.parametrize(
    "content", ["CREAT TABLE broken (id int);\n", ""], ids=["syntax-error", "empty"]
)
def test_bad_ddl_file_exits_2_with_one_line(tmp_path, content):
    bad = tmp_path / "bad.sql"
    bad.write_text(content)
    line = _assert_one_line_error(inspect("--ddl", str(bad)))
    assert line.startswith("schema-studio inspect: ")
    assert "bad.sql" in line


def test_missing_ddl_file_exits_2_with_one_line(tmp_path):
    line = _assert_one_line_error(inspect("--ddl", str(tmp_path / "absent.sql")))
    assert "absent.sql" in line


def test_unreachable_dsn_exits_2_without_the_password():
    secret = "s3cr3t-Pa55"
    url = f"postgresql://alice:{secret}@127.0.0.1:{_closed_port()}/shop?connect_timeout=5"
    result = inspect("--dsn", url)
    line = _assert_one_line_error(result)
    assert secret not in result.stderr and secret not in result.stdout
    assert "127.0.0.1" in line and "alice" in line


def test_indent_prints_what_json_dumps_prints(tmp_path):
    schema = tmp_path / "shop.sql"
    schema.write_text(TWO_TABLES + "COMMENT ON TABLE shop.customer IS 'clientèle, 顧客';\n")
    compact = inspect("--ddl", str(schema))
    assert compact.returncode == 0, compact.stderr
    assert compact.stdout.count("\n") == 1 and compact.stdout.endswith("}\n")
    data = json.loads(compact.stdout)
    assert next(t for t in data["tables"] if t["name"] == "customer")["comment"] == "clientèle, 顧客"
    for indent in ("1", "2", "4"):
        out = tmp_path / f"indent{indent}.json"
        result = inspect("--ddl", str(schema), "--indent", indent, "-o", str(out))
        assert result.returncode == 0, result.stderr
        text = out.read_text(encoding="utf-8")
        indented = json.loads(text)
        assert text == json.dumps(indented, indent=int(indent), ensure_ascii=False) + "\n"
        assert _without_sandbox_name(indented) == _without_sandbox_name(data)
    zero = inspect("--ddl", str(schema), "--indent", "0")
    assert zero.returncode == 0, zero.stderr
    assert zero.stdout.count("\n") == 1
    assert _without_sandbox_name(json.loads(zero.stdout)) == _without_sandbox_name(data)


def _without_sandbox_name(data: dict) -> dict:
    assert data["database"].startswith("studio_sandbox_")  # each load gets its own sandbox database
    return {**data, "database": ""}


@pytest.mark.parametrize("indent", ["-1", "two"])
def test_bad_indent_exits_2_with_one_line(indent):
    line = _assert_one_line_error(inspect("--demo", "--indent", indent))
    assert "--indent" in line and repr(indent) in line
