"""A saved ERD view in a real browser: saved from the ERD page of a workshop's workspace, then
reopened from its link in a fresh session, showing exactly its tables; the name stays text."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import wait_for_app

pytestmark = pytest.mark.browser

NAME = "Photos <b>core</b>"
TABLES = ("public.work_order_photos", "public.work_orders")


def go(page, title: str) -> None:
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name=title).click()
    wait_for_app(page)


def test_a_saved_view_reopens_from_its_link(page, browser, studio_url):
    go(page, "Workshop")
    page.get_by_role("button", name=re.compile(r"Start a workshop on demo")).click()
    wait_for_app(page)
    go(page, "ERD")
    main = page.locator("[data-testid='stMain']")
    main.get_by_text("Save this view in the workspace").click()
    form = main.locator("[data-testid='stForm']")
    form.get_by_role("textbox", name="View name").fill(NAME)
    tables = form.locator("[data-testid='stMultiSelect'] input")
    for table in TABLES:
        tables.click()
        page.keyboard.type(table)
        page.get_by_role("option", name=table, exact=True).click()
        page.keyboard.press("Escape")
    form.get_by_role("button", name="Save view").click()
    wait_for_app(page)
    expect(main.get_by_text(f"Saved the view {NAME}.")).to_be_visible()
    link = main.get_by_role("link", name=f"Link to the view {NAME}")
    href = link.get_attribute("href")
    assert href and "view=" in href and "ws=" in href

    fresh = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    try:
        fresh.goto(f"{studio_url}/{href}")
        wait_for_app(fresh)
        shown = fresh.locator("[data-testid='stMain']")
        expect(shown.get_by_text(f"Saved view {NAME}: 2 tables.")).to_be_visible()
        assert shown.locator("b", has_text="core").count() == 0, "the view's name is shown as text"
        diagram = shown.get_by_role("img").filter(has_text="work_order_photos")
        expect(diagram).to_contain_text("work_orders")
        expect(diagram).not_to_contain_text("customer_number")  # public.customers is not in the view
    finally:
        fresh.context.close()
