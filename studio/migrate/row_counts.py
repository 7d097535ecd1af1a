"""Counting a relation's rows on a scratch copy the way a migration keeps them (the proof's row counts)."""

from __future__ import annotations

import psycopg


def relation_rows(conn: psycopg.Connection, relation: str) -> int:
    """Rows of a relation, 0 if it does not exist: with its partitions when it is partitioned (a migration may have
    partitioned it), without classic inheritance children (they are counted as tables of their own)."""
    kind = conn.execute("SELECT relkind::text FROM pg_class WHERE oid = to_regclass(%s)", (relation,)).fetchone()
    if kind is None:
        return 0
    only = "" if kind[0] == "p" else "ONLY "
    return conn.execute(f"SELECT count(*) FROM {only}{relation}").fetchone()[0]
