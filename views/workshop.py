"""Workshop: walk stakeholders through the findings and open design questions, one item per screen.

The URL carries the workspace, the item and the ERD focus (`?ws=…&item=…&focus=…`), so a link
opens the same view for a colleague. Every note and decision is saved the moment it changes.
Keyboard: Alt+N next item, Alt+P previous item.
"""

from __future__ import annotations

import dataclasses

import streamlit as st

from analyzers.engine import analyze
from studio.catalog import Catalog
from studio.design.decisions import Decisions
from studio.erd import Options, build, render
from studio.ui import state
from studio.ui import workspace as ui
from studio.ui.components import guarded, md, plural
from studio.workshop import adr
from studio.workshop.agenda import DECISIONS, AgendaItem, build_agenda, is_decided, progress, record
from studio.workshop.views import saved_views, view_items

ITEM_PARAM, FOCUS_PARAM = "item", "focus"
SEVERITY_BADGES = {"error": ":red-badge[error]", "warning": ":orange-badge[warning]", "info": ":blue-badge[info]"}
NO_DECISION = "open"
DECISION_LABELS = {NO_DECISION: "Open", "accept": "Accept", "reject": "Reject", "defer": "Defer"}


@st.cache_resource(show_spinner=False, max_entries=16)
def analysed(workspace_id: str, catalog_json: str) -> tuple[Catalog, tuple]:
    """The workspace's catalog snapshot and its findings (a workspace's snapshot never changes)."""
    catalog = Catalog.from_json(catalog_json)
    return catalog, analyze(catalog).findings


def start_panel() -> None:
    st.title("Workshop")
    st.write("Open a workspace to run a workshop on it, or start one on the loaded schema.")
    summaries = ui.store().list()
    if summaries:
        chosen = st.selectbox(
            "Workspace", summaries, index=None, placeholder="Choose a workspace",
            format_func=lambda s: f"{s.name} · {s.source_label} · version {s.head}",
        )
        if chosen is not None and st.button("Open", icon=":material/folder_open:"):
            ui.open_workspace(chosen.id)
            st.rerun()
    source = state.current()
    if source is None:
        st.info("Load a schema on the Connect page to start a workshop on it.")
        return
    name = st.text_input("New workspace name", value=f"Workshop on {source.label}")
    if st.button(f"Start a workshop on {source.label}", type="primary", icon=":material/play_arrow:"):
        with guarded("Creating the workspace"):
            ui.open_workspace(ui.create_from_source(name, source))
            st.rerun()


def go_to(item_id: str) -> None:
    st.query_params[ITEM_PARAM] = item_id
    if FOCUS_PARAM in st.query_params:
        del st.query_params[FOCUS_PARAM]


def current_index(agenda: list[AgendaItem]) -> int:
    wanted = st.query_params.get(ITEM_PARAM)
    for i, item in enumerate(agenda):
        if item.id == wanted:
            return i
    if agenda:
        st.query_params[ITEM_PARAM] = agenda[0].id
    return 0


def navigator(workspace_id: str, agenda: list[AgendaItem], index: int, records: dict) -> None:
    decided, total = progress(agenda, records)
    st.progress(decided / total if total else 1.0, text=f"Item {index + 1} of {total} · {decided} decided")
    jump_key = ui.widget_key(workspace_id, "jump")
    st.session_state[jump_key] = agenda[index].id
    labels = {item.id: f"{i + 1}. {'✓ ' if is_decided(records.get(item.key)) else ''}{item.theme}: {item.title}"
              for i, item in enumerate(agenda)}
    prev_col, jump_col, next_col = st.columns([2, 7, 2], vertical_alignment="bottom")
    prev_col.button(
        "Previous", icon=":material/arrow_back:", shortcut="Alt+P", disabled=index == 0, width="stretch",
        on_click=go_to, args=(agenda[max(index - 1, 0)].id,),
    )
    jump_col.selectbox(
        "Jump to", list(labels), key=jump_key, format_func=labels.get,
        on_change=lambda: go_to(st.session_state[jump_key]),
    )
    next_col.button(
        "Next", icon=":material/arrow_forward:", shortcut="Alt+N", disabled=index >= total - 1, width="stretch",
        on_click=go_to, args=(agenda[min(index + 1, total - 1)].id,),
    )


def item_view(catalog: Catalog, findings, item: AgendaItem) -> None:
    badge = SEVERITY_BADGES.get(item.severity or "", ":gray-badge[question]")
    st.markdown(f"{badge} · {md(item.theme)}" + (f" · {md(item.rule)}" if item.rule else ""))
    st.header(md(item.title), anchor=False)
    about, diagram = st.columns([3, 2])
    with about:
        st.markdown(f"#### {md(item.context)}")
        if item.fix:
            st.markdown("**Proposed fix**")
            st.code(item.fix, language="sql", wrap_lines=True)
        for option in item.options:
            st.markdown(f"**{md(option.name)}**: {md(option.tradeoffs)}")
    with diagram:
        erd_focus(catalog, findings, item)


def erd_focus(catalog: Catalog, findings, item: AgendaItem) -> None:
    if item.kind == "view":
        workspace_id = ui.active_id()
        saved = next((v for v in saved_views(ui.store().get(workspace_id).items) if v.key == item.key), None)
        if saved is not None:
            st.markdown(f"[Open the view {md(saved.name)} in the ERD]({saved.link(workspace_id)})")
            with guarded("Drawing the view"):
                diagram = build(catalog, dataclasses.replace(saved.options(), legend=False), findings)
                st.graphviz_chart(render(diagram, "dot"), width="stretch")
        return
    focus = st.query_params.get(FOCUS_PARAM) or item.table
    table = catalog.resolve(focus) if focus else None
    if table is None:
        st.caption("This item is about the whole schema.")
        return
    if st.query_params.get(FOCUS_PARAM) != table.qualified and focus != item.table:
        st.query_params[FOCUS_PARAM] = table.qualified
    st.caption(f"ERD focus: {md(table.qualified)} and its neighbours")
    with guarded("Drawing the diagram"):
        diagram = build(catalog, Options(focus=table.qualified, depth=1, columns="keys", legend=False), findings)
        st.graphviz_chart(render(diagram, "dot"), width="stretch")


def save_item(workspace_id: str, item: AgendaItem, previous: dict | None) -> None:
    def value(field: str) -> str:
        return st.session_state.get(ui.widget_key(workspace_id, item.id, field)) or ""

    decision = value("decision")
    fields = {
        "notes": value("notes"),
        "decision": None if decision in ("", NO_DECISION) else decision,
        "rationale": value("rationale"),
        "owner": value("owner"),
    }
    if item.options:
        fields["option"] = value("option") or None
    rec = record(item, previous, author=ui.author(), **fields)
    what = DECISION_LABELS.get(decision or NO_DECISION, "").lower()
    summary = f"{item.title[:80]}: " + (what if decision not in ("", NO_DECISION) else "notes")
    if not ui.autosave(workspace_id, {"items": {item.key: rec}}, summary):
        return
    st.toast("Saved", icon=":material/cloud_done:")


def record_form(workspace_id: str, item: AgendaItem, previous: dict | None) -> None:
    previous = previous or {}

    def key(field: str) -> str:
        return ui.widget_key(workspace_id, item.id, field)

    st.session_state.setdefault(key("decision"), previous.get("decision") or NO_DECISION)
    for field in ("notes", "rationale", "owner"):
        st.session_state.setdefault(key(field), previous.get(field) or "")
    save = {"on_change": save_item, "args": (workspace_id, item, previous)}
    with st.container(border=True):
        left, right = st.columns([2, 3])
        with left:
            st.radio("Decision", [NO_DECISION, *DECISIONS], key=key("decision"), horizontal=True,
                     format_func=DECISION_LABELS.get, **save)
            if item.options:
                names = [o.name for o in item.options]
                st.session_state.setdefault(key("option"), previous.get("option") if previous.get("option") in names else None)
                st.selectbox("Option", names, key=key("option"), placeholder="Choose an option", **save)
            st.text_input("Owner", key=key("owner"), placeholder="who follows it up", **save)
            st.text_input("Rationale", key=key("rationale"), placeholder="why", **save)
        with right:
            st.text_area("Notes", key=key("notes"), height=180,
                         placeholder="what was said (saved when you leave the field or press Ctrl+Enter)", **save)
        if previous.get("updated_at"):
            st.caption(f"Last saved by {md(previous.get('author'))} at {md(previous.get('updated_at'))}")


def downloads(workspace) -> None:
    left, right, _ = st.columns([1, 1, 3])
    slug = "".join(c if c.isalnum() else "-" for c in workspace.name.lower()).strip("-") or "workspace"
    left.download_button("Decision log (ADR)", data=lambda: adr.decision_log(ui.store().get(workspace.id)),
                         file_name=f"{slug}-decisions.md", mime="text/markdown", icon=":material/download:",
                         on_click="ignore")
    right.download_button("Workshop summary", data=lambda: adr.workshop_summary(ui.store().get(workspace.id)),
                          file_name=f"{slug}-summary.md", mime="text/markdown", icon=":material/download:",
                          on_click="ignore")


def main() -> None:
    with st.sidebar:
        ui.author_input()
    workspace_id = ui.active_id()
    if not workspace_id:
        start_panel()
        return
    workspace = ui.load(workspace_id)
    if workspace is None:
        start_panel()
        return
    st.caption(f"Workspace **{md(workspace.name)}** · {md(workspace.source_label)} · version {workspace.head}")
    if not ui.author():
        st.info("Type your name in the sidebar: every saved note records who wrote it.", icon=":material/badge:")
    ui.conflict_panel(workspace)
    catalog, findings = analysed(workspace.id, workspace.catalog_json)
    try:
        decisions = workspace.decisions()
    except Exception:
        decisions = Decisions()
    agenda = build_agenda(catalog, findings, decisions, recorded=workspace.items) + view_items(workspace.items)
    if not agenda:
        st.success("Nothing on the agenda: no findings and no open design questions.")
        return
    index = current_index(agenda)
    navigator(workspace.id, agenda, index, workspace.items)
    item = agenda[index]
    item_view(catalog, findings, item)
    record_form(workspace.id, item, workspace.items.get(item.key))
    downloads(workspace)
    st.caption(f"{plural(len(agenda), 'item')} · keyboard: Alt+N next, Alt+P previous")


with guarded("Running the workshop"):
    main()
