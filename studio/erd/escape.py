"""Escaping user text (identifiers, types, comments) for DOT and its HTML-like labels."""

from __future__ import annotations

import html as markup
import re

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def html(text: str) -> str:
    """Text for a Graphviz HTML-like label (parsed as XML): markup characters and quotes escaped,
    characters XML forbids replaced and line breaks made spaces (a label row is one line)."""
    text = _XML_INVALID.sub("\ufffd", str(text)).replace("\n", " ").replace("\r", " ").replace("\t", " ")
    return markup.escape(text, quote=True)


def dot_string(text: str) -> str:
    """A DOT double-quoted string. DOT only unescapes \\" and leaves other backslashes as they are,
    so a trailing backslash would swallow the closing quote: such text gets a visible escape."""
    text = _XML_INVALID.sub("\ufffd", str(text)).replace("\n", " ").replace("\r", " ")
    text = text.replace("\\", "\u29f5")  # reverse solidus operator: looks like a backslash, cannot escape
    return '"' + text.replace('"', '\\"') + '"'
