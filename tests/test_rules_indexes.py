"""Index rules: which twin is reported, partial indexes as cover, prefixes of other methods."""

from __future__ import annotations

from analyzers.context import Context
from analyzers.families import all_rules


def hits(rule_id, catalog):
    return sorted(
        (h.table, h.columns, h.message.split()[1]) for h in all_rules()[rule_id].check(Context(catalog))
    )


def test_unique_and_plain_twin_reports_the_plain_one(catalog_of):
    cat = catalog_of("""
        CREATE TABLE t (id bigint PRIMARY KEY, code text NOT NULL);
        CREATE UNIQUE INDEX t_code_key ON t (code);
        CREATE INDEX t_code_idx ON t (code);
    """)
    assert hits("duplicate-index", cat) == [("public.t", ("code",), "t_code_idx")]


def test_partial_index_does_not_cover_a_foreign_key(catalog_of):
    cat = catalog_of("""
        CREATE TABLE p (id bigint PRIMARY KEY);
        CREATE TABLE c (id bigint PRIMARY KEY, p_id bigint REFERENCES p, live bool);
        CREATE INDEX c_p_live ON c (p_id) WHERE live;
        CREATE TABLE d (id bigint PRIMARY KEY, p_id bigint REFERENCES p);
        CREATE INDEX d_p ON d (p_id, id);
    """)
    assert [h[:2] for h in hits("unindexed-foreign-key", cat)] == [("public.c", ("p_id",))]


def test_redundant_index_ignores_other_methods_and_predicates(catalog_of):
    cat = catalog_of("""
        CREATE TABLE t (id bigint PRIMARY KEY, a int, b int);
        CREATE INDEX t_a_hash ON t USING hash (a);
        CREATE INDEX t_a_part ON t (a) WHERE b > 0;
        CREATE INDEX t_ab ON t (a, b);
    """)
    assert hits("redundant-index", cat) == []
