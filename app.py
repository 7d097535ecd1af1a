"""Schema Studio: the Streamlit entry point. Pages are declared here and only here.

Adding a page is one line in PAGES: (section, file under views/, title, Material icon).
The folder is not named pages/: Streamlit treats a pages/ folder beside the entry point as the old
multipage layout until st.navigation has run once in the process, so a deep link as the first request
after a start ran the page file without app.py (raw file names in the sidebar, no schema loaded).
"""

from __future__ import annotations

import streamlit as st

from studio.ui import state
from studio.ui.components import md

PAGES: list[tuple[str, str, str, str]] = [
    ("Source", "views/connect.py", "Connect", ":material/power:"),
    ("Source", "views/overview.py", "Overview", ":material/table_view:"),
    ("Analyze", "views/findings.py", "Findings", ":material/troubleshoot:"),
    ("Analyze", "views/workload.py", "Workload", ":material/query_stats:"),
    ("Explore", "views/erd.py", "ERD", ":material/schema:"),
    ("Design", "views/design.py", "Design", ":material/architecture:"),
    ("Decide", "views/workshop.py", "Workshop", ":material/groups:"),
    ("Decide", "views/workspaces.py", "Workspaces", ":material/folder_open:"),
    ("Decide", "views/export.py", "Export", ":material/package_2:"),
]
DEFAULT_PAGE = "views/overview.py"


def navigation() -> dict[str, list[st.Page]]:
    sections: dict[str, list[st.Page]] = {}
    for section, path, title, icon in PAGES:
        page = st.Page(path, title=title, icon=icon, default=path == DEFAULT_PAGE)
        sections.setdefault(section, []).append(page)
    return sections


st.set_page_config(page_title="Schema Studio", page_icon=":material/schema:", layout="wide")
page = st.navigation(navigation())
state.ensure_default_source()
studying = st.sidebar.empty()
try:
    page.run()
finally:  # after the page, which may have loaded another schema (or stopped early)
    source = state.current()
    studying.caption(f"Studying **{md(source.label)}**" if source else "No schema loaded")
