"""Workspaces: list, create, open; a workspace's version history, any version viewed, compared, restored."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from studio.ui import state
from studio.ui import workspace as ui
from studio.ui.components import guarded, md
from studio.workshop.workspace import Conflict, diff
from studio.workshop.workspace.store import dumps


def create_form() -> None:
    source = state.current()
    with st.expander("New workspace from the loaded schema", icon=":material/add:", expanded=source is not None):
        if source is None:
            st.info("Load a schema on the Connect page first.")
            return
        name = st.text_input("Name", value=f"Workshop on {source.label}", key="studio.workspaces.new_name")
        if st.button("Create", type="primary", icon=":material/add:"):
            with guarded("Creating the workspace"):
                ui.open_workspace(ui.create_from_source(name, source))
                st.rerun()


def workspace_list():
    summaries = ui.store().list()
    if not summaries:
        st.info("No workspace yet.")
        return None
    frame = pd.DataFrame(
        [(s.name, s.source_label, s.head, s.updated_at, s.created_by, s.id) for s in summaries],
        columns=["name", "source", "versions", "updated", "created by", "id"],
    )
    st.dataframe(frame, hide_index=True, column_config={"updated": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})
    active = ui.active_id()
    ids = [s.id for s in summaries]
    names = {s.id: f"{s.name} ({s.id})" for s in summaries}
    chosen = st.selectbox("Workspace", ids, index=ids.index(active) if active in ids else None,
                          format_func=names.get, placeholder="Choose a workspace")
    if chosen and chosen != active:
        left, right = st.columns([1, 5])
        if left.button("Open", icon=":material/folder_open:", type="primary"):
            ui.open_workspace(chosen)
            st.rerun()
    return chosen


def history(workspace_id: str) -> None:
    workspace = ui.store().get(workspace_id)
    st.page_link("views/workshop.py", label="Run the workshop", icon=":material/groups:",
                 query_params={"ws": workspace_id})
    versions = ui.store().history(workspace_id)
    st.subheader(f"History of {md(workspace.name)}", anchor=False)
    frame = pd.DataFrame(
        [(v.version, v.created_at, v.author, v.summary, v.restored_from) for v in versions],
        columns=["version", "saved", "author", "summary", "restored from"],
    )
    st.dataframe(frame, hide_index=True, column_config={
        "saved": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss"),
        "restored from": st.column_config.NumberColumn(format="%d"),
    })
    numbers = [v.version for v in versions]
    view, compare = st.tabs(["View a version", "Compare two versions"])
    with view:
        shown = st.selectbox("Version", numbers, key=f"studio.workspaces.{workspace_id}.view")
        old = ui.store().get(workspace_id, shown)
        st.code(dumps(old.content), language="json", wrap_lines=True, height=360)
        if shown != workspace.head and st.button(f"Restore version {shown}", icon=":material/history:"):
            try:
                restored = ui.store().restore(workspace_id, shown, workspace.head, ui.author())
            except Conflict as exc:
                st.warning(md(str(exc)))
            else:
                ui.open_workspace(workspace_id)
                st.toast(f"Version {shown} restored as version {restored.head}", icon=":material/history:")
                st.rerun()
    with compare:
        left, right = st.columns(2)
        a = left.selectbox("From", numbers, index=min(1, len(numbers) - 1), key=f"studio.workspaces.{workspace_id}.a")
        b = right.selectbox("To", numbers, index=0, key=f"studio.workspaces.{workspace_id}.b")
        text = diff(ui.store().get(workspace_id, a).content, ui.store().get(workspace_id, b).content,
                    f"version {a}", f"version {b}")
        st.code(text or "No difference.", language=None, wrap_lines=True)


def main() -> None:
    st.title("Workspaces")
    st.caption("Saved decisions and workshop notes, with every version kept.")
    with st.sidebar:
        ui.author_input()
    create_form()
    chosen = workspace_list()
    if chosen:
        history(chosen)


with guarded("Showing the workspaces"):
    main()
