"""Fixes of large rule outputs are rendered when first read: the texts must not depend on when or in
which order that happens, and a report must survive pickling (Streamlit's cache) with its fixes."""

from __future__ import annotations

import pickle

import pytest

from analyzers.engine import analyze
from analyzers.registry import Finding, Hit, Rule
from tests.conftest import schema_catalog


@pytest.mark.parametrize("name", ["demo", "lago-api-structure.sql"])
def test_fix_texts_do_not_depend_on_reading_order(name):
    with schema_catalog(name) as catalog:
        forward = [f.fix for f in analyze(catalog).findings]
        later = analyze(catalog).findings
        backward = [f.fix for f in reversed(later)][::-1]
    assert forward == backward
    assert any(forward)


def test_a_fix_is_rendered_once_on_first_read_and_pickles_rendered():
    rendered = []

    def render() -> str:
        rendered.append(1)
        return "CREATE INDEX CONCURRENTLY x ON t (a);"

    rule = Rule(id="r", title="t", severity="warning", category="indexes", explanation="e", check=lambda ctx: ())
    finding = rule.finding(Hit("public.t", "message", fix=render))
    assert rendered == []  # passing a hit on to its finding renders nothing
    assert finding.fix == finding.fix == "CREATE INDEX CONCURRENTLY x ON t (a);"
    assert rendered == [1]
    unread = rule.finding(Hit("public.t", "message", fix=lambda: "SELECT 1;"))
    copy = pickle.loads(pickle.dumps(unread))  # a lambda does not pickle: the text does
    assert copy.fix == "SELECT 1;" and copy == unread
    assert Finding("r", "info", "keys", "t", (), (), "m", "e").fix == ""
