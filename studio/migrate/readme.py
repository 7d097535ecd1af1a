"""The bundle's README (what changes and why, run order, risks, rollback) and monitoring.sql."""

from __future__ import annotations

from studio.catalog import Catalog
from studio.migrate import tenant_moves
from studio.migrate.phases import render
from studio.migrate.plan import PHASES, Plan
from studio.migrate.tenant_split import runbook
from studio.sql import literal

SCHEMA_NOTE = "schema_studio_quarantine.quarantined_rows"

PHASE_TEXT = {
    "expand": "additive changes, safe while the application runs (new columns nullable, indexes built concurrently, "
    "foreign keys added NOT VALID so new writes are checked at once)",
    "backfill": "data changes: batched, resumable backfills and the type changes that rewrite a table",
    "cleanse": "rows that would block a new constraint MOVE to schema_studio_quarantine.quarantined_rows with the "
    "reason and the original row as jsonb; nothing is deleted, each step reports how many moved",
    "validate": "constraints are validated (VALIDATE CONSTRAINT, unique indexes built concurrently and attached) and "
    "security is tightened (row level security, policies)",
    "contract": "drops of what the compatibility window kept: run only once every application version in production "
    "no longer needs it",
}


def quarantine_figures(plan: Plan, verified) -> list[tuple[str, str, int]]:
    """(script, step title, rows it moved to the quarantine on the scratch copy) for every step that can move rows."""
    if verified is None:
        return []
    out = []
    for script in render(plan):
        text = " ".join(script.step.up)
        if "quarantine" not in text:
            continue
        moved = sum(n for step, n in verified.quarantined_by_step.items() if literal(step) in text)
        out.append((script.stem, script.step.title, moved))
    return out


def quarantine_section(plan: Plan, verified) -> list[str]:
    figures = quarantine_figures(plan, verified)
    if verified is None:
        return ["## Rows this bundle moves", "", "Not verified: the rows each step would quarantine were not counted.", ""]
    total = sum(n for _, _, n in figures)
    out = ["## Rows this bundle moves", "",
           f"On the scratch copy the ups moved {total} rows to {SCHEMA_NOTE} (each with its reason; every down puts "
           "them back). Nothing else moves a row.", ""]
    if figures:
        out += ["| file | step | rows quarantined |", "|---|---|---|"]
        out += [f"| {stem} | {title} | {n} |" for stem, title, n in figures]
        out.append("")
    return out


def readme(plan: Plan, source_label: str, verified, verify_requested: bool, notes: list[str] = ()) -> str:
    """`notes`: the section of the workspace's notes on tables and columns (studio.workshop.notes.notes_section)."""
    out = [f"# Migration bundle for {source_label}", ""]
    out += quarantine_section(plan, verified)
    out += ["## What changes and why", ""]
    if plan.fixed:
        out.append(f"{len(plan.fixed)} findings are fixed by this bundle:")
        out += [f"- `{key}`" for key in plan.fixed]
    else:
        out.append("No finding fix was accepted.")
    out += ["", "## Decisions and their trade-offs", ""]
    out += list(plan.design_notes) or ["No design decision changes the schema (see design.toml)."]
    out += ["", "## Findings left", ""]
    out += [f"- `{left.rule}` on {left.table}: {left.reason}" for left in plan.left] or ["None."]
    if plan.notes or plan.created:  # what the planner leaves to a person, or learned on the scratch copy
        out += ["", "## Left to a person", ""]
        out += [f"- {note}" for note in plan.notes]
        out += [f"- `{left.key}`, created on the target by this bundle: {left.reason}" for left in plan.created]
    out += ["", *notes] if notes else []
    out += ["", "## Run order", "",
            "Run `migrations/*.up.sql` in lexical order, each with `psql -v ON_ERROR_STOP=1 -f FILE`. "
            "Scripts marked *outside a transaction* hold one CONCURRENTLY statement and must not be wrapped in BEGIN. "
            "Run them as a role with BYPASSRLS (or a superuser): a script that moves rows refuses to start where row "
            "level security would hide rows from it (FORCE ROW LEVEL SECURITY filters the owner too, and a policy "
            "reading current_setting('app.tenant_id') without missing_ok fails when no tenant is set).", ""]
    scripts = render(plan)
    for phase in PHASES:
        in_phase = [s for s in scripts if s.step.phase == phase]
        if not in_phase:
            continue
        out += [f"### {phase}{' (CONTRACT: separate, after the compatibility window)' if phase == 'contract' else ''}", "",
                PHASE_TEXT[phase], "", "| file | step | lock | duration | risk |", "|---|---|---|---|---|"]
        for s in in_phase:
            out.append(f"| {s.stem} | {s.step.title} | {s.step.lock} | {s.step.duration_class} | {s.step.risk} |")
        out.append("")
    out += runbook(plan.design_notes)
    out += tenant_moves.runbook(plan)
    out += ["## Risks and mitigations", "",
            "- Every script sets `lock_timeout` (so a blocked ALTER gives up instead of queueing every query behind it) "
            "and `statement_timeout`. On a lock timeout, rerun the script: each is idempotent or transactional.",
            "- A failed `CREATE INDEX CONCURRENTLY` leaves an INVALID index: run that step's down script, then the up again.",
            "- Steps whose lock is ACCESS EXCLUSIVE with a rewrite (type changes) need a quiet window on big tables.",
            "- Quarantined rows are listed in `schema_studio_quarantine.quarantined_rows`; review them with the data owners.",
            "- Watch the change with `monitoring.sql`.", "",
            "## Rollback", "",
            "Run the `.down.sql` scripts in reverse lexical order, starting from the last up that ran. "
            "Cleanse downs put the quarantined rows back; the quarantine schema is dropped only when it is empty.", "",
            "## Verification", ""]
    if not verify_requested:
        out.append("**NOT VERIFIED**: exported with `--no-verify`; run `schema-studio verify bundle.zip ...` before use.")
    elif verified is None:
        out.append("Verification runs on a scratch copy before this bundle is written.")
    else:
        out.append("Verified on a scratch copy of the source on the embedded PostgreSQL:")
        out.append("")
        out += [f"- {'PASS' if c.ok else 'FAIL'} {c.name}{': ' + c.detail if c.detail else ''}" for c in verified.checks]
        out += [f"- note: {n}" for n in verified.notes]
    return "\n".join(out) + "\n"


def monitoring_sql(plan: Plan, catalog: Catalog) -> str:
    tables = sorted({t for s in plan.steps for t in s.tables})
    names = ", ".join(literal(t) for t in tables) or "NULL"
    return f"""-- Queries to watch the change. Touched tables: {', '.join(tables) or 'none'}.

-- New and rebuilt indexes: are they used?
SELECT schemaname || '.' || relname AS table_name, indexrelname AS index_name, idx_scan, idx_tup_read,
       pg_size_pretty(pg_relation_size(indexrelid)) AS size
FROM pg_stat_user_indexes
WHERE schemaname || '.' || relname IN ({names})
ORDER BY idx_scan;

-- Bloat after rewrites and backfills: dead tuples and table size
SELECT schemaname || '.' || relname AS table_name, n_live_tup, n_dead_tup,
       round(100.0 * n_dead_tup / nullif(n_live_tup + n_dead_tup, 0), 1) AS dead_pct,
       pg_size_pretty(pg_total_relation_size(relid)) AS total_size
FROM pg_stat_user_tables
WHERE schemaname || '.' || relname IN ({names})
ORDER BY n_dead_tup DESC;

-- Autovacuum and analyze on the touched tables
SELECT schemaname || '.' || relname AS table_name, last_autovacuum, last_autoanalyze, autovacuum_count, autoanalyze_count
FROM pg_stat_user_tables
WHERE schemaname || '.' || relname IN ({names});

-- Partition coverage: partitioned tables, their partitions and whether a DEFAULT catches strays
SELECT p.oid::regclass AS partitioned_table, count(i.inhrelid) AS partitions,
       bool_or(pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT') AS has_default
FROM pg_partitioned_table pt
JOIN pg_class p ON p.oid = pt.partrelid
LEFT JOIN pg_inherits i ON i.inhparent = p.oid
LEFT JOIN pg_class c ON c.oid = i.inhrelid
GROUP BY p.oid;

-- Row level security: enabled, forced and policy count per table
SELECT n.nspname || '.' || c.relname AS table_name, c.relrowsecurity AS rls_enabled, c.relforcerowsecurity AS rls_forced,
       (SELECT count(*) FROM pg_policy pol WHERE pol.polrelid = c.oid) AS policies
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
ORDER BY rls_enabled, table_name;

-- Rows moved to the quarantine, by table and reason
SELECT source_table, reason, count(*) FROM schema_studio_quarantine.quarantined_rows GROUP BY 1, 2 ORDER BY 1;
"""
