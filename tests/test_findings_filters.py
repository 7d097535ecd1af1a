"""The Findings page's pure helpers: filters, grouping, counts, suppressions (no Streamlit, no mocks)."""

from __future__ import annotations

import pytest

from analyzers.engine import Suppression
from analyzers.registry import Finding
from studio.ui import findings as ui


def finding(
    rule="money-type", severity="warning", category="types", table="public.t", columns=(), message="m"
):
    return Finding(rule, severity, category, table, tuple(columns), (), message, "why", "ALTER TABLE x;")


FINDINGS = [
    finding("no-primary-key", "error", "keys", "billing.invoices"),
    finding(
        "money-type", "warning", "types", "public.payments", ("amount",), "public.payments.amount uses money"
    ),
    finding("json-instead-of-jsonb", "info", "types", 'public."<b>*x*</b>"', ("data",)),
    finding("rls-not-forced", "info", "tenancy", "billing.invoices"),
]


def test_no_filters_keep_everything():
    assert ui.apply_filters(FINDINGS, ui.Filters()) == FINDINGS


@pytest.mark.parametrize(
    ("filters", "rules"),
    [
        (ui.Filters(severities=("info",)), ["json-instead-of-jsonb", "rls-not-forced"]),
        (ui.Filters(categories=("types",)), ["money-type", "json-instead-of-jsonb"]),
        (ui.Filters(schemas=("billing",)), ["no-primary-key", "rls-not-forced"]),
        (ui.Filters(tables=("public.payments",)), ["money-type"]),
        (ui.Filters(rules=("rls-not-forced",)), ["rls-not-forced"]),
        (ui.Filters(text="AMOUNT"), ["money-type"]),
        (ui.Filters(text="*x*"), ["json-instead-of-jsonb"]),
        (ui.Filters(severities=("info",), schemas=("billing",)), ["rls-not-forced"]),
        (ui.Filters(severities=("error",), categories=("types",)), []),
    ],
)
def test_filters_combine(filters, rules):
    assert [f.rule for f in ui.apply_filters(FINDINGS, filters)] == rules


def test_options_and_counts():
    available = ui.options(FINDINGS)
    assert available["severities"] == ["error", "warning", "info"]
    assert available["categories"] == ["keys", "types", "tenancy"]
    assert available["schemas"] == ["billing", "public"]
    counted = ui.counts(FINDINGS)
    assert counted["severity"] == {"error": 1, "warning": 1, "info": 2}
    assert counted["category"] == {"keys": 1, "types": 2, "tenancy": 1}


def test_grouping_keeps_report_order_inside_groups():
    assert [label for label, _ in ui.group(FINDINGS, "severity")] == ["error", "warning", "info"]
    by_table = dict(ui.group(FINDINGS, "table"))
    assert [f.rule for f in by_table["billing.invoices"]] == ["no-primary-key", "rls-not-forced"]
    with pytest.raises(ValueError):
        ui.group(FINDINGS, "colour")


def test_top_problems_worst_first():
    assert ui.top_problems(FINDINGS, limit=2) == [
        ("no-primary-key", "error", 1, 1),
        ("money-type", "warning", 1, 1),
    ]


def test_suppression_needs_a_reason_and_is_as_narrow_as_possible():
    with pytest.raises(ValueError, match="reason"):
        ui.suppression_for(FINDINGS[1], "   ")
    narrow = ui.suppression_for(FINDINGS[1], "  legacy\n column ")
    assert narrow == Suppression("money-type", "public.payments.amount", "legacy column")
    assert narrow.matches(FINDINGS[1])
    assert ui.suppression_for(FINDINGS[0], "ok").object == "billing.invoices"
    kept = ui.add_suppression([narrow], Suppression("money-type", "public.payments.amount", "new reason"))
    assert [s.reason for s in kept] == ["new reason"]
    assert ui.remove_suppression(kept, narrow) == []


def test_suppressions_rerun_the_analysis(catalog_of):
    catalog = catalog_of("CREATE TABLE payments (id int PRIMARY KEY, amount money, fee money);")
    report = ui.run(catalog)
    money = [f for f in report.findings if f.rule == "money-type"]
    assert [f.columns for f in money] == [("amount",), ("fee",)]
    again = ui.run(catalog, [ui.suppression_for(money[0], "paid in one currency")])
    assert [f.columns for f in again.findings if f.rule == "money-type"] == [("fee",)]
    assert [(f.columns, s.reason) for f, s in again.suppressed] == [(("amount",), "paid in one currency")]


def test_table_details_rows(catalog_of):
    catalog = catalog_of("""
        CREATE TABLE parents (id int PRIMARY KEY);
        CREATE TABLE kids (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, parent_id int REFERENCES parents,
                           name text NOT NULL UNIQUE);
        CREATE INDEX kids_parent ON kids (parent_id);
        ALTER TABLE kids ENABLE ROW LEVEL SECURITY;
        CREATE POLICY mine ON kids USING (name = current_user);
    """)
    kids = catalog.table("public.kids")
    assert [r["key"] for r in ui.column_rows(kids)] == ["PK", "FK → public.parents", ""]
    assert {r["kind"] for r in ui.key_rows(kids)} == {"primary key", "unique", "foreign key"}
    assert "kids_parent" in {r["index"] for r in ui.index_rows(kids)}
    assert ui.policy_rows(kids)[0]["policy"] == "mine"
    assert ui.rls_state(kids) == "row level security on, not forced"
