"""A fix whose step fails on the rows is taken out, left to a person with PostgreSQL's error, and the rest of the
bundle verified again; --strict keeps all or nothing."""

from __future__ import annotations

import zipfile
from io import BytesIO

import pytest

from studio.cli import main
from studio.migrate.export import build_export
from studio.sources import open_source

# json accepts the \u0000 escape; jsonb refuses it, so json -> jsonb fails on this row and only on the rows
SCHEMA = r"""
CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers (id), payload json);
INSERT INTO customers VALUES (1, 'a');
INSERT INTO orders VALUES (1, 1, '{"note": "fine"}'), (2, 1, '{"note": "nul \u0000 inside"}');
"""


@pytest.fixture
def path(tmp_path):
    file = tmp_path / "orders.sql"
    file.write_text(SCHEMA, encoding="utf-8")
    return file


def test_the_failing_fix_is_left_with_the_error_and_the_rest_is_verified(path):
    with open_source(ddl=path) as source:
        export = build_export(source, accepted="all", verify_source={"ddl": str(path)})
    assert export.verified.ok, export.verified.text()
    left = {item.rule: item.reason for item in export.plan.left}
    assert "unsupported Unicode escape sequence" in left["json-instead-of-jsonb"], left
    assert "failed on the scratch copy" in left["json-instead-of-jsonb"]
    assert any(key.startswith("unindexed-foreign-key:public.orders") for key in export.plan.fixed), export.plan.fixed
    readme = zipfile.ZipFile(BytesIO(export.data)).read("README.md").decode()
    assert "unsupported Unicode escape sequence" in readme


def test_strict_keeps_all_or_nothing(path, tmp_path, capsys):
    out = tmp_path / "bundle.zip"
    assert main(["export", "--ddl", str(path), "--strict", "-o", str(out)]) == 1
    assert not out.exists()
    assert "unsupported Unicode escape sequence" in capsys.readouterr().err
    assert main(["export", "--ddl", str(path), "-o", str(out)]) == 0
    assert out.exists()
    assert "taken out, left to a person: json-instead-of-jsonb" in capsys.readouterr().err
