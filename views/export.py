"""Export: choose fixes, see the plan by phase with its scripts, verify on a scratch copy, download the bundle."""

from __future__ import annotations

import streamlit as st

from studio.ui import state
from studio.ui import workspace as workspaces
from studio.ui.components import guarded, md
from studio.ui.design import decisions as current_decisions
from studio.ui.export import (
    RESULT_KEY,
    accepted_from,
    build,
    fixable_rules,
    show_plan,
    show_quarantine,
    show_verify,
    signature,
)

st.title("Export")
source = state.current()
if source is None:
    st.info("Load a schema on the Connect page first.")
    st.stop()

with guarded("Analyzing the schema"):
    from analyzers import families  # noqa: F401  (registers the rules)
    from analyzers.engine import AnalysisConfig, Suppression, analyze

    decisions = current_decisions()
    suppressions = tuple(Suppression(s.rule, s.object, s.reason) for s in decisions.suppressions)
    report = analyze(source.catalog, AnalysisConfig(suppressions=suppressions))
    rules = fixable_rules(report.findings)

    choose, summary = st.columns([2, 3], gap="large")
    with choose:
        mode = st.radio("Fixes to apply", ["all", "none", "per rule"], horizontal=True, key="export_fix_mode")
        picked = st.multiselect("Rules", rules, rules, key="export_rules") if mode == "per rule" else []
        run_verify = st.toggle("Verify on a scratch copy before offering the bundle", value=True, key="export_verify")
        workspace_id = workspaces.active_id()
        workspace = workspaces.load(workspace_id) if workspace_id else None
        notes_as_comments = False
        if workspace is not None:
            st.caption(md(f"The bundle carries the notes, saved views and decision log of workspace {workspace.name}."))
            notes_as_comments = st.toggle("Write the notes on tables and columns as COMMENT ON steps",
                                          value=False, key="export_notes_as_comments")
    with summary:
        design_on = decisions.tenancy.model or decisions.partitions or decisions.history or decisions.key_strategy != "keep"
        if design_on:
            st.markdown(
                "**Design decisions** (from the Design page): "
                + md(", ".join(filter(None, [
                    f"tenancy {decisions.tenancy.model}" if decisions.tenancy.model else "",
                    f"keys {decisions.key_strategy}" if decisions.key_strategy != "keep" else "",
                    *(f"partition {p.table}" for p in decisions.partitions),
                    *(f"history of {h.table} ({h.mode})" for h in decisions.history),
                ]))))
        else:
            st.caption("No design decision chosen (Design page): the bundle carries the accepted fixes only.")
        st.caption(f"{len(report.findings)} findings, {sum(1 for f in report.findings if f.fix)} with a fix.")

    accepted = accepted_from(mode, picked)
    key = (signature(state.generation(), accepted, decisions),
           workspace.head if workspace is not None else None, notes_as_comments)
    if st.button("Build and verify the bundle" if run_verify else "Build the bundle", type="primary", key="export_build"):
        st.session_state[RESULT_KEY] = (key, build(source, accepted, decisions, run_verify, workspace, notes_as_comments))

    built = st.session_state.get(RESULT_KEY)
    if built is not None and built[0] == key:
        export = built[1]
        show_quarantine(export.plan, export.verified)
        st.subheader("Verification")
        show_verify(export.verified)
        if export.ok:
            st.download_button("Download bundle.zip", export.data, "bundle.zip", "application/zip",
                               type="primary", icon=":material/download:", key="export_download")
        st.subheader("Plan")
        show_plan(export.plan)
    else:
        from studio.migrate.plan import build_plan

        st.subheader("Plan (preview)")
        st.caption("Build the bundle to verify it and download it.")
        show_plan(build_plan(source.catalog, report.findings, accepted, decisions))
