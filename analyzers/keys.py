"""Keys and integrity rules: primary keys, foreign keys, natural keys, key exhaustion."""

from __future__ import annotations

import functools
from collections.abc import Iterable

from analyzers import naming, predicates
from analyzers.context import Context, in_table_order
from analyzers.indexes import drop_index_fix
from analyzers.normalization import key_columns
from analyzers.registry import Hit, rule
from analyzers.types import alter_type_fix
from studio.catalog import Column, ForeignKey, Table
from studio.sql import constraint_name, ident, idents, qualified_name

NATURAL_KEY_NAMES = ("code", "slug", "sku", "vin", "isbn", "ean", "upc", "iban")
NATURAL_KEY_SUFFIXES = ("code", "number", "no", "num", "key")
INTEGER_MAX = {"smallint": 32767, "integer": 2147483647, "bigint": 9223372036854775807}


def _base(column: Column) -> str:
    return _base_of(column.type)


@functools.lru_cache(maxsize=4096)
def _base_of(type_name: str) -> str:
    return type_name.split("(")[0].strip()


def _owner_tables(ctx: Context) -> Iterable[Table]:
    """Ordinary and partitioned tables: partitions are covered by their parent."""
    return ctx.owner_tables


def _fk_pair(table: Table, columns, ref: Table | None, ref_columns) -> str:
    return f"{table.qualified} ({', '.join(columns)}) -> {ref.qualified if ref else '?'} ({', '.join(ref_columns)})"


# ---------------------------------------------------------------------------------------------


@rule(
    "no-primary-key",
    severity="error",
    category="keys",
    title="Table without a primary key",
    explanation="""Without a primary key nothing stops two identical rows, other tables cannot
    reference a row reliably, and logical replication cannot ship updates or deletes of the table.
    Tools and ORMs also assume every row can be addressed by a key.""",
)
def no_primary_key(ctx: Context) -> Iterable[Hit]:
    """A stored table (ordinary or partitioned) with no primary key.

    A table whose unique key already covers NOT NULL columns is told to promote it, at warning.

    Bad:
        CREATE TABLE events (kind text NOT NULL, payload jsonb);
        CREATE TABLE settings (name text NOT NULL, value text);
        CREATE UNIQUE INDEX settings_name_idx ON settings (name);

    Good:
        CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, kind text NOT NULL);
        CREATE TABLE settings (name text NOT NULL, value text);
        CREATE UNIQUE INDEX settings_name_idx ON settings (name);
        ALTER TABLE settings ADD PRIMARY KEY USING INDEX settings_name_idx;
    """
    for table in _owner_tables(ctx):
        if table.primary_key is not None:
            continue
        key = promotable_unique(table)
        if key is None:
            yield Hit(table.qualified, f"{table.qualified} has no primary key", fix=_primary_key_fix(table))
            continue
        name, columns = key
        yield Hit(
            table.qualified,
            f"{table.qualified} has no primary key, but its unique key {name} ({', '.join(columns)}) over NOT NULL"
            " columns can be promoted to one",
            columns=in_table_order(table, columns),
            fix=_promote_fix(ctx, table, name, columns),
            severity="warning",
            explanation=(
                "The unique key already identifies every row, but it is not declared the primary key: logical"
                " replication cannot ship the table's updates and deletes (its replica identity needs a primary"
                " key or an explicit choice), and tools and ORMs that look for a primary key find none."
                " Promoting the existing unique index builds nothing and takes only a brief lock."
            ),
        )


def promotable_unique(table: Table) -> tuple[str, tuple[str, ...]] | None:
    """(constraint or index name, columns) of the first unique key a primary key can be made of:
    plain NOT NULL columns, no predicate, and on a partitioned table the partition key's columns."""
    partition_columns = set(table.partitioning.columns) if table.partitioning else set()
    if None in partition_columns:
        return None
    candidates = [(u.name, u.columns) for u in table.uniques]
    candidates += [
        (i.name, i.column_keys)
        for i in table.indexes
        if i.unique and i.valid and not i.predicate and i.constraint is None and None not in i.column_keys
    ]
    for name, columns in sorted(candidates, key=lambda c: (len(c[1]), c[0])):
        if all((c := table.column(n)) is not None and not c.nullable for n in columns) and partition_columns <= set(
            columns
        ):
            return name, tuple(columns)
    return None


def _promote_fix(ctx: Context, table: Table, name: str, columns) -> str:
    me = qualified_name(table.qualified)
    index = next((i for i in table.indexes if i.name == name or i.constraint == name), None)
    if table.kind == "partitioned_table" or index is None:
        return f"ALTER TABLE {me} ADD PRIMARY KEY ({idents(columns)});"
    reusable = index.method == "btree" and not index.include and all(
        not k.descending and not k.nulls_first and not k.opclass and not k.collation for k in index.keys
    )
    if index.constraint is None and reusable:
        return f"ALTER TABLE {me} ADD PRIMARY KEY USING INDEX {ident(index.name)};"
    # A constraint's index (or one PostgreSQL cannot reuse) stays; the key gets an index of its own.
    pkey = ctx.free_name(table.schema, constraint_name(table.name, [], "pkey"))
    lines = [
        f"CREATE UNIQUE INDEX CONCURRENTLY {ident(pkey)} ON {me} ({idents(columns)});",
        f"ALTER TABLE {me} ADD CONSTRAINT {ident(pkey)} PRIMARY KEY USING INDEX {ident(pkey)};",
    ]
    if index.constraint is not None:  # the unique constraint now repeats the primary key
        lines.append(drop_index_fix(ctx, table, index))
    return "\n".join(lines)


def _primary_key_fix(table: Table) -> str:
    me = qualified_name(table.qualified)
    partition_columns = table.partitioning.columns if table.partitioning else ()
    if None in partition_columns:
        return (
            f"-- {table.qualified} is partitioned by an expression: a primary key must contain the\n"
            "-- partition key columns, so add a key column and re-partition by columns first."
        )
    name = "id" if table.column("id") is None else naming.singular(naming.last_word(table.name)) + "_key_id"
    lines = [f"ALTER TABLE {me} ADD COLUMN {ident(name)} bigint GENERATED ALWAYS AS IDENTITY;"]
    lines.append(f"ALTER TABLE {me} ADD PRIMARY KEY ({idents([name, *partition_columns])});")
    return "\n".join(lines)


@rule(
    "implied-foreign-key",
    severity="warning",
    category="keys",
    title="Reference column without a foreign key",
    explanation="""The column's name and type say it points at another table's key, but no foreign key
    enforces it, so rows can point at parents that never existed or were deleted. Orphans then
    surface as missing data in reports and joins that silently drop rows.""",
)
def implied_foreign_key(ctx: Context) -> Iterable[Hit]:
    """A `<x>_id` column with no FK where a table `<x>`/`<x>s` has a matching single-column PK.

    Bad:
        CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL);
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL);

    Good:
        CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL);
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers (id));
    """
    for implied in ctx.implied_foreign_keys:
        table = ctx.catalog.table(implied.table)
        if table is None or table.kind == "partition":
            continue
        name = ctx.free_name(table.schema, constraint_name(table.name, [implied.column], "fkey"))
        me = qualified_name(table.qualified)
        add = (
            f"ALTER TABLE {me} ADD CONSTRAINT {ident(name)} FOREIGN KEY ({ident(implied.column)})"
            f" REFERENCES {qualified_name(implied.ref_table)} ({ident(implied.ref_column)})"
        )
        if table.kind == "partitioned_table":  # NOT VALID is not supported on partitioned tables
            fix = add + ";"
        else:
            fix = f"{add} NOT VALID;\nALTER TABLE {me} VALIDATE CONSTRAINT {ident(name)};"
        if _enforced_by_every_partition(ctx, table, implied):
            yield Hit(
                table.qualified,
                f"{table.qualified}.{implied.column} references {implied.ref_table} only through foreign keys on"
                " each partition; a partition added later will not have one",
                columns=(implied.column,),
                related=(implied.ref_table,),
                fix=fix,
                severity="info",
            )
            continue
        yield Hit(
            table.qualified,
            f"{table.qualified}.{implied.column} looks like a reference to {implied.ref_table}.{implied.ref_column}"
            " but no foreign key enforces it",
            columns=(implied.column,),
            related=(implied.ref_table,),
            fix=fix,
        )


def _enforced_by_every_partition(ctx: Context, table: Table, implied) -> bool:
    partitions = ctx.partitions_of(table.qualified)
    return bool(partitions) and all(
        any(fk.columns == (implied.column,) and fk.ref_table == implied.ref_table for fk in p.foreign_keys)
        for p in partitions
    )


@rule(
    "foreign-key-type-mismatch",
    severity="error",
    category="keys",
    title="Foreign key column type differs from the referenced column",
    explanation="""A foreign key whose column type differs from the key it references forces a cast on
    every join and check, can stop indexes from being used, and breaks the day the referenced key
    outgrows the narrower type (an integer column pointing at a bigint key).""",
)
def foreign_key_type_mismatch(ctx: Context) -> Iterable[Hit]:
    """An FK column whose type is not the referenced column's type.

    When the child is the wider integer (a bigint referencing an integer key), the fix widens the parent's
    key (and its sequence): narrowing the child would only move the overflow to the child's inserts.

    Bad:
        CREATE TABLE customers (id bigint PRIMARY KEY);
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id integer REFERENCES customers (id));
        CREATE INDEX ON orders (customer_id);

        CREATE TABLE regions (id serial PRIMARY KEY);
        CREATE TABLE stores (id bigint PRIMARY KEY, region_id bigint REFERENCES regions (id));
        CREATE INDEX ON stores (region_id);

    Good:
        CREATE TABLE customers (id bigint PRIMARY KEY);
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id));
        CREATE INDEX ON orders (customer_id);
    """
    for table in _owner_tables(ctx):
        for fk in table.foreign_keys:
            ref = ctx.catalog.table(fk.ref_table)
            if ref is None:
                continue
            for col_name, ref_name in zip(fk.columns, fk.ref_columns, strict=False):
                col, ref_col = table.column(col_name), ref.column(ref_name)
                if col is None or ref_col is None or col.type == ref_col.type:
                    continue
                widen_parent = _INTEGER_WIDTH.get(col.type, 0) > _INTEGER_WIDTH.get(ref_col.type, 9)
                yield Hit(
                    table.qualified,
                    f"{table.qualified}.{col_name} is {col.type} but references {ref.qualified}.{ref_name},"
                    f" which is {ref_col.type}"
                    + (": the referenced key is the narrower one and runs out first" if widen_parent else ""),
                    columns=(col_name,),
                    related=(ref.qualified,),
                    fix=_widen_parent_fix(ctx, ref, ref_col, col.type)
                    if widen_parent
                    else alter_type_fix(
                        ctx.catalog,
                        table,
                        col_name,
                        ref_col.type,
                        f"{ident(col_name)}::{ref_col.type}",
                        [_REWRITES % table.qualified],
                    ),
                )


_INTEGER_WIDTH = {"smallint": 1, "integer": 2, "bigint": 3}
_REWRITES = "Rewrites %s under an ACCESS EXCLUSIVE lock: plan a quiet window."


def _widen_parent_fix(ctx: Context, parent: Table, key: Column, wider: str) -> str:
    """The parent's key widened to the child's type; its sequence too, or it would still stop at the old limit.
    Other children of the same key keep their narrower type and are reported (and widened) on their own."""
    notes = [_REWRITES % parent.qualified + " Foreign keys referencing it are re-checked."]
    fix = alter_type_fix(ctx.catalog, parent, key.name, wider, None, notes)
    if key.sequence and not fix.splitlines()[-1].startswith("--"):
        fix += f"\nALTER SEQUENCE {qualified_name(key.sequence)} AS {wider};"
    return fix


@rule(
    "foreign-key-cycle",
    severity="warning",
    category="keys",
    title="Foreign keys form a cycle",
    explanation="""Tables that reference each other in a ring cannot be filled, copied or deleted in any
    simple order: every insert needs a deferred constraint or a NULL then an update, and dump/restore
    or data migrations must break the cycle by hand.""",
)
def foreign_key_cycle(ctx: Context) -> Iterable[Hit]:
    """Two or more tables whose declared FKs form a cycle (self-references excluded). A cycle with a DEFERRABLE
    link is one somebody broke on purpose (this rule's own fix): it is not reported.

    Bad:
        CREATE TABLE departments (id bigint PRIMARY KEY, manager_id bigint);
        CREATE TABLE employees (id bigint PRIMARY KEY, department_id bigint REFERENCES departments (id));
        ALTER TABLE departments ADD FOREIGN KEY (manager_id) REFERENCES employees (id);

    Good:
        CREATE TABLE departments (id bigint PRIMARY KEY, parent_id bigint REFERENCES departments (id));
        CREATE TABLE employees (id bigint PRIMARY KEY, department_id bigint REFERENCES departments (id));
    """
    tables = {t.qualified: t for t in _owner_tables(ctx)}
    edges = {
        name: sorted(
            {fk.ref_table for fk in t.foreign_keys if fk.ref_table in tables and fk.ref_table != name}
        )
        for name, t in tables.items()
    }
    for component in strongly_connected(edges):
        if len(component) < 2:
            continue
        members = sorted(component)
        if any(fk.deferrable for m in members for fk in tables[m].foreign_keys if fk.ref_table in component):
            continue
        first = tables[members[0]]
        inside = [
            fk for fk in first.foreign_keys if fk.ref_table in component and fk.ref_table != first.qualified
        ]
        fk = sorted(inside, key=lambda f: f.name)[0]
        me = qualified_name(first.qualified)
        yield Hit(
            first.qualified,
            f"foreign keys form a cycle through {', '.join(members)}",
            related=tuple(members[1:]),
            fix=(
                f"-- Let inserts and deletes touch the cycle in one transaction by deferring one link\n"
                f"-- (or make {', '.join(fk.columns)} nullable and fill it in a second step).\n"
                f"ALTER TABLE {me} ALTER CONSTRAINT {ident(fk.name)} DEFERRABLE INITIALLY DEFERRED;"
            ),
        )


def _natural_key_like(table: Table, column: Column, extra: frozenset[str]) -> bool:
    """`extra`: the configured natural-key names, folded."""
    folded = naming.fold(column.name)
    if folded in NATURAL_KEY_NAMES or folded in extra:
        return True
    parts = naming.words(column.name)
    if len(parts) < 2 or parts[-1] not in NATURAL_KEY_SUFFIXES:
        return False
    stem = "".join(parts[:-1])
    entities = {naming.singular(naming.fold(table.name)), naming.singular(naming.last_word(table.name))}
    return stem in entities


def _unique_column_sets(table: Table) -> list[frozenset[str]]:
    sets = []
    if table.primary_key:
        sets.append(frozenset(table.primary_key.columns))
    sets += [frozenset(u.columns) for u in table.uniques]
    sets += [
        frozenset(i.columns) for i in table.indexes if i.unique and i.valid and None not in i.column_keys
    ]
    return sets


@rule(
    "natural-key-not-unique",
    severity="warning",
    category="keys",
    title="Natural key without a unique constraint",
    explanation="""The column names the row's business identity (an invoice number, a product code),
    yet nothing stops two rows from carrying the same value. Duplicates then appear in the data and
    in documents sent to customers, and adding the constraint later means cleaning them up first.""",
)
def natural_key_not_unique(ctx: Context) -> Iterable[Hit]:
    """A NOT NULL business identifier (`code`, `sku`, `invoices.invoice_number`) that is not unique.

    Bad:
        CREATE TABLE invoices (id bigint PRIMARY KEY, invoice_number text NOT NULL);

    Good:
        CREATE TABLE tenants (id bigint PRIMARY KEY);
        CREATE TABLE invoices (
            id bigint PRIMARY KEY,
            tenant_id bigint NOT NULL REFERENCES tenants (id),
            invoice_number text NOT NULL,
            UNIQUE (tenant_id, invoice_number)
        );
        CREATE TABLE manufacturers (id bigint PRIMARY KEY, country_code text NOT NULL);
        CREATE TABLE vouchers (id bigint PRIMARY KEY, kind text NOT NULL, code text NOT NULL, UNIQUE (kind, code));
    """
    extra = frozenset(naming.fold(n) for n in ctx.settings.natural_key_names)
    unique_elsewhere: dict[str, set[str]] | None = None  # built at the first candidate: often none
    for table in _owner_tables(ctx):
        candidates = [c for c in table.columns if not c.nullable and _natural_key_like(table, c, extra)]
        if not candidates:
            continue
        if unique_elsewhere is None:
            unique_elsewhere = _unique_column_names(ctx)
        tenant = ctx.tenant_column(table)
        # Unique alone, per parent row (UNIQUE (workspace_id, build_number)) or together with any other
        # column (UNIQUE (kind, code)), or inside an expression (lower(code)): a decision already made.
        in_unique = {c for s in _unique_column_sets(table) for c in s}
        in_unique |= {c for i in table.indexes if i.unique and i.valid for c in key_columns(table, i.columns)}
        references = ctx.references(table)
        parents = [ctx.catalog.table(ref) for _, ref, _, _ in references]
        parent_stems = {naming.fold(naming.id_stem(c) or "") for cols, *_ in references for c in cols}
        for column in candidates:
            if column.name in in_unique:
                continue
            parts = naming.words(column.name)
            if len(parts) > 1 and "".join(parts[:-1]) in parent_stems:
                continue  # warranty_claim_lines.claim_no names the parent claim, not this row
            if any(p is not None and p.column(column.name) is not None for p in parents):
                continue  # a copy of the parent's own key
            key = [tenant, column.name] if tenant else [column.name]
            others = sorted(unique_elsewhere.get(column.name, set()) - {table.qualified})
            if others and len(parts) == 1:
                yield Hit(
                    table.qualified,
                    f"{table.qualified}.{column.name} may be a natural key with no unique constraint, or a copy of"
                    f" the {column.name} that is unique in {', '.join(others[:3])}{' and others' * (len(others) > 3)};"
                    " whether values repeat here (the duplicate-natural-key-values data check) settles it",
                    columns=(column.name,),
                    fix="-- Only if no two rows may share it (check the data first):\n"
                    + "\n".join(f"-- {line}" for line in _unique_fix(ctx, table, key).splitlines()),
                    severity="info",
                )
                continue
            yield Hit(
                table.qualified,
                f"{table.qualified}.{column.name} looks like a natural key but nothing enforces uniqueness",
                columns=(column.name,),
                fix=_unique_fix(ctx, table, key),
            )


def _unique_column_names(ctx: Context) -> dict[str, set[str]]:
    """Column name -> tables where that column is part of a unique key (built once per run)."""
    found: dict[str, set[str]] = {}
    for table in _owner_tables(ctx):
        for columns in _unique_column_sets(table):
            for name in columns:
                found.setdefault(name, set()).add(table.qualified)
    return found


def _unique_fix(ctx: Context, table: Table, key: list[str]) -> str:
    me = qualified_name(table.qualified)
    name = ctx.free_name(table.schema, constraint_name(table.name, key, "key"))
    if table.kind == "partitioned_table":
        return (
            f"-- {table.qualified} is partitioned: a unique key must include the partition key\n"
            f"-- ({table.partitioning.key}); enforce ({', '.join(key)}) per partition or in a lookup table."
        )
    return (
        f"CREATE UNIQUE INDEX CONCURRENTLY {ident(name)} ON {me} ({idents(key)});\n"
        f"ALTER TABLE {me} ADD CONSTRAINT {ident(name)} UNIQUE USING INDEX {ident(name)};"
    )


@rule(
    "nullable-unique-column",
    severity="info",
    category="keys",
    title="Unique column that allows NULL",
    explanation="""A unique constraint treats NULLs as distinct, so any number of rows may leave the
    column empty. If the value is meant to identify a row, it should be NOT NULL; if at most one row
    may lack it, PostgreSQL 15+ can say so with UNIQUE NULLS NOT DISTINCT.""",
)
def nullable_unique_column(ctx: Context) -> Iterable[Hit]:
    """A nullable column whose only uniqueness is a plain single-column unique constraint.

    Bad:
        CREATE TABLE users (id bigint PRIMARY KEY, email text UNIQUE);

    Good:
        CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL UNIQUE, badge text UNIQUE NULLS NOT DISTINCT);
        CREATE TABLE contacts (id bigint PRIMARY KEY, email text UNIQUE, phone text UNIQUE,
                               CHECK (email IS NOT NULL OR phone IS NOT NULL));
    """
    for table in _owner_tables(ctx):
        single = [
            i
            for i in table.indexes
            if i.unique and i.valid and not i.predicate and len(i.keys) == 1 and i.keys[0].column
        ]
        by_column: dict[str, list] = {}
        for index in single:
            by_column.setdefault(index.keys[0].column, []).append(index)
        for column in table.columns:
            indexes = by_column.get(column.name)
            if not column.nullable or not indexes or any(i.nulls_not_distinct or i.primary for i in indexes):
                continue
            if predicates.check_allows_null(table, column.name):  # NULL allowed on purpose (a IS NOT NULL OR b ...)
                continue
            me = qualified_name(table.qualified)
            yield Hit(
                table.qualified,
                f"{table.qualified}.{column.name} is unique but nullable, so any number of rows may leave it empty",
                columns=(column.name,),
                fix=(
                    "-- If every row must have a value (otherwise, keep it nullable and declare the\n"
                    "-- constraint UNIQUE NULLS NOT DISTINCT so that at most one row lacks it):\n"
                    f"ALTER TABLE {me} ALTER COLUMN {ident(column.name)} SET NOT NULL;"
                ),
            )


@rule(
    "duplicate-foreign-key",
    severity="warning",
    category="keys",
    title="Duplicate foreign key",
    explanation="""Two foreign keys enforce the same reference, so every insert, update and parent
    delete checks it twice. The duplicate adds locking and write cost and nothing else.""",
)
def duplicate_foreign_key(ctx: Context) -> Iterable[Hit]:
    """Two FKs with the same columns to the same referenced columns.

    Bad:
        CREATE TABLE customers (id bigint PRIMARY KEY);
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id));
        ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);

    Good:
        CREATE TABLE customers (id bigint PRIMARY KEY);
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id));
    """
    for table in _owner_tables(ctx):
        groups: dict[tuple, list[ForeignKey]] = {}
        for fk in table.foreign_keys:
            key = (fk.ref_table, tuple(sorted(zip(fk.columns, fk.ref_columns, strict=False))))
            groups.setdefault(key, []).append(fk)
        for fks in groups.values():
            if len(fks) < 2:
                continue
            keep, *extras = sorted(fks, key=lambda f: (not f.validated, f.name))
            for extra in extras:
                yield Hit(
                    table.qualified,
                    f"foreign key {extra.name} on {table.qualified} ({', '.join(extra.columns)}) duplicates {keep.name}",
                    columns=in_table_order(table, extra.columns),
                    related=(extra.ref_table,),
                    fix=f"ALTER TABLE {qualified_name(table.qualified)} DROP CONSTRAINT {ident(extra.name)};",
                )


@rule(
    "not-valid-constraint",
    severity="info",
    category="keys",
    title="Constraint never validated",
    explanation="""The constraint was added NOT VALID and never validated, so it guards new rows only:
    existing rows may still break it and the planner cannot rely on it. Validating takes a light lock
    and tells you whether old data is clean.""",
)
def not_valid_constraint(ctx: Context) -> Iterable[Hit]:
    """A foreign key or CHECK constraint added NOT VALID and never validated.

    Bad:
        CREATE TABLE orders (id bigint PRIMARY KEY, total numeric NOT NULL);
        ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0) NOT VALID;

    Good:
        CREATE TABLE orders (id bigint PRIMARY KEY, total numeric NOT NULL);
        ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0) NOT VALID;
        ALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;
    """
    for table in _owner_tables(ctx):
        me = qualified_name(table.qualified)
        pending = [
            ("foreign key", fk.name, fk.columns, (fk.ref_table,))
            for fk in table.foreign_keys
            if not fk.validated
        ]
        pending += [("check", c.name, c.columns, ()) for c in table.checks if not c.validated]
        for kind, name, columns, related in pending:
            yield Hit(
                table.qualified,
                f"{kind} constraint {name} on {table.qualified} was added NOT VALID and never validated",
                columns=in_table_order(table, columns),
                related=related,
                fix=f"ALTER TABLE {me} VALIDATE CONSTRAINT {ident(name)};",
            )


@rule(
    "integer-key-exhaustion",
    severity="warning",
    category="keys",
    title="Integer key running out of values",
    explanation="""The key is a 4-byte (or 2-byte) integer and has used more than half of its range.
    When it reaches the maximum, every insert fails until the column is widened, and widening a large
    table rewrites it under an exclusive lock, so it is far cheaper to plan now.""",
)
def integer_key_exhaustion(ctx: Context) -> Iterable[Hit]:
    """An integer/smallint key whose sequence (or row estimate) is past half of its range.

    Bad:
        CREATE TABLE events (id serial PRIMARY KEY, kind text NOT NULL);
        SELECT setval('events_id_seq', 1500000000);

    Good:
        CREATE TABLE events (id bigserial PRIMARY KEY, kind text NOT NULL);
        SELECT setval('events_id_seq', 1500000000);
    """
    sequences = {s.owned_by: s for s in ctx.catalog.sequences if s.owned_by}
    growing = set(ctx.settings.growing_tables)
    for table in _owner_tables(ctx):
        key_columns = set(table.primary_key.columns) if table.primary_key else set()
        for column in table.columns:
            limit = INTEGER_MAX.get(_base(column))
            if limit is None or _base(column) == "bigint":
                continue
            sequence = sequences.get(f"{table.qualified}.{column.name}")
            if column.name not in key_columns and sequence is None:
                continue
            if sequence is not None and sequence.max_value:
                limit = min(limit, sequence.max_value)
            used, how = None, ""
            if sequence is not None and sequence.last_value is not None:
                used, how = sequence.last_value, f"its sequence is at {sequence.last_value:,}"
            elif column.name in key_columns and len(key_columns) == 1 and table.row_estimate:
                used, how = table.row_estimate, f"it holds about {table.row_estimate:,} rows"
            if used is not None and used > limit // 2:
                yield Hit(
                    table.qualified,
                    f"{table.qualified}.{column.name} is {column.type} and {how}, past half of its maximum {limit:,}",
                    columns=(column.name,),
                    fix=_widen_fix(ctx, table, column, sequence),
                )
            elif table.qualified in growing and column.name in key_columns and _base(column) == "integer":
                yield Hit(
                    table.qualified,
                    f"{table.qualified}.{column.name} is a 4-byte integer key on a table marked as growing",
                    columns=(column.name,),
                    fix=_widen_fix(ctx, table, column, sequence),
                    severity="info",
                )


def _widen_fix(ctx: Context, table: Table, column: Column, sequence) -> str:
    lines = [
        f"-- Rewrites {table.qualified} and the tables below under ACCESS EXCLUSIVE locks; on a large",
        "-- table, add a bigint column, backfill it in batches and swap it in instead.",
        f"ALTER TABLE {qualified_name(table.qualified)} ALTER COLUMN {ident(column.name)} TYPE bigint;",
    ]
    if sequence is not None and column.identity is None:
        lines.append(f"ALTER SEQUENCE {qualified_name(f'{sequence.schema}.{sequence.name}')} AS bigint;")
    for child, fk in ctx.foreign_keys_to(table.qualified):
        if child.kind == "partition":
            continue
        for col_name, ref_name in zip(fk.columns, fk.ref_columns, strict=False):
            child_col = child.column(col_name)
            if (
                ref_name == column.name
                and child_col is not None
                and _base(child_col) in ("smallint", "integer")
            ):
                lines.append(
                    f"ALTER TABLE {qualified_name(child.qualified)} ALTER COLUMN {ident(col_name)} TYPE bigint;"
                )
    return "\n".join(dict.fromkeys(lines))


@rule(
    "cascade-blast-radius",
    severity="info",
    category="keys",
    title="ON DELETE CASCADE reaches many tables",
    explanation="""Deleting one row here silently deletes rows in many other tables through chains of
    ON DELETE CASCADE. One mistaken delete (or a tenant off-boarding run against the wrong id) can
    wipe a large part of the database, and a big cascade holds locks on every table it touches.""",
)
def cascade_blast_radius(ctx: Context) -> Iterable[Hit]:
    """A table whose deletes cascade to at least `cascade_threshold` tables (reported at the origin).

    Bad:
        CREATE TABLE accounts (id bigint PRIMARY KEY);
        CREATE TABLE projects (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts ON DELETE CASCADE);
        CREATE TABLE tasks (id bigint PRIMARY KEY, project_id bigint REFERENCES projects ON DELETE CASCADE);
        CREATE TABLE comments (id bigint PRIMARY KEY, task_id bigint REFERENCES tasks ON DELETE CASCADE);
        CREATE TABLE files (id bigint PRIMARY KEY, task_id bigint REFERENCES tasks ON DELETE CASCADE);
        CREATE TABLE members (id bigint PRIMARY KEY, project_id bigint REFERENCES projects ON DELETE CASCADE);

    Good:
        CREATE TABLE accounts (id bigint PRIMARY KEY);
        CREATE TABLE projects (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts ON DELETE CASCADE);
        CREATE TABLE tasks (id bigint PRIMARY KEY, project_id bigint REFERENCES projects ON DELETE RESTRICT);
        CREATE TABLE comments (id bigint PRIMARY KEY, task_id bigint REFERENCES tasks ON DELETE CASCADE);
    """
    tables = {t.qualified: t for t in _owner_tables(ctx)}
    deletes_into: dict[str, set[str]] = {name: set() for name in tables}
    for name, table in tables.items():
        for fk in table.foreign_keys:
            if fk.on_delete == "CASCADE" and fk.ref_table in tables and fk.ref_table != name:
                deletes_into[fk.ref_table].add(name)
    edges = {name: sorted(children) for name, children in deletes_into.items()}
    threshold = max(1, ctx.settings.cascade_threshold)
    for origin, count, depth in _blast_origins(edges, threshold):
        reached, depth = _walk(edges, origin)
        yield Hit(
            origin,
            f"deleting a row of {origin} cascades into {count} tables, up to {depth} levels deep",
            related=tuple(sorted(reached)),
            fix=(
                f"-- Review which of these deletes should cascade; change the others to RESTRICT,\n"
                f"-- e.g. ALTER TABLE child DROP CONSTRAINT fk, ADD CONSTRAINT fk FOREIGN KEY (...)\n"
                f"--      REFERENCES {qualified_name(origin)} (...) ON DELETE RESTRICT NOT VALID;"
            ),
            details=(("tables", count), ("depth", depth)),
        )


# Graph helpers: linear in tables and edges (no per-table walk of the whole graph) ---------------


def strongly_connected(edges: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, iteratively (schemas can be deep chains)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(edges.get(root, ())))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges.get(child, ()))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
    return components


def _blast_origins(edges: dict[str, list[str]], threshold: int) -> list[tuple[str, int, int]]:
    """(origin, tables reached, depth) for cascade origins reaching >= threshold tables.

    An origin is a table no other table cascades into (within a cycle, its first member by name):
    a table reached from elsewhere has a blast radius inside its origin's, reported there.
    Reach is computed once per component as a bit set, in reverse topological order.
    """
    components = strongly_connected(edges)  # Tarjan emits sinks first
    component_of = {m: i for i, comp in enumerate(components) for m in comp}
    bit = {name: 1 << n for n, name in enumerate(edges)}
    reach = [0] * len(components)
    entered = [False] * len(components)
    for i, comp in enumerate(components):
        bits = 0
        for member in comp:
            bits |= bit[member]
            for child in edges[member]:
                j = component_of[child]
                if j != i:
                    bits |= reach[j]
                    entered[j] = True
        reach[i] = bits
    found = []
    for i, comp in enumerate(components):
        if entered[i]:
            continue
        origin = min(comp)
        count = reach[i].bit_count() - 1
        if count >= threshold:
            found.append((origin, count, 0))
    return sorted(found)


def _walk(edges: dict[str, list[str]], origin: str) -> tuple[set[str], int]:
    """Tables reached from `origin` (itself excluded) and the depth of the deepest one."""
    seen, frontier, depth = {origin}, [origin], 0
    while frontier:
        frontier = [c for node in frontier for c in edges[node] if c not in seen and not seen.add(c)]
        depth += bool(frontier)
    return seen - {origin}, depth
