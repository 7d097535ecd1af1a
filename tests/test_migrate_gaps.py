"""Gaps of the migration planner closed (issue #7): TRUNCATE mirrored while partitioning, column drops archived
before the contract step, new domains created, a table both partitioned and given a tenant column."""

from __future__ import annotations

from pathlib import Path

from studio.bundle.verify import model_differences, row_counts, run_script
from studio.catalog import Catalog
from studio.design.apply import Design
from studio.design.decisions import Decisions, Partition
from studio.migrate import target_check
from studio.migrate.design_steps import DesignPlanner
from studio.migrate.phases import render
from studio.migrate.plan import PHASES, Builder, Plan, build_plan
from tests.squawk import assert_squawk_passes, bundle_migrations

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
    planner = DesignPlanner(current, Design(current, target, Decisions()), builder)
    planner.run()
    return Plan(tuple(sorted(builder.steps, key=lambda s: PHASES.index(s.phase)))), planner.notes


def _squawk(scripts, folder: Path) -> None:
    assert_squawk_passes({name: text for s in scripts for name, text in ((s.up_name, s.up), (s.down_name, s.down))}, folder)


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


LEDGER = """
CREATE SCHEMA "Sales";
CREATE TABLE "Sales"."Accounts" (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE "Sales".ledger_lines (
    account_id bigint NOT NULL REFERENCES "Sales"."Accounts" (id), line_no int NOT NULL,
    amount numeric(12, 2) NOT NULL,
    "Legacy Code" text COLLATE "C" NOT NULL DEFAULT 'none' CHECK ("Legacy Code" <> ''),
    memo text,
    PRIMARY KEY (account_id, line_no));
CREATE INDEX ledger_lines_legacy_idx ON "Sales".ledger_lines ("Legacy Code");
COMMENT ON COLUMN "Sales".ledger_lines."Legacy Code" IS 'code of the old system';
CREATE TABLE "Sales".unkeyed (note text, obsolete int);
INSERT INTO "Sales"."Accounts" SELECT g, 'account ' || g FROM generate_series(1, 40) g;
INSERT INTO "Sales".ledger_lines SELECT g % 40 + 1, g, g * 1.5, 'L' || g, CASE WHEN g % 3 = 0 THEN NULL ELSE 'memo ' || g END
FROM generate_series(1, 12000) g;
INSERT INTO "Sales".unkeyed VALUES ('a', 1);
"""
DROPPED = """
ALTER TABLE "Sales".ledger_lines DROP COLUMN "Legacy Code", DROP COLUMN memo;
ALTER TABLE "Sales".unkeyed DROP COLUMN obsolete;
"""
LINES = 'SELECT account_id, line_no, "Legacy Code", memo FROM "Sales".ledger_lines ORDER BY 1, 2'


def test_a_dropped_column_is_archived_dropped_last_and_restored_by_the_downs(scratch_db, tmp_path):
    db = scratch_db
    db.execute(LEDGER)
    current = db.catalog()
    target = _target_of(LEDGER + DROPPED)
    plan, notes = _plan_to(current, target)
    assert any("Sales.unkeyed.obsolete" in n and "no primary key" in n for n in notes), notes
    scripts = [s for s in render(plan)]
    _squawk(scripts, tmp_path)
    ordered = [s.step.name for s in scripts]
    drops = [n for n in ordered if n.startswith("drop_column")]
    assert len(drops) == 2 and ordered[-2:] == drops, "the column drops are the last contract steps"
    assert ordered.index("drop_index_ledger_lines") < ordered.index(drops[0])
    first_drop = ordered.index(drops[0])
    notices: list[str] = []
    for script in scripts[:first_drop]:
        run_script(db.url, script.up, script.up_name, notices)
    # writes while the application still has the column: the archive follows them
    db.execute("""UPDATE "Sales".ledger_lines SET "Legacy Code" = 'changed', memo = NULL WHERE line_no = 5;
                  DELETE FROM "Sales".ledger_lines WHERE line_no = 6;
                  INSERT INTO "Sales".ledger_lines VALUES (1, 20000, 1, 'written in the window', 'window memo')""")
    before_drop = db.query(LINES)
    for script in scripts[first_drop:]:
        run_script(db.url, script.up, script.up_name, notices)
    migrated = db.catalog()
    assert target_check.unplanned_tables(notes, target) == {"Sales.unkeyed"}
    assert [d for d in target_check.differences(target, migrated) if not d.startswith("Sales.unkeyed.")] == [], \
        "reaches the target; the archive schema is ours, not compared"
    assert migrated.table("Sales.ledger_lines").column("Legacy Code") is None
    archived = db.query('SELECT account_id, line_no, "Legacy Code" FROM schema_studio_archive."Sales__ledger_lines__Legacy Code" ORDER BY 1, 2')
    assert archived == [(a, n, code) for a, n, code, _ in before_drop]
    db.execute("""INSERT INTO "Sales".ledger_lines VALUES (2, 30000, 2)""")  # written after the drop: no archived value
    for script in reversed(scripts):
        run_script(db.url, script.down, script.down_name, notices)
    assert model_differences(current, db.catalog()) == []
    assert db.query(LINES) == sorted(before_drop + [(2, 30000, "none", None)]), "values restored; a row written meanwhile takes the default"
    assert any("backfill of" in n and "Legacy Code" in n and "finished" in n for n in notices), "restored in batches"
    assert db.query("SELECT to_regnamespace('schema_studio_archive')")[0][0] is None


def test_a_table_partitioned_and_given_a_tenant_column_in_one_design_verifies(tmp_path):
    """rls adds tenant_id to work_order_photos (a child of work_orders); partitioning it too: the partitioned copy takes
    tenant_id from the parent path while copying and while mirroring writes."""
    from studio.design.decisions import Tenancy
    from studio.migrate.export import build_export
    from studio.sources import open_source

    photos = "public.work_order_photos"
    decisions = Decisions(tenancy=Tenancy(model="rls"), partitions=(Partition(photos, "range", "taken_at", "month"),))
    export = build_export(open_source(demo=True), accepted="none", decisions=decisions)
    result = export.verified
    assert result.ok, result.text()
    assert not [n for n in export.plan.notes if photos in n], export.plan.notes
    assert any(c.name == "migrated schema equals the design target" and c.ok and "tables compared" in c.detail for c in result.checks)
    table = result.migrated.table(photos)
    assert table.kind == "partitioned_table" and not table.column("tenant_id").nullable and table.rls_forced
    steps = {s.name: s for s in export.plan.ordered()}
    copy = steps["copy_rows_work_order_photos"]
    assert "FROM public.work_orders AS _p0 WHERE _p0.id = x.work_order_id" in "\n".join(copy.up)
    assert "unfilled_work_order_photos" in steps, "rows without a parent would be quarantined, not lost"
    assert any("copy of" in n and photos in n and "finished" in n for n in result.notices)
    assert_squawk_passes(bundle_migrations(export.data), tmp_path)
