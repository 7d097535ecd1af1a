"""Partial indexes and foreign keys: an index whose predicate only excludes the key's NULLs serves it.

The generated test asks PostgreSQL itself: the query a foreign key runs when a parent row is deleted
(`SELECT 1 FROM ONLY child WHERE fk = $1 FOR KEY SHARE`, planned generically) can use the index
exactly when unindexed-foreign-key counts it as cover.
"""

from __future__ import annotations

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzers.context import Context
from analyzers.families import all_rules
from studio.sources import postgres
from studio.sql import ident, idents


def findings(rule_id, catalog):
    return sorted((h.table, h.columns, h.message, h.fix) for h in all_rules()[rule_id].check(Context(catalog)))


def test_null_excluding_partial_indexes_serve_the_foreign_key(catalog_of):
    cat = catalog_of("""
        CREATE TABLE users (id bigint PRIMARY KEY);
        CREATE TABLE posts (id bigint PRIMARY KEY, author_id bigint REFERENCES users,
                            editor_id bigint REFERENCES users, created_at timestamptz NOT NULL,
                            deleted_at timestamptz);
        CREATE INDEX posts_author_idx ON posts (author_id) WHERE author_id IS NOT NULL;
        CREATE INDEX posts_editor_idx ON posts (editor_id, created_at) WHERE editor_id IS NOT NULL;
        CREATE TABLE drafts (id bigint PRIMARY KEY, author_id bigint REFERENCES users, deleted_at timestamptz);
        CREATE INDEX drafts_live_author_idx ON drafts (author_id) WHERE author_id IS NOT NULL AND deleted_at IS NULL;
    """)
    found = findings("unindexed-foreign-key", cat)
    assert [(t, c) for t, c, *_ in found] == [("public.drafts", ("author_id",))]
    message, fix = found[0][2:]
    assert "drafts_live_author_idx holds only rows where" in message
    assert fix == "CREATE INDEX CONCURRENTLY drafts_author_id_idx ON public.drafts (author_id);"


def test_invalid_index_is_rebuilt_not_doubled(catalog_of, scratch_db):
    scratch_db.execute("""
        CREATE TABLE users (id bigint PRIMARY KEY);
        CREATE TABLE posts (id bigint PRIMARY KEY, author_id bigint REFERENCES users, n int NOT NULL);
        INSERT INTO users VALUES (1);
        INSERT INTO posts VALUES (1, 1, 1), (2, 1, 1);
    """)
    with pytest.raises(psycopg.errors.UniqueViolation):  # and leaves an invalid index behind
        scratch_db.execute("CREATE UNIQUE INDEX CONCURRENTLY posts_author_idx ON posts (author_id, n)")
    found = findings("unindexed-foreign-key", scratch_db.catalog())
    assert [(t, c) for t, c, *_ in found] == [("public.posts", ("author_id",))]
    assert "posts_author_idx would serve it once rebuilt" in found[0][2]
    assert "CREATE INDEX" not in found[0][3]


def test_redundant_and_duplicate_indexes_read_null_exclusions(catalog_of):
    cat = catalog_of("""
        CREATE TABLE t (id bigint PRIMARY KEY, a bigint, b bigint NOT NULL, c int, live boolean);
        CREATE INDEX t_b_idx ON t (b);
        CREATE INDEX t_b_nn_idx ON t (b) WHERE b IS NOT NULL;      -- b is NOT NULL: a twin of t_b_idx
        CREATE INDEX t_a_nn_idx ON t (a) WHERE a IS NOT NULL;      -- served by t_a_c_idx
        CREATE INDEX t_a_c_idx ON t (a, c);
        CREATE INDEX t_c_idx ON t (c);                              -- t_c_a_nn_idx cannot find c IS NULL rows
        CREATE INDEX t_c_a_nn_idx ON t (c, a) WHERE c IS NOT NULL;
        CREATE INDEX t_c_live_idx ON t (c) WHERE live;              -- smaller on purpose: kept
    """)
    assert [(t, c, m.split()[1]) for t, c, m, _ in findings("duplicate-index", cat)] == [
        ("public.t", ("b",), "t_b_nn_idx")
    ]
    redundant = [(c, m.split()[1]) for _, c, m, _ in findings("redundant-index", cat)]
    assert redundant == [(("a",), "t_a_nn_idx")]


# Generated: a parent, a child with a one- or two-column foreign key, one index leading with the key's
# columns (in either order, maybe with a trailing column) under a predicate drawn from NULL tests of
# key and non-key columns, NOT NULL or not.

CONDITIONS = st.sampled_from(["k1 IS NOT NULL", "k2 IS NOT NULL", "other IS NOT NULL", "other IS NULL", "flag"])


@st.composite
def shapes(draw):
    width = draw(st.integers(1, 2))
    keys = ["k1", "k2"][:width]
    order = draw(st.permutations(keys))
    trailing = draw(st.sampled_from([[], ["other"], ["flag"]]))
    not_null = draw(st.sets(st.sampled_from(["k1", "k2", "other"])))
    where = [c for c in draw(st.lists(CONDITIONS, max_size=3, unique=True)) if width == 2 or "k2" not in c]
    return keys, [*order, *trailing], not_null, where


def _ddl(keys, index_keys, not_null, where) -> str:
    def col(name, type_):
        return f"{name} {type_}{' NOT NULL' if name in not_null else ''}"

    pk = ", ".join(keys)
    return f"""
        CREATE TABLE g.parent ({", ".join(f"{k} bigint NOT NULL" for k in keys)}, PRIMARY KEY ({pk}));
        CREATE TABLE g.child (id bigint PRIMARY KEY, {", ".join(col(k, "bigint") for k in keys)},
            {col("other", "bigint")}, flag boolean,
            FOREIGN KEY ({pk}) REFERENCES g.parent ({pk}));
        CREATE INDEX candidate ON g.child ({idents(index_keys)}){" WHERE " + " AND ".join(where) if where else ""};
    """


def _planner_uses_candidate(conn, keys) -> bool:
    params = ", ".join("bigint" for _ in keys)
    test = " AND ".join(f"{ident(k)} = ${n}" for n, k in enumerate(keys, 1))
    conn.execute(f"PREPARE ri({params}) AS SELECT 1 FROM ONLY g.child x WHERE {test} FOR KEY SHARE OF x")
    conn.execute("SET plan_cache_mode = force_generic_plan; SET enable_seqscan = off")
    plan = conn.execute(f"EXPLAIN EXECUTE ri({', '.join('1' for _ in keys)})").fetchall()
    conn.execute("DEALLOCATE ri; RESET plan_cache_mode; RESET enable_seqscan")
    return any("candidate" in line for (line,) in plan)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shape=shapes())
def test_cover_matches_what_the_planner_can_use(scratch_db, shape):
    keys, index_keys, not_null, where = shape
    with psycopg.connect(scratch_db.url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS g CASCADE; CREATE SCHEMA g")
        conn.execute(_ddl(keys, index_keys, not_null, where))
        usable = _planner_uses_candidate(conn, keys)
    catalog = postgres.introspect(scratch_db.url, schemas=["g"])
    flagged = [h.columns for h in all_rules()["unindexed-foreign-key"].check(Context(catalog))]
    assert (flagged == []) == usable, f"{index_keys} WHERE {where} (NOT NULL: {sorted(not_null)})"
