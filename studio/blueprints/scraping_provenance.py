"""scraping-provenance: sources, fetch runs, documents, parsed records, validation, and row-level attribution."""

from __future__ import annotations

from studio.blueprints.builder import Builder, col, fk, unique

NAME = "scraping-provenance"
DEFAULT_SCHEMA = "provenance"
NEEDS = ("tenant",)
PROVIDES = {"attributions": "attributions"}
DESCRIPTION = (
    "Sources and their licences, fetch runs, raw documents, parsed records with quality scores, validation rules and "
    "their results, a cleansing queue, and row-level attribution of every fact to its source, fetch, document and "
    "licence (right-to-repair compliance)."
)
TRADEOFFS = (
    "Raw documents are kept (content hash unique per source) so any parsed fact can be re-derived and disputes "
    "answered from the original bytes; storage grows with every fetch that changed a page.",
    "Attribution is a row per fact, pointing at the parsed record, document, fetch run, source and licence. Composite "
    "foreign keys make the chain consistent: the document must belong to the fetch run, the run to the source.",
    "Which table and row a fact lives in is recorded as (fact_table regclass, fact_id): one attribution table serves "
    "every fact table, at the price of no foreign key to the fact itself.",
    "The cleansing queue allows one open item per record (a partial unique index), so retries do not pile up.",
)


def build(b: Builder) -> None:
    _fetching(b)
    _validation(b)
    _attribution(b)


def _fetching(b: Builder) -> None:
    b.table(
        "licences",
        "Terms under which scraped content may be used.",
        [
            col("id", "bigint GENERATED ALWAYS AS IDENTITY"),
            col("code", "text", comment="SPDX identifier or an internal code for a contract."),
            col("name", "text"),
            col("allows_redistribution", "boolean"),
            col("terms_url", "text", null=True),
        ],
        tenant=False,
        uniques=[unique("code")],
    )
    b.table(
        "sources",
        "Where content comes from (a manufacturer portal, a parts catalogue).",
        [
            col("id", "bigint GENERATED ALWAYS AS IDENTITY"),
            col("code", "text"),
            col("base_url", "text"),
            col("licence_id", "bigint"),
            col("active", "boolean", default="true"),
        ],
        uniques=[unique("code")],
        checks=["base_url ~ '^https?://'"],
        fks=[fk("licence_id", "licences")],
    )
    b.table(
        "fetch_runs",
        "One crawl of a source.",
        [
            col("id", "bigint GENERATED ALWAYS AS IDENTITY"),
            col("source_id", "bigint"),
            col("status", "text", default="'running'"),
            col("started_at", "timestamptz", default="now()"),
            col("finished_at", "timestamptz", null=True),
        ],
        uniques=[unique("id", "source_id")],
        checks=[
            "status IN ('running', 'succeeded', 'failed', 'cancelled')",
            "finished_at IS NULL OR finished_at >= started_at",
        ],
        fks=[fk("source_id", "sources")],
        indexes=[("source_id", "started_at")],
    )
    b.table(
        "raw_documents",
        "A document exactly as fetched; content_sha256 deduplicates unchanged pages per source.",
        [
            col("id", "bigint GENERATED ALWAYS AS IDENTITY"),
            col("fetch_run_id", "bigint"),
            col("source_id", "bigint"),
            col("url", "text"),
            col("content_sha256", "bytea"),
            col("media_type", "text"),
            col("body", "bytea"),
            col("fetched_at", "timestamptz", default="now()"),
        ],
        uniques=[unique("source_id", "content_sha256"), unique("id", "fetch_run_id")],
        checks=["octet_length(content_sha256) = 32"],
        fks=[fk(("fetch_run_id", "source_id"), "fetch_runs", ("id", "source_id"))],
        indexes=[("fetch_run_id", "source_id")],
    )


def _validation(b: Builder) -> None:
    b.table(
        "parsed_records",
        "A structured record extracted from a raw document, with a quality score from 0 to 1.",
        [
            col("id", "bigint GENERATED ALWAYS AS IDENTITY"),
            col("raw_document_id", "bigint"),
            col("record_kind", "text", comment="What was extracted (procedure, part, torque_spec...)."),
            col("payload", "jsonb"),
            col("quality_score", "numeric(4,3)"),
            col("status", "text", default="'new'"),
            col("parsed_at", "timestamptz", default="now()"),
        ],
        checks=[
            "quality_score BETWEEN 0 AND 1",
            "status IN ('new', 'validated', 'rejected', 'published')",
            "record_kind ~ '^[a-z][a-z0-9_]*$'",
            "jsonb_typeof(payload) = 'object'",
        ],
        fks=[fk("raw_document_id", "raw_documents")],
    )
    b.table(
        "validation_rules",
        "Checks a parsed record must pass before it is published.",
        [
            col("id", "bigint GENERATED ALWAYS AS IDENTITY"),
            col("code", "text"),
            col("description", "text"),
            col("severity", "text"),
        ],
        uniques=[unique("code")],
        checks=["severity IN ('blocking', 'warning')"],
    )
    b.table(
        "validation_results",
        "The outcome of one rule on one record.",
        [
            col("parsed_record_id", "bigint"),
            col("validation_rule_id", "bigint"),
            col("passed", "boolean"),
            col("detail", "text", null=True),
            col("checked_at", "timestamptz", default="now()"),
        ],
        pk=("parsed_record_id", "validation_rule_id"),
        fks=[
            fk("parsed_record_id", "parsed_records", on_delete="CASCADE"),
            fk("validation_rule_id", "validation_rules"),
        ],
        key=("parsed_record_id", "validation_rule_id"),
    )
    b.table(
        "cleansing_queue",
        "Records waiting for a human or a fixer job; at most one open item per record.",
        [
            col("id", "bigint GENERATED ALWAYS AS IDENTITY"),
            col("parsed_record_id", "bigint"),
            col("reason", "text"),
            col("status", "text", default="'open'"),
            col("enqueued_at", "timestamptz", default="now()"),
            col("resolved_at", "timestamptz", null=True),
        ],
        uniques=[unique("parsed_record_id", where="status = 'open'")],
        checks=[
            "status IN ('open', 'fixed', 'discarded')",
            "(status = 'open') = (resolved_at IS NULL)",
        ],
        fks=[fk("parsed_record_id", "parsed_records", on_delete="CASCADE")],
    )


def _attribution(b: Builder) -> None:
    b.table(
        "attributions",
        "Row-level provenance: which source, fetch run and document a fact came from, and under which licence.",
        [
            col("id", "bigint GENERATED ALWAYS AS IDENTITY"),
            col("fact_table", "regclass", comment="The table holding the fact."),
            col("fact_id", "bigint", comment="The fact's id in fact_table (no FK: one attribution table serves all)."),
            col("parsed_record_id", "bigint"),
            col("raw_document_id", "bigint"),
            col("fetch_run_id", "bigint"),
            col("source_id", "bigint"),
            col("licence_id", "bigint", comment="The licence in force when the fact was taken; a source's licence may change."),
            col("attributed_at", "timestamptz", default="now()"),
        ],
        uniques=[unique("fact_table", "fact_id", "parsed_record_id")],
        fks=[
            fk("parsed_record_id", "parsed_records"),
            fk(("raw_document_id", "fetch_run_id"), "raw_documents", ("id", "fetch_run_id")),
            fk(("fetch_run_id", "source_id"), "fetch_runs", ("id", "source_id")),
            fk("licence_id", "licences"),
        ],
    )
