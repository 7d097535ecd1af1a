"""ERD: the schema as a diagram: zoom, pan, click a table for its details; focus, filter, export."""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from studio.catalog import Catalog, Table
from studio.erd import (
    MEDIA_TYPES,
    OVERVIEW_THRESHOLD,
    POSTER_LIMIT,
    Options,
    build,
    close_names,
    compute_domains,
    overview_dot,
    overview_targets,
    render,
    svg_targets,
)
from studio.erd.layout import has_dot
from studio.erd.layout import render as layout
from studio.erd.model import drawable_tables
from studio.erd.paths import describe, join_sql, path_diagram, shortest_paths
from studio.errors import StudioError
from studio.ui import state
from studio.ui import workspace as workspaces
from studio.ui.components import guarded, md, plural, show_error
from studio.ui.erd_component import erd_viewer, finding_html, heading_html
from studio.ui.findings import cached_report, session_suppressions
from studio.workshop.notes import MAX_NOTE, Note, annotated
from studio.workshop.views import VIEW_PARAM, SavedView, saved_views

_HASH = {Catalog: hash, Options: hash}
PREFIX = "source.erd."  # source-scoped: cleared when another source is loaded
FOCUS, DEPTH, DOMAIN, SCHEMAS = PREFIX + "focus", PREFIX + "depth", PREFIX + "domain", PREFIX + "schemas"
COLUMNS, CLUSTER, DIRECTION, IMPLIED = PREFIX + "columns", PREFIX + "cluster", PREFIX + "direction", PREFIX + "implied"
SELECTED, PENDING, URL_READ = PREFIX + "selected", PREFIX + "pending", PREFIX + "url_read"
POSTER_ANYWAY = PREFIX + "poster_anyway"
VIEW_TABLES, VIEW_NAME = PREFIX + "view_tables", PREFIX + "view_name"
VIEW, PATH_FROM, PATH_TO = PREFIX + "view", PREFIX + "path_from", PREFIX + "path_to"
OVERVIEW, DIAGRAM, PATH = "overview", "diagram", "path"
NO_TABLE = ""
ALL_DOMAINS = ""
NO_FOCUS = ""
NO_COLUMN = ""  # a note on the table itself
ALL_COLUMNS_UP_TO = 20  # tables; past this the diagram opens on keys only, to stay readable


# Cached work: analysis, domains and layout per (catalog, options, suppressions) ---------------


def findings_of(catalog: Catalog, suppressions: tuple = ()):
    """The findings as the Findings page shows them: the session's suppressions applied (cached there)."""
    return cached_report(catalog, suppressions).findings


def suppressed() -> tuple:
    return tuple(session_suppressions())


@st.cache_data(hash_funcs=_HASH, show_spinner=False, max_entries=8)
def domains_of(catalog: Catalog, implied: bool):
    return compute_domains(catalog, Options(implied=implied))


@st.cache_data(hash_funcs=_HASH, show_spinner=False, max_entries=32)
def drawing(catalog: Catalog, options: Options, suppressions: tuple = ()) -> tuple[str, str | None, dict[str, str], str | None]:
    """(DOT, SVG or None when Graphviz is missing, click targets, layout error)."""
    diagram = build(catalog, options, findings_of(catalog, suppressions), domains_of(catalog, options.implied))
    dot = render(diagram, "dot")
    try:
        return dot, render(diagram, "svg"), svg_targets(diagram), None
    except StudioError as exc:
        return dot, None, svg_targets(diagram), str(exc)


@st.cache_data(hash_funcs=_HASH, show_spinner=False, max_entries=16)
def path_drawing(catalog: Catalog, start: str, goal: str, options: Options):
    """(DOT, SVG or None, click targets, layout error, the paths' text and SQL joins)."""
    paths = shortest_paths(catalog, start, goal, options.implied)
    joins = [(describe(p), join_sql(p)) for p in paths]
    if not paths:
        return None, None, {}, None, joins
    diagram = path_diagram(catalog, paths, options)
    dot = render(diagram, "dot")
    try:
        return dot, render(diagram, "svg"), svg_targets(diagram), None, joins
    except StudioError as exc:
        return dot, None, svg_targets(diagram), str(exc), joins


@st.cache_data(hash_funcs=_HASH, show_spinner=False, max_entries=8)
def overview_drawing(catalog: Catalog, options: Options) -> tuple[str, str | None, dict[str, str], str | None]:
    domains = domains_of(catalog, options.implied)
    dot = overview_dot(catalog, options, domains)
    try:
        return dot, layout(dot, "svg").decode("utf-8"), overview_targets(domains), None
    except StudioError as exc:
        return dot, None, overview_targets(domains), str(exc)


def export(catalog: Catalog, options: Options, fmt: str, overview: bool, suppressions: tuple = ()) -> str | bytes:
    if overview and fmt in ("dot", "svg", "png"):
        dot = overview_drawing(catalog, options)[0]
        return dot if fmt == "dot" else layout(dot, fmt)
    if overview:
        options = dataclasses.replace(options, columns="keys")
    findings = findings_of(catalog, suppressions)
    return render(build(catalog, options, findings, domains_of(catalog, options.implied)), fmt)


# State ------------------------------------------------------------------------------------------


def apply_pending(catalog: Catalog) -> None:
    """A click from the last run: a table becomes the selection, a domain is drilled into."""
    picked = st.session_state.pop(PENDING, None)
    if not picked:
        return
    kind, _, name = picked.partition(":")
    if kind == "table" and name in catalog:
        st.session_state[SELECTED] = name
    elif kind == "domain":
        st.session_state[DOMAIN] = name
        st.session_state[VIEW] = DIAGRAM


def read_url(catalog: Catalog) -> None:
    """`?table=schema.table` opens the page focused on that table (once per source)."""
    if st.session_state.get(URL_READ):
        return
    st.session_state[URL_READ] = True
    if st.query_params.get(VIEW_PARAM):
        open_saved_view(catalog, st.query_params[VIEW_PARAM])
        return
    wanted = st.query_params.get("table")
    if not wanted:
        return
    table = catalog.resolve(wanted)
    if table is None or table.kind == "partition":
        hint = close_names(catalog, wanted)
        st.warning(
            md(f"The link asks for table {wanted}, which is not in this schema")
            + (md(f"; did you mean {', '.join(hint)}?") if hint else "."),
            icon=":material/search_off:",
        )
        return
    st.session_state[FOCUS] = table.qualified
    st.session_state[SELECTED] = table.qualified
    st.session_state[VIEW] = DIAGRAM


def open_saved_view(catalog: Catalog, name: str) -> None:
    """`?ws=<workspace>&view=<name>` opens the view saved in that workspace: its tables and options."""
    workspace_id = workspaces.active_id()
    workspace = workspaces.load(workspace_id) if workspace_id else None
    view = next((v for v in saved_views(workspace.items) if v.name == name), None) if workspace else None
    if view is None:
        st.warning(md(f"The link asks for the saved view {name}, which is not in "
                      + (f"workspace {workspace.name}." if workspace else "an open workspace (the link needs ws=).")),
                   icon=":material/search_off:")
        return
    missing = [t for t in view.tables if catalog.resolve(t) is None]
    if missing:
        st.warning(md(f"The saved view {name} names tables not in this schema: {', '.join(missing)}."),
                   icon=":material/search_off:")
    kept = tuple(t for t in view.tables if t not in missing)
    if not kept:
        return
    options = SavedView(view.name, kept, view.columns, view.depth, view.cluster).options()
    st.session_state[VIEW_NAME] = view.name
    st.session_state[VIEW_TABLES] = options.tables
    st.session_state[FOCUS] = options.focus or NO_FOCUS
    st.session_state[DEPTH] = max(1, min(4, options.depth))
    st.session_state[COLUMNS] = options.columns
    st.session_state[CLUSTER] = options.cluster
    st.session_state[VIEW] = DIAGRAM


def linked_workspace_catalog() -> Catalog | None:
    """A saved view's link opened in a new session shows the schema its workspace was made from."""
    workspace_id = workspaces.active_id() if st.query_params.get(VIEW_PARAM) else None
    workspace = workspaces.load(workspace_id) if workspace_id else None
    return workspace.catalog() if workspace is not None else None


def with_workspace_notes(catalog: Catalog) -> Catalog:
    """The catalog with the open workspace's notes as its comments: the diagram, details and DBML read them."""
    workspace_id = workspaces.active_id()
    workspace = workspaces.load(workspace_id) if workspace_id else None
    return annotated(catalog, workspace.items) if workspace is not None else catalog


def leave_saved_view() -> None:
    st.session_state.pop(VIEW_NAME, None)
    st.session_state.pop(VIEW_TABLES, None)
    if VIEW_PARAM in st.query_params:
        del st.query_params[VIEW_PARAM]


def save_item(workspace_id: str, make, summary):
    """Make a workspace item (a SavedView or a Note: its ValueError shown as the error) and save its record;
    the item when stored, else None. `summary(item)` is the line the history shows."""
    try:
        item = make()
    except ValueError as exc:
        st.error(md(str(exc)))
        return None
    workspace = workspaces.load(workspace_id)
    if workspace is None:
        return None
    record = item.record(workspaces.author(), workspace.items.get(item.key))
    stored = workspaces.autosave(workspace_id, {"items": {item.key: record}}, summary(item))
    return item if stored else None


def save_view_panel(catalog: Catalog, options: Options) -> None:
    """Keep the tables on show with their options as a named view of the open workspace."""
    workspace_id = workspaces.active_id()
    if not workspace_id:
        return
    with (st.expander("Save this view in the workspace", icon=":material/bookmark_add:"),
          st.form(PREFIX + "save_view", border=False)):
        name = st.text_input("View name", max_chars=80)
        current = list(options.tables) or ([options.focus] if options.focus else [])
        names = sorted(t.qualified for t in drawable_tables(catalog, Options()))
        tables = st.multiselect("Tables", names, default=[t for t in current if t in names])
        if st.form_submit_button("Save view"):
            view = save_item(workspace_id, lambda: SavedView(name, tuple(tables), options.columns, options.depth,
                                                             options.cluster), lambda v: f"saved ERD view {v.name}")
            if view is not None:
                st.success(md(f"Saved the view {view.name}."))
                st.markdown(f"[Link to the view {md(view.name)}]({view.link(workspace_id)})")


def sync_url() -> None:
    focus = st.session_state.get(FOCUS) or None
    if focus:
        if st.query_params.get("table") != focus:
            st.query_params["table"] = focus
    elif "table" in st.query_params:
        del st.query_params["table"]


def focus_on(name: str) -> None:
    st.session_state[FOCUS] = name
    st.session_state[SELECTED] = name
    st.session_state[VIEW] = DIAGRAM


def show_diagram() -> None:
    st.session_state[VIEW] = DIAGRAM


def view_changed() -> None:
    """Back to the overview: it shows every domain, so the focus and the domain are let go."""
    if st.session_state.get(VIEW) == OVERVIEW:
        st.session_state[FOCUS] = NO_FOCUS
        st.session_state[DOMAIN] = ALL_DOMAINS


# Controls ---------------------------------------------------------------------------------------


def controls(catalog: Catalog, domains) -> Options:
    names = sorted(t.qualified for t in drawable_tables(catalog, Options()))
    schemas = sorted({t.schema for t in catalog.tables})
    domain_sizes = {d.name: len(d.tables) for d in domains}
    st.session_state.setdefault(VIEW, OVERVIEW if len(names) > OVERVIEW_THRESHOLD else DIAGRAM)
    row = st.columns([2, 3, 2, 2, 2])
    row[0].segmented_control(
        "Show", [OVERVIEW, DIAGRAM, PATH], key=VIEW, format_func=str.capitalize, on_change=view_changed,
        help="Overview: one box per domain; click one to open it. Path: how two tables are connected.",
    )
    row = row[1:]
    focus = row[0].selectbox(
        "Find a table", [NO_FOCUS, *names], key=FOCUS, on_change=show_diagram,
        format_func=lambda n: "— whole schema —" if n == NO_FOCUS else n,
        help="Type to search; the diagram focuses on the table and its neighbours.",
    )
    detail = "all" if len(names) <= ALL_COLUMNS_UP_TO else "keys"
    for key, default in ((DEPTH, 1), (COLUMNS, detail), (IMPLIED, True)):
        st.session_state.setdefault(key, default)
    depth = row[1].slider("Depth", 1, 4, key=DEPTH,
                          help="Relationship hops around the focused table.", disabled=not focus)
    columns = row[2].segmented_control("Columns", ["all", "keys", "none"], key=COLUMNS) or "all"
    if st.session_state.get(DOMAIN) not in (ALL_DOMAINS, *domain_sizes):
        st.session_state[DOMAIN] = ALL_DOMAINS  # a domain of another setting (implied keys on or off)
    domain = row[3].selectbox(
        "Domain", [ALL_DOMAINS, *domain_sizes], key=DOMAIN, on_change=show_diagram,
        format_func=lambda d: "— all domains —" if d == ALL_DOMAINS else f"{d} ({domain_sizes[d]})",
        help="Communities of the foreign-key graph, named by their most-referenced table, a name prefix "
        "their tables share or their schema, whichever covers more of them.",
    )
    with st.expander("More options", icon=":material/tune:"):
        more = st.columns(4)
        chosen = more[0].multiselect("Schemas", schemas, key=SCHEMAS, placeholder="all schemas")
        cluster = more[1].selectbox("Group by", ["schema", "domain", "none"], key=CLUSTER)
        direction = more[2].selectbox("Direction", ["LR", "TB"], key=DIRECTION,
                                      format_func={"LR": "left to right", "TB": "top to bottom"}.get)
        implied = more[3].toggle("Implied foreign keys", value=st.session_state.get(IMPLIED, True), key=IMPLIED,
                                 help="`<x>_id` columns without a constraint, drawn dashed.")
    return Options(
        tables=tuple(st.session_state.get(VIEW_TABLES, ())),
        columns=columns, cluster=cluster, focus=focus or None, depth=depth, schemas=tuple(chosen),
        domain=domain or None, direction=direction, implied=implied,
    )


# Details ----------------------------------------------------------------------------------------


def details(catalog: Catalog, table: Table, suppressions: tuple = ()) -> None:
    st.html(heading_html(table.qualified))
    facts = [table.kind.replace("_", " ")]
    if table.row_estimate is not None and table.row_estimate >= 0:
        facts.append(f"~{table.row_estimate:,} rows")
    if table.rls_enabled:
        facts.append("row-level security on")
    st.caption(md(" · ".join(facts)))
    st.markdown("**Note**")
    st.text(table.comment or "None.")
    noted = [c for c in table.columns if c.comment]
    if noted:
        st.markdown(f"**Column notes** ({len(noted)})")
        st.text("\n".join(f"{c.name}: {c.comment}" for c in noted))
    notes_panel(table)
    st.button("Focus the diagram here", key=PREFIX + "focus_here", on_click=focus_on, args=(table.qualified,),
              icon=":material/center_focus_strong:")
    found = [f for f in findings_of(catalog, suppressions) if f.table == table.qualified]
    unsuppressed = sum(1 for f in findings_of(catalog) if f.table == table.qualified)
    hidden = f", {unsuppressed - len(found)} suppressed" if unsuppressed > len(found) else ""
    st.markdown(f"**Findings** ({len(found)}{hidden})")
    if found:
        st.html("".join(finding_html(f.severity, f.message, f.explanation) for f in found))
    if not found:
        st.caption("None.")
    st.markdown(f"**Columns** ({len(table.columns)})")
    pk = set(table.primary_key.columns) if table.primary_key else set()
    fk_columns = {c for fk in table.foreign_keys for c in fk.columns}
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "column": c.name,
                    "type": c.type,
                    "null": "" if not c.nullable else "null",
                    "key": " ".join(k for k, on in (("PK", c.name in pk), ("FK", c.name in fk_columns)) if on),
                    "default": c.default or (f"identity {c.identity}" if c.identity else ""),
                    "note": c.comment or "",
                }
                for c in table.columns
            ]
        ),
        hide_index=True, width="stretch",
    )
    keys = []
    if table.primary_key:
        keys.append({"kind": "primary key", "columns": ", ".join(table.primary_key.columns), "target": ""})
    keys += [{"kind": "unique", "columns": ", ".join(u.columns), "target": ""} for u in table.uniques]
    keys += [
        {"kind": "references", "columns": ", ".join(fk.columns),
         "target": f"{fk.ref_table} ({', '.join(fk.ref_columns)}) on delete {fk.on_delete.lower()}"}
        for fk in table.foreign_keys
    ]
    keys += [
        {"kind": "referenced by", "columns": ", ".join(fk.ref_columns), "target": f"{t.qualified} ({', '.join(fk.columns)})"}
        for t in catalog.tables if t.kind != "partition"
        for fk in t.foreign_keys if fk.ref_table == table.qualified
    ]
    st.markdown(f"**Keys** ({len(keys)})")
    if keys:
        st.dataframe(pd.DataFrame(keys), hide_index=True, width="stretch")
    st.markdown(f"**Indexes** ({len(table.indexes)})")
    if table.indexes:
        st.dataframe(
            pd.DataFrame([{"index": i.name, "definition": i.definition or ", ".join(i.columns)} for i in table.indexes]),
            hide_index=True, width="stretch",
        )
    st.markdown(f"**Policies** ({len(table.policies)})")
    if table.policies:
        st.dataframe(
            pd.DataFrame([{"policy": p.name, "command": p.command, "using": p.using or "",
                           "with check": p.with_check or ""} for p in table.policies]),
            hide_index=True, width="stretch",
        )


def notes_panel(table: Table) -> None:
    """Write a note on the table or one of its columns, kept in the open workspace (it starts from the
    schema's own comment)."""
    workspace_id = workspaces.active_id()
    if not workspace_id:
        st.caption("Open a workspace (Workspaces or Workshop page) to keep notes on this table and its columns.")
        return
    with st.expander("Write a note", icon=":material/edit_note:"):
        on = st.selectbox("Note on", [NO_COLUMN, *(c.name for c in table.columns)], key=f"{PREFIX}note_on.{table.qualified}",
                          format_func=lambda c: "the table" if c == NO_COLUMN else f"column {c}")
        column = on or None
        current = table.comment if column is None else table.column(column).comment
        with st.form(f"{PREFIX}note.{table.qualified}.{on}", border=False):
            text = st.text_area("Note", value=current or "", max_chars=MAX_NOTE,
                                help="Kept in the workspace: shown here, on hover in the diagram, in the DBML "
                                "export and in the bundle's README (and, if asked, as COMMENT ON steps).")
            if not st.form_submit_button("Save note"):
                return
    saved = save_item(workspace_id, lambda: Note(table.qualified, column, text), lambda n: f"note on {n.target}")
    if saved is not None:
        st.rerun()


# Paths ------------------------------------------------------------------------------------------


def path_ends(catalog: Catalog) -> tuple[str | None, str | None]:
    names = sorted(t.qualified for t in drawable_tables(catalog, Options()))
    left, right = st.columns(2)
    label = {NO_TABLE: "— choose a table —"}
    start = left.selectbox("From", [NO_TABLE, *names], key=PATH_FROM, format_func=lambda n: label.get(n, n))
    goal = right.selectbox("To", [NO_TABLE, *names], key=PATH_TO, format_func=lambda n: label.get(n, n))
    return start or None, goal or None


def show_joins(start: str, goal: str, joins: list[tuple[str, str]]) -> None:
    if not joins:
        st.info(md(f"No foreign-key path, declared or implied, connects {start} and {goal}."),
                icon=":material/link_off:")
        return
    hops = joins[0][1].count("\nJOIN ")
    st.markdown(md(f"**{plural(len(joins), 'shortest path')}** from {start} to {goal}, "
                   f"{plural(hops, 'join')} each; dashed steps are implied (no constraint)."))
    for i, (line, sql) in enumerate(joins, 1):
        st.caption(md(f"{i}. {line}"))
        st.code(sql, language="sql")


# Page -------------------------------------------------------------------------------------------


def too_large(catalog: Catalog, options: Options, domains, drawn) -> int:
    """The number of tables the diagram would draw when that is more than POSTER_LIMIT, else 0."""
    if options.focus is not None or st.session_state.get(POSTER_ANYWAY):
        return 0
    count = len(drawn)
    if options.domain is not None:
        chosen = next((d for d in domains if d.name == options.domain), None)
        count = len(set(chosen.tables) & {t.qualified for t in drawn}) if chosen else count
    return count if count > POSTER_LIMIT else 0


def offer_instead(count: int) -> None:
    st.info(
        md(f"{count:,} tables is more than a diagram anyone can read (the page draws up to {POSTER_LIMIT} at "
           "once). Open the overview and click a domain, or find a table to see its neighbourhood."),
        icon=":material/zoom_out_map:",
    )
    left, right, _ = st.columns([2, 2, 3])

    def to_overview() -> None:
        st.session_state[VIEW] = OVERVIEW
        view_changed()

    left.button("Show the overview", on_click=to_overview, icon=":material/hub:", type="primary")
    right.button(f"Draw all {count:,} tables anyway", on_click=lambda: st.session_state.update({POSTER_ANYWAY: True}),
                 icon=":material/wallpaper:")


def downloads(catalog: Catalog, options: Options, overview: bool, suppressions: tuple = ()) -> None:
    cells = st.columns(len(MEDIA_TYPES) + 1)
    cells[0].caption("Download" + (" (overview; text formats: whole schema, keys only)" if overview else ""))
    for cell, (fmt, (mime, ext)) in zip(cells[1:], MEDIA_TYPES.items(), strict=True):
        disabled = fmt in ("svg", "png") and not has_dot()
        cell.download_button(
            fmt.upper(), data=lambda fmt=fmt: export(catalog, options, fmt, overview, suppressions), file_name=f"erd.{ext}",
            mime=mime, key=f"{PREFIX}download.{fmt}", disabled=disabled, on_click="ignore",
            width="stretch",
        )


def main() -> None:
    st.title("ERD")
    source = state.current()
    catalog = source.catalog if source is not None else linked_workspace_catalog()
    if catalog is None:
        st.info("No schema is loaded: open the Connect page and load a database, a DDL file or the demo.")
        return
    catalog = with_workspace_notes(catalog)
    apply_pending(catalog)
    read_url(catalog)
    with st.spinner("Finding the domains…"):
        domains = domains_of(catalog, st.session_state.get(IMPLIED, True))
    options = controls(catalog, domains)
    sync_url()
    if st.session_state.get(VIEW_NAME):
        st.caption(md(f"Saved view {st.session_state[VIEW_NAME]}: {plural(len(options.tables) or 1, 'table')}."))
        st.button("Leave the saved view", on_click=leave_saved_view, icon=":material/close:")
    save_view_panel(catalog, options)
    drawn = drawable_tables(catalog, options)
    overview = st.session_state.get(VIEW) == OVERVIEW and options.focus is None and options.domain is None
    path = st.session_state.get(VIEW) == PATH
    start = goal = None
    if path:
        start, goal = path_ends(catalog)
        if not (start and goal):
            st.caption("Choose two tables: the diagram shows the shortest foreign-key paths between them, "
                       "and each path as a SQL join.")
            return
    if not overview and not path and (count := too_large(catalog, options, domains, drawn)):
        offer_instead(count)
        return
    if overview:
        st.caption(
            md(f"{len(drawn):,} tables in {len(domains)} domains. Click a domain to open it, "
               "or find a table to see its neighbourhood.")
        )
    diagram_column, detail_column = st.columns([5, 2])
    selected = st.session_state.get(SELECTED)
    suppressions = suppressed()
    with diagram_column:
        try:
            with st.spinner("Laying out the diagram…"):
                joins = None
                if path:
                    dot, svg, targets, problem, joins = path_drawing(catalog, start, goal, options)
                elif overview:
                    dot, svg, targets, problem = overview_drawing(catalog, options)
                else:
                    dot, svg, targets, problem = drawing(catalog, options, suppressions)
        except StudioError as exc:
            show_error(exc, "Drawing the diagram")
            return
        if path and dot is None:
            show_joins(start, goal, joins)
            return
        if svg is not None:
            picked = erd_viewer(svg, targets, selected=f"table:{selected}" if selected else None, height=640)
            if picked:
                st.session_state[PENDING] = picked
                st.rerun()
        else:
            st.caption(md(problem or "") + " Showing the browser's layout instead (no zoom or click).")
            st.graphviz_chart(dot, width="stretch")
        if path:
            show_joins(start, goal, joins)
        else:
            downloads(catalog, options, overview, suppressions)
    with detail_column:
        table = catalog.table(selected) if selected else None
        if table is None:
            st.caption("Click a table in the diagram to see its columns, keys, indexes, policies and findings.")
        else:
            with guarded("Showing the table"):
                details(catalog, table, suppressions)
    if source is not None and source.notes and not overview:
        st.caption(plural(len(source.notes), "loading note") + " on the Overview page.")


main()
