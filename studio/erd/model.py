"""From a Catalog and Options to the Diagram every format draws: tables, relationships, marks.

Partitions are drawn as their parent (a foreign key on a partitioned table is cloned on
each partition; drawing them all would repeat every edge). Views are left out unless asked.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property

from analyzers.context import Context
from studio.catalog import Catalog, Table
from studio.erd.domains import LOOKUP_COLUMNS, Domain, find_domains
from studio.erd.options import Options
from studio.errors import StudioError

DIAGRAM_KINDS = ("table", "partitioned_table", "foreign_table")
VIEW_KINDS = ("view", "materialized_view")
SEVERITY_ORDER = ("error", "warning", "info")


@dataclass(frozen=True)
class Relationship:
    table: str  # the referencing table (the "many" side)
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    declared: bool  # False: implied by naming, no constraint
    optional: bool  # some referencing column is nullable: a row may have no parent
    one_to_one: bool  # the referencing columns are unique: at most one child per parent
    name: str = ""


@dataclass(frozen=True)
class Marks:
    """Findings attached to a table: counts by severity and the columns they name."""

    count: int = 0
    severity: str | None = None  # the worst one
    columns: tuple[tuple[str, str], ...] = ()  # (column, worst severity)


@dataclass(frozen=True)
class Diagram:
    tables: tuple[Table, ...]
    relationships: tuple[Relationship, ...]
    options: Options
    marks: dict[str, Marks] = field(default_factory=dict, hash=False, compare=False)
    domains: tuple[Domain, ...] = ()
    partitions: dict[str, int] = field(default_factory=dict, hash=False, compare=False)
    # relationships from a drawn table to one left out (by --focus, a domain, a filter): drawn as
    # the column's FK badge naming the target, never as an edge
    outside: tuple[Relationship, ...] = ()

    @cached_property
    def multi_schema(self) -> bool:
        return len({t.schema for t in self.tables}) > 1

    def label(self, table: Table) -> str:
        return table.qualified if self.multi_schema else table.name

    def target_label(self, qualified: str) -> str:
        """A table named as the diagram names its own: bare when it is in the one schema drawn."""
        schema, _, name = qualified.partition(".")
        return name if not self.multi_schema and self.tables and self.tables[0].schema == schema else qualified

    @cached_property
    def outside_by_table(self) -> dict[str, list[Relationship]]:
        index: dict[str, list[Relationship]] = defaultdict(list)
        for r in self.outside:
            index[r.table].append(r)
        return index

    @cached_property
    def touching(self) -> dict[str, list[Relationship]]:
        """Relationships by the tables at either end (each listed once per table)."""
        index: dict[str, list[Relationship]] = defaultdict(list)
        for r in self.relationships:
            index[r.table].append(r)
            if r.ref_table != r.table:
                index[r.ref_table].append(r)
        return index

    @cached_property
    def domain_of(self) -> dict[str, str]:
        return {t: d.name for d in self.domains for t in d.tables}


def unique_column_sets(table: Table) -> list[frozenset[str]]:
    sets = []
    if table.primary_key:
        sets.append(frozenset(table.primary_key.columns))
    sets += [frozenset(u.columns) for u in table.uniques]
    sets += [
        frozenset(i.column_keys)
        for i in table.indexes
        if i.unique and i.valid and not i.predicate and None not in i.column_keys
    ]
    return sets


def _parent_of(catalog: Catalog) -> dict[str, str]:
    """Each partition's top-most parent, so edges to and from partitions land on the drawn table."""
    direct = {t.qualified: t.partition_of for t in catalog.tables if t.partition_of}

    def top(name: str) -> str:
        seen = set()
        while name in direct and name not in seen:
            seen.add(name)
            name = direct[name]
        return name

    return {name: top(name) for name in direct}


def all_relationships(catalog: Catalog, implied: bool = True) -> list[Relationship]:
    """Declared foreign keys (and implied ones) between drawable tables, partitions folded into parents."""
    parent = _parent_of(catalog)
    out: list[Relationship] = []
    seen = set()
    for table in catalog.tables:
        if table.kind == "partition":
            continue
        uniques = unique_column_sets(table)
        for fk in table.foreign_keys:
            ref = parent.get(fk.ref_table, fk.ref_table)
            key = (table.qualified, fk.columns, ref, fk.ref_columns)
            if key in seen:
                continue
            seen.add(key)
            out.append(_relationship(table, fk.columns, ref, fk.ref_columns, True, uniques, fk.name))
    if implied:
        for i in Context(catalog).implied_foreign_keys:
            table = catalog.table(i.table)
            if table is None:
                continue
            out.append(
                _relationship(table, (i.column,), parent.get(i.ref_table, i.ref_table), (i.ref_column,), False,
                              unique_column_sets(table), "")
            )
    return out


def _relationship(table, columns, ref, ref_columns, declared, uniques, name) -> Relationship:
    optional = any((c := table.column(col)) is None or c.nullable for col in columns)
    one_to_one = any(s <= frozenset(columns) for s in uniques)
    return Relationship(table.qualified, tuple(columns), ref, tuple(ref_columns), declared, optional, one_to_one, name)


def drawable_tables(catalog: Catalog, options: Options) -> list[Table]:
    kinds = DIAGRAM_KINDS + (VIEW_KINDS if options.views else ())
    keep_schemas = set(options.schemas)
    drop_schemas = set(options.exclude_schemas)
    keep_tables = set(options.tables)
    drop_tables = set(options.exclude_tables)
    return [
        t
        for t in catalog.tables
        if t.kind in kinds
        and (not keep_schemas or t.schema in keep_schemas)
        and t.schema not in drop_schemas
        and (not keep_tables or t.qualified in keep_tables or t.name in keep_tables)
        and t.qualified not in drop_tables
        and t.name not in drop_tables
    ]


def neighbourhood(start: str, relationships: Iterable[Relationship], depth: int) -> set[str]:
    """Tables within `depth` relationship hops of `start`, in either direction."""
    adjacent: dict[str, set[str]] = defaultdict(set)
    for r in relationships:
        adjacent[r.table].add(r.ref_table)
        adjacent[r.ref_table].add(r.table)
    reached = {start: 0}
    queue = deque([start])
    while queue:
        name = queue.popleft()
        if reached[name] >= depth:
            continue
        for other in sorted(adjacent[name]):
            if other not in reached:
                reached[other] = reached[name] + 1
                queue.append(other)
    return set(reached)


def compute_domains(catalog: Catalog, options: Options | None = None) -> tuple[Domain, ...]:
    options = options or Options()
    drawn = drawable_tables(catalog, _unscoped(options))
    edges = [(r.table, r.ref_table) for r in all_relationships(catalog, options.implied)]
    referencing = {a for a, _ in edges}
    lookups = [t.qualified for t in drawn if t.qualified not in referencing and _other_columns(t) <= LOOKUP_COLUMNS]
    return find_domains([t.qualified for t in drawn], edges, lookups)


def _other_columns(table: Table) -> int:
    key = set(table.primary_key.columns) if table.primary_key else set()
    return sum(1 for c in table.columns if c.name not in key)


def _unscoped(options: Options) -> Options:
    return replace(options, focus=None, domain=None, tables=())


def marks_from(findings) -> dict[str, Marks]:
    by_table: dict[str, list] = defaultdict(list)
    for f in findings or ():
        by_table[f.table].append(f)
    marks = {}
    for table, found in by_table.items():
        worst = min((f.severity for f in found), key=_rank)
        columns: dict[str, str] = {}
        for f in found:
            for c in f.columns:
                if c not in columns or _rank(f.severity) < _rank(columns[c]):
                    columns[c] = f.severity
        marks[table] = Marks(len(found), worst, tuple(sorted(columns.items())))
    return marks


def _rank(severity: str) -> int:
    return SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else len(SEVERITY_ORDER)


def build(catalog: Catalog, options: Options | None = None, findings=None, domains=None) -> Diagram:
    """The tables and relationships the options select, with the findings' marks."""
    options = options or Options()
    tables = drawable_tables(catalog, options)
    names = {t.qualified for t in tables}
    every = all_relationships(catalog, options.implied)
    relationships = [r for r in every if r.table in names and r.ref_table in names]
    needs_domains = options.cluster == "domain" or options.domain is not None
    if domains is None and needs_domains:
        domains = compute_domains(catalog, options)
    domains = tuple(domains or ())
    if options.domain is not None:
        chosen = next((d for d in domains if d.name == options.domain), None)
        if chosen is None:
            raise StudioError(f"ERD: no domain called {options.domain!r}; domains: {', '.join(d.name for d in domains)}")
        names &= set(chosen.tables)
    if options.focus is not None:
        if options.focus not in names:
            raise StudioError(f"ERD: focus table {options.focus!r} is not in the diagram")
        scoped = [r for r in relationships if r.table in names and r.ref_table in names]
        names &= neighbourhood(options.focus, scoped, options.depth)
    tables = [t for t in tables if t.qualified in names]
    relationships = [r for r in relationships if r.table in names and r.ref_table in names]
    outside = [r for r in every if r.table in names and r.ref_table not in names]
    partitions: dict[str, int] = defaultdict(int)
    for name, top in _parent_of(catalog).items():
        if top in names and name != top:
            partitions[top] += 1
    return Diagram(
        tables=tuple(tables),
        relationships=tuple(relationships),
        options=options,
        marks=marks_from(findings),
        domains=domains,
        partitions=dict(partitions),
        outside=tuple(outside),
    )
