"""A clean, well-designed 20-table multi-tenant schema gets no warning and no error."""

from __future__ import annotations

from pathlib import Path

from analyzers.engine import analyze

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "clean_schema.sql"


def test_clean_schema_has_no_warning_or_error(catalog_of):
    catalog = catalog_of(FIXTURE.read_text(encoding="utf-8"))
    assert len([t for t in catalog.tables if t.kind == "table"]) == 20
    report = analyze(catalog)
    loud = [(f.rule, f.table, f.columns, f.message) for f in report.at_or_above("warning")]
    assert not loud, loud
    # info allowed, each justified: none is expected today.
    assert [(f.rule, f.table, f.columns) for f in report.findings] == []
