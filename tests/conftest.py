"""Shared fixtures: every test runs against the real embedded PostgreSQL."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

from tests import skip_allowlist

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"

os.environ.setdefault("SCHEMA_STUDIO_HOME", str(ROOT / ".schema-studio"))


def pytest_configure(config):
    skip_allowlist.register(config)


@pytest.fixture
def scratch_db():
    """A fresh database on the embedded server; yields a function that runs trusted SQL in it."""
    from studio.sources import embedded

    with embedded.scratch_database("test") as name:
        yield ScratchDB(name)


class ScratchDB:
    def __init__(self, name: str):
        from studio.sources import embedded

        self.name = name
        self.url = embedded.admin_url(name)

    def execute(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(sql)

    def query(self, sql: str, params=None) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def catalog(self, **kwargs):
        from studio.sources import postgres

        return postgres.introspect(self.url, **kwargs)


@pytest.fixture
def catalog_of(scratch_db):
    """Load trusted DDL into a scratch database and return its Catalog."""

    def load(sql: str, **kwargs):
        scratch_db.execute(sql)
        return scratch_db.catalog(**kwargs)

    return load


@pytest.fixture
def load():
    """Load untrusted DDL text through the sandbox; every sandbox is dropped after the test."""
    from studio.sources import ddl

    opened = []

    def _load(text: str, filename: str = "schema.sql"):
        loaded = ddl.load_text(text, filename=filename)
        opened.append(loaded)
        return loaded

    yield _load
    for loaded in opened:
        loaded.drop()


@contextlib.contextmanager
def schema_catalog(name: str):
    """The catalog of "demo" or of a corpus file (its sandbox dropped afterwards)."""
    if name == "demo":
        from studio.sources import demo

        yield demo.load().catalog
        return
    from studio.sources.ddl import load_file

    loaded = load_file(corpus_file(name))
    try:
        yield loaded.catalog
    finally:
        loaded.drop()


def corpus_file(name: str) -> Path:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"corpus file {path} is absent (it ships in ../shared/corpus beside the repo; CI has it)")
    return path


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium per test process.

    Playwright's sync API runs an event loop for as long as it is open, and a second
    sync_playwright() in the same process fails; so every test that needs a browser
    takes this fixture instead of starting its own.
    """
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed: run `python3 dev.py test`, which installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
