"""The Export page in a real browser: build + verify the demo bundle, read the result, download the zip."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from tests.browser.conftest import APP_TIMEOUT_MS, screenshot_path, wait_for_app

pytestmark = pytest.mark.browser


def test_build_verify_and_download_the_bundle(page):
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name="Export").click()
    wait_for_app(page)
    assert page.get_by_text("Plan (preview)").count() == 1
    page.get_by_role("button", name="Build and verify the bundle").click()
    wait_for_app(page)
    page.get_by_text("downs restore the model").first.wait_for()
    assert page.get_by_text("claimed fixes are gone").count() >= 1
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_text("Expand", exact=True).count() + page.get_by_role("heading", name="Expand").count() >= 1
    with page.expect_download(timeout=120_000) as download_info:  # a loaded 2-core CI machine is slow
        page.get_by_role("button", name="Download bundle.zip").click()
    download = download_info.value
    assert download.suggested_filename == "bundle.zip"
    data = Path(download.path()).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
    assert "MANIFEST" in names and "README.md" in names
    assert any(n.startswith("migrations/") and n.endswith(".up.sql") for n in names)
    page.screenshot(path=str(screenshot_path("export")), full_page=False)


def test_a_design_no_plan_can_carry_out_says_why_in_one_line(page):
    """uuidv7 over the demo's integer keys: the Export page names the problem and the way out, no traceback."""
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name="Design").click()
    wait_for_app(page)
    page.get_by_test_id("stRadio").filter(has_text="Surrogate keys").get_by_text("uuidv7", exact=True).click()
    wait_for_app(page)
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name="Export").click()
    wait_for_app(page)
    page.get_by_role("button", name="Build and verify the bundle").click()
    wait_for_app(page)
    page.get_by_text('keys.strategy = "uuidv7" turns', exact=False).first.wait_for(timeout=APP_TIMEOUT_MS)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_role("button", name="Download bundle.zip").count() == 0
    assert page.get_by_text('keys.strategy = "uuidv7" turns', exact=False).count() == 1, "said once"
    assert page.get_by_text("The bundle cannot be built").count() == 1
