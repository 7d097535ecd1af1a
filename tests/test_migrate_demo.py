"""--fix all on the demo: the bundle verifies on the real embedded PostgreSQL and passes squawk."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.bundle.manifest import read_bundle
from tests.squawk import assert_squawk_passes, bundle_migrations


@pytest.fixture(scope="module")
def demo_export():
    from studio.migrate.export import build_export
    from studio.sources import open_source

    return build_export(open_source(demo=True), accepted="all")


def test_fix_all_on_demo_verifies(demo_export):
    result = demo_export.verified
    assert result.ok, result.text()
    names = {c.name for c in result.checks}
    assert {"claimed fixes are gone", "no row lost (tables + quarantine = original)", "downs restore the model"} <= names
    assert len(demo_export.plan.fixed) >= 20
    assert any("quarantined" in n and " 0 row" not in n for n in result.notices), "the demo's orphans and duplicates move"


def test_every_phase_and_file_is_present(demo_export):
    files = read_bundle(demo_export.data)
    for name in ("README.md", "schema/current.sql", "schema/target.sql", "erd/current.svg", "erd/target.svg", "erd/target.mmd",
                 "findings/findings.json", "findings/findings.sarif", "findings/report.md", "design.toml", "monitoring.sql", "MANIFEST"):
        assert name in files, name
    phases = {s.phase for s in demo_export.plan.steps}
    assert {"expand", "backfill", "cleanse", "validate", "contract"} <= phases
    for name, data in files.items():
        if name.startswith("migrations/"):
            text = data.decode()
            assert "SET lock_timeout" in text and "SET statement_timeout" in text, name
            if "CONCURRENTLY" in text:
                assert "BEGIN;" not in text, f"{name}: CONCURRENTLY inside a transaction"


def test_squawk_passes_every_migration(demo_export, tmp_path: Path):
    assert_squawk_passes(bundle_migrations(demo_export.data), tmp_path)
