"""Blueprints (design.toml [[blueprint]]) added to the target model.

The blueprints are merged into the target after tenancy, keys, partitioning and history, so
they attach to the final keys (a tenant-keyed users table is referenced by (tenant_id, id)).

The target model is what PostgreSQL makes of it: the target DDL plus the blueprints' SQL is
loaded into a scratch database and the objects the blueprints add (tables with their keys,
comments, partitions and policies; functions; types; triggers on attached tables) are read
back into the target Catalog. Every consumer (DDL, diff, ERD, analyzers, provisioning,
migration planner) then sees one model, and the DDL comes from one renderer. The cost is one
scratch load per distinct design, cached in memory.

Tenancy: rls, hybrid and citus render the blueprints with the tenant column (tenancy "rls");
schema-per-tenant and database-per-tenant without it, unless the tenant tables keep the tenant
column in their keys (a blueprint must then name the tenant to reference them). In
schema-per-tenant they go into the template schema, so each tenant gets its own copy through
provision_tenant(); a use's `schema` option keeps one shared instead. A name collision is an error naming the table
and the rename that frees it: the DDL could not load with it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from functools import lru_cache

from studio import ddl
from studio.blueprints.merge import merge
from studio.catalog import Catalog
from studio.design.decisions import BlueprintUse, Decisions
from studio.design.notes import Note
from studio.design.scope import Scope, ScopedTable
from studio.errors import ConfigError
from studio.sources import embedded, postgres
from studio.sql import ident

BLUEPRINT_TENANCY = {"rls": "rls", "hybrid": "rls", "citus": "rls", "schema-per-tenant": "none", "database-per-tenant": "none"}


def blueprint_tenancy(model: str | None, target: Catalog, scope: Scope | None, column: str, resolve) -> str | None:
    """rls where the design pools tenants; per schema or database none, unless the tenant tables
    keep the tenant column in their keys (the blueprints must then name the tenant to reference them)."""
    mode = BLUEPRINT_TENANCY.get(model) if model else None
    if mode == "none" and scope is not None:
        for name in scope.tables:
            t = target.table(resolve(name))
            if t is not None and t.primary_key and column in t.primary_key.columns:
                return "rls"
    return mode


def _use_options(use: BlueprintUse, resolve, template: str | None) -> dict:
    options = dict(use.options)
    if "attach" in options:
        attach = dict(options["attach"]) if not isinstance(options["attach"], dict) else dict(options["attach"])
        options["attach"] = {point: resolve(table) if isinstance(table, str) else table for point, table in attach.items()}
    if "audited" in options:
        options["audited"] = [resolve(t) for t in options["audited"]]
    if template and "schema" not in options:
        options["schema"] = template
    return {"name": use.name, **options}


@lru_cache(maxsize=8)
def _built(sql: str) -> Catalog:
    with embedded.scratch_database("design_blueprints") as name:
        with embedded.connect(name) as conn:
            conn.execute(sql)
        return postgres.introspect(embedded.admin_url(name))


def _added(target: Catalog, built: Catalog) -> Catalog:
    """The target plus what the blueprints created (read back from the loaded database)."""
    tables = []
    for t in target.tables:
        b = built.table(t.qualified)
        if b is not None:  # triggers a blueprint attaches to an existing table (audit-trail)
            names = {tr.name for tr in t.triggers}
            new = tuple(tr for tr in b.triggers if tr.name not in names)
            if new:
                t = dataclasses.replace(t, triggers=(*t.triggers, *new))
        tables.append(t)
    tables += [t for t in built.tables if t.qualified not in target]

    def new(items, key):
        have = {key(x) for x in items[0]}
        return (*items[0], *(x for x in items[1] if key(x) not in have))

    return dataclasses.replace(
        target,
        tables=tuple(tables),
        schemas=new((target.schemas, built.schemas), lambda s: s.name),
        enums=new((target.enums, built.enums), lambda e: (e.schema, e.name)),
        domains=new((target.domains, built.domains), lambda d: (d.schema, d.name)),
        sequences=new((target.sequences, built.sequences), lambda s: (s.schema, s.name)),
        functions=new((target.functions, built.functions), lambda f: (f.schema, f.name, f.arguments)),
    )


def add_blueprints(
    target: Catalog,
    setup_sql: list[str],
    decisions: Decisions,
    scope: Scope | None,
    resolve,
    *,
    template: str | None,
    today: dt.date,
    where: str = "design.toml",
) -> tuple[Catalog, Scope | None, list[Note]]:
    """Returns the target with the blueprints in it, the scope they extend, and a note."""
    if not decisions.blueprints:
        return target, scope, []
    model = decisions.tenancy.model
    uses = [_use_options(u, resolve, template if model == "schema-per-tenant" else None) for u in decisions.blueprints]
    result = merge(
        target,
        uses,
        tenancy=blueprint_tenancy(model, target, scope, decisions.tenancy.tenant_column, resolve),
        tenant_table=scope.tenant_table if scope else decisions.tenancy.tenant_table,
        tenant_column=decisions.tenancy.tenant_column,
        today=today,
    )
    if result.collisions:
        raise ConfigError(f"{where}: " + "; ".join(c.message for c in result.collisions))
    schemas = [f"CREATE SCHEMA IF NOT EXISTS {ident(s)};" for s in sorted({t.schema for t in target.tables} - ddl.BUILTIN_SCHEMAS)]
    base = "\n\n".join([*schemas, *setup_sql, ddl.render(target, comments=False)])
    try:
        built = _built(base + "\n\n" + result.sql)
    except Exception as error:  # psycopg.Error; reported as a fault of the combination, not a traceback
        raise ConfigError(
            f"{where}: the blueprints ({', '.join(b.name for b in result.blueprints)}) do not load on this design: "
            f"{str(error).splitlines()[0]}; attach them to other tables or give them another schema"
        ) from None
    merged = _added(target, built)
    added = [t for b in result.blueprints for t in b.tables]
    notes: list[Note] = []
    if model == "citus":
        merged, notes = _citus_exclusions(merged, added, decisions.tenancy.tenant_column)
    if scope is not None and model in BLUEPRINT_TENANCY:
        tables, shared = dict(scope.tables), dict(scope.shared)
        column = decisions.tenancy.tenant_column
        for b in result.blueprints:
            for name in b.tables:
                t = merged.table(name)
                if t is None or t.kind == "partition":
                    continue
                if (model == "schema-per-tenant" and t.schema == template) or t.column(column) is not None:
                    tables[name] = ScopedTable(name, column if t.column(column) else "", False, f"blueprint {b.name}")
                else:
                    shared[name] = f"blueprint {b.name}: reference data without {column}"
        scope = dataclasses.replace(scope, tables=tables, shared=shared)
    lines = [f"{b.name} ({b.schema}, tenancy {b.tenancy}): {', '.join(b.tables)}"
             + (f"; attached to {', '.join(f'{p} = {t}' for p, t in b.attached)}" if b.attached else "")
             for b in result.blueprints]
    note = Note(
        "blueprints",
        f"{len(result.blueprints)} blueprints add {len(added)} tables",
        "; ".join(lines) + ". Their keys, constraints and comments are the blueprints' own; each attaches to the "
        "target's keys as they are after the design choices above."
        + (" In schema-per-tenant they live in the template, so every tenant schema gets its own copy." if template and model == "schema-per-tenant" else ""),
        "the blueprints' DDL loaded with the target DDL into a scratch database and read back",
    )
    return merged, scope, [note, *notes]


def _citus_exclusions(catalog: Catalog, added: list[str], column: str) -> tuple[Catalog, list[Note]]:
    """Citus accepts an exclusion constraint on a distributed table only with the distribution
    column itself compared by =; the blueprints name the tenant through int8range(...) to work
    without btree_gist, which Citus cannot see through."""
    dropped, tables = [], []
    for t in catalog.tables:
        if t.qualified in added and t.column(column) is not None:
            keep = tuple(e for e in t.exclusions if column in e.columns)
            dropped += [f"{t.qualified}.{e.name}" for e in t.exclusions if e not in keep]
            t = dataclasses.replace(t, exclusions=keep)
        tables.append(t)
    if not dropped:
        return catalog, []
    return dataclasses.replace(catalog, tables=tuple(tables)), [Note(
        "breaks",
        f"{len(dropped)} blueprint exclusion constraints left out under Citus",
        f"Citus requires the distribution column itself, compared with =, in every exclusion constraint of a "
        f"distributed table; these compare {column} inside a range: {', '.join(dropped)}. With btree_gist on the "
        f"cluster, recreate each as EXCLUDE USING gist ({column} WITH =, ...), or check overlaps in the application.",
        "Citus documentation on distributed table constraints",
    )]
