"""Gaps of the migration planner closed (issue #7): TRUNCATE mirrored while partitioning, column drops archived
before the contract step, new domains created, a table both partitioned and given a tenant column."""

from __future__ import annotations

from studio.design.decisions import Decisions, Partition
from studio.migrate.phases import render
from studio.migrate.plan import build_plan
from studio.verify import model_differences, run_script

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
