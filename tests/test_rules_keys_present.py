"""Keys that are already there: a unique key promoted to the primary key, natural keys unique together
with another column, and a unique key repeating the primary key dropped without breaking its foreign keys.

Every fix runs on a copy holding rows, and the result is read back from PostgreSQL.
"""

from __future__ import annotations

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzers.context import Context
from analyzers.families import all_rules
from studio.sources import embedded, postgres
from tests.fix_runner import apply_fix


def hits(rule_id, catalog):
    return list(all_rules()[rule_id].check(Context(catalog)))


def _primary_key(url: str, table: str):
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT array_agg(a.attname ORDER BY a.attname) FROM pg_constraint c"
            " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)"
            " WHERE c.contype = 'p' AND c.conrelid = %s::regclass",
            (table,),
        ).fetchone()
    return tuple(row[0]) if row and row[0] else None


# A table `g.t` with no primary key, one unique key drawn from the shapes PostgreSQL has, a child
# referencing that key or not, and rows. A plain, full unique key over NOT NULL columns is promoted
# (warning) by a fix that runs; any other shape keeps the error and its fix adds a key column.
UNIQUE_SHAPES = ["constraint", "index", "index desc", "index include", "partial index", "expression index"]


@st.composite
def promotion_cases(draw):
    shape = draw(st.sampled_from(UNIQUE_SHAPES))
    width = draw(st.integers(1, 2))
    nullable = draw(st.booleans())
    referenced = draw(st.booleans()) and shape in ("constraint", "index")
    rows = draw(st.integers(0, 4))
    return shape, width, nullable, referenced, rows


def _promotion_ddl(shape, width, nullable, referenced, rows) -> str:
    cols = ["a", "b"][:width]
    null = "" if nullable else " NOT NULL"
    key = ", ".join(cols)
    ddl = [f"CREATE TABLE g.t ({', '.join(f'{c} int{null}' for c in cols)}, note text, flag boolean);"]
    ddl.append(
        {
            "constraint": f"ALTER TABLE g.t ADD CONSTRAINT t_key UNIQUE ({key});",
            "index": f"CREATE UNIQUE INDEX t_key ON g.t ({key});",
            "index desc": f"CREATE UNIQUE INDEX t_key ON g.t ({cols[0]} DESC{', b' if width == 2 else ''});",
            "index include": f"CREATE UNIQUE INDEX t_key ON g.t ({key}) INCLUDE (note);",
            "partial index": f"CREATE UNIQUE INDEX t_key ON g.t ({key}) WHERE flag;",
            "expression index": f"CREATE UNIQUE INDEX t_key ON g.t (({cols[0]} + 0){', b' if width == 2 else ''});",
        }[shape]
    )
    ddl.append(f"INSERT INTO g.t SELECT {', '.join('g' for _ in cols)}, 'n' || g, g % 2 = 0 FROM generate_series(1, {rows}) g;")
    if referenced:
        ddl.append(f"CREATE TABLE g.child (id int PRIMARY KEY, {', '.join(f'{c} int' for c in cols)},"
                   f" FOREIGN KEY ({key}) REFERENCES g.t ({key}) ON DELETE CASCADE);")
        ddl.append(f"INSERT INTO g.child SELECT g, {', '.join('g' for _ in cols)} FROM generate_series(1, {rows}) g;")
    return "\n".join(ddl)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=promotion_cases())
def test_unique_key_promoted_by_a_fix_that_runs(scratch_db, case):
    shape, width, nullable, referenced, rows = case
    with embedded.connect(scratch_db.name) as conn:
        conn.execute("DROP SCHEMA IF EXISTS g CASCADE; CREATE SCHEMA g")
        conn.execute(_promotion_ddl(*case))
    catalog = postgres.introspect(scratch_db.url, schemas=["g"])
    [hit] = [h for h in hits("no-primary-key", catalog) if h.table == "g.t"]
    promotable = not nullable and shape in ("constraint", "index", "index desc", "index include")
    assert (hit.severity == "warning") == promotable, (case, hit.message)
    if promotable:
        assert "t_key" in hit.message and "can be promoted" in hit.message
    apply_fix(scratch_db.name, hit.fix)
    after = postgres.introspect(scratch_db.url, schemas=["g"])
    key = _primary_key(scratch_db.url, "g.t")
    assert key == (tuple(["a", "b"][:width]) if promotable else ("id",)), (case, hit.fix)
    assert scratch_db.query("SELECT count(*) FROM g.t") == [(rows,)]
    if referenced:
        [fk] = after.table("g.child").foreign_keys
        assert fk.validated and fk.on_delete == "CASCADE"
    if promotable:  # nothing is left enforcing the key twice in the same form
        assert not [h for h in hits("duplicate-index", after) if h.severity == "warning"], hit.fix


def test_natural_key_unique_with_another_column_is_not_reported(catalog_of):
    cat = catalog_of("""
        CREATE TABLE vouchers (id bigint PRIMARY KEY, kind text NOT NULL, code text NOT NULL, UNIQUE (kind, code));
        CREATE TABLE coupons (id bigint PRIMARY KEY, campaign text NOT NULL, code text NOT NULL);
        CREATE UNIQUE INDEX coupons_code_campaign_key ON coupons (campaign, code) WHERE campaign <> '';
        CREATE TABLE skus (id bigint PRIMARY KEY, sku text NOT NULL);
        CREATE UNIQUE INDEX skus_sku_key ON skus (lower(sku));
        CREATE TABLE products (id bigint PRIMARY KEY, product_code text NOT NULL);
    """)
    assert [(h.table, h.columns) for h in hits("natural-key-not-unique", cat)] == [
        ("public.products", ("product_code",))
    ]


def test_unique_repeating_the_primary_key_is_dropped_keeping_its_foreign_keys(scratch_db):
    scratch_db.execute("""
        CREATE TABLE users (id int PRIMARY KEY);
        ALTER TABLE users ADD CONSTRAINT users_id_key UNIQUE (id);
        CREATE TABLE posts (id int PRIMARY KEY, user_id int REFERENCES users (id) ON DELETE SET NULL);
        CREATE TABLE pairs (a int NOT NULL, b int NOT NULL, PRIMARY KEY (a, b), UNIQUE (b, a));
        INSERT INTO users VALUES (1), (2); INSERT INTO posts VALUES (1, 1), (2, NULL);
    """)
    found = {h.table: h for h in hits("duplicate-index", scratch_db.catalog())}
    assert sorted(found) == ["public.pairs", "public.users"]
    assert found["public.users"].severity is None and "users_id_key" in found["public.users"].message
    assert found["public.pairs"].severity == "info" and "pairs_b_a_key" in found["public.pairs"].message
    assert all(line.startswith("--") for line in found["public.pairs"].fix.splitlines())
    apply_fix(scratch_db.name, found["public.users"].fix)
    after = scratch_db.catalog()
    assert [u.name for u in after.table("public.users").uniques] == []
    [fk] = after.table("public.posts").foreign_keys
    assert (fk.ref_table, fk.on_delete, fk.validated) == ("public.users", "SET NULL", True)
    assert scratch_db.query("SELECT count(*) FROM posts") == [(2,)]


def _sequence_type(url: str, sequence: str) -> str:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT format_type(seqtypid, NULL) FROM pg_sequence WHERE seqrelid = %s::regclass",
                            (sequence,)).fetchone()[0]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parent=st.sampled_from(["smallint", "integer", "serial", "integer GENERATED BY DEFAULT AS IDENTITY"]),
       child=st.sampled_from(["integer", "bigint"]), rows=st.integers(0, 3))
def test_type_mismatch_widens_the_narrower_side(scratch_db, parent, child, rows):
    """A bigint child of an integer key gets the parent widened (with its sequence), never itself narrowed;
    an integer child of a bigint key is widened. Rows (children with NULL and real parents) survive."""
    with embedded.connect(scratch_db.name) as conn:
        conn.execute("DROP SCHEMA IF EXISTS g CASCADE; CREATE SCHEMA g")
        conn.execute(f"""
            CREATE TABLE g.p (id {parent} PRIMARY KEY, name text);
            CREATE TABLE g.c (id bigint PRIMARY KEY, p_id {child} REFERENCES g.p (id) ON DELETE CASCADE);
            CREATE TABLE g.other (id bigint PRIMARY KEY, p_id {child} REFERENCES g.p (id));
            INSERT INTO g.p (id, name) SELECT g, 'n' FROM generate_series(1, {rows}) g;
            INSERT INTO g.c SELECT g, CASE WHEN g % 2 = 0 THEN NULL ELSE g END FROM generate_series(1, {rows}) g;
        """)
    catalog = postgres.introspect(scratch_db.url, schemas=["g"])
    parent_type = catalog.table("g.p").column("id").type
    found = [h for h in hits("foreign-key-type-mismatch", catalog) if h.table == "g.c"]
    if parent_type == child:
        assert found == []
        return
    [hit] = found
    apply_fix(scratch_db.name, hit.fix)
    after = postgres.introspect(scratch_db.url, schemas=["g"])
    widened = "bigint" if "bigint" in (parent_type, child) else "integer"
    assert after.table("g.p").column("id").type == after.table("g.c").column("p_id").type == widened, hit.fix
    if parent in ("serial", "integer GENERATED BY DEFAULT AS IDENTITY") and child == "bigint":
        assert _sequence_type(scratch_db.url, "g.p_id_seq") == "bigint", hit.fix
    assert scratch_db.query("SELECT count(*), count(p_id) FROM g.c") == [(rows, (rows + 1) // 2)]
    [fk] = after.table("g.c").foreign_keys
    assert fk.validated and fk.on_delete == "CASCADE"


# CHECKs over a nullable unique column `a` (beside `b`): those that let `a` be NULL on purpose, and those
# that do not (`a` is then reported, and its SET NOT NULL fix must run on the rows the CHECK admits).
NULL_ALLOWING = ["a IS NOT NULL OR b IS NOT NULL", "num_nonnulls(a, b) >= 1", "coalesce(a, b) IS NOT NULL",
                 "a IS NULL OR a <> ''"]
NULL_REFUSING = ["a <> ''", "length(a) > 0 AND b IS NOT NULL"]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(check=st.sampled_from(NULL_ALLOWING + NULL_REFUSING), rows=st.integers(0, 3))
def test_unique_column_a_check_lets_be_null_gets_no_set_not_null(scratch_db, check, rows):
    with embedded.connect(scratch_db.name) as conn:
        conn.execute("DROP SCHEMA IF EXISTS g CASCADE; CREATE SCHEMA g")
        conn.execute(f"""
            CREATE TABLE g.contacts (id int PRIMARY KEY, a text UNIQUE, b text, CHECK ({check}));
            INSERT INTO g.contacts SELECT g, 'a' || g, 'b' || g FROM generate_series(1, {rows}) g;
        """)
        if check in NULL_ALLOWING:  # a row without `a` satisfies the schema
            conn.execute("INSERT INTO g.contacts VALUES (100, NULL, 'b')")
    catalog = postgres.introspect(scratch_db.url, schemas=["g"])
    found = [h for h in hits("nullable-unique-column", catalog) if h.table == "g.contacts"]
    if check in NULL_ALLOWING:
        assert found == [], check
        return
    [hit] = found
    assert hit.columns == ("a",)
    apply_fix(scratch_db.name, hit.fix)
    assert not postgres.introspect(scratch_db.url, schemas=["g"]).table("g.contacts").column("a").nullable
