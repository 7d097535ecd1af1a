"""The Design page in a real browser: switching tenancy to schema-per-tenant changes the DDL preview;
a blueprint added from the gallery lands in the tenant template."""

from __future__ import annotations

import pytest

from tests.browser.conftest import APP_TIMEOUT_MS, screenshot_path, wait_for_app

pytestmark = pytest.mark.browser


def test_switching_tenancy_changes_the_ddl_preview(page):
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name="Design").click()
    wait_for_app(page)
    code = page.locator("[data-testid='stCode']").first
    code.wait_for()
    before = code.inner_text()
    assert "CREATE TABLE public.work_orders" in before
    assert "tenant_template" not in before

    page.get_by_test_id("stSelectbox").filter(has_text="Tenancy model").click()
    page.get_by_role("option", name="schema-per-tenant").click()
    wait_for_app(page)
    after = page.locator("[data-testid='stCode']").first.inner_text()
    assert "CREATE SCHEMA IF NOT EXISTS tenant_template" in after
    assert "provision_tenant" in after
    assert after != before
    assert page.get_by_role("tab", name="Trade-offs").count() == 1 or page.get_by_text("Trade-offs").count() >= 1
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=str(screenshot_path("design")), full_page=False)

    page.get_by_role("tab", name="Blueprint gallery").click()
    card = page.get_by_test_id("stExpander").filter(has_text="audit-trail").first
    card.locator("summary").first.click()
    add = card.get_by_role("button", name="Add to design")
    add.wait_for()  # the expander is open: the button is this blueprint's own
    add.click()
    wait_for_app(page)
    page.screenshot(path=str(screenshot_path("design_gallery")), full_page=False)
    # The durable effect, not the confirmation: on a loaded machine a rerun may re-create the page's tabs
    # (the first one selected again), which hides the gallery's transient "added" message.
    page.get_by_role("tab", name="Design").first.click()
    page.wait_for_function(
        "() => [...document.querySelectorAll(\"[data-testid='stCode']\")]"
        ".some(e => e.innerText.includes('CREATE TABLE tenant_template.audit_log'))",
        timeout=APP_TIMEOUT_MS,
    )
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=str(screenshot_path("design_blueprint")), full_page=False)
