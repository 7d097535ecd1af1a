"""Every corpus file loads whole on the embedded engine: each table and index the file creates is in the model
(an index the engine cannot build is kept, marked approximated), and what failed is listed with its line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from studio.sources import ddl
from studio.sources.ddl_script import split
from tests.conftest import CORPUS

OWN_CORPUS = Path(__file__).parent / "corpus"
FILES = sorted(CORPUS.glob("*.sql")) + sorted(OWN_CORPUS.glob("*.sql"))
_NAME = r'(?:"(?:[^"]|"")+"|[\w$]+)'
_CREATE_TABLE = re.compile(rf"\s*CREATE\s+(?:UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>{_NAME}(?:\.{_NAME})?)",
                           re.I)
_CREATE_INDEX = re.compile(rf"\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>{_NAME})"
                           rf"\s+ON\s+(?:ONLY\s+)?(?P<table>{_NAME}(?:\.{_NAME})?)", re.I)


def _key(name: str) -> str:
    parts = [p[1:-1].replace('""', '"') if p.startswith('"') else p.lower() for p in re.findall(_NAME, name)]
    return ".".join(parts) if len(parts) == 2 else f"public.{parts[0]}"


def _created(path: Path) -> tuple[set[str], set[str]]:
    tables, indexes = set(), set()
    for statement in split(ddl.decode(path.read_bytes(), path.name)):
        if m := _CREATE_TABLE.match(statement.sql):
            tables.add(_key(m.group("name")))
        elif m := _CREATE_INDEX.match(statement.sql):
            schema = _key(m.group("table")).split(".")[0]
            indexes.add(f"{schema}.{_key(m.group('name')).split('.')[1]}")
    return tables, indexes


@pytest.mark.slow
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_no_table_or_index_is_lost(path):
    tables, indexes = _created(path)
    assert tables, f"{path.name}: the file creates tables"
    with ddl.load_file(path) as loaded:
        catalog = loaded.catalog
        have_tables = {t.qualified for t in catalog.tables}
        have_indexes = {f"{t.schema}.{i.name}" for t in catalog.tables for i in t.indexes}
        failures = [f"{n.line}: {n.message}" for n in loaded.failures]
    assert not tables - have_tables, f"{path.name} lost tables {sorted(tables - have_tables)}; {failures}"
    assert not indexes - have_indexes, f"{path.name} lost indexes {sorted(indexes - have_indexes)}; {failures}"
