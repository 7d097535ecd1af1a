"""Overview: what the loaded schema holds, per schema and per table."""

from __future__ import annotations

import streamlit as st

from studio.catalog import Catalog
from studio.summary import totals
from studio.ui import health, state
from studio.ui.components import md, notes_banner
from studio.ui.frames import schema_frame, table_frame
from studio.units import human_bytes

_CATALOG_HASH = {Catalog: hash}  # a Catalog is frozen and hashable: no need to pickle it to hash it


@st.cache_data(hash_funcs=_CATALOG_HASH, show_spinner=False, max_entries=16)
def _schemas(catalog: Catalog):
    return schema_frame(catalog)


@st.cache_data(hash_funcs=_CATALOG_HASH, show_spinner=False, max_entries=16)
def _tables(catalog: Catalog):
    return table_frame(catalog)


def header(source) -> None:
    catalog = source.catalog
    st.title("Overview")
    about = [md(source.label)]
    if source.kind == "dsn" and catalog.database:  # a file's or the demo's database is a throwaway
        about.append(f"database {md(catalog.database)}")
    if catalog.server_version:
        about.append(f"PostgreSQL {md(catalog.server_version)}")
    st.caption(" · ".join(about))
    notes_banner(source.notes, source.failures)
    total = totals(catalog)
    cells = st.columns(7)
    cells[0].metric("Schemas", total.schema)
    cells[1].metric("Tables", f"{total.tables:,}")
    cells[2].metric("Columns", f"{total.columns:,}")
    cells[3].metric("Foreign keys", f"{total.foreign_keys:,}")
    cells[4].metric("Indexes", f"{total.indexes:,}")
    cells[5].metric("Est. rows", "?" if total.row_estimate is None else f"{total.row_estimate:,}",
                    help="From the planner's statistics (pg_class.reltuples); ? when never analyzed.")
    cells[6].metric("Size", human_bytes(total.total_bytes), help="Tables, their indexes and TOAST.")


def health_summary(catalog: Catalog) -> None:
    """The findings' health summary (`studio.ui.health.render`)."""
    health.render(catalog)


_COUNT = {"format": "localized", "width": "small"}


def schema_table(catalog: Catalog) -> None:
    st.subheader("Schemas")
    st.dataframe(
        _schemas(catalog),
        hide_index=True,
        placeholder="—",
        column_config={
            "schema": st.column_config.TextColumn("Schema"),
            "tables": st.column_config.NumberColumn("Tables", **_COUNT),
            "columns": st.column_config.NumberColumn("Columns", **_COUNT),
            "foreign keys": st.column_config.NumberColumn("Foreign keys", **_COUNT),
            "indexes": st.column_config.NumberColumn("Indexes", **_COUNT),
            "est. rows": st.column_config.NumberColumn("Est. rows", format="localized"),
            "size": st.column_config.NumberColumn("Size", format="bytes"),
        },
    )


def table_list(catalog: Catalog) -> None:
    st.subheader("Tables")
    frame = _tables(catalog)
    left, right = st.columns([3, 2])
    query = left.text_input(
        "Filter", placeholder="part of a table, schema or comment", key=f"source.overview.filter.{state.generation()}"
    )
    schemas = sorted(frame["schema"].unique())
    chosen = right.multiselect("Schemas", schemas, placeholder="All schemas", key=f"source.overview.schemas.{state.generation()}")
    if chosen:
        frame = frame[frame["schema"].isin(chosen)]
    if query:
        needle = query.casefold()
        hay = frame["schema"] + "." + frame["table"] + " " + frame["comment"]
        frame = frame[hay.str.casefold().str.contains(needle, regex=False)]
    st.caption(f"{len(frame):,} of {len(_tables(catalog)):,} tables and views · click a header to sort")
    st.dataframe(
        frame,
        hide_index=True,
        placeholder="—",
        height=min(36 + 35 * max(len(frame), 1), 640),
        column_config={
            "schema": st.column_config.TextColumn("Schema"),
            "table": st.column_config.TextColumn("Table"),
            "kind": st.column_config.TextColumn("Kind"),
            "columns": st.column_config.NumberColumn("Columns", **_COUNT),
            "foreign keys": st.column_config.NumberColumn("FKs", **_COUNT),
            "indexes": st.column_config.NumberColumn("Indexes", **_COUNT),
            "est. rows": st.column_config.NumberColumn("Est. rows", format="localized"),
            "size": st.column_config.NumberColumn("Size", format="bytes"),
            "RLS": st.column_config.TextColumn("RLS"),
            "comment": st.column_config.TextColumn("Comment", width="large"),
        },
    )


source = state.current()
if source is None:
    st.title("Overview")
    st.info("No schema is loaded: choose the demo, a database or a file on the Connect page.")
    st.page_link("views/connect.py", label="Connect", icon=":material/power:")
else:
    header(source)
    health_summary(source.catalog)
    schema_table(source.catalog)
    table_list(source.catalog)
    # Row profile (studio/ui/data_checks.py): exact or estimated counts, pg_stats per column.
    from studio.ui import data_checks

    data_checks.profile_section(source)
