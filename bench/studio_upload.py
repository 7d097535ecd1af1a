"""Studio benchmark: how long a generated DDL upload takes to become a usable Overview in the browser.

    .venv/bin/python bench/studio_upload.py [--sizes 100 500] [--repeat 2]

Starts the studio as a whole process (`streamlit run app.py`, as `python3 dev.py studio` does) and
drives it in headless Chromium. The baseline, measured in the same run, is the same upload of the
demo's own schema file (studio/demo/schema.sql, 38 tables). Each upload is timed from handing the file to the
uploader until the Overview shows the file's table count: the sandbox load, the introspection and
the page drawing together; "loaded" is when the upload's progress panel says it is done. The
schemas are bench/synthetic.py's (8 columns, 2 foreign keys, 2 indexes a table, some partitioned
tables and RLS policies). Best of --repeat, each in a fresh browser session and each a file the studio
has not seen (a comment with the run number), so no run is served from the studio's upload cache.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SCHEMA_STUDIO_HOME", str(ROOT / ".schema-studio"))

from playwright.sync_api import sync_playwright  # noqa: E402

from bench.synthetic import expected_counts, synthetic_sql  # noqa: E402
from studio.sources import demo  # noqa: E402

DEMO_SCHEMA = ROOT / "studio" / "demo" / "schema.sql"

TIMEOUT_MS = 600_000
CHROMIUM = Path("/usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def start_studio(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port",
         str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not _healthy(f"http://127.0.0.1:{port}"):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit("the studio did not start")
        time.sleep(0.25)
    return proc


def wait_for_app(page) -> None:
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=TIMEOUT_MS)


def overview_tables(page, count: int) -> None:
    """Wait until the Overview's Tables figure reads `count`."""
    metric = page.locator("[data-testid='stMain'] [data-testid='stMetric']").filter(has_text="Tables")
    metric.locator("[data-testid='stMetricValue']").filter(has_text=f"{count:,}").wait_for(timeout=TIMEOUT_MS)


def open_page(page, title: str) -> None:
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name=title).click()


def upload_to_overview(browser, base: str, name: str, ddl: bytes, tables: int) -> tuple[float, float]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.goto(f"{base}/")
    wait_for_app(page)
    open_page(page, "Connect")
    wait_for_app(page)
    page.get_by_role("tab", name="SQL file").click()
    start = time.perf_counter()
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": name, "mimeType": "application/sql", "buffer": ddl}]
    )
    page.locator("[data-testid='stMain']").get_by_text(f"Loaded {name}").wait_for(timeout=TIMEOUT_MS)
    loaded = time.perf_counter() - start
    open_page(page, "Overview")
    overview_tables(page, tables)
    usable = time.perf_counter() - start
    context.close()
    return loaded, usable


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    studio = start_studio(_free_port())
    base = f"http://127.0.0.1:{studio.args[studio.args.index('--server.port') + 1]}"
    try:
        with sync_playwright() as pw:
            launch = {"args": ["--no-sandbox", "--disable-gpu"]}
            if CHROMIUM.exists():
                launch["executable_path"] = str(CHROMIUM)
            browser = pw.chromium.launch(**launch)
            cases = [("schema.sql", DEMO_SCHEMA.read_bytes(), len(demo.load().catalog.tables))]
            cases += [(f"synthetic-{n}.sql", synthetic_sql(n).encode(), expected_counts(n)["tables"]) for n in args.sizes]
            name, ddl, tables = cases[0]
            upload_to_overview(browser, base, name, ddl + b"\n-- warm-up\n", tables)  # the server, a first sandbox
            rows = []
            for name, ddl, tables in cases:
                # the studio caches an upload by its bytes: each run is a file it has not seen
                runs = [upload_to_overview(browser, base, name, ddl + f"\n-- run {run}\n".encode(), tables)
                        for run in range(args.repeat)]
                loaded, usable = min(runs, key=lambda run: run[1])
                rows.append((name, tables, len(ddl), loaded, usable))
            browser.close()
    finally:
        studio.terminate()
        studio.wait(timeout=30)
    baseline = rows[0][-1]
    print("| upload | tables | file | loaded (s) | usable Overview (s) | x demo's schema |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, tables, nbytes, loaded, usable in rows:
        print(f"| {name} | {tables:,} | {nbytes / 1024:,.0f} KB | {loaded:.2f} | {usable:.2f} | {usable / baseline:.1f} |")


if __name__ == "__main__":
    main()
