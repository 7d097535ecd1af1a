"""Index rules: foreign keys without an index, duplicate, redundant and invalid indexes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import partial

from analyzers import predicates
from analyzers.context import Context, in_table_order
from analyzers.registry import Hit, rule
from studio.catalog import Index, Table
from studio.ddl import add_foreign_key
from studio.sql import constraint_name, ident, idents, qualified, qualified_name


def _owner_tables(ctx: Context) -> Iterable[Table]:
    """Partitions are left out: their indexes and keys are clones of their parent's."""
    return ctx.owner_tables


def _index_ref(table: Table, index: Index) -> str:
    return qualified(table.schema, index.name)


@rule(
    "unindexed-foreign-key",
    severity="warning",
    category="indexes",
    title="Foreign key without an index",
    explanation="""Nothing indexes the referencing columns, so every delete or key update on the parent
    scans this whole table to check for children (holding locks meanwhile), and joins from parent to
    children scan it too. The cost grows with the table and usually shows up first as slow deletes.""",
)
def unindexed_foreign_key(ctx: Context) -> Iterable[Hit]:
    """FK columns that lead no valid index holding all their rows (a predicate may only exclude their NULLs).

    Bad:
        CREATE TABLE customers (id bigint PRIMARY KEY);
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id),
                             archived boolean NOT NULL DEFAULT false);
        CREATE INDEX orders_live_customer_idx ON orders (customer_id) WHERE NOT archived;

    Good:
        CREATE TABLE customers (id bigint PRIMARY KEY);
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id),
                             referrer_id bigint REFERENCES customers (id), placed_at timestamptz);
        CREATE INDEX orders_customer_id_idx ON orders (customer_id, id);
        CREATE INDEX orders_referrer_idx ON orders (referrer_id, placed_at) WHERE referrer_id IS NOT NULL;
    """
    for table in _owner_tables(ctx):
        seen: set[frozenset[str]] = set()
        for fk in table.foreign_keys:
            columns = frozenset(fk.columns)
            if columns in seen or ctx.is_led_by(table, fk.columns):
                continue
            seen.add(columns)
            message = (
                f"foreign key {fk.name} on {table.qualified} ({', '.join(fk.columns)}) has no index"
                " leading with its columns"
            )
            fix = partial(_create_index_fix, ctx, table, fk.columns)
            leading = [i for i in table.indexes if frozenset(i.column_keys[: len(columns)]) == columns]
            if invalid := [i for i in leading if not i.valid]:
                message += f" that is valid ({invalid[0].name} would serve it once rebuilt)"
                fix = f"-- Rebuild {invalid[0].name} (see its invalid-index finding) rather than adding a second index."
            elif partial_ones := [i for i in leading if i.predicate]:
                message += (
                    f" over all its rows ({partial_ones[0].name} holds only rows where {partial_ones[0].predicate},"
                    " but the key's checks read every row)"
                )
            yield Hit(
                table.qualified,
                message,
                columns=in_table_order(table, fk.columns),
                related=(fk.ref_table,),
                fix=fix,
            )


def _create_index_fix(ctx: Context, table: Table, columns) -> str:
    name = ctx.free_name(table.schema, constraint_name(table.name, list(columns), "idx"))
    me = qualified_name(table.qualified)
    if table.kind != "partitioned_table":
        return f"CREATE INDEX CONCURRENTLY {ident(name)} ON {me} ({idents(columns)});"
    partitions = ctx.partitions_of(table.qualified)
    if any(p.kind == "partitioned_table" for p in partitions):
        return f"-- {table.qualified} has nested partitions: this locks writes while it builds.\n" + (
            f"CREATE INDEX {ident(name)} ON {me} ({idents(columns)});"
        )
    # A partitioned table cannot be indexed CONCURRENTLY: index each partition concurrently, attach.
    lines = [f"CREATE INDEX {ident(name)} ON ONLY {me} ({idents(columns)});"]
    for part in sorted(partitions, key=lambda p: p.qualified):
        part_name = ctx.free_name(part.schema, constraint_name(part.name, list(columns), "idx"))
        lines.append(
            f"CREATE INDEX CONCURRENTLY {ident(part_name)} ON {qualified_name(part.qualified)} ({idents(columns)});"
        )
        lines.append(
            f"ALTER INDEX {qualified(table.schema, name)} ATTACH PARTITION {qualified(part.schema, part_name)};"
        )
    return "\n".join(lines)


def _shape(table: Table, index: Index) -> tuple:
    """Equal for indexes that hold the same rows under the same keys: `(a) WHERE a IS NOT NULL` on a
    NOT NULL column is `(a)`; a predicate that cannot be read is compared as text."""
    keys = tuple((k.expression, k.descending, k.nulls_first, k.opclass, k.collation) for k in index.keys)
    conditions = predicates.effective_conditions(table, index.predicate)
    rows = index.predicate or "" if conditions is None else conditions
    return (index.method, keys, rows, tuple(index.include))


def _preference(index: Index) -> tuple:
    """Which twin to keep: the primary key, then constraints, then unique ones, then by name."""
    return (
        not index.primary,
        index.constraint is None,
        not index.unique,
        not index.nulls_not_distinct,
        bool(index.predicate),
        index.name,
    )


def drop_index_fix(ctx: Context, table: Table, index: Index) -> str:
    me = qualified_name(table.qualified)
    referencing = _referencing(ctx, table, index) if index.unique else []
    if index.constraint is not None:
        drop = f"ALTER TABLE {me} DROP CONSTRAINT {ident(index.constraint)};"
    elif table.kind == "partitioned_table" or referencing:  # neither allows DROP INDEX CONCURRENTLY
        drop = f"DROP INDEX {_index_ref(table, index)};"
    else:
        drop = f"DROP INDEX CONCURRENTLY {_index_ref(table, index)};"
    if not referencing:
        return drop
    # A foreign key depends on the unique index it was bound to: drop those keys, then the index, and
    # add them again (they bind to the twin that stays), all in one transaction.
    lines = [
        f"-- Foreign keys referencing {table.qualified} ({', '.join(index.columns)}) may be bound to this index:",
        "-- they are dropped and added again around it (run it all in one transaction), then re-checked.",
    ]
    lines += [f"ALTER TABLE {qualified_name(child.qualified)} DROP CONSTRAINT {ident(fk.name)};" for child, fk in referencing]
    lines.append(drop)
    for child, fk in referencing:
        recheck = fk.validated and child.kind != "partitioned_table"  # NOT VALID is refused there
        lines.append(add_foreign_key(child, fk, not_valid=recheck or not fk.validated))
        if recheck:
            lines.append(f"ALTER TABLE {qualified_name(child.qualified)} VALIDATE CONSTRAINT {ident(fk.name)};")
    return "\n".join(lines)


def _referencing(ctx: Context, table: Table, index: Index) -> list:
    """Foreign keys (not the clones on partitions) referencing exactly the index's columns."""
    return sorted(
        (
            (child, fk)
            for child, fk in ctx.foreign_keys_to(table.qualified)
            if child.kind != "partition" and set(fk.ref_columns) == set(index.columns)
        ),
        key=lambda pair: (pair[0].qualified, pair[1].name),
    )


@rule(
    "duplicate-index",
    severity="warning",
    category="indexes",
    title="Duplicate index",
    explanation="""Two indexes have the same definition, so every write maintains both while reads use
    only one. The extra one costs disk, memory, write time and vacuum work for nothing.""",
)
def duplicate_index(ctx: Context) -> Iterable[Hit]:
    """Indexes with the same method, keys, rows (predicate) and INCLUDE list; the extra ones are reported.

    A unique key over the primary key's columns in another order is reported too, at info: its
    uniqueness is the primary key's, but as an index it may serve other lookups.

    Bad:
        CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamptz NOT NULL);
        CREATE INDEX orders_placed_at_idx ON orders (placed_at);
        CREATE INDEX orders_placed_idx ON orders (placed_at);

        CREATE TABLE customers (id bigint PRIMARY KEY);
        ALTER TABLE customers ADD CONSTRAINT customers_id_key UNIQUE (id);

    Good:
        CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamptz NOT NULL);
        CREATE INDEX orders_placed_at_idx ON orders (placed_at);
        CREATE INDEX orders_placed_desc_idx ON orders (placed_at) WHERE id > 100;
        CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL UNIQUE);
    """
    for table in _owner_tables(ctx):
        groups: dict[tuple, list[Index]] = {}
        for index in table.indexes:
            if index.valid:
                groups.setdefault(_shape(table, index), []).append(index)
        for twins in groups.values():
            if len(twins) < 2:
                continue
            keep, *extras = sorted(twins, key=_preference)
            for extra in extras:
                yield Hit(
                    table.qualified,
                    f"index {extra.name} on {table.qualified} ({', '.join(extra.columns)}) duplicates {keep.name}",
                    columns=in_table_order(table, extra.column_keys),
                    fix=drop_index_fix(ctx, table, extra),
                )
        yield from _unique_repeating_primary_key(ctx, table, groups)


def _unique_repeating_primary_key(ctx: Context, table: Table, groups: dict[tuple, list[Index]]) -> Iterable[Hit]:
    """A unique key over the primary key's columns in another order or form (UNIQUE (b, a) beside
    PRIMARY KEY (a, b)): its uniqueness is enforced twice, but it may still serve lookups as an index."""
    pk = next((i for i in table.indexes if i.primary), None)
    if pk is None:
        return
    twins = {i.name for i in groups.get(_shape(table, pk), ())}
    for index in table.indexes:
        if (
            not index.unique
            or index.primary
            or index.name in twins
            or not index.valid
            or index.predicate
            or None in index.column_keys
            or set(index.column_keys) != set(pk.column_keys)
        ):
            continue
        plan = "\n".join(f"-- {line}" for line in drop_index_fix(ctx, table, index).splitlines())
        yield Hit(
            table.qualified,
            f"unique key {index.constraint or index.name} on {table.qualified} ({', '.join(index.columns)}) repeats"
            f" the uniqueness of the primary key {pk.name} ({', '.join(pk.columns)}); as an index it serves only"
            " lookups in its own key order, and whether any query needs those (its idx_scan in"
            " pg_stat_user_indexes, or the unused-index workload check) settles it",
            columns=in_table_order(table, index.column_keys),
            fix=f"-- Only if no query needs it as an index:\n{plan}",
            severity="info",
        )


def _key_core(index: Index) -> tuple:
    return tuple((k.expression, k.opclass, k.collation) for k in index.keys)


@rule(
    "redundant-index",
    severity="info",
    category="indexes",
    title="Index covered by a wider index",
    explanation="""A wider index starting with the same columns can answer the same lookups, so this
    one mostly adds write and storage cost. Keep it only if its smaller size measurably helps a hot
    query.""",
)
def redundant_index(ctx: Context) -> Iterable[Hit]:
    """A non-unique btree index whose keys are a strict leading prefix of another btree index's.

    Bad:
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, placed_at timestamptz NOT NULL);
        CREATE INDEX orders_customer_idx ON orders (customer_id);
        CREATE INDEX orders_customer_placed_idx ON orders (customer_id, placed_at);

    Good:
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, placed_at timestamptz NOT NULL);
        CREATE UNIQUE INDEX orders_customer_idx ON orders (customer_id);
        CREATE INDEX orders_customer_placed_idx ON orders (customer_id, placed_at);
    """
    for table in _owner_tables(ctx):
        btrees = [(i, _key_core(i)) for i in table.indexes if i.method == "btree" and i.valid]
        by_lead: dict[tuple, list[tuple[Index, tuple]]] = {}
        for index, core in btrees:
            by_lead.setdefault(core[:1], []).append((index, core))
        for index, core in btrees:
            if index.unique or index.constraint is not None:
                continue
            wider = [
                other
                for other, other_core in by_lead.get(core[:1], ())
                if other is not index
                and other_core[: len(core)] == core
                and _holds_what_it_serves(table, index, other)
                and set(index.include) <= set(other.columns) | set(other.include)
            ]
            if not wider:
                continue
            cover = sorted(wider, key=lambda i: i.name)[0]
            how = "is a leading prefix of" if len(cover.keys) > len(index.keys) else "holds a subset of the rows of"
            yield Hit(
                table.qualified,
                f"index {index.name} on {table.qualified} ({', '.join(index.columns)}) {how}"
                f" {cover.name} ({', '.join(cover.columns)})",
                columns=in_table_order(table, index.column_keys),
                fix=drop_index_fix(ctx, table, index),
            )


def _holds_what_it_serves(table: Table, index: Index, wider: Index) -> bool:
    """Whether `wider` (keys led by `index`'s) answers every lookup `index` can answer.

    It must keep the same rows or more, and anything more it keeps may only be the NULLs of the
    index's own keys, which a `key = value` lookup never reads. Equal keys and equal rows are
    twins, for duplicate-index to report."""
    mine = predicates.effective_conditions(table, index.predicate)
    theirs = predicates.effective_conditions(table, wider.predicate)
    if mine is None or theirs is None:
        return len(wider.keys) > len(index.keys) and (wider.predicate or "") == (index.predicate or "")
    keys = set(index.column_keys)
    if not theirs <= mine or any(column not in keys for _, column in mine - theirs):
        return False
    return len(wider.keys) > len(index.keys) or theirs < mine


_CREATE = re.compile(r"^CREATE (UNIQUE )?INDEX ", re.IGNORECASE)


@rule(
    "invalid-index",
    severity="warning",
    category="indexes",
    title="Invalid index",
    explanation="""The index is marked invalid, usually after a CREATE INDEX CONCURRENTLY that failed or
    was cancelled. Every write still maintains it, but no query can use it, and a unique one may not
    enforce anything; it should be rebuilt or dropped.""",
)
def invalid_index(ctx: Context) -> Iterable[Hit]:
    """An index with `indisvalid = false`.

    Bad:
        CREATE TABLE events (id bigint NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
        CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
        CREATE INDEX events_at_idx ON ONLY events (at);

    Good:
        CREATE TABLE events (id bigint NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
        CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
        CREATE INDEX events_at_idx ON events (at);
    """
    for table in ctx.catalog.stored_tables:
        for index in table.indexes:
            if index.valid:
                continue
            yield Hit(
                table.qualified,
                f"index {index.name} on {table.qualified} is invalid: writes maintain it but no query can use it",
                columns=in_table_order(table, index.column_keys),
                fix=_rebuild_fix(table, index),
            )


def _rebuild_fix(table: Table, index: Index) -> str:
    ref = _index_ref(table, index)
    definition = index.definition.strip().rstrip(";")
    if not definition:
        return f"REINDEX INDEX CONCURRENTLY {ref};"
    if table.kind == "partitioned_table":
        # Re-created without ONLY, so that PostgreSQL builds and attaches every partition's index.
        return f"DROP INDEX {ref};\n" + re.sub(r" ON ONLY ", " ON ", definition, count=1) + ";"
    concurrent = _CREATE.sub(lambda m: f"CREATE {m.group(1) or ''}INDEX CONCURRENTLY ", definition, count=1)
    return f"DROP INDEX CONCURRENTLY {ref};\n{concurrent};"
