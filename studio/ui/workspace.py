"""The open workspace in a studio session: which one, the version this session builds on, autosave.

The workspace id travels in the URL (`?ws=`), so a link opens the same workspace for a colleague.
Every change is saved at once (`autosave`) on top of the version this session last saw; when
someone else saved in between, the change is kept aside as pending and `conflict_panel` offers
to merge it (independent parts merge cleanly; the same part edited on both sides is chosen by the
user) or to reload. Other pages can call `autosave` with a change of their own (e.g. the design
page with {"decisions": text}).
"""

from __future__ import annotations

import streamlit as st

from studio.ui.components import md, show_error
from studio.workshop.workspace import Conflict, Store, Workspace, WorkspaceNotFound, rebase
from studio.workshop.workspace.merge import describe, part_label
from studio.workshop.workspace.model import ITEM_PREFIX, changes_between

WS_PARAM = "ws"
WS_KEY = "studio.workspace_id"
AUTHOR_KEY = "studio.author_name"
AUTHOR_WIDGET = "studio.author_input"
WIDGET_PREFIX = "workspace."  # per-workspace widget state; cleared when the view reloads


@st.cache_resource(show_spinner=False)
def store() -> Store:
    return Store()


def author() -> str:
    return st.session_state.get(AUTHOR_KEY, "")


def author_input(container=st) -> None:
    def keep() -> None:
        st.session_state[AUTHOR_KEY] = st.session_state.get(AUTHOR_WIDGET, "")

    st.session_state.setdefault(AUTHOR_WIDGET, author())
    container.text_input(
        "Your name", key=AUTHOR_WIDGET, on_change=keep, placeholder="as it should appear in the history",
        help="Every saved change records this name.",
    )


def _base_key(workspace_id: str) -> str:
    return f"studio.workshop.workspace.{workspace_id}.base"


def _pending_key(workspace_id: str) -> str:
    return f"studio.workshop.workspace.{workspace_id}.pending"


def active_id() -> str | None:
    wanted = st.query_params.get(WS_PARAM)
    if wanted:
        st.session_state[WS_KEY] = wanted
        return wanted
    remembered = st.session_state.get(WS_KEY)
    if remembered:
        st.query_params[WS_PARAM] = remembered
    return remembered


def open_workspace(workspace_id: str) -> None:
    st.session_state[WS_KEY] = workspace_id
    st.query_params[WS_PARAM] = workspace_id
    forget_view(workspace_id)
    st.session_state.pop(_base_key(workspace_id), None)


def close_workspace() -> None:
    st.session_state.pop(WS_KEY, None)
    if WS_PARAM in st.query_params:
        del st.query_params[WS_PARAM]


def forget_view(workspace_id: str) -> None:
    """Drop the widgets' copies of the workspace so they are read afresh from the store."""
    prefix = f"{WIDGET_PREFIX}{workspace_id}."
    for key in [k for k in st.session_state if str(k).startswith(prefix)]:
        del st.session_state[key]


def widget_key(workspace_id: str, *parts: str) -> str:
    return ".".join((WIDGET_PREFIX + workspace_id, *parts))


def load(workspace_id: str) -> Workspace | None:
    """The workspace's head; when others saved since this session's view and nothing of ours is
    pending, the view moves to the new head (every change of ours was already saved)."""
    try:
        workspace = store().get(workspace_id)
    except WorkspaceNotFound as exc:
        show_error(exc, "Opening the workspace")
        close_workspace()
        return None
    base_key = _base_key(workspace_id)
    base = st.session_state.get(base_key)
    if base is None:
        st.session_state[base_key] = workspace.head
    elif base != workspace.head and _pending_key(workspace_id) not in st.session_state:
        forget_view(workspace_id)
        st.session_state[base_key] = workspace.head
        st.toast(f"Showing version {workspace.head}, saved by someone else.", icon=":material/sync:")
    return workspace


def base_version(workspace_id: str) -> int | None:
    return st.session_state.get(_base_key(workspace_id))


def autosave(workspace_id: str, changes: dict, summary: str) -> bool:
    """Save now on top of this session's version; on a conflict keep the change pending. True if stored."""
    pending_key = _pending_key(workspace_id)
    pending = st.session_state.get(pending_key)
    if pending is not None:  # already behind: collect the change with the pending one
        _combine(pending, changes, summary)
        return False
    base = base_version(workspace_id)
    try:
        saved = store().save(workspace_id, base, changes, author(), summary)
    except Conflict as conflict:
        st.session_state[pending_key] = {"base": conflict.base, "changes": changes, "summary": summary}
        return False
    except Exception as exc:
        show_error(exc, "Saving the workspace")
        return False
    st.session_state[_base_key(workspace_id)] = saved.workspace.head
    return True


def _combine(pending: dict, changes: dict, summary: str) -> None:
    combined = pending["changes"]
    for key, value in changes.items():
        if key == "items":
            combined.setdefault("items", {}).update(value)
        else:
            combined[key] = value
    pending["summary"] = f"{pending['summary']}; {summary}"


def conflict_panel(workspace: Workspace) -> bool:
    """If a change of ours waits on a conflict, offer merge or reload. True when one is shown."""
    pending = st.session_state.get(_pending_key(workspace.id))
    if pending is None:
        return False
    base = store().get(workspace.id, pending["base"])
    merge = rebase(base.content, pending["changes"], workspace.content)
    with st.container(border=True):
        st.warning(
            f"Version {workspace.head} was saved by someone else after the version {pending['base']} you were "
            "editing. Your change is not saved yet.",
            icon=":material/merge:",
        )
        choices: dict[str, str] = {}
        for part in merge.conflicts:
            st.markdown(f"**Both changed {md(part_label(part, workspace.items))}**")
            mine, theirs = st.columns(2)
            mine.caption("Yours")
            mine.code(describe(merge.mine.get(part)), language=None, wrap_lines=True)
            theirs.caption(f"Version {workspace.head}")
            theirs.code(describe(merge.theirs.get(part)), language=None, wrap_lines=True)
            choices[part] = st.radio(
                "Keep", ("mine", "theirs"), horizontal=True, key=f"studio.merge.{workspace.id}.{part}",
                format_func=lambda c: "my version" if c == "mine" else "their version",
            )
        left, right = st.columns(2)
        label = "Merge" if not merge.conflicts else "Merge with these choices"
        if left.button(label, type="primary", icon=":material/merge:", key=f"studio.merge.{workspace.id}"):
            merged = merge.settle(choices)
            changes = changes_between(workspace.content, merged)
            summary = f"merged: {pending['summary']}"
            try:
                saved = store().save(workspace.id, workspace.head, changes, author(), summary)
            except Conflict:
                st.session_state[_pending_key(workspace.id)]["base"] = pending["base"]
                st.rerun()  # yet another save landed: the panel shows the newer head
            _settled(workspace.id, saved.workspace.head)
        if right.button("Reload (discard my change)", icon=":material/refresh:", key=f"studio.reload.{workspace.id}"):
            _settled(workspace.id, workspace.head)
    return True


def _settled(workspace_id: str, head: int) -> None:
    st.session_state.pop(_pending_key(workspace_id), None)
    st.session_state[_base_key(workspace_id)] = head
    forget_view(workspace_id)
    st.rerun()


def item_part(key: str) -> str:
    return ITEM_PREFIX + key


def create_from_source(name: str, source) -> str:
    """A new workspace on the loaded source (an uploaded file's own DDL kept with it); returns its id."""
    created = store().create(
        name,
        source_kind=source.kind,
        source_label=source.label,
        source_ddl=source.ddl_text,
        catalog_json=source.catalog.to_json(),
        author=author(),
    )
    return created.id
