"""Every real-world file of the corpus loads in the sandbox with the counts its README states."""

from __future__ import annotations

import pytest

from studio.sources import ddl
from tests.conftest import corpus_file


def _fk_count(catalog) -> int:
    return sum(len(t.foreign_keys) for t in catalog.tables)


def _kinds(catalog) -> tuple[int, int]:
    """(ordinary + partitioned tables, partitions)"""
    tables = [t for t in catalog.tables if t.kind in ("table", "partitioned_table")]
    partitions = [t for t in catalog.tables if t.kind == "partition"]
    return len(tables), len(partitions)


def _errors(catalog):
    return [n for n in catalog.notes if n.level == "error"]


@pytest.fixture
def load():
    opened = []

    def _load(name: str):
        loaded = ddl.load_file(corpus_file(name))
        opened.append(loaded)
        return loaded

    yield _load
    for loaded in opened:
        loaded.drop()


def test_pagila(load):
    catalog = load("pagila-schema.sql").catalog
    assert catalog.source == "pagila-schema.sql"
    assert _kinds(catalog) == (15, 7)
    assert _fk_count(catalog) == 36
    assert catalog.table("public.payment").partitioning is not None
    assert any(t.kind == "materialized_view" for t in catalog.tables)
    assert not _errors(catalog)
    owner = [n for n in catalog.notes if "OWNER TO" in n.message]
    assert owner and owner[0].level == "info" and owner[0].message.startswith("57 ")


def test_chinook_keeps_its_database_and_rows(load):
    loaded = load("chinook-postgresql.sql")
    catalog = loaded.catalog
    assert _kinds(catalog) == (11, 0)
    assert _fk_count(catalog) == 11
    assert not _errors(catalog)
    import psycopg

    with psycopg.connect(loaded.url) as conn:
        assert conn.execute("SELECT count(*) FROM public.track").fetchone()[0] == 3503
    kept = [n for n in catalog.notes if "sandbox" in n.message]
    assert {n.line for n in kept} >= {19, 25, 28}  # DROP DATABASE, CREATE DATABASE, \c chinook


def test_graphile_starter_rls_and_stand_ins(load):
    catalog = load("graphile-starter-schema.sql").catalog
    assert _kinds(catalog) == (12, 0)
    assert set(catalog.schema_names) >= {"app_hidden", "app_private", "app_public", "public"}
    assert _fk_count(catalog) == 10
    assert sum(t.rls_enabled for t in catalog.tables) == 11
    assert sum(len(t.policies) for t in catalog.tables) == 12
    assert not _errors(catalog)
    users = catalog.table("app_public.users")
    assert users.column("username").base_type == "citext"  # the engine ships citext: the real type
    messages = " ".join(n.message for n in catalog.notes)
    assert "extension citext" not in messages
    for extension in ("pgcrypto", "uuid-ossp"):  # not shipped: SQL stand-ins, said so
        assert f"extension {extension} is not available on the sandbox server; approximated" in messages
    assert "graphile_starter_visitor" in messages  # grants to an absent role are reported


def test_coder(load):
    catalog = load("coder-dump.sql").catalog
    assert _kinds(catalog) == (76, 0)
    assert _fk_count(catalog) == 82
    assert len(catalog.enums) == 39
    assert any(t.persistence == "unlogged" for t in catalog.tables)
    assert any(i.method == "hash" for t in catalog.tables for i in t.indexes)
    assert not _errors(catalog)


def test_lago_api(load):
    catalog = load("lago-api-structure.sql").catalog
    assert _kinds(catalog) == (138, 1)
    assert {t.schema for t in catalog.stored_tables} == {"public", "partman"}
    assert _fk_count(catalog) == 339
    assert len(catalog.enums) == 43
    assert not _errors(catalog)
    trigram = [i.name for t in catalog.tables for i in t.indexes if "gin_trgm_ops" in i.definition]
    assert len(trigram) == 13, "the engine ships pg_trgm: every trigram index is in the model"
    assert "index_customers_on_organization_id_email_gin_trgm_ops" in trigram
    assert not [n for n in catalog.notes if "pg_trgm" in n.message]
