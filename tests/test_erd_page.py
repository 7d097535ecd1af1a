"""The ERD page through Streamlit's AppTest (no browser): the details panel follows the session's suppressions."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from analyzers.engine import Suppression, analyze
from studio.ui.erd_component import breakable
from studio.ui.findings import SUPPRESSIONS_KEY

APP = str(Path(__file__).resolve().parent.parent / "app.py")
SELECTED = "source.erd.selected"
TABLE = "public.work_orders"


def findings_heading(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Findings**"))


def html_bodies(at: AppTest) -> str:
    return "\n".join(str(e.proto.body) for e in at.get("html"))


def test_details_panel_applies_the_sessions_suppressions():
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    demo = at.session_state["studio.source"].catalog
    found = [f for f in analyze(demo).findings if f.table == TABLE]
    assert len(found) >= 2

    at.session_state[SELECTED] = TABLE
    at.switch_page("views/erd.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert findings_heading(at) == f"**Findings** ({len(found)})"
    assert "customer_<wbr>name" in html_bodies(at)  # identifiers wrap at their parts

    hidden = found[0]
    assert breakable(hidden.message) in html_bodies(at)
    at.session_state[SUPPRESSIONS_KEY] = [Suppression(hidden.rule, TABLE, "accepted in review")]
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    left = [f for f in found if f.rule != hidden.rule]
    assert findings_heading(at) == f"**Findings** ({len(left)}, {len(found) - len(left)} suppressed)"
    assert breakable(hidden.message) not in html_bodies(at)


def test_breakable_escapes_and_breaks_only_inside_identifiers():
    from studio.ui.erd_component import finding_html

    assert breakable("public.work_orders.customer_name") == "public.<wbr>work_<wbr>orders.<wbr>customer_<wbr>name"
    assert breakable('"Odd<Table>" & _x. end.') == "&quot;Odd&lt;Table&gt;&quot; &amp; _<wbr>x. end."
    shown = finding_html("warning", "<img src=x onerror=alert(1)>", 'say "hi" <b>')
    assert "<img" not in shown and "&lt;img" in shown
    assert 'title="say &quot;hi&quot; &lt;b&gt;"' in shown
