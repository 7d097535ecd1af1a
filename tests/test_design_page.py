"""The Design page through Streamlit's AppTest: the Workload page's partitioning advice taken in
one click, and a blueprint added from the gallery appearing in the target DDL."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from studio.data.volumes import PartitionAdvice
from studio.design.decisions import Decisions, Tenancy

PAGE = str(Path(__file__).resolve().parent.parent / "views" / "design.py")


@pytest.fixture(scope="module")
def demo_source():
    from studio.sources import demo

    return demo.load()


def _page(source, **state) -> AppTest:
    from studio.ui.state import SOURCE_KEY

    at = AppTest.from_file(PAGE, default_timeout=180)
    at.session_state[SOURCE_KEY] = source
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _ddl(at: AppTest) -> str:
    return next(c.value for c in at.code if c.value.startswith("-- Target schema"))


def test_workload_advice_is_one_click(demo_source):
    advice = PartitionAdvice("public.work_orders", "range", "opened_at", "projected past 50,000,000 rows in 36 months; queries filter on opened_at")
    at = _page(demo_source, partition_advice=(advice,))
    assert any("Workload advice" in m.value for m in at.markdown)
    assert "PARTITION BY RANGE" not in _ddl(at).split("CREATE TABLE public.work_orders", 1)[1].split(";", 1)[0]
    next(b for b in at.button if b.label == "Use this advice").click()
    at.run()
    assert not at.exception
    (partition,) = at.session_state["decisions"].partitions
    assert (partition.table, partition.strategy, partition.column, partition.interval) == ("public.work_orders", "range", "opened_at", "month")
    assert "PARTITION BY RANGE (opened_at)" in _ddl(at)
    assert not any(b.label == "Use this advice" for b in at.button)  # taken: no longer offered


def test_a_blueprint_from_the_gallery_joins_the_target(demo_source):
    rls = Decisions(tenancy=Tenancy("rls", "public.tenants", "tenant_id"))
    at = _page(demo_source, decisions=rls)
    assert at.radio(key="blueprint.audit-trail.tenancy").value == "rls"  # the design's tenancy is the default
    assert "CREATE TABLE audit" not in _ddl(at)
    at.button(key="blueprint.audit-trail.add").click()
    at.run()
    assert not at.exception
    assert [u.name for u in at.session_state["decisions"].blueprints] == ["audit-trail"]
    assert "CREATE TABLE audit." in _ddl(at)
    assert any(n.value.startswith("**1 blueprints add") for n in at.markdown if isinstance(n.value, str))
    at.run()  # the next run lists it among the design's blueprints
    assert any(m.label == "Blueprints in the design" and m.value == ["1. audit-trail (audit)"] for m in at.multiselect)
