"""A short workshop in a real browser: start on the demo, decide two items with notes, reload, see
them, follow the shareable link in a fresh session, download the decision log."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot_path, wait_for_app

pytestmark = pytest.mark.browser

AUTHOR = "Ada <b>Lovelace</b>"
NOTE_ONE = "Fix before go-live <img src=x onerror=\"window.pwned=1\"> **not bold** [link](javascript:alert(1))"
NOTE_TWO = "Needs the DBA; revisit in Q3"


def go(page, title: str) -> None:
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name=title).click()
    wait_for_app(page)


def field(page, label: str):
    return page.locator("[data-testid='stMain']").get_by_role("textbox", name=label, exact=True)


def commit(page, locator, text: str) -> None:
    """Type into a field and leave it, which saves it."""
    locator.click()
    locator.fill(text)
    locator.press("Tab")
    wait_for_app(page)


def decide(page, decision: str, notes: str, *, rationale: str = "", owner: str = "") -> None:
    page.locator("[data-testid='stRadio']").get_by_text(decision, exact=True).click()
    wait_for_app(page)
    if owner:
        commit(page, field(page, "Owner"), owner)
    if rationale:
        commit(page, field(page, "Rationale"), rationale)
    commit(page, field(page, "Notes"), notes)


def params(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


def test_a_short_workshop_survives_reload_and_exports_its_decisions(page, browser, studio_url):
    go(page, "Workshop")
    commit(page, page.locator("[data-testid='stSidebar']").get_by_role("textbox", name="Your name"), AUTHOR)
    page.get_by_role("button", name=re.compile(r"Start a workshop on demo")).click()
    wait_for_app(page)
    expect(page.get_by_text("Item 1 of", exact=False)).to_be_visible()
    first = params(page)
    assert first.get("ws") and first.get("item")

    decide(page, "Accept", NOTE_ONE, rationale="cheap to fix now", owner="Grace")
    page.get_by_role("button", name="Next").click()
    wait_for_app(page)
    second = params(page)
    assert second["item"] != first["item"] and second["ws"] == first["ws"]
    decide(page, "Defer", NOTE_TWO, owner="Edgar")
    expect(page.get_by_text("2 decided")).to_be_visible()

    page.reload()
    wait_for_app(page)
    assert params(page)["item"] == second["item"]
    expect(field(page, "Notes")).to_have_value(NOTE_TWO)
    page.get_by_role("button", name="Previous").click()
    wait_for_app(page)
    expect(field(page, "Notes")).to_have_value(NOTE_ONE)
    expect(field(page, "Rationale")).to_have_value("cheap to fix now")
    expect(page.get_by_text("2 decided")).to_be_visible()
    # Escaped everywhere: the hostile note and author never become markup.
    assert page.evaluate("() => window.pwned") is None
    assert page.locator("[data-testid='stMain'] img[src='x']").count() == 0
    expect(page.get_by_text(f"Last saved by {AUTHOR}", exact=False)).to_be_visible()
    page.screenshot(path=str(screenshot_path("workshop")), full_page=True)

    # The link opens the same item for a colleague (a fresh browser session).
    colleague = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    try:
        colleague.goto(f"{studio_url}/workshop?ws={first['ws']}&item={second['item']}")
        wait_for_app(colleague)
        expect(field(colleague, "Notes")).to_have_value(NOTE_TWO)
        expect(field(colleague, "Owner")).to_have_value("Edgar")
    finally:
        colleague.context.close()

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Decision log (ADR)").click()
    log = Path(download_info.value.path()).read_text(encoding="utf-8")
    assert log.count("## ADR-") == 2
    assert "- Status: Accepted" in log and "- Status: Deferred" in log
    assert "&lt;img src=x" in log and "<img" not in log
    assert "Needs the DBA; revisit in Q3" in log
    assert "Ada &lt;b&gt;Lovelace&lt;/b&gt;" in log
