"""Export page helpers: which fixes, the plan by phase, the scripts, verify with progress, the bundle."""

from __future__ import annotations

import hashlib
import re
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from studio.errors import StudioError
from studio.migrate.export import build_export
from studio.migrate.phases import render
from studio.migrate.plan import PHASES, Plan
from studio.migrate.readme import quarantine_figures
from studio.ui.components import md, plural

RESULT_KEY = "export_result"  # (signature, Export) of the last build in this session


def fixable_rules(findings) -> list[str]:
    return sorted({f.rule for f in findings if f.fix})


def accepted_from(mode: str, rules: list[str]):
    if mode == "all":
        return "all"
    if mode == "none":
        return "none"
    return tuple(rules) or "none"


def verify_source(source) -> dict:
    """Where verify loads the source again: the demo, the file's own text, or the live database (sampled)."""
    if source.kind == "demo":
        return {"demo": True}
    if source.kind == "ddl" and source.ddl_text:
        path = Path(tempfile.mkdtemp(prefix="studio-export-")) / (source.label or "schema.sql")
        path.write_text(source.ddl_text, encoding="utf-8")
        return {"ddl": path}
    return {"dsn": source.url}


def signature(generation: int, accepted, decisions) -> str:
    text = f"{generation}|{accepted}|{decisions.to_toml() if decisions else ''}"
    return hashlib.sha256(text.encode()).hexdigest()


def build(source, accepted, decisions, run_verify: bool, workspace=None, notes_as_comments: bool = False):
    """Build (and verify) the bundle behind st.status with a progress bar; an open workspace brings its
    notes, saved views and decision log into the bundle."""
    with st.status("Building the bundle" + (" and verifying it on a scratch copy" if run_verify else ""), expanded=True) as status:
        bar = st.progress(0.0)
        line = st.empty()

        def progress(message: str, share: float) -> None:
            bar.progress(min(max(share, 0.0), 1.0))
            line.caption(message)

        try:
            export = build_export(source, accepted=accepted, decisions=decisions, run_verify=run_verify,
                                  verify_source=verify_source(source) if run_verify else None, progress=progress,
                                  workspace=workspace, notes_as_comments=notes_as_comments)
        except StudioError:  # a design no plan can carry out: the page's guard shows why, once
            status.update(label="The bundle cannot be built", state="error", expanded=False)
            raise
        bar.progress(1.0)
        if export.verified is None:
            status.update(label="Bundle built (not verified)", state="complete", expanded=False)
        elif export.verified.ok:
            status.update(label=f"Bundle verified in {export.verified.seconds:.1f} s", state="complete", expanded=False)
        else:
            status.update(label="Verification failed: the bundle is not offered", state="error", expanded=True)
    return export


def steps_frame(plan: Plan) -> pd.DataFrame:
    rows = [{"#": script.number, "phase": script.step.phase, "step": script.step.title or script.step.name,
             "lock": script.step.lock, "risk": script.step.risk, "duration": script.step.duration_class,
             "transaction": "yes" if script.step.transactional else "no (run on its own)"} for script in render(plan)]
    return pd.DataFrame(rows, columns=["#", "phase", "step", "lock", "risk", "duration", "transaction"])


def show_plan(plan: Plan) -> None:
    scripts = render(plan)
    counts = ", ".join(f"{phase} {sum(1 for s in scripts if s.step.phase == phase)}" for phase in PHASES)
    st.caption(f"{plural(len(scripts), 'step')} ({counts}); {plural(len(plan.fixed), 'finding')} fixed, {len(plan.left)} left")
    for phase in PHASES:
        in_phase = [s for s in scripts if s.step.phase == phase]
        if not in_phase:
            continue
        st.markdown(f"#### {phase.capitalize()}" + (" (separate: after the compatibility window)" if phase == "contract" else ""))
        st.dataframe(steps_frame(plan).query("phase == @phase").drop(columns=["phase"]), hide_index=True, width="stretch")
        for script in in_phase:
            with st.expander(f"{script.stem}: {script.step.title or script.step.name}"):
                up, down = st.tabs(["up", "down"])
                with up:
                    st.code(script.up, language="sql")
                with down:
                    st.code(script.down, language="sql")


def show_quarantine(plan, result) -> None:
    """First of all: how many rows each step moved to the quarantine on the scratch copy."""
    if result is None:
        return
    figures = quarantine_figures(plan, result)
    total = sum(n for _, _, n in figures)
    st.markdown(f"**Rows this bundle moves:** {total} rows to the quarantine on the scratch copy "
                "(each with its reason; the downs put them back). Nothing else moves a row.")
    if figures:
        st.dataframe([{"file": stem, "step": title, "rows quarantined": n} for stem, title, n in figures],
                     hide_index=True, width="stretch")


def show_verify(result) -> None:
    if result is None:
        st.warning("Not verified: run `schema-studio verify bundle.zip ...` before using this bundle.")
        return
    for check in result.checks:
        icon = ":material/check_circle:" if check.ok else ":material/cancel:"
        st.markdown(f"{icon} **{md(check.name)}**" + (f": {md(check.detail)}" if check.detail else ""))
    for note in result.notes:
        st.caption(md(note))
    moved = [n for n in result.notices if re.search(r"quarantined [1-9]", n)]
    if moved:
        with st.expander(f"Rows moved to the quarantine ({len(moved)} notices)"):
            st.code("\n".join(moved), language="text")
