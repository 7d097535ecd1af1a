"""The Overview's health summary: findings by severity and category, and the rules that fire most."""

from __future__ import annotations

import streamlit as st

from studio.catalog import Catalog
from studio.ui import findings as ui
from studio.ui.components import md


def render(catalog: Catalog) -> None:
    report = ui.cached_report(catalog, ui.session_suppressions())
    counted = ui.counts(report.findings)
    with st.container(border=True):
        head = st.columns([3, 1], vertical_alignment="center")
        head[0].subheader("Health")
        head[1].page_link("views/findings.py", label="All findings", icon=":material/troubleshoot:")
        cells = st.columns(4)
        cells[0].metric("Errors", counted["severity"]["error"], help="Integrity or security is broken.")
        cells[1].metric(
            "Warnings", counted["severity"]["warning"], help="Will hurt at scale or in a migration."
        )
        cells[2].metric("Info", counted["severity"]["info"], help="A choice worth a look.")
        cells[3].metric("Suppressed", len(report.suppressed))
        if not report.findings:
            st.success("No findings: every rule is satisfied.", icon=":material/check_circle:")
            return
        st.caption("By category: " + " · ".join(f"{md(c)} **{n}**" for c, n in counted["category"].items()))
        rows = [
            {"rule": rule, "severity": severity, "findings": n, "tables": tables}
            for rule, severity, n, tables in ui.top_problems(report.findings)
        ]
        st.markdown("**Top problems**")
        st.dataframe(
            rows,
            hide_index=True,
            width="stretch",
            column_config={
                "rule": st.column_config.TextColumn("Rule"),
                "severity": st.column_config.TextColumn("Severity"),
                "findings": st.column_config.NumberColumn("Findings"),
                "tables": st.column_config.NumberColumn("Tables"),
            },
        )
