"""Blueprints added to an existing design: attach points resolved, name collisions reported.

    merge_into(catalog, uses, *, tenancy=None, tenant_table=None, tenant_column="tenant_id", today=None)
        -> (sql, collisions)

`uses` are `BlueprintUse(name, options)` from design.toml (or plain dicts with a "name").
Options per use: `schema`, `tenancy` ("rls" | "none"), `attach = { point = "schema.table" }`,
`rename = { blueprint_table = "new_name" }`, `audited = ["schema.table", ...]` (audit-trail).

An attach point is resolved, in order, from the use's `attach`, from a blueprint earlier in the
same merge that creates it (diagnostic-codes gives repair-procedures its trouble codes), from a
well-known table of the catalog (the tenant table, `users`, `currencies`), and otherwise the
blueprint builds its own. Blueprints that create what others need are rendered first.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from studio.blueprints.builder import TENANCIES, Ref
from studio.blueprints.library import default_ref, get, render
from studio.catalog import Catalog, Table
from studio.errors import ConfigError

OPTION_KEYS = ("schema", "tenancy", "attach", "rename", "audited")
_WELL_KNOWN = {"users": ("users",), "currencies": ("currencies",)}


@dataclass(frozen=True)
class Collision:
    blueprint: str
    table: str  # the schema-qualified table that already exists
    suggested: str  # a free table name in the same schema

    @property
    def message(self) -> str:
        schema, _, name = self.table.partition(".")
        new = self.suggested.partition(".")[2]
        return (
            f"blueprint {self.blueprint}: table {self.table} already exists; rename the blueprint's table with "
            f'rename = {{ {name} = "{new}" }} or give it another schema'
        )


@dataclass(frozen=True)
class Merge:
    sql: str
    collisions: tuple[Collision, ...]
    blueprints: tuple  # rendered Blueprint values, in the order their SQL appears


def _options(use) -> tuple[str, dict]:
    if isinstance(use, Mapping):
        name, options = use.get("name"), {k: v for k, v in use.items() if k != "name"}
    else:
        name, options = use.name, dict(use.options)
    if not name:
        raise ConfigError("design.toml: every [[blueprint]] needs a name")
    unknown = sorted(set(options) - set(OPTION_KEYS))
    if unknown:
        raise ConfigError(
            f"design.toml: [[blueprint]] {name}: unknown option {unknown[0]!r} (options: {', '.join(OPTION_KEYS)})"
        )
    for key in ("attach", "rename"):
        value = options.get(key, {})
        if isinstance(value, tuple):  # a frozen BlueprintUse may hold pairs
            value = dict(value)
        if not isinstance(value, Mapping):
            raise ConfigError(f'design.toml: [[blueprint]] {name}: {key} must be a table such as {{ users = "public.users" }}')
        options[key] = dict(value)
    return name, options


def ref_for(table: Table, point: str, tenancy: str, tenant_column: str, where: str) -> Ref:
    """How a blueprint references an existing table: its key, and whether that key includes the tenant."""
    pk = table.primary_key
    if pk is None:
        raise ConfigError(f"{where}: {table.qualified} has no primary key to reference")
    cols = pk.columns
    if point == "tenant" or len(cols) == 1:
        scoped = False
        key = cols
        if point != "tenant" and tenancy == "rls" and table.column(tenant_column) is not None:
            scoped = any(set(u.columns) == {tenant_column, cols[0]} for u in table.uniques)
    elif len(cols) == 2 and tenant_column in cols:
        key = tuple(c for c in cols if c != tenant_column)
        scoped = True
        if tenancy != "rls":
            raise ConfigError(
                f"{where}: {table.qualified} is keyed by tenant ({', '.join(cols)}); "
                f"a blueprint with tenancy = \"none\" cannot reference it: use tenancy = \"rls\" or attach another table"
            )
    else:
        raise ConfigError(f"{where}: {table.qualified} has a composite primary key ({', '.join(cols)}) a blueprint cannot reference")
    column = table.column(key[0])
    return Ref(table.qualified, tuple(key), column.type if column else "bigint", scoped)


def _tenant_table(catalog: Catalog, name: str | None) -> Table | None:
    if name:
        return catalog.resolve(name)
    for candidate in ("tenants", "tenant"):
        found = [t for t in catalog.stored_tables if t.name == candidate and t.kind != "partition"]
        if len(found) == 1:
            return found[0]
    return None


def _order(entries: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
    """Blueprints that create an attach point come before those that use it."""
    pending, ordered = list(entries), []
    while pending:
        for i, (name, options) in enumerate(pending):
            waits = any(
                point in get(other).provides and point not in options["attach"]
                for point in get(name).needs
                for j, (other, _) in enumerate(pending)
                if j != i
            )
            if not waits:
                ordered.append(pending.pop(i))
                break
        else:  # a cycle: keep the given order
            ordered += pending
            break
    return ordered


def merge(
    catalog: Catalog,
    uses: Iterable,
    *,
    tenancy: str | None = None,
    tenant_table: str | None = None,
    tenant_column: str = "tenant_id",
    today: dt.date | None = None,
) -> Merge:
    entries = [_options(u) for u in uses]
    tenant = _tenant_table(catalog, tenant_table)
    existing = {t.qualified for t in catalog.tables}
    available: dict[str, Ref] = {}  # attach points created earlier in this merge
    created: set[str] = set()
    collisions: list[Collision] = []
    rendered = []
    for name, options in _order(entries):
        info = get(name)
        where = f"design.toml: [[blueprint]] {name}"
        mode = options.get("tenancy") or tenancy or ("rls" if tenant is not None else "none")
        if mode not in TENANCIES:
            raise ConfigError(f"{where}: tenancy = {mode!r} is not one of {', '.join(TENANCIES)}")
        attach: dict[str, Ref] = {}
        for point in info.needs:
            if point == "tenant" and mode != "rls":
                continue
            explicit = options["attach"].get(point)
            if explicit:
                found = catalog.resolve(explicit)
                if found is not None:
                    attach[point] = ref_for(found, point, mode, tenant_column, where)
                elif point in available and available[point].table == explicit:
                    attach[point] = available[point]
                else:
                    raise ConfigError(f"{where}: attach {point} = {explicit!r}: no such table in the design")
            elif point in available:
                attach[point] = available[point]
            elif point == "tenant" and tenant is not None:
                attach[point] = ref_for(tenant, point, mode, tenant_column, where)
            elif point in _WELL_KNOWN:
                found = [t for t in catalog.stored_tables if t.name in _WELL_KNOWN[point] and t.kind != "partition"]
                if len(found) == 1:
                    # not referenceable with this tenancy: the blueprint builds its own
                    with contextlib.suppress(ConfigError):
                        attach[point] = ref_for(found[0], point, mode, tenant_column, where)
        audited = tuple(options.get("audited", ()))
        for table in audited:
            if catalog.resolve(table) is None and table not in created:
                raise ConfigError(f"{where}: audited table {table!r}: no such table in the design")
        blueprint = render(
            name,
            tenancy=mode,
            schema=options.get("schema"),
            attach=attach,
            renames=options["rename"],
            tenant_column=tenant_column,
            audited=audited,
            today=today,
        )
        for table in blueprint.tables:
            if table in existing or table in created:
                collisions.append(Collision(name, table, _suggest(table, info.default_schema, existing | created)))
        created |= set(blueprint.tables)
        for point, table in blueprint.built_in:
            available.setdefault(point, default_ref(point, table, mode))
        for point in info.provides:
            local = info.module.PROVIDES[point]
            table = f"{blueprint.schema}.{options['rename'].get(local, local)}"
            available.setdefault(point, default_ref(point, table, mode))
        rendered.append(blueprint)
    sql = "\n\n".join(b.sql.rstrip() for b in rendered) + "\n" if rendered else ""
    return Merge(sql, tuple(collisions), tuple(rendered))


def _suggest(table: str, prefix: str, taken: set[str]) -> str:
    schema, _, name = table.partition(".")
    candidate = f"{schema}.{prefix}_{name}"
    n = 2
    while candidate in taken:
        candidate = f"{schema}.{prefix}_{name}_{n}"
        n += 1
    return candidate


def merge_into(catalog: Catalog, uses: Iterable, **kwargs) -> tuple[str, tuple[Collision, ...]]:
    """The SQL that adds the blueprints to the design, and the name collisions found."""
    result = merge(catalog, uses, **kwargs)
    return result.sql, result.collisions
