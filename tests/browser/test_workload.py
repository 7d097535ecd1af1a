"""The Workload page in a real browser on the demo: paste queries, read the missing index, project volumes."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot_path, wait_for_app

pytestmark = pytest.mark.browser

QUERIES = """SELECT id, tenant_id, display_name FROM users WHERE lower(email) = lower(:email);
SELECT wo.id FROM work_orders wo WHERE wo.tenant_id = $1 AND wo.shop_id = $2;
SELECT nickname FROM customers;
SELEC broken"""


def go(page, title: str) -> None:
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name=title).click()
    wait_for_app(page)


def test_paste_queries_see_missing_index_and_volumes(page):
    go(page, "Workload")
    main = page.locator("[data-testid='stMain']")
    assert page.get_by_role("heading", name="Workload").first.is_visible()
    main.get_by_label("Queries").fill(QUERIES)
    main.get_by_label("Queries").press("Control+Enter")
    wait_for_app(page)
    main.get_by_role("button", name="Analyze the queries").click()
    wait_for_app(page)

    assert main.get_by_text("statement 4 (line 4", exact=False).first.is_visible()  # not parsed: said so
    panels = main.get_by_test_id("stExpander")
    login = panels.filter(has_text="1. SELECT id, tenant_id, display_name FROM users").first
    login.locator("summary").click()
    code = login.get_by_test_id("stCode").filter(has_text="CREATE INDEX CONCURRENTLY")
    code.wait_for()
    assert "ON public.users ((lower(email)));" in code.inner_text()
    assert login.get_by_text("EXPLAIN confirms it", exact=False).is_visible()
    login.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_path("workload")))

    covered = panels.filter(has_text="2. SELECT wo.id FROM work_orders").first
    covered.locator("summary").click()
    covered.get_by_text("Every filtered or joined table has an index", exact=False).wait_for()

    unknown = panels.filter(has_text="3. SELECT nickname FROM customers").first
    unknown.locator("summary").click()
    unknown.get_by_text("query-references-unknown-object", exact=False).wait_for()

    # Volumes: the chart and the projection table are there for the tables the queries touch.
    main.get_by_role("heading", name="Volumes ahead").scroll_into_view_if_needed()
    assert main.locator("[data-testid='stVegaLiteChart']").count() >= 1
    assert main.get_by_test_id("stDataFrame").count() >= 2
    page.screenshot(path=str(screenshot_path("workload-volumes")), full_page=True)
