"""Findings: what is wrong with the loaded schema, why it matters, and the DDL that fixes it."""

from __future__ import annotations

import hashlib

import streamlit as st

from analyzers.registry import Finding
from studio.ui import findings as ui
from studio.ui import state
from studio.ui.components import md, plural

PAGE_SIZE = 25


def widget_key(name: str, finding: Finding | None = None) -> str:
    suffix = hashlib.sha1(finding.key.encode()).hexdigest()[:12] if finding else ""
    return f"source.findings.{name}.{state.generation()}.{suffix}"


def metrics(report) -> None:
    counted = ui.counts(report.findings)
    cells = st.columns(5)
    cells[0].metric("Findings", f"{len(report.findings):,}")
    for cell, severity in zip(cells[1:4], ("error", "warning", "info"), strict=True):
        cell.metric(
            severity.capitalize() + "s" if severity != "info" else "Info",
            f"{counted['severity'][severity]:,}",
        )
    cells[4].metric("Suppressed", f"{len(report.suppressed):,}")
    if counted["category"]:
        st.caption("By category: " + " · ".join(f"{md(c)} **{n}**" for c, n in counted["category"].items()))


def filters(report) -> ui.Filters:
    available = ui.options(report.findings)
    with st.container(border=True):
        top = st.columns([2, 3])
        severities = top[0].pills(
            "Severity", available["severities"], selection_mode="multi", key=widget_key("severity")
        )
        categories = top[1].pills(
            "Category", available["categories"], selection_mode="multi", key=widget_key("category")
        )
        row = st.columns(4)
        schemas = row[0].multiselect(
            "Schema", available["schemas"], placeholder="All", key=widget_key("schema")
        )
        tables = row[1].multiselect("Table", available["tables"], placeholder="All", key=widget_key("table"))
        rules = row[2].multiselect("Rule", available["rules"], placeholder="All", key=widget_key("rule"))
        text = row[3].text_input("Search", placeholder="column, message, DDL…", key=widget_key("text"))
    return ui.Filters(
        tuple(severities or ()), tuple(categories or ()), tuple(schemas), tuple(tables), tuple(rules), text
    )


def table_details(catalog, qualified: str) -> None:
    table = catalog.table(qualified)
    if table is None:
        st.caption(f"{md(qualified)} is not a table (a function, or outside the loaded schemas).")
        return
    st.caption(f"{md(table.qualified)} · {md(table.kind.replace('_', ' '))} · {md(ui.rls_state(table))}")
    tabs = st.tabs(["Columns", "Keys", "Indexes", "Policies"])
    for tab, rows, empty in zip(
        tabs,
        (ui.column_rows(table), ui.key_rows(table), ui.index_rows(table), ui.policy_rows(table)),
        ("No columns.", "No keys or constraints.", "No indexes.", "No policies."),
        strict=True,
    ):
        with tab:
            if rows:
                st.dataframe(rows, hide_index=True, width="stretch")
            else:
                st.caption(empty)


def suppress_form(finding: Finding) -> None:
    with st.form(widget_key("suppress", finding), border=False):
        cols = st.columns([4, 1], vertical_alignment="bottom")
        reason = cols[0].text_input(
            "Reason for suppressing",
            placeholder="why this is acceptable here",
            key=widget_key("reason", finding),
        )
        if cols[1].form_submit_button("Suppress", icon=":material/visibility_off:", width="stretch"):
            try:
                suppression = ui.suppression_for(finding, reason)
            except ValueError as exc:
                st.error(md(exc), icon=":material/error:")
                return
            ui.set_session_suppressions(ui.add_suppression(ui.session_suppressions(), suppression))
            st.rerun()


def finding_panel(catalog, finding: Finding) -> None:
    label = f"**{md(finding.rule)}** · {md(finding.table)} — {md(finding.message)}"
    with st.expander(label, icon=ui.SEVERITY_ICON[finding.severity]):
        color = ui.SEVERITY_COLOR[finding.severity]
        st.markdown(
            f":{color}-badge[{md(finding.severity)}] :gray-badge[{md(finding.category)}] "
            + " ".join(f":violet-badge[{md(c)}]" for c in finding.columns)
        )
        st.markdown(md(finding.message))
        st.caption(md(finding.explanation))
        if finding.fix:
            st.code(finding.fix, language="sql", wrap_lines=True)
        if st.toggle("Show the table", key=widget_key("details", finding)):
            table_details(catalog, finding.table)
        suppress_form(finding)


def finding_list(catalog, shown: list[Finding]) -> None:
    if not shown:
        st.info("No finding matches these filters.", icon=":material/filter_alt_off:")
        return
    head = st.columns([3, 1, 1], vertical_alignment="bottom")
    by = head[1].selectbox("Group by", ui.GROUPINGS, key=widget_key("group"))
    pages = max(1, -(-len(shown) // PAGE_SIZE))
    page = head[2].number_input("Page", 1, pages, 1, key=widget_key("page")) if pages > 1 else 1
    start = (page - 1) * PAGE_SIZE
    head[0].caption(
        f"Showing {start + 1:,}–{min(start + PAGE_SIZE, len(shown)):,} of {plural(len(shown), 'finding')}"
    )
    for label, members in ui.group(shown[start : start + PAGE_SIZE], by):
        st.markdown(f"##### {md(label)} ({len(members)})")
        for finding in members:
            finding_panel(catalog, finding)


def suppressed_list(report) -> None:
    st.subheader("Suppressed")
    if not report.suppressed and not report.unmatched_suppressions:
        st.caption("Nothing suppressed. Suppress a finding with a reason to keep it out of the list.")
        return
    for finding, suppression in report.suppressed:
        with st.container(border=True):
            cols = st.columns([5, 1], vertical_alignment="center")
            cols[0].markdown(f"**{md(finding.rule)}** · {md(finding.table)} — {md(finding.message)}")
            cols[0].caption(f"Reason: {md(suppression.reason)}")
            if cols[1].button(
                "Un-suppress", key=widget_key("unsuppress", finding), icon=":material/visibility:"
            ):
                ui.set_session_suppressions(ui.remove_suppression(ui.session_suppressions(), suppression))
                st.rerun()
    for suppression in report.unmatched_suppressions:
        st.caption(f"{md(suppression.rule)} on {md(suppression.object)} matches no finding any more.")


source = state.current()
st.title("Findings")
if source is None:
    st.info("No schema is loaded: choose the demo, a database or a file on the Connect page.")
    st.page_link("views/connect.py", label="Connect", icon=":material/power:")
else:
    st.caption(f"{md(source.label)} · what is wrong, why it matters, and the DDL that fixes it")
    report = ui.cached_report(source.catalog, ui.session_suppressions())
    # Data checks (studio/ui/data_checks.py): run, per-table progress, cancel; merges their findings.
    from studio.ui import data_checks

    report = data_checks.findings_section(source, report)
    metrics(report)
    chosen = filters(report)
    finding_list(source.catalog, ui.apply_filters(report.findings, chosen))
    suppressed_list(report)
