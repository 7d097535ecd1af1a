"""equipment-hierarchy: a type tree, manufacturers and models, and equipment with table-per-subtype details."""

from __future__ import annotations

from studio.blueprints.builder import Builder, col, fk, unique

NAME = "equipment-hierarchy"
DEFAULT_SCHEMA = "equipment"
NEEDS = ("tenant",)
PROVIDES = {"equipment": "equipment"}
DESCRIPTION = (
    "An equipment type tree, manufacturers and their models, and the equipment a tenant services, with "
    "subtype-specific attributes (vehicles, machines) in their own tables sharing the equipment's primary key."
)
TRADEOFFS = (
    "Table-per-subtype instead of entity-attribute-value: every attribute has a real type, NOT NULL and CHECKs, "
    "at the cost of one table (and one migration) per new subtype.",
    "The subtype tables use the equipment's own key as theirs, so a unit has at most one row of details per subtype; "
    "`kind` on the parent says which one applies.",
    "Serial numbers are unique per tenant and model, VINs per tenant: two tenants may service the same vehicle.",
    "Types, manufacturers and models are shared reference data without a tenant column; only units are tenant data.",
)


def build(b: Builder) -> None:
    _catalogue(b)
    _equipment(b)
    _subtypes(b)


def _catalogue(b: Builder) -> None:
    b.table(
        "equipment_types",
        "A tree of equipment types (vehicle > truck > tractor unit); parent_id NULL marks a root.",
        [
            col("id", "bigint GENERATED ALWAYS AS IDENTITY"),
            col("parent_id", "bigint", null=True),
            col("code", "text"),
            col("name", "text"),
        ],
        tenant=False,
        uniques=[unique("code")],
        checks=["parent_id IS DISTINCT FROM id"],
        fks=[fk("parent_id", "equipment_types")],
    )
    b.table(
        "manufacturers",
        "Equipment makers.",
        [col("id", "bigint GENERATED ALWAYS AS IDENTITY"), col("code", "text"), col("name", "text")],
        tenant=False,
        uniques=[unique("code")],
    )
    b.table(
        "equipment_models",
        "A manufacturer's model of one equipment type; its name is unique per manufacturer.",
        [
            col("id", "bigint GENERATED ALWAYS AS IDENTITY"),
            col("manufacturer_id", "bigint"),
            col("equipment_type_id", "bigint"),
            col("name", "text"),
            col("introduced_on", "date", null=True),
        ],
        tenant=False,
        uniques=[unique("manufacturer_id", "name")],
        fks=[fk("manufacturer_id", "manufacturers"), fk("equipment_type_id", "equipment_types")],
    )


def _equipment(b: Builder) -> None:
    b.table(
        "equipment",
        "One serviced unit. `kind` names the subtype table holding its specific attributes.",
        [
            col("id", "bigint GENERATED ALWAYS AS IDENTITY"),
            col("equipment_model_id", "bigint"),
            col("kind", "text", comment="Which subtype table holds this unit's details."),
            col("serial_number", "text", comment="Unique per tenant and model: serials repeat across manufacturers."),
            col("commissioned_on", "date", null=True),
            col("created_at", "timestamptz", default="now()"),
        ],
        uniques=[unique("equipment_model_id", "serial_number")],
        checks=["kind IN ('vehicle', 'machine')"],
        fks=[fk("equipment_model_id", "equipment_models")],
    )


def _subtypes(b: Builder) -> None:
    b.table(
        "vehicles",
        "Vehicle-specific details of an equipment unit (table-per-subtype: shares the unit's primary key).",
        [
            col("equipment_id", "bigint"),
            col("vin", "text", comment="ISO 3779 vehicle identification number: 17 characters, no I, O or Q."),
            col("model_year", "smallint"),
            col("odometer_km", "integer", null=True),
        ],
        pk=("equipment_id",),
        uniques=[unique("vin")],
        checks=[
            "vin ~ '^[A-HJ-NPR-Z0-9]{17}$'",
            "model_year BETWEEN 1900 AND 2100",
            "odometer_km >= 0",
        ],
        fks=[fk("equipment_id", "equipment", on_delete="CASCADE")],
        key=("equipment_id",),
    )
    b.table(
        "machines",
        "Stationary or off-road machine details of an equipment unit (table-per-subtype).",
        [
            col("equipment_id", "bigint"),
            col("operating_hours", "numeric(10,1)", default="0"),
            col("rated_power_kw", "numeric(8,2)", null=True),
        ],
        pk=("equipment_id",),
        checks=["operating_hours >= 0", "rated_power_kw > 0"],
        fks=[fk("equipment_id", "equipment", on_delete="CASCADE")],
        key=("equipment_id",),
    )
