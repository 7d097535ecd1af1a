"""Blueprint gallery, a section of the Design page: `render_gallery()`.

Each blueprint shows its description, an ERD preview, its DDL and the trade-offs it encodes,
and "Add to design" appends a BlueprintUse with the chosen options to
st.session_state["decisions"] (a Decisions value, created when absent).
"""

from __future__ import annotations

import dataclasses

import streamlit as st

from studio import blueprints
from studio.blueprints.preview import catalog_of
from studio.design.decisions import BlueprintUse, Decisions
from studio.erd import Options, build, render

DECISIONS_KEY = "decisions"


@st.cache_data(show_spinner=False, max_entries=32)
def _preview_dot(sql: str) -> str:
    catalog = catalog_of(sql)
    return render(build(catalog, Options(columns="keys", legend=False), None), "dot")


@st.cache_data(show_spinner=False, max_entries=64)
def _render(name: str, tenancy: str, schema: str) -> blueprints.Blueprint:
    return blueprints.render(name, tenancy=tenancy, schema=schema)


def add_to_design(use: BlueprintUse) -> None:
    """Append a blueprint use to the session's decisions."""
    current = st.session_state.get(DECISIONS_KEY)
    if isinstance(current, list):
        current.append(use)
        return
    decisions = current if isinstance(current, Decisions) else Decisions()
    st.session_state[DECISIONS_KEY] = dataclasses.replace(decisions, blueprints=(*decisions.blueprints, use))


def _attach_choices(catalog) -> list[str]:
    if catalog is None:
        return []
    return sorted(t.qualified for t in catalog.stored_tables if t.kind != "partition" and t.primary_key is not None)


def _card(info: blueprints.Info, catalog, default_tenancy: str, default_schema: str | None = None) -> None:
    key = f"blueprint.{info.name}"
    left, right = st.columns([1, 1])
    tenancy = left.radio(
        "Tenancy", ("rls", "none"), index=("rls", "none").index(default_tenancy), horizontal=True, key=f"{key}.tenancy",
        help="rls: a tenant column in every tenant table, composite tenant keys, forced row level security",
    )
    schema = right.text_input("Schema", value=default_schema or info.default_schema, key=f"{key}.schema").strip() or info.default_schema
    st.write(info.description)
    try:
        blueprint = _render(info.name, tenancy, schema)
    except Exception as exc:  # a ConfigError names the input; show it, never a traceback
        st.error(str(exc))
        return
    preview, ddl_tab, tradeoffs = st.tabs(["ERD preview", "DDL", "Trade-offs"])
    with preview:
        try:
            st.graphviz_chart(_preview_dot(blueprint.sql), width="stretch")
        except Exception as exc:
            st.info(f"The preview could not be drawn here: {exc}")
    with ddl_tab:
        st.code(blueprint.sql, language="sql")
    with tradeoffs:
        st.markdown("\n".join(f"- {t}" for t in info.tradeoffs))
    attach: dict[str, str] = {}
    points = [p for p in info.needs if p != "tenant" or tenancy == "rls"]
    choices = _attach_choices(catalog)
    if points and choices:
        with st.expander("Attach to existing tables"):
            for point in points:
                picked = st.selectbox(
                    point, ["(built in)", *choices], key=f"{key}.attach.{point}",
                    help=f"An existing table to use as {point}; otherwise the blueprint brings its own",
                )
                if picked != "(built in)":
                    attach[point] = picked
    if st.button("Add to design", key=f"{key}.add", icon=":material/add:"):
        options: dict[str, object] = {"schema": schema, "tenancy": tenancy}
        if attach:
            options["attach"] = attach
        add_to_design(BlueprintUse(info.name, tuple(sorted(options.items()))))
        st.success(f"{info.name} added to the design (schema {schema}, tenancy {tenancy}).")


def render_gallery(catalog=None, *, default_tenancy: str = "rls", default_schema: str | None = None) -> None:
    """The gallery: one expander per blueprint. `catalog` (the current schema) offers attach points;
    `default_schema` replaces each blueprint's own schema as the default (the tenant template)."""
    st.subheader("Blueprints")
    st.caption("Proven schema modules for diagnostics and repair platforms; each passes the studio's own analyzers.")
    for info in blueprints.list_blueprints():
        with st.expander(info.name):
            _card(info, catalog, default_tenancy, default_schema)
