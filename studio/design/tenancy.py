"""Tenancy models: each turns the current Catalog into a target Catalog plus extra SQL and notes.

rls                 one pooled schema; every tenant table carries the tenant column, keys and
                    FKs include it, RLS is enabled and forced.
schema-per-tenant   a template schema of the tenant tables, copied per tenant by provision_tenant().
database-per-tenant the tenant database DDL plus a control-plane schema (tenants, plans, routing).
hybrid              rls, plus dedicated schemas for named large tenants and a routing table.
citus               tenant keys as for rls, distributed on the tenant column; shared tables are
                    reference tables.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from studio.catalog import Catalog, Column, ForeignKey, IndexKey, Policy, PrimaryKey, Schema, Table
from studio.ddl import foreign_key_clause
from studio.design.constraint_indexes import sync_constraint_indexes
from studio.design.decisions import Tenancy
from studio.design.functions import relocate_functions
from studio.design.notes import Note, rls_index_cost, schema_per_tenant_cost
from studio.design.partitioning import own_foreign_keys
from studio.design.scope import Scope, tenant_scope
from studio.sql import ident, idents, literal, qualified, qualified_name

TEMPLATE_SCHEMA = "tenant_template"
CONTROL_SCHEMA = "control_plane"
SETTING = "app.tenant_id"


@dataclass
class Result:
    catalog: Catalog
    scope: Scope | None = None
    setup_sql: list[str] = field(default_factory=list)  # before the tables (types, functions)
    extra_sql: list[str] = field(default_factory=list)  # after them (provisioning, distribution)
    notes: list[Note] = field(default_factory=list)
    renames: dict[str, str] = field(default_factory=dict)  # old qualified name -> new
    # SQL that depends on the final target (after partitioning and history): provisioning, distribution
    finish: Callable[[Catalog, Scope], list[str]] | None = None


# Model editing -------------------------------------------------------------------------------


def replace_tables(catalog: Catalog, tables: dict[str, Table]) -> Catalog:
    return dataclasses.replace(catalog, tables=tuple(tables.values()))


def tables_by_name(catalog: Catalog) -> dict[str, Table]:
    return {t.qualified: t for t in catalog.tables}


def strip_partition(partition: Table) -> Table:
    """A partition inherits keys, FKs and indexes from its parent; keep only its bound."""
    return dataclasses.replace(partition, primary_key=None, uniques=(), foreign_keys=(), indexes=(), exclusions=())


def tenant_predicate(column: str, type_name: str) -> str:
    # missing_ok = true: an unset setting yields NULL (no rows), not an error; NULLIF because after
    # a SET LOCAL ends the setting reads as '' rather than NULL, and ''::bigint would raise.
    return f"({ident(column)} = (NULLIF(current_setting({literal(SETTING)}, true), ''))::{type_name})"


def _prepend(columns: tuple[str, ...], column: str) -> tuple[str, ...]:
    return columns if column in columns else (column, *columns)


# Tenant keys (rls, hybrid, citus) ----------------------------------------------------------------


def tenant_foreign_key(fk: ForeignKey, column: str, scope: Scope) -> ForeignKey:
    """A reference to a tenant table carries the tenant column on both sides."""
    if fk.ref_table not in scope.tables:
        return fk
    rc = scope.column(fk.ref_table)
    if rc in fk.ref_columns:
        return fk
    on_delete = fk.on_delete
    if on_delete in ("SET NULL", "SET DEFAULT"):
        on_delete = f"{on_delete} ({idents(fk.columns)})"  # never null the tenant column
    return dataclasses.replace(fk, columns=(column, *fk.columns), ref_columns=(rc, *fk.ref_columns), on_delete=on_delete)


def add_tenant_keys(catalog: Catalog, scope: Scope, *, default_from_setting: bool) -> tuple[Catalog, list[Note], list]:
    """Tenant column everywhere, keys and FKs including it. Returns (catalog, notes, widened indexes)."""
    tables = tables_by_name(catalog)
    notes: list[Note] = []
    widened_uniques: list[str] = []
    widened_indexes: list[tuple[str, str]] = []
    added: list[str] = []
    dropped_fks: list[str] = []
    for name, scoped in scope.tables.items():
        t = tables[name]
        tc = scoped.column
        columns = list(t.columns)
        if scoped.added:
            default = f"(NULLIF(current_setting({literal(SETTING)}, true), ''))::{scope.tenant_type}" if default_from_setting else None
            columns.append(Column(tc, scope.tenant_type, nullable=False, default=default, category="N" if scope.tenant_type in ("bigint", "integer") else "U", base_type=scope.tenant_type))
            added.append(f"{name}.{tc} (from {scoped.parent or 'by hand'})")
        else:
            columns = [dataclasses.replace(c, nullable=False) if c.name == tc else c for c in columns]
        pk = t.primary_key
        if pk and tc not in pk.columns:
            pk = PrimaryKey(pk.name, _prepend(pk.columns, tc))
        uniques = []
        seen = {frozenset(pk.columns)} if pk else set()
        for u in t.uniques:
            cols = _prepend(u.columns, tc)
            if cols != u.columns:
                widened_uniques.append(f"{name} ({', '.join(u.columns)})")
            if frozenset(cols) in seen:
                continue
            seen.add(frozenset(cols))
            uniques.append(dataclasses.replace(u, columns=cols))
        indexes = []
        for index in t.indexes:
            if index.constraint or index.method != "btree" or index.column_keys[:1] == (tc,):
                indexes.append(index)
                continue
            if index.unique and tc in index.column_keys:
                indexes.append(index)
                continue
            indexes.append(dataclasses.replace(index, keys=(IndexKey(tc, tc), *index.keys), definition=""))
            widened_indexes.append((name, index.name))
            if index.unique:
                widened_uniques.append(f"{name} index {index.name}")
        fks = [tenant_foreign_key(fk, tc, scope) for fk in t.foreign_keys]
        tables[name] = sync_constraint_indexes(dataclasses.replace(
            t, columns=tuple(columns), primary_key=pk, uniques=tuple(uniques), indexes=tuple(indexes), foreign_keys=tuple(fks)
        ))
    original = tables_by_name(catalog)
    for name, t in list(tables.items()):
        if t.partition_of:
            # Clones of the parent's keys follow the parent; keys the partition declares itself
            # follow the same rule as the parent's would.
            owner = t.partition_of
            own = own_foreign_keys(t, original.get(owner))
            if owner in scope.tables:
                fks = tuple(tenant_foreign_key(fk, scope.column(owner), scope) for fk in own)
                tables[name] = dataclasses.replace(strip_partition(t), columns=tables[owner].columns, foreign_keys=fks)
            else:
                keep = tuple(fk for fk in own if fk.ref_table not in scope.tables)
                dropped_fks += [f"{name} ({', '.join(fk.columns)}) -> {fk.ref_table}" for fk in own if fk not in keep]
                tables[name] = dataclasses.replace(t, foreign_keys=keep)
        elif name not in scope.tables and t.is_stored:
            keep = [fk for fk in t.foreign_keys if fk.ref_table not in scope.tables]
            if len(keep) != len(t.foreign_keys):
                dropped_fks += [f"{name} ({', '.join(fk.columns)}) -> {fk.ref_table}" for fk in t.foreign_keys if fk not in keep]
                tables[name] = dataclasses.replace(t, foreign_keys=tuple(keep))
    if added:
        notes.append(Note(
            "tenancy",
            f"Tenant column added to {len(added)} child tables",
            "These tables reach the tenant only through a parent; the column is added NOT NULL and "
            "backfilled from the parent before the constraint is set: " + "; ".join(added) + ".",
            "the foreign-key path from each table to the tenant table",
        ))
    if widened_uniques:
        notes.append(Note(
            "breaks",
            f"{len(widened_uniques)} unique keys become unique per tenant",
            "Primary and unique keys now include the tenant column, so the same value may exist once per tenant "
            "(for example the same e-mail in two tenants). Existing code that looks rows up by id alone still "
            "works under RLS but must pass the tenant to use the index: " + "; ".join(widened_uniques[:12])
            + (" ..." if len(widened_uniques) > 12 else "") + ".",
            "the primary keys, unique constraints and unique indexes of the tenant tables",
        ))
    if dropped_fks:
        notes.append(Note(
            "breaks",
            f"{len(dropped_fks)} foreign keys from shared tables to tenant tables dropped",
            "A shared table cannot reference one tenant's row without leaking it to every tenant: "
            + "; ".join(dropped_fks) + ". Move those tables into the tenant scope (tenancy.tenant_tables) to keep the reference.",
            "foreign keys whose referencing table is shared",
        ))
    return replace_tables(catalog, tables), notes, widened_indexes


def enable_rls(catalog: Catalog, scope: Scope, only: set[str] | None = None) -> Catalog:
    tables = tables_by_name(catalog)
    for name, t in tables.items():
        owner = t.partition_of if t.partition_of in scope.tables else name
        if owner not in scope.tables or (only is not None and owner not in only):
            continue
        predicate = tenant_predicate(scope.column(owner), scope.tenant_type)
        # With existing permissive policies ours must be RESTRICTIVE (AND-ed), or it would widen them.
        restrictive = any(p.permissive for p in t.policies)
        policy = Policy(
            free_policy_name(t, "tenant_isolation"), using=predicate, with_check=predicate, permissive=not restrictive
        )
        tables[name] = dataclasses.replace(t, rls_enabled=True, rls_forced=True, policies=(*t.policies, policy))
    return replace_tables(catalog, tables)


def free_policy_name(table: Table, base: str) -> str:
    names = {p.name for p in table.policies}
    name, n = base, 1
    while name in names:
        n += 1
        name = f"{base}_{n}"
    return name


def role_note(scope: Scope) -> Note:
    return Note(
        "rls-role",
        "The application role and the tenant setting",
        f"The application connects as a role without BYPASSRLS that owns no tenant table (FORCE ROW LEVEL SECURITY "
        f"also binds the owner). Each transaction starts with SET LOCAL {SETTING} = '<id>' or "
        f"SELECT set_config('{SETTING}', '<id>', true): transaction-scoped, so a pooled connection (PgBouncer in "
        f"transaction mode) never carries one tenant's setting into another tenant's transaction; never use a "
        f"session-level SET behind a pool. The policies read current_setting('{SETTING}', true): when no tenant is "
        f"set they see no rows and every insert fails its WITH CHECK, instead of raising an error on unset settings. "
        f"Every statement gains the predicate {scope.column(next(iter(scope.tables))) if scope.tables else 'tenant_id'} = "
        f"<setting> on each tenant table it reads ({len(scope.tables)} tables), which the planner uses as an index condition "
        f"where the index leads with the tenant column.",
        "PostgreSQL row level security semantics (FORCE, BYPASSRLS, custom settings)",
    )


def scope_note(scope: Scope) -> Note:
    lines = [f"{name}: {s.reason}" for name, s in scope.tables.items()]
    return Note(
        "tenancy",
        f"{len(scope.tables)} tenant tables, {len(scope.shared)} shared",
        "Tenant tables: " + "; ".join(lines) + ". Shared: " + ", ".join(sorted(scope.shared)) + ".",
        "tenant columns and foreign-key paths to " + scope.tenant_table + ", plus the overrides in design.toml",
    )


def rls(catalog: Catalog, tenancy: Tenancy) -> Result:
    scope = tenant_scope(catalog, tenancy)
    target, notes, widened = add_tenant_keys(catalog, scope, default_from_setting=True)
    target = enable_rls(target, scope)
    notes = [scope_note(scope), *notes, rls_index_cost(catalog, widened, scope.tenant_type), role_note(scope)]
    return Result(target, scope, notes=notes)


# Schema per tenant -------------------------------------------------------------------------------


def _mentions(text: str, names: list[str]) -> list[str]:
    return [n for n in names if re.search(rf"(?<![\w$]){re.escape(n.split('.', 1)[1])}(?![\w$])", text or "")]


def retarget_trigger(definition: str, table: Table, target: str) -> str:
    """pg_get_triggerdef names the table qualified or not (search_path); point it at `target`."""
    names = [re.escape(qualified(table.schema, table.name)), re.escape(ident(table.name))]
    pattern = rf" ON (?:{'|'.join(names)}) (?=FOR |REFERENCING |NOT |DEFERRABLE |INITIALLY |FROM |WHEN |EXECUTE )"
    return re.sub(pattern, lambda _m: f" ON {target} ", definition, count=1)


def move_tables(catalog: Catalog, names: list[str], schema: str) -> tuple[Catalog, dict[str, str], list[Note]]:
    """Move tables (and their partitions) into `schema`, re-pointing FKs and triggers; drop what cannot follow."""
    tables = tables_by_name(catalog)
    moving = [n for n in names] + [t.qualified for t in catalog.tables if t.partition_of in names]
    taken: set[str] = set()
    renames: dict[str, str] = {}
    for n in moving:
        t = tables[n]
        new = t.name if t.name not in taken else f"{t.schema}_{t.name}"
        taken.add(new)
        renames[n] = f"{schema}.{new}"
    dropped_views = [v.qualified for v in catalog.tables if v.kind in ("view", "materialized_view") and _mentions(v.view_definition, moving)]
    dropped_policies = []
    out: dict[str, Table] = {}
    for name, t in tables.items():
        if name in dropped_views:
            continue
        fks = tuple(dataclasses.replace(fk, ref_table=renames.get(fk.ref_table, fk.ref_table)) for fk in t.foreign_keys)
        t = dataclasses.replace(t, foreign_keys=fks)
        if name in renames:
            new_schema, new_name = renames[name].split(".", 1)
            triggers = tuple(
                dataclasses.replace(tr, definition=retarget_trigger(tr.definition, t, qualified(new_schema, new_name)))
                for tr in t.triggers
            )
            policies = tuple(p for p in t.policies if not _mentions(f"{p.using} {p.with_check}", moving))
            dropped_policies += [f"{name}.{p.name}" for p in t.policies if p not in policies]
            t = dataclasses.replace(
                t, schema=new_schema, name=new_name, triggers=triggers, policies=policies,
                partition_of=renames.get(t.partition_of, t.partition_of), rls_enabled=t.rls_enabled and bool(policies),
                rls_forced=t.rls_forced and bool(policies),
            )
        out[t.qualified] = t
    sequences = tuple(
        dataclasses.replace(s, owned_by=None) if s.owned_by and s.owned_by.rpartition(".")[0] in renames else s
        for s in catalog.sequences
    )
    schemas = catalog.schemas
    if schema not in catalog.schema_names:
        schemas = (*schemas, Schema(schema, comment="Template of every tenant's schema; copied by provision_tenant()"))
    result = dataclasses.replace(catalog, tables=tuple(out.values()), sequences=sequences, schemas=schemas)
    notes = []
    if dropped_views:
        notes.append(Note(
            "breaks", f"{len(dropped_views)} views over tenant tables need a per-tenant copy",
            "They read tables that now live in each tenant's schema; recreate them in the template and let "
            "provisioning copy them, or resolve them through search_path: " + ", ".join(dropped_views) + ".",
            "view definitions that name a moved table",
        ))
    if dropped_policies:
        notes.append(Note(
            "breaks", f"{len(dropped_policies)} policies that name moved tables dropped",
            "Rewrite them against the tenant schema: " + ", ".join(dropped_policies) + ".", "policy expressions",
        ))
    return result, renames, notes


def _order_for_copy(catalog: Catalog, names: list[str]) -> list[Table]:
    tables = [catalog.table(n) for n in names]
    parents = [t for t in tables if not t.partition_of]
    children = [t for t in tables if t.partition_of]
    return parents + children


SCHEMA_MARK = "\x07"  # stands for the new schema until the format() string is escaped


def _format_literal(sql: str) -> str:
    return literal(sql.replace("%", "%%").replace(SCHEMA_MARK, "%1$I"))


def _repoint(sql: str, template: str | None) -> str:
    """References to the template schema (functions moved there) point at the new schema."""
    return sql if template is None else sql.replace(f"{ident(template)}.", f"{SCHEMA_MARK}.")


def provisioning_function(
    catalog: Catalog, names: list[str], *, function: str, prefix: str, template_note: str, template: str | None = None
) -> str:
    """plpgsql that creates schema `prefix || name` as a copy of the given tables, FKs re-pointed.

    With `template`, the functions of that schema are copied too (after the tables, whose row
    types they may use, and before the triggers that call them), references re-pointed.
    """
    inside = set(names)
    local = {n: catalog.table(n).name for n in names}
    body: list[str] = []

    def execute(sql: str) -> None:
        body.append(f"    EXECUTE format({_format_literal(sql)}, schema_name);")

    ordered = _order_for_copy(catalog, names)
    for t in ordered:
        target = f"{SCHEMA_MARK}.{ident(t.name)}"
        if t.partition_of:
            execute(f"CREATE TABLE {target} PARTITION OF {SCHEMA_MARK}.{ident(local[t.partition_of])} {t.partition_bound or 'DEFAULT'}")
        else:
            sql = f"CREATE TABLE {target} (LIKE {qualified(t.schema, t.name)} INCLUDING ALL)"
            if t.partitioning:
                sql += f" PARTITION BY {t.partitioning.key}"
            execute(sql)
    copied = [f for f in catalog.functions if template and f.schema == template and f.definition]
    if copied:  # the copies may call each other: check bodies once all exist (as pg_dump does)
        body.append("    checking := current_setting('check_function_bodies');")
        body.append("    PERFORM set_config('check_function_bodies', 'off', true);")
        for f in copied:
            execute(_repoint(f.definition.rstrip().rstrip(";"), template))
        body.append("    PERFORM set_config('check_function_bodies', checking, true);")
    for t in ordered:
        target = f"{SCHEMA_MARK}.{ident(t.name)}"
        if t.partition_of:
            parent = catalog.table(t.partition_of)
            for fk in own_foreign_keys(t, parent):  # partitions' own references; clones come from the parent
                clause = foreign_key_clause(fk)
                if fk.ref_table in inside:
                    clause = clause.replace(
                        f"REFERENCES {qualified_name(fk.ref_table)} (", f"REFERENCES {SCHEMA_MARK}.{ident(local[fk.ref_table])} (", 1
                    )
                execute(f"ALTER TABLE {target} ADD CONSTRAINT {ident(fk.name)} {clause}")
            continue
        for fk in t.foreign_keys:
            clause = foreign_key_clause(fk)
            if fk.ref_table in inside:
                clause = clause.replace(
                    f"REFERENCES {qualified_name(fk.ref_table)} (", f"REFERENCES {SCHEMA_MARK}.{ident(local[fk.ref_table])} (", 1
                )
            execute(f"ALTER TABLE {target} ADD CONSTRAINT {ident(fk.name)} {clause}")
        for tr in t.triggers:
            execute(_repoint(retarget_trigger(tr.definition, t, target), template))
    lines = "\n".join(body)
    return f"""CREATE FUNCTION {function}(tenant_name text) RETURNS text
LANGUAGE plpgsql
AS $provision$
-- {template_note}
DECLARE
    schema_name text := {literal(prefix)} || tenant_name;
    checking text;
BEGIN
    IF tenant_name !~ '^[a-z0-9_]{{1,40}}$' THEN
        RAISE EXCEPTION 'tenant name % must be 1 to 40 lower-case letters, digits or underscores', tenant_name;
    END IF;
    EXECUTE format('CREATE SCHEMA %I', schema_name);
{lines}
    RETURN schema_name;
END
$provision$;"""


def schema_per_tenant(catalog: Catalog, tenancy: Tenancy) -> Result:
    scope = tenant_scope(catalog, tenancy)
    target, renames, notes = move_tables(catalog, list(scope.tables), TEMPLATE_SCHEMA)
    relocation = relocate_functions(target, renames, TEMPLATE_SCHEMA)
    target = relocation.catalog
    notes += relocation.notes
    template = [renames[n] for n in scope.tables] + [renames[t.qualified] for t in catalog.tables if t.partition_of in scope.tables]

    def finish(final: Catalog, _scope: Scope) -> list[str]:
        names = [t.qualified for t in final.stored_tables if t.schema == TEMPLATE_SCHEMA]
        return [provisioning_function(
            final, names, function=qualified("public", "provision_tenant"), prefix="tenant_",
            template_note=f"copies the tables and functions of schema {TEMPLATE_SCHEMA}; shared tables stay where they are",
            template=TEMPLATE_SCHEMA,
        )]
    fanout = Note(
        "tenancy",
        "Migration fan-out",
        f"Every schema change runs once per tenant schema: {len(template)} tables each, in N schemas. Migrations "
        f"must loop over the tenants (one transaction per schema, resumable, with a schema_version per tenant) and "
        f"the template must change in the same release so new tenants match. LIKE ... INCLUDING ALL copies columns, "
        f"defaults, identity, checks, indexes and comments but not foreign keys or triggers, which provision_tenant() "
        f"adds explicitly, pointing at the new schema. Serial columns keep sharing the template's sequence.",
        f"{len(template)} template tables; PostgreSQL's CREATE TABLE ... LIKE semantics",
    )
    shared = Note(
        "tenancy",
        "Shared tables stay in their schemas",
        f"The {len(scope.shared)} shared tables ({', '.join(sorted(scope.shared))}) stay in their current schemas, "
        f"which act as the shared schema every tenant's search_path ends with: moving them would break every "
        f"query that names them for no gain in isolation. The application sets search_path = tenant_<name>, "
        f"{', '.join(sorted({n.split('.', 1)[0] for n in scope.shared}))} per connection or transaction.",
        "the tenant scope",
    )
    template_tables = [target.table(n) for n in template if target.table(n).kind != "partition"]
    notes = [scope_note(scope), fanout, shared, schema_per_tenant_cost(template_tables), *notes]
    return Result(target, scope, notes=notes, renames=renames, finish=finish)


# Database per tenant -------------------------------------------------------------------------------


def control_plane_sql(tenant_key_type: str) -> list[str]:
    s = ident(CONTROL_SCHEMA)
    return [
        f"CREATE SCHEMA IF NOT EXISTS {s};",
        f"""CREATE TABLE {s}.plans (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code text NOT NULL UNIQUE,
    max_storage_bytes bigint,
    dedicated boolean NOT NULL DEFAULT false
);""",
        f"""CREATE TABLE {s}.tenants (
    id {tenant_key_type} PRIMARY KEY,
    slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9_]{{1,40}}$'),
    name text NOT NULL,
    plan_id bigint NOT NULL REFERENCES {s}.plans (id),
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('provisioning', 'active', 'suspended', 'deleted')),
    created_at timestamptz NOT NULL DEFAULT now()
);""",
        f"""CREATE TABLE {s}.tenant_databases (
    tenant_id {tenant_key_type} PRIMARY KEY REFERENCES {s}.tenants (id),
    host text NOT NULL,
    port integer NOT NULL DEFAULT 5432 CHECK (port BETWEEN 1 AND 65535),
    database_name text NOT NULL,
    schema_version text,
    migrated_at timestamptz,
    UNIQUE (host, port, database_name)
);""",
        f"CREATE INDEX ON {s}.tenants (plan_id);",
    ]


def database_per_tenant(catalog: Catalog, tenancy: Tenancy) -> Result:
    scope = tenant_scope(catalog, tenancy)
    notes = [
        scope_note(scope),
        Note(
            "tenancy",
            "One database per tenant plus a control plane",
            f"Each tenant database holds all {len(scope.tables)} tenant tables and a copy of the "
            f"{len(scope.shared)} shared tables, which a sync job keeps equal (no foreign key crosses databases). "
            f"The control plane ({CONTROL_SCHEMA}.tenants, plans, tenant_databases) routes a tenant to its host and "
            f"database and records each database's schema_version; run it in its own database. Isolation is "
            f"physical: no query can reach another tenant's rows, but every migration runs N times, each database "
            f"needs its own connection pool (max_connections is per server, so pools are the limit), and "
            f"cross-tenant reporting needs an export pipeline.",
            "the tenant scope of this schema",
        ),
    ]
    return Result(catalog, scope, extra_sql=control_plane_sql(scope.tenant_type), notes=notes)


# Hybrid -------------------------------------------------------------------------------------------


def hybrid(catalog: Catalog, tenancy: Tenancy) -> Result:
    result = rls(catalog, tenancy)
    scope = result.scope
    tenant = qualified_name(scope.tenant_table)
    routing = f"""CREATE TABLE public.tenant_placements (
    tenant_id {scope.tenant_type} PRIMARY KEY REFERENCES {tenant} ({ident(scope.tenant_key)}) ON DELETE CASCADE,
    placement text NOT NULL DEFAULT 'pooled' CHECK (placement IN ('pooled', 'dedicated')),
    schema_name text UNIQUE,
    CHECK ((placement = 'dedicated') = (schema_name IS NOT NULL))
);"""

    def finish(final: Catalog, final_scope: Scope) -> list[str]:
        pooled = [t.qualified for t in final.stored_tables if t.qualified in final_scope.tables or t.partition_of in final_scope.tables]
        function = provisioning_function(
            final, pooled, function=qualified("public", "provision_dedicated_tenant"), prefix="tenant_",
            template_note="copies the pooled tenant tables (without their RLS policies) into a dedicated schema",
        )
        calls = [f"SELECT public.provision_dedicated_tenant({literal(name)});" for name in tenancy.dedicated_tenants]
        return [routing, function, *calls]

    result.finish = finish
    result.notes.append(Note(
        "tenancy",
        "Hybrid: pooled RLS plus dedicated schemas",
        f"Most tenants share the pooled tables under RLS; tenants listed in dedicated_tenants "
        f"({', '.join(tenancy.dedicated_tenants) or 'none yet'}) get their own schema through "
        f"provision_dedicated_tenant(), and public.tenant_placements routes each tenant. Moving a tenant from the "
        f"pool to a dedicated schema is a copy (INSERT ... SELECT under its tenant setting), a switch of its "
        f"placement row, and a delete from the pool; migrations run on the pool and on each dedicated schema.",
        f"{len(scope.tables)} pooled tables",
    ))
    return result


# Citus ---------------------------------------------------------------------------------------------


def citus(catalog: Catalog, tenancy: Tenancy) -> Result:
    scope = tenant_scope(catalog, tenancy)
    target, notes, _ = add_tenant_keys(catalog, scope, default_from_setting=False)
    tables = tables_by_name(target)
    dropped = []
    for name in scope.tables:
        t = tables[name]
        tc = scope.column(name)
        keep = tuple(e for e in t.exclusions if tc in e.columns)
        if len(keep) != len(t.exclusions):
            dropped += [f"{name}.{e.name}" for e in t.exclusions if e not in keep]
        # Citus: unique indexes on a distributed table must contain the distribution column.
        indexes = tuple(
            dataclasses.replace(i, keys=(IndexKey(tc, tc), *i.keys)) if i.unique and not i.constraint and tc not in i.column_keys else i
            for i in t.indexes
        )
        tables[name] = sync_constraint_indexes(dataclasses.replace(t, exclusions=keep, indexes=indexes))
    target = replace_tables(target, tables)
    reference = [scope.tenant_table] + [n for n in scope.shared if n != scope.tenant_table]
    distributed = list(scope.tables)
    first = distributed[0] if distributed else None

    def finish(final: Catalog, final_scope: Scope) -> list[str]:
        # shared tables added after tenancy (blueprints' reference data) are reference tables too
        late = [n for n in final_scope.shared if n not in reference]
        sql = [f"SELECT create_reference_table({literal(qualified_name(n))});" for n in reference + late if n in final]
        for name in [t.qualified for t in final.stored_tables if t.qualified in final_scope.tables]:
            args = f"{literal(qualified_name(name))}, {literal(final_scope.column(name))}"
            if name != first:
                args += f", colocate_with => {literal(qualified_name(first))}"
            sql.append(f"SELECT create_distributed_table({args});")
        return sql

    notes = [scope_note(scope), *notes, Note(
        "tenancy",
        "Citus: distributed on the tenant column",
        f"{len(distributed)} tables are distributed on their tenant column and colocated with {first}, so joins and "
        f"foreign keys within a tenant stay on one node; {len(reference)} shared tables (the tenant table included) "
        f"become reference tables, copied to every node. Citus requires every primary key and unique constraint of a "
        f"distributed table to include the distribution column, foreign keys between distributed tables to include it "
        f"on both sides, and allows no foreign key from a reference table to a distributed one: the target satisfies "
        f"all three." + (f" Exclusion constraints without the tenant column were dropped: {', '.join(dropped)}." if dropped else "")
        + " Queries that do not filter by the tenant fan out to every shard.",
        "Citus documentation on distributed table constraints; the tenant scope of this schema",
    )]
    return Result(target, scope, notes=notes, finish=finish)


MODELS = {
    "rls": rls,
    "schema-per-tenant": schema_per_tenant,
    "database-per-tenant": database_per_tenant,
    "hybrid": hybrid,
    "citus": citus,
}


def apply_tenancy(catalog: Catalog, tenancy: Tenancy) -> Result:
    if tenancy.model is None:
        return Result(catalog)
    return MODELS[tenancy.model](catalog, tenancy)

