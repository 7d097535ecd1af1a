"""Workload analysis on live databases: EXPLAIN verdicts, unused indexes, pg_stat_statements, the CLI."""

from __future__ import annotations

import json
import time

import psycopg
import pytest

from analyzers.explain import Scan, verdict
from analyzers.registry import Finding
from analyzers.workload_input import read_pg_stat_statements, read_text, top_statements_sql
from analyzers.workload_run import read_index_usage, run_workload
from studio.cli import main
from studio.db import reader
from studio.sources import embedded

ROWS = """
CREATE TABLE public.readings (
    id bigint PRIMARY KEY,
    device text NOT NULL,
    shift int NOT NULL,
    taken_at timestamptz NOT NULL,
    serial text NOT NULL UNIQUE,
    batch int NOT NULL
);
INSERT INTO public.readings
SELECT i, 'dev-' || (i % 500), i % 2, timestamptz '2024-01-01' + i * interval '1 minute', 's' || i, i % 100
FROM generate_series(1, 20000) AS i;
CREATE INDEX readings_taken_at_idx ON public.readings (taken_at);
CREATE INDEX readings_batch_idx ON public.readings (batch);
CREATE INDEX readings_device_idx ON public.readings (device);
ANALYZE public.readings;
"""


@pytest.fixture
def readings(scratch_db):
    scratch_db.execute(ROWS)
    return scratch_db


def coverage(run):
    return {f.statement: f for f in run.findings if f.rule == "query-not-covered-by-index"}


def test_explain_confirms_a_sequential_scan_and_refutes_an_index_the_planner_uses(readings):
    workload = read_text(
        "SELECT id FROM readings WHERE shift = :shift;\n"
        "SELECT * FROM readings WHERE shift = $1 ORDER BY taken_at LIMIT 1;\n"
        "SELECT id FROM readings WHERE device = $1"
    )
    run = run_workload(readings.catalog(), workload, connect=reader(readings.url))
    found = coverage(run)
    assert sorted(found) == [1, 2]  # statement 3 is served by readings_device_idx
    confirmed, refuted = found[1], found[2]
    assert dict(confirmed.details)["explain"] == "confirmed" and confirmed.severity == "warning"
    assert "EXPLAIN confirms it: the planner reads public.readings with a seq scan" in confirmed.message
    assert dict(refuted.details)["explain"] == "refuted" and refuted.severity == "info"
    assert "EXPLAIN refutes it: the planner reads public.readings through index readings_taken_at_idx" in refuted.message
    assert run.notes == ()


def test_explain_never_runs_the_statement(readings):
    workload = read_text("DELETE FROM readings WHERE shift = $1")
    run = run_workload(readings.catalog(), workload, connect=reader(readings.url))
    assert dict(coverage(run)[1].details)["explain"] == "confirmed"
    assert readings.query("SELECT count(*) FROM readings") == [(20000,)]


def test_a_statement_postgres_rejects_is_a_note_not_a_crash(readings):
    workload = read_text("SELECT id FROM readings WHERE shift = $1 AND taken_at::date = $1::int")
    run = run_workload(readings.catalog(), workload, connect=reader(readings.url))
    assert any(n.startswith("statement 1 (line 1): not explained:") for n in run.notes)


def test_verdict_maps_partitions_to_their_parent():
    from studio.catalog import Catalog, Table

    catalog = Catalog(tables=(Table("public", "events", kind="partitioned_table"),
                              Table("public", "events_2024", kind="partition", partition_of="public.events")))
    finding = Finding("query-not-covered-by-index", "warning", "workload", "public.events", ("kind",), (), "m", "e", "")
    assert verdict(catalog, finding, [Scan("Seq Scan", "public.events_2024")])[0] == "confirmed"
    assert verdict(catalog, finding, [Scan("Index Scan", "public.events_2024", "events_2024_kind_idx")])[0] == "refuted"
    assert verdict(catalog, finding, [Scan("Seq Scan", "public.other")])[0] == "unseen"


def _wait_for_scans(scratch_db, index: str) -> None:
    """Statistics reach pg_stat_user_indexes when the scanning backend flushes them (at its exit)."""
    for _ in range(100):
        rows = scratch_db.query("SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = %s", (index,))
        if rows and rows[0][0]:
            return
        time.sleep(0.1)
    pytest.fail(f"{index} never showed a scan in pg_stat_user_indexes")


def test_unused_index_after_real_scans(readings):
    with psycopg.connect(readings.url, autocommit=True) as conn:
        conn.execute("SET enable_seqscan = off")
        for value in range(5):
            conn.execute("SELECT id FROM readings WHERE device = %s", (f"dev-{value}",)).fetchall()
            conn.execute("SELECT id FROM readings WHERE id = %s", (value,)).fetchall()
    _wait_for_scans(readings, "readings_device_idx")
    usage = {u.index: u for u in read_index_usage(reader(readings.url))}
    assert usage["readings_device_idx"].scans >= 5 and usage["readings_pkey"].constraint
    assert usage["readings_serial_key"].unique and usage["readings_batch_idx"].scans == 0

    run = run_workload(readings.catalog(), read_text("SELECT 1"), connect=reader(readings.url), live=True)
    unused = [f for f in run.findings if f.rule == "unused-index"]
    assert sorted(f.related[0] for f in unused) == ["public.readings_batch_idx", "public.readings_taken_at_idx"]
    batch = next(f for f in unused if f.related == ("public.readings_batch_idx",))
    assert batch.severity == "info" and batch.table == "public.readings"
    assert "has had no scans since" in batch.message and "kB" in batch.message
    assert dict(batch.details)["index_bytes"] > 0
    assert batch.fix.endswith("DROP INDEX CONCURRENTLY public.readings_batch_idx;")
    # Not live (a loaded file or the demo): no claims about usage.
    assert not [f for f in run_workload(readings.catalog(), read_text("SELECT 1")).findings if f.rule == "unused-index"]


def test_pg_stat_statements_absent_is_a_note(scratch_db):
    workload = read_pg_stat_statements(reader(scratch_db.url))
    assert workload.statements == ()
    assert workload.notes and "pg_stat_statements is not installed in this database" in workload.notes[0]


def test_pg_stat_statements_top_statements(scratch_db):
    preloaded = scratch_db.query("SELECT current_setting('shared_preload_libraries')")[0][0]
    if "pg_stat_statements" not in preloaded:
        # the embedded server always preloads it (studio/sources/embedded.py): only a user's override may not
        assert not embedded.is_embedded(), "the embedded server must preload pg_stat_statements"
        pytest.skip("the sandbox server at SCHEMA_STUDIO_SANDBOX_URL does not preload pg_stat_statements")
    scratch_db.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    scratch_db.execute("CREATE TABLE t (id int PRIMARY KEY, k text); INSERT INTO t SELECT i, 'k' || i FROM generate_series(1, 1000) i")
    for _ in range(3):
        scratch_db.execute("SELECT id FROM t WHERE k = 'k5'")
    workload = read_pg_stat_statements(reader(scratch_db.url))
    statement = next(s for s in workload.statements if "FROM t WHERE k" in s.text)
    assert statement.calls >= 3 and statement.total_ms >= 0 and statement.mean_ms >= 0


def test_top_statements_sql_names_the_columns_of_the_server_version():
    assert "total_exec_time" in top_statements_sql("public", 160002, 10)
    assert "s.total_time" in top_statements_sql("public", 120000, 10)
    assert top_statements_sql("Stats", 160002, 10).count('"Stats".pg_stat_statements') == 1


def test_cli_queries_join_the_report_in_json_sarif_and_markdown(readings, tmp_path, capsys):
    queries = tmp_path / "q.sql"
    queries.write_text("-- hot path\nSELECT id FROM readings\nWHERE shift = :shift;\nSELECT colour FROM readings;\nSELEC 1;\n")
    out = tmp_path / "r.json"
    assert main(["analyze", "--dsn", readings.url, "--queries", str(queries), "--format", "json", "-o", str(out)]) == 0
    data = json.loads(out.read_text())
    by_rule = {f["rule"]: f for f in data["findings"] if f["category"] == "workload"}
    assert by_rule["query-not-covered-by-index"]["statement"] == 1
    assert "`SELECT id FROM readings`" in by_rule["query-not-covered-by-index"]["message"]
    assert by_rule["query-references-unknown-object"]["statement"] == 2
    assert any(n.startswith("statement 3 (line 5") for n in data["notes"])
    assert "unused-index" in {f["rule"] for f in data["findings"]}  # --dsn is live

    assert main(["analyze", "--dsn", readings.url, "--queries", str(queries), "--format", "sarif", "--fail-on", "error"]) == 1
    sarif = json.loads(capsys.readouterr().out)
    assert "query-references-unknown-object" in {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert main(["analyze", "--dsn", readings.url, "--queries", str(queries), "--format", "markdown"]) == 0
    assert "query-not-covered-by-index" in capsys.readouterr().out


def test_cli_pg_stat_statements_on_a_database_without_it(readings, capsys):
    assert main(["analyze", "--dsn", readings.url, "--pg-stat-statements", "--format", "json"]) == 0
    assert "pg_stat_statements is not installed" in " ".join(json.loads(capsys.readouterr().out)["notes"])
