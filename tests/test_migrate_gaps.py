"""Gaps of the migration planner closed (issue #7): TRUNCATE mirrored while partitioning, column drops archived
before the contract step, new domains created, a table both partitioned and given a tenant column."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from studio.catalog import Catalog
from studio.design.decisions import Decisions, Partition
from studio.migrate import target_check
from studio.migrate.design_steps import DesignPlanner
from studio.migrate.phases import render
from studio.migrate.plan import PHASES, Builder, Plan, build_plan
from studio.verify import model_differences, row_counts, run_script

EVENTS = """
CREATE TABLE "Events" (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, kind text NOT NULL, happened_on date NOT NULL);
INSERT INTO "Events" (kind, happened_on) SELECT 'k' || g % 7, date '2024-01-01' + g % 400 FROM generate_series(1, 300) g;
ANALYZE;
"""


def _count(db, table: str) -> int:
    return db.query(f"SELECT count(*) FROM {table}")[0][0]


def test_truncate_is_mirrored_into_the_copy_and_back_after_the_swap(scratch_db):
    db = scratch_db
    db.execute(EVENTS)
    catalog = db.catalog()
    plan = build_plan(catalog, (), "none", Decisions(partitions=(Partition('public.Events', "range", "happened_on", "month"),)))
    scripts = render(plan)
    copy = next(s for s in scripts if s.step.phase == "backfill")
    swap = next(s for s in scripts if s.step.name.startswith("swap_in_partitioned"))
    notices: list[str] = []
    for script in scripts[: scripts.index(copy) + 1]:
        run_script(db.url, script.up, script.up_name, notices)
    assert _count(db, '"Events_new"') == 300
    db.execute('TRUNCATE "Events"')
    assert _count(db, '"Events_new"') == 0, "a TRUNCATE during the window empties the copy too"
    db.execute("""INSERT INTO "Events" (kind, happened_on) VALUES ('after truncate', '2024-02-02')""")
    assert db.query('SELECT kind FROM "Events_new"') == [("after truncate",)]
    for script in scripts[scripts.index(copy) + 1: scripts.index(swap) + 1]:
        run_script(db.url, script.up, script.up_name, notices)
    assert db.query("""SELECT relkind::text FROM pg_class WHERE oid = '"Events"'::regclass""")[0][0] == "p"
    db.execute('TRUNCATE "Events"')
    assert _count(db, '"Events_old"') == 0, "after the swap a TRUNCATE is mirrored back into the old table"
    db.execute("""INSERT INTO "Events" (kind, happened_on) VALUES ('after the swap', '2024-03-03')""")
    for script in scripts[scripts.index(swap) + 1:]:
        run_script(db.url, script.up, script.up_name, notices)
    for script in reversed(scripts):
        run_script(db.url, script.down, script.down_name, notices)
    assert model_differences(catalog, db.catalog()) == []
    assert db.query('SELECT kind FROM "Events"') == [("after the swap",)]
    triggers = db.query("""SELECT tgname FROM pg_trigger WHERE tgrelid = '"Events"'::regclass AND NOT tgisinternal""")
    assert triggers == [], "the downs remove every sync trigger"


def _target_of(sql: str) -> Catalog:
    """A hand-built design target: the SQL loaded into its own scratch database and read back."""
    from studio.sources import embedded, postgres

    with embedded.scratch_database("target") as name:
        with embedded.connect(name) as conn:
            conn.execute(sql)
            conn.commit()
        return postgres.introspect(embedded.admin_url(name))


def _plan_to(current: Catalog, target: Catalog) -> tuple[Plan, list[str]]:
    builder = Builder()
    planner = DesignPlanner(current, SimpleNamespace(target=target, setup_sql=(), extra_sql=(), scope=None), builder)
    planner.run()
    return Plan(tuple(sorted(builder.steps, key=lambda s: PHASES.index(s.phase)))), planner.notes


def _squawk(scripts, folder: Path) -> None:
    paths = []
    for script in scripts:
        for name, text in ((script.up_name, script.up), (script.down_name, script.down)):
            path = folder / Path(name).name
            path.write_text(text)
            paths.append(str(path))
    done = subprocess.run([str(Path(sys.executable).parent / "squawk"), "--reporter", "gcc", *paths], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def _prove(db, target: Catalog, folder: Path, between=None):
    """Ups reach the target with every row, downs give back the model and every row; squawk passes every script."""
    current = db.catalog()
    counts = row_counts(db.url, current)
    plan, notes = _plan_to(current, target)
    scripts = render(plan)
    _squawk(scripts, folder)
    notices: list[str] = []
    for script in scripts:
        run_script(db.url, script.up, script.up_name, notices)
    migrated = db.catalog()
    assert target_check.differences(target, migrated) == []
    assert row_counts(db.url, current) == counts
    if between:
        between(migrated)
    for script in reversed(scripts):
        run_script(db.url, script.down, script.down_name, notices)
    assert model_differences(current, db.catalog()) == []
    assert row_counts(db.url, current) == counts
    return plan, notes, migrated, notices


ACCOUNTS = """
CREATE SCHEMA "Sales";
CREATE TABLE "Sales"."Accounts" (id bigint PRIMARY KEY, name text NOT NULL);
INSERT INTO "Sales"."Accounts" SELECT g, 'account ' || g FROM generate_series(1, 40) g;
"""
DOMAINS = """
CREATE DOMAIN "Sales"."Email" AS text DEFAULT 'nobody@example.com' NOT NULL CHECK (VALUE ~ '@');
CREATE DOMAIN "Sales".work_email AS "Sales"."Email" CHECK (length(VALUE) < 200);
"""


def test_domains_new_in_the_target_are_created_before_the_columns_that_use_them(scratch_db, tmp_path):
    scratch_db.execute(ACCOUNTS)
    target = _target_of(ACCOUNTS + DOMAINS + 'ALTER TABLE "Sales"."Accounts" ADD COLUMN contact "Sales".work_email;')
    plan, notes, migrated, _ = _prove(scratch_db, target, tmp_path)
    assert not [n for n in notes if "domain" in n], notes
    created = [s for s in plan.ordered() if s.name.startswith("create_domain")]
    assert [s.title for s in created] == ["create domain Sales.Email", "create domain Sales.work_email"], "base domain first"
    adding = next(i for i, s in enumerate(plan.ordered()) if s.name.startswith("add_column"))
    assert plan.ordered().index(created[-1]) < adding
    assert sorted(migrated.domains, key=lambda d: d.name) == sorted(target.domains, key=lambda d: d.name)
    assert scratch_db.query("SELECT count(*) FROM pg_type WHERE typtype = 'd' AND typnamespace = '\"Sales\"'::regnamespace")[0][0] == 0
