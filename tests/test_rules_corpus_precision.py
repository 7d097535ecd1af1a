"""Exact findings of the normalization, type, tenancy and security rules on the real-world corpus.

Every entry below was checked by reading the schema file (see the notes per file). A new finding or a
missing one fails the test: precision matters as much as recall. `timestamp-without-time-zone` is
counted rather than listed (lago's Rails schema has hundreds of `timestamp(6)` columns, all true).
"""

from __future__ import annotations

import pytest

from analyzers.engine import AnalysisConfig, analyze
from analyzers.families import all_rules
from tests.conftest import corpus_file

FAMILIES = ("analyzers.normalization", "analyzers.types", "analyzers.tenancy", "analyzers.security")
MINE = frozenset(r.id for r in all_rules().values() if r.check.__module__ in FAMILIES)
TIMESTAMPS = "timestamp-without-time-zone"


# pagila: serial keys everywhere, language.name is character(20), rewards_report is SECURITY DEFINER
# with no search_path. No tenant column: every tenancy rule is silent. timestamps are all timestamptz.
PAGILA_SCHEMA = [
    ("security-definer-search-path", "public.rewards_report", (), "error"),
    ("serial-instead-of-identity", "public.actor", ("actor_id",), "info"),
    ("serial-instead-of-identity", "public.address", ("address_id",), "info"),
    ("serial-instead-of-identity", "public.category", ("category_id",), "info"),
    ("serial-instead-of-identity", "public.city", ("city_id",), "info"),
    ("serial-instead-of-identity", "public.country", ("country_id",), "info"),
    ("serial-instead-of-identity", "public.customer", ("customer_id",), "info"),
    ("serial-instead-of-identity", "public.film", ("film_id",), "info"),
    ("serial-instead-of-identity", "public.inventory", ("inventory_id",), "info"),
    ("char-n-type", "public.language", ("name",), "info"),
    ("serial-instead-of-identity", "public.language", ("language_id",), "info"),
    ("serial-instead-of-identity", "public.payment", ("payment_id",), "info"),
    ("serial-instead-of-identity", "public.rental", ("rental_id",), "info"),
    ("serial-instead-of-identity", "public.staff", ("staff_id",), "info"),
    ("serial-instead-of-identity", "public.store", ("store_id",), "info"),
]

# chinook: varchar(n) names, titles and addresses; state is an address region, so not a status column.
# Three timestamp columns (birth_date, hire_date, invoice_date).
CHINOOK_POSTGRESQL = [
    ("char-n-type", "public.album", ("title",), "info"),
    ("char-n-type", "public.artist", ("name",), "info"),
    ("char-n-type", "public.customer", ("address",), "info"),
    ("char-n-type", "public.customer", ("first_name",), "info"),
    ("char-n-type", "public.customer", ("last_name",), "info"),
    ("char-n-type", "public.employee", ("address",), "info"),
    ("char-n-type", "public.employee", ("first_name",), "info"),
    ("char-n-type", "public.employee", ("last_name",), "info"),
    ("char-n-type", "public.employee", ("title",), "info"),
    ("char-n-type", "public.genre", ("name",), "info"),
    ("char-n-type", "public.invoice", ("billing_address",), "info"),
    ("char-n-type", "public.media_type", ("name",), "info"),
    ("char-n-type", "public.playlist", ("name",), "info"),
    ("char-n-type", "public.track", ("name",), "info"),
]

# graphile-starter: RLS on 11 tables, none forced; app_private tables and organization_invitations are
# locked down on purpose (no policy, read through SECURITY DEFINER functions) so info; users.select_all is
# a public read (info); organizations and memberships OR two SELECT policies. Every SECURITY DEFINER
# function pins search_path, so security is silent.
GRAPHILE_STARTER_SCHEMA = [
    ("json-instead-of-jsonb", "app_private.connect_pg_simple_sessions", ("sess",), "info"),
    ("rls-enabled-without-policy", "app_private.connect_pg_simple_sessions", (), "info"),
    ("rls-not-forced", "app_private.connect_pg_simple_sessions", (), "info"),
    ("rls-enabled-without-policy", "app_private.sessions", (), "info"),
    ("rls-not-forced", "app_private.sessions", (), "info"),
    ("rls-enabled-without-policy", "app_private.user_authentication_secrets", (), "info"),
    ("rls-not-forced", "app_private.user_authentication_secrets", (), "info"),
    ("rls-enabled-without-policy", "app_private.user_email_secrets", (), "info"),
    ("rls-not-forced", "app_private.user_email_secrets", (), "info"),
    ("rls-enabled-without-policy", "app_private.user_secrets", (), "info"),
    ("rls-not-forced", "app_private.user_secrets", (), "info"),
    ("rls-enabled-without-policy", "app_public.organization_invitations", (), "info"),
    ("rls-not-forced", "app_public.organization_invitations", (), "info"),
    ("multiple-permissive-policies", "app_public.organization_memberships", (), "info"),
    ("rls-not-forced", "app_public.organization_memberships", (), "info"),
    ("multiple-permissive-policies", "app_public.organizations", (), "info"),
    ("rls-not-forced", "app_public.organizations", (), "info"),
    ("rls-not-forced", "app_public.user_authentications", (), "info"),
    ("rls-not-forced", "app_public.user_emails", (), "info"),
    ("rls-not-forced", "app_public.users", (), "info"),
    ("rls-policy-always-true", "app_public.users", (), "info"),
]

# coder: enums for most statuses; key/value tables named as parameters, tags, metadata, configs (info);
# audit_logs.resource_type + resource_id is polymorphic; keyword column names (time, group, primary, interval).
CODER_DUMP = [
    ("polymorphic-association", "public.audit_logs", ("resource_type", "resource_id"), "warning"),
    ("identifier-hazard", "public.audit_logs", ("time",), "info"),
    ("serial-instead-of-identity", "public.licenses", ("id",), "info"),
    ("identifier-hazard", "public.notification_templates", ("group",), "info"),
    ("char-n-type", "public.oauth2_provider_apps", ("name",), "info"),
    ("char-n-type", "public.parameter_schemas", ("description",), "info"),
    ("char-n-type", "public.parameter_schemas", ("name",), "info"),
    ("char-n-type", "public.parameter_values", ("name",), "info"),
    ("char-n-type", "public.provisioner_daemons", ("name",), "info"),
    ("serial-instead-of-identity", "public.provisioner_job_logs", ("id",), "info"),
    ("char-n-type", "public.provisioner_keys", ("name",), "info"),
    ("identifier-hazard", "public.replicas", ("primary",), "info"),
    ("status-without-constraint", "public.template_version_parameters", ("type",), "info"),
    (
        "entity-attribute-value",
        "public.template_version_preset_parameters",
        ("template_version_preset_id", "name", "value"),
        "info",
    ),
    ("status-without-constraint", "public.template_version_variables", ("type",), "info"),
    (
        "entity-attribute-value",
        "public.template_version_workspace_tags",
        ("template_version_id", "key", "value"),
        "info",
    ),
    ("char-n-type", "public.template_versions", ("name",), "info"),
    ("char-n-type", "public.templates", ("description",), "info"),
    ("char-n-type", "public.templates", ("display_name",), "info"),
    ("char-n-type", "public.templates", ("name",), "info"),
    ("entity-attribute-value", "public.user_configs", ("user_id", "key", "value"), "info"),
    ("char-n-type", "public.workspace_agent_log_sources", ("display_name",), "info"),
    ("serial-instead-of-identity", "public.workspace_agent_logs", ("id",), "info"),
    ("char-n-type", "public.workspace_agent_metadata", ("display_name",), "info"),
    ("identifier-hazard", "public.workspace_agent_metadata", ("interval",), "info"),
    ("char-n-type", "public.workspace_agents", ("name",), "info"),
    ("serial-instead-of-identity", "public.workspace_app_stats", ("id",), "info"),
    ("char-n-type", "public.workspace_apps", ("display_name",), "info"),
    (
        "entity-attribute-value",
        "public.workspace_build_parameters",
        ("workspace_build_id", "name", "value"),
        "info",
    ),
    ("serial-instead-of-identity", "public.workspace_proxies", ("region_id",), "info"),
    (
        "entity-attribute-value",
        "public.workspace_resource_metadata",
        ("workspace_resource_id", "key", "value"),
        "info",
    ),
    ("serial-instead-of-identity", "public.workspace_resource_metadata", ("id",), "info"),
    ("char-n-type", "public.workspace_resources", ("name",), "info"),
    ("status-without-constraint", "public.workspace_resources", ("type",), "info"),
    ("char-n-type", "public.workspaces", ("name",), "info"),
]

# lago: Rails polymorphic *_type/*_id pairs; *_taxes tables snapshot tax code/name/rate (info); tax_rate is a
# ratio, not money; soft-deleted tables with full unique keys; no tenant_id (organization_id), so RLS rules are silent.
LAGO_API_STRUCTURE = [
    ("polymorphic-association", "public.active_storage_attachments", ("record_type", "record_id"), "warning"),
    (
        "polymorphic-association",
        "public.applied_pricing_units",
        ("pricing_unitable_type", "pricing_unitable_id"),
        "warning",
    ),
    ("polymorphic-association", "public.billing_object_connections", ("owner_type", "owner_id"), "warning"),
    ("polymorphic-association", "public.error_details", ("owner_type", "owner_id"), "warning"),
    (
        "soft-delete-full-unique",
        "public.events",
        ("organization_id", "transaction_id", "external_subscription_id"),
        "warning",
    ),
    ("polymorphic-association", "public.fees", ("invoiceable_type", "invoiceable_id"), "warning"),
    ("soft-delete-full-unique", "public.group_properties", ("charge_id", "group_id"), "warning"),
    ("entity-attribute-value", "public.groups", ("billable_metric_id", "key", "value"), "warning"),
    ("polymorphic-association", "public.idempotency_records", ("resource_id", "resource_type"), "warning"),
    ("polymorphic-association", "public.integration_mappings", ("mappable_type", "mappable_id"), "warning"),
    ("polymorphic-association", "public.integration_resources", ("syncable_type", "syncable_id"), "warning"),
    ("polymorphic-association", "public.item_metadata", ("owner_type", "owner_id"), "warning"),
    ("soft-delete-full-unique", "public.lifetime_usages", ("subscription_id",), "warning"),
    (
        "polymorphic-association",
        "public.payment_methods",
        ("provider_method_id", "provider_method_type"),
        "warning",
    ),
    ("polymorphic-association", "public.payments", ("payable_type", "payable_id"), "warning"),
    ("polymorphic-association", "public.refunds", ("refundable_type", "refundable_id"), "warning"),
    ("polymorphic-association", "public.versions", ("item_type", "item_id"), "warning"),
    ("polymorphic-association", "public.webhooks", ("object_id", "object_type"), "warning"),
    ("identifier-hazard", "partman.template_public_enriched_events", ("timestamp",), "info"),
    ("identifier-hazard", "public.billable_metric_filters", ("values",), "info"),
    ("identifier-hazard", "public.cached_aggregations", ("timestamp",), "info"),
    ("identifier-hazard", "public.charge_filter_values", ("values",), "info"),
    ("denormalized-column", "public.credit_notes_taxes", ("tax_code",), "info"),
    ("denormalized-column", "public.credit_notes_taxes", ("tax_description",), "info"),
    ("denormalized-column", "public.credit_notes_taxes", ("tax_name",), "info"),
    ("denormalized-column", "public.credit_notes_taxes", ("tax_rate",), "info"),
    ("entity-attribute-value", "public.customer_metadata", ("customer_id", "key", "value"), "info"),
    ("identifier-hazard", "public.enriched_events", ("timestamp",), "info"),
    ("identifier-hazard", "public.events", ("timestamp",), "info"),
    ("denormalized-column", "public.fees_taxes", ("tax_code",), "info"),
    ("denormalized-column", "public.fees_taxes", ("tax_description",), "info"),
    ("denormalized-column", "public.fees_taxes", ("tax_name",), "info"),
    ("denormalized-column", "public.fees_taxes", ("tax_rate",), "info"),
    ("identifier-hazard", "public.fixed_charge_events", ("timestamp",), "info"),
    ("identifier-hazard", "public.group_properties", ("values",), "info"),
    ("status-without-constraint", "public.integration_collection_mappings", ("type",), "info"),
    ("status-without-constraint", "public.integration_customers", ("type",), "info"),
    ("status-without-constraint", "public.integration_mappings", ("type",), "info"),
    ("status-without-constraint", "public.integrations", ("type",), "info"),
    ("entity-attribute-value", "public.invoice_metadata", ("invoice_id", "key", "value"), "info"),
    ("identifier-hazard", "public.invoice_subscriptions", ("timestamp",), "info"),
    ("denormalized-column", "public.invoices_taxes", ("tax_code",), "info"),
    ("denormalized-column", "public.invoices_taxes", ("tax_description",), "info"),
    ("denormalized-column", "public.invoices_taxes", ("tax_name",), "info"),
    ("denormalized-column", "public.invoices_taxes", ("tax_rate",), "info"),
    ("status-without-constraint", "public.payment_provider_customers", ("type",), "info"),
    ("status-without-constraint", "public.payment_providers", ("type",), "info"),
    ("status-without-constraint", "public.payments", ("status",), "info"),
    ("identifier-hazard", "public.plans", ("interval",), "info"),
    ("serial-instead-of-identity", "public.quote_owners", ("id",), "info"),
    ("identifier-hazard", "public.rate_phases", ("position",), "info"),
    ("char-n-type", "public.recurring_transaction_rules", ("transaction_name",), "info"),
    ("identifier-hazard", "public.recurring_transaction_rules", ("interval",), "info"),
    ("status-without-constraint", "public.refunds", ("status",), "info"),
    ("serial-instead-of-identity", "public.usage_monitoring_subscription_activities", ("id",), "info"),
    ("serial-instead-of-identity", "public.versions", ("id",), "info"),
    ("char-n-type", "public.wallet_transactions", ("name",), "info"),
    ("json-instead-of-jsonb", "public.webhooks", ("payload",), "info"),
    ("json-instead-of-jsonb", "public.webhooks", ("response",), "info"),
]

CASES = {
    "pagila-schema.sql": (PAGILA_SCHEMA, 0),
    "chinook-postgresql.sql": (CHINOOK_POSTGRESQL, 3),
    "graphile-starter-schema.sql": (GRAPHILE_STARTER_SCHEMA, 1),
    "coder-dump.sql": (CODER_DUMP, 1),
    "lago-api-structure.sql": (LAGO_API_STRUCTURE, 396),
}


@pytest.fixture(scope="module")
def reports():
    from studio.sources.ddl import load_file

    cache = {}

    def report(name: str):
        if name not in cache:
            with load_file(corpus_file(name)) as loaded:
                cache[name] = analyze(loaded.catalog, AnalysisConfig(only=MINE))
        return cache[name]

    return report


@pytest.mark.parametrize("name", sorted(CASES))
def test_exact_findings(name, reports):
    expected, _ = CASES[name]
    report = reports(name)
    actual = sorted((f.rule, f.table, f.columns, f.severity) for f in report.findings if f.rule != TIMESTAMPS)
    assert actual == sorted(expected)


@pytest.mark.parametrize("name", sorted(CASES))
def test_timestamp_columns_counted(name, reports):
    _, count = CASES[name]
    found = [f for f in reports(name).findings if f.rule == TIMESTAMPS]
    assert len(found) == count
    assert all(f.columns and f.table.count(".") == 1 for f in found)


def test_tenancy_rules_silent_without_a_tenant_column(reports):
    tenancy = {r.id for r in all_rules().values() if r.category == "tenancy"} - {
        "rls-enabled-without-policy",
        "rls-not-forced",
        "rls-policy-always-true",
        "multiple-permissive-policies",
    }
    for name in ("pagila-schema.sql", "chinook-postgresql.sql", "lago-api-structure.sql", "coder-dump.sql"):
        assert not [f for f in reports(name).findings if f.rule in tenancy], name
