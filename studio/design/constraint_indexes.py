"""The indexes that back a table's primary key and unique constraints, rebuilt from the constraints.

PostgreSQL creates one index per PRIMARY KEY / UNIQUE constraint, named after it, with the
constraint's columns in order. A transform that changes a table's keys (tenancy widening them,
partitioning adding the partition key, a new history table) passes the table through
`sync_constraint_indexes`, so the target model says what PostgreSQL will build: no index keyed
by the old columns, and none backing a constraint that is gone.
"""

from __future__ import annotations

import dataclasses

from studio.catalog import Index, IndexKey, Table


def constraint_index(name: str, columns: tuple[str, ...], *, primary: bool, nulls_not_distinct: bool = False) -> Index:
    return Index(
        name=name,
        keys=tuple(IndexKey(c, c) for c in columns),
        unique=True,
        primary=primary,
        constraint=name,
        method="btree",
        nulls_not_distinct=nulls_not_distinct,
    )


def _wanted(table: Table) -> dict[str, Index]:
    wanted = {}
    if table.primary_key:
        pk = table.primary_key
        wanted[pk.name] = constraint_index(pk.name, pk.columns, primary=True)
    for u in table.uniques:
        wanted[u.name] = constraint_index(u.name, u.columns, primary=False, nulls_not_distinct=u.nulls_not_distinct)
    return wanted


def _same(index: Index, wanted: Index) -> bool:
    plain = all(not k.descending and not k.nulls_first and not k.opclass and not k.collation for k in index.keys)
    return (
        plain and index.name == wanted.name and index.column_keys == wanted.column_keys
        and (index.unique, index.primary, index.method, index.nulls_not_distinct, index.predicate, index.include)
        == (True, wanted.primary, "btree", wanted.nulls_not_distinct, None, ())
    )


def sync_constraint_indexes(table: Table) -> Table:
    """`table` with one backing index per primary/unique constraint, matching it; exclusion indexes
    kept while their constraint is; an entry that still matches keeps its definition and size."""
    wanted = _wanted(table)
    exclusions = {e.name for e in table.exclusions}
    indexes: list[Index] = []
    placed: set[str] = set()
    for index in table.indexes:
        if not index.constraint:
            indexes.append(index)
        elif index.constraint in wanted and index.constraint not in placed:
            want = wanted[index.constraint]
            indexes.append(index if _same(index, want) else want)
            placed.add(index.constraint)
        elif index.constraint in exclusions:
            indexes.append(index)
    indexes += [index for name, index in wanted.items() if name not in placed]
    if tuple(indexes) == table.indexes:
        return table
    return dataclasses.replace(table, indexes=tuple(indexes))
