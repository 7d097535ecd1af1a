"""Workload: paste or upload the queries the schema must serve; see what each needs, and the volumes ahead."""

from __future__ import annotations

import hashlib
from pathlib import Path

import streamlit as st

from studio.ui import state
from studio.ui import workload as ui
from studio.ui.components import guarded, md, plural

DEMO_QUERIES = "tests/fixtures/workload/demo_queries.sql"


def key(name: str) -> str:
    return f"source.workload.{name}.{state.generation()}"


def queries_input(source) -> str:
    st.caption(
        "One or more statements separated by `;`. Parameters may be `$1` or `:name`. "
        + ("EXPLAIN (never ANALYZE) checks each missing index on the rows." if source.url else "")
    )
    upload = st.file_uploader("Upload a .sql file", type=["sql", "txt"], key=key("upload"))
    if upload is not None:
        text = upload.getvalue().decode("utf-8", errors="replace")
        digest = hashlib.sha1(text.encode()).hexdigest()
        if st.session_state.get(key("upload_digest")) != digest:
            st.session_state[key("upload_digest")] = digest
            st.session_state[key("text")] = text
    if source.kind == "demo" and st.button("Use the demo's example queries", key=key("example")):
        st.session_state[key("text")] = (Path(__file__).resolve().parent.parent / DEMO_QUERIES).read_text()
    return st.text_area("Queries", key=key("text"), height=220, placeholder="SELECT ... FROM ... WHERE ... = $1;")


def statements(source, analysis) -> None:
    workload, run = analysis.workload, analysis.run
    problems = len(workload.problems)
    cells = st.columns(4)
    cells[0].metric("Statements", len(workload.statements))
    cells[1].metric("Missing indexes", sum(f.rule == "query-not-covered-by-index" for f in run.findings))
    cells[2].metric("Unknown objects", sum(f.rule == "query-references-unknown-object" for f in run.findings))
    cells[3].metric("Not analyzed", problems)
    for note in run.notes:
        st.warning(md(note), icon=":material/warning:")
    for statement in workload.statements:
        found = analysis.findings_of(statement.number)
        icon = ":material/error:" if any(f.severity == "error" for f in found) else (
            ":material/warning:" if found else ":material/check_circle:"
        )
        with st.expander(f"{statement.number}. {statement.first_line[:110]}", icon=icon):
            st.code(statement.text, language="sql")
            if statement.calls is not None:
                st.caption(f"{statement.calls:,} calls · {statement.mean_ms:,.2f} ms mean · {statement.total_ms:,.0f} ms total")
            shape = analysis.shape_of(statement.number)
            if shape is not None and shape.uses:
                st.dataframe(ui.access_frame(source.catalog, shape), hide_index=True)
            for finding in found:
                st.markdown(f"**{md(finding.rule)}** ({md(finding.severity)}): {md(finding.message)}")
                if finding.fix:
                    st.code(finding.fix, language="sql", wrap_lines=True)
            if not found and shape is not None:
                st.caption("Every filtered or joined table has an index that leads with its column.")
    unused = [f for f in run.findings if f.statement is None]
    if unused:
        with st.expander(f"Indexes never scanned ({len(unused)})", icon=":material/delete_sweep:"):
            for finding in unused:
                st.markdown(md(finding.message))


def volumes(source, analysis) -> None:
    st.subheader("Volumes ahead")
    st.caption(
        "Rows now come from the planner's estimate; enter each table's growth (rows per day) and retention. "
        "Tables projected past the threshold whose queries filter on a time or tenant column are partitioning candidates."
    )
    shapes = analysis.run.shapes if analysis else ()
    cells = st.columns([1, 1, 2])
    threshold = cells[0].number_input("Partitioning threshold (rows)", min_value=1_000, value=50_000_000, step=1_000_000, key=key("threshold"))
    tenant = cells[1].text_input("Tenant column", value="tenant_id", key=key("tenant"))
    edited = st.data_editor(
        ui.volume_inputs_frame(source.catalog, shapes),
        hide_index=True,
        disabled=["table"],
        key=key(f"volumes.{len(shapes)}"),
        column_config={
            "rows now": st.column_config.NumberColumn(min_value=0, format="localized"),
            "rows per day": st.column_config.NumberColumn(min_value=0.0, format="localized"),
            "retention days": st.column_config.NumberColumn(min_value=1, format="%d"),
        },
    )
    items = ui.projections(source.catalog, edited, shapes, int(threshold), tenant.strip() or "tenant_id")
    st.session_state["partition_advice"] = tuple(p.partition for p in items if p.partition)  # the Design page offers it
    if not items:
        return
    st.dataframe(
        ui.projection_frame(items),
        hide_index=True,
        column_config={"index size in 36 months": st.column_config.NumberColumn(format="bytes")},
    )
    st.line_chart(ui.series_frame(items), x_label="months from now", y_label="rows")
    with st.expander("Index sizes (estimated from average key width)"):
        st.dataframe(
            ui.index_frame(items),
            hide_index=True,
            column_config={c: st.column_config.NumberColumn(format="bytes") for c in ("now", "in 12 months", "in 36 months")},
        )


st.title("Workload")
source = state.current()
if source is None:
    st.info("Load a schema on the Connect page first.")
    st.stop()

text = queries_input(source)
if st.button("Analyze the queries", type="primary", key=key("run"), disabled=not text.strip()):
    with guarded("Analyzing the queries"), st.spinner("Reading the queries and asking the planner…"):
        st.session_state[key("analysis")] = ui.analyze(
            source.catalog, text, url=source.url, live=source.kind == "dsn"
        )
analysis = st.session_state.get(key("analysis"))
if analysis is not None:
    st.subheader(f"{plural(len(analysis.workload.statements), 'statement')}")
    statements(source, analysis)
with guarded("Projecting the volumes"):
    volumes(source, analysis)
