"""Tables several blueprints lean on: built in when the design has no table to attach to.

A design that already has a tenant table, users or currencies attaches to them instead
(`attach = { tenant = "public.tenants" }`); a blueprint on its own brings these.
"""

from __future__ import annotations

from collections.abc import Callable

from studio.blueprints.builder import Builder, Ref, col, unique


def tenants(b: Builder) -> Ref:
    return b.table(
        "tenants",
        "The customers of the platform: every tenant-scoped row names one of these.",
        [
            col("id", "bigint GENERATED ALWAYS AS IDENTITY"),
            col("slug", "text", comment="Stable public identifier used in URLs and API keys."),
            col("name", "text"),
            col("created_at", "timestamptz", default="now()"),
        ],
        tenant=False,
        uniques=[unique("slug")],
        checks=["slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'"],
    )


def users(b: Builder) -> Ref:
    return b.table(
        "users",
        "People who act in the application; email is unique within a tenant, not across tenants.",
        [
            col("id", "bigint GENERATED ALWAYS AS IDENTITY"),
            col("email", "text"),
            col("display_name", "text"),
            col("created_at", "timestamptz", default="now()"),
        ],
        uniques=[unique("email")],
        checks=["email ~ '^[^@[:space:]]+@[^@[:space:]]+$'"],
    )


def currencies(b: Builder) -> Ref:
    return b.table(
        "currencies",
        "ISO 4217 currencies. Every money amount in the design sits beside a currency code that references this table.",
        [
            col("code", "character(3)", comment="ISO 4217 alphabetic code: fixed length by definition, so char(3) is right here."),
            col("name", "text"),
            col("minor_units", "smallint", comment="Digits after the decimal point (2 for EUR, 0 for JPY)."),
        ],
        tenant=False,
        pk=("code",),
        checks=["code ~ '^[A-Z]{3}$'", "minor_units BETWEEN 0 AND 4"],
        key_type="character(3)",
    )


def parts(b: Builder) -> Ref:
    return b.table(
        "parts",
        "Spare parts a procedure or a price list names; the part number is unique within a tenant.",
        [
            col("id", "bigint GENERATED ALWAYS AS IDENTITY"),
            col("part_number", "text"),
            col("name", "text"),
            col("created_at", "timestamptz", default="now()"),
        ],
        uniques=[unique("part_number")],
    )


def equipment(b: Builder) -> Ref:
    return b.table(
        "equipment",
        "The machines and vehicles a tenant services; the serial number is unique within a tenant.",
        [
            col("id", "bigint GENERATED ALWAYS AS IDENTITY"),
            col("serial_number", "text"),
            col("created_at", "timestamptz", default="now()"),
        ],
        uniques=[unique("serial_number")],
    )


def trouble_codes(b: Builder) -> Ref:
    return b.table(
        "trouble_codes",
        "Trouble-code definitions (SAE J2012 / ISO 15031-6 style): what a code is, kept apart from when it occurred. "
        "Shared reference data, not tenant data.",
        [
            col("id", "bigint GENERATED ALWAYS AS IDENTITY"),
            col("code", "text", comment="The code as a tool reports it (P0301). Manufacturer-specific codes carry their prefix."),
            col("system", "text", comment="Powertrain, chassis, body or network (the code's first letter)."),
            col("title", "text"),
            col("created_at", "timestamptz", default="now()"),
        ],
        tenant=False,
        uniques=[unique("code")],
        checks=["code ~ '^[A-Z0-9][A-Z0-9-]{2,15}$'", "system IN ('powertrain', 'chassis', 'body', 'network')"],
    )


STUBS: dict[str, Callable[[Builder], Ref]] = {
    "tenant": tenants,
    "users": users,
    "currencies": currencies,
    "parts": parts,
    "equipment": equipment,
    "trouble_codes": trouble_codes,
}

# The table a stub creates (before a rename), to report collisions.
STUB_TABLES = {
    "tenant": "tenants",
    "users": "users",
    "currencies": "currencies",
    "parts": "parts",
    "equipment": "equipment",
    "trouble_codes": "trouble_codes",
}
