"""Decisions are data: the `design.toml` document the studio saves and the CLI reads.

```toml
[tenancy]
model = "rls"                 # rls | schema-per-tenant | database-per-tenant | hybrid | citus
tenant_table = "public.tenants"
tenant_column = "tenant_id"
shared_tables = ["public.dtc_definitions"]
tenant_tables = []            # force tables into the tenant scope
dedicated_tenants = []        # hybrid: tenants that get their own schema

[[partition]]
table = "public.dtc_occurrences"
strategy = "range"            # range | list | hash
column = "occurred_at"
interval = "month"            # range: day | week | month | year
premake = 3
# list: values = [...] ; hash: modulus = 8

[keys]
strategy = "keep"             # keep | bigint-identity | uuidv7

[[history]]
table = "public.repair_procedures"
mode = "effective-dated"      # audit-trigger | effective-dated

[[blueprint]]
name = "diagnostic-codes"
schema = "public"
tenancy = "rls"

[[suppress]]                  # findings the team accepted, with the reason
rule = "rls-not-forced"
object = "public.audit_log"
reason = "owner role is only used by migrations"

[fixes]
accept = ["unindexed-foreign-key"]   # rule ids or finding keys whose fix the team accepts
```

`parse()` checks the document's shape; `validate(decisions, catalog)` checks it against a
schema: unknown tables or columns and impossible choices are ConfigErrors naming the key.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w

from studio.catalog import Catalog
from studio.errors import ConfigError

TENANCY_MODELS = ("rls", "schema-per-tenant", "database-per-tenant", "hybrid", "citus")
PARTITION_STRATEGIES = ("range", "list", "hash")
INTERVALS = ("day", "week", "month", "year")
KEY_STRATEGIES = ("keep", "bigint-identity", "uuidv7")
HISTORY_MODES = ("audit-trigger", "effective-dated")
TIME_TYPES = ("date", "timestamp without time zone", "timestamp with time zone")


@dataclass(frozen=True)
class Tenancy:
    model: str | None = None  # None: keep today's model
    tenant_table: str | None = None
    tenant_column: str = "tenant_id"
    shared_tables: tuple[str, ...] = ()
    tenant_tables: tuple[str, ...] = ()
    dedicated_tenants: tuple[str, ...] = ()


@dataclass(frozen=True)
class Partition:
    table: str
    strategy: str
    column: str
    interval: str | None = None
    premake: int = 3
    values: tuple = ()
    modulus: int | None = None


@dataclass(frozen=True)
class History:
    table: str
    mode: str


@dataclass(frozen=True)
class BlueprintUse:
    name: str
    options: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class Suppressed:
    rule: str
    object: str
    reason: str


@dataclass(frozen=True)
class Decisions:
    tenancy: Tenancy = field(default_factory=Tenancy)
    partitions: tuple[Partition, ...] = ()
    key_strategy: str = "keep"
    history: tuple[History, ...] = ()
    blueprints: tuple[BlueprintUse, ...] = ()
    suppressions: tuple[Suppressed, ...] = ()
    accepted_fixes: tuple[str, ...] = ()

    @property
    def changes_structure(self) -> bool:
        """A tenancy model, partitioning, a key strategy or history: something the design turns into steps."""
        return (self.tenancy.model is not None or bool(self.partitions) or self.key_strategy != "keep"
                or bool(self.history))

    def to_toml(self) -> str:
        return tomli_w.dumps(to_document(self))


def _table(doc: dict, key: str, allowed: set[str], where: str) -> dict:
    value = doc.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: [{key}] must be a table")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown key {key}.{unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")
    return value


def _entries(doc: dict, key: str, allowed: set[str], required: set[str], where: str) -> list[dict]:
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"{where}: [[{key}]] must be an array of tables")
    for i, entry in enumerate(value, 1):
        unknown = sorted(set(entry) - allowed)
        if unknown:
            raise ConfigError(f"{where}: [[{key}]] #{i}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")
        missing = sorted(required - set(entry))
        if missing:
            raise ConfigError(f"{where}: [[{key}]] #{i}: missing {missing[0]!r}")
    return value


def _choice(value, choices, key: str, where: str):
    if value not in choices:
        raise ConfigError(f"{where}: {key} = {value!r} is not one of {', '.join(choices)}")
    return value


def parse(text: str, where: str = "design.toml") -> Decisions:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML: {exc}") from None
    top = {"tenancy", "partition", "keys", "history", "blueprint", "suppress", "fixes"}
    unknown = sorted(set(doc) - top)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(top))})")
    tenancy = _tenancy(doc, where)
    partitions = [
        _partition(p, i, where)
        for i, p in enumerate(
            _entries(
                doc,
                "partition",
                {"table", "strategy", "column", "interval", "premake", "values", "modulus"},
                {"table", "strategy", "column"},
                where,
            ),
            1,
        )
    ]
    keys = _table(doc, "keys", {"strategy"}, where)
    history = [
        History(h["table"], _choice(h["mode"], HISTORY_MODES, f"history #{i} mode", where))
        for i, h in enumerate(_entries(doc, "history", {"table", "mode"}, {"table", "mode"}, where), 1)
    ]
    blueprints = _blueprints(doc, where)
    suppressions = _suppressions(doc, where)
    fixes = _table(doc, "fixes", {"accept"}, where)
    return Decisions(
        tenancy=tenancy,
        partitions=tuple(partitions),
        key_strategy=_choice(keys.get("strategy", "keep"), KEY_STRATEGIES, "keys.strategy", where),
        history=tuple(history),
        blueprints=blueprints,
        suppressions=suppressions,
        accepted_fixes=tuple(fixes.get("accept", ())),
    )


def _tenancy(doc: dict, where: str) -> Tenancy:
    t = _table(
        doc,
        "tenancy",
        {"model", "tenant_table", "tenant_column", "shared_tables", "tenant_tables", "dedicated_tenants"},
        where,
    )
    model = t.get("model")
    if model is not None:
        _choice(model, TENANCY_MODELS, "tenancy.model", where)
    return Tenancy(
        model=model,
        tenant_table=t.get("tenant_table"),
        tenant_column=t.get("tenant_column", "tenant_id"),
        shared_tables=tuple(t.get("shared_tables", ())),
        tenant_tables=tuple(t.get("tenant_tables", ())),
        dedicated_tenants=tuple(str(x) for x in t.get("dedicated_tenants", ())),
    )


def _partition(p: dict, i: int, where: str) -> Partition:
    """The `i`th [[partition]] entry, its strategy's own settings checked."""
    strategy = _choice(p["strategy"], PARTITION_STRATEGIES, f"partition #{i} strategy", where)
    if strategy == "range":
        _choice(p.get("interval", "month"), INTERVALS, f"partition #{i} interval", where)
    if strategy == "list" and not p.get("values"):
        raise ConfigError(f"{where}: [[partition]] #{i} ({p['table']}): a list partition needs values = [...]")
    if strategy == "hash" and not (isinstance(p.get("modulus"), int) and p["modulus"] >= 2):
        raise ConfigError(f"{where}: [[partition]] #{i} ({p['table']}): a hash partition needs modulus = 2 or more")
    if strategy != "range" and "interval" in p:
        raise ConfigError(f"{where}: [[partition]] #{i} ({p['table']}): interval applies to range partitioning only")
    premake = p.get("premake", 3)
    if not isinstance(premake, int) or not 0 <= premake <= 120:
        raise ConfigError(f"{where}: [[partition]] #{i}: premake must be an integer from 0 to 120")
    return Partition(
        table=p["table"],
        strategy=strategy,
        column=p["column"],
        interval=p.get("interval", "month") if strategy == "range" else None,
        premake=premake,
        values=tuple(p.get("values", ())),
        modulus=p.get("modulus"),
    )


def _blueprints(doc: dict, where: str) -> tuple[BlueprintUse, ...]:
    uses = []
    for b in doc.get("blueprint", []):
        if not isinstance(b, dict) or "name" not in b:
            raise ConfigError(f"{where}: every [[blueprint]] needs a name")
        uses.append(BlueprintUse(b["name"], tuple(sorted((k, v) for k, v in b.items() if k != "name"))))
    return tuple(uses)


def _suppressions(doc: dict, where: str) -> tuple[Suppressed, ...]:
    suppressions = tuple(
        Suppressed(s["rule"], s["object"], s["reason"])
        for s in _entries(doc, "suppress", {"rule", "object", "reason"}, {"rule", "object", "reason"}, where)
    )
    for s in suppressions:
        if not str(s.reason).strip():
            raise ConfigError(f"{where}: the suppression of {s.rule} on {s.object} needs a reason")
    return suppressions


def load(path: str | Path) -> Decisions:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file; write one with `schema-studio design --help` as a guide") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return parse(text, str(path))


def to_document(decisions: Decisions) -> dict:
    doc: dict = {}
    t = decisions.tenancy
    tenancy = {k: v for k, v in {
        "model": t.model,
        "tenant_table": t.tenant_table,
        "tenant_column": t.tenant_column,
        "shared_tables": list(t.shared_tables),
        "tenant_tables": list(t.tenant_tables),
        "dedicated_tenants": list(t.dedicated_tenants),
    }.items() if v not in (None, [])}
    if tenancy:
        doc["tenancy"] = tenancy
    if decisions.partitions:
        doc["partition"] = []
        for p in decisions.partitions:
            entry = {"table": p.table, "strategy": p.strategy, "column": p.column}
            if p.strategy == "range":
                entry.update(interval=p.interval or "month", premake=p.premake)
            if p.strategy == "list":
                entry["values"] = list(p.values)
            if p.strategy == "hash":
                entry["modulus"] = p.modulus
            doc["partition"].append(entry)
    doc["keys"] = {"strategy": decisions.key_strategy}
    if decisions.history:
        doc["history"] = [{"table": h.table, "mode": h.mode} for h in decisions.history]
    if decisions.blueprints:
        doc["blueprint"] = [{"name": b.name, **dict(b.options)} for b in decisions.blueprints]
    if decisions.suppressions:
        doc["suppress"] = [{"rule": s.rule, "object": s.object, "reason": s.reason} for s in decisions.suppressions]
    if decisions.accepted_fixes:
        doc["fixes"] = {"accept": list(decisions.accepted_fixes)}
    return doc


def validate(decisions: Decisions, catalog: Catalog, where: str = "design.toml") -> None:
    """Check names and choices against the schema they will be applied to."""

    def table(name: str, key: str):
        found = catalog.resolve(name)
        if found is None or not found.is_stored:
            close = difflib.get_close_matches(name, [t.qualified for t in catalog.stored_tables], n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise ConfigError(f"{where}: {key} = {name!r}: no such table in the schema{hint}")
        return found

    t = decisions.tenancy
    if t.tenant_table:
        tenant = table(t.tenant_table, "tenancy.tenant_table")
        if tenant.primary_key is None or len(tenant.primary_key.columns) != 1:
            raise ConfigError(f"{where}: tenancy.tenant_table {tenant.qualified} needs a single-column primary key")
    for name in t.shared_tables:
        table(name, "tenancy.shared_tables")
    for name in t.tenant_tables:
        table(name, "tenancy.tenant_tables")
    for i, p in enumerate(decisions.partitions, 1):
        target = table(p.table, f"partition #{i} table")
        if target.kind == "partitioned_table":
            raise ConfigError(f"{where}: [[partition]] #{i}: {target.qualified} is already partitioned ({target.partitioning.key})")
        column = target.column(p.column)
        if column is None:
            raise ConfigError(
                f"{where}: [[partition]] #{i}: {target.qualified} has no column {p.column!r} "
                f"(columns: {', '.join(target.column_names)})"
            )
        if p.strategy == "range" and column.type not in TIME_TYPES:
            raise ConfigError(
                f"{where}: [[partition]] #{i}: a {p.interval} interval needs a date or timestamp column, "
                f"but {target.qualified}.{p.column} is {column.type}"
            )
        if p.strategy == "list":
            _check_list_values(p, column, where, i)
    for i, h in enumerate(decisions.history, 1):
        target = table(h.table, f"history #{i} table")
        if target.primary_key is None:
            raise ConfigError(f"{where}: [[history]] #{i}: {target.qualified} has no primary key to version")


def _check_list_values(p: Partition, column, where: str, i: int) -> None:
    family = column.category
    for value in p.values:
        ok = (
            (family == "N" and isinstance(value, int | float) and not isinstance(value, bool))
            or (family in ("S", "E") and isinstance(value, str))
            or (family == "B" and isinstance(value, bool))
        )
        if not ok:
            raise ConfigError(
                f"{where}: [[partition]] #{i}: list value {value!r} does not fit "
                f"{p.table}.{p.column} of type {column.type}"
            )
