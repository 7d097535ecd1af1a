"""Design decisions (rls tenancy on the demo) -> export -> verify; a workspace adds its decision log and summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio.bundle.manifest import read_bundle
from studio.catalog import Catalog
from studio.design.decisions import Decisions, Tenancy
from studio.workshop.views import SavedView
from tests.squawk import assert_squawk_passes, bundle_migrations

RLS = Decisions(tenancy=Tenancy(model="rls"))


@pytest.fixture(scope="module")
def workspace():
    from studio.sources import embedded
    from studio.workshop.workspace import Store

    with embedded.scratch_database("test") as name:
        store = Store(embedded.admin_url(name))
        created = store.create("Fleet review", source_kind="demo", source_label="demo",
                               catalog_json=Catalog().to_json(), author="Ada", decisions=RLS.to_toml())
        view = SavedView("photos", ("public.work_order_photos", "public.work_orders"), depth=2)
        yield store.save(created.id, created.head, {"items": {view.key: view.record("Ada")}}, "Ada", "view").workspace


@pytest.fixture(scope="module")
def rls_export(workspace):
    from studio.migrate.export import build_export
    from studio.sources import open_source

    return build_export(open_source(demo=True), accepted="none", decisions=RLS, decisions_toml=RLS.to_toml(), workspace=workspace)


def test_rls_design_verifies_with_the_tenant_column_backfilled(rls_export):
    result = rls_export.verified
    assert result.ok, result.text()
    migrated = result.migrated
    photos = migrated.table("public.work_order_photos")
    assert photos.column("tenant_id") is not None and not photos.column("tenant_id").nullable
    assert photos.rls_enabled and photos.rls_forced and photos.policies
    assert any("backfill of" in n and "finished" in n for n in result.notices)
    lost = next(c for c in result.checks if c.name.startswith("no row lost"))
    assert lost.ok and "0 in quarantine" in lost.detail, "every photo has a work order: nothing quarantined"
    phases = {s.phase for s in rls_export.plan.steps}
    assert {"expand", "backfill", "cleanse", "validate", "contract"} <= phases


def test_readme_has_the_decisions_and_workspace_files_are_in(rls_export):
    files = read_bundle(rls_export.data)
    readme = files["README.md"].decode()
    assert "Tenant column added" in readme and "No design decision changes the schema" not in readme
    assert "decision-log.md" in files and "workshop-summary.md" in files
    assert json.loads(files["erd/views.json"])["views"] == [
        {"name": "photos", "tables": ["public.work_order_photos", "public.work_orders"], "columns": "keys",
         "depth": 2, "cluster": "schema"}]
    assert 'model = "rls"' in files["design.toml"].decode()


def test_squawk_passes_every_design_migration(rls_export, tmp_path: Path):
    assert_squawk_passes(bundle_migrations(rls_export.data), tmp_path)


def test_key_strategy_reaches_the_design_target():
    """bigint-identity: serial and plain keys become identities that continue after their values; verify compares the target."""
    from studio.migrate.export import build_export
    from studio.sources import open_source

    decisions = Decisions(key_strategy="bigint-identity")
    export = build_export(open_source(demo=True), accepted="none", decisions=decisions, decisions_toml=decisions.to_toml())
    result = export.verified
    assert result.ok, result.text()
    assert any(c.name == "migrated schema equals the design target" and c.ok for c in result.checks)
    runs = result.migrated.table("scraping.crawl_runs").column("id")
    assert runs.identity == "by default" and runs.default is None


def test_a_blueprint_in_its_own_schema_is_created_by_the_migrations(tmp_path: Path):
    """A [[blueprint]] in a new schema: the schema comes first, SQL-standard function bodies after their tables."""
    from studio.design.decisions import parse
    from studio.migrate.export import build_export
    from studio.sources import open_source

    text = '[tenancy]\nmodel = "rls"\n\n[[blueprint]]\nname = "cost-tracking"\nschema = "costs"\n'
    export = build_export(open_source(demo=True), accepted="none", decisions=parse(text), decisions_toml=text)
    result = export.verified
    assert result.ok, result.text()
    costs = [t for t in result.migrated.tables if t.schema == "costs"]
    assert {"currencies", "price_lists", "part_prices"} <= {t.name for t in costs}
    assert all(t.rls_forced for t in costs if t.column("tenant_id") is not None)
    assert any(f.schema == "costs" and f.name == "price_at" for f in result.migrated.functions)
