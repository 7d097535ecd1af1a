"""Render a Catalog as complete PostgreSQL DDL, in dependency order.

The one module that turns the model into DDL. Every identifier goes through
studio.sql. Order: schemas, types, sequences, functions, tables (parents before
partitions and inheritance children), foreign keys (as ALTER TABLE, so cycles load),
indexes, row level security and policies, views, triggers, comments.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from studio.catalog import (
    Catalog,
    CheckConstraint,
    Column,
    ExclusionConstraint,
    ForeignKey,
    Index,
    Policy,
    Table,
)
from studio.sql import ident, idents, literal, qualified, qualified_name

BUILTIN_SCHEMAS = {"public"}
BUILTIN_EXTENSIONS = {"plpgsql"}  # in every database from the start


def column_definition(column: Column) -> str:
    parts = [ident(column.name), column.type]
    if column.collation:
        parts.append(f"COLLATE {qualified_name(column.collation) if '.' in column.collation else ident(column.collation)}")
    if column.identity:
        parts.append(f"GENERATED {column.identity.upper()} AS IDENTITY")
    elif column.generated:
        parts.append(f"GENERATED ALWAYS AS ({column.generated}) STORED")
    elif column.default is not None:
        parts.append(f"DEFAULT {column.default}")
    if not column.nullable:
        parts.append("NOT NULL")
    return " ".join(parts)


def foreign_key_clause(fk: ForeignKey) -> str:
    text = (
        f"FOREIGN KEY ({idents(fk.columns)}) REFERENCES {qualified_name(fk.ref_table)} ({idents(fk.ref_columns)})"
    )
    if fk.match == "FULL":
        text += " MATCH FULL"
    if fk.on_update != "NO ACTION":
        text += f" ON UPDATE {fk.on_update}"
    if fk.on_delete != "NO ACTION":
        text += f" ON DELETE {fk.on_delete}"
    if fk.deferrable:
        text += " DEFERRABLE INITIALLY DEFERRED" if fk.initially_deferred else " DEFERRABLE"
    return text


def add_foreign_key(table: Table, fk: ForeignKey, *, not_valid: bool | None = None) -> str:
    not_valid = (not fk.validated) if not_valid is None else not_valid
    suffix = " NOT VALID" if not_valid else ""
    return f"ALTER TABLE {qualified(table.schema, table.name)} ADD CONSTRAINT {ident(fk.name)} {foreign_key_clause(fk)}{suffix};"


def _check_clause(check: CheckConstraint) -> str:
    expression = re.sub(r"\s+NOT VALID$", "", check.expression)
    return f"CONSTRAINT {ident(check.name)} {expression}"


def _exclusion_clause(exclusion: ExclusionConstraint) -> str:
    return f"CONSTRAINT {ident(exclusion.name)} {exclusion.definition}"


def index_keys_sql(index: Index) -> str:
    """The key list of an index, `col COLLATE "C" opclass DESC NULLS LAST, (expression)`."""
    keys = []
    for key in index.keys:
        text = ident(key.column) if key.column else f"({key.expression})"
        if key.collation:
            text += f" COLLATE {ident(key.collation)}"
        if key.opclass:
            text += f" {key.opclass}"
        if key.descending:
            text += " DESC"
        if key.nulls_first != key.descending:  # only the non-default null ordering is spelled out
            text += " NULLS FIRST" if key.nulls_first else " NULLS LAST"
        keys.append(text)
    return ", ".join(keys)


def index_statement(table: Table, index: Index, *, concurrently: bool = False, only: bool = False) -> str:
    sql = "CREATE UNIQUE INDEX" if index.unique else "CREATE INDEX"
    if concurrently:
        sql += " CONCURRENTLY"
    target = qualified(table.schema, table.name)
    sql += f" {ident(index.name)} ON {'ONLY ' if only else ''}{target}"
    if index.method != "btree":
        sql += f" USING {index.method}"
    sql += f" ({index_keys_sql(index)})"
    if index.include:
        sql += f" INCLUDE ({idents(index.include)})"
    if index.nulls_not_distinct:
        sql += " NULLS NOT DISTINCT"
    if index.predicate:
        sql += f" WHERE {index.predicate}"
    return sql + ";"


def policy_statement(table: Table, policy: Policy) -> str:
    sql = f"CREATE POLICY {ident(policy.name)} ON {qualified(table.schema, table.name)}"
    if not policy.permissive:
        sql += " AS RESTRICTIVE"
    if policy.command != "ALL":
        sql += f" FOR {policy.command}"
    roles = ", ".join(r if r.lower() in ("public", "current_user", "session_user") else ident(r) for r in policy.roles)
    if roles and roles != "public":
        sql += f" TO {roles}"
    if policy.using:
        sql += f" USING ({policy.using})"
    if policy.with_check:
        sql += f" WITH CHECK ({policy.with_check})"
    return sql + ";"


def _inherited(table: Table, catalog: Catalog):
    """Constraints and indexes a partition or child gets from its parent (never rendered twice)."""
    parents = [catalog.table(p) for p in ((table.partition_of,) if table.partition_of else table.inherits)]
    parents = [p for p in parents if p is not None]
    checks = {c.name for p in parents for c in p.checks}
    # classic inheritance children inherit checks only; foreign keys and indexes are cloned to partitions
    cloned = parents if table.partition_of else []
    fks = {(fk.columns, fk.ref_table, fk.ref_columns) for p in cloned for fk in p.foreign_keys}
    indexes = {(i.column_keys, i.columns, i.method, i.predicate, i.unique) for p in cloned for i in p.indexes}
    return checks, fks, indexes


def create_table(table: Table, catalog: Catalog) -> str:
    name = qualified(table.schema, table.name)
    inherited_checks, _, _ = _inherited(table, catalog)
    if table.partition_of:
        sql = f"CREATE TABLE {name} PARTITION OF {qualified_name(table.partition_of)}"
        elements = []
        if table.primary_key and not _parent_has_pk(table, catalog):
            elements.append(f"CONSTRAINT {ident(table.primary_key.name)} PRIMARY KEY ({idents(table.primary_key.columns)})")
        elements += [_check_clause(c) for c in table.checks if c.name not in inherited_checks]
        if elements:
            sql += " (\n    " + ",\n    ".join(elements) + "\n)"
        sql += f" {table.partition_bound or 'DEFAULT'}"
        if table.partitioning:
            sql += f" PARTITION BY {table.partitioning.key}"
        return sql + ";"
    keyword = {"unlogged": "UNLOGGED TABLE", "temporary": "TEMPORARY TABLE"}.get(table.persistence, "TABLE")
    elements = [column_definition(c) for c in table.columns]
    if table.primary_key:
        elements.append(f"CONSTRAINT {ident(table.primary_key.name)} PRIMARY KEY ({idents(table.primary_key.columns)})")
    for unique in table.uniques:
        nnd = " NULLS NOT DISTINCT" if unique.nulls_not_distinct else ""
        deferrable = " DEFERRABLE" if unique.deferrable else ""
        elements.append(f"CONSTRAINT {ident(unique.name)} UNIQUE{nnd} ({idents(unique.columns)}){deferrable}")
    elements += [_check_clause(c) for c in table.checks if c.name not in inherited_checks and c.validated]
    elements += [_exclusion_clause(e) for e in table.exclusions]
    sql = f"CREATE {keyword} {name} (\n    " + ",\n    ".join(elements) + "\n)"
    if table.inherits:
        sql += f" INHERITS ({', '.join(qualified_name(p) for p in table.inherits)})"
    if table.partitioning:
        sql += f" PARTITION BY {table.partitioning.key}"
    return sql + ";"


def _renders_index(index: Index, inherited_indexes) -> bool:
    if index.constraint or not index.valid:
        return False
    return (index.column_keys, index.columns, index.method, index.predicate, index.unique) not in inherited_indexes


def _names_a_table(function, tables: list[Table]) -> bool:
    signature = f"{function.arguments} {function.returns}"
    if "\nBEGIN ATOMIC" in function.definition:  # SQL-standard bodies are parsed at creation
        signature += " " + function.definition.split("\nBEGIN ATOMIC", 1)[1]
    return any(re.search(rf"(?<![\w.]){re.escape(t.qualified)}(?!\w)|(?<![\w.]){re.escape(t.name)}(?!\w)", signature) for t in tables)


def _parent_has_pk(table: Table, catalog: Catalog) -> bool:
    parent = catalog.table(table.partition_of) if table.partition_of else None
    return parent is not None and parent.primary_key is not None


def _table_order(tables: Iterable[Table]) -> list[Table]:
    """Parents (partitioned or inherited) before children; otherwise catalog order."""
    tables = list(tables)
    by_name = {t.qualified: t for t in tables}
    done: set[str] = set()
    ordered: list[Table] = []

    def visit(table: Table, trail: frozenset = frozenset()):
        if table.qualified in done or table.qualified in trail:
            return
        for parent in ((table.partition_of,) if table.partition_of else ()) + table.inherits:
            if parent in by_name:
                visit(by_name[parent], trail | {table.qualified})
        done.add(table.qualified)
        ordered.append(table)

    for table in tables:
        visit(table)
    return ordered


def view_order(views: list[Table]) -> list[Table]:
    """Views that mention another view's name come after it."""
    remaining = list(views)
    ordered: list[Table] = []
    while remaining:
        names = {v.qualified for v in remaining}
        ready = [
            v
            for v in remaining
            if not any(
                other != v.qualified and other.split(".", 1)[1] in (v.view_definition or "") for other in names
            )
        ] or remaining[:1]
        for v in ready:
            ordered.append(v)
            remaining.remove(v)
    return ordered


def view_statements(view: Table) -> list[str]:
    """CREATE [MATERIALIZED] VIEW with its definition, then a materialized view's indexes."""
    kind = "MATERIALIZED VIEW" if view.kind == "materialized_view" else "VIEW"
    body = (view.view_definition or "SELECT").strip().rstrip(";")
    return [f"CREATE {kind} {qualified(view.schema, view.name)} AS\n{body};", *(index_statement(view, i) for i in view.indexes)]


def sequence_statement(seq) -> str:
    sql = f"CREATE SEQUENCE IF NOT EXISTS {qualified(seq.schema, seq.name)} AS {seq.data_type}"
    return sql + ";"


def domain_statement(domain) -> str:
    sql = f"CREATE DOMAIN {qualified(domain.schema, domain.name)} AS {domain.base_type}"
    if domain.default:
        sql += f" DEFAULT {domain.default}"
    if not domain.nullable:
        sql += " NOT NULL"
    sql += "".join(f" {c}" for c in domain.checks)
    return sql + ";"


def render(catalog: Catalog, *, comments: bool = True) -> str:
    """The complete DDL of a catalog."""
    identity_sequences = {c.sequence for t in catalog.tables for c in t.columns if c.identity and c.sequence}
    stored = _table_order(t for t in catalog.tables if t.is_stored)
    out = [
        *_schemas_and_types(catalog, identity_sequences),
        *_functions_and_tables(catalog, stored),
        *_sequence_owners(catalog, identity_sequences),
        *_constraints_and_indexes(catalog, stored),
        *_row_security(stored),
        *_views(catalog),
    ]
    out += [f"-- foreign table {qualified(t.schema, t.name)} is not rendered: its server is outside the model"
            for t in catalog.tables if t.kind == "foreign_table"]
    out += [trigger.definition.rstrip(";") + ";" for table in stored for trigger in table.triggers]
    if comments:
        out.extend(comment_statements(catalog))
    return "\n\n".join(out) + "\n"


def _schemas_and_types(catalog: Catalog, identity_sequences: set[str]) -> Iterator[str]:
    schemas = [s.name for s in catalog.schemas] or sorted({t.schema for t in catalog.tables})
    for schema in schemas:
        if schema not in BUILTIN_SCHEMAS:
            yield f"CREATE SCHEMA IF NOT EXISTS {ident(schema)};"
    # the types, operator classes and functions the tables use (citext, gist_trgm_ops, ...) come with them
    for extension in catalog.extensions:
        if extension not in BUILTIN_EXTENSIONS:
            yield f"CREATE EXTENSION IF NOT EXISTS {ident(extension)};"
    for enum in catalog.enums:
        labels = ", ".join(literal(label) for label in enum.labels)
        yield f"CREATE TYPE {qualified(enum.schema, enum.name)} AS ENUM ({labels});"
    for domain in catalog.domains:
        yield domain_statement(domain)
    for seq in catalog.sequences:
        if f"{seq.schema}.{seq.name}" not in identity_sequences:
            yield sequence_statement(seq)


def _functions_and_tables(catalog: Catalog, stored: list[Table]) -> Iterator[str]:
    # Bodies may name tables created later (pg_dump does the same); signatures naming a
    # table's row type must wait for the table.
    yield "SET check_function_bodies = false;"
    late_functions = [f for f in catalog.functions if f.definition and _names_a_table(f, stored)]
    # aggregates name their support functions
    for function in sorted(catalog.functions, key=lambda f: f.kind == "aggregate"):
        if function.definition and function not in late_functions:
            yield function.definition.rstrip().rstrip(";") + ";"
    for table in stored:
        yield create_table(table, catalog)
    for function in late_functions:
        yield function.definition.rstrip().rstrip(";") + ";"


def _sequence_owners(catalog: Catalog, identity_sequences: set[str]) -> Iterator[str]:
    for seq in catalog.sequences:
        if seq.owned_by and f"{seq.schema}.{seq.name}" not in identity_sequences:
            table, _, column = seq.owned_by.rpartition(".")
            if table in catalog:
                yield f"ALTER SEQUENCE {qualified(seq.schema, seq.name)} OWNED BY {qualified_name(table)}.{ident(column)};"


def _constraints_and_indexes(catalog: Catalog, stored: list[Table]) -> Iterator[str]:
    for table in stored:
        for check in table.checks:
            if not check.validated and not table.partition_of:
                yield f"ALTER TABLE {qualified(table.schema, table.name)} ADD {_check_clause(check)} NOT VALID;"
    emitted_indexes: set[tuple[str, str]] = set()
    for table in stored:  # unique indexes first: a foreign key may reference one
        _, _, inherited_indexes = _inherited(table, catalog)
        for index in table.indexes:
            if index.unique and _renders_index(index, inherited_indexes):
                yield index_statement(table, index)
                emitted_indexes.add((table.qualified, index.name))
    for table in stored:
        _, inherited_fks, _ = _inherited(table, catalog)
        for fk in table.foreign_keys:
            if (fk.columns, fk.ref_table, fk.ref_columns) not in inherited_fks:
                yield add_foreign_key(table, fk)
    for table in stored:
        _, _, inherited_indexes = _inherited(table, catalog)
        for index in table.indexes:
            if _renders_index(index, inherited_indexes) and (table.qualified, index.name) not in emitted_indexes:
                yield index_statement(table, index)


def _row_security(stored: list[Table]) -> Iterator[str]:
    for table in stored:
        name = qualified(table.schema, table.name)
        if table.rls_enabled:
            yield f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY;"
        if table.rls_forced:
            yield f"ALTER TABLE {name} FORCE ROW LEVEL SECURITY;"
        for policy in table.policies:
            yield policy_statement(table, policy)


def _views(catalog: Catalog) -> Iterator[str]:
    """Every view in dependency order; one that uses a function or view the model cannot render is a comment."""
    views = [t for t in catalog.tables if t.kind in ("view", "materialized_view")]
    unrenderable = [f for f in catalog.functions if not f.definition]
    skipped_views: set[str] = set()
    for view in view_order(views):
        missing = [
            f for f in unrenderable if re.search(rf"(?<![\w]){re.escape(f.name)}\s*\(", view.view_definition or "")
        ]
        missing += [catalog.table(v) for v in skipped_views if re.search(rf"\b{re.escape(v.split('.', 1)[1])}\b", view.view_definition or "")]
        if missing:
            skipped_views.add(view.qualified)
            yield (
                f"-- view {qualified(view.schema, view.name)} is not rendered: it uses "
                f"{qualified(missing[0].schema, missing[0].name)}, whose definition the model does not hold"
            )
            continue
        yield from view_statements(view)


def comment_statements(catalog: Catalog) -> list[str]:
    out = []
    for schema in catalog.schemas:
        if schema.comment and schema.name not in BUILTIN_SCHEMAS:
            out.append(f"COMMENT ON SCHEMA {ident(schema.name)} IS {literal(schema.comment)};")
    for table in catalog.tables:
        if table.kind == "foreign_table":
            continue
        name = qualified(table.schema, table.name)
        kind = {"view": "VIEW", "materialized_view": "MATERIALIZED VIEW"}.get(table.kind, "TABLE")
        if table.comment:
            out.append(f"COMMENT ON {kind} {name} IS {literal(table.comment)};")
        if table.partition_of:
            continue
        for column in table.columns:
            if column.comment:
                out.append(f"COMMENT ON COLUMN {name}.{ident(column.name)} IS {literal(column.comment)};")
    return out
