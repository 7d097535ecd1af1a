"""Volume projections, partitioning advice and index size estimates (checked against real PostgreSQL)."""

from __future__ import annotations

import pytest

from analyzers.workload import shapes_of
from analyzers.workload_input import read_text
from studio.data.volumes import Growth, VolumeInputs, filtered_columns, index_bytes, project, project_rows

EVENTS = """
CREATE TABLE public.tenants (id bigint PRIMARY KEY);
CREATE TABLE public.events (
    tenant_id bigint NOT NULL REFERENCES public.tenants (id),
    id bigint NOT NULL,
    kind text NOT NULL,
    occurred_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE TABLE public.notes (tenant_id bigint NOT NULL, id bigint PRIMARY KEY, body text NOT NULL);
"""


def test_rows_grow_linearly_and_retention_caps_them():
    assert project_rows(1000, Growth(100), 12) == 1000 + round(100 * 365.25)
    assert project_rows(1000, Growth(100, retention_days=90), 36) == 9000
    assert project_rows(50_000, Growth(100, retention_days=90), 12) == 9000  # the retention job trims
    assert project_rows(1000, Growth(0), 36) == 1000


def test_partitioning_is_advised_past_the_threshold_when_queries_filter_on_time_or_tenant(catalog_of):
    catalog = catalog_of(EVENTS)
    shapes = shapes_of(
        read_text(
            "SELECT kind FROM events WHERE tenant_id = $1 AND occurred_at >= $2;"
            "SELECT body FROM notes WHERE tenant_id = $1"
        ),
        catalog,
    )
    inputs = VolumeInputs(
        growth={"public.events": Growth(200_000, retention_days=730), "public.notes": Growth(100_000)},
        filtered=filtered_columns(shapes),
        threshold=50_000_000,
    )
    events, notes = project(catalog, inputs)
    assert events.rows_36 == min(round(200_000 * 36 * 365.25 / 12), 200_000 * 730)
    assert events.partition.strategy == "range" and events.partition.column == "occurred_at"
    assert "730-day retention" in events.partition.reason
    decision = events.partition.decision()
    assert (decision.table, decision.strategy, decision.column, decision.interval) == (
        "public.events", "range", "occurred_at", "month"
    )
    assert notes.past_threshold and notes.partition.strategy == "hash" and notes.partition.column == "tenant_id"
    small = project(catalog, VolumeInputs(growth={"public.events": Growth(10)}, filtered=inputs.filtered))
    assert small[0].partition is None and not small[0].past_threshold


def test_no_advice_without_a_query_filtering_on_time_or_tenant(catalog_of):
    catalog = catalog_of(EVENTS)
    inputs = VolumeInputs(growth={"public.events": Growth(1_000_000)}, filtered={"public.events": ["kind"]})
    (events,) = project(catalog, inputs)
    assert events.past_threshold and events.partition is None


@pytest.mark.parametrize("rows", [20_000, 200_000])
def test_index_size_estimate_is_close_to_postgres(scratch_db, rows):
    scratch_db.execute(
        "CREATE TABLE public.m (tenant_id bigint NOT NULL, id bigint NOT NULL, at timestamptz NOT NULL, "
        "PRIMARY KEY (tenant_id, id));"
        f"INSERT INTO public.m SELECT i % 50, i, now() + i * interval '1 s' FROM generate_series(1, {rows}) i;"
        "CREATE INDEX m_at_idx ON public.m (at); ANALYZE public.m;"
    )
    table = scratch_db.catalog().table("public.m")
    for index in table.indexes:
        actual = scratch_db.query("SELECT pg_relation_size(%s::regclass)", (f"public.{index.name}",))[0][0]
        estimate = index_bytes(table, index, rows)
        assert 0.6 * actual <= estimate <= 1.6 * actual, (index.name, estimate, actual)
