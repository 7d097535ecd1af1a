"""A batched backfill interrupted half-way (cancelled from another connection) resumes or rolls back."""

from __future__ import annotations

import pytest

from studio.bundle.verify import model_differences, run_script
from studio.design.decisions import Decisions, Tenancy
from studio.migrate.phases import render
from studio.migrate.plan import build_plan
from tests.interrupt import interrupted

SCHEMA = """
CREATE TABLE tenants (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE orders (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants (id), total numeric);
CREATE TABLE order_notes (id bigint PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders (id), body text);
CREATE INDEX ON orders (tenant_id);
CREATE INDEX ON order_notes (order_id);
INSERT INTO tenants SELECT g, 'tenant ' || g FROM generate_series(1, 5) g;
INSERT INTO orders SELECT g, 1 + g % 5, g FROM generate_series(1, 2000) g;
INSERT INTO order_notes SELECT g, 1 + g % 2000, 'note' FROM generate_series(1, 30000) g;
ANALYZE;
"""
HELD_KEY = 20000  # a row the other connection locks: the backfill stops in the batch that holds it


@pytest.fixture
def planned(scratch_db):
    scratch_db.execute(SCHEMA)
    catalog = scratch_db.catalog()
    plan = build_plan(catalog, (), "none", Decisions(tenancy=Tenancy(model="rls", tenant_table="public.tenants")))
    scripts = render(plan)
    backfill = next(s for s in scripts if s.step.phase == "backfill")
    assert "order_notes" in backfill.step.title and not backfill.step.transactional
    return scratch_db, catalog, scripts, backfill


def _run_until(url: str, scripts, last) -> list[str]:
    notices: list[str] = []
    for script in scripts:
        if script is last:
            break
        run_script(url, script.up, script.up_name, notices)
    return notices


def _interrupt(db, backfill) -> list[str]:
    """Run the backfill while another session holds a row lock on a later key, then cancel it."""
    notices: list[str] = []
    interrupted(db, backfill, "SELECT 1 FROM order_notes WHERE id = %s FOR UPDATE", (HELD_KEY,), notices)
    return notices


def _progress(db):
    return db.query("SELECT last_key, rows_done, finished_at FROM schema_studio_migration.progress")[0]


def test_interrupted_backfill_resumes(planned):
    db, _, scripts, backfill = planned
    _run_until(db.url, scripts, backfill)
    _interrupt(db, backfill)
    last_key, done, finished = _progress(db)
    empty = db.query("SELECT count(*) FROM order_notes WHERE tenant_id IS NULL")[0][0]
    assert finished is None and 0 < done < 30000 and int(last_key) < HELD_KEY, "stopped half-way, batches before it committed"
    assert empty == 30000 - done
    notices: list[str] = []
    run_script(db.url, backfill.up, backfill.up_name, notices)  # run again: continues after the last committed key
    assert any("resuming the backfill" in n and last_key in n for n in notices), notices
    assert db.query("SELECT count(*) FROM order_notes WHERE tenant_id IS NULL")[0][0] == 0
    assert db.query("SELECT count(*) FROM order_notes n JOIN orders o ON o.id = n.order_id WHERE n.tenant_id <> o.tenant_id")[0][0] == 0
    assert _progress(db)[2] is not None
    for script in scripts[scripts.index(backfill) + 1:]:  # the rest of the migration applies
        run_script(db.url, script.up, script.up_name, notices)


def test_interrupted_backfill_rolls_back(planned):
    db, catalog, scripts, backfill = planned
    _run_until(db.url, scripts, backfill)
    _interrupt(db, backfill)
    notices: list[str] = []
    for script in reversed(scripts[: scripts.index(backfill) + 1]):
        run_script(db.url, script.down, script.down_name, notices)
    assert model_differences(catalog, db.catalog()) == []
    assert db.query("SELECT count(*) FROM order_notes")[0][0] == 30000
