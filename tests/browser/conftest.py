"""Browser tests: the real studio (`streamlit run app.py`) driven by headless Chromium.

Fixtures:
- `studio_url` (session): starts the studio on a free port, waits for /_stcore/health, stops it.
- `running_studio()`: the same as a context manager, for tests that need a fresh process.
- `browser` (session): Debian's Chromium through Playwright's sync API.
- `page` (function): a fresh browser context and page on the studio, with a screenshot under
  out/screenshots/ when the test fails.
Helpers: `wait_for_app(page)` (the script finished and nothing is still loading), `go(page, title)` (a
page through the sidebar), `SCREENSHOTS`.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: F401  (shared with the browser fixture)

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "out" / "screenshots"
STARTUP_TIMEOUT_S = 90
APP_TIMEOUT_MS = 120_000  # the first run loads the demo into the embedded PostgreSQL
VIEWPORT = {"width": 1440, "height": 1000}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
            return response.read().strip() == b"ok"
    except (urllib.error.URLError, OSError):
        return False


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


@contextlib.contextmanager
def running_studio():
    """A fresh studio process on a free port, stopped on exit; its output is in out/streamlit-<port>.log."""
    with studio_process() as (base, _):
        yield base


@contextlib.contextmanager
def studio_process(port: int | None = None, home: Path | None = None):
    """`running_studio`, yielding the process too (to kill it), on `port` or a free one, with its own
    SCHEMA_STUDIO_HOME if `home` is given (so its embedded server is its own)."""
    port = port or _free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, SCHEMA_STUDIO_HOME=str(home or os.environ["SCHEMA_STUDIO_HOME"]), PYTHONUNBUFFERED="1")
    log_path = ROOT / "out" / f"streamlit-{port}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", "app.py",
                "--server.headless", "true",
                "--server.port", str(port),
                "--server.address", "127.0.0.1",
                "--server.fileWatcherType", "none",
                "--browser.gatherUsageStats", "false",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _healthy(base):
            if proc.poll() is not None:
                pytest.fail(f"the studio exited with {proc.returncode} before serving; see {log_path}")
            if time.monotonic() > deadline:
                pytest.fail(f"the studio did not answer /_stcore/health within {STARTUP_TIMEOUT_S} s; see {log_path}")
            time.sleep(0.25)
        yield base, proc
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def studio_url() -> str:
    """The base URL of a studio shared by the session."""
    with running_studio() as base:
        yield base


_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[_FAILED] = report.failed


def screenshot_path(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"


@pytest.fixture
def page(request, browser, studio_url):
    """A new page (own context, so own Streamlit session) opened on the studio and settled."""
    context = browser.new_context(viewport=VIEWPORT, base_url=studio_url)
    context.set_default_timeout(30_000)
    pg = context.new_page()
    try:
        pg.goto(studio_url)
        wait_for_app(pg)
        yield pg
    finally:
        if request.node.stash.get(_FAILED, False):
            with contextlib.suppress(Exception):
                pg.screenshot(path=str(screenshot_path(f"FAILED-{request.node.name}")), full_page=True)
        context.close()


def wait_for_app(page, timeout_ms: int = APP_TIMEOUT_MS) -> None:
    """Wait until the script run has finished and no element is still a loading skeleton."""
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout_ms)
    # A rerun may start just after a click: give the script state a moment to leave notRunning.
    page.wait_for_timeout(300)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout_ms)
    page.wait_for_function(
        "() => document.querySelectorAll(\"[data-testid='stSkeleton']\").length === 0", timeout=timeout_ms
    )


def go(page, title: str) -> None:
    """Open a studio page through the sidebar's link and wait for it."""
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name=title).click()
    wait_for_app(page)
