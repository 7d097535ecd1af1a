"""Data checks against real rows in the embedded PostgreSQL: counts, sampling, timeouts, cancel, locks."""

from __future__ import annotations

import io
import threading
import time

import psycopg
import pytest

from analyzers.data import DataOptions
from analyzers.data_run import DataRun, confirm_implied, run_data_checks, with_data
from analyzers.engine import AnalysisConfig, analyze
from analyzers.families import all_rules
from studio.db import reader
from studio.progress import CallbackProgress, CancelToken, ProgressState, TerminalProgress

DATA_RULES = sorted(r.id for r in all_rules().values() if r.needs == "data")


def run_on(db, rule_ids=(), catalog=None, **options) -> DataRun:
    config = AnalysisConfig(only=frozenset(rule_ids))
    return run_data_checks(catalog or db.catalog(), reader(db.url), config=config, options=DataOptions(**options))


def by_rule(run: DataRun, rule_id: str):
    return [f for f in run.findings if f.rule == rule_id]


def test_the_data_rules_are_registered():
    assert DATA_RULES == [
        "column-never-null",
        "denormalized-copy-drift",
        "duplicate-natural-key-values",
        "orphaned-rows",
    ]
    for rule_id in DATA_RULES:
        rule = all_rules()[rule_id]
        assert rule.category == "data"
        assert "INSERT" in rule.bad.upper(), f"{rule_id}: its Bad example must carry rows"


@pytest.mark.parametrize("rule_id", DATA_RULES)
def test_bad_example_fires_and_good_stays_silent(rule_id, scratch_db):
    rule = all_rules()[rule_id]
    scratch_db.execute(rule.bad)
    assert by_rule(run_on(scratch_db, [rule_id]), rule_id), f"{rule_id} did not fire on its Bad example"
    scratch_db.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    scratch_db.execute(rule.good)
    assert by_rule(run_on(scratch_db, [rule_id]), rule_id) == [], f"{rule_id} fired on its Good example"


FIXTURE = """
CREATE SCHEMA "Shop";
CREATE TABLE "Shop"."Customers" ("Id" integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE "Shop"."Orders" ("Id" integer PRIMARY KEY, "CustomerId" integer, "CustomerName" text,
                              order_no text NOT NULL);
INSERT INTO "Shop"."Customers" SELECT g, 'customer ' || g FROM generate_series(1, 100) AS g;
-- 30 orders; 4 point at customers 901..904 that do not exist; one has no customer at all
INSERT INTO "Shop"."Orders"
SELECT g, CASE WHEN g <= 4 THEN 900 + g WHEN g = 5 THEN NULL ELSE g END,
       CASE WHEN g IN (10, 11) THEN 'renamed' ELSE 'customer ' || g END,
       'ORD-' || CASE WHEN g IN (20, 21, 22) THEN 20 WHEN g IN (23, 24) THEN 23 ELSE g END
FROM generate_series(1, 30) AS g;

CREATE TABLE tenants (id integer PRIMARY KEY);
CREATE TABLE lines (tenant_id integer NOT NULL REFERENCES tenants, id integer, product integer,
                    PRIMARY KEY (tenant_id, id));
CREATE TABLE line_notes (tenant_id integer, line_id integer, body text);
INSERT INTO tenants VALUES (1), (2);
INSERT INTO lines VALUES (1, 1, 1), (1, 2, 1), (2, 1, 1);
INSERT INTO line_notes VALUES (1, 1, 'a'), (1, 2, 'b'), (2, 2, 'c'), (2, 3, 'd'), (NULL, 9, 'e');
ALTER TABLE line_notes ADD CONSTRAINT line_notes_line_fkey FOREIGN KEY (tenant_id, line_id)
    REFERENCES lines (tenant_id, id) NOT VALID;
"""


@pytest.fixture(scope="module")
def shop():
    from studio.sources import embedded
    from tests.conftest import ScratchDB

    with embedded.scratch_database("datachecks") as name:
        db = ScratchDB(name)
        db.execute(FIXTURE)
        yield db


def test_orphans_of_an_implied_key_with_exact_count_samples_and_listing_query(shop):
    run = run_on(shop)
    [orphans] = [f for f in by_rule(run, "orphaned-rows") if f.table == "Shop.Orders"]
    details = dict(orphans.details)
    assert orphans.columns == ("CustomerId",) and orphans.related == ("Shop.Customers",)
    assert (details["count"], details["checked"]) == (4, 29)  # the NULL is not an orphan
    assert details["samples"] == ["901", "902", "903", "904"]
    assert details["sampled"] is False
    assert "4 of 29 rows" in orphans.message and details["query"] in orphans.message
    assert details["query"] in orphans.fix
    listed = shop.query(details["query"].rstrip(";"))
    assert sorted(r[0] for r in listed) == [1, 2, 3, 4]


def test_orphans_of_a_not_valid_composite_key(shop):
    run = run_on(shop)
    [orphans] = [f for f in by_rule(run, "orphaned-rows") if f.table == "public.line_notes"]
    details = dict(orphans.details)
    assert orphans.columns == ("tenant_id", "line_id")
    assert (details["count"], details["checked"], details["declared"]) == (2, 4, True)
    assert details["samples"] == ["(2,2)", "(2,3)"]
    assert "VALIDATE CONSTRAINT line_notes_line_fkey" in orphans.fix
    assert len(shop.query(details["query"].rstrip(";"))) == 2


def test_duplicate_natural_key_values_with_counts(shop):
    run = run_on(shop)
    [dup] = by_rule(run, "duplicate-natural-key-values")
    details = dict(dup.details)
    assert dup.table == "Shop.Orders" and dup.columns == ("order_no",)
    assert (details["count"], details["rows"]) == (2, 5)
    assert details["samples"] == ["ORD-20 ×3", "ORD-23 ×2"]


def test_copy_drift_counts_rows_that_disagree_with_the_parent(shop):
    run = run_on(shop)
    [drift] = by_rule(run, "denormalized-copy-drift")
    assert drift.table == "Shop.Orders" and drift.columns == ("CustomerName",)
    assert dict(drift.details)["count"] == 2
    assert "'renamed' here, 'customer 10' in the parent" in drift.message


def test_column_never_null_needs_enough_rows(shop):
    run = run_on(shop)
    never = {(f.table, f.columns) for f in by_rule(run, "column-never-null")}
    assert ("Shop.Orders", ("CustomerName",)) in never  # 30 rows, no NULL
    assert ("Shop.Orders", ("CustomerId",)) not in never  # has a NULL
    assert not any(t == "public.line_notes" for t, _ in never)  # 5 rows: too few to say


def test_never_null_fix_runs(scratch_db):
    scratch_db.execute(all_rules()["column-never-null"].bad)
    [finding] = by_rule(run_on(scratch_db, ["column-never-null"]), "column-never-null")
    scratch_db.execute(finding.fix)
    assert scratch_db.catalog().table("public.parts").column("name").nullable is False


def test_implied_key_contradicted_by_the_data_drops_to_info(scratch_db):
    scratch_db.execute("""
        CREATE TABLE stations (id integer PRIMARY KEY);
        CREATE TABLE readings (id integer PRIMARY KEY, station_id integer NOT NULL);
        CREATE TABLE visits (id integer PRIMARY KEY, station_id integer NOT NULL);
        INSERT INTO stations SELECT generate_series(1, 5);
        INSERT INTO readings SELECT g, 1000 + g FROM generate_series(1, 40) AS g;  -- none has a parent
        INSERT INTO visits SELECT g, g % 5 + 1 FROM generate_series(1, 40) AS g;     -- all have one
    """)
    catalog = scratch_db.catalog()
    data = run_data_checks(catalog, reader(scratch_db.url))
    static = analyze(catalog)
    judged = {f.table: f for f in confirm_implied(static, data).findings if f.rule == "implied-foreign-key"}
    assert judged["public.readings"].severity == "info"
    assert "only 0% of 40 non-NULL values" in judged["public.readings"].message
    assert judged["public.visits"].severity == "warning"
    assert "the data agrees: 100% of 40" in judged["public.visits"].message
    # a contradicted guess is not reported as 40 orphans as well
    assert [f.table for f in by_rule(data, "orphaned-rows")] == []
    combined = with_data(static, data)
    assert {f.rule for f in combined.findings} >= {"implied-foreign-key"}
    assert combined.summary()["total"] == len(static.findings) + len(data.findings)


# Bounded: sampling, timeouts, budget, cancel, locks ---------------------------------------------


@pytest.fixture(scope="module")
def big():
    """A child of 2,000,000 generated rows (0.1% orphans) against a parent of 1,000."""
    from studio.sources import embedded
    from tests.conftest import ScratchDB

    with embedded.scratch_database("databig") as name:
        db = ScratchDB(name)
        db.execute("""
            CREATE TABLE sensors (id integer PRIMARY KEY);
            INSERT INTO sensors SELECT generate_series(1, 1000);
            CREATE TABLE samples (id bigint PRIMARY KEY, sensor_id integer NOT NULL);
            INSERT INTO samples
            SELECT g, CASE WHEN g % 1000 = 0 THEN 5000 ELSE g % 997 + 1 END FROM generate_series(1, 2000000) AS g;
            ANALYZE sensors; ANALYZE samples;
        """)
        yield db


@pytest.mark.slow
def test_a_large_table_is_sampled_and_says_so(big):
    run = run_on(big, ["orphaned-rows"], sample_threshold=1_000_000, sample_rows=1_000_000)
    [orphans] = by_rule(run, "orphaned-rows")
    details = dict(orphans.details)
    assert details["sampled"] is True and details["sample_percent"] == 50
    assert "sampled: TABLESAMPLE SYSTEM at 50% of pages" in orphans.message
    assert 0 < details["checked"] < 2_000_000
    assert 0 < details["count"] < 2_000


@pytest.mark.slow
def test_exact_reads_every_row(big):
    run = run_on(big, ["orphaned-rows"], sample_threshold=1_000_000, exact=True)
    [orphans] = by_rule(run, "orphaned-rows")
    details = dict(orphans.details)
    assert (details["count"], details["checked"], details["sampled"]) == (2_000, 2_000_000, False)
    assert details["samples"] == ["5000"]
    assert "sampled" not in orphans.message


class LockedTable:
    """Another session holding ACCESS EXCLUSIVE on a table, so a check reading it waits."""

    def __init__(self, db, table: str):
        self.conn = psycopg.connect(db.url, autocommit=False)
        self.conn.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")

    def release(self):
        self.conn.rollback()
        self.conn.close()


def studio_waiting_backend(db, deadline_s: float = 20.0) -> int:
    """pid of the studio's session once it waits for a lock."""
    stop = time.monotonic() + deadline_s
    while time.monotonic() < stop:
        rows = db.query(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'schema-studio' "
            "AND datname = current_database() AND wait_event_type = 'Lock'"
        )
        if rows:
            return rows[0][0]
        time.sleep(0.05)
    raise AssertionError("the data check never started waiting on the locked table")


def test_a_check_that_times_out_is_reported_not_passed(shop):
    catalog = shop.catalog()
    holder = LockedTable(shop, '"Shop"."Orders"')
    try:
        run = run_on(shop, ["orphaned-rows"], catalog, statement_timeout_s=0.3)
    finally:
        holder.release()
    assert not [f for f in run.findings if f.table == "Shop.Orders"]
    assert (
        "not checked: orphaned-rows (orphans of CustomerId -> Shop.Customers) on Shop.Orders: timed out after 0.3 s"
        in run.notes
    )
    assert run.completed == run.checks - 1  # the other table was still checked
    assert by_rule(run, "orphaned-rows")[0].table == "public.line_notes"


def test_the_time_budget_bounds_the_run(shop):
    run = run_on(shop, budget_s=0)
    assert run.completed == 0 and run.findings == ()
    assert len(run.notes) == run.checks > 0
    assert all("time budget of 0 s was used up" in n for n in run.notes)


def test_checks_take_no_lock_stronger_than_a_plain_select(shop):
    holder = LockedTable(shop, '"Shop"."Customers"')  # the parent: planning waits after locking the child
    result: dict = {}
    worker = threading.Thread(
        target=lambda: result.update(run=run_on(shop, ["orphaned-rows"], statement_timeout_s=30))
    )
    worker.start()
    try:
        pid = studio_waiting_backend(shop)
        locks = shop.query(
            "SELECT l.mode, l.granted, c.relname FROM pg_locks AS l LEFT JOIN pg_class AS c ON c.oid = l.relation "
            "WHERE l.pid = %s AND l.locktype = 'relation'",
            (pid,),
        )
    finally:
        holder.release()
        worker.join(60)
    assert ("AccessShareLock", True, "Orders") in locks
    assert ("AccessShareLock", False, "Customers") in locks
    assert {mode for mode, _, _ in locks} == {"AccessShareLock"}
    assert len(by_rule(result["run"], "orphaned-rows")) == 2  # it completed once the lock was released


def test_cancel_from_another_thread_stops_the_running_statement_server_side(shop):
    catalog = shop.catalog()
    holder = LockedTable(shop, '"Shop"."Orders"')
    token = CancelToken()
    state = ProgressState()
    result: dict = {}
    worker = threading.Thread(
        target=lambda: result.update(
            run=run_data_checks(
                catalog,
                reader(shop.url),
                options=DataOptions(statement_timeout_s=60),
                progress=state,
                cancel=token,
            )
        )
    )
    worker.start()
    try:
        pid = studio_waiting_backend(shop)
        token.cancel()  # the lock is still held: only a server-side cancel can end the wait
        worker.join(30)
        assert not worker.is_alive(), "the run did not stop after cancel"
        assert shop.query("SELECT state FROM pg_stat_activity WHERE pid = %s", (pid,)) in ([], [("idle",)])
    finally:
        holder.release()
        worker.join(30)
    run = result["run"]
    assert run.cancelled is True
    assert any(n.startswith("not checked: ") and n.endswith("on Shop.Orders: cancelled") for n in run.notes)
    assert run.completed < run.checks
    assert state.finished is True


# Progress ---------------------------------------------------------------------------------------


def test_progress_plain_lines_off_a_terminal(shop):
    stream = io.StringIO()
    run = run_data_checks(shop.catalog(), reader(shop.url), progress=TerminalProgress(stream))
    lines = stream.getvalue().splitlines()
    assert lines[0] == f"data checks: {run.checks} checks on 3 tables"
    assert lines[-1].startswith(f"[{run.checks}/{run.checks}] ")
    assert "\r" not in stream.getvalue()


def test_progress_bar_on_a_terminal_and_per_table_state(shop):
    stream = io.StringIO()
    events = []
    state = ProgressState()
    run_data_checks(shop.catalog(), reader(shop.url), progress=CallbackProgress(events.append))
    run_data_checks(shop.catalog(), reader(shop.url), progress=state)
    bar = TerminalProgress(stream, bar=True)
    bar.start({"t": 2})
    bar.advance("t", "one")
    bar.advance("t", "two")
    bar.finish()
    assert "[##############--------------] 1/2" in stream.getvalue()
    assert [e.kind for e in events][0] == "start" and events[-1].kind == "finish"
    assert events[-1].done == events[-1].total > 0
    snapshot = state.snapshot()
    assert set(snapshot) == {"Shop.Orders", "public.line_notes", "public.lines"}
    assert snapshot["Shop.Orders"].total == 4  # orphans, duplicates, drift, NULLs
    assert all(u.done == u.total for u in snapshot.values()) and state.fraction == 1.0


# The demo ----------------------------------------------------------------------------------------


def test_the_demo_data_findings_match_its_answer_key_with_exact_counts():
    import tomllib
    from pathlib import Path

    from studio.sources import demo

    key = tomllib.loads((Path(demo.__file__).parent.parent / "demo" / "answer_key.toml").read_text())
    expected = {
        (f["rule"], f["table"], tuple(f["columns"])): f for f in key["finding"] if f["rule"] in DATA_RULES
    }
    assert len(expected) >= 5, "the answer key lists the demo's planted data findings"
    loaded = demo.load()
    run = run_data_checks(loaded.catalog, reader(loaded.url))
    assert run.notes == () and run.completed == run.checks
    found = {(f.rule, f.table, f.columns): f for f in run.findings}
    assert set(found) == set(expected)
    for ident_, wanted in expected.items():
        details = dict(found[ident_].details)
        if "count" in wanted:
            assert details["count"] == wanted["count"], ident_
        if "rows" in wanted:
            assert details["rows"] == wanted["rows"], ident_
        if "related" in wanted:
            assert list(found[ident_].related) == wanted["related"], ident_


def test_cli_data_flag_reports_progress_on_stderr_and_data_findings(capsys):
    import json

    from studio.cli import main

    status = main(["analyze", "--demo", "--data", "--check-timeout", "20", "--format", "json"])
    out, err = capsys.readouterr()
    rules = {f["rule"] for f in json.loads(out)["findings"]}
    assert {"orphaned-rows", "duplicate-natural-key-values", "denormalized-copy-drift"} <= rules
    assert "implied-foreign-key" in rules  # the static findings are still there
    assert err.splitlines()[0].startswith("data checks: ")  # plain lines: stderr is not a terminal here
    assert status == 0


def test_cli_rejects_a_non_positive_budget(capsys):
    from studio.cli import main

    assert main(["analyze", "--demo", "--data", "--budget", "0"]) == 2
    assert "--check-timeout and --budget must be positive" in capsys.readouterr().err


# The studio --------------------------------------------------------------------------------------


def test_findings_page_runs_data_checks_in_the_background_and_merges_them():
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=180)
    at.run()
    at.switch_page("views/findings.py").run()
    assert not at.exception, [e.value for e in at.exception]
    static_total = int(next(m.value for m in at.metric if m.label == "Findings").replace(",", ""))
    next(b for b in at.button if b.label == "Run data checks").click()
    at.run()
    job = at.session_state["source.data.job"]
    assert job.thread is not None  # started, page returned without waiting for it
    job.wait(120)
    at.run()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert job.result is not None and job.result.completed == job.result.checks
    total = int(next(m.value for m in at.metric if m.label == "Findings").replace(",", ""))
    assert total == static_total + len(job.result.findings) and len(job.result.findings) == 5
    assert any(b.label == "Run again" for b in at.button)


def test_overview_profile_on_request():
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=180)
    at.run()
    frames = len(at.dataframe)
    next(b for b in at.button if b.label == "Profile rows").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.dataframe) == frames + 2
    tables = at.dataframe[frames].value
    customers = tables[tables["table"] == "public.customers"].iloc[0]
    assert (customers["rows"], customers["count"]) == (60, "exact")
