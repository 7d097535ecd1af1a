"""monetization: plans and limits, subscriptions with status history, usage events and rollups, API keys."""

from __future__ import annotations

from studio.blueprints.builder import Builder, Exclusion, col, fk, unique

NAME = "monetization"
DEFAULT_SCHEMA = "monetization"
NEEDS = ("tenant", "users", "currencies")
PROVIDES = {"subscriptions": "subscriptions"}
DESCRIPTION = (
    "Plans with prices and feature limits, subscriptions with billing periods and a status history, usage events "
    "partitioned by month and their rollups, API keys stored only as hashes, and token-bucket rate limits per key."
)
TRADEOFFS = (
    "Plans and limits are shared catalogue data; subscriptions, usage and keys are tenant data.",
    "Status changes are appended to subscription_status_history as well as set on the subscription: the current "
    "state stays one read away and the history answers churn and dunning questions.",
    "Usage events are range-partitioned by month and rolled up per period: raw events can be dropped a month at a "
    "time once rolled up, and invoices read the small rollup table.",
    "API keys are stored as a SHA-256 hash (bytea, 32 bytes) plus a short display prefix; the secret itself is shown "
    "once and never stored, so a database leak does not leak working keys. A key is looked up within its tenant, "
    "whose id the presented key carries.",
    "Rate limits are token buckets updated in place (one row per key): cheap to check, but a hot key's row is a "
    "write hotspot; move buckets to Redis when one key does thousands of requests per second.",
)


def build(b: Builder) -> None:
    _plans(b)
    _subscriptions(b)
    _api_access(b)
    _usage(b)


def _plans(b: Builder) -> None:
    b.table(
        "plans",
        "What a tenant can subscribe to, at a price per billing interval.",
        [
            col("id", "bigint GENERATED ALWAYS AS IDENTITY"),
            col("code", "text"),
            col("name", "text"),
            col("price_amount", "numeric(14,4)", comment="Price per billing interval, in currency_code."),
            col("currency_code", "character(3)"),
            col("billing_interval", "text"),
            col("retired_at", "timestamptz", null=True),
        ],
        tenant=False,
        uniques=[unique("code")],
        checks=["price_amount >= 0", "billing_interval IN ('month', 'year')"],
        fks=[fk("currency_code", "currencies")],
    )
    b.table(
        "plan_limits",
        "A plan's limit on one metered feature; limit_value NULL means unlimited.",
        [
            col("plan_id", "bigint"),
            col("feature", "text", comment="The metered feature (api_calls, seats, diagnostic_sessions)."),
            col("limit_value", "bigint", null=True),
        ],
        tenant=False,
        pk=("plan_id", "feature"),
        checks=["limit_value >= 0", "feature ~ '^[a-z][a-z0-9_]*$'"],
        fks=[fk("plan_id", "plans", on_delete="CASCADE")],
        key=("plan_id", "feature"),
    )


def _subscriptions(b: Builder) -> None:
    b.table(
        "subscriptions",
        "A subscription to a plan; current_period is the billing period in progress.",
        [
            col("id", "bigint GENERATED ALWAYS AS IDENTITY"),
            col("plan_id", "bigint"),
            col("owner_id", "bigint", comment="The user who subscribed and receives invoices."),
            col("status", "text", default="'trialing'"),
            col("current_period", "tstzrange"),
            col("started_at", "timestamptz", default="now()"),
            col("ended_at", "timestamptz", null=True),
        ],
        checks=[
            "status IN ('trialing', 'active', 'past_due', 'cancelled', 'expired')",
            "NOT isempty(current_period)",
            "ended_at IS NULL OR ended_at >= started_at",
        ],
        fks=[fk("plan_id", "plans"), fk("owner_id", "users")],
    )
    b.table(
        "subscription_status_history",
        "Every status a subscription went through, appended on each change.",
        [
            col("id", "bigint GENERATED ALWAYS AS IDENTITY"),
            col("subscription_id", "bigint"),
            col("status", "text"),
            col("changed_at", "timestamptz", default="now()"),
            col("reason", "text", null=True),
        ],
        checks=["status IN ('trialing', 'active', 'past_due', 'cancelled', 'expired')"],
        fks=[fk("subscription_id", "subscriptions", on_delete="CASCADE")],
        indexes=[("subscription_id", "changed_at")],
    )


def _api_access(b: Builder) -> None:
    b.table(
        "api_keys",
        "API credentials. Only a SHA-256 hash of the secret is stored.",
        [
            col("id", "bigint GENERATED ALWAYS AS IDENTITY"),
            col("owner_id", "bigint"),
            col("label", "text"),
            col("display_prefix", "text", comment="First characters of the key, shown in the UI to tell keys apart."),
            col("secret_hash", "bytea", comment="sha256(secret); the secret itself is never stored."),
            col("created_at", "timestamptz", default="now()"),
            col("last_used_at", "timestamptz", null=True),
            col("revoked_at", "timestamptz", null=True),
        ],
        uniques=[unique("secret_hash")],
        checks=["octet_length(secret_hash) = 32", "length(display_prefix) BETWEEN 4 AND 12"],
        fks=[fk("owner_id", "users")],
    )
    b.table(
        "rate_limit_buckets",
        "Token bucket per API key: tokens refill at refill_per_second up to capacity; a request takes one.",
        [
            col("api_key_id", "bigint"),
            col("capacity", "integer"),
            col("tokens", "numeric(12,3)"),
            col("refill_per_second", "numeric(12,3)"),
            col("refilled_at", "timestamptz", default="now()"),
        ],
        pk=("api_key_id",),
        checks=["capacity > 0", "tokens >= 0 AND tokens <= capacity", "refill_per_second > 0"],
        fks=[fk("api_key_id", "api_keys", on_delete="CASCADE")],
        key=("api_key_id",),
    )


def _usage(b: Builder) -> None:
    b.table(
        "usage_events",
        "Metered usage, one row per event; range-partitioned by month with a default partition for stragglers.",
        [
            col("id", "bigint GENERATED ALWAYS AS IDENTITY"),
            col("occurred_at", "timestamptz"),
            col("subscription_id", "bigint"),
            col("api_key_id", "bigint", null=True),
            col("feature", "text"),
            col("quantity", "bigint", default="1"),
        ],
        pk=("id", "occurred_at"),
        checks=["quantity > 0"],
        fks=[fk("subscription_id", "subscriptions"), fk("api_key_id", "api_keys")],
        partition_by="occurred_at",
    )
    b.table(
        "usage_rollups",
        "Usage summed per subscription, feature and billing period: what invoices and limit checks read.",
        [
            col("id", "bigint GENERATED ALWAYS AS IDENTITY"),
            col("subscription_id", "bigint"),
            col("feature", "text"),
            col("period", "tstzrange"),
            col("quantity", "bigint"),
            col("rolled_up_at", "timestamptz", default="now()"),
        ],
        checks=["quantity >= 0", "NOT isempty(period)"],
        fks=[fk("subscription_id", "subscriptions", on_delete="CASCADE")],
        exclusions=[
            Exclusion(
                "period",
                (
                    "int8range(subscription_id, subscription_id, '[]') WITH =",
                    "int4range(hashtext(feature), hashtext(feature), '[]') WITH =",
                    "period WITH &&",
                ),
                "One rollup per subscription, feature and moment: overlapping periods would count usage twice. "
                "Scalars are compared as one-point ranges (no btree_gist on plain PostgreSQL); feature through "
                "hashtext(), where a collision could only reject, never admit, an overlap.",
            )
        ],
    )
