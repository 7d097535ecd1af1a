"""The blueprints there are (`list_blueprints`, `get`) and one blueprint rendered as DDL (`render`).

A blueprint is data (tables, keys, checks, comments) in one module per blueprint, rendered
by studio.blueprints.builder with the chosen tenancy. Whatever a blueprint leans on (the
tenant table, users, currencies, parts, equipment, trouble codes) is attached to an
existing table when one is given, and otherwise built in from studio.blueprints.foundations.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType

from studio.blueprints import (
    audit_trail,
    cost_tracking,
    diagnostic_codes,
    equipment_hierarchy,
    monetization,
    repair_procedures,
    scraping_provenance,
)
from studio.blueprints.builder import TENANCIES, Builder, Options, Ref
from studio.blueprints.foundations import STUBS
from studio.errors import ConfigError
from studio.sql import ident

_MODULES: tuple[ModuleType, ...] = (
    equipment_hierarchy,
    diagnostic_codes,
    repair_procedures,
    cost_tracking,
    monetization,
    scraping_provenance,
    audit_trail,
)
ATTACH_POINTS = tuple(STUBS)  # tenant, users, currencies, parts, equipment, trouble_codes


@dataclass(frozen=True)
class Info:
    name: str
    description: str
    tradeoffs: tuple[str, ...]
    default_schema: str
    needs: tuple[str, ...]  # attach points it references
    provides: tuple[str, ...]  # attach points it creates (others in the same design can attach to them)
    module: ModuleType

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "description": self.description,
            "tradeoffs": list(self.tradeoffs),
            "default_schema": self.default_schema,
            "attach_points": list(self.needs),
        }


@dataclass(frozen=True)
class Blueprint:
    name: str
    description: str
    tradeoffs: tuple[str, ...]
    sql: str
    tables: tuple[str, ...]  # schema-qualified tables the SQL creates (built-in foundations included)
    schema: str = ""
    tenancy: str = "rls"
    attached: tuple[tuple[str, str], ...] = ()  # (attach point, existing table) it references
    built_in: tuple[tuple[str, str], ...] = ()  # (attach point, table it created for it)

    def markdown(self) -> str:
        lines = [f"# Blueprint `{self.name}`", "", self.description, ""]
        lines += [f"Schema `{self.schema}`, tenancy `{self.tenancy}`.", "", "## Trade-offs", ""]
        lines += [f"- {t}" for t in self.tradeoffs]
        lines += ["", "## Tables", ""] + [f"- `{t}`" for t in self.tables]
        if self.attached:
            lines += ["", "## Attached to", ""] + [f"- {point}: `{table}`" for point, table in self.attached]
        lines += ["", "## DDL", "", "```sql", self.sql.rstrip(), "```", ""]
        return "\n".join(lines)


def _info(module: ModuleType) -> Info:
    return Info(
        module.NAME,
        module.DESCRIPTION,
        tuple(module.TRADEOFFS),
        module.DEFAULT_SCHEMA,
        tuple(module.NEEDS),
        tuple(module.PROVIDES),
        module,
    )


_BY_NAME = {m.NAME: _info(m) for m in _MODULES}


def list_blueprints() -> tuple[Info, ...]:
    return tuple(_BY_NAME.values())


def get(name: str) -> Info:
    try:
        return _BY_NAME[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(_BY_NAME), n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        raise ConfigError(
            f"blueprint {name!r}: no such blueprint; {hint}`schema-studio blueprint list` shows the {len(_BY_NAME)} there are"
        ) from None


def default_ref(point: str, table: str, tenancy: str) -> Ref:
    """How to reference an attach point given only its table name (no catalog to look at)."""
    if point == "currencies":
        return Ref(table, ("code",), "character(3)", False)
    if point == "trouble_codes":
        return Ref(table, ("id",), "bigint", False)
    return Ref(table, ("id",), "bigint", point != "tenant" and tenancy == "rls")


def render(
    name: str,
    tenancy: str = "rls",
    schema: str | None = None,
    attach: Mapping[str, str | Ref] | None = None,
    *,
    renames: Mapping[str, str] | None = None,
    tenant_column: str = "tenant_id",
    audited: tuple[str, ...] = (),
    today: dt.date | None = None,
) -> Blueprint:
    """One blueprint's DDL. Attach points not given are built in (in the blueprint's schema).

    `attach` maps an attach point (tenant, users, currencies, parts, equipment, trouble_codes) to a
    schema-qualified table or a Ref; a plain name is assumed to have an `id bigint` key (currencies:
    `code char(3)`), tenant-scoped under rls. `renames` maps a blueprint table name to another name.
    `audited` (audit-trail only) lists schema-qualified tables to attach the audit trigger to.
    """
    info = get(name)
    if tenancy not in TENANCIES:
        raise ConfigError(f"blueprint {name}: tenancy {tenancy!r} is not one of {', '.join(TENANCIES)}")
    schema = schema or info.default_schema
    unknown = sorted(set(attach or {}) - set(ATTACH_POINTS))
    if unknown:
        raise ConfigError(
            f"blueprint {name}: unknown attach point {unknown[0]!r} (attach points: {', '.join(ATTACH_POINTS)})"
        )
    if audited and info.module is not audit_trail:
        raise ConfigError(f"blueprint {name}: only audit-trail takes `audited` tables")
    refs = {
        point: value if isinstance(value, Ref) else default_ref(point, value, tenancy)
        for point, value in (attach or {}).items()
    }
    options = Options(schema, tenancy, tenant_column, dict(renames or {}), today or dt.date.today())
    builder = Builder(options, refs)
    built_in = []
    needed = [n for n in info.needs if n != "tenant" or tenancy == "rls"]
    for point in sorted(needed, key=ATTACH_POINTS.index):
        if point not in refs:
            ref = STUBS[point](builder)
            builder.refs[point] = ref
            built_in.append((point, ref.table))
    if audited:
        info.module.build(builder, tuple(audited))
    else:
        info.module.build(builder)
    header = [f"-- Blueprint {info.name}: schema {schema}, tenancy {tenancy}"]
    if schema != "public":
        header.append(f"CREATE SCHEMA IF NOT EXISTS {ident(schema)};")
    sql = "\n".join(header) + "\n\n" + builder.sql()
    attached = tuple((p, refs[p].table) for p in needed if p in refs)
    return Blueprint(
        info.name,
        info.description,
        info.tradeoffs,
        sql,
        tuple(builder.tables),
        schema,
        tenancy,
        attached,
        tuple(built_in),
    )
