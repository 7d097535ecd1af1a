"""cost-tracking: currencies, regional price lists without overlaps, exchange rates, cost at a date."""

from __future__ import annotations

from studio.blueprints.builder import Builder, Exclusion, col, fk, unique
from studio.sql import ident, qualified

NAME = "cost-tracking"
DEFAULT_SCHEMA = "costs"
NEEDS = ("tenant", "currencies", "parts")
PROVIDES = {"price_lists": "price_lists"}
DESCRIPTION = (
    "Currencies, regional price lists with validity ranges that never overlap, prices per part, exchange-rate "
    "history, money as numeric beside a currency code, and a function that answers a part's cost at a given date."
)
TRADEOFFS = (
    "Money is numeric(14,4) with a char(3) currency code referencing currencies: exact decimal arithmetic, and an "
    "amount is never read without its currency. float and money types are avoided (rounding; locale-dependent).",
    "Price lists of one region must not overlap in time. region is text, so the exclusion compares "
    "int4range(hashtext(region), hashtext(region), '[]'): plain PostgreSQL has no gist operator class for text "
    "without btree_gist. Two different regions with the same hash would also be kept apart (a false rejection, "
    "astronomically rare); never a false acceptance.",
    "Prices are rows with validity ranges, never updated in place, so historical costs stay answerable "
    "(price_at(part, region, at)).",
    "Exchange rates are a history keyed by (base, quote, day): conversion at a past date reads that day's rate.",
)


def build(b: Builder) -> None:
    b.table(
        "price_lists",
        "A region's prices in one currency over a validity range; ranges of one region never overlap.",
        [
            col("id", "bigint GENERATED ALWAYS AS IDENTITY"),
            col("region", "text", comment="Sales region (ISO 3166 code or an internal region name)."),
            col("currency_code", "character(3)", comment="Currency of every price on this list."),
            col("valid_during", "daterange"),
            col("created_at", "timestamptz", default="now()"),
        ],
        checks=["NOT isempty(valid_during)"],
        fks=[fk("currency_code", "currencies")],
        exclusions=[
            Exclusion(
                "valid_during",
                ("int4range(hashtext(region), hashtext(region), '[]') WITH =", "valid_during WITH &&"),
                "No two price lists of one region overlap in time. region is text and plain PostgreSQL has no gist "
                "operator class for text (btree_gist adds one), so it is compared through hashtext() as a one-point "
                "int4range; a hash collision between two regions could only reject, never admit, an overlap.",
            )
        ],
        indexes=[("region",)],
    )
    b.table(
        "part_prices",
        "The price of one part on one price list; the list's currency applies.",
        [
            col("id", "bigint GENERATED ALWAYS AS IDENTITY"),
            col("price_list_id", "bigint"),
            col("part_id", "bigint"),
            col("unit_cost", "numeric(14,4)", comment="What the part costs the tenant, in the list's currency."),
            col("unit_price", "numeric(14,4)", comment="What the customer pays, in the list's currency."),
        ],
        uniques=[unique("price_list_id", "part_id")],
        checks=["unit_cost >= 0", "unit_price >= 0"],
        fks=[fk("price_list_id", "price_lists", on_delete="CASCADE"), fk("part_id", "parts")],
    )
    b.table(
        "exchange_rates",
        "Daily exchange-rate history: one unit of base_currency costs rate units of quote_currency on rate_date.",
        [
            col("id", "bigint GENERATED ALWAYS AS IDENTITY"),
            col("base_currency", "character(3)"),
            col("quote_currency", "character(3)"),
            col("rate_date", "date"),
            col("rate", "numeric(20,10)"),
            col("source", "text", comment="Where the rate came from (ECB, bank feed, manual)."),
        ],
        tenant=False,
        uniques=[unique("base_currency", "quote_currency", "rate_date")],
        checks=["rate > 0", "base_currency <> quote_currency"],
        fks=[fk("base_currency", "currencies"), fk("quote_currency", "currencies")],
        indexes=[("quote_currency",)],
    )
    lists, prices = b.q("price_lists"), b.q("part_prices")
    tenant_join = f" AND l.{ident(b.tc)} = p.{ident(b.tc)}" if b.rls else ""
    function = qualified(b.options.schema, "price_at")
    b.raw(
        f"""CREATE FUNCTION {function}(p_part_id bigint, p_region text, p_at date)
RETURNS TABLE (unit_cost numeric, unit_price numeric, currency_code character(3))
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT p.unit_cost, p.unit_price, l.currency_code
    FROM {prices} p JOIN {lists} l ON l.id = p.price_list_id{tenant_join}
    WHERE p.part_id = p_part_id AND l.region = p_region AND l.valid_during @> p_at;
END;"""
    )
    b.raw(
        f"COMMENT ON FUNCTION {function}(bigint, text, date) IS "
        "'Historical cost lookup: the part''s cost and price in the region''s price list valid on that date.';"
    )
