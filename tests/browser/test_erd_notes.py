"""Notes in a real browser: written on the ERD page of a workshop's workspace, on a table and on one of
its columns, then the page reloaded: the notes are in the table's details and show on hover over the
table's header and the column's row in the diagram, as text (the markup in them is not run)."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import go, wait_for_app

pytestmark = pytest.mark.browser

VIEWER = "[data-testid='erd-viewport']"
TABLE = "public.work_orders"
TABLE_NOTE = "One visit to a shop <b>billed once</b> & 'closed' by the manager"
COLUMN_NOTE = "Who brought the equipment in <i>(never a supplier)</i>"


def select_table(page) -> None:
    page.locator(f"{VIEWER} svg g.node").first.wait_for(timeout=60_000)
    page.get_by_role("button", name="Fit").click()
    page.locator(f"{VIEWER} g.node[data-erd-target='table:{TABLE}'] polygon").first.click(force=True)
    wait_for_app(page)
    page.locator("[data-testid='stMain']").get_by_role("heading", name=TABLE).wait_for(timeout=30_000)


def write_note(page, on: str | None, text: str) -> None:
    main = page.locator("[data-testid='stMain']")
    chooser = main.locator("[data-testid='stSelectbox']").filter(has_text="Note on")
    if not chooser.is_visible():  # the expander stays open across the rerun after a save
        main.get_by_text("Write a note").click()
    if on is not None:
        chooser.click()
        page.get_by_role("option", name=f"column {on}", exact=True).click()
        wait_for_app(page)
    form = main.locator("[data-testid='stForm']").filter(has=page.get_by_role("button", name="Save note"))
    form.get_by_role("textbox", name="Note").fill(text)
    form.get_by_role("button", name="Save note").click()
    wait_for_app(page)


def hover_tip(page, cell):
    cell.hover(force=True)
    tip = page.locator(f"{VIEWER} [data-testid='erd-note-tip']")
    expect(tip).to_be_visible()
    return tip


def note_the_table_in_a_new_workshop(page) -> None:
    go(page, "Workshop")
    page.get_by_role("button", name=re.compile(r"Start a workshop on demo")).click()
    wait_for_app(page)
    go(page, "ERD")
    select_table(page)
    write_note(page, None, TABLE_NOTE)


def test_a_note_is_kept_and_shown_in_details_and_on_hover(page):
    note_the_table_in_a_new_workshop(page)
    select_table(page)
    write_note(page, "customer_id", COLUMN_NOTE)
    assert "ws=" in page.url

    page.reload()
    wait_for_app(page)
    select_table(page)
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_test_id("stText").filter(has_text=TABLE_NOTE)).to_be_visible()  # the details' Note, as text
    assert main.locator("b", has_text="billed once").count() == 0
    expect(main.get_by_test_id("stText").filter(has_text=f"customer_id: {COLUMN_NOTE}")).to_be_visible()

    node = page.locator(f"{VIEWER} g.node[data-erd-target='table:{TABLE}']")
    noted = node.locator("g[data-erd-note]")
    assert noted.count() >= 2, "the header and the column's cells carry a note"
    tip = hover_tip(page, noted.first)
    expect(tip).to_have_text(TABLE_NOTE)
    assert tip.locator("b").count() == 0, "the note is text, not markup"
    column_cell = node.locator(f"g[data-erd-note='{COLUMN_NOTE}']").first
    expect(hover_tip(page, column_cell)).to_have_text(COLUMN_NOTE)
    page.mouse.move(1, 1)
    expect(page.locator(f"{VIEWER} [data-testid='erd-note-tip']")).to_be_hidden()
    assert page.locator("[data-testid='stException']").count() == 0


def test_the_export_page_takes_the_open_workspaces_notes_into_the_bundle(page):
    note_the_table_in_a_new_workshop(page)
    go(page, "Export")
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_text("notes, saved views and decision log of workspace")).to_be_visible()
    main.get_by_text("Write the notes on tables and columns as COMMENT ON steps").click()
    wait_for_app(page)
    page.get_by_role("button", name="Build and verify the bundle").click()
    wait_for_app(page)
    with page.expect_download(timeout=240_000) as download_info:
        page.get_by_role("button", name="Download bundle.zip").click()
    with zipfile.ZipFile(io.BytesIO(Path(download_info.value.path()).read_bytes())) as bundle:
        readme = bundle.read("README.md").decode()
        ups = {name: bundle.read(name).decode() for name in bundle.namelist() if name.endswith(".up.sql")}
    assert "Notes on tables and columns" in readme and "billed once" in readme
    comments = [name for name, sql in ups.items() if "COMMENT ON TABLE" in sql and "billed once" in sql]
    assert comments, f"no COMMENT ON step setting the note among {sorted(ups)}"
    assert "work_orders" in ups[comments[0]]
