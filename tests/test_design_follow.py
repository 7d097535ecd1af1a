"""What follows a design choice: foreign keys declared on partitions, and functions that name
tables moved into the tenant template (schema-per-tenant)."""

from __future__ import annotations

import psycopg
import pytest

from studio.design.apply import design
from studio.design.decisions import Decisions, Tenancy
from studio.sources import embedded

BASE = """
CREATE TABLE tenants (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE customers (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants (id), name text NOT NULL);
CREATE TABLE payments (id bigint NOT NULL, customer_id bigint NOT NULL, paid_at date NOT NULL,
                       PRIMARY KEY (id, paid_at)) PARTITION BY RANGE (paid_at);
CREATE TABLE payments_2024 PARTITION OF payments FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE payments_2025 PARTITION OF payments FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
ALTER TABLE payments_2024 ADD CONSTRAINT p24_customer FOREIGN KEY (customer_id) REFERENCES customers (id);
"""


def _load(sql: str) -> str:
    db = embedded.create_database("follow")
    with psycopg.connect(embedded.admin_url(db), autocommit=True) as conn:
        conn.execute(sql)
    return db


@pytest.fixture
def fresh():
    made = []

    def load(sql: str):
        db = _load(sql)
        made.append(db)
        return embedded.admin_url(db)

    yield load
    for db in made:
        embedded.drop_database(db)


def test_keys_on_every_partition_move_to_the_parent_and_carry_the_tenant(catalog_of, fresh):
    catalog = catalog_of(BASE + "ALTER TABLE payments_2025 ADD CONSTRAINT p25_customer FOREIGN KEY (customer_id) REFERENCES customers (id);")
    result = design(catalog, Decisions(tenancy=Tenancy(model="rls", tenant_table="public.tenants", tenant_column="tenant_id")))
    payments = result.target.table("public.payments")
    assert [(fk.columns, fk.ref_columns) for fk in payments.foreign_keys] == [(("tenant_id", "customer_id"), ("tenant_id", "id"))]
    assert "public.payments" in result.scope.tables  # the hoisted key is its path to the tenant
    assert any("declared on every partition now live on the parent" in n.title for n in result.notes)
    url = fresh(result.ddl())
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO tenants VALUES (1, 'a'), (2, 'b'); INSERT INTO customers VALUES (10, 1, 'c')")
        conn.execute("INSERT INTO payments VALUES (1, 10, '2025-03-01', 1)")
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            conn.execute("INSERT INTO payments VALUES (2, 10, '2025-03-01', 2)")


def test_a_key_on_some_partitions_follows_its_partition(catalog_of, fresh):
    catalog = catalog_of(BASE)
    scoped = design(catalog, Decisions(tenancy=Tenancy(
        model="rls", tenant_table="public.tenants", tenant_column="tenant_id", tenant_tables=("public.payments",))))
    own = scoped.target.table("public.payments_2024").foreign_keys
    assert [(fk.name, fk.columns) for fk in own] == [("p24_customer", ("tenant_id", "customer_id"))]
    assert scoped.target.table("public.payments").foreign_keys == ()
    url = fresh(scoped.ddl())
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO tenants VALUES (1, 'a'), (2, 'b'); INSERT INTO customers VALUES (10, 1, 'c')")
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            conn.execute("INSERT INTO payments VALUES (2, 10, '2024-03-01', 2)")
        conn.execute("INSERT INTO payments VALUES (3, 10, '2025-03-01', 2)")  # 2025 never had the reference

    shared = design(catalog, Decisions(tenancy=Tenancy(model="rls", tenant_table="public.tenants", tenant_column="tenant_id")))
    assert shared.target.table("public.payments_2024").foreign_keys == ()
    note = next(n for n in shared.notes if "from shared tables to tenant tables dropped" in n.title)
    assert "public.payments_2024 (customer_id) -> public.customers" in note.text
    fresh(shared.ddl())


FUNCTIONS = """
CREATE TABLE tenants (id bigint PRIMARY KEY);
CREATE TABLE orders (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants (id), total numeric NOT NULL);
CREATE FUNCTION public.order_total() RETURNS numeric LANGUAGE sql STABLE
  SET search_path = pg_catalog AS $$ SELECT coalesce(sum(orders.total), 0) FROM public.orders $$;
CREATE FUNCTION public.big_orders() RETURNS SETOF public.orders LANGUAGE sql STABLE
  AS $$ SELECT * FROM public.orders WHERE total > public.order_total() / 2 $$;
CREATE FUNCTION public.bare_count() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT count(*) FROM orders $$;
CREATE FUNCTION public.unrelated(x int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT x + 1 $$;
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY has_orders ON tenants USING (public.order_total() >= 0);
CREATE POLICY own ON tenants FOR SELECT USING (true);
"""


def test_functions_follow_the_tables_into_each_tenant_schema(catalog_of, fresh):
    catalog = catalog_of(FUNCTIONS)
    result = design(catalog, Decisions(tenancy=Tenancy(model="schema-per-tenant", tenant_table="public.tenants", tenant_column="tenant_id")))
    template = {f.name: f for f in result.target.functions if f.schema == "tenant_template"}
    assert set(template) == {"order_total", "big_orders"}
    assert template["big_orders"].returns == "SETOF tenant_template.orders"
    assert "tenant_template.order_total()" in template["big_orders"].definition
    assert {f"{f.schema}.{f.name}" for f in result.target.functions} == {
        "tenant_template.order_total", "tenant_template.big_orders", "public.unrelated"}
    titles = [n.title for n in result.notes]
    assert "Function public.bare_count left out of the target" in titles
    assert "names orders without its schema public" in next(n.text for n in result.notes if "bare_count" in n.title)
    tenants = result.target.table("public.tenants")
    assert [p.name for p in tenants.policies] == ["own"]  # has_orders called a function that moved
    url = fresh(result.ddl())
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO tenants VALUES (1), (2)")
        conn.execute("SELECT public.provision_tenant('a'), public.provision_tenant('b')")
        conn.execute("INSERT INTO tenant_a.orders VALUES (1, 1, 10), (2, 1, 30); INSERT INTO tenant_b.orders VALUES (3, 2, 5)")
        assert conn.execute("SELECT tenant_a.order_total(), tenant_b.order_total()").fetchone() == (40, 5)
        assert [r[0] for r in conn.execute("SELECT id FROM tenant_a.big_orders()")] == [2]
        assert conn.execute("SELECT to_regproc('public.bare_count')").fetchone()[0] is None
