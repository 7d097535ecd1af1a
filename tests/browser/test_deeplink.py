"""Deep links as the very first request to a freshly started studio (issue 19).

A folder named pages/ beside app.py made Streamlit run the linked page's file without app.py until some
session had opened `/`: raw file names in the sidebar, no demo loaded. Every case starts its own studio.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from app import PAGES
from tests.browser.conftest import running_studio, screenshot_path, wait_for_app

SECTIONS = list(dict.fromkeys(section for section, *_ in PAGES))
PAGE_LINKS = [(path.removeprefix("views/").removesuffix(".py"), title) for _, path, title, _ in PAGES]


def open_first(browser, url: str):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.goto(url)
    wait_for_app(page)
    return context, page


def assert_sectioned_and_loaded(page) -> None:
    nav = page.locator("[data-testid='stSidebarNav']")
    expect(nav.get_by_test_id("stNavSectionHeader")).to_contain_text(SECTIONS)
    for _, _, title, _ in PAGES:
        expect(nav.get_by_role("link", name=title)).to_be_visible()
    expect(nav.get_by_role("link", name="app")).to_have_count(0)
    expect(page.locator("[data-testid='stSidebar']").get_by_text("Studying")).to_be_visible()


@pytest.mark.parametrize(("slug", "title"), PAGE_LINKS, ids=[slug for slug, _ in PAGE_LINKS])
def test_a_page_link_as_the_first_request_runs_the_app(browser, slug, title):
    with running_studio() as base:
        context, page = open_first(browser, f"{base}/{slug}")
        try:
            assert_sectioned_and_loaded(page)
            expect(page.get_by_role("heading", name=title).first).to_be_visible()
        except AssertionError:
            page.screenshot(path=str(screenshot_path(f"deeplink-{slug}")), full_page=True)
            raise
        finally:
            context.close()


def test_a_workshop_link_with_its_parameters_as_the_first_request(browser):
    with running_studio() as base:
        context, page = open_first(browser, f"{base}/")
        page.locator("[data-testid='stSidebarNav']").get_by_role("link", name="Workshop").click()
        wait_for_app(page)
        page.get_by_role("button", name="Start a workshop on").click()
        wait_for_app(page)
        expect(page.get_by_role("button", name="Next")).to_be_visible()
        link = page.url
        context.close()
    wanted = parse_qs(urlsplit(link).query)
    assert set(wanted) >= {"ws", "item"}, link
    with running_studio() as base:
        context, page = open_first(browser, f"{base}/workshop?{urlsplit(link).query}")
        try:
            assert_sectioned_and_loaded(page)
            expect(page.get_by_text("Workspace Workshop on")).to_be_visible()
            expect(page.get_by_role("button", name="Next")).to_be_visible()
            got = parse_qs(urlsplit(page.url).query)
            assert got["ws"] == wanted["ws"] and got["item"] == wanted["item"], (link, page.url)
        except AssertionError:
            page.screenshot(path=str(screenshot_path("deeplink-workshop-params")), full_page=True)
            raise
        finally:
            context.close()
