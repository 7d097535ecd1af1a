"""A file that loads in part: the Overview says so above everything else, with the count, and lists each note."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import wait_for_app

pytestmark = pytest.mark.browser

PARTLY_BROKEN = b"""CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE public.depots (id bigint PRIMARY KEY, area geometry(Polygon,4326));
CREATE TABLE public.vans (id bigint PRIMARY KEY, depot_id bigint REFERENCES public.garages (id));
CREATE TABLE public.drivers (id bigint PRIMARY KEY);
"""


def test_notes_and_failed_statements_are_counted_above_the_overview(page):
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name="Connect").click()
    wait_for_app(page)
    page.get_by_role("tab", name="SQL file").click()
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": "fleet.sql", "mimeType": "application/sql", "buffer": PARTLY_BROKEN}]
    )
    wait_for_app(page)
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name="Overview").click()
    wait_for_app(page)
    main = page.locator("[data-testid='stMain']")
    alert = main.locator("[data-testid='stAlertContentError']")
    expect(alert).to_have_count(1)
    expect(alert).to_contain_text("1 statement of the file failed")
    expect(alert).to_contain_text("1 error")
    first_metric = main.locator("[data-testid='stMetric']").first
    assert alert.bounding_box()["y"] < first_metric.bounding_box()["y"], "the count comes before the figures"
    notes = main.locator("[data-testid='stExpander']").filter(has_text="Loading notes")
    expect(notes.locator("[data-testid='stDataFrame']")).to_be_visible()  # open: a statement failed
    expect(notes).to_contain_text("Loading notes: 1 error")
    tables = main.locator("[data-testid='stMetric']").filter(has_text="Tables")
    expect(tables.locator("[data-testid='stMetricValue']")).to_have_text("2")  # depots (stood-in type), drivers
