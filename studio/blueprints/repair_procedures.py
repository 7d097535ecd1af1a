"""repair-procedures: versioned procedures with an approval workflow, ordered steps, codes and parts."""

from __future__ import annotations

from studio.blueprints.builder import Builder, Exclusion, col, fk, unique

NAME = "repair-procedures"
DEFAULT_SCHEMA = "repair"
NEEDS = ("tenant", "users", "trouble_codes", "parts")
PROVIDES = {"procedures": "procedures"}
DESCRIPTION = (
    "Repair procedures in versions with effective dating and an approval workflow (draft, in review, approved, "
    "retired), approvals with approver, time and comment, at most one approved version per procedure and period, "
    "ordered steps, and links to trouble codes and parts."
)
TRADEOFFS = (
    "The workflow state is a CHECKed status column rather than a lookup table: the four states drive code paths, so "
    "adding one is a deliberate migration.",
    "An exclusion constraint limited to approved versions (WHERE status = 'approved') makes a second approved "
    "version for an overlapping period impossible, while drafts may overlap freely.",
    "Approvals are their own rows (who, when, decision, comment) instead of columns on the version, so a version "
    "keeps every review round.",
    "Steps are ordered by an explicit ordinal unique per version; re-ordering rewrites the version's ordinals in one "
    "UPDATE, which the unique key checks at the end of the statement.",
)


def build(b: Builder) -> None:
    _versions(b)
    _contents(b)


def _versions(b: Builder) -> None:
    b.table(
        "procedures",
        "A repair procedure's identity; its content lives in versions.",
        [
            col("id", "bigint GENERATED ALWAYS AS IDENTITY"),
            col("code", "text", comment="The procedure's business identifier, unique per tenant."),
            col("title", "text"),
            col("created_at", "timestamptz", default="now()"),
        ],
        uniques=[unique("code")],
    )
    b.table(
        "procedure_versions",
        "One version of a procedure. Status moves draft -> in_review -> approved -> retired; only approved versions "
        "are served to technicians, and only one per procedure at any moment.",
        [
            col("id", "bigint GENERATED ALWAYS AS IDENTITY"),
            col("procedure_id", "bigint"),
            col("version", "integer"),
            col("status", "text", default="'draft'"),
            col("effective_during", "tstzrange", null=True, comment="When this version is in force; required once approved."),
            col("summary", "text"),
            col("author_id", "bigint"),
            col("created_at", "timestamptz", default="now()"),
        ],
        uniques=[unique("procedure_id", "version")],
        checks=[
            "version > 0",
            "status IN ('draft', 'in_review', 'approved', 'retired')",
            "status NOT IN ('approved', 'retired') OR effective_during IS NOT NULL",
            "NOT isempty(effective_during)",
        ],
        fks=[fk("procedure_id", "procedures"), fk("author_id", "users")],
        exclusions=[
            Exclusion(
                "effective_during",
                ("int8range(procedure_id, procedure_id, '[]') WITH =", "effective_during WITH &&"),
                "At most one approved version per procedure at any moment. procedure_id is compared as a one-point "
                "int8range because plain PostgreSQL has no gist operator class for bigint (btree_gist would add one); "
                "the WHERE clause leaves drafts and reviews free to overlap.",
                where="status = 'approved'",
            )
        ],
    )
    b.table(
        "procedure_approvals",
        "Review decisions on a procedure version: who decided, when, and why.",
        [
            col("id", "bigint GENERATED ALWAYS AS IDENTITY"),
            col("procedure_version_id", "bigint"),
            col("approver_id", "bigint"),
            col("decision", "text"),
            col("decided_at", "timestamptz", default="now()"),
            col("comment", "text", null=True),
        ],
        checks=[
            "decision IN ('approved', 'rejected', 'changes_requested')",
            "decision = 'approved' OR comment IS NOT NULL",
        ],
        fks=[fk("procedure_version_id", "procedure_versions", on_delete="CASCADE"), fk("approver_id", "users")],
    )


def _contents(b: Builder) -> None:
    b.table(
        "procedure_steps",
        "The ordered steps of one procedure version.",
        [
            col("id", "bigint GENERATED ALWAYS AS IDENTITY"),
            col("procedure_version_id", "bigint"),
            col("ordinal", "integer", comment="Order within the version, from 1."),
            col("instruction", "text"),
            col("torque_nm", "numeric(8,2)", null=True),
        ],
        uniques=[unique("procedure_version_id", "ordinal")],
        checks=["ordinal > 0", "torque_nm > 0"],
        fks=[fk("procedure_version_id", "procedure_versions", on_delete="CASCADE")],
    )
    b.table(
        "procedure_trouble_codes",
        "Which trouble codes a procedure version resolves.",
        [col("procedure_version_id", "bigint"), col("trouble_code_id", "bigint")],
        pk=("procedure_version_id", "trouble_code_id"),
        fks=[fk("procedure_version_id", "procedure_versions", on_delete="CASCADE"), fk("trouble_code_id", "trouble_codes")],
        key=("procedure_version_id", "trouble_code_id"),
    )
    b.table(
        "procedure_parts",
        "Parts a procedure version needs, with quantities.",
        [
            col("procedure_version_id", "bigint"),
            col("part_id", "bigint"),
            col("quantity", "numeric(10,3)", default="1"),
        ],
        pk=("procedure_version_id", "part_id"),
        checks=["quantity > 0"],
        fks=[fk("procedure_version_id", "procedure_versions", on_delete="CASCADE"), fk("part_id", "parts")],
        key=("procedure_version_id", "part_id"),
    )
