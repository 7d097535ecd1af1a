"""The Overview profile: exact or estimated row counts (and which), pg_stats per column."""

from __future__ import annotations

import pytest

from studio.data.profile import distinct_estimate, profile


@pytest.fixture
def analyzed(scratch_db):
    scratch_db.execute("""
        CREATE SCHEMA "Fleet";
        CREATE TABLE "Fleet"."Vehicles" (id integer PRIMARY KEY, "Make" text, vin text);
        INSERT INTO "Fleet"."Vehicles"
        SELECT g, CASE WHEN g % 4 = 0 THEN NULL ELSE 'make ' || (g % 10) END, 'VIN' || g
        FROM generate_series(1, 2000) AS g;
        CREATE TABLE readings (id bigint, at date NOT NULL) PARTITION BY RANGE (at);
        CREATE TABLE readings_2024 PARTITION OF readings FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
        INSERT INTO readings SELECT g, date '2024-01-01' + g % 300 FROM generate_series(1, 500) AS g;
        CREATE TABLE fresh (id integer);
        INSERT INTO fresh SELECT generate_series(1, 7);
        ANALYZE "Fleet"."Vehicles"; ANALYZE readings; ANALYZE readings_2024;
    """)
    return scratch_db


def test_small_tables_are_counted_exactly_and_say_so(analyzed):
    result = profile(analyzed.catalog(), analyzed.url)
    vehicles = result.table("Fleet.Vehicles")
    assert (vehicles.rows, vehicles.exact, vehicles.analyzed) == (2000, True, True)
    assert vehicles.rows_label == "2,000 (exact)"
    fresh = result.table("public.fresh")
    assert (fresh.rows, fresh.exact, fresh.analyzed) == (7, True, False)
    assert result.table("public.readings").rows == 500
    assert result.table("public.readings_2024") is None  # a partition is profiled through its parent


def test_large_tables_are_estimated_and_say_so(analyzed):
    result = profile(analyzed.catalog(), analyzed.url, exact_below=1000)
    vehicles = result.table("Fleet.Vehicles")
    assert (vehicles.rows, vehicles.exact) == (2000, False)  # reltuples after ANALYZE
    assert vehicles.rows_label == "≈ 2,000 (estimated)"
    readings = result.table("public.readings")
    assert (readings.rows, readings.exact) == (500, True)


def test_column_statistics_from_pg_stats(analyzed):
    result = profile(analyzed.catalog(), analyzed.url)
    columns = {c.name: c for c in result.table("Fleet.Vehicles").columns}
    assert columns["Make"].null_fraction == pytest.approx(0.25, abs=0.01)
    assert columns["Make"].distinct == pytest.approx(10)
    assert columns["vin"].null_fraction == 0
    assert columns["vin"].distinct == pytest.approx(2000, rel=0.01)  # n_distinct -1: every row differs
    assert {c.name: c.null_fraction for c in result.table("public.fresh").columns} == {"id": None}
    readings = {c.name: c for c in result.table("public.readings").columns}
    assert readings["at"].distinct == pytest.approx(300, rel=0.05)  # inherited statistics of the parent
    rows = result.column_rows()
    assert {"table": "Fleet.Vehicles", "column": "vin", "null fraction": 0.0, "distinct (est.)": 2000} in rows


def test_distinct_estimate_reads_negative_n_distinct_as_a_fraction():
    assert distinct_estimate(-0.5, 1000) == 500
    assert distinct_estimate(42, 1000) == 42
    assert distinct_estimate(None, 1000) is None
