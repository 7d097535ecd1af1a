"""The Findings page in a real browser on the demo: filter, read a fix, suppress with a reason, un-suppress."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot_path, wait_for_app

pytestmark = pytest.mark.browser


def go(page, title: str) -> None:
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name=title).click()
    wait_for_app(page)


def metric(page, label: str) -> int:
    box = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return int(box.locator("[data-testid='stMetricValue']").inner_text().replace(",", ""))


def test_filter_read_fix_suppress_and_unsuppress(page):
    go(page, "Findings")
    main = page.locator("[data-testid='stMain']")
    assert page.get_by_role("heading", name="Findings").first.is_visible()
    errors = metric(page, "Errors")
    assert errors > 0 and metric(page, "Findings") > errors

    # Filter to errors only: every panel listed is an error.
    main.get_by_test_id("stButtonGroup").first.get_by_role("button", name="error").click()
    wait_for_app(page)
    panels = main.get_by_test_id("stExpander")
    assert panels.count() == min(errors, 25)
    assert main.get_by_text(f"of {errors} finding", exact=False).is_visible()

    # Open the security-definer finding: its fix DDL is shown as code.
    panel = panels.filter(has_text="security-definer-search-path").first
    panel.locator("summary").click()
    code = panel.get_by_test_id("stCode")
    code.wait_for()
    assert "SET search_path = pg_catalog, pg_temp" in code.inner_text()
    panel.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_path("findings")))

    # Suppressing needs a reason; with one, the finding moves to the suppressed list.
    panel.get_by_role("button", name="Suppress").click()
    wait_for_app(page)
    assert panel.get_by_text("needs a reason").is_visible()
    panel.get_by_label("Reason for suppressing").fill("pinned by the deploy script <b>*not*</b>")
    panel.get_by_role("button", name="Suppress").click()
    wait_for_app(page)
    main.get_by_role("button", name="Un-suppress").wait_for()
    assert metric(page, "Suppressed") == 1
    assert metric(page, "Errors") == errors - 1
    reason = main.get_by_text("Reason: pinned by the deploy script <b>*not*</b>")  # text, not HTML
    reason.wait_for()
    assert main.get_by_test_id("stExpander").filter(has_text="security-definer-search-path").count() == 0

    page.screenshot(path=str(screenshot_path("findings-suppressed")), full_page=True)
    main.get_by_role("button", name="Un-suppress").click()
    wait_for_app(page)
    assert metric(page, "Suppressed") == 0 and metric(page, "Errors") == errors
    assert page.locator("[data-testid='stException']").count() == 0


def test_overview_shows_the_health_summary(page):
    page.get_by_role("heading", name="Health").wait_for(timeout=60_000)  # the first run also loads the demo
    assert metric(page, "Errors") > 0
    assert page.get_by_text("Top problems").is_visible()
