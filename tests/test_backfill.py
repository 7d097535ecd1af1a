"""The batched backfill walks any orderable single-column key, not only integers (uuid and text keys have no max())."""

from __future__ import annotations

import pytest

from studio.migrate import backfill


@pytest.mark.parametrize("key_type, key_values", [
    ("uuid", "gen_random_uuid()"),
    ("text", "'k' || lpad(g::text, 4, '0')"),
    ("bigint", "g"),
])
def test_backfill_walks_the_key_in_batches(scratch_db, key_type, key_values):
    scratch_db.execute(f"""
        CREATE TABLE parents (id bigint PRIMARY KEY, tenant_id bigint NOT NULL);
        CREATE TABLE "Child Rows" (id {key_type} PRIMARY KEY, parent_id bigint REFERENCES parents, tenant_id bigint);
        INSERT INTO parents SELECT g, g % 3 FROM generate_series(1, 10) g;
        INSERT INTO "Child Rows" (id, parent_id) SELECT {key_values}, 1 + g % 10 FROM generate_series(1, 25) g;
    """)
    for statement in backfill.setup_statements():
        scratch_db.execute(statement)
    child = scratch_db.catalog().table('public.Child Rows')
    script = backfill.batched_update("fill-tenant", child, "tenant_id", "p.tenant_id",
                                     ('"public"."parents"', "p.id = c.parent_id"), batch_size=4)
    scratch_db.execute(script)
    assert scratch_db.query('SELECT count(*) FROM "Child Rows" WHERE tenant_id IS NULL') == [(0,)]
    assert scratch_db.query('SELECT count(*) FROM "Child Rows" c JOIN parents p ON p.id = c.parent_id '
                            'WHERE c.tenant_id <> p.tenant_id') == [(0,)]
    assert scratch_db.query(f"SELECT rows_done, finished_at IS NOT NULL FROM {backfill.progress_table()}") == [(25, True)]
