"""No saved decision is lost when the studio process dies mid-workshop.

The test runs the real studio as a subprocess, records notes in Chromium, kills the studio with
SIGKILL (no cleanup runs: the embedded server keeps the dead pid in its holder list), starts a new studio on
the same home folder, and opens the workshop link: every note that was saved is there, and the
dead holder was pruned.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.browser.conftest import ROOT, _free_port, _healthy, wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]
NOTES = [f"note {i}: decided <b>{i}</b> & kept" for i in range(3)]


def start_studio(port: int, log_path: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1", "--server.fileWatcherType", "none",
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 90
    while not _healthy(f"http://127.0.0.1:{port}"):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the studio did not start; see {log_path}")
        time.sleep(0.25)
    return proc


def holders() -> list[int]:
    from studio.sources import embedded

    path = embedded.data_folder() / ".handle_pids.json"
    return json.loads(path.read_text() or "[]") if path.exists() else []


def test_saved_notes_survive_a_sigkilled_studio(browser):
    from playwright.sync_api import expect

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = ROOT / "out" / f"streamlit-restart-{port}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    studio = start_studio(port, log_path)
    restarted = None
    try:
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.set_default_timeout(30_000)
        page.goto(base)  # a fresh session opened straight on /workshop found no demo loaded
        wait_for_app(page)
        page.locator("[data-testid='stSidebarNav']").get_by_role("link", name="Workshop").click()
        wait_for_app(page)
        page.get_by_role("button", name=re.compile("Start a workshop on demo")).click()
        wait_for_app(page)
        links = []
        main = page.locator("[data-testid='stMain']")
        for note in NOTES:
            notes = main.get_by_role("textbox", name="Notes", exact=True)
            notes.fill(note)
            notes.press("Tab")
            wait_for_app(page)
            links.append(page.url)
            page.get_by_role("button", name="Next").click()
            wait_for_app(page)
        # Mid-workshop: a note typed but not yet saved is the only thing allowed to be lost.
        main.get_by_role("textbox", name="Notes", exact=True).fill("typed, never saved")

        assert studio.pid in holders()
        os.kill(studio.pid, signal.SIGKILL)
        studio.wait(timeout=30)
        assert studio.pid in holders()  # the dead holder is still listed: nothing cleaned up

        restarted = start_studio(port, log_path)
        for link, note in zip(links, NOTES, strict=True):
            fresh = browser.new_page(viewport={"width": 1440, "height": 1000})
            fresh.set_default_timeout(30_000)
            fresh.goto(link)
            wait_for_app(fresh)
            expect(fresh.locator("[data-testid='stMain']").get_by_role("textbox", name="Notes", exact=True)) \
                .to_have_value(note)
            fresh.close()
        assert studio.pid not in holders()  # the restarted studio pruned the dead holder
    finally:
        for proc in (studio, restarted):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=30)
