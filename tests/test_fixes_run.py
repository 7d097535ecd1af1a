"""Every finding's fix runs on the schema it was produced for (demo and real-world corpus).

Each rule's fixes run in their own copy (CREATE DATABASE ... TEMPLATE). Statements with
CONCURRENTLY run alone (they cannot run in a transaction block); the others run in a
transaction. A fix that fails only because the rows break the constraint it adds (SQLSTATE
class 23, e.g. the demo's planted duplicates) is re-run on an empty copy of the schema: it must
then succeed, since the schema is what it was produced for.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from pathlib import Path

import psycopg
import pytest

from analyzers.engine import analyze
from studio.sources import demo, embedded, postgres
from studio.sql import ident, qualified_name
from tests.conftest import corpus_file
from tests.fix_runner import apply_fix

CORPUS = [
    "pagila-schema.sql",
    "chinook-postgresql.sql",
    "graphile-starter-schema.sql",
    "coder-dump.sql",
    "lago-api-structure.sql",
]
OWN_CORPUS = Path(__file__).parent / "corpus"  # dumps kept with the tests (tests/corpus/README.md)


def _copy(template: str) -> str:
    name = f"studio_fixcopy_{secrets.token_hex(5)}"
    with embedded.connect() as conn:
        conn.execute(f"CREATE DATABASE {ident(name)} TEMPLATE {ident(template)}")
    return name


def _empty(database: str, tables) -> None:
    with embedded.connect(database) as conn:
        names = ", ".join(qualified_name(t.qualified) for t in tables if t.kind in ("table", "partitioned_table"))
        if names:
            conn.execute(f"TRUNCATE {names} CASCADE")


def _run_all_fixes(template: str, catalog) -> list[str]:
    report = analyze(catalog)
    by_rule = defaultdict(list)
    for finding in report.findings:
        if finding.fix.strip():
            by_rule[finding.rule].append(finding)
    failures = []
    for _rule, findings in sorted(by_rule.items()):
        copy = _copy(template)
        try:
            for finding in findings:
                try:
                    apply_fix(copy, finding.fix)
                except psycopg.Error as exc:
                    if not (exc.sqlstate or "").startswith("23"):
                        failures.append(f"{finding.key}: {exc}".splitlines()[0])
                        continue
                    empty = _copy(template)
                    try:
                        _empty(empty, catalog.tables)
                        apply_fix(empty, finding.fix)
                    except psycopg.Error as again:
                        failures.append(f"{finding.key} (on an empty copy): {again}".splitlines()[0])
                    finally:
                        embedded.drop_database(empty)
        finally:
            embedded.drop_database(copy)
    return failures


def test_demo_fixes_run():
    # A private build of the demo as the template: the shared demo database may have other
    # sessions (studio, other tests), and CREATE DATABASE ... TEMPLATE needs it idle.
    with embedded.scratch_database("fixdemo") as name:
        demo._build(name)
        catalog = postgres.introspect(embedded.admin_url(name))
        failures = _run_all_fixes(name, catalog)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", CORPUS + sorted(p.name for p in OWN_CORPUS.glob("*.sql")))
def test_corpus_fixes_run(name):
    from studio.sources import ddl

    with ddl.load_file(OWN_CORPUS / name if (OWN_CORPUS / name).exists() else corpus_file(name)) as loaded:
        assert analyze(loaded.catalog).findings, f"{name}: expected findings to fix"
        failures = _run_all_fixes(loaded.database, loaded.catalog)
    assert not failures, "\n".join(failures)
