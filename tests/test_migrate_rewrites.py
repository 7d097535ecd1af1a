"""Each step's rewrite claim, checked on a copy with rows: a step that says it keeps the table keeps its relfilenode."""

from __future__ import annotations

import psycopg

from analyzers.engine import analyze
from studio.migrate.plan import build_plan
from studio.sources import embedded

EVENTS = """
CREATE TABLE events (id bigint PRIMARY KEY, occurred_at timestamp NOT NULL, logged_at timestamp(3));
CREATE INDEX events_occurred_at ON events (occurred_at);
INSERT INTO events SELECT g, timestamp '2026-03-29 00:30' + g * interval '1 minute', NULL FROM generate_series(1, 500) AS g;
"""


def _relfilenode(conn, name: str) -> int:
    return conn.execute("SELECT relfilenode FROM pg_class WHERE oid = %s::regclass", (name,)).fetchone()[0]


def test_timestamp_to_timestamptz_at_utc_keeps_the_table_and_its_values(scratch_db):
    scratch_db.execute(EVENTS)
    catalog = scratch_db.catalog()
    plan = build_plan(catalog, analyze(catalog).findings, ("timestamp-without-time-zone",))
    changes = [s for s in plan.steps if s.name.startswith("change_type")]
    by_column = {s.title: s for s in changes}
    assert len(changes) == 2, [s.title for s in plan.steps]
    plain = next(s for s in changes if "occurred_at" in " ".join(s.up))
    precise = next(s for s in changes if "logged_at" in " ".join(s.up))
    assert "not rewritten" in plain.lock and "SET LOCAL TimeZone = 'UTC';" in plain.up, by_column
    assert "AT TIME ZONE" in " ".join(precise.up), "a precision rewrites anyway: the explicit conversion stays"
    with psycopg.connect(embedded.admin_url(scratch_db.name), autocommit=True) as conn:
        before = _relfilenode(conn, "events")
        values = conn.execute("SELECT id, occurred_at::text FROM events ORDER BY id").fetchall()
        conn.execute("BEGIN")
        for statement in plain.up:
            conn.execute(statement)
        conn.execute("COMMIT")
        assert _relfilenode(conn, "events") == before, "the step said the table is not rewritten"
        assert conn.execute("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'events'::regclass "
                            "AND attname = 'occurred_at'").fetchone()[0] == "timestamp with time zone"
        utc = conn.execute("SELECT id, (occurred_at AT TIME ZONE 'UTC')::text FROM events ORDER BY id").fetchall()
        assert utc == values, "every value is the same instant, read as UTC"
        conn.execute("BEGIN")
        for statement in plain.down:
            conn.execute(statement)
        conn.execute("COMMIT")
        assert _relfilenode(conn, "events") == before, "and the down keeps it too"
        assert conn.execute("SELECT id, occurred_at::text FROM events ORDER BY id").fetchall() == values


MANY_TYPES = """
CREATE TABLE invoices (id bigint PRIMARY KEY, amount float8 NOT NULL, tax float8, issued_at timestamp(0),
                       payload json, note varchar(20));
INSERT INTO invoices SELECT g, g * 1.25, g * 0.2, timestamp '2026-01-01' + g * interval '1 day', '{"a": 1}', 'n'
FROM generate_series(1, 300) AS g;
"""


def test_the_rewrites_of_one_table_are_one_statement_and_one_rewrite(scratch_db):
    scratch_db.execute(MANY_TYPES)
    catalog = scratch_db.catalog()
    plan = build_plan(catalog, analyze(catalog).findings, "all")
    rewrites = [s for s in plan.steps if s.name.startswith("change_type") and "not rewritten" not in s.lock]
    assert len(rewrites) == 1, [s.title for s in rewrites]
    step = rewrites[0]
    assert len(step.fixes) >= 3, step.fixes  # float8 amount and tax, timestamp(0), json at least
    assert step.up[0].count("ALTER COLUMN") == len(step.fixes) and step.up[0].count("ALTER TABLE") == 1
    with psycopg.connect(embedded.admin_url(scratch_db.name), autocommit=True) as conn:
        before = conn.execute("SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM invoices AS t").fetchone()[0]
        node = _relfilenode(conn, "invoices")
        conn.execute(step.up[0])
        assert _relfilenode(conn, "invoices") != node, "it rewrites (once), as the step says"
        conn.execute(step.down[0])
        after = conn.execute("SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM invoices AS t").fetchone()[0]
    assert after == before, "the down gives every row back as it was"


def test_the_utc_type_changes_of_one_table_are_one_statement_that_keeps_the_table(scratch_db):
    scratch_db.execute("CREATE TABLE visits (id bigint PRIMARY KEY, started_at timestamp NOT NULL, ended_at timestamp);"
                       "CREATE INDEX visits_started ON visits (started_at);"
                       "INSERT INTO visits SELECT g, timestamp '2026-10-25 00:00' + g * interval '7 minutes', NULL "
                       "FROM generate_series(1, 300) AS g;")
    catalog = scratch_db.catalog()
    plan = build_plan(catalog, analyze(catalog).findings, ("timestamp-without-time-zone",))
    changes = [s for s in plan.steps if s.name.startswith("change_type")]
    assert len(changes) == 1 and len(changes[0].fixes) == 2, [(s.title, s.fixes) for s in changes]
    step = changes[0]
    assert step.up[0] == "SET LOCAL TimeZone = 'UTC';" and step.up[1].count("ALTER COLUMN") == 2
    with psycopg.connect(embedded.admin_url(scratch_db.name), autocommit=True) as conn:
        node = _relfilenode(conn, "visits")
        before = conn.execute("SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM visits AS t").fetchone()[0]
        for script in (step.up, step.down):
            conn.execute("BEGIN")
            for statement in script:
                conn.execute(statement)
            conn.execute("COMMIT")
            assert _relfilenode(conn, "visits") == node, "up and down keep the table"
        after = conn.execute("SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM visits AS t").fetchone()[0]
    assert after == before
