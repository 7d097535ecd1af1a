"""The ERD page in a real browser: the demo's diagram, a click on a table, its details panel, a URL link."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot_path, wait_for_app

pytestmark = pytest.mark.browser

VIEWER = "[data-testid='erd-viewport']"


INSIDE_VIEWPORT = """([viewport, target]) => {
  const node = viewport.querySelector(`g.node[data-erd-target='${target}']`);
  if (!node) return false;
  const r = node.getBoundingClientRect(), v = viewport.getBoundingClientRect();
  return r.width > 0 && r.left >= v.left && r.right <= v.right && r.top >= v.top && r.bottom <= v.bottom;
}"""


FIRST_VIEW = """(viewport) => {
  const v = viewport.getBoundingClientRect();
  let whole = 0, scale = 0;
  for (const node of viewport.querySelectorAll("g.node[data-erd-target^='table:']")) {
    const r = node.getBoundingClientRect();
    scale = r.width / node.getBBox().width;
    if (r.width > 0 && r.left >= v.left && r.right <= v.right && r.top >= v.top && r.bottom <= v.bottom) whole += 1;
  }
  return { whole, scale };
}"""


def open_erd(page, query: str = "") -> None:
    page.goto(f"/erd{query}")
    wait_for_app(page)
    page.locator(f"{VIEWER} svg g.node").first.wait_for(timeout=60_000)


def node(page, table: str):
    return page.locator(f"{VIEWER} g.node[data-erd-target='table:{table}']")


def test_click_a_table_shows_its_details(page):
    open_erd(page)
    assert page.get_by_role("heading", name="ERD").is_visible()
    nodes = page.locator(f"{VIEWER} g.node[data-erd-target^='table:']")
    assert nodes.count() >= 30  # the whole demo, one node per table
    # The first view is readable and full: the demo's 38 tables do not fit at a readable zoom, so
    # it shows the densest part (it once opened on the top-left corner: a legend and space).
    viewport = page.locator(VIEWER).element_handle()
    page.wait_for_function(f"([v, n]) => ({FIRST_VIEW})(v).whole >= n", arg=[viewport, 8], polling=100, timeout=10_000)
    first = page.evaluate(FIRST_VIEW, viewport)
    assert first["scale"] >= 0.75, first
    page.screenshot(path=str(screenshot_path("erd")), full_page=False)

    page.get_by_role("button", name="Fit").click()
    target = node(page, "public.work_orders")
    target.locator("polygon").first.click(force=True)
    wait_for_app(page)
    main = page.locator("[data-testid='stMain']")
    main.get_by_role("heading", name="public.work_orders").wait_for(timeout=30_000)
    details = main.get_by_text("Columns (", exact=False)
    assert details.count() == 1
    for section in ("Findings (", "Keys (", "Indexes (", "Policies ("):
        assert main.get_by_text(section, exact=False).count() == 1, section
    assert node(page, "public.work_orders").get_attribute("class").find("erd-selected") >= 0
    viewport = page.locator(VIEWER).element_handle()  # the rerun may have drawn a new one
    page.wait_for_function(INSIDE_VIEWPORT, arg=[viewport, "table:public.work_orders"], timeout=10_000)
    # Identifiers wrap at underscores and dots, never mid-word: the break points are <wbr> elements.
    finding = main.get_by_text("customer_name", exact=False).first
    assert finding.evaluate("e => e.querySelectorAll('wbr').length") > 0
    assert "work_orders.customer_name" in finding.inner_text().replace("\n", "")
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=str(screenshot_path("erd-selected")), full_page=False)


def test_url_parameter_opens_focused_on_a_table(page):
    open_erd(page, "?table=public.work_orders")
    main = page.locator("[data-testid='stMain']")
    main.get_by_role("heading", name="public.work_orders").wait_for(timeout=30_000)
    shown = page.locator(f"{VIEWER} g.node[data-erd-target^='table:']")
    assert 1 < shown.count() < 30  # the neighbourhood, not the whole schema
    assert node(page, "public.work_orders").count() == 1
    assert "table=public.work_orders" in page.url


def test_overview_click_opens_the_domain(page):
    from studio.erd import compute_domains
    from studio.sources import demo

    domains = compute_domains(demo.load().catalog)
    open_erd(page)
    page.locator("[data-testid='stMain']").get_by_text("Overview", exact=True).click()
    wait_for_app(page)
    boxes = page.locator(f"{VIEWER} g.node[data-erd-target^='domain:']")
    boxes.first.wait_for(timeout=30_000)
    assert boxes.count() == len(domains)
    shown = {boxes.nth(i).get_attribute("data-erd-target") for i in range(boxes.count())}
    assert shown == {f"domain:{d.name}" for d in domains}
    # the aggregated edges carry their counts as text
    assert page.locator(f"{VIEWER} g.edge text").count() >= 1
    chosen = domains[1]
    page.locator(f"{VIEWER} g.node[data-erd-target='domain:{chosen.name}'] polygon").first.click(force=True)
    wait_for_app(page)
    page.locator(f"{VIEWER} g.node[data-erd-target^='table:']").first.wait_for(timeout=30_000)
    tables = page.locator(f"{VIEWER} g.node[data-erd-target^='table:']")
    assert {tables.nth(i).get_attribute("data-erd-target") for i in range(tables.count())} == {
        f"table:{t}" for t in chosen.tables
    }
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=str(screenshot_path("erd-domain")), full_page=False)


def choose(page, label: str, option: str) -> None:
    box = page.locator("[data-testid='stMain'] [data-testid='stSelectbox']").filter(has_text=label)
    box.locator("input").fill(option)
    page.get_by_role("option", name=option, exact=True).click()
    wait_for_app(page)


def test_path_between_two_tables_as_diagram_and_join(page):
    from studio.erd.paths import join_sql, shortest_paths
    from studio.sources import demo

    start, goal = "public.work_order_photos", "catalog.manufacturers"
    paths = shortest_paths(demo.load().catalog, start, goal)
    assert paths
    open_erd(page)
    page.locator("[data-testid='stMain']").get_by_text("Path", exact=True).click()
    wait_for_app(page)
    choose(page, "From", start)
    choose(page, "To", goal)
    page.locator(f"{VIEWER} g.node[data-erd-target='table:{goal}']").wait_for(timeout=30_000)
    tables = page.locator(f"{VIEWER} g.node[data-erd-target^='table:']")
    expected = {t for p in paths for t in p.tables}
    assert {tables.nth(i).get_attribute("data-erd-target") for i in range(tables.count())} == {
        f"table:{t}" for t in expected
    }
    code = page.locator("[data-testid='stCode']")
    assert code.count() == len(paths)
    assert code.first.inner_text().strip() == join_sql(paths[0]).strip()
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=str(screenshot_path("erd-path")), full_page=True)
