"""Connect: choose the schema to study: the demo, a live PostgreSQL, or an uploaded .sql file."""

from __future__ import annotations

import streamlit as st

from studio.db import redact, with_password
from studio.sources import Source
from studio.summary import totals
from studio.ui import state
from studio.ui.components import guarded, md, notes_panel, plural

PENDING_KEY = "studio.connect.tested"  # (redacted url, url, Source) of the last successful test
UPLOADED_KEY = "studio.connect.uploaded_id"


def _loaded(source: Source) -> None:
    """Make `source` current and confirm it in one line."""
    state.replace(source)
    total = totals(source.catalog)
    st.toast(md(f"Loaded {source.label}: {plural(total.tables, 'table')}"), icon=":material/check_circle:")


def _describe(source: Source) -> str:
    total = totals(source.catalog)
    parts = [plural(total.tables, "table"), plural(int(total.schema), "schema")]
    if source.catalog.server_version:
        parts.append(f"PostgreSQL {source.catalog.server_version}")
    return ", ".join(parts)


def current_source_panel(panel) -> None:
    source = state.current()
    with panel:
        if source is None:
            st.markdown("**No schema loaded yet.** Choose one below.")
            return
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.markdown(f"**Studying:** {md(source.label)} · {md(_describe(source))}")
        right.page_link("views/overview.py", label="Open the overview", icon=":material/arrow_forward:")
        notes_panel(source.notes)


def demo_tab() -> None:
    st.markdown(
        "A small multi-tenant shop with the usual mistakes on purpose: missing indexes on foreign keys, "
        "ambiguous keys, weak types, tenancy leaks. Ready to explore with no setup."
    )
    if st.button("Load the demo", icon=":material/school:", key="connect.demo"):
        with guarded("Loading the demo"), st.spinner("Loading the demo schema…"):
            _loaded(state.demo_source())


def postgres_tab() -> None:
    st.markdown(
        "Read a live database's schema through its catalog, read-only, in one short transaction. "
        "Nothing is written to it."
    )
    url = st.text_input(
        "Connection URL",
        placeholder="postgresql://user@host:5432/dbname",
        help="libpq or SQLAlchemy URL, or key=value conninfo. Leave the password out and type it below.",
        key="connect.url",
    ).strip()
    password = st.text_input("Password", type="password", key="connect.password")
    if not url:
        st.caption("The password is never shown, logged or saved.")
        return
    full = with_password(url, password)
    shown = redact(full)
    st.caption(f"Will connect to: {md(shown)}")
    test_col, load_col, _ = st.columns([1, 1, 4])
    test = test_col.button("Test connection", icon=":material/network_check:", key="connect.test")
    load = load_col.button("Load", type="primary", icon=":material/download:", key="connect.load")
    if test:
        st.session_state.pop(PENDING_KEY, None)
        with guarded(f"Connecting to {shown}"), st.spinner(md(f"Connecting to {shown}…")):
            source = state.live_source(full)
            st.session_state[PENDING_KEY] = (full, source)
    pending = st.session_state.get(PENDING_KEY)
    if load:
        if pending and pending[0] == full:
            _loaded(pending[1])
        else:
            with guarded(f"Loading {shown}"), st.spinner(md(f"Reading the catalog of {shown}…")):
                _loaded(state.live_source(full))
        st.session_state.pop(PENDING_KEY, None)
    elif pending and pending[0] == full:
        st.success(f"Connected to {md(pending[1].label)}: {md(_describe(pending[1]))}", icon=":material/check:")


def upload_tab() -> None:
    limit = state.upload_limit_mb()
    st.markdown(
        f"A schema file such as `pg_dump --schema-only` output, up to **{limit} MB**. It runs in a "
        "throwaway sandbox database as an unprivileged role; what cannot load is skipped and listed."
    )
    upload = st.file_uploader(
        "Schema file (.sql)", type=["sql", "ddl", "txt"], max_upload_size=limit, key="connect.upload"
    )
    if upload is None:
        return
    if st.session_state.get(UPLOADED_KEY) == upload.file_id:
        if st.button("Load it again", key="connect.reload"):
            st.session_state.pop(UPLOADED_KEY, None)
            st.rerun()
        return
    st.session_state[UPLOADED_KEY] = upload.file_id
    name = upload.name
    with st.status(md(f"Loading {name} into a sandbox database…"), expanded=True) as status:
        st.text(f"Read {upload.size:,} bytes; running its statements as an unprivileged role…")
        try:
            source = state.uploaded_source(name, upload.getvalue())
        except Exception:
            status.update(label=md(f"{name} could not be loaded"), state="error", expanded=True)
            raise
        st.text(f"Introspected {_describe(source)}.")
        status.update(label=md(f"Loaded {name}"), state="complete", expanded=False)
    _loaded(source)


st.title("Connect")
st.caption("Choose the schema to study. Loading another replaces the current one.")
panel = st.container(border=True)
demo, live, upload = st.tabs(["Demo", "PostgreSQL", "SQL file"])
with demo:
    demo_tab()
with live:
    postgres_tab()
with upload, guarded("Loading the uploaded file"):
    upload_tab()
current_source_panel(panel)
