"""Type rules on small schemas in real PostgreSQL: what fires, what stays silent, and fixes that run."""

from __future__ import annotations

import psycopg

from analyzers.context import Context
from analyzers.families import all_rules


def found(catalog, rule_id: str) -> list[tuple[str, tuple[str, ...], str]]:
    rule = all_rules()[rule_id]
    return sorted(
        (h.table, tuple(h.columns), h.severity or rule.severity) for h in rule.check(Context(catalog))
    )


def fixes(catalog, rule_id: str) -> list[str]:
    return [h.fix for h in all_rules()[rule_id].check(Context(catalog))]


def run_fixes(scratch_db, catalog, rule_id: str) -> None:
    for fix in fixes(catalog, rule_id):
        assert fix.strip()
        with psycopg.connect(scratch_db.url, autocommit=True) as conn:
            conn.execute(fix)


def test_float_for_money_words_not_substrings_and_not_rates(catalog_of, scratch_db):
    catalog = catalog_of("""
        CREATE SCHEMA shop;
        CREATE TABLE shop.items (id int PRIMARY KEY, "UnitPrice" double precision, tax_rate double precision,
                                 totally_real real, shipping_cost real, weight double precision);
        INSERT INTO shop.items VALUES (1, 0.1, 0.2, 1, 2.675, 3);
    """)
    assert found(catalog, "float-for-money") == [
        ("shop.items", ("UnitPrice",), "error"),
        ("shop.items", ("shipping_cost",), "error"),
    ]
    run_fixes(scratch_db, catalog, "float-for-money")
    # numeric without a scale keeps the value the float showed: nothing is rounded to cents.
    assert scratch_db.query('SELECT "UnitPrice"::text, shipping_cost::text FROM shop.items') == [
        ("0.1", "2.675")
    ]
    assert not found(scratch_db.catalog(), "float-for-money")


def test_money_type_converts_exactly(catalog_of, scratch_db):
    catalog = catalog_of("""
        CREATE TABLE payments (id int PRIMARY KEY, amount money);
        INSERT INTO payments VALUES (1, 12.34);
    """)
    assert found(catalog, "money-type") == [("public.payments", ("amount",), "warning")]
    run_fixes(scratch_db, catalog, "money-type")
    assert scratch_db.query("SELECT amount::text FROM payments") == [("12.34",)]


def test_timestamp_keeps_precision_and_reads_stored_values_as_utc(catalog_of, scratch_db):
    catalog = catalog_of("""
        CREATE TABLE "Events" (id int PRIMARY KEY, at timestamp(3) NOT NULL DEFAULT now(), day date, t time);
        INSERT INTO "Events" VALUES (1, '2024-03-01 12:00:00.123', '2024-03-01', '10:00');
    """)
    assert found(catalog, "timestamp-without-time-zone") == [("public.Events", ("at",), "warning")]
    assert "timestamptz(3)" in fixes(catalog, "timestamp-without-time-zone")[0]
    run_fixes(scratch_db, catalog, "timestamp-without-time-zone")
    assert scratch_db.query("SELECT at AT TIME ZONE 'UTC' = '2024-03-01 12:00:00.123' FROM \"Events\"") == [
        (True,)
    ]


def test_type_change_used_by_a_view_becomes_a_plan(catalog_of):
    catalog = catalog_of("""
        CREATE TABLE logs (id int PRIMARY KEY, body json);
        CREATE VIEW recent_logs AS SELECT id, body FROM logs;
    """)
    (fix,) = fixes(catalog, "json-instead-of-jsonb")
    assert "view public.recent_logs" in fix
    assert all(line.startswith("--") for line in fix.splitlines())


def test_json_default_survives_the_change(catalog_of, scratch_db):
    catalog = catalog_of("CREATE TABLE hooks (id int PRIMARY KEY, payload json NOT NULL DEFAULT '{}');")
    run_fixes(scratch_db, catalog, "json-instead-of-jsonb")
    after = scratch_db.catalog().table("public.hooks").column("payload")
    assert after.type == "jsonb" and "{}" in after.default


def test_serial_to_identity_keeps_the_sequence_position(catalog_of, scratch_db):
    catalog = catalog_of("""
        CREATE SCHEMA app;
        CREATE TABLE app.customers (id serial PRIMARY KEY, name text);
        INSERT INTO app.customers (name) SELECT 'c' FROM generate_series(1, 5);
        DELETE FROM app.customers WHERE id = 5;
        CREATE TABLE app.tickets (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
    """)
    assert found(catalog, "serial-instead-of-identity") == [("app.customers", ("id",), "info")]
    run_fixes(scratch_db, catalog, "serial-instead-of-identity")
    # The old sequence had handed out 5; the identity continues after it, not after max(id) = 4.
    assert scratch_db.query("INSERT INTO app.customers (name) VALUES ('new') RETURNING id") == [(6,)]
    after = scratch_db.catalog().table("app.customers").column("id")
    assert after.identity == "by default" and not after.default


def test_shared_sequence_is_kept(catalog_of, scratch_db):
    catalog = catalog_of("""
        CREATE SEQUENCE ids;
        CREATE TABLE a (id bigint PRIMARY KEY DEFAULT nextval('ids'));
        CREATE TABLE b (id bigint PRIMARY KEY DEFAULT nextval('ids'));
    """)
    assert [t for t, _, _ in found(catalog, "serial-instead-of-identity")] == ["public.a", "public.b"]
    assert all("DROP SEQUENCE" not in f for f in fixes(catalog, "serial-instead-of-identity"))
    run_fixes(scratch_db, catalog, "serial-instead-of-identity")


def test_char_n_free_text_but_not_codes(catalog_of, scratch_db):
    catalog = catalog_of("""
        CREATE TABLE countries (code char(2) PRIMARY KEY, "DisplayName" varchar(80), email_address varchar(254),
                                currency_code varchar(3), description text, title character(30));
    """)
    assert found(catalog, "char-n-type") == [
        ("public.countries", ("DisplayName",), "info"),
        ("public.countries", ("title",), "info"),
    ]
    run_fixes(scratch_db, catalog, "char-n-type")


def test_identifier_hazard_names_each_problem(catalog_of):
    long_name = "a" * 70  # PostgreSQL truncates it to 63 bytes
    catalog = catalog_of(f"""
        CREATE TABLE "Order Items" ("order" int, "Qty" int, plain int, {long_name} int);
        CREATE TABLE fine (id int);
    """)
    (hit,) = [h for h in all_rules()["identifier-hazard"].check(Context(catalog))]
    assert hit.table == "public.Order Items"
    assert hit.columns == ("order", "Qty", "a" * 63)
    assert "upper-case" in hit.message and "spaces" in hit.message and "keyword" in hit.message
    assert "63-byte" in hit.message
    assert 'RENAME COLUMN "Qty" TO qty' in hit.fix
    assert all(line.startswith("--") for line in hit.fix.splitlines())
