"""Normalization rules on small schemas in real PostgreSQL: singular/plural names, quoted mixed case,
several schemas, composite keys, and the guards RULES.md names."""

from __future__ import annotations

import psycopg

from analyzers.context import Context
from analyzers.families import all_rules


def hits(catalog, rule_id: str):
    return list(all_rules()[rule_id].check(Context(catalog)))


def found(catalog, rule_id: str) -> list[tuple[str, tuple[str, ...]]]:
    return sorted((h.table, tuple(h.columns)) for h in hits(catalog, rule_id))


def run(scratch_db, sql: str) -> None:
    with psycopg.connect(scratch_db.url, autocommit=True) as conn:
        conn.execute(sql)


def test_repeating_group_needs_three_numbered_slots_of_one_type(catalog_of, scratch_db):
    catalog = catalog_of("""
        CREATE TABLE "Contacts" (id int PRIMARY KEY, "Phone1" text, "Phone2" text, "Phone3" text,
                                 address_line1 text, address_line2 text,
                                 sha1 text, sha256 text, sha512 text,
                                 tag_1 text, tag_2 int, tag_3 text);
        INSERT INTO "Contacts" (id, "Phone1", "Phone3") VALUES (1, '555', '777');
    """)
    assert found(catalog, "repeating-column-group") == [("public.Contacts", ("Phone1", "Phone2", "Phone3"))]
    (hit,) = hits(catalog, "repeating-column-group")
    run(scratch_db, hit.fix)
    assert scratch_db.query("SELECT id, slot, value FROM public.contact_phones ORDER BY slot") == [
        (1, 1, "555"),
        (1, 3, "777"),
    ]


def test_denormalized_column_through_declared_and_implied_references(catalog_of):
    catalog = catalog_of("""
        CREATE SCHEMA crm;
        CREATE TABLE crm.customers (id bigint PRIMARY KEY, name text NOT NULL, email text);
        CREATE TABLE "Category" ("CategoryId" int PRIMARY KEY, "Name" text);
        CREATE TABLE public.work_orders (id bigint PRIMARY KEY,
                                         customer_id bigint REFERENCES crm.customers,
                                         customer_name text, customer_email text, customer_id_text text);
        CREATE TABLE "Products" ("ProductId" int PRIMARY KEY, "CategoryId" int, "CategoryName" text,
                                 "CategoryCategoryId" int);
        CREATE TABLE accounts (id bigint PRIMARY KEY, customer_id bigint, username text);
    """)
    assert found(catalog, "denormalized-column") == [
        ("public.Products", ("CategoryName",)),  # implied reference, CamelCase
        ("public.work_orders", ("customer_email",)),
        ("public.work_orders", ("customer_name",)),
    ]
    for hit in hits(catalog, "denormalized-column"):
        assert hit.related and hit.related[0] in ("crm.customers", "public.Category")


def test_denormalized_copy_in_a_record_table_is_a_possible_snapshot(catalog_of):
    catalog = catalog_of("""
        CREATE TABLE taxes (id bigint PRIMARY KEY, rate numeric NOT NULL, name text);
        CREATE TABLE invoices_taxes (id bigint PRIMARY KEY, tax_id bigint REFERENCES taxes, tax_rate numeric);
    """)
    (hit,) = hits(catalog, "denormalized-column")
    assert hit.severity == "info" and "snapshot" in hit.explanation


def test_polymorphic_pair_without_fk(catalog_of):
    catalog = catalog_of("""
        CREATE TABLE posts (id bigint PRIMARY KEY);
        CREATE TABLE comments (id bigint PRIMARY KEY, commentable_type text, commentable_id bigint,
                               "OwnerType" text, "OwnerId" bigint,
                               post_type text, post_id bigint REFERENCES posts);
    """)
    assert found(catalog, "polymorphic-association") == [
        ("public.comments", ("OwnerType", "OwnerId")),
        ("public.comments", ("commentable_type", "commentable_id")),
    ]


def test_eav_needs_an_entity_and_a_text_value(catalog_of):
    catalog = catalog_of("""
        CREATE TABLE products (id bigint PRIMARY KEY);
        CREATE TABLE sensors (id bigint PRIMARY KEY);
        CREATE TABLE product_attributes (id bigint PRIMARY KEY, product_id bigint REFERENCES products,
                                         attr_name text, attr_value varchar(200), created_at timestamptz);
        CREATE TABLE readings (id bigint PRIMARY KEY, sensor_id bigint REFERENCES sensors, name text,
                               value numeric, unit text);
        CREATE TABLE site_settings (key text PRIMARY KEY, value text);
        CREATE TABLE product_tags (product_id bigint REFERENCES products, key text, value text);
    """)
    assert found(catalog, "entity-attribute-value") == [
        ("public.product_attributes", ("product_id", "attr_name", "attr_value")),
        ("public.product_tags", ("product_id", "key", "value")),
    ]
    severities = {h.table: h.severity for h in hits(catalog, "entity-attribute-value")}
    assert severities == {"public.product_attributes": None, "public.product_tags": "info"}


def test_soft_delete_unique_keys(catalog_of, scratch_db):
    catalog = catalog_of("""
        CREATE TABLE accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant_id int NOT NULL,
                               email text NOT NULL, slug text NOT NULL, "DeletedAt" timestamptz,
                               UNIQUE (tenant_id, email));
        CREATE UNIQUE INDEX accounts_slug ON accounts (lower(slug));
        CREATE UNIQUE INDEX accounts_live_email ON accounts (email) WHERE "DeletedAt" IS NULL;
        CREATE TABLE flags (id int PRIMARY KEY, code text UNIQUE, is_deleted boolean);
        CREATE TABLE plain (id int PRIMARY KEY, code text UNIQUE);
    """)
    assert found(catalog, "soft-delete-full-unique") == [
        ("public.accounts", ("slug",)),
        ("public.accounts", ("tenant_id", "email")),
        ("public.flags", ("code",)),
    ]
    for hit in hits(catalog, "soft-delete-full-unique"):
        for statement in hit.fix.replace("CONCURRENTLY ", "").split(";\n"):
            run(scratch_db, statement)
    assert not found(scratch_db.catalog(), "soft-delete-full-unique")
    run(scratch_db, "INSERT INTO flags VALUES (1, 'x', true), (2, 'x', false)")


def test_soft_delete_key_referenced_by_a_foreign_key_gets_a_plan(catalog_of):
    catalog = catalog_of("""
        CREATE TABLE shops (id int PRIMARY KEY, code text UNIQUE, deleted_at timestamptz);
        CREATE TABLE visits (id int PRIMARY KEY, shop_code text REFERENCES shops (code));
    """)
    (hit,) = hits(catalog, "soft-delete-full-unique")
    assert all(line.startswith("--") for line in hit.fix.splitlines())


def test_status_columns(catalog_of):
    catalog = catalog_of("""
        CREATE TYPE mood AS ENUM ('ok', 'bad');
        CREATE DOMAIN checked_status AS text CHECK (VALUE IN ('a', 'b'));
        CREATE TABLE statuses (code text PRIMARY KEY);
        CREATE TABLE orders (id int PRIMARY KEY, status text, "Kind" varchar(20), state mood,
                             type text CHECK (type IN ('x', 'y')));
        CREATE TABLE tasks (id int PRIMARY KEY, status text REFERENCES statuses, kind checked_status);
        CREATE TABLE customers (id int PRIMARY KEY, city text, state text, country text);
    """)
    assert found(catalog, "status-without-constraint") == [
        ("public.orders", ("Kind",)),
        ("public.orders", ("status",)),
    ]


def test_inconsistent_type_only_when_all_reference_one_table(catalog_of, scratch_db):
    catalog = catalog_of("""
        CREATE TABLE tenants (id bigint PRIMARY KEY);
        CREATE SCHEMA a; CREATE SCHEMA b;
        CREATE TABLE a.projects (id int PRIMARY KEY, tenant_id bigint REFERENCES tenants);
        CREATE TABLE b.projects (id int PRIMARY KEY, tenant_id int REFERENCES tenants);
        CREATE TABLE c1 (id int PRIMARY KEY, code int);
        CREATE TABLE c2 (id int PRIMARY KEY, code text);
    """)
    assert found(catalog, "inconsistent-column-type") == [("b.projects", ("tenant_id",))]
    (hit,) = hits(catalog, "inconsistent-column-type")
    run(scratch_db, hit.fix)
    assert not found(scratch_db.catalog(), "inconsistent-column-type")


def test_inheritance_but_not_partitions(catalog_of):
    catalog = catalog_of("""
        CREATE TABLE docs (id int, body text);
        CREATE TABLE pdf_docs (pages int) INHERITS (docs);
        CREATE TABLE events (at date NOT NULL) PARTITION BY RANGE (at);
        CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    """)
    assert found(catalog, "table-inheritance") == [("public.pdf_docs", ())]
    # Inherited columns are the parent's: the child is not reported for them again.
    assert found(catalog, "char-n-type") == []
