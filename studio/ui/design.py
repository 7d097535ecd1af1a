"""Design page helpers: valid column choices per partition strategy, decisions in session state."""

from __future__ import annotations

import streamlit as st

from studio.catalog import Catalog, Table
from studio.design.decisions import TIME_TYPES, Decisions

KEY = "decisions"  # st.session_state["decisions"]: read by other pages and the workshop


def decisions() -> Decisions:
    value = st.session_state.get(KEY)
    return value if isinstance(value, Decisions) else Decisions()


def store(value: Decisions) -> None:
    st.session_state[KEY] = value


def partitionable(catalog: Catalog) -> list[Table]:
    return [t for t in catalog.stored_tables if t.kind == "table" and not t.inherits]


def valid_columns(table: Table, strategy: str) -> list[str]:
    """Columns a strategy can use: time columns for range, small-domain columns for list, any for hash."""
    if strategy == "range":
        return [c.name for c in table.columns if c.type in TIME_TYPES and not c.generated]
    if strategy == "list":
        return [c.name for c in table.columns if c.category in ("S", "E", "N", "B") and not c.is_array and not c.generated]
    return [c.name for c in table.columns if not c.generated and not c.is_array and "json" not in c.type]


def enum_labels(catalog: Catalog, type_name: str) -> tuple[str, ...]:
    short = type_name.split(".")[-1].strip('"')
    for e in catalog.enums:
        if e.name == short or f"{e.schema}.{e.name}" == type_name:
            return e.labels
    return ()
