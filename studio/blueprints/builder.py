"""Blueprint tables as data, rendered to DDL with the tenancy model applied.

A blueprint declares tables once (columns, keys, checks, foreign keys); the builder adds
the tenant column, scopes keys and foreign keys by tenant, indexes every foreign key, and
turns on forced row level security with a tenant policy, or leaves all of that out for
`tenancy = "none"`. Every identifier goes through studio.sql.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from studio.sql import constraint_name, ident, idents, literal, qualified, qualified_name

TENANCIES = ("rls", "none")


@dataclass(frozen=True)
class Ref:
    """A table another table can reference: by its key, within the tenant or globally."""

    table: str  # schema-qualified, unquoted
    key: tuple[str, ...] = ("id",)  # referenced columns, without the tenant column
    key_type: str = "bigint"
    tenant_scoped: bool = False

    @property
    def sql(self) -> str:
        return qualified_name(self.table)


@dataclass(frozen=True)
class Options:
    schema: str
    tenancy: str = "rls"
    tenant_column: str = "tenant_id"
    renames: Mapping[str, str] = field(default_factory=dict)
    today: dt.date = field(default_factory=dt.date.today)


@dataclass(frozen=True)
class Col:
    name: str
    type: str
    null: bool = False
    default: str | None = None
    comment: str | None = None


def col(name: str, type_: str, *, null: bool = False, default: str | None = None, comment: str | None = None) -> Col:
    return Col(name, type_, null, default, comment)


@dataclass(frozen=True)
class FK:
    columns: tuple[str, ...]
    target: str  # a table of this blueprint, or an attach point (tenant, users, currencies, ...)
    ref_columns: tuple[str, ...] | None = None
    on_delete: str | None = None


def fk(columns: str | Sequence[str], target: str, ref_columns: Sequence[str] | None = None, on_delete: str | None = None) -> FK:
    cols = (columns,) if isinstance(columns, str) else tuple(columns)
    return FK(cols, target, tuple(ref_columns) if ref_columns else None, on_delete)


@dataclass(frozen=True)
class Unique:
    columns: tuple[str, ...]
    where: str | None = None  # a partial unique index
    tenant: bool = True  # scoped by the tenant column on tenant tables


def unique(*columns: str, where: str | None = None, tenant: bool = True) -> Unique:
    return Unique(tuple(columns), where, tenant)


@dataclass(frozen=True)
class Exclusion:
    suffix: str
    elements: tuple[str, ...]  # "expr WITH op"
    comment: str
    where: str | None = None


class Builder:
    def __init__(self, options: Options, refs: Mapping[str, Ref]):
        if options.tenancy not in TENANCIES:
            raise ValueError(f"tenancy {options.tenancy!r} is not one of {', '.join(TENANCIES)}")
        self.options = options
        self.refs = dict(refs)
        self.statements: list[str] = []
        self.tables: list[str] = []
        self.local: dict[str, Ref] = {}

    # Names ---------------------------------------------------------------------------------------

    @property
    def rls(self) -> bool:
        return self.options.tenancy == "rls"

    @property
    def tc(self) -> str:
        return self.options.tenant_column

    def name(self, table: str) -> str:
        return self.options.renames.get(table, table)

    def qname(self, table: str) -> str:
        return f"{self.options.schema}.{self.name(table)}"

    def q(self, table: str) -> str:
        return qualified(self.options.schema, self.name(table))

    def target(self, key: str) -> Ref:
        if key in self.local:
            return self.local[key]
        if key in self.refs:
            return self.refs[key]
        raise KeyError(f"blueprint table or attach point {key!r} is not defined")

    def tenant_type(self) -> str:
        return self.refs["tenant"].key_type if "tenant" in self.refs else "bigint"

    def tenant_setting(self) -> str:
        return f"NULLIF(current_setting('app.tenant_id', true), '')::{self.tenant_type()}"

    def same_tenant_element(self) -> tuple[str, ...]:
        """The exclusion element that limits an exclusion constraint to one tenant, when scoped."""
        if not self.rls:
            return ()
        t = ident(self.tc)
        return (f"int8range({t}, {t}, '[]') WITH =",)

    def raw(self, sql: str) -> None:
        self.statements.append(sql.strip())

    # Tables --------------------------------------------------------------------------------------

    def table(
        self,
        name: str,
        comment: str,
        columns: Sequence[Col],
        *,
        tenant: bool = True,
        pk: Sequence[str] = ("id",),
        uniques: Sequence[Unique] = (),
        checks: Sequence[str] = (),
        fks: Sequence[FK] = (),
        exclusions: Sequence[Exclusion] = (),
        indexes: Sequence[Sequence[str]] = (),
        partition_by: str | None = None,
        key: Sequence[str] | None = None,
        key_type: str = "bigint",
    ) -> Ref:
        scoped = tenant and self.rls
        table_name = self.name(name)
        qt = self.q(name)
        tc = self.tc
        lines: list[str] = []
        if scoped:
            tenant_ref = self.target("tenant")
            lines.append(f"{ident(tc)} {tenant_ref.key_type} NOT NULL")
        for c in columns:
            text = f"{ident(c.name)} {c.type}"
            if not c.null:
                text += " NOT NULL"
            if c.default is not None:
                text += f" DEFAULT {c.default}"
            lines.append(text)
        pk_cols = ((tc,) if scoped else ()) + tuple(pk)
        lines.append(f"CONSTRAINT {ident(constraint_name(table_name, (), 'pkey'))} PRIMARY KEY ({idents(pk_cols)})")
        covers: list[tuple[str, ...]] = [pk_cols]
        partial: list[tuple[tuple[str, ...], str]] = []
        for u in uniques:
            cols = ((tc,) if scoped and u.tenant and tc not in u.columns else ()) + u.columns
            if u.where:
                partial.append((cols, u.where))
                continue
            covers.append(cols)
            lines.append(f"CONSTRAINT {ident(constraint_name(table_name, cols, 'key'))} UNIQUE ({idents(cols)})")
        for check in checks:
            lines.append(f"CHECK ({check})")
        fk_cols: list[tuple[str, ...]] = []
        if scoped:
            tenant_ref = self.target("tenant")
            lines.append(
                f"CONSTRAINT {ident(constraint_name(table_name, (tc,), 'fkey'))} FOREIGN KEY ({ident(tc)}) "
                f"REFERENCES {tenant_ref.sql} ({idents(tenant_ref.key)})"
            )
        own = Ref(self.qname(name), tuple(key or pk), key_type, scoped)
        for f in fks:
            ref = own if f.target == name else self.target(f.target)
            ref_cols = f.ref_columns or ref.key
            cols, refs = f.columns, ref_cols
            if ref.tenant_scoped and not scoped:
                raise ValueError(f"{self.qname(name)}: a table outside the tenant scope cannot reference {ref.table}")
            if scoped and ref.tenant_scoped:
                cols, refs = (tc, *cols), (tc, *ref_cols)
            fk_cols.append(cols)
            action = f" ON DELETE {f.on_delete}" if f.on_delete else ""
            lines.append(
                f"CONSTRAINT {ident(constraint_name(table_name, f.columns, 'fkey'))} FOREIGN KEY ({idents(cols)}) "
                f"REFERENCES {ref.sql} ({idents(refs)}){action}"
            )
        for x in exclusions:
            elements = [*self.same_tenant_element(), *x.elements] if scoped else list(x.elements)
            where = f" WHERE ({x.where})" if x.where else ""
            lines.append(
                f"CONSTRAINT {ident(constraint_name(table_name, (x.suffix,), 'excl'))} "
                f"EXCLUDE USING gist ({', '.join(elements)}){where}"
            )
        tail = f" PARTITION BY RANGE ({ident(partition_by)})" if partition_by else ""
        self.statements.append(f"CREATE TABLE {qt} (\n    " + ",\n    ".join(lines) + f"\n){tail};")
        for cols, where in partial:
            self.statements.append(
                f"CREATE UNIQUE INDEX {ident(constraint_name(table_name, cols, 'key'))} ON {qt} ({idents(cols)}) WHERE ({where});"
            )
        extra = [((tc,) if scoped and tc not in ix else ()) + tuple(ix) for ix in indexes]
        for cols in extra:
            covers.append(cols)
            self.statements.append(f"CREATE INDEX {ident(constraint_name(table_name, cols, 'idx'))} ON {qt} ({idents(cols)});")
        for cols in fk_cols:
            if not any(set(c[: len(cols)]) == set(cols) for c in covers):
                covers.append(cols)
                self.statements.append(
                    f"CREATE INDEX {ident(constraint_name(table_name, cols, 'idx'))} ON {qt} ({idents(cols)});"
                )
        self.statements.append(f"COMMENT ON TABLE {qt} IS {literal(comment)};")
        for c in columns:
            if c.comment:
                self.statements.append(f"COMMENT ON COLUMN {qt}.{ident(c.name)} IS {literal(c.comment)};")
        for x in exclusions:
            self.statements.append(
                f"COMMENT ON CONSTRAINT {ident(constraint_name(table_name, (x.suffix,), 'excl'))} ON {qt} IS {literal(x.comment)};"
            )
        if scoped:
            self.statements.append(
                f"COMMENT ON COLUMN {qt}.{ident(tc)} IS "
                + literal("Owning tenant: leads the primary key so every reference to this row names the tenant too.")
                + ";"
            )
        if partition_by:
            self._partitions(name, partition_by, scoped)
        if scoped:
            self._rls(qt, table_name)
        self.local[name] = own
        self.tables.append(self.qname(name))
        return own

    def _rls(self, qt: str, table_name: str) -> None:
        predicate = f"{ident(self.tc)} = {self.tenant_setting()}"
        self.statements.append(f"ALTER TABLE {qt} ENABLE ROW LEVEL SECURITY;")
        self.statements.append(f"ALTER TABLE {qt} FORCE ROW LEVEL SECURITY;")
        self.statements.append(
            f"CREATE POLICY {ident('tenant_isolation')} ON {qt} USING ({predicate}) WITH CHECK ({predicate});"
        )

    def _partitions(self, name: str, column: str, scoped: bool, months: int = 3) -> None:
        parent = self.q(name)
        base = self.name(name)
        start = self.options.today.replace(day=1)
        made: list[tuple[str, str]] = []
        for _ in range(months):
            end = (start + dt.timedelta(days=32)).replace(day=1)
            part = f"{base}_y{start.year:04d}m{start.month:02d}"
            self.statements.append(
                f"CREATE TABLE {qualified(self.options.schema, part)} PARTITION OF {parent} "
                f"FOR VALUES FROM ({literal(f'{start.isoformat()} 00:00:00+00')}) TO ({literal(f'{end.isoformat()} 00:00:00+00')});"
            )
            made.append((part, f"{start:%B %Y} (UTC)"))
            start = end
        self.statements.append(f"CREATE TABLE {qualified(self.options.schema, base + '_default')} PARTITION OF {parent} DEFAULT;")
        made.append((base + "_default", "rows outside the prepared months; create next months ahead of time"))
        for part, what in made:
            qp = qualified(self.options.schema, part)
            self.statements.append(f"COMMENT ON TABLE {qp} IS {literal(f'Partition of {self.qname(name)} by {column}: {what}.')};")
            if scoped:  # a partition queried directly does not apply its parent's policies
                self._rls(qp, part)

    def sql(self) -> str:
        return "\n\n".join(self.statements) + "\n"
