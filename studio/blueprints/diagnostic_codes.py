"""diagnostic-codes: code definitions, versioned interpretations, and occurrences partitioned by time."""

from __future__ import annotations

from studio.blueprints.builder import Builder, Exclusion, col, fk, unique

NAME = "diagnostic-codes"
DEFAULT_SCHEMA = "diagnostics"
NEEDS = ("tenant", "equipment", "trouble_codes")
PROVIDES = {"trouble_codes": "trouble_codes"}
DESCRIPTION = (
    "Trouble-code definitions kept apart from their occurrences; versioned interpretations of each code with "
    "effective dating (never two valid at once); occurrences range-partitioned by month with freeze-frame data as jsonb."
)
TRADEOFFS = (
    "Interpretations are versioned rows with a validity range instead of updates in place, so a report from March "
    "reads the March interpretation; an exclusion constraint keeps the ranges of one code from overlapping.",
    "The exclusion compares the code id as a one-point int8range (`int8range(id, id, '[]') WITH =`): plain "
    "PostgreSQL has gist operator classes for ranges but not for bigint, and btree_gist is not always installable.",
    "Occurrences are range-partitioned by month: old months detach or drop in O(1) and recent ones stay small, "
    "but the primary key must include occurred_at and a unique key cannot span partitions.",
    "Freeze-frame data is jsonb: its fields vary by code and tool; query it with GIN or expression indexes when needed.",
)


def build(b: Builder) -> None:
    b.table(
        "code_interpretations",
        "What a trouble code means, version by version; each version is valid over a time range.",
        [
            col("id", "bigint GENERATED ALWAYS AS IDENTITY"),
            col("trouble_code_id", "bigint"),
            col("version", "integer"),
            col("valid_during", "tstzrange", comment="When this interpretation applies; ranges of one code never overlap."),
            col("description", "text"),
            col("probable_causes", "text", null=True),
            col("created_at", "timestamptz", default="now()"),
        ],
        tenant=False,
        uniques=[unique("trouble_code_id", "version")],
        checks=["version > 0", "NOT isempty(valid_during)"],
        fks=[fk("trouble_code_id", "trouble_codes")],
        exclusions=[
            Exclusion(
                "valid_during",
                ("int8range(trouble_code_id, trouble_code_id, '[]') WITH =", "valid_during WITH &&"),
                "No two interpretations of one code are valid at the same moment. The code id is wrapped in a "
                "one-point int8range because plain PostgreSQL has no gist operator class for bigint (that needs "
                "btree_gist); range equality on [id,id] is the same test as id equality.",
            )
        ],
    )
    b.table(
        "code_occurrences",
        "Each time a trouble code was read from a unit. Range-partitioned by occurred_at (monthly, plus a default "
        "partition that catches rows outside the prepared months).",
        [
            col("id", "bigint GENERATED ALWAYS AS IDENTITY"),
            col("occurred_at", "timestamptz"),
            col("equipment_id", "bigint"),
            col("trouble_code_id", "bigint"),
            col("status", "text", default="'active'"),
            col("freeze_frame", "jsonb", null=True, comment="Sensor snapshot captured with the code; shape varies by code and tool."),
            col("recorded_at", "timestamptz", default="now()"),
        ],
        pk=("id", "occurred_at"),
        checks=["status IN ('pending', 'active', 'cleared')", "jsonb_typeof(freeze_frame) = 'object'"],
        fks=[fk("equipment_id", "equipment"), fk("trouble_code_id", "trouble_codes")],
        partition_by="occurred_at",
    )
