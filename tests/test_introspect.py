"""Live introspection: every Catalog field read back from DDL run on the embedded PostgreSQL."""

from __future__ import annotations

import contextlib
import secrets
import threading
import time

import psycopg
import pytest
from psycopg import conninfo

from studio.catalog import Catalog
from studio.errors import SourceError
from studio.sources import embedded, postgres
from studio.sql import ident

RICH = """
CREATE SCHEMA sales;
COMMENT ON SCHEMA sales IS 'Orders and what is in them';
CREATE TYPE sales.order_status AS ENUM ('new', 'paid', 'shipped');
CREATE DOMAIN public.email AS text NOT NULL DEFAULT 'nobody@example.com' CHECK (VALUE ~ '@');
CREATE DOMAIN public.amounts AS numeric(12,2)[];

CREATE TABLE public.customers (
    id serial PRIMARY KEY,
    email email,
    name text COLLATE "C" NOT NULL,
    code varchar(20) UNIQUE NULLS NOT DISTINCT,
    tags text[],
    history amounts,
    shout text GENERATED ALWAYS AS (upper(name)) STORED,
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE public.customers IS 'People who buy';
COMMENT ON COLUMN public.customers.email IS 'Login address';
INSERT INTO public.customers (email, name, code) VALUES ('a@x', 'Ann', 'A'), ('b@x', 'Bob', NULL), ('c@x', 'Cy', 'C');

CREATE TABLE sales.orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id int NOT NULL REFERENCES public.customers (id) ON DELETE CASCADE ON UPDATE RESTRICT,
    status sales.order_status NOT NULL DEFAULT 'new',
    amount numeric(12,2) CONSTRAINT amount_not_negative CHECK (amount >= 0),
    placed_at timestamptz
);
CREATE INDEX orders_abs_amount ON sales.orders (abs(amount));
CREATE INDEX orders_recent ON sales.orders (placed_at DESC NULLS LAST) WHERE status <> 'shipped';
CREATE INDEX orders_customer_incl ON sales.orders (customer_id) INCLUDE (amount, placed_at);
CREATE INDEX customers_name_pattern ON public.customers (name text_pattern_ops);
CREATE INDEX customers_code_nulls_first ON public.customers (code NULLS FIRST);
CREATE INDEX customers_code_posix ON public.customers (code COLLATE "POSIX");

CREATE TABLE sales.products (code text, variant int, PRIMARY KEY (code, variant));
CREATE TABLE sales.order_lines (
    order_id bigint,
    line_no int,
    product_code text,
    variant int,
    qty int,
    PRIMARY KEY (order_id, line_no),
    CONSTRAINT order_lines_order_fk FOREIGN KEY (order_id) REFERENCES sales.orders (id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT order_lines_unique_product UNIQUE (order_id, product_code, variant) DEFERRABLE
);
ALTER TABLE sales.order_lines ADD CONSTRAINT qty_positive CHECK (qty > 0) NOT VALID;
ALTER TABLE sales.order_lines ADD CONSTRAINT order_lines_product_fk FOREIGN KEY (product_code, variant)
    REFERENCES sales.products (code, variant) MATCH FULL ON DELETE SET NULL NOT VALID;

CREATE TABLE public.bookings (room int, during tstzrange, EXCLUDE USING gist (during WITH &&));

CREATE TABLE public.events (id bigint, occurred_at date NOT NULL, kind text) PARTITION BY RANGE (occurred_at);
CREATE TABLE public.events_2024 PARTITION OF public.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE public.events_default PARTITION OF public.events DEFAULT;
CREATE INDEX events_kind ON public.events (kind);
INSERT INTO public.events VALUES (1, '2024-05-01', 'a'), (2, '2030-01-01', 'b');
CREATE TABLE public.by_kind (kind text, n int) PARTITION BY LIST (kind);
CREATE TABLE public.by_kind_ab PARTITION OF public.by_kind FOR VALUES IN ('a', 'b');
CREATE TABLE public.by_hash (id int, v text) PARTITION BY HASH (id);
CREATE TABLE public.by_hash_0 PARTITION OF public.by_hash FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE public.by_hash_1 PARTITION OF public.by_hash FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE TABLE public.by_expr (kind text, n int) PARTITION BY RANGE (lower(kind));

CREATE TABLE public.base_log (id int, msg text);
CREATE TABLE public.app_log (level int) INHERITS (public.base_log);
CREATE UNLOGGED TABLE public.cache (k text PRIMARY KEY, v jsonb);

CREATE VIEW sales.big_orders AS SELECT id, amount FROM sales.orders WHERE amount > 100;
COMMENT ON VIEW sales.big_orders IS 'Orders over 100';
CREATE MATERIALIZED VIEW sales.order_totals AS
    SELECT customer_id, sum(amount) AS total FROM sales.orders GROUP BY customer_id;

CREATE FOREIGN DATA WRAPPER dummy;
CREATE SERVER s FOREIGN DATA WRAPPER dummy;
CREATE FOREIGN TABLE public.remote_things (id int, name text) SERVER s;

ALTER TABLE sales.orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE sales.orders FORCE ROW LEVEL SECURITY;
CREATE POLICY readers ON sales.orders FOR SELECT TO {reader}, {writer} USING (customer_id > 0);
CREATE POLICY writers ON sales.orders AS RESTRICTIVE FOR UPDATE TO {writer}
    USING (true) WITH CHECK (amount < 1000);
CREATE POLICY everyone ON sales.orders USING (true);

CREATE FUNCTION sales.touch() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN NEW.placed_at := now(); RETURN NEW; END $$;
CREATE TRIGGER orders_touch BEFORE UPDATE ON sales.orders FOR EACH ROW EXECUTE FUNCTION sales.touch();
CREATE TRIGGER orders_touch_off BEFORE INSERT ON sales.orders FOR EACH ROW EXECUTE FUNCTION sales.touch();
ALTER TABLE sales.orders DISABLE TRIGGER orders_touch_off;

CREATE FUNCTION public.safe_lookup(p int) RETURNS text LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, public AS $$ SELECT 'x' $$;
CREATE FUNCTION public.unsafe_lookup(p int) RETURNS text LANGUAGE sql SECURITY DEFINER AS $$ SELECT 'y' $$;
CREATE PROCEDURE public.do_nothing() LANGUAGE sql AS $$ SELECT 1 $$;
CREATE AGGREGATE public.my_sum(int) (sfunc = int4pl, stype = int);

CREATE SEQUENCE public.invoice_no AS integer MAXVALUE 99999;
SELECT nextval('public.invoice_no'), nextval('public.invoice_no');
CREATE SEQUENCE public.unused_seq;
CREATE TABLE public.invoices (no int PRIMARY KEY DEFAULT nextval('public.invoice_no'), total numeric);

ANALYZE public.customers;
ANALYZE public.events;
"""


@pytest.fixture
def roles():
    """Two cluster-wide roles with unique names, dropped after the test's databases."""
    names = {
        "reader": f"studio_reader_{secrets.token_hex(4)}",
        "writer": f"studio_writer_{secrets.token_hex(4)}",
    }
    with embedded.connect() as conn:
        for name in names.values():
            conn.execute(f"CREATE ROLE {ident(name)} LOGIN")
    yield names
    with embedded.connect() as conn:
        for name in names.values():
            with contextlib.suppress(psycopg.Error):  # a database still using it is dropped later
                conn.execute(f"DROP ROLE IF EXISTS {ident(name)}")


@pytest.fixture
def rich(roles, scratch_db):
    scratch_db.execute(RICH.format(**roles))
    return scratch_db, scratch_db.catalog(), roles


def test_tables_of_every_kind(rich):
    _, cat, _ = rich
    kinds = {t.qualified: t.kind for t in cat.tables}
    assert kinds["public.customers"] == "table"
    assert kinds["public.events"] == "partitioned_table"
    assert kinds["public.events_2024"] == "partition"
    assert kinds["sales.big_orders"] == "view"
    assert kinds["sales.order_totals"] == "materialized_view"
    assert kinds["public.remote_things"] == "foreign_table"
    assert cat.schema_names == ("public", "sales")
    assert dict((s.name, s.comment) for s in cat.schemas)["sales"] == "Orders and what is in them"
    assert cat.database and cat.server_version.split(".")[0].isdigit()
    assert "postgres:" not in cat.source and cat.source.startswith("postgresql://")


def test_columns(rich):
    _, cat, _ = rich
    customers = cat.table("public.customers")
    col = customers.column
    assert customers.column_names == ("id", "email", "name", "code", "tags", "history", "shout", "created_at")
    assert col("id").type == "integer" and not col("id").nullable
    assert col("id").default == "nextval('customers_id_seq'::regclass)"
    assert col("id").sequence == "public.customers_id_seq"
    assert col("email").type == "email" and col("email").base_type == "text" and col("email").category == "S"
    assert col("email").comment == "Login address"
    assert col("name").collation == "C" and col("email").collation is None
    assert col("code").type == "character varying(20)" and col("code").nullable
    assert col("tags").is_array and col("tags").base_type == "text"
    assert (
        col("history").is_array and col("history").base_type == "numeric" and col("history").category == "N"
    )
    assert col("shout").generated == "upper(name)" and col("shout").default is None
    assert col("created_at").default == "now()" and col("created_at").category == "D"
    orders = cat.table("sales.orders")
    assert orders.column("id").identity == "always"
    assert orders.column("id").sequence == "public.orders_id_seq".replace("public", "sales")
    assert orders.column("status").type == "sales.order_status" and orders.column("status").category == "E"
    assert cat.table("public.invoices").column("no").sequence == "public.invoice_no"
    assert cat.table("public.invoices").column("total").sequence is None


def test_keys_and_constraints(rich):
    _, cat, _ = rich
    customers = cat.table("public.customers")
    assert customers.primary_key.name == "customers_pkey" and customers.primary_key.columns == ("id",)
    (code_unique,) = customers.uniques
    assert code_unique.columns == ("code",) and code_unique.nulls_not_distinct
    orders = cat.table("sales.orders")
    (fk,) = orders.foreign_keys
    assert (fk.columns, fk.ref_table, fk.ref_columns) == (("customer_id",), "public.customers", ("id",))
    assert (fk.on_delete, fk.on_update, fk.match, fk.validated) == ("CASCADE", "RESTRICT", "SIMPLE", True)
    (check,) = orders.checks
    assert check.name == "amount_not_negative" and check.columns == ("amount",)
    assert check.expression == "CHECK (amount >= 0::numeric)" and check.validated
    lines = cat.table("sales.order_lines")
    assert lines.primary_key.columns == ("order_id", "line_no")
    fks = {f.name: f for f in lines.foreign_keys}
    assert fks["order_lines_order_fk"].deferrable and fks["order_lines_order_fk"].initially_deferred
    product = fks["order_lines_product_fk"]
    assert product.columns == ("product_code", "variant") and product.ref_columns == ("code", "variant")
    assert (product.match, product.on_delete, product.validated) == ("FULL", "SET NULL", False)
    (unique,) = lines.uniques
    assert unique.deferrable and unique.columns == ("order_id", "product_code", "variant")
    (qty,) = lines.checks
    assert not qty.validated and qty.columns == ("qty",)
    (exclusion,) = cat.table("public.bookings").exclusions
    assert exclusion.definition == "EXCLUDE USING gist (during WITH &&)" and exclusion.columns == ("during",)


def test_indexes(rich):
    _, cat, _ = rich
    orders = {i.name: i for i in cat.table("sales.orders").indexes}
    expr = orders["orders_abs_amount"]
    assert expr.keys[0].column is None and expr.keys[0].expression == "abs(amount)"
    assert expr.columns == ("abs(amount)",) and expr.column_keys == (None,)
    recent = orders["orders_recent"]
    assert recent.keys[0].descending and not recent.keys[0].nulls_first
    assert recent.predicate == "status <> 'shipped'::sales.order_status"
    incl = orders["orders_customer_incl"]
    assert incl.columns == ("customer_id",) and incl.include == ("amount", "placed_at")
    pkey = orders["orders_pkey"]
    assert pkey.primary and pkey.unique and pkey.constraint == "orders_pkey" and pkey.method == "btree"
    customers = {i.name: i for i in cat.table("public.customers").indexes}
    assert customers["customers_name_pattern"].keys[0].opclass == "text_pattern_ops"
    assert customers["customers_code_nulls_first"].keys[0].nulls_first
    assert customers["customers_code_posix"].keys[0].collation == "POSIX"
    assert customers["customers_code_key"].nulls_not_distinct
    assert customers["customers_code_key"].constraint == "customers_code_key"
    assert customers["customers_pkey"].size_bytes >= 8192
    (gist,) = cat.table("public.bookings").indexes
    assert gist.method == "gist" and gist.constraint == "bookings_during_excl"
    for index in (*orders.values(), *customers.values()):
        assert index.valid and index.definition.startswith(("CREATE INDEX", "CREATE UNIQUE INDEX"))


def test_index_definitions_match_the_server(rich):
    """Plain index definitions are rebuilt in Python: they must equal pg_get_indexdef()."""
    db, cat, _ = rich
    server = dict(
        db.query(
            "SELECT n.nspname || '.' || c.relname, pg_get_indexdef(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('i', 'I') "
            "AND n.nspname IN ('public', 'sales')"
        )
    )
    ours = {f"{t.schema}.{i.name}": i.definition for t in cat.tables for i in t.indexes}
    assert ours == server


def test_invalid_index(scratch_db):
    scratch_db.execute("CREATE TABLE dup (v int); INSERT INTO dup VALUES (1), (1);")
    with pytest.raises(psycopg.errors.UniqueViolation):
        scratch_db.execute("CREATE UNIQUE INDEX CONCURRENTLY dup_v_key ON dup (v)")
    (index,) = scratch_db.catalog().table("public.dup").indexes
    assert index.name == "dup_v_key" and not index.valid and index.unique


def test_partitioning_inheritance_persistence(rich):
    _, cat, _ = rich
    events = cat.table("public.events")
    assert events.partitioning.strategy == "range" and events.partitioning.key == "RANGE (occurred_at)"
    assert events.partitioning.columns == ("occurred_at",)
    p2024 = cat.table("public.events_2024")
    assert p2024.partition_of == "public.events" and p2024.inherits == ()
    assert p2024.partition_bound == "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')"
    assert cat.table("public.events_default").partition_bound == "DEFAULT"
    assert cat.table("public.by_kind").partitioning.strategy == "list"
    assert cat.table("public.by_kind_ab").partition_bound == "FOR VALUES IN ('a', 'b')"
    assert cat.table("public.by_hash").partitioning.strategy == "hash"
    assert cat.table("public.by_hash_1").partition_bound == "FOR VALUES WITH (modulus 2, remainder 1)"
    assert cat.table("public.by_expr").partitioning.columns == (None,)
    assert (
        cat.table("public.events")
        .indexes[0]
        .definition.startswith("CREATE INDEX events_kind ON ONLY public.events")
    )
    assert cat.table("public.events_2024").indexes[0].columns == ("kind",)
    assert cat.table("public.app_log").inherits == ("public.base_log",)
    assert cat.table("public.app_log").partition_of is None
    assert cat.table("public.app_log").column_names == ("id", "msg", "level")
    assert cat.table("public.cache").persistence == "unlogged"
    assert cat.table("public.customers").persistence == "permanent"


def test_sizes_estimates_comments_views(rich):
    _, cat, _ = rich
    customers = cat.table("public.customers")
    assert customers.row_estimate == 3
    assert customers.total_bytes >= 8192 + sum(i.size_bytes for i in customers.indexes)
    assert customers.comment == "People who buy"
    assert cat.table("public.base_log").row_estimate is None  # never analyzed
    events = cat.table("public.events")
    partitions = [cat.table("public.events_2024"), cat.table("public.events_default")]
    assert all(p.total_bytes for p in partitions)
    assert events.total_bytes == sum(p.total_bytes for p in partitions)
    view = cat.table("sales.big_orders")
    assert "amount > 100" in view.view_definition and view.comment == "Orders over 100"
    assert view.row_estimate is None and view.total_bytes is None
    assert "GROUP BY" in cat.table("sales.order_totals").view_definition


def test_rls_policies_triggers(rich):
    _, cat, roles = rich
    orders = cat.table("sales.orders")
    assert orders.rls_enabled and orders.rls_forced
    assert not cat.table("public.customers").rls_enabled
    policies = {p.name: p for p in orders.policies}
    readers = policies["readers"]
    assert readers.command == "SELECT" and set(readers.roles) == {roles["reader"], roles["writer"]}
    assert readers.using == "customer_id > 0" and readers.with_check is None and readers.permissive
    writers = policies["writers"]
    assert (
        writers.command == "UPDATE"
        and not writers.permissive
        and writers.with_check == "amount < 1000::numeric"
    )
    assert policies["everyone"].command == "ALL" and policies["everyone"].roles == ("public",)
    triggers = {t.name: t for t in orders.triggers}
    assert set(triggers) == {"orders_touch", "orders_touch_off"}  # no internal (FK) triggers
    assert triggers["orders_touch"].function == "sales.touch" and triggers["orders_touch"].enabled
    assert "BEFORE UPDATE ON sales.orders" in triggers["orders_touch"].definition
    assert not triggers["orders_touch_off"].enabled


def test_types_sequences_functions(rich):
    _, cat, _ = rich
    (status,) = cat.enums
    assert (status.schema, status.name, status.labels) == (
        "sales",
        "order_status",
        ("new", "paid", "shipped"),
    )
    domains = {d.name: d for d in cat.domains}
    email = domains["email"]
    assert email.base_type == "text" and not email.nullable and email.default == "'nobody@example.com'::text"
    assert email.checks == ("CHECK (VALUE ~ '@'::text)",)
    assert domains["amounts"].base_type == "numeric(12,2)[]"
    sequences = {s.name: s for s in cat.sequences}
    invoice = sequences["invoice_no"]
    assert (invoice.data_type, invoice.last_value, invoice.max_value) == ("integer", 2, 99999)
    assert invoice.owned_by is None
    assert sequences["unused_seq"].last_value is None
    assert sequences["customers_id_seq"].owned_by == "public.customers.id"
    assert (
        sequences["orders_id_seq"].owned_by == "sales.orders.id"
        and sequences["orders_id_seq"].schema == "sales"
    )
    functions = {f.name: f for f in cat.functions}
    assert functions["safe_lookup"].security_definer
    assert functions["safe_lookup"].config == ("search_path=pg_catalog, public",)
    assert functions["unsafe_lookup"].security_definer and functions["unsafe_lookup"].config == ()
    assert functions["safe_lookup"].arguments == "p integer" and functions["safe_lookup"].returns == "text"
    assert functions["safe_lookup"].language == "sql" and "SELECT 'x'" in functions["safe_lookup"].definition
    assert functions["touch"].language == "plpgsql" and functions["touch"].returns == "trigger"
    assert functions["do_nothing"].kind == "procedure"
    assert functions["my_sum"].kind == "aggregate"
    assert "plpgsql" in cat.extensions
    assert not cat.notes  # a superuser reads everything


def test_json_round_trip(rich):
    _, cat, _ = rich
    assert Catalog.from_json(cat.to_json()) == cat


def test_schemas_filter(rich):
    db, full, _ = rich
    cat = db.catalog(schemas=["sales"])
    assert cat.schema_names == ("sales",)
    assert {t.schema for t in cat.tables} == {"sales"}
    assert cat.table("sales.orders").foreign_keys[0].ref_table == "public.customers"
    # referenced columns are named by the server for tables out of scope, by the client for those in it
    assert cat.table("sales.orders").foreign_keys[0].ref_columns == ("id",)
    assert cat.table("sales.orders").foreign_keys == full.table("sales.orders").foreign_keys
    assert {f.name for f in cat.functions} == {"touch"}
    assert [s.name for s in cat.sequences] == ["orders_id_seq"]
    assert not {d.name for d in cat.domains}
    assert db.catalog(schemas=["nope"]).tables == ()


def test_hostile_identifiers(catalog_of):
    cat = catalog_of(
        '''
        CREATE SCHEMA "My Schema";
        CREATE TABLE "My Schema"."Order ""Items"" <&>" ("Id" int PRIMARY KEY, "naïve col" text, "select" int);
        CREATE TABLE "My Schema"."Ünïcødé" ("Ref" int REFERENCES "My Schema"."Order ""Items"" <&>" ("Id"));
        CREATE INDEX "Idx ""q""" ON "My Schema"."Order ""Items"" <&>" ("naïve col" DESC, "select");
        CREATE TABLE "UPPER" ("CamelCase" text UNIQUE);
        '''
    )
    items = cat.table('My Schema.Order "Items" <&>')
    assert items.column_names == ("Id", "naïve col", "select")
    (fk,) = cat.table("My Schema.Ünïcødé").foreign_keys
    assert (
        fk.ref_table == 'My Schema.Order "Items" <&>' and fk.columns == ("Ref",) and fk.ref_columns == ("Id",)
    )
    index = next(i for i in items.indexes if i.name == 'Idx "q"')
    assert index.columns == ("naïve col", "select") and index.keys[0].descending
    assert index.definition == (
        'CREATE INDEX "Idx ""q""" ON "My Schema"."Order ""Items"" <&>" USING btree ("naïve col" DESC, "select")'
    )
    assert cat.table("public.UPPER").uniques[0].columns == ("CamelCase",)
    assert "My Schema" in cat.schema_names


def test_extension_objects_left_out(catalog_of):
    cat = catalog_of(
        """
        CREATE EXTENSION vector;
        CREATE TABLE items (id int PRIMARY KEY, embedding vector(3));
        CREATE FUNCTION public.mine() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
        """
    )
    assert "vector" in cat.extensions
    assert [f.name for f in cat.functions] == ["mine"]
    assert [t.qualified for t in cat.tables] == ["public.items"]
    assert cat.table("public.items").column("embedding").type == "vector(3)"
    assert not cat.enums and not cat.domains


def test_restricted_role_gets_notes(scratch_db):
    role = f"studio_limited_{secrets.token_hex(4)}"
    scratch_db.execute(
        f"""
        CREATE ROLE {role} LOGIN;
        CREATE TABLE open_t (id serial PRIMARY KEY);
        CREATE TABLE secret_t (id int PRIMARY KEY, open_id int REFERENCES open_t (id));
        GRANT SELECT ON open_t TO {role};
        CREATE SEQUENCE hidden_seq;
        """
    )
    try:
        cat = postgres.introspect(conninfo.make_conninfo(scratch_db.url, user=role))
        assert {t.name for t in cat.tables} == {"open_t", "secret_t"}
        assert cat.table("public.secret_t").foreign_keys[0].ref_table == "public.open_t"
        noted = {n.object: n.message for n in cat.notes}
        assert "public.secret_t" in noted and "no SELECT privilege" in noted["public.secret_t"]
        assert "public.open_t" not in noted
        assert "public.hidden_seq" in noted and "public.open_t_id_seq" in noted
        assert {s.name: s.last_value for s in cat.sequences}["hidden_seq"] is None
    finally:
        scratch_db.execute(f"DROP OWNED BY {role}; DROP ROLE {role}")


def test_accepts_sqlalchemy_urls_and_conninfo(scratch_db):
    scratch_db.execute("CREATE TABLE t (id int)")
    url = scratch_db.url
    assert url.startswith("postgresql://")
    for variant in (
        url,
        "postgresql+psycopg://" + url.split("://", 1)[1],
        "postgresql+psycopg2://" + url.split("://", 1)[1],
        "postgres://" + url.split("://", 1)[1],
        conninfo.make_conninfo(url),
    ):
        assert [t.qualified for t in postgres.introspect(variant).tables] == ["public.t"], variant


def test_statement_timeout_is_a_source_error(scratch_db, monkeypatch):
    from studio.errors import SourceError

    real = postgres.query_text

    def slow(name, version=160000):
        text = real(name, version)
        return text.replace(
            "SELECT nsp.nspname, d.description", "SELECT nsp.nspname, d.description, pg_sleep(1)"
        )

    monkeypatch.setattr(postgres, "query_text", slow)
    with pytest.raises(SourceError, match="statement timeout of 50 ms"):
        postgres.introspect(scratch_db.url, statement_timeout_ms=50)


@pytest.mark.slow
def test_two_thousand_tables(scratch_db, monkeypatch):
    """A large schema is read in parallel on one snapshot; the result equals the one-connection read."""
    from bench.synthetic import create_synthetic, expected_counts

    create_synthetic(scratch_db.name, 2000)
    real_connect = postgres.connect_readonly
    snapshots = []

    def counting_connect(url, **kwargs):
        snapshots.append(kwargs.get("snapshot"))
        return real_connect(url, **kwargs)

    monkeypatch.setattr(postgres, "connect_readonly", counting_connect)
    cat = scratch_db.catalog()
    assert len(snapshots) == 3 and snapshots[0] is None and snapshots[1] == snapshots[2] is not None
    expected = expected_counts(2000)
    assert len(cat.tables) == expected["tables"]
    assert sum(len(t.columns) for t in cat.tables) == expected["columns"]
    assert sum(len(t.foreign_keys) for t in cat.tables) == expected["foreign_keys"]
    assert sum(len(t.policies) for t in cat.tables) == expected["policies"]
    assert sum(1 for t in cat.tables if t.kind == "partitioned_table") == expected["partitioned"]
    t = cat.table("synth.t01000")
    assert [f.ref_table for f in t.foreign_keys] == ["synth.t00999", "synth.t00500"]
    assert t.column("id").identity == "by default" and t.column("id").sequence == "synth.t01000_id_seq"
    assert {i.name for i in t.indexes} == {"t01000_pkey", "t01000_a_id_idx", "t01000_tenant_created_idx"}
    monkeypatch.setattr(postgres, "PARALLEL_FROM_RELATIONS", 10**9)
    assert scratch_db.catalog() == cat


def test_number_of_queries_does_not_grow_with_the_schema(rich, scratch_db, monkeypatch):
    """One query per object kind however many tables: the same statements for 10 tables and 2,000."""
    from bench.synthetic import create_synthetic

    create_synthetic(scratch_db.name, 2000)
    real_run = postgres._run
    ran: list[str] = []

    def counting_run(conn, name, version, params):
        ran.append(name)
        return real_run(conn, name, version, params)

    monkeypatch.setattr(postgres, "_run", counting_run)
    rich[0].catalog()
    small = sorted(ran)
    ran.clear()
    scratch_db.catalog()
    large = sorted(ran)
    assert len(large) <= 18 and set(large) - {"index_definitions"} == set(small) - {"index_definitions"}
    assert len(large) == len(set(large))


def test_queries_for_servers_before_15_leave_out_nulls_not_distinct(rich, monkeypatch):
    """PostgreSQL 13 and 14 have no indnullsnotdistinct: their query variant must not name it."""
    db, cat, _ = rich
    real = postgres.query_text
    monkeypatch.setattr(postgres, "query_text", lambda name, version=160000: real(name, 140000))
    assert "indnullsnotdistinct" not in real("indexes", 140000) + real("constraints", 140000)
    old = db.catalog()
    assert not old.table("public.customers").uniques[0].nulls_not_distinct
    assert old.table("sales.orders") == cat.table("sales.orders")


def _worker_thread() -> bool:
    return threading.current_thread().name.startswith("ThreadPoolExecutor")


def _in_thread(read, timeout_s: float = 120.0):
    """Run `read` in a thread: a reader that never delivers fails the test instead of hanging it."""
    outcome: dict = {}

    def target():
        try:
            outcome["value"] = read()
        except BaseException as exc:  # noqa: BLE001
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout_s)
    assert not thread.is_alive(), "introspection waited for ever on a parallel reader"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def test_parallel_readers_that_deliver_late_are_waited_for(rich, monkeypatch):
    """Assembly starts before the other connections finish: a result used before it arrives is awaited."""
    db, cat, _ = rich
    monkeypatch.setattr(postgres, "PARALLEL_FROM_RELATIONS", 1)
    real_run = postgres._run

    def late_run(conn, name, version, params):
        if _worker_thread():
            time.sleep(0.3)
        return real_run(conn, name, version, params)

    monkeypatch.setattr(postgres, "_run", late_run)
    assert _in_thread(db.catalog) == cat


def test_parallel_reader_failures(rich, monkeypatch):
    """No spare connection: the main one reads the group. A failing query: one clear error, no hang."""
    db, cat, _ = rich
    monkeypatch.setattr(postgres, "PARALLEL_FROM_RELATIONS", 1)
    real_connect = postgres.connect_readonly

    def no_spare_connection(url, **kwargs):
        if kwargs.get("snapshot"):
            raise SourceError("too many connections")
        return real_connect(url, **kwargs)

    monkeypatch.setattr(postgres, "connect_readonly", no_spare_connection)
    assert _in_thread(db.catalog) == cat
    monkeypatch.setattr(postgres, "connect_readonly", real_connect)
    real_run = postgres._run

    def cancelled(conn, name, version, params):
        if _worker_thread() and name == "indexes":
            raise psycopg.errors.QueryCanceled("canceling statement due to statement timeout")
        return real_run(conn, name, version, params)

    monkeypatch.setattr(postgres, "_run", cancelled)
    with pytest.raises(SourceError, match="statement timeout"):
        _in_thread(db.catalog)


def test_on_delete_set_null_of_some_columns(catalog_of):
    """PostgreSQL 15's ON DELETE SET NULL (columns): a tenant-scoped reference must not null the tenant column."""
    cat = catalog_of("""
        CREATE TABLE taxes (tenant_id bigint, id bigint, PRIMARY KEY (tenant_id, id));
        CREATE TABLE "Fee Taxes" (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, "Tax Id" bigint,
            FOREIGN KEY (tenant_id, "Tax Id") REFERENCES taxes ON DELETE SET NULL ("Tax Id"),
            FOREIGN KEY (tenant_id, "Tax Id") REFERENCES taxes ON DELETE SET DEFAULT);
    """)
    fks = sorted(cat.table("public.Fee Taxes").foreign_keys, key=lambda fk: fk.on_delete)
    assert [fk.on_delete for fk in fks] == ["SET DEFAULT", 'SET NULL ("Tax Id")']
