"""Streamlit sections for the data checks (Findings page) and the row profile (Overview page).

The checks run in a background thread (`studio.data.job`); a fragment polls its per-table
progress and offers Cancel, so the static findings stay usable meanwhile. When the run ends,
the page's report gains the data findings and notes (`analyzers.data_run.with_data`).
"""

from __future__ import annotations

import streamlit as st

from analyzers.data import DataOptions
from analyzers.data_run import with_data
from analyzers.engine import Report
from studio.data import job as data_job
from studio.data.profile import profile
from studio.ui import state

JOB_KEY = "source.data.job"  # source-scoped: loading another schema forgets the run
PROFILE_KEY = "source.data.profile"
POLL_SECONDS = 0.5


def findings_section(source, report: Report) -> Report:
    """Run / progress / cancel for the data checks; returns the report with their results merged."""
    job: data_job.DataJob | None = st.session_state.get(JOB_KEY)
    with st.container(border=True):
        st.markdown("**Data checks** · orphans, repeated natural keys, never-NULL columns, drifted copies")
        if not source.url:
            st.caption("This source has no rows to check.")
            return report
        if job is None or job.done:
            cols = st.columns([1, 1, 1, 2], vertical_alignment="bottom")
            exact = cols[0].toggle("Exact (no sampling)", key=f"source.data.exact.{state.generation()}")
            timeout = cols[1].number_input(
                "Timeout per check (s)", 1, 3600, 30, key=f"source.data.timeout.{state.generation()}"
            )
            if cols[2].button(
                "Run data checks" if job is None else "Run again", icon=":material/play_arrow:"
            ):
                options = DataOptions(statement_timeout_s=float(timeout), exact=exact)
                st.session_state[JOB_KEY] = data_job.start(source.catalog, source.url, options=options)
                st.rerun()
        if job is not None and not job.done:
            _progress_fragment()
    if job is None or not job.done:
        return report
    if job.error:
        st.error(job.error, icon=":material/error:")
        return report
    run = job.result
    if run.cancelled:
        st.warning(
            f"Data checks cancelled: {run.completed} of {run.checks} checks ran.", icon=":material/cancel:"
        )
    for note in run.notes[:20]:
        st.caption(note)
    if len(run.notes) > 20:
        st.caption(f"… and {len(run.notes) - 20} more checks not run")
    return with_data(report, run)


@st.fragment(run_every=POLL_SECONDS)
def _progress_fragment() -> None:
    job: data_job.DataJob | None = st.session_state.get(JOB_KEY)
    if job is None:
        return
    if job.done:
        st.rerun()  # the whole page, so the findings list gains the results
    units = job.progress.snapshot()
    st.progress(
        job.progress.fraction,
        text=f"{sum(u.done for u in units.values())} of {sum(u.total for u in units.values())} checks",
    )
    if st.button("Cancel", icon=":material/stop:", key="source.data.cancel"):
        job.cancel()
    for table, unit in sorted(units.items()):
        label = f"{table}: {unit.current}" if unit.current else table
        st.progress(unit.done / unit.total if unit.total else 1.0, text=label)


def profile_section(source) -> None:
    """Row counts (exact or estimated, and which) and per-column statistics, on request."""
    st.subheader("Row profile")
    if not source.url:
        st.caption("This source has no rows to profile.")
        return
    result = st.session_state.get(PROFILE_KEY)
    if st.button("Profile rows" if result is None else "Profile again", icon=":material/query_stats:"):
        with st.spinner("Counting rows and reading pg_stats…"):
            result = profile(source.catalog, source.url)
        st.session_state[PROFILE_KEY] = result
    if result is None:
        st.caption(
            "Counts small tables exactly and estimates large ones; reads column statistics from pg_stats."
        )
        return
    st.dataframe(result.table_rows(), hide_index=True)
    st.dataframe(result.column_rows(), hide_index=True)
    for note in result.notes:
        st.caption(note)
