"""Text in Graphviz labels: any user text survives as itself through the XML of an HTML-like label and a
DOT string, and Graphviz's own failures name the diagram."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.erd.escape import dot_string, html
from studio.erd.layout import render, run_graphviz
from studio.errors import StudioError

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(exclude_categories=("Cs",))))
def test_html_label_text_parses_back_to_the_text(text):
    label = f'<td title="{html(text)}">{html(text)}</td>'
    cell = ET.fromstring(label)
    expected = _XML_INVALID.sub("\ufffd", text).replace("\n", " ").replace("\r", " ").replace("\t", " ")
    assert (cell.text or "") == expected
    assert cell.get("title") == expected


def test_a_label_and_a_string_with_markup_lay_out():
    name = 'orders<b>"\'&\\'
    dot = f"digraph g {{ n [label=<<table><tr><td>{html(name)}</td></tr></table>>, tooltip={dot_string(name)}]; }}"
    svg = render(dot, "svg").decode()
    assert "orders&lt;b&gt;" in svg


def test_graphviz_failure_names_the_diagram():
    with pytest.raises(StudioError, match="Graphviz could not lay out the orders diagram: .*syntax error"):
        run_graphviz("dot", ["-Tsvg"], "digraph { a -> }", what="the orders diagram")
