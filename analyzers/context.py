"""What rules read: the catalog, the configuration, and facts derived once per run.

Derived facts (tenant tables, implied foreign keys, index cover) are shared by several
rules, the ERD and the data checks, so they live here and are computed lazily, once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import cached_property

import psycopg

from analyzers import naming, predicates
from studio.catalog import Catalog, Column, ForeignKey, Table

INTEGER_TYPES = {"smallint": "int", "integer": "int", "bigint": "int"}
STRING_TYPES = {"text", "character varying", "character", "citext", "name"}

# How rules that read a live database get a connection: connect(statement_timeout_s) opens a
# read-only one (studio.db.reader(url) makes it), so no rule module knows a connection string.
Connect = Callable[[float], AbstractContextManager[psycopg.Connection]]


@dataclass(frozen=True)
class Settings:
    """The analysis settings a rule may read (the config file fills them)."""

    tenant_column: str = "tenant_id"
    tenant_table: str | None = None  # schema-qualified, or None to find `tenants` / `tenant`
    natural_key_names: tuple[str, ...] = ()  # extra column names that name a row's business identity
    tenancy_model: str | None = None  # "rls" when the user chose it in the design
    growing_tables: tuple[str, ...] = ()  # schema-qualified tables the user marks as growing
    cascade_threshold: int = 5  # tables reachable by ON DELETE CASCADE before it is worth a look


def in_table_order(table: Table, columns) -> tuple[str, ...]:
    """Those of `columns` that `table` has, in the table's column order (as a finding names them)."""
    wanted = set(columns)
    return tuple(c for c in table.column_names if c in wanted)


@dataclass(frozen=True)
class ImpliedForeignKey:
    table: str
    column: str
    ref_table: str
    ref_column: str


def type_family(column: Column) -> str:
    """A comparable family: integers together, strings together, otherwise the base type."""
    return _family(column.base_type or column.type)


@functools.lru_cache(maxsize=4096)
def _family(type_name: str) -> str:
    base = type_name.split("(")[0].strip()
    if base in INTEGER_TYPES:
        return "int"
    if base in STRING_TYPES:
        return "text"
    return base


def own_columns(catalog: Catalog, table: Table) -> tuple[Column, ...]:
    """Columns defined by this table: partitions and inherited columns are reported on the parent."""
    if not table.inherits:
        return table.columns
    inherited: set[str] = set()
    for parent in table.inherits:
        if (p := catalog.table(parent)) is not None:
            inherited.update(p.column_names)
    return tuple(c for c in table.columns if c.name not in inherited)


@dataclass
class Context:
    catalog: Catalog
    settings: Settings = field(default_factory=Settings)
    _tenant_columns: dict[str, str | None] = field(default_factory=dict, init=False, repr=False, compare=False)
    _references: dict[str, tuple] = field(default_factory=dict, init=False, repr=False, compare=False)
    _columns_by_fold: dict[str, dict[str, Column]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @cached_property
    def owner_tables(self) -> tuple[Table, ...]:
        """Ordinary and partitioned tables: a partition is covered by its parent."""
        return tuple(t for t in self.catalog.stored_tables if t.kind != "partition")

    @cached_property
    def columns_by_type(self) -> dict[str, list[tuple[Table, Column]]]:
        """Own columns of the owner tables by type as printed, in catalog order: a rule looking for
        a few types reads those columns instead of scanning them all."""
        found: dict[str, list[tuple[Table, Column]]] = {}
        for table in self.owner_tables:
            for column in own_columns(self.catalog, table):
                found.setdefault(column.type, []).append((table, column))
        return found

    def columns_by_fold(self, table: Table) -> dict[str, Column]:
        """A table's columns by folded name (`CustomerId` and `customer_id` meet), built once per table."""
        try:
            return self._columns_by_fold[table.qualified]
        except KeyError:
            found = self._columns_by_fold[table.qualified] = {naming.fold(c.name): c for c in table.columns}
            return found

    # Tenancy --------------------------------------------------------------------------------------

    @cached_property
    def tenant_table(self) -> Table | None:
        if self.settings.tenant_table:
            return self.catalog.resolve(self.settings.tenant_table)
        for name in ("tenants", "tenant"):
            found = [t for t in self.catalog.stored_tables if t.name.lower() == name and t.kind != "partition"]
            if len(found) == 1:
                return found[0]
        return None

    def tenant_column(self, table: Table) -> str | None:
        """The column that says which tenant a row belongs to, if any."""
        try:
            return self._tenant_columns[table.qualified]
        except KeyError:
            found = self._tenant_columns[table.qualified] = self._find_tenant_column(table)
            return found

    def _find_tenant_column(self, table: Table) -> str | None:
        if self.tenant_table is not None and table.qualified == self.tenant_table.qualified:
            return None
        if table.column(self.settings.tenant_column) is not None:
            return self.settings.tenant_column
        if self.tenant_table is not None:
            for fk in table.foreign_keys:
                if fk.ref_table == self.tenant_table.qualified and len(fk.columns) == 1:
                    return fk.columns[0]
        return None

    @cached_property
    def tenant_tables(self) -> tuple[Table, ...]:
        """Stored tables that carry a tenant column (partitions are covered by their parent)."""
        return tuple(t for t in self.owner_tables if self.tenant_column(t) is not None)

    @cached_property
    def rls_adopted(self) -> bool:
        """The database isolates tenants with RLS (some tenant table has it on) or the user chose RLS."""
        return self.settings.tenancy_model == "rls" or any(t.rls_enabled for t in self.tenant_tables)

    # Foreign keys ---------------------------------------------------------------------------------

    @cached_property
    def _tables_by_fold(self) -> dict[str, list[Table]]:
        index: dict[str, list[Table]] = {}
        for t in self.catalog.stored_tables:
            if t.kind != "partition":
                index.setdefault(naming.fold(t.name), []).append(t)
        return index

    def tables_named_like(self, stem: str, schema: str) -> list[Table]:
        """Tables a `<stem>_id` column may point at; same schema first, then any schema."""
        found = []
        for form in naming.plural_forms(naming.fold(stem)):
            found.extend(self._tables_by_fold.get(form, ()))
        same = [t for t in found if t.schema == schema]
        return same or found

    @cached_property
    def implied_foreign_keys(self) -> tuple[ImpliedForeignKey, ...]:
        """`<x>_id` columns with no FK that point at a table `<x>`/`<x>s` by its single-column PK."""
        implied = []
        for table in self.catalog.stored_tables:
            if table.kind == "partition":
                continue
            in_fk = {c for fk in table.foreign_keys for c in fk.columns}
            own_pk = table.primary_key.columns if table.primary_key else ()
            folded = self.columns_by_fold(table)
            for column in table.columns:
                stem = naming.id_stem(column.name)
                if stem is None or column.name in in_fk or own_pk == (column.name,):
                    continue
                if naming.fold(stem) + "type" in folded:  # polymorphic pair: <x>_type beside <x>_id
                    continue
                targets = [
                    t
                    for t in self.tables_named_like(stem, table.schema)
                    if t.primary_key is not None
                    and len(t.primary_key.columns) == 1
                    and t.qualified != table.qualified
                    and type_family(t.column(t.primary_key.columns[0])) == type_family(column)
                ]
                if len(targets) == 1:
                    target = targets[0]
                    implied.append(
                        ImpliedForeignKey(table.qualified, column.name, target.qualified, target.primary_key.columns[0])
                    )
        return tuple(implied)

    def references(self, table: Table) -> tuple[tuple[tuple[str, ...], str, tuple[str, ...], bool], ...]:
        """Declared and implied references of a table: (columns, ref_table, ref_columns, declared)."""
        try:
            return self._references[table.qualified]
        except KeyError:
            refs = [(fk.columns, fk.ref_table, fk.ref_columns, True) for fk in table.foreign_keys]
            refs += [((i.column,), i.ref_table, (i.ref_column,), False) for i in self.implied_by_table.get(table.qualified, ())]
            found = self._references[table.qualified] = tuple(refs)
            return found

    @cached_property
    def implied_by_table(self) -> dict[str, list[ImpliedForeignKey]]:
        by_table: dict[str, list[ImpliedForeignKey]] = {}
        for implied in self.implied_foreign_keys:
            by_table.setdefault(implied.table, []).append(implied)
        return by_table

    # Indexes --------------------------------------------------------------------------------------

    @staticmethod
    def is_led_by(table: Table, columns) -> bool:
        """Some valid index (PK and unique constraints included) leads with `columns` and keeps every
        row where they all have a value: no predicate, or one that only excludes their NULLs."""
        wanted = set(columns)
        n = len(wanted)
        for index in table.indexes:
            if not index.valid or not predicates.excludes_only_nulls_of(table, index.predicate, wanted):
                continue
            lead = index.column_keys[:n]
            if len(lead) == n and None not in lead and set(lead) == wanted:
                return True
        return False

    def foreign_keys_to(self, qualified: str) -> list[tuple[Table, ForeignKey]]:
        return self._foreign_keys_by_target.get(qualified, [])

    @cached_property
    def _foreign_keys_by_target(self) -> dict[str, list[tuple[Table, ForeignKey]]]:
        by_target: dict[str, list[tuple[Table, ForeignKey]]] = {}
        for table in self.catalog.tables:
            for fk in table.foreign_keys:
                by_target.setdefault(fk.ref_table, []).append((table, fk))
        return by_target

    # Names ----------------------------------------------------------------------------------------

    @cached_property
    def _names_by_schema(self) -> dict[str, set[str]]:
        """Relation and constraint names per schema, so generated fixes never collide with them."""
        names: dict[str, set[str]] = {}
        for t in self.catalog.tables:
            taken = names.setdefault(t.schema, set())
            taken.add(t.name)
            taken.update(i.name for i in t.indexes)
            taken.update(c.name for c in (*t.uniques, *t.foreign_keys, *t.checks, *t.exclusions))
            if t.primary_key:
                taken.add(t.primary_key.name)
        for s in self.catalog.sequences:
            names.setdefault(s.schema, set()).add(s.name)
        return names

    def free_name(self, schema: str, wanted: str) -> str:
        """`wanted`, or `wanted` with a number appended, whichever is not taken in `schema`."""
        taken = self._names_by_schema.get(schema, set())
        if wanted not in taken:
            return wanted
        n = 1
        while f"{wanted[:60]}{n}" in taken:
            n += 1
        return f"{wanted[:60]}{n}"

    @cached_property
    def _partitions(self) -> dict[str, list[Table]]:
        found: dict[str, list[Table]] = {}
        for t in self.catalog.tables:
            if t.partition_of:
                found.setdefault(t.partition_of, []).append(t)
        return found

    def partitions_of(self, qualified: str) -> list[Table]:
        """Direct partitions of a partitioned table."""
        return self._partitions.get(qualified, [])
