"""Prove a bundle on a scratch copy: `verify(bundle, source)`.

1. MANIFEST first: a tampered or missing file fails before anything runs.
2. A scratch database holds the current schema with its rows (the demo copied, a DDL file loaded
   in its sandbox, or a live database's schema plus a bounded sample of rows per table).
3. Every up script runs in order, statement by statement, stopping at the first error
   (psql -v ON_ERROR_STOP=1 semantics); CONCURRENTLY scripts run outside a transaction.
4. The model is re-analyzed: each finding the bundle claims to fix must be gone; the rows of every
   table plus the quarantine must equal the original counts.
5. Every down script runs in reverse; the model must equal the original (sizes, estimates and
   sequence positions aside) and so must every row count.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from analyzers.engine import analyze
from analyzers.registry import Finding
from studio import ddl as renderer
from studio.bundle.manifest import check_manifest, read_bundle
from studio.catalog import Catalog
from studio.design.apply import design
from studio.design.decisions import parse
from studio.errors import StudioError
from studio.migrate import fixpoint, quarantine, target_check, tenant_copies, tenant_moves, tenant_split
from studio.migrate.row_counts import relation_rows
from studio.sources import ddl as ddl_source
from studio.sources import demo as demo_source
from studio.sources import embedded, postgres
from studio.sources.ddl_script import split
from studio.sql import qualified

SAMPLE_ROWS = 1000  # rows per table copied from a live database


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class VerifyResult:
    checks: list[Check] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    migrated: Catalog | None = None  # the model after the ups: the proven target
    quarantined_by_step: dict[str, int] = field(default_factory=dict)  # rows each step moved to the quarantine
    created: list[Finding] = field(default_factory=list)  # findings on the migrated schema, not on the original

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def add(self, name: str, ok: bool, detail: str = "") -> bool:
        self.checks.append(Check(name, ok, detail))
        return ok

    def text(self) -> str:
        lines = [f"{'PASS' if c.ok else 'FAIL'}  {c.name}{': ' + c.detail if c.detail else ''}" for c in self.checks]
        lines += [f"note: {n}" for n in self.notes]
        lines.append(f"{'verified' if self.ok else 'verification FAILED'} in {self.seconds:.1f}s")
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Scratch:
    run_url: str  # where scripts run (the sandbox role for an untrusted file)
    admin_url: str  # counts and introspection (bypasses row level security)


class ScriptFailed(StudioError):
    pass


@contextlib.contextmanager
def scratch_for(*, demo: bool = False, ddl: str | Path | None = None, dsn: str | None = None,
                catalog: Catalog | None = None, notes: list[str] | None = None) -> Iterator[Scratch]:
    """A scratch database holding the source's schema and rows, dropped afterwards."""
    if demo:
        with demo_source.scratch_copy("verify") as name:
            url = embedded.admin_url(name)
            yield Scratch(url, url)
        return

    if ddl:
        loaded = ddl_source.load_file(Path(ddl))
    else:
        if catalog is None:
            catalog = postgres.introspect(dsn)

        loaded = ddl_source.load_text(renderer.render(catalog), filename="current schema")
        if notes is not None:
            notes.append(f"live database: schema copied, with at most {SAMPLE_ROWS} rows per table (a sample, not every row)")
    try:
        admin = embedded.admin_url(loaded.database)
        if dsn:
            _copy_sample(dsn, admin, catalog)
        yield Scratch(loaded.url, admin)
    finally:
        loaded.drop()


def _copy_sample(dsn: str, admin: str, catalog: Catalog) -> None:
    with psycopg.connect(dsn, autocommit=False) as src, psycopg.connect(admin, autocommit=False) as dst:
        src.execute("SET TRANSACTION READ ONLY")
        dst.execute("SET session_replication_role = replica")  # sample rows may miss their parents
        for table in catalog.stored_tables:
            if table.kind == "partitioned_table":
                continue
            name = qualified(table.schema, table.name)
            columns = ", ".join(qualified(None, c.name) for c in table.columns if not c.generated)
            with src.cursor().copy(f"COPY (SELECT {columns} FROM ONLY {name} LIMIT {SAMPLE_ROWS}) TO STDOUT") as out, \
                    dst.cursor().copy(f"COPY {name} ({columns}) FROM STDIN") as into:
                for chunk in out:
                    into.write(chunk)
        dst.commit()


def run_script(url: str, text: str, label: str, notices: list[str]) -> None:
    """Run one script statement by statement; stop at the first error, rolling back an open transaction."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.add_notice_handler(lambda d: notices.append(f"{label}: {d.message_primary}"))
        for statement in split(text):
            if statement.is_meta:
                raise ScriptFailed(f"{label} line {statement.line}: psql meta-commands are not allowed in a migration")
            try:
                conn.execute(statement.sql)
            except psycopg.Error as exc:
                if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                    conn.execute("ROLLBACK")
                message = (exc.diag.message_primary or str(exc)).strip()
                raise ScriptFailed(f"{label} line {statement.line}: {message}") from None


def row_counts(url: str, catalog: Catalog, skip: set[str] | frozenset = frozenset()) -> dict[str, int]:
    """Rows of every table of `catalog` but `skip`; a table the migration partitioned counts the rows of its partitions."""
    counts = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for table in catalog.stored_tables:
            if table.kind == "partitioned_table" or table.qualified in skip:
                continue
            counts[table.qualified] = relation_rows(conn, qualified(table.schema, table.name))
    return counts


def quarantined(url: str, by: str = "source_table") -> dict[str, int]:
    """Rows in the quarantine per source table (or per `step` that moved them)."""
    if by not in ("source_table", "step"):
        raise ValueError(f"quarantined rows are counted by source_table or step, not {by!r}")
    with psycopg.connect(url, autocommit=True) as conn:
        exists = conn.execute("SELECT to_regclass(%s)", (f"{quarantine.SCHEMA}.{quarantine.TABLE}",)).fetchone()[0]
        if exists is None:
            return {}
        rows = conn.execute(f"SELECT {by}, count(*) FROM {quarantine.quarantine_table()} GROUP BY 1").fetchall()
    return dict(rows)


_VOLATILE = {"definition", "row_estimate", "total_bytes", "size_bytes", "last_value", "notes", "source", "extra", "database", "server_version"}


def _plain(catalog: Catalog) -> dict:
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in _VOLATILE}
        if isinstance(value, (list, tuple)):
            return [strip(v) for v in value]
        return value

    tables = {}
    for table in catalog.tables:
        table = dataclasses.replace(table, indexes=tuple(i for i in table.indexes if i.valid))
        plain = strip(dataclasses.asdict(table))
        for key in ("columns", "indexes", "foreign_keys", "uniques", "checks", "policies", "triggers"):
            plain[key] = sorted(plain[key], key=lambda x: json.dumps(x, sort_keys=True))
        tables[table.qualified] = plain
    return {"tables": tables, "sequences": sorted(json.dumps(strip(dataclasses.asdict(s)), sort_keys=True) for s in catalog.sequences),
            "functions": sorted(json.dumps(strip(dataclasses.asdict(f)), sort_keys=True) for f in catalog.functions)}


def model_differences(before: Catalog, after: Catalog) -> list[str]:
    a, b = _plain(before), _plain(after)
    out = []
    for name in sorted(set(a["tables"]) | set(b["tables"])):
        x, y = a["tables"].get(name), b["tables"].get(name)
        if x is None or y is None:
            out.append(f"{name} {'appeared' if x is None else 'disappeared'}")
            continue
        for key in sorted(set(x) | set(y)):
            if x.get(key) != y.get(key):
                detail = ""
                if isinstance(x.get(key), list):
                    gone = [i.get("name", i) if isinstance(i, dict) else i for i in x[key] if i not in y[key]]
                    new = [i.get("name", i) if isinstance(i, dict) else i for i in y[key] if i not in x[key]]
                    detail = f" (before only: {gone}; after only: {new})"
                out.append(f"{name}: {key} differs{detail}")
    for kind in ("sequences", "functions"):
        if a[kind] != b[kind]:
            gone = [_label(x) for x in a[kind] if x not in b[kind]]
            new = [_label(y) for y in b[kind] if y not in a[kind]]
            out.append(f"{kind} differ (before only: {gone}; after only: {new})")
    return out


def _label(plain: str) -> str:
    """A sequence or function as the model shows it, for a readable difference."""
    item = json.loads(plain)
    return ", ".join(f"{k}={v}" for k, v in item.items() if v not in (None, "", [], False))


def _about(difference: str) -> str:
    """What a target difference is about: `schema.table[.column]`; a tenant copy's ("tenant_x: schema.table...")
    is about the pooled table it copies, so what excuses the original excuses its copies."""
    head, _, rest = difference.partition(":")
    return _about(rest.strip()) if "." not in head and rest else head


def _apply(result: VerifyResult, url: str, files: dict, names: list[str], direction: str, say, start: float, span: float) -> bool:
    """Run the up (or down) scripts in order, stopping at the first that fails; records the check either way."""
    try:
        for i, name in enumerate(names):
            say(f"{direction} {name}", start + span * i / max(len(names), 1))
            run_script(url, files[name].decode(), name, result.notices)
    except ScriptFailed as exc:
        return result.add(f"every {direction} script applies", False, str(exc))
    return result.add(f"every {direction} script applies", True, f"{len(names)} scripts")


def bypass_row_security(scratch: Scratch) -> None:
    """The bundle asks to run as a role with BYPASSRLS (phases.ROW_GUARD): the scratch copy's role gets it."""
    role = psycopg.conninfo.conninfo_to_dict(scratch.run_url).get("user")
    if scratch.run_url == scratch.admin_url or not role:
        return
    with psycopg.connect(scratch.admin_url, autocommit=True) as conn:
        conn.execute(f"ALTER ROLE {qualified(None, role)} BYPASSRLS")


def unaccounted_rows(url: str, original: Catalog, counts: dict[str, int], made) -> list[str]:
    """Tables whose rows now (in the table, its tenant copies, or the quarantine) differ from `counts`, the original's."""
    moves = tenant_moves.moves_of(made) if made else None  # rows of moved tables count in their tenant copies
    after = row_counts(url, original, skip=set(moves.tables) if moves else frozenset())
    if moves:
        after.update(tenant_copies.counted(url, moves, original))
    moved = quarantined(url)
    return [f"{t}: {n} before, {after.get(t, 0)} after + {moved.get(t, 0)} quarantined"
            for t, n in counts.items() if after.get(t, 0) + moved.get(t, 0) != n]


def bundle_design(files: dict, plan: dict, original: Catalog):
    """The design of the bundle's design.toml over the original model: (design, None), (None, why it cannot be
    computed), or (None, None) when the bundle carries no design. Computed once for every check that needs it."""
    text = files.get("design.toml", b"").decode()
    if not text.strip():
        return None, None
    decisions = parse(text, "design.toml in the bundle")
    if not decisions.changes_structure:
        return None, None
    day = dt.date.fromisoformat(plan["design_day"]) if plan.get("design_day") else None
    try:
        return design(original, decisions, today=day), None
    except StudioError as exc:
        return None, str(exc)


def _check_design_target(result: VerifyResult, plan: dict, made, error: str | None, migrated: Catalog) -> None:
    """With design decisions in the bundle, the migrated schema must be the design's target model.

    Differences on tables an accepted fix also changes (checked by "claimed fixes are gone"), or
    that the plan says it leaves to a person, are reported as notes, not failures.
    """
    if error is not None:
        result.add("migrated schema equals the design target", False, f"the design cannot be computed: {error}")
        return
    if made is None:
        return
    target = made.target

    migrated, copies = tenant_copies.separate_copies(made, migrated)  # tenant schemas compare with their template
    found = target_check.differences(target, migrated) + copies
    excused = target_check.unplanned_tables(plan.get("notes", []), target)
    excused |= {t for step in plan["steps"] if step["fixes"] for t in step["tables"]}
    failing = [d for d in found if _about(d).rsplit(".", 1)[0] not in excused and _about(d) not in excused]
    result.notes += [f"differs from the design target where a fix or a person takes over: {d}" for d in found if d not in failing]
    result.add("migrated schema equals the design target", not failing,
               "; ".join(failing[:5]) or f"{len(target.stored_tables)} tables compared")


def _outside_tenant_copies(findings: list[Finding], made, migrated: Catalog) -> list[Finding]:
    """Findings on a tenant copy are its template's (the copies are compared with it): left out."""
    if made is None:
        return findings
    kept = {t.qualified for t in tenant_copies.separate_copies(made, migrated)[0].tables}
    copies = {t.qualified for t in migrated.tables} - kept
    return [f for f in findings if f.table not in copies]


def verify(bundle: bytes | str | Path, *, demo: bool = False, ddl: str | Path | None = None, dsn: str | None = None,
           catalog: Catalog | None = None, progress: Callable[[str, float], None] | None = None) -> VerifyResult:
    started = time.monotonic()
    result = VerifyResult()
    say = progress or (lambda message, share: None)
    files = read_bundle(bundle, str(bundle) if not isinstance(bundle, bytes) else "bundle")
    problems = check_manifest(files)
    if not result.add("MANIFEST checksums", not problems, "; ".join(problems[:3]) or f"{len(files) - 1} files intact"):
        result.seconds = time.monotonic() - started
        return result
    plan = json.loads(files["plan.json"])
    ups = sorted(n for n in files if n.startswith("migrations/") and n.endswith(".up.sql"))
    downs = [n.replace(".up.sql", ".down.sql") for n in reversed(ups)]
    say("loading the current schema with its rows into a scratch database", 0.05)
    with scratch_for(demo=demo, ddl=ddl, dsn=dsn, catalog=catalog, notes=result.notes) as scratch:
        original = postgres.introspect(scratch.admin_url)
        counts = row_counts(scratch.admin_url, original)

        if split_check := tenant_split.prove(files.get("design.toml", b"").decode(), scratch.admin_url, scratch.run_url, original):
            result.add(*split_check)  # database-per-tenant: the split runs into scratch databases
        bypass_row_security(scratch)
        if not _apply(result, scratch.run_url, files, ups, "up", say, 0.1, 0.4):
            result.seconds = time.monotonic() - started
            return result
        say("re-analyzing the migrated schema", 0.55)
        migrated = postgres.introspect(scratch.admin_url)
        result.migrated = migrated
        found = analyze(migrated).findings
        remaining = {f.key for f in found}
        still = [k for k in plan["fixed"] if k in remaining]
        result.add("claimed fixes are gone", not still, f"still found: {', '.join(still)}" if still else f"{len(plan['fixed'])} findings fixed")
        made, error = bundle_design(files, plan, original)
        result.created = fixpoint.created(analyze(original).findings, _outside_tenant_copies(found, made, migrated))
        _check_design_target(result, plan, made, error, migrated)
        if result.ok:  # what the migration created is judged on a bundle that reached its target
            result.add(*fixpoint.check(result.created, plan))
        else:
            result.notes.append(f"{fixpoint.CHECK}: not judged, the migrated schema is not the bundle's target")
        lost = unaccounted_rows(scratch.admin_url, original, counts, made)
        result.quarantined_by_step = quarantined(scratch.admin_url, by="step")
        result.add("no row lost (tables + quarantine = original)", not lost,
                   "; ".join(lost[:5]) or f"{sum(counts.values())} rows, {sum(quarantined(scratch.admin_url).values())} in quarantine")
        if not _apply(result, scratch.run_url, files, downs, "down", say, 0.6, 0.35):
            result.seconds = time.monotonic() - started
            return result
        restored = postgres.introspect(scratch.admin_url)
        differences = model_differences(original, restored)
        result.add("downs restore the model", not differences, "; ".join(differences[:5]))
        back = row_counts(scratch.admin_url, original)
        changed = [f"{t}: {n} before, {back.get(t)} after the downs" for t, n in counts.items() if back.get(t) != n]
        result.add("downs restore every row", not changed, "; ".join(changed[:5]))
    say("done", 1.0)
    result.seconds = time.monotonic() - started
    return result
