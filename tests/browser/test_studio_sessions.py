"""Several people on one studio (issue 19): each browser keeps its own schema, uploads and unsaved choices.

One fresh studio; three browser contexts (separate cookies, so separate Streamlit sessions) side by side.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import running_studio, wait_for_app

pytestmark = pytest.mark.browser

FLEET = b"""CREATE TABLE public.depots (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE public.vans (id bigint PRIMARY KEY, depot_id bigint NOT NULL REFERENCES public.depots (id));
CREATE TABLE public.drivers (id bigint PRIMARY KEY, van_id bigint REFERENCES public.vans (id));
"""


def open_studio(browser, base: str):
    page = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    page.goto(base)
    wait_for_app(page)
    return page


def go(page, title: str) -> None:
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name=title).click()
    wait_for_app(page)


def studying(page):
    return page.locator("[data-testid='stSidebar']").get_by_text("Studying")


def table_count(page):
    go(page, "Overview")
    metric = page.locator("[data-testid='stMain'] [data-testid='stMetric']").filter(has_text="Tables")
    return metric.locator("[data-testid='stMetricValue']")


def key_strategy(page):
    go(page, "Design")
    return page.locator("[data-testid='stMain'] [data-testid='stRadio']").filter(has_text="Surrogate keys")


def test_two_browsers_never_see_each_others_schema_upload_or_choices(browser):
    with running_studio() as base:
        uploader, demo, newcomer = (open_studio(browser, base) for _ in range(3))
        try:
            go(uploader, "Connect")
            uploader.get_by_role("tab", name="SQL file").click()
            uploader.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
                files=[{"name": "fleet.sql", "mimeType": "application/sql", "buffer": FLEET}]
            )
            wait_for_app(uploader)
            expect(studying(uploader)).to_contain_text("fleet.sql")  # at once, not from the next page on
            expect(table_count(uploader)).to_have_text("3")

            choice = key_strategy(demo)
            choice.get_by_text("uuidv7", exact=True).click()
            wait_for_app(demo)
            expect(choice.locator("input[type='radio']:checked")).to_have_value("2")  # the third option

            # Each session as it left it, after the other acted.
            expect(studying(demo)).to_contain_text("demo")
            expect(studying(demo)).not_to_contain_text("fleet.sql")
            demo_tables = table_count(demo)
            expect(demo_tables).not_to_have_text("3")
            assert int(demo_tables.inner_text()) > 30, "the demo has its own 30-odd tables"
            expect(key_strategy(demo).locator("input[type='radio']:checked")).to_have_value("2")

            expect(studying(uploader)).to_contain_text("fleet.sql")
            expect(key_strategy(uploader).locator("input[type='radio']:checked")).to_have_value("0")

            # Someone arriving later gets the demo and the defaults, none of the others' work.
            expect(studying(newcomer)).to_contain_text("demo")
            expect(key_strategy(newcomer).locator("input[type='radio']:checked")).to_have_value("0")
            go(newcomer, "Connect")
            expect(newcomer.locator("[data-testid='stMain']")).not_to_contain_text("fleet.sql")
        finally:
            for page in (uploader, demo, newcomer):
                page.context.close()
