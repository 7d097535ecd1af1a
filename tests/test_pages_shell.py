"""The Connect and Overview pages through Streamlit's AppTest (no browser), on the real embedded server."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from studio.db import with_password
from studio.ui.components import md

APP = str(Path(__file__).resolve().parent.parent / "app.py")
SECRET = "pa55:w/rd@#?"


def _texts(at: AppTest) -> str:
    """Every shown string of the page (markdown, captions, alerts, metrics, labels)."""
    out = []
    for kind in ("markdown", "caption", "success", "error", "info", "warning", "title", "metric", "exception"):
        for element in getattr(at, kind):
            out.append(str(element.value))
            out.append(str(getattr(element, "label", "")))
    return "\n".join(out)


def _studio() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_opens_on_the_demo_overview():
    at = _studio()
    assert at.title[0].value == "Overview"
    assert int(_metric(at, "Tables").replace(",", "")) > 10
    assert int(_metric(at, "Foreign keys").replace(",", "")) > 0
    assert at.session_state["studio.source"].kind == "demo"
    frames = [d.value for d in at.dataframe]
    tables = [f for f in frames if {"table", "kind"} <= set(f.columns)]
    assert len(tables) == 1, [list(f.columns) for f in frames]
    assert tables[0]["table"].size == int(_metric(at, "Tables").replace(",", ""))
    assert not [e for e in at.expander if "notes" in str(e.label).lower()]  # the demo loads without notes


def test_live_database_test_then_load_never_shows_the_password(scratch_db):
    scratch_db.execute(
        """CREATE TABLE "Team" (id int PRIMARY KEY, "name*" text);
           CREATE TABLE member (id int PRIMARY KEY, team_id int REFERENCES "Team"(id));"""
    )
    at = _studio()
    at.switch_page("views/connect.py").run()
    at.text_input(key="connect.url").set_value(scratch_db.url)
    at.text_input(key="connect.password").set_value(SECRET)
    at.run()
    at.button(key="connect.test").click()
    at.run()
    assert not at.error, [e.value for e in at.error]
    assert "2 tables" in at.success[0].value
    assert at.session_state["studio.source"].kind == "demo"  # testing does not load

    at.button(key="connect.load").click()
    at.run()
    source = at.session_state["studio.source"]
    assert source.kind == "dsn"
    assert {t.name for t in source.catalog.tables} == {"Team", "member"}
    assert SECRET not in source.label
    assert SECRET not in _texts(at)

    at.switch_page("views/overview.py").run()
    assert _metric(at, "Tables") == "2"
    assert _metric(at, "Foreign keys") == "1"
    assert SECRET not in _texts(at)


def test_unreachable_database_is_one_line_error_without_password():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    at = _studio()
    at.switch_page("views/connect.py").run()
    at.text_input(key="connect.url").set_value(f"postgresql://bob@127.0.0.1:{port}/shop?connect_timeout=5")
    at.text_input(key="connect.password").set_value(SECRET)
    at.run()
    assert SECRET not in _texts(at)
    at.button(key="connect.test").click()
    at.run()
    assert len(at.error) == 1
    message = at.error[0].value
    assert "\n" not in message and "connection refused" in message
    assert SECRET not in _texts(at)
    assert not at.exception


def test_switching_source_clears_source_scoped_state():
    at = _studio()
    at.session_state["source.some_page.selection"] = "orders"
    at.session_state["studio.keep"] = 1
    generation = at.session_state["studio.source_generation"]
    at.switch_page("views/connect.py").run()
    at.button(key="connect.demo").click()
    at.run()
    assert "source.some_page.selection" not in at.session_state
    assert at.session_state["studio.keep"] == 1
    assert at.session_state["studio.source_generation"] == generation + 1


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("<b>&amp;</b>", r"\<b\>\&amp;\</b\>"),
        ("*x* _y_ [a](b)", r"\*x\* \_y\_ \[a\]\(b\)"),
        (":red[alarm] $x$", r"\:red\[alarm\] \$x\$"),
        ("two\nlines", "two lines"),
    ],
)
def test_md_escapes_markdown_html_and_streamlit_syntax(raw, escaped):
    assert md(raw) == escaped


def test_with_password_keeps_user_and_quotes_the_secret():
    assert with_password("postgresql://ann@db:5432/x", SECRET) == (
        "postgresql://ann:pa55%3Aw%2Frd%40%23%3F@db:5432/x"
    )
    assert with_password("postgresql://ann:old@db/x", "new") == "postgresql://ann:new@db/x"
    assert with_password("postgresql://ann@db/x", "") == "postgresql://ann@db/x"
    assert "password=" in with_password("host=db user=ann dbname=x", "s")
    from psycopg import conninfo

    parsed = conninfo.conninfo_to_dict(with_password("postgresql://ann@db:5432/x", SECRET))
    assert parsed["password"] == SECRET and parsed["user"] == "ann"
