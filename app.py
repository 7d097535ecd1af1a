"""Schema Studio: the Streamlit entry point. Pages are declared here and only here.

Adding a page is one line in PAGES: (section, file under pages/, title, Material icon).
"""

from __future__ import annotations

import streamlit as st

from studio.ui import state
from studio.ui.components import md

PAGES: list[tuple[str, str, str, str]] = [
    ("Source", "pages/connect.py", "Connect", ":material/power:"),
    ("Source", "pages/overview.py", "Overview", ":material/table_view:"),
    ("Analyze", "pages/findings.py", "Findings", ":material/troubleshoot:"),
    ("Analyze", "pages/workload.py", "Workload", ":material/query_stats:"),
    ("Explore", "pages/erd.py", "ERD", ":material/schema:"),
    ("Design", "pages/design.py", "Design", ":material/architecture:"),
    ("Decide", "pages/workshop.py", "Workshop", ":material/groups:"),
    ("Decide", "pages/workspaces.py", "Workspaces", ":material/folder_open:"),
    ("Decide", "pages/export.py", "Export", ":material/package_2:"),
]
DEFAULT_PAGE = "pages/overview.py"


def navigation() -> dict[str, list[st.Page]]:
    sections: dict[str, list[st.Page]] = {}
    for section, path, title, icon in PAGES:
        page = st.Page(path, title=title, icon=icon, default=path == DEFAULT_PAGE)
        sections.setdefault(section, []).append(page)
    return sections


st.set_page_config(page_title="Schema Studio", page_icon=":material/schema:", layout="wide")
page = st.navigation(navigation())
state.ensure_default_source()
with st.sidebar:
    source = state.current()
    st.caption(f"Studying **{md(source.label)}**" if source else "No schema loaded")
page.run()
