"""audit-trail: a generic audit log fed by a trigger, with who, when, what and the before/after rows."""

from __future__ import annotations

from studio.blueprints.builder import Builder, col
from studio.sql import ident, literal, qualified, qualified_name

NAME = "audit-trail"
DEFAULT_SCHEMA = "audit"
NEEDS = ("tenant",)
PROVIDES = {"audit_log": "audit_log"}
DESCRIPTION = (
    "A generic audit log fed by one trigger function: who (application user and database role), when, which table "
    "and operation, and the row before and after as jsonb. Attach it to tables with the `audited` option."
)
TRADEOFFS = (
    "One generic log with jsonb rows instead of a history table per audited table: no migration when an audited "
    "table changes shape, but queries on old values go through jsonb operators.",
    "The actor comes from the app.user_id setting the application sets per transaction, plus current_user; there is "
    "no foreign key to users, because the log must outlive the users it names.",
    "The trigger function is SECURITY DEFINER with a pinned search_path so application roles can be denied direct "
    "writes to the log while their changes are still recorded.",
    "UPDATEs that change nothing are not logged (the trigger compares the rows).",
)


def build(b: Builder, audited: tuple[str, ...] = ()) -> None:
    b.table(
        "audit_log",
        "Append-only record of row changes on the audited tables.",
        [
            col("id", "bigint GENERATED ALWAYS AS IDENTITY"),
            col("occurred_at", "timestamptz", default="now()"),
            col("actor", "text", null=True, comment="Application user id from the app.user_id setting, when the app set it."),
            col("db_role", "text", default="current_user"),
            col("transaction_id", "bigint", default="txid_current()"),
            col("table_schema", "text"),
            col("table_name", "text"),
            col("operation", "text"),
            col("old_row", "jsonb", null=True),
            col("new_row", "jsonb", null=True),
        ],
        checks=[
            "operation IN ('INSERT', 'UPDATE', 'DELETE')",
            "(operation = 'INSERT') = (old_row IS NULL)",
            "(operation = 'DELETE') = (new_row IS NULL)",
        ],
        indexes=[("table_schema", "table_name", "occurred_at")],
    )
    log = b.q("audit_log")
    function = qualified(b.options.schema, "record_change")
    tc = literal(b.tc)
    tenant_cols, tenant_vals = "", ""
    if b.rls:
        tenant_cols = f"{ident(b.tc)}, "
        tenant_vals = f"(coalesce(after, before) ->> {tc})::{b.tenant_type()}, "
    b.raw(
        f"""CREATE FUNCTION {function}() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $audit$
DECLARE
    before jsonb := CASE WHEN TG_OP IN ('UPDATE', 'DELETE') THEN to_jsonb(OLD) END;
    after jsonb := CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN to_jsonb(NEW) END;
BEGIN
    IF TG_OP = 'UPDATE' AND before = after THEN
        RETURN NULL;
    END IF;
    INSERT INTO {log} ({tenant_cols}actor, table_schema, table_name, operation, old_row, new_row)
    VALUES ({tenant_vals}NULLIF(current_setting('app.user_id', true), ''), TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP, before, after);
    RETURN NULL;
END
$audit$;"""
    )
    b.raw(
        f"COMMENT ON FUNCTION {function}() IS "
        + literal("Audit trigger: appends the change to the audit log. SECURITY DEFINER with a pinned search_path.")
        + ";"
    )
    for table in audited:
        trigger = ident(f"audit_{b.options.schema}_record_change")
        b.raw(
            f"CREATE TRIGGER {trigger} AFTER INSERT OR UPDATE OR DELETE ON {qualified_name(table)} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}();"
        )
