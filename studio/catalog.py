"""The model: one Catalog that every source produces and every consumer reads.

Values are frozen dataclasses holding tuples, so a Catalog is immutable, hashable
and safe to cache. Tables are keyed by their schema-qualified name
(`schema.table`, unquoted, exactly as PostgreSQL stores the identifiers).
`to_json` / `from_json` round-trip every field.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cache, cached_property

import msgspec

from studio import json_codec

TABLE_KINDS = ("table", "partitioned_table", "partition", "view", "materialized_view", "foreign_table")
STORED_KINDS = ("table", "partitioned_table", "partition")


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # as format_type() prints it: "character varying(20)", "timestamp with time zone"
    nullable: bool = True
    default: str | None = None
    identity: str | None = None  # "always" | "by default"
    sequence: str | None = None  # schema-qualified sequence filling it through a nextval() default
    generated: str | None = None  # expression of a GENERATED ALWAYS AS (...) STORED column
    collation: str | None = None  # only when it differs from the type's default
    comment: str | None = None
    category: str = ""  # pg_type.typcategory of the base type: N numeric, S string, D date/time, ...
    base_type: str = ""  # the type under domains and arrays' element: "text" for a citext stand-in domain
    is_array: bool = False

    @property
    def sequence_filled(self) -> bool:
        return self.sequence is not None or (self.default or "").startswith("nextval(")


@dataclass(frozen=True)
class PrimaryKey:
    name: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class UniqueConstraint:
    name: str
    columns: tuple[str, ...]
    nulls_not_distinct: bool = False
    deferrable: bool = False


@dataclass(frozen=True)
class ForeignKey:
    name: str
    columns: tuple[str, ...]
    ref_table: str  # schema-qualified
    ref_columns: tuple[str, ...]
    on_delete: str = "NO ACTION"  # NO ACTION | RESTRICT | CASCADE | SET NULL | SET DEFAULT
    on_update: str = "NO ACTION"
    match: str = "SIMPLE"  # SIMPLE | FULL | PARTIAL
    deferrable: bool = False
    initially_deferred: bool = False
    validated: bool = True


@dataclass(frozen=True)
class CheckConstraint:
    name: str
    expression: str  # pg_get_constraintdef: "CHECK ((amount >= (0)::numeric))"
    columns: tuple[str, ...] = ()
    validated: bool = True


@dataclass(frozen=True)
class ExclusionConstraint:
    name: str
    definition: str  # pg_get_constraintdef: "EXCLUDE USING gist (...)"
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class IndexKey:
    expression: str  # the column name, or the expression as pg_get_indexdef prints it
    column: str | None = None  # set when the key is a plain column
    descending: bool = False
    nulls_first: bool = False
    opclass: str | None = None  # only when not the default operator class
    collation: str | None = None


@dataclass(frozen=True)
class Index:
    name: str
    keys: tuple[IndexKey, ...]
    unique: bool = False
    primary: bool = False
    constraint: str | None = None  # name of the PK / UNIQUE / EXCLUDE constraint it backs
    method: str = "btree"
    predicate: str | None = None
    include: tuple[str, ...] = ()
    valid: bool = True
    nulls_not_distinct: bool = False
    definition: str = ""  # pg_get_indexdef
    size_bytes: int | None = None
    approximated: str = ""  # why it is in the model but was not built (the engine lacks its operator class/method)

    @cached_property
    def columns(self) -> tuple[str, ...]:
        """Key columns in order; an expression appears as its text."""
        return tuple(k.column or k.expression for k in self.keys)

    @cached_property
    def column_keys(self) -> tuple[str | None, ...]:
        """Key columns in order, None where the key is an expression."""
        return tuple(k.column for k in self.keys)


@dataclass(frozen=True)
class Policy:
    name: str
    command: str = "ALL"  # ALL | SELECT | INSERT | UPDATE | DELETE
    roles: tuple[str, ...] = ("public",)
    using: str | None = None
    with_check: str | None = None
    permissive: bool = True


@dataclass(frozen=True)
class Partitioning:
    strategy: str  # range | list | hash
    key: str  # pg_get_partkeydef: "RANGE (occurred_at)"
    columns: tuple[str | None, ...] = ()  # None for an expression in the key


@dataclass(frozen=True)
class Trigger:
    name: str
    definition: str
    function: str = ""  # schema-qualified
    enabled: bool = True


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    kind: str = "table"
    columns: tuple[Column, ...] = ()
    primary_key: PrimaryKey | None = None
    uniques: tuple[UniqueConstraint, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    checks: tuple[CheckConstraint, ...] = ()
    exclusions: tuple[ExclusionConstraint, ...] = ()
    indexes: tuple[Index, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    rls_enabled: bool = False
    rls_forced: bool = False
    policies: tuple[Policy, ...] = ()
    partitioning: Partitioning | None = None  # set on a partitioned table
    partition_of: str | None = None  # schema-qualified parent of a partition
    partition_bound: str | None = None  # "FOR VALUES FROM (...) TO (...)", "DEFAULT"
    inherits: tuple[str, ...] = ()  # classic inheritance parents, schema-qualified
    persistence: str = "permanent"  # permanent | unlogged | temporary
    row_estimate: int | None = None  # pg_class.reltuples; None when never analyzed
    total_bytes: int | None = None  # table + indexes + toast
    comment: str | None = None
    view_definition: str | None = None

    def __post_init__(self):
        if self.kind not in TABLE_KINDS:
            raise ValueError(f"table {self.schema}.{self.name}: unknown kind {self.kind!r}")

    @cached_property  # read hundreds of thousands of times by the rules on a large schema
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def is_stored(self) -> bool:
        return self.kind in STORED_KINDS

    @cached_property
    def _columns_by_name(self) -> dict[str, Column]:
        return {c.name: c for c in self.columns}

    def column(self, name: str) -> Column | None:
        return self._columns_by_name.get(name)

    @cached_property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


@dataclass(frozen=True)
class Schema:
    name: str
    comment: str | None = None


@dataclass(frozen=True)
class EnumType:
    schema: str
    name: str
    labels: tuple[str, ...]


@dataclass(frozen=True)
class Domain:
    schema: str
    name: str
    base_type: str
    nullable: bool = True
    default: str | None = None
    checks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sequence:
    schema: str
    name: str
    data_type: str = "bigint"
    last_value: int | None = None  # None when never used or not readable
    max_value: int | None = None
    owned_by: str | None = None  # "schema.table.column"


@dataclass(frozen=True)
class Function:
    schema: str
    name: str
    arguments: str = ""  # pg_get_function_identity_arguments
    returns: str = ""
    language: str = "sql"
    kind: str = "function"  # function | procedure | aggregate | window
    security_definer: bool = False
    config: tuple[str, ...] = ()  # proconfig: ("search_path=pg_catalog, public",)
    definition: str = ""


@dataclass(frozen=True)
class Note:
    """Something a source could not read, skipped or approximated, object by object."""

    level: str  # info | warning
    message: str
    object: str = ""  # the object it is about, if any
    line: int | None = None  # line of an input file, if any


@dataclass(frozen=True)
class Catalog:
    tables: tuple[Table, ...] = ()
    schemas: tuple[Schema, ...] = ()
    enums: tuple[EnumType, ...] = ()
    domains: tuple[Domain, ...] = ()
    sequences: tuple[Sequence, ...] = ()
    functions: tuple[Function, ...] = ()
    extensions: tuple[str, ...] = ()
    notes: tuple[Note, ...] = ()
    source: str = ""  # human description, never a password
    server_version: str = ""
    database: str = ""
    extra: tuple[tuple[str, str], ...] = field(default=())  # free-form (key, value) facts of a source

    @cached_property
    def _tables_by_name(self) -> dict[str, Table]:
        return {t.qualified: t for t in self.tables}

    def table(self, qualified: str) -> Table | None:
        return self._tables_by_name.get(qualified)

    def __contains__(self, qualified: str) -> bool:
        return qualified in self._tables_by_name

    @cached_property
    def stored_tables(self) -> tuple[Table, ...]:
        return tuple(t for t in self.tables if t.is_stored)

    @property
    def schema_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.schemas)

    def find_tables(self, name: str) -> tuple[Table, ...]:
        """Tables called `name` in any schema (for `schema.table` names, that one table)."""
        if name in self._tables_by_name:
            return (self._tables_by_name[name],)
        return tuple(t for t in self.tables if t.name == name)

    def resolve(self, name: str, search_path: tuple[str, ...] = ("public",)) -> Table | None:
        """A table by a possibly unqualified name: search path first, then a unique match anywhere."""
        if "." in name and name in self._tables_by_name:
            return self._tables_by_name[name]
        for schema in search_path:
            if (t := self._tables_by_name.get(f"{schema}.{name}")) is not None:
                return t
        found = self.find_tables(name)
        return found[0] if len(found) == 1 else None

    def only_schemas(self, names) -> Catalog:
        keep = set(names)
        return dataclasses.replace(
            self,
            tables=tuple(t for t in self.tables if t.schema in keep),
            schemas=tuple(s for s in self.schemas if s.name in keep),
        )

    # JSON ----------------------------------------------------------------------------------------

    def to_dict(self) -> dict:
        """The model as JSON's plain data (dicts, lists, str, int, bool, None): exactly `to_json` parsed."""
        return msgspec.json.decode(json_codec.dumps(self))

    def to_json(self, indent: int | None = None) -> str:
        return json_codec.dumps(self, indent).decode()

    @classmethod
    def from_dict(cls, data: dict) -> Catalog:
        return msgspec.convert(data, cls)

    @classmethod
    def from_json(cls, text: str | bytes) -> Catalog:
        """The Catalog `to_json` wrote, decoded straight into the frozen dataclasses. A value of the
        wrong type raises ValueError naming where it is (`$.tables[3].columns[0].nullable`)."""
        return _catalog_decoder().decode(text)


@cache
def _catalog_decoder() -> msgspec.json.Decoder:
    return msgspec.json.Decoder(Catalog)
