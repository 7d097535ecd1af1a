"""The exports are accepted by their own tools: DBML by pydbml, Mermaid by the mermaid library
itself, rendering in headless Chromium (mermaid-cli cannot fetch its own browser here)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from studio.erd import Options, build, render

ROOT = Path(__file__).resolve().parent.parent
NPM_PREFIX = ROOT / ".cache" / "npm"  # gitignored
MERMAID_JS = NPM_PREFIX / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"

HOSTILE_SQL = """
CREATE SCHEMA "Sch<em>a ""&";
CREATE TABLE "Sch<em>a ""&"."Tä<b>le & ""quoted"" 'x'" ("co<l>&""umn" bigint PRIMARY KEY, "ünï ✓" numeric(12,2));
CREATE TABLE public.erdiagram (id bigint PRIMARY KEY, "co<l>&""umn" bigint UNIQUE REFERENCES "Sch<em>a ""&"."Tä<b>le & ""quoted"" 'x'");
CREATE TABLE public."1st table" (id int PRIMARY KEY, ref bigint REFERENCES public.erdiagram, "#tag" text[]);
COMMENT ON COLUMN public."1st table"."#tag" IS 'a "hash" # tag';
"""


@pytest.fixture(scope="module")
def demo():
    from studio.sources import demo as demo_source

    return demo_source.load().catalog


@pytest.fixture(scope="session")
def mermaid_js() -> Path:
    """The mermaid npm package, which `python3 dev.py test` installs under .cache/npm (installed here when missing)."""
    if not MERMAID_JS.exists():
        npm = shutil.which("npm")
        assert npm is not None, "npm is not installed: run `python3 dev.py test`, which installs it and mermaid"
        done = subprocess.run(
            [npm, "install", "--prefix", str(NPM_PREFIX), "mermaid@11", "--no-audit", "--no-fund"],
            capture_output=True, text=True, timeout=600, check=False,
        )
        assert done.returncode == 0, f"npm install mermaid@11 failed: {done.stderr[-2000:]}"
    assert MERMAID_JS.exists(), f"npm installed mermaid but {MERMAID_JS} is missing"
    return MERMAID_JS


@pytest.fixture(scope="module")
def mermaid_page(mermaid_js, browser):
    page = browser.new_page()
    page.set_content("<html><body><div id='out'></div></body></html>")
    page.add_script_tag(path=str(mermaid_js))
    page.evaluate("() => mermaid.initialize({startOnLoad: false, securityLevel: 'strict'})")
    yield page
    page.close()


def mermaid_check(page, text: str) -> dict:
    """Parse and render with mermaid; the result says ok or carries mermaid's own error message."""
    return page.evaluate(
        """async (text) => {
            try {
                await mermaid.parse(text);
                const { svg } = await mermaid.render('erd' + Math.floor(Math.random() * 1e9), text);
                return { ok: true, svg };
            } catch (e) {
                return { ok: false, error: String(e && (e.message || e.str) || e) };
            }
        }""",
        text,
    )


def test_mermaid_accepts_the_demo(mermaid_page, demo):
    diagram = build(demo, Options())
    result = mermaid_check(mermaid_page, render(diagram, "mermaid"))
    assert result["ok"], result.get("error")
    for t in diagram.tables:
        assert t.qualified in result["svg"] or diagram.label(t) in result["svg"]


def test_mermaid_rejects_a_broken_diagram(mermaid_page):
    """The check can fail: a syntax error is reported."""
    result = mermaid_check(mermaid_page, "erDiagram\n    a ||--o{ : broken\n")
    assert not result["ok"]


@pytest.mark.parametrize("columns", ["all", "keys", "none"])
def test_mermaid_accepts_hostile_identifiers(mermaid_page, catalog_of, columns):
    catalog = catalog_of(HOSTILE_SQL)
    text = render(build(catalog, Options(columns=columns)), "mermaid")
    result = mermaid_check(mermaid_page, text)
    assert result["ok"], f"{result.get('error')}\n{text}"
    svg = result["svg"]
    assert "Tä<b>le" not in svg and "Sch<em>a" not in svg  # names are text, never markup
    assert "Tä&lt;b&gt;le" in svg and "Sch&lt;em&gt;a" in svg


def test_dbml_accepted_by_pydbml(demo, catalog_of):
    from pydbml import PyDBML

    for catalog in (demo, catalog_of(HOSTILE_SQL)):
        diagram = build(catalog, Options())
        parsed = PyDBML(render(diagram, "dbml"))
        assert len(parsed.tables) == len(diagram.tables)
        assert len(parsed.refs) == len(diagram.relationships)
        assert json.dumps([t.name for t in parsed.tables], ensure_ascii=False)
