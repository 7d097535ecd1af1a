"""Which tables belong to a tenant: a tenant column, or a foreign-key path to the tenant table.

Every decision carries its reason, shown in the UI and the notes. Overrides from design.toml:
`shared_tables` are global reference data even when an FK path reaches a tenant table;
`tenant_tables` are scoped even without a path (their backfill has no parent to copy from).
"""

from __future__ import annotations

from dataclasses import dataclass

from studio.catalog import Catalog, ForeignKey, Table
from studio.design.decisions import Tenancy
from studio.errors import ConfigError

TENANT_TABLE_NAMES = ("tenants", "tenant", "organizations", "organization", "orgs", "accounts", "account", "companies", "workspaces")


@dataclass(frozen=True)
class ScopedTable:
    table: str
    column: str  # the tenant column on this table (existing, or added when `added`)
    added: bool
    reason: str
    parent: str | None = None  # the table whose tenant column backfills an added one
    via: ForeignKey | None = None  # the foreign key that reaches the parent


@dataclass(frozen=True)
class Scope:
    tenant_table: str
    tenant_key: str  # the tenant table's single primary-key column
    tenant_type: str
    tables: dict[str, ScopedTable]
    shared: dict[str, str]  # table -> why it is shared

    def __contains__(self, qualified: str) -> bool:
        return qualified in self.tables

    def column(self, qualified: str) -> str:
        return self.tables[qualified].column


def _candidates(catalog: Catalog) -> list[Table]:
    """Tables that are neither views nor partitions (a partition follows its parent)."""
    return [t for t in catalog.stored_tables if t.kind != "partition"]


def find_tenant_table(catalog: Catalog, tenancy: Tenancy) -> Table:
    if tenancy.tenant_table:
        table = catalog.resolve(tenancy.tenant_table)
        if table is None:
            raise ConfigError(f"design.toml: tenancy.tenant_table = {tenancy.tenant_table!r}: no such table")
        return table
    referenced: dict[str, int] = {}
    for t in _candidates(catalog):
        for fk in t.foreign_keys:
            referenced[fk.ref_table] = referenced.get(fk.ref_table, 0) + 1
    named = [t for t in _candidates(catalog) if t.name.lower() in TENANT_TABLE_NAMES and t.primary_key]
    if named:
        return max(named, key=lambda t: (referenced.get(t.qualified, 0), t.schema == "public"))
    raise ConfigError(
        "design.toml: no tenant table found (no table called tenants, organizations or accounts); "
        "set tenancy.tenant_table = \"schema.table\""
    )


def tenant_scope(catalog: Catalog, tenancy: Tenancy) -> Scope:
    tenant = find_tenant_table(catalog, tenancy)
    if tenant.primary_key is None or len(tenant.primary_key.columns) != 1:
        raise ConfigError(f"design.toml: tenancy.tenant_table {tenant.qualified} needs a single-column primary key")
    key = tenant.primary_key.columns[0]
    key_type = tenant.column(key).type
    wanted = tenancy.tenant_column
    shared_override = {catalog.resolve(n).qualified for n in tenancy.shared_tables if catalog.resolve(n)}
    forced = {catalog.resolve(n).qualified for n in tenancy.tenant_tables if catalog.resolve(n)}
    tables: dict[str, ScopedTable] = {}
    candidates = [t for t in _candidates(catalog) if t.qualified != tenant.qualified]

    for t in candidates:
        if t.qualified in shared_override:
            continue
        if t.column(wanted) is not None:
            tables[t.qualified] = ScopedTable(t.qualified, wanted, False, f"has the tenant column {wanted}")
            continue
        direct = [fk for fk in t.foreign_keys if fk.ref_table == tenant.qualified and len(fk.columns) == 1]
        if direct:
            fk = min(direct, key=lambda fk: t.column(fk.columns[0]).nullable)
            tables[t.qualified] = ScopedTable(
                t.qualified, fk.columns[0], False, f"references {tenant.qualified} through {fk.columns[0]}"
            )
    # Children reach the tenant through a parent; prefer mandatory (NOT NULL) paths, in rounds,
    # so a table is attached to the nearest scoped parent.
    changed = True
    while changed:
        changed = False
        for mandatory_only in (True, False):
            for t in candidates:
                if t.qualified in tables or t.qualified in shared_override:
                    continue
                paths = [
                    fk
                    for fk in t.foreign_keys
                    if fk.ref_table in tables
                    and fk.ref_table != t.qualified
                    and (not mandatory_only or all(not t.column(c).nullable for c in fk.columns if t.column(c)))
                ]
                if not paths:
                    continue
                fk = paths[0]
                parent = tables[fk.ref_table]
                optional = "" if mandatory_only else " (an optional reference: rows without a parent need a tenant chosen by hand)"
                tables[t.qualified] = ScopedTable(
                    t.qualified,
                    wanted,
                    True,
                    f"reaches {tenant.qualified} through {fk.ref_table} ({', '.join(fk.columns)}); "
                    f"{wanted} is added and backfilled from {fk.ref_table}.{parent.column}{optional}",
                    parent=fk.ref_table,
                    via=fk,
                )
                changed = True
            if changed:
                break
    for t in candidates:
        if t.qualified in forced and t.qualified not in tables:
            tables[t.qualified] = ScopedTable(
                t.qualified, wanted, True, f"listed in tenancy.tenant_tables; {wanted} is added and must be backfilled by hand"
            )
    shared = {}
    for t in candidates:
        if t.qualified in tables:
            continue
        if t.qualified in shared_override:
            shared[t.qualified] = "listed in tenancy.shared_tables"
        else:
            shared[t.qualified] = f"no {wanted} column and no foreign-key path to {tenant.qualified}"
    shared[tenant.qualified] = "the tenant table itself"
    return Scope(tenant.qualified, key, key_type, tables, shared)
