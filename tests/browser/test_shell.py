"""The studio shell in a real browser: the demo opens by default; an uploaded DDL file replaces it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot_path, wait_for_app

pytestmark = pytest.mark.browser

HOSTILE = 'Ünïcode <b>&amp; "quoted"'
HOSTILE_FILE = "shop <i>*bold* _x_ & [x](y).sql"
DDL = f"""
-- two tables, one foreign key, one hostile name
CREATE TABLE public.customer (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE
);
CREATE TABLE public."{HOSTILE.replace('"', '""')}" (
    id bigint PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES public.customer (id),
    note text
);
COMMENT ON TABLE public.customer IS 'people who buy';
ALTER TABLE public.customer OWNER TO someone_absent;
"""


def metric(page, label: str) -> str:
    box = page.locator("[data-testid='stMetric']").filter(has_text=label)
    return box.locator("[data-testid='stMetricValue']").inner_text()


def go(page, title: str) -> None:
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name=title).click()
    wait_for_app(page)


def test_demo_opens_by_default(page):
    assert page.get_by_role("heading", name="Overview").is_visible()
    main = page.locator("[data-testid='stMain']")
    assert "demo" in main.locator("[data-testid='stCaptionContainer']").first.inner_text()
    assert int(metric(page, "Tables").replace(",", "")) > 0
    assert page.locator("[data-testid='stDataFrame']").count() >= 2
    assert page.locator("[data-testid='stException']").count() == 0
    # for the README (docs/screenshot-overview.png is a reviewed copy of it)
    page.screenshot(path=str(screenshot_path("overview")), full_page=True)


def test_uploaded_ddl_replaces_the_demo_and_names_render_as_text(page):
    go(page, "Connect")
    page.get_by_role("tab", name="SQL file").click()
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": HOSTILE_FILE, "mimeType": "application/sql", "buffer": DDL.encode()}]
    )
    wait_for_app(page)
    panel = page.locator("[data-testid='stMarkdownContainer']").filter(has_text="Studying:")
    panel.wait_for()
    assert HOSTILE_FILE in panel.inner_text()
    assert "2 tables" in panel.inner_text()
    # the OWNER TO a missing role is reported as a note, not an error
    assert page.get_by_text("Loading notes:").count() >= 1

    go(page, "Overview")
    assert metric(page, "Tables") == "2"
    assert metric(page, "Foreign keys") == "1"
    main = page.locator("[data-testid='stMain']")
    caption = main.locator("[data-testid='stCaptionContainer']").first
    assert caption.inner_text().startswith(HOSTILE_FILE)
    # markdown and HTML in a user's name stay text: no element was made from them
    assert main.locator("i, b, em, strong a").filter(has_text="bold").count() == 0
    assert main.locator("b").filter(has_text="quoted").count() == 0
    tables = main.locator("[data-testid='stDataFrame']").filter(has_text="people who buy")  # the table list
    for cell in (HOSTILE, "customer", "people who buy"):
        expect(tables).to_contain_text(cell)
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=str(screenshot_path("overview-upload")), full_page=True)


def test_a_file_that_cannot_load_is_one_line_error_and_keeps_the_current_source(page):
    go(page, "Connect")
    page.get_by_role("tab", name="SQL file").click()
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": "broken.sql", "mimeType": "application/sql", "buffer": b"\nCREAT TABLE x (id int);\n"}]
    )
    wait_for_app(page)
    alert = page.locator("[data-testid='stMain'] [data-testid='stAlertContentError']")
    expect(alert).to_have_count(1)
    text = alert.locator("[data-testid='stMarkdownContainer']").inner_text()
    assert "broken.sql line 2" in text and "CREAT" in text and "\n" not in text.strip()
    assert page.locator("[data-testid='stException']").count() == 0
    studying = page.locator("[data-testid='stMarkdownContainer']").filter(has_text="Studying:")
    assert "demo" in studying.inner_text()
