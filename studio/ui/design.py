"""Design page helpers: valid column choices per partition strategy, decisions in session state,
the Workload page's partitioning advice, and the blueprints in the design."""

from __future__ import annotations

import dataclasses

import streamlit as st

from studio import blueprints
from studio.catalog import Catalog, Table
from studio.design.blueprints import blueprint_tenancy
from studio.design.decisions import TIME_TYPES, BlueprintUse, Decisions
from studio.design.scope import tenant_scope
from studio.design.tenancy import TEMPLATE_SCHEMA
from studio.errors import ConfigError

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


# Partitioning advice from the Workload page -------------------------------------------------------

ADVICE_KEY = "partition_advice"  # set by the Workload page: PartitionAdvice of tables past the threshold


def pending_advice(catalog: Catalog, current: Decisions) -> list:
    """Workload advice the design can take (a partitionable table, a valid column) and has not taken."""
    tables = {t.qualified: t for t in partitionable(catalog)}
    taken = {(p.table, p.strategy, p.column) for p in current.partitions}
    return [
        a for a in st.session_state.get(ADVICE_KEY) or ()
        if a.table in tables and a.column in valid_columns(tables[a.table], a.strategy)
        and (a.table, a.strategy, a.column) not in taken
    ]


def take_advice(current: Decisions, advice) -> Decisions:
    """The decisions with the advice's partitioning in place of any earlier choice for that table."""
    others = tuple(p for p in current.partitions if p.table != advice.table)
    return dataclasses.replace(current, partitions=(*others, advice.decision()))


# Blueprints ------------------------------------------------------------------------------------


def blueprint_label(index: int, use: BlueprintUse) -> str:
    schema = dict(use.options).get("schema")
    return f"{index + 1}. {use.name}" + (f" ({schema})" if schema else "")


def keep_blueprints(current: Decisions, kept: list[str]) -> Decisions:
    uses = tuple(u for i, u in enumerate(current.blueprints) if blueprint_label(i, u) in kept)
    return dataclasses.replace(current, blueprints=uses)


def gallery_tenancy(catalog: Catalog, current: Decisions) -> str:
    """The blueprint tenancy the design implies: the gallery's default."""
    column = current.tenancy.tenant_column
    if current.tenancy.model is None:
        return "rls" if any(t.column(column) is not None for t in catalog.stored_tables) else "none"
    try:
        scope = tenant_scope(catalog, current.tenancy)
    except ConfigError:
        return "none"
    return blueprint_tenancy(current.tenancy.model, catalog, scope, column, lambda name: name) or "none"


def gallery_schema(current: Decisions) -> str | None:
    """Schema-per-tenant puts blueprints in the template (each tenant gets a copy); otherwise their own schema."""
    return TEMPLATE_SCHEMA if current.tenancy.model == "schema-per-tenant" else None


def follow_gallery_defaults(tenancy: str, schema: str | None) -> None:
    """The gallery's tenancy and schema fields keep their value once drawn (a default passed later
    is ignored); when the design's tenancy model changes their defaults, set them through session
    state, the one way a drawn widget takes a new value."""
    defaults = (tenancy, schema)
    if st.session_state.get("design.gallery_defaults") not in (None, defaults):
        for info in blueprints.list_blueprints():
            st.session_state[f"blueprint.{info.name}.tenancy"] = tenancy
            st.session_state[f"blueprint.{info.name}.schema"] = schema or info.default_schema
    st.session_state["design.gallery_defaults"] = defaults
