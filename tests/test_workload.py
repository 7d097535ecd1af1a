"""Workload rules on schemas loaded into the real embedded PostgreSQL: coverage, unknown objects."""

from __future__ import annotations

import re

import pytest

from analyzers.context import Context
from analyzers.families import all_rules
from analyzers.workload import WorkloadContext, describe, shapes_of
from analyzers.workload_input import read_file, read_text
from analyzers.workload_run import run_workload
from studio.db import reader
from tests.conftest import ROOT

SHOP = """
CREATE SCHEMA billing;
CREATE TABLE public.tenants (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE public.customers (
    tenant_id bigint NOT NULL REFERENCES public.tenants (id),
    id bigint NOT NULL,
    email text NOT NULL,
    name text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE TABLE public.orders (
    id bigint PRIMARY KEY,
    tenant_id bigint NOT NULL,
    customer_id bigint NOT NULL,
    status text NOT NULL,
    placed_at timestamptz NOT NULL,
    total numeric(12, 2) NOT NULL
);
CREATE INDEX orders_placed_at_idx ON public.orders (placed_at);
CREATE TABLE billing."Invoices" (
    id bigint PRIMARY KEY,
    order_id bigint NOT NULL,
    "DueOn" date NOT NULL
);
CREATE TABLE public.order_lines (
    order_id bigint NOT NULL,
    line_no int NOT NULL,
    sku text NOT NULL,
    PRIMARY KEY (order_id, line_no)
);
"""

WORKLOAD_RULES = sorted(r for r, rule in all_rules().items() if rule.needs == "workload")


@pytest.fixture
def shop(catalog_of):
    return catalog_of(SHOP)


def findings(catalog, sql: str, rule: str | None = None):
    run = run_workload(catalog, read_text(sql))
    return [f for f in run.findings if rule is None or f.rule == rule]


def coverage(catalog, sql: str):
    return findings(catalog, sql, "query-not-covered-by-index")


def unknown(catalog, sql: str):
    return findings(catalog, sql, "query-references-unknown-object")


def test_workload_rules_are_registered_with_their_category():
    assert WORKLOAD_RULES == ["query-not-covered-by-index", "query-references-unknown-object", "unused-index"]
    for rule_id in WORKLOAD_RULES:
        assert all_rules()[rule_id].category == "workload"


@pytest.mark.parametrize("rule_id", ["query-not-covered-by-index", "query-references-unknown-object"])
def test_docstring_examples_with_their_query(rule_id, scratch_db):
    """Bad fires and Good stays silent, with the `-- query:` each example documents."""
    rule = all_rules()[rule_id]
    for label, ddl, expected in (("bad", rule.bad, True), ("good", rule.good, False)):
        scratch_db.execute(f"DROP SCHEMA public CASCADE; CREATE SCHEMA public; {ddl}")
        query = re.search(r"-- query: (.*)", ddl).group(1)
        got = [f for f in run_workload(scratch_db.catalog(), read_text(query)).findings if f.rule == rule_id]
        assert bool(got) is expected, f"{rule_id} {label}: {[f.message for f in got]}"


def test_filter_led_by_an_index_is_covered(shop):
    assert coverage(shop, "SELECT id FROM orders WHERE placed_at >= $1 AND status = 'open'") == []
    assert coverage(shop, "SELECT * FROM customers WHERE tenant_id = $1 AND email = $2") == []


def test_uncovered_filter_fix_is_equality_columns_then_range_with_include(shop, scratch_db):
    (hit,) = coverage(shop, "SELECT id, total FROM orders WHERE total > 100 AND status = $1 AND customer_id = $2")
    assert hit.table == "public.orders" and hit.statement == 1
    assert hit.columns == ("status", "customer_id", "total")
    assert hit.fix == (
        "CREATE INDEX CONCURRENTLY orders_status_customer_id_total_idx "
        "ON public.orders (status, customer_id, total) INCLUDE (id);"
    )
    assert "`SELECT id, total FROM orders WHERE total > 100" in hit.message
    scratch_db.execute(hit.fix)
    assert coverage(scratch_db.catalog(), "SELECT id, total FROM orders WHERE total > 100 AND status = $1") == []


def test_tenant_column_leads_the_suggested_index_and_star_gets_no_include(shop):
    (hit,) = coverage(shop, "SELECT * FROM orders WHERE status = $1 AND tenant_id = $2")
    assert "ON public.orders (tenant_id, status);" in hit.fix


def test_join_through_aliases_needs_an_index_on_the_reached_tables_join_column(shop):
    sql = (
        "SELECT o.id, l.sku FROM orders AS o JOIN order_lines l ON l.order_id = o.id "
        "JOIN billing.\"Invoices\" inv ON inv.order_id = o.id WHERE o.placed_at > now() - interval '1 day'"
    )
    (hit,) = coverage(shop, sql)
    assert hit.table == "billing.Invoices" and hit.columns == ("order_id",)
    assert "reaches billing.Invoices through a join on order_id" in hit.message
    assert hit.fix.startswith('CREATE INDEX CONCURRENTLY "Invoices_order_id_idx" ON billing."Invoices" (order_id)')


def test_unfiltered_join_of_two_tables_is_not_reported(shop):
    assert coverage(shop, "SELECT o.id, i.id FROM orders o JOIN billing.\"Invoices\" i ON i.order_id = o.id") == []


def test_cte_and_subqueries_are_resolved(shop):
    sql = """
        WITH recent AS (SELECT id, customer_id FROM orders WHERE status = :status)
        SELECT r.id FROM recent r
        WHERE r.customer_id IN (SELECT c.id FROM customers c WHERE c.email = :email)
          AND EXISTS (SELECT 1 FROM order_lines ol WHERE ol.order_id = r.id AND ol.sku = 'X')
    """
    hits = {(f.table, f.columns) for f in coverage(shop, sql)}
    assert hits == {("public.orders", ("status",)), ("public.customers", ("email",))}
    assert unknown(shop, sql) == []


def test_derived_table_join_reaches_the_inner_table(shop):
    sql = (
        "SELECT x.n, i.\"DueOn\" FROM (SELECT id, count(*) AS n FROM orders WHERE placed_at > $1 GROUP BY id) x "
        "JOIN billing.\"Invoices\" i ON i.order_id = x.id"
    )
    assert {(f.table, f.columns) for f in coverage(shop, sql)} == {("billing.Invoices", ("order_id",))}


def test_expression_filter_needs_a_matching_expression_index(shop, scratch_db):
    (hit,) = coverage(shop, "SELECT id FROM customers WHERE lower(email) = lower($1)")
    assert hit.columns == ("email",)
    assert hit.fix == "CREATE INDEX CONCURRENTLY customers_lower_email_idx ON public.customers ((lower(email)));"
    scratch_db.execute("CREATE INDEX customers_email_idx ON public.customers (email)")
    assert coverage(scratch_db.catalog(), "SELECT id FROM customers WHERE lower(email) = lower($1)")
    scratch_db.execute(hit.fix)
    assert coverage(scratch_db.catalog(), "SELECT id FROM customers WHERE LOWER(Email) = $1") == []


def test_parameters_of_both_styles(shop):
    sql = "SELECT id FROM orders WHERE status = :status AND customer_id = $1 AND total > :min_total"
    (hit,) = coverage(shop, sql)
    assert hit.columns == ("status", "customer_id", "total")


def test_update_and_delete_filters(shop):
    sql = "UPDATE orders SET status = 'paid' WHERE customer_id = $1; DELETE FROM order_lines WHERE order_id = $1"
    hits = coverage(shop, sql)
    assert [(f.statement, f.table, f.columns) for f in hits] == [(1, "public.orders", ("customer_id",))]


def test_unknown_table_and_columns_are_errors_naming_the_statement(shop):
    sql = """
        SELECT id FROM orders WHERE status = $1;
        SELECT o.id, o.priority FROM orders o;
        SELEC id FROM orders WHERE id = 1;
        SELECT id FROM customerz WHERE id = 1;
        SELECT "dueon" FROM billing."Invoices";
        INSERT INTO orders (id, tenant_id, customer_id, status, placed_at, total, colour) VALUES (1, 1, 1, 'x', now(), 1, 'red');
        SELECT nickname FROM customers ORDER BY name
    """
    found = {(f.statement, f.table, f.columns) for f in unknown(shop, sql)}
    assert found == {
        (2, "public.orders", ("priority",)),
        (4, "public.customerz", ()),
        (5, "billing.Invoices", ("dueon",)),
        (6, "public.orders", ("colour",)),
        (7, "public.customers", ("nickname",)),
    }
    run = run_workload(shop, read_text(sql))
    assert any("statement 3" in n and "line 4" in n for n in run.notes)  # `order` is a keyword: not parsed
    (error,) = [f for f in run.findings if f.rule == "query-references-unknown-object" and f.statement == 4]
    assert error.severity == "error"
    assert error.message == "statement 4 `SELECT id FROM customerz WHERE id = 1` references table customerz, which the schema does not have"


def test_output_aliases_and_outer_columns_are_not_unknown(shop):
    sql = """
        SELECT c.name, count(*) AS n FROM customers c JOIN orders o ON o.customer_id = c.id
        WHERE c.tenant_id = $1 GROUP BY c.name ORDER BY n DESC;
        SELECT c.id, (SELECT max(o.placed_at) FROM orders o WHERE o.customer_id = c.id) AS last FROM customers c
    """
    assert unknown(shop, sql) == []


def test_search_path_public_first_then_a_unique_match(catalog_of):
    catalog = catalog_of(
        "CREATE SCHEMA a; CREATE SCHEMA b;"
        "CREATE TABLE public.items (id int PRIMARY KEY, code text);"
        "CREATE TABLE a.items (id int PRIMARY KEY, label text);"
        "CREATE TABLE b.notes (id int PRIMARY KEY, body text);"
    )
    assert unknown(catalog, "SELECT code FROM items; SELECT body FROM notes") == []
    (hit,) = unknown(catalog, "SELECT label FROM items")
    assert hit.table == "public.items" and hit.columns == ("label",)


def test_shapes_classify_predicates(shop):
    workload = read_text(
        "SELECT o.status, count(*) FROM orders o JOIN customers c ON c.tenant_id = o.tenant_id AND c.id = o.customer_id "
        "WHERE o.tenant_id = $1 AND o.placed_at BETWEEN $2 AND $3 GROUP BY o.status ORDER BY o.status"
    )
    (shape,) = shapes_of(workload, shop)
    uses = {u.alias: u for u in shape.uses}
    assert uses["o"].equality == ["tenant_id"] and uses["o"].range == ["placed_at"]
    assert uses["o"].group_by == ["status"] and uses["o"].order_by == ["status"]
    assert uses["c"].join == ["tenant_id", "id"] and uses["c"].reached_by_join
    assert describe(uses["o"]) == "tenant_id (equality), placed_at (range)"


def test_demo_queries_find_the_real_gaps_and_nothing_else():
    from studio.sources import demo

    loaded = demo.load()
    workload = read_file(ROOT / "tests" / "fixtures" / "workload" / "demo_queries.sql")
    assert len(workload.statements) == 16 and not workload.problems
    run = run_workload(loaded.catalog, workload, connect=reader(loaded.url))
    assert [f for f in run.findings if f.rule == "query-references-unknown-object"] == []
    got = {(f.statement, f.table, f.columns) for f in run.findings if f.rule == "query-not-covered-by-index"}
    assert got == {
        (2, "public.users", ("email",)),
        (3, "public.customers", ("email",)),
        (5, "catalog.dtc_definitions", ("trouble_code",)),
        (6, "public.diagnostic_sessions", ("started_at",)),
        (8, "billing.invoices", ("status", "due_on")),
        (9, "scraping.quality_scores", ("scorer", "score")),
        (13, "public.service_reminders", ("due_on",)),
        (14, "scraping.crawl_log", ("logged_at",)),
    }
    assert run.notes == ()


def test_rules_are_pure_functions_of_the_context(shop):
    workload = read_text("SELECT id FROM orders WHERE status = $1")
    wctx = WorkloadContext(Context(shop), workload, shapes_of(workload, shop))
    first = list(all_rules()["query-not-covered-by-index"].check(wctx))
    assert first == list(all_rules()["query-not-covered-by-index"].check(wctx)) and len(first) == 1
    assert list(all_rules()["unused-index"].check(wctx)) == []  # no live statistics: silent
