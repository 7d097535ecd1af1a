"""Design: flip tenancy, partitioning, keys and history; see the target DDL, its cost, its diagram."""

from __future__ import annotations

import dataclasses

import streamlit as st

from studio.design.decisions import (
    INTERVALS,
    KEY_STRATEGIES,
    TENANCY_MODELS,
    History,
    Partition,
    Tenancy,
    parse,
)
from studio.errors import ConfigError
from studio.ui import state
from studio.ui.components import guarded, md
from studio.ui.design import (
    blueprint_label,
    decisions,
    enum_labels,
    follow_gallery_defaults,
    gallery_schema,
    gallery_tenancy,
    keep_blueprints,
    partitionable,
    pending_advice,
    store,
    take_advice,
    valid_columns,
)

st.title("Design")
catalog = state.catalog()
if catalog is None:
    st.info("Load a schema on the Connect page first.")
    st.stop()

current = decisions()
names = [t.qualified for t in catalog.stored_tables if t.kind != "partition"]

with st.sidebar.expander("design.toml", expanded=False, icon=":material/save:"):
    st.download_button("Download design.toml", current.to_toml(), "design.toml", "application/toml")
    uploaded = st.file_uploader("Load design.toml", type=["toml"], key="design_upload")
    if uploaded is not None and st.session_state.get("design_upload_seen") != uploaded.file_id:
        st.session_state["design_upload_seen"] = uploaded.file_id
        try:
            store(parse(uploaded.getvalue().decode("utf-8"), uploaded.name))
            st.rerun()
        except (ConfigError, UnicodeDecodeError) as exc:
            st.error(md(exc))

design_tab, gallery_tab = st.tabs(["Design", "Blueprint gallery"])
controls, preview = design_tab.columns([2, 3], gap="large")
with controls:
    st.subheader("Tenancy")
    models = ["keep", *TENANCY_MODELS]
    model = st.selectbox("Tenancy model", models, index=models.index(current.tenancy.model or "keep"), key="design_model")
    tenancy = current.tenancy
    if model != "keep":
        from studio.design.scope import find_tenant_table

        try:
            guess = tenancy.tenant_table or find_tenant_table(catalog, tenancy).qualified
        except ConfigError:
            guess = names[0]
        tenant_table = st.selectbox("Tenant table", names, index=names.index(guess) if guess in names else 0)
        tenant_column = st.text_input("Tenant column", tenancy.tenant_column)
        shared = st.multiselect("Shared tables (override)", names, [n for n in tenancy.shared_tables if n in names])
        dedicated = tenancy.dedicated_tenants
        if model == "hybrid":
            dedicated = tuple(x.strip() for x in st.text_input("Dedicated tenants (comma-separated)", ", ".join(dedicated)).split(",") if x.strip())
        tenancy = Tenancy(model, tenant_table, tenant_column or "tenant_id", tuple(shared), tenancy.tenant_tables, dedicated)
    else:
        tenancy = dataclasses.replace(tenancy, model=None)

    st.subheader("Keys")
    key_strategy = st.radio("Surrogate keys", KEY_STRATEGIES, index=KEY_STRATEGIES.index(current.key_strategy), horizontal=True)

    st.subheader("Partitioning")
    for i, advice in enumerate(pending_advice(catalog, current)):
        with st.container(border=True):
            st.markdown(f"**Workload advice:** {advice.strategy} partitioning of {md(advice.table)} on {md(advice.column)}")
            st.caption(advice.reason)
            if st.button("Use this advice", key=f"advice_{i}_{advice.table}", icon=":material/bolt:"):
                store(take_advice(current, advice))
                st.rerun()
    tables = {t.qualified: t for t in partitionable(catalog)}
    chosen = st.multiselect("Partition tables", list(tables), [p.table for p in current.partitions if p.table in tables])
    partitions = []
    for name in chosen:
        old = next((p for p in current.partitions if p.table == name), None)
        with st.container(border=True):
            st.caption(name)
            strategies = [s for s in ("range", "list", "hash") if valid_columns(tables[name], s)]
            strategy = st.selectbox("Strategy", strategies, index=strategies.index(old.strategy) if old and old.strategy in strategies else 0, key=f"ps_{name}")
            columns = valid_columns(tables[name], strategy)
            column = st.selectbox("Column", columns, index=columns.index(old.column) if old and old.column in columns else 0, key=f"pc_{name}_{strategy}")
            if strategy == "range":
                interval = st.selectbox("Interval", INTERVALS, index=INTERVALS.index(old.interval) if old and old.interval else 2, key=f"pi_{name}")
                premake = st.number_input("Partitions ahead", 0, 120, old.premake if old else 3, key=f"pp_{name}")
                partitions.append(Partition(name, "range", column, interval=interval, premake=int(premake)))
            elif strategy == "list":
                col = tables[name].column(column)
                labels = enum_labels(catalog, col.type)
                default = ", ".join(str(v) for v in (old.values if old and old.column == column else labels))
                text = st.text_input("Values (comma-separated)", default, key=f"pv_{name}_{column}")
                raw = [v.strip() for v in text.split(",") if v.strip()]
                values = tuple(int(v) if col.category == "N" and v.lstrip("-").isdigit() else v for v in raw)
                if values:
                    partitions.append(Partition(name, "list", column, values=values))
            else:
                modulus = st.number_input("Modulus", 2, 1024, old.modulus if old and old.modulus else 8, key=f"pm_{name}")
                partitions.append(Partition(name, "hash", column, modulus=int(modulus)))

    st.subheader("History")
    keyed = [n for n in names if catalog.table(n).primary_key]
    historic = st.multiselect("Keep history of", keyed, [h.table for h in current.history if h.table in keyed])
    history = []
    for name in historic:
        old = next((h.mode for h in current.history if h.table == name), "audit-trigger")
        modes = ["audit-trigger", "effective-dated"]
        history.append(History(name, st.radio(name, modes, index=modes.index(old), horizontal=True, key=f"hm_{name}")))

    st.subheader("Blueprints")
    labels = [blueprint_label(i, u) for i, u in enumerate(current.blueprints)]
    kept = st.multiselect("Blueprints in the design", labels, labels, help="Add them from the Blueprint gallery tab")

chosen_decisions = dataclasses.replace(
    keep_blueprints(current, kept), tenancy=tenancy, key_strategy=key_strategy, partitions=tuple(partitions), history=tuple(history)
)
store(chosen_decisions)

with gallery_tab, guarded("Showing the blueprints"):
    from studio.ui.blueprints import render_gallery

    defaults = gallery_tenancy(catalog, chosen_decisions), gallery_schema(chosen_decisions)
    follow_gallery_defaults(*defaults)
    render_gallery(catalog, default_tenancy=defaults[0], default_schema=defaults[1])
chosen_decisions = decisions()  # with a blueprint the gallery just added

with preview, guarded("Designing the target schema"):
    from studio.design.apply import design

    result = design(catalog, chosen_decisions)
    view = st.segmented_control("Preview", ["Full DDL", "Diff"], default="Full DDL", key="design_view")
    ddl_tab, notes_tab, erd_tab = st.tabs(["DDL", f"Trade-offs ({len(result.notes)})", "Diagram"])
    with ddl_tab:
        if view == "Diff":
            st.code(result.diff() or "-- no difference", language="diff")
        else:
            st.code(result.ddl(), language="sql")
        st.download_button("Download target DDL", result.ddl(), "target.sql", "application/sql")
    with notes_tab:
        if not result.notes:
            st.caption("No design choices made: the target equals the current schema.")
        for note in result.notes:
            with st.container(border=True):
                st.markdown(f"**{md(note.title)}**")
                st.write(note.text)
                if note.based_on:
                    st.caption(f"Based on: {note.based_on}")
    with erd_tab:
        from studio.erd import Options, build, render

        options = Options(columns="keys", cluster="schema")
        left, right = st.columns(2)
        with left:
            st.caption("Current")
            st.graphviz_chart(render(build(catalog, options), "dot"), width="stretch")
        with right:
            st.caption("Proposed")
            st.graphviz_chart(render(build(result.target, options), "dot"), width="stretch")
