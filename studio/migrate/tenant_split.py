"""Database per tenant, run: copy each tenant's rows from today's database into its own database.

The way a DBA runs it, tenant by tenant:

1. One READ ONLY, REPEATABLE READ transaction on the source: every count and every copy sees the
   same snapshot. Per table, one GROUP BY counts the rows of every tenant at once.
2. Rows whose tenant is NULL or not in the tenant table are never dropped silently: they are
   copied (as jsonb, with the reason) to control_plane.unassigned_rows and reported.
3. Each tenant database, in ONE transaction: whatever an earlier, unfinished run left of the
   target's objects is dropped (redo from empty); the target DDL without foreign keys,
   triggers and row level security (pre-data); every tenant table's rows of that tenant and a
   copy of every shared table, streamed with COPY (bounded memory), parents first; then the
   foreign keys, triggers, policies (post-data); sequence positions as in the source; a count
   of every table against the source's count for that tenant; a completed marker
   (studio_split.completed, with the counts). A tenant whose database holds the marker is skipped.
4. The control plane (control_plane.tenants, tenant_databases, plans) is filled from the
   source's tenant table; a tenant turns `active` once its database is complete.

Tables without their own tenant column reach the tenant through their parent path
(studio/design/scope.py): LEFT JOINs along the foreign keys, so a row whose path breaks is
unassigned rather than lost. The tenant table itself is shared (scope.py), so each tenant
database holds the tenant list its foreign keys point to.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import psycopg
from psycopg import conninfo as pg_conninfo

from studio import ddl
from studio.catalog import Catalog
from studio.db import connect_readonly, libpq_dsn, redact
from studio.design.apply import design
from studio.design.decisions import parse
from studio.design.scope import Scope
from studio.design.tenancy import CONTROL_SCHEMA, control_plane_sql
from studio.errors import ConfigError, StudioError
from studio.sources import embedded
from studio.sources.ddl_script import split as split_statements
from studio.sql import ident, idents, literal, qualified, qualified_name

PLACEHOLDER = "{tenant}"
ID_PLACEHOLDER = "{tenant_id}"
CONTROL_DATABASE = "control_plane"  # what {tenant} becomes in the default control-plane URL
MARKER_SCHEMA = "studio_split"
MARKER_TABLE = "completed"
UNASSIGNED_TABLE = "unassigned_rows"
DEFAULT_PLAN = "default"
SPLIT_NOTE_TITLE = "One database per tenant plus a control plane"  # tenancy.database_per_tenant's note
STATEMENT_TIMEOUT_MS = 3_600_000  # one COPY of a big table may take long; a hung one must not hold forever
NO_TENANT = "no tenant (tenant column NULL or parent path broken)"
STRAY = ("references a row of another tenant, or one that is unassigned: its foreign key would fail in the "
         "tenant's database")
SLUG = re.compile(r"[^a-z0-9_]+")


class SplitInterrupted(StudioError):
    """A tenant failed in a way that should stop the run (the caller decides)."""


# What to copy --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CopyTable:
    name: str  # schema-qualified, as in the catalog
    columns: tuple[str, ...]  # copied columns (generated columns are computed by the target)
    relation: str  # FROM clause over alias t0, with the LEFT JOINs of the parent path
    tenant_expr: str | None  # the row's tenant as SQL over the aliases; None for a shared table
    only: bool  # ONLY: inheritance children are copied as tables of their own

    def select(self, where: str = "true") -> str:
        columns = ", ".join(f"t0.{ident(c)}" for c in self.columns)
        return f"SELECT {columns} FROM {self.relation} WHERE {where}"

    @property
    def target_relation(self) -> str:
        return f"{'ONLY ' if self.only else ''}{qualified_name(self.name)}"


@dataclass(frozen=True)
class SplitPlan:
    target: Catalog
    scope: Scope
    tenant_tables: tuple[CopyTable, ...]
    shared_tables: tuple[CopyTable, ...]
    sequences: tuple[str, ...]  # qualified names whose position follows the source
    pre_data: tuple[str, ...]
    post_data: tuple[str, ...]
    cleanup: tuple[str, ...]
    schema_version: str

    @property
    def tables(self) -> tuple[CopyTable, ...]:
        return (*self.shared_tables, *self.tenant_tables)


def plan_from_design(current: Catalog, decisions, where: str = "design.toml") -> SplitPlan:
    if decisions.tenancy.model != "database-per-tenant":
        raise ConfigError(
            f"{where}: tenancy.model is {decisions.tenancy.model or 'unset'}; the split needs "
            'model = "database-per-tenant"'
        )
    result = design(current, decisions)
    return build_plan(current, result.target, result.scope)


def build_plan(current: Catalog, target: Catalog, scope: Scope) -> SplitPlan:
    tenant_type = scope.tenant_type
    copies: dict[str, CopyTable] = {}
    for table in target.stored_tables:
        source = current.table(table.qualified)
        if table.kind == "partition" or source is None or table.schema == CONTROL_SCHEMA:
            continue
        columns = tuple(
            c.name for c in table.columns if not c.generated and source.column(c.name) and not source.column(c.name).generated
        )
        only = table.kind != "partitioned_table"
        relation = f"{'ONLY ' if only else ''}{qualified_name(table.qualified)} t0"
        expr = None
        if table.qualified in scope.tables:
            joins, expr = tenant_path(current, scope, table.qualified)
            relation += joins
            expr = f"({expr})::{tenant_type}"
        copies[table.qualified] = CopyTable(table.qualified, columns, relation, expr, only)
    ordered = [copies[n] for n in dependency_order(target, list(copies))]
    stripped = _without_post_data(target)
    pre = _statements(ddl.render(stripped))
    remaining = list(pre)
    post = []
    for statement in _statements(ddl.render(target)):
        if statement in remaining:
            remaining.remove(statement)
        else:
            post.append(statement)
    post += [f"REFRESH MATERIALIZED VIEW {qualified(t.schema, t.name)};" for t in target.tables if t.kind == "materialized_view"]
    version = "sha256:" + hashlib.sha256(ddl.render(target).encode()).hexdigest()[:16]
    return SplitPlan(
        target=target,
        scope=scope,
        tenant_tables=tuple(c for c in ordered if c.tenant_expr is not None),
        shared_tables=tuple(c for c in ordered if c.tenant_expr is None),
        sequences=_sequences(current, target),
        pre_data=tuple(pre),
        post_data=tuple(post),
        cleanup=tuple(cleanup_statements(target)),
        schema_version=version,
    )


def _sequences(current: Catalog, target: Catalog) -> tuple[str, ...]:
    wanted = {(s.schema, s.name) for s in target.sequences}
    return tuple(qualified(s.schema, s.name) for s in current.sequences if (s.schema, s.name) in wanted)


def tenant_path(catalog: Catalog, scope: Scope, name: str, depth: int = 0) -> tuple[str, str]:
    """(LEFT JOINs from alias t<depth> up the parent path, the tenant expression)."""
    scoped = scope.tables[name]
    alias = f"t{depth}"
    if not scoped.added:
        return "", f"{alias}.{ident(scoped.column)}"
    if scoped.parent is None or scoped.via is None:  # listed by hand, no path: every row is unassigned
        return "", "NULL"
    parent = f"t{depth + 1}"
    on = " AND ".join(f"{alias}.{ident(c)} = {parent}.{ident(r)}" for c, r in zip(scoped.via.columns, scoped.via.ref_columns, strict=True))
    joins, expr = tenant_path(catalog, scope, scoped.parent, depth + 1)
    return f" LEFT JOIN {qualified_name(scoped.parent)} {parent} ON {on}" + joins, expr


def dependency_order(catalog: Catalog, names: list[str]) -> list[str]:
    """Referenced tables first (self-references and cycles do not block: FKs are added after the data)."""
    wanted = set(names)
    done: list[str] = []
    seen: set[str] = set()

    def visit(name: str, trail: frozenset) -> None:
        if name in seen or name in trail:
            return
        table = catalog.table(name)
        for fk in table.foreign_keys if table else ():
            if fk.ref_table in wanted and fk.ref_table != name:
                visit(fk.ref_table, trail | {name})
        seen.add(name)
        done.append(name)

    for name in names:
        visit(name, frozenset())
    return done


def _without_post_data(catalog: Catalog) -> Catalog:
    tables = tuple(
        dataclasses.replace(t, foreign_keys=(), triggers=(), rls_enabled=False, rls_forced=False, policies=())
        for t in catalog.tables
    )
    return dataclasses.replace(catalog, tables=tables)


def _statements(text: str) -> list[str]:
    return [s.sql.strip() + ";" for s in split_statements(text) if s.sql.strip() and not s.is_meta]


def cleanup_statements(target: Catalog) -> list[str]:
    """Drop what an unfinished run may have left of the target's objects (no-ops on an empty database)."""
    out = []
    for t in target.tables:
        if t.kind == "view":
            out.append(f"DROP VIEW IF EXISTS {qualified(t.schema, t.name)} CASCADE;")
        elif t.kind == "materialized_view":
            out.append(f"DROP MATERIALIZED VIEW IF EXISTS {qualified(t.schema, t.name)} CASCADE;")
    out += [f"DROP TABLE IF EXISTS {qualified(t.schema, t.name)} CASCADE;" for t in target.stored_tables if t.kind != "partition"]
    for f in target.functions:
        kind = "AGGREGATE" if f.kind == "aggregate" else "ROUTINE"
        out.append(f"DROP {kind} IF EXISTS {qualified(f.schema, f.name)}({f.arguments}) CASCADE;")
    out += [f"DROP SEQUENCE IF EXISTS {qualified(s.schema, s.name)} CASCADE;" for s in target.sequences]
    out += [f"DROP DOMAIN IF EXISTS {qualified(d.schema, d.name)} CASCADE;" for d in target.domains]
    out += [f"DROP TYPE IF EXISTS {qualified(e.schema, e.name)} CASCADE;" for e in target.enums]
    return out


# Tenants and their databases ---------------------------------------------------------------------


@dataclass(frozen=True)
class Tenant:
    id: str  # the tenant key as text
    slug: str  # [a-z0-9_]{1,40}: the {tenant} placeholder and control_plane.tenants.slug
    name: str


def slugify(value: str) -> str:
    return SLUG.sub("_", value.lower()).strip("_")[:40].strip("_")


def read_tenants(conn: psycopg.Connection, scope: Scope) -> list[Tenant]:
    key = ident(scope.tenant_key)
    rows = conn.execute(
        f"SELECT t.{key}::text, to_jsonb(t) FROM {qualified_name(scope.tenant_table)} t ORDER BY t.{key}"
    ).fetchall()
    tenants: list[Tenant] = []
    taken: set[str] = set()
    for tenant_id, raw in rows:
        row = {k.lower(): v for k, v in raw.items()}  # "Slug" and slug alike
        label = next((str(row[c]) for c in ("slug", "code", "name", "handle") if row.get(c)), "")
        slug = slugify(label) or slugify(f"tenant_{tenant_id}") or f"tenant_{len(tenants) + 1}"
        if slug in taken:
            slug = f"{slug[:40 - len(tenant_id) - 1]}_{slugify(tenant_id)}"
        taken.add(slug)
        name = str(row.get("name") or row.get("title") or label or tenant_id)
        tenants.append(Tenant(tenant_id, slug, name))
    return tenants


def check_template(template: str) -> None:
    shown = redact(template)
    if shown.startswith("<") and "password" not in template.lower() and "@" not in template:
        shown = template  # nothing secret to hide: name the input as the user typed it
    if PLACEHOLDER not in template and ID_PLACEHOLDER not in template:
        raise ConfigError(f"--target {shown}: put {PLACEHOLDER} where each tenant's database name goes, "
                          f"e.g. postgresql://host/tenant_{PLACEHOLDER}")
    try:
        params = pg_conninfo.conninfo_to_dict(libpq_dsn(render_url(template, Tenant("1", "probe", "probe"))))
    except psycopg.ProgrammingError:
        raise ConfigError(f"--target {shown}: not a PostgreSQL URL; use postgresql://user@host:5432/tenant_{PLACEHOLDER}") from None
    if not params.get("dbname"):
        raise ConfigError(f"--target {shown}: name the database, e.g. postgresql://host/tenant_{PLACEHOLDER}")


def render_url(template: str, tenant: Tenant) -> str:
    return template.replace(PLACEHOLDER, tenant.slug).replace(ID_PLACEHOLDER, slugify(tenant.id) or tenant.slug)


def default_control_url(template: str) -> str:
    return template.replace(PLACEHOLDER, CONTROL_DATABASE).replace(ID_PLACEHOLDER, CONTROL_DATABASE)


def _params(url: str) -> dict:
    return pg_conninfo.conninfo_to_dict(libpq_dsn(url))


def _connect(url: str, what: str) -> psycopg.Connection:
    try:
        return psycopg.connect(libpq_dsn(url), autocommit=False, connect_timeout=10)
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or ["connection failed"])[-1].strip()
        raise StudioError(f"{what} {redact(url)}: could not connect: {first}") from None


def ensure_database(url: str) -> bool:
    """CREATE DATABASE for the URL's database when missing (through the server's `postgres` database)."""
    params = _params(url)
    name = params.get("dbname")
    admin = pg_conninfo.make_conninfo(libpq_dsn(url), dbname="postgres")
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                return False
            conn.execute(f"CREATE DATABASE {ident(name)}")
            return True
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or ["failed"])[0].strip()
        raise StudioError(f"target {redact(url)}: cannot create database {name}: {first}; create it yourself "
                          f"or use a role with CREATEDB") from None


# The report -------------------------------------------------------------------------------------


@dataclass
class TenantReport:
    tenant: Tenant
    database: str  # the URL without password
    status: str = "pending"  # copied | skipped | failed
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # table -> (source, copied)
    error: str = ""

    @property
    def counts_match(self) -> bool:
        return all(s == c for s, c in self.counts.values())

    @property
    def ok(self) -> bool:
        return self.status in ("copied", "skipped") and self.counts_match

    def text(self, shared: set[str]) -> str:
        head = f"tenant {self.tenant.slug} (id {self.tenant.id}) -> {self.database}: "
        if self.status == "failed":
            return head + f"FAILED: {self.error}"
        own = {t: n for t, n in self.counts.items() if t not in shared}
        copies = {t: n for t, n in self.counts.items() if t in shared}
        state = "already complete, skipped" if self.status == "skipped" else "copied"
        lines = [head + f"{state}; {sum(c for _, c in own.values())} tenant rows in {len(own)} tables, "
                 f"{sum(c for _, c in copies.values())} rows of {len(copies)} shared tables; "
                 f"counts {'match' if self.counts_match else 'DIFFER'}"]
        for table, (source, copied) in own.items():
            lines.append(f"    {table}: {copied} of {source}{'' if source == copied else '  MISMATCH'}")
        lines += [f"    {table} (shared): {copied} of {source}  MISMATCH" for table, (source, copied) in copies.items() if source != copied]
        return "\n".join(lines)


@dataclass
class SplitReport:
    tenants: list[TenantReport] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)  # tenant table -> rows in the source
    unassigned: dict[str, dict[str, int]] = field(default_factory=dict)  # table -> reason -> rows
    shared: set[str] = field(default_factory=set)
    control_plane: str = ""

    @property
    def ok(self) -> bool:
        # no tenant rows (an empty or schema-only source) is a complete split of nothing, not a failure
        return all(t.ok for t in self.tenants) and not self.unbalanced()

    def unbalanced(self) -> list[str]:
        """Tenant tables where the rows of every tenant plus the unassigned rows differ from the source's."""
        out = []
        for table, total in self.totals.items():
            copied = sum(t.counts.get(table, (0, 0))[1] for t in self.tenants)
            loose = sum(self.unassigned.get(table, {}).values())
            if copied + loose != total:
                out.append(f"{table}: {total} in the source, {copied} in tenant databases + {loose} unassigned")
        return out

    def text(self) -> str:
        lines = [t.text(self.shared) for t in self.tenants]
        if self.unassigned:
            lines.append(f"unassigned rows (kept in {CONTROL_SCHEMA}.{UNASSIGNED_TABLE} of {self.control_plane}):")
            for table, reasons in self.unassigned.items():
                lines += [f"    {table}: {n} rows, {reason}" for reason, n in reasons.items()]
        else:
            lines.append("unassigned rows: none (every row of every tenant table belongs to a known tenant)")
        lines += [f"UNBALANCED {u}" for u in self.unbalanced()]
        done = sum(t.status != "failed" for t in self.tenants)
        if not self.tenants:
            lines.append("the tenant table has no rows: no tenant database to create")
        lines.append(f"{'split complete' if self.ok else 'split INCOMPLETE'}: {done} of {len(self.tenants)} tenant databases done")
        return "\n".join(lines) + "\n"


# Running it --------------------------------------------------------------------------------------


Progress = Callable[[str], None]


def split(
    source_url: str,
    plan: SplitPlan,
    target_template: str,
    *,
    control_url: str | None = None,
    create_databases: bool = False,
    progress: Progress | None = None,
) -> SplitReport:
    say = progress or (lambda message: None)
    check_template(target_template)
    control_url = control_url or default_control_url(target_template)
    report = SplitReport(shared={c.name for c in plan.shared_tables}, control_plane=redact(control_url))
    with connect_readonly(source_url, statement_timeout_ms=STATEMENT_TIMEOUT_MS) as src:
        _require_all_rows_visible(src, plan)
        tenants = read_tenants(src, plan.scope)
        say(f"{len(tenants)} tenants in {plan.scope.tenant_table}")
        strays = stray_rows(src, plan)
        counts, shared_counts = _source_counts(src, plan, tenants, report, strays)
        positions = _sequence_positions(src, plan)
        if create_databases:
            ensure_database(control_url)
        with _connect(control_url, "control plane") as control:
            _prepare_control_plane(control, plan, tenants, target_template)
            _write_unassigned(src, control, plan, {t.id for t in tenants}, strays)
            control.commit()
            for tenant in tenants:
                url = render_url(target_template, tenant)
                entry = TenantReport(tenant, redact(url))
                report.tenants.append(entry)
                say(f"tenant {tenant.slug}: {entry.database}")
                try:
                    if create_databases:
                        ensure_database(url)
                    expected = {**shared_counts, **{t: n.get(tenant.id, 0) for t, n in counts.items()}}
                    _split_tenant(src, url, tenant, plan, expected, positions, entry, say, strays)
                except StudioError as exc:
                    entry.status, entry.error = "failed", str(exc)
                    continue
                if entry.ok:
                    _mark_active(control, tenant, plan)
                    control.commit()
    return report


def _require_all_rows_visible(src: psycopg.Connection, plan: SplitPlan) -> None:
    """Under row level security a role without BYPASSRLS reads a filtered table: rows would go missing."""
    bypass = src.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user").fetchone()
    guarded = [
        c.name for c in plan.tables
        if (src.execute("SELECT relrowsecurity FROM pg_class WHERE oid = to_regclass(%s)", (qualified_name(c.name),)).fetchone() or (False,))[0]
    ]
    if guarded and not (bypass and bypass[0]):
        raise StudioError(f"source: {len(guarded)} tables have row level security (e.g. {guarded[0]}) and this role "
                          f"would read only the rows its policies allow; connect as a role with BYPASSRLS")


def _row_id(alias: str = "t0") -> str:
    """A row's identity within the split's one snapshot (ctids repeat across partitions, so with its tableoid)."""
    return f"({alias}.tableoid::text || ':' || {alias}.ctid::text)"


def _not_stray(strays: dict[str, list[str]], table: CopyTable) -> str:
    ids = strays.get(table.name)
    return f"NOT ({_row_id()} = ANY({literal('{' + ','.join(chr(34) + i + chr(34) for i in ids) + '}')}::text[]))" if ids else "true"


def stray_rows(src: psycopg.Connection, plan: SplitPlan) -> dict[str, list[str]]:
    """Rows of tenant tables that cannot go to their tenant's database: they reference (through a foreign key to
    another tenant table) a row of another tenant or one that is itself not copied there, to a fixpoint."""
    tenant_tables = {t.name: t for t in plan.tenant_tables}
    strays: dict[str, set[str]] = {name: set() for name in tenant_tables}
    edges = []
    for child in plan.tenant_tables:
        table = plan.target.table(child.name)
        for fk in table.foreign_keys if table else ():
            if fk.ref_table in tenant_tables:
                edges.append((child, fk, tenant_tables[fk.ref_table]))
    grew = bool(edges)
    while grew:
        grew = False
        for child, fk, parent in edges:
            refs = ", ".join(f"t0.{ident(r)} AS r{i}" for i, r in enumerate(fk.ref_columns))
            match = " AND ".join(f"p.r{i} = t0.{ident(c)}" for i, c in enumerate(fk.columns))
            rows = src.execute(
                f"SELECT {_row_id()} FROM {child.relation} WHERE EXISTS (SELECT 1 FROM (SELECT {_row_id()} AS row_id, "
                f"{refs}, ({parent.tenant_expr})::text AS tenant FROM {parent.relation}) AS p WHERE {match} "
                f"AND (p.tenant IS DISTINCT FROM ({child.tenant_expr})::text OR p.row_id = ANY(%s))) "
                f"AND NOT ({_row_id()} = ANY(%s))",
                (sorted(strays[parent.name]), sorted(strays[child.name])),
            ).fetchall()
            if rows:
                strays[child.name].update(r[0] for r in rows)
                grew = True
    return {name: sorted(ids) for name, ids in strays.items() if ids}


def _source_counts(src, plan: SplitPlan, tenants: list[Tenant], report: SplitReport, strays: dict[str, list[str]]):
    known = {t.id for t in tenants}
    counts: dict[str, dict[str, int]] = {}
    for table in plan.tenant_tables:
        grouped = src.execute(f"SELECT ({table.tenant_expr})::text, {_not_stray(strays, table)}, count(*) "
                              f"FROM {table.relation} GROUP BY 1, 2").fetchall()
        by_tenant: dict[str, int] = {}
        reasons: dict[str, int] = {}
        for value, kept, n in grouped:
            if value is None:
                reasons[NO_TENANT] = reasons.get(NO_TENANT, 0) + n
            elif value not in known:
                reasons[f"unknown tenant {value}"] = reasons.get(f"unknown tenant {value}", 0) + n
            elif not kept:
                reasons[STRAY] = reasons.get(STRAY, 0) + n
            else:
                by_tenant[value] = n
        counts[table.name] = by_tenant
        report.totals[table.name] = sum(n for _, _, n in grouped)
        if reasons:
            report.unassigned[table.name] = reasons
    shared = {t.name: src.execute(f"SELECT count(*) FROM {t.relation}").fetchone()[0] for t in plan.shared_tables}
    return counts, shared


def _sequence_positions(src, plan: SplitPlan) -> dict[str, tuple[int, bool]]:
    return {name: tuple(src.execute(f"SELECT last_value, is_called FROM {name}").fetchone()) for name in plan.sequences}


def _copy(src: psycopg.Connection, dst: psycopg.Connection, query: str, into: str) -> None:
    with src.cursor().copy(f"COPY ({query}) TO STDOUT") as out, dst.cursor().copy(f"COPY {into} FROM STDIN") as sink:
        for chunk in out:
            sink.write(chunk)


def _marker(conn: psycopg.Connection, tenant: Tenant) -> dict | None:
    table = f"{ident(MARKER_SCHEMA)}.{ident(MARKER_TABLE)}"
    if conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()[0] is None:
        return None
    row = conn.execute(f"SELECT table_counts FROM {table} WHERE tenant_id = %s", (tenant.id,)).fetchone()
    return row[0] if row else None


def _split_tenant(src, url: str, tenant: Tenant, plan: SplitPlan, expected: dict[str, int],
                  positions: dict, entry: TenantReport, say: Progress, strays: dict[str, list[str]]) -> None:
    with _connect(url, f"tenant {tenant.slug} database") as dst:
        try:
            done = _marker(dst, tenant)
            if done is not None:
                entry.status = "skipped"
                entry.counts = {t: (expected.get(t, 0), n) for t, n in done.items()}
                dst.rollback()
                return
            dst.execute(f"SET LOCAL statement_timeout = {int(STATEMENT_TIMEOUT_MS)}")
            for statement in (*plan.cleanup, *plan.pre_data):
                _run(dst, statement)
            for table in plan.tables:
                say(f"tenant {tenant.slug}: {table.name}")
                where = "true" if table.tenant_expr is None else (
                    f"{table.tenant_expr} = {literal(tenant.id)}::{plan.scope.tenant_type} AND {_not_stray(strays, table)}")
                _copy(src, dst, table.select(where), f"{qualified_name(table.name)} ({idents(table.columns)})")
            # counted before the policies exist: a forced policy would filter (or, reading an unset setting, refuse)
            copied = {t.name: dst.execute(f"SELECT count(*) FROM {t.target_relation}").fetchone()[0] for t in plan.tables}
            for statement in plan.post_data:
                _run(dst, statement)
            for name, (value, called) in positions.items():
                if dst.execute("SELECT to_regclass(%s)", (name,)).fetchone()[0] is not None:
                    dst.execute("SELECT setval(%s::regclass, %s, %s)", (name, value, called))
            entry.counts = {t: (expected.get(t, 0), n) for t, n in copied.items()}
            if not entry.counts_match:
                differ = [f"{t} {s} != {c}" for t, (s, c) in entry.counts.items() if s != c]
                raise StudioError(f"copied counts differ from the source: {'; '.join(differ[:3])}; nothing was committed")
            dst.execute(f"CREATE SCHEMA IF NOT EXISTS {ident(MARKER_SCHEMA)}")
            dst.execute(f"CREATE TABLE IF NOT EXISTS {ident(MARKER_SCHEMA)}.{ident(MARKER_TABLE)} ("
                        "tenant_id text PRIMARY KEY, schema_version text NOT NULL, table_counts jsonb NOT NULL, "
                        "finished_at timestamptz NOT NULL DEFAULT now())")
            dst.execute(f"INSERT INTO {ident(MARKER_SCHEMA)}.{ident(MARKER_TABLE)} (tenant_id, schema_version, table_counts) "
                        "VALUES (%s, %s, %s)", (tenant.id, plan.schema_version, json.dumps(copied)))
            dst.commit()
            entry.status = "copied"
        except psycopg.Error as exc:
            dst.rollback()
            message = (exc.diag.message_primary or str(exc)).strip().splitlines()[0]
            raise StudioError(f"{message}; nothing was committed for this tenant, rerun to redo it") from None
        except BaseException:
            dst.rollback()  # a kill or crash leaves this tenant's database as it was: the rerun redoes it
            raise


def _run(conn: psycopg.Connection, statement: str) -> None:
    try:
        conn.execute(statement)
    except psycopg.Error as exc:
        message = (exc.diag.message_primary or str(exc)).strip()
        raise StudioError(f"{message} (in: {statement.splitlines()[0][:100]}); nothing was committed for this tenant") from None


# The control plane ------------------------------------------------------------------------------


def _prepare_control_plane(conn: psycopg.Connection, plan: SplitPlan, tenants: list[Tenant], template: str) -> None:
    s = ident(CONTROL_SCHEMA)
    if conn.execute("SELECT to_regclass(%s)", (f"{s}.tenants",)).fetchone()[0] is None:
        for statement in control_plane_sql(plan.scope.tenant_type):
            conn.execute(statement)
    conn.execute(f"""CREATE TABLE IF NOT EXISTS {s}.{ident(UNASSIGNED_TABLE)} (
    source_table text NOT NULL,
    reason text NOT NULL,
    "row" jsonb NOT NULL,
    found_at timestamptz NOT NULL DEFAULT now()
)""")
    conn.execute(f"INSERT INTO {s}.plans (code) VALUES (%s) ON CONFLICT (code) DO NOTHING", (DEFAULT_PLAN,))
    plan_id = conn.execute(f"SELECT id FROM {s}.plans WHERE code = %s", (DEFAULT_PLAN,)).fetchone()[0]
    key_type = plan.scope.tenant_type
    for tenant in tenants:
        conn.execute(
            f"INSERT INTO {s}.tenants (id, slug, name, plan_id, status) VALUES (%s::{key_type}, %s, %s, %s, 'provisioning') "
            "ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, name = excluded.name",
            (tenant.id, tenant.slug, tenant.name, plan_id),
        )
        params = _params(render_url(template, tenant))
        host = params.get("host") or "localhost"
        conn.execute(
            f"INSERT INTO {s}.tenant_databases (tenant_id, host, port, database_name) VALUES (%s::{key_type}, %s, %s, %s) "
            "ON CONFLICT (tenant_id) DO UPDATE SET host = excluded.host, port = excluded.port, database_name = excluded.database_name",
            (tenant.id, host, int(params.get("port") or 5432), params.get("dbname")),
        )


def _write_unassigned(src, control: psycopg.Connection, plan: SplitPlan, known: set[str],
                      strays: dict[str, list[str]]) -> None:
    """Every row whose tenant is NULL or unknown, or that references another tenant's row, as jsonb with its reason
    (replacing an earlier run's)."""
    s = f"{ident(CONTROL_SCHEMA)}.{ident(UNASSIGNED_TABLE)}"
    tenant = qualified_name(plan.scope.tenant_table)
    key = ident(plan.scope.tenant_key)
    for table in plan.tenant_tables:
        control.execute(f"DELETE FROM {s} WHERE source_table = %s", (table.name,))
        expr = table.tenant_expr
        unknown = f"NOT EXISTS (SELECT 1 FROM {tenant} k WHERE k.{key} = {expr})"
        query = (
            f"SELECT {literal(table.name)}, CASE WHEN {expr} IS NULL THEN {literal(NO_TENANT)} "
            f"WHEN {unknown} THEN 'unknown tenant ' || ({expr})::text ELSE {literal(STRAY)} END, to_jsonb(t0) "
            f"FROM {table.relation} WHERE {expr} IS NULL OR {unknown} OR NOT {_not_stray(strays, table)}"
        )
        _copy(src, control, query, f"{s} (source_table, reason, \"row\")")


def _mark_active(control: psycopg.Connection, tenant: Tenant, plan: SplitPlan) -> None:
    s = ident(CONTROL_SCHEMA)
    key_type = plan.scope.tenant_type
    control.execute(f"UPDATE {s}.tenants SET status = 'active' WHERE id = %s::{key_type}", (tenant.id,))
    control.execute(f"UPDATE {s}.tenant_databases SET schema_version = %s, migrated_at = now() WHERE tenant_id = %s::{key_type}",
                    (plan.schema_version, tenant.id))


def unassigned_rows(control_url: str) -> Iterator[tuple[str, str, dict]]:
    with _connect(control_url, "control plane") as conn:
        yield from conn.execute(f"SELECT source_table, reason, \"row\" FROM {ident(CONTROL_SCHEMA)}.{ident(UNASSIGNED_TABLE)} ORDER BY 1, 2")


# Proof on scratch databases (studio/bundle/verify.py) ----------------------------------------------------

CHECK_NAME = "database-per-tenant split: every tenant's rows + unassigned = source rows"


def prove(design_toml: str, source_admin_url: str, run_url: str, current: Catalog) -> tuple[str, bool, str] | None:
    """Run the split of a database-per-tenant bundle into scratch databases on the sandbox server.

    The tenant databases belong to the role of `run_url` (an uploaded file's unprivileged sandbox
    role), so its DDL never runs as a superuser. None when the design is not database-per-tenant.
    """

    if not design_toml.strip():
        return None
    decisions = parse(design_toml, "design.toml in the bundle")
    if decisions.tenancy.model != "database-per-tenant":
        return None
    prefix = f"studio_scratch_{secrets.token_hex(4)}_"
    owner = _params(run_url).get("user")
    try:
        plan = plan_from_design(current, decisions, "design.toml in the bundle")
        with connect_readonly(source_admin_url) as src:
            slugs = [t.slug for t in read_tenants(src, plan.scope)]
        with embedded.connect() as conn:
            for slug in [CONTROL_DATABASE, *slugs]:
                conn.execute(f"CREATE DATABASE {ident(prefix + slug)}{f' OWNER {ident(owner)}' if owner else ''}")
        template = pg_conninfo.make_conninfo(run_url, dbname=prefix + PLACEHOLDER)
        report = split(source_admin_url, plan, template)
    except StudioError as exc:
        return CHECK_NAME, False, str(exc)
    finally:
        with embedded.connect() as conn:
            for (name,) in conn.execute("SELECT datname FROM pg_database WHERE starts_with(datname, %s)", (prefix,)).fetchall():
                conn.execute(f"DROP DATABASE IF EXISTS {ident(name)} WITH (FORCE)")
    failed = [f"{t.tenant.slug}: {t.error}" for t in report.tenants if not t.ok]
    problems = failed + report.unbalanced()
    loose = sum(n for reasons in report.unassigned.values() for n in reasons.values())
    detail = "; ".join(problems[:3]) or (
        f"{len(report.tenants)} tenant databases, {len(report.totals)} tenant tables balance, "
        f"{len(report.shared)} shared tables copied, {loose} rows unassigned"
    )
    return CHECK_NAME, report.ok, detail


def runbook(design_notes) -> list[str]:
    """README lines for a bundle whose design is database-per-tenant (none otherwise)."""
    if not any(SPLIT_NOTE_TITLE in note for note in design_notes):
        return []
    return [
        "## Database per tenant: the split", "",
        "The migrations above prepare the schema; the rows move with `schema-studio split`, tenant by tenant:", "",
        "```",
        "schema-studio split --dsn 'postgresql://reader@prod/app' --decisions design.toml \\",
        f"    --target 'postgresql://admin@tenants-host/tenant_{PLACEHOLDER}' \\",
        f"    --control-plane 'postgresql://admin@control-host/{CONTROL_DATABASE}' [--create-databases]",
        "```", "",
        f"- `{PLACEHOLDER}` becomes each tenant's slug (its slug, code or name column, lower case `[a-z0-9_]`), "
        f"`{ID_PLACEHOLDER}` its key. Without `--control-plane` the control plane is `--target` with "
        f"`{PLACEHOLDER}` = `{CONTROL_DATABASE}`. Databases are created only with `--create-databases`.",
        "- The source is read in one READ ONLY, REPEATABLE READ transaction (one snapshot for every tenant): stop "
        "writes first, or run it again for the rows written meanwhile on a fresh set of databases. It needs a role "
        "that bypasses row level security, or rows would be missed (the split refuses to start).",
        "- Each tenant database is one transaction: the schema without foreign keys, triggers and policies, the "
        "tenant's rows and a copy of every shared table streamed with COPY (parents first), then the foreign keys, "
        "triggers and policies, sequence positions as in the source, a count check per table against the source, "
        f"and a marker row in `{MARKER_SCHEMA}.{MARKER_TABLE}`. A killed run is resumed by running the same command: "
        "tenants with the marker are skipped, an unfinished one is redone from empty.",
        f"- Rows whose tenant is NULL or not in the tenant table, and rows that reference another tenant's row (or an "
        f"unassigned one), go to `{CONTROL_SCHEMA}.{UNASSIGNED_TABLE}` in the control plane (original row as jsonb, "
        "with the reason); the report lists them per table. Nothing is dropped.",
        f"- `{CONTROL_SCHEMA}.tenants` and `tenant_databases` are filled from the tenant table; a tenant turns `active`, "
        "with its database's schema_version, once its copy is complete. Route the application by them.",
        "- The tenant table is shared (every tenant database holds the tenant list its foreign keys point to).",
        "- Exit status 0 when every tenant is done and every tenant table balances (tenant rows + unassigned = source "
        "rows), 1 otherwise: rerun after fixing the failing tenant's database.", "",
    ]
