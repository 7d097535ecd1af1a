"""Does the migrated schema equal the design's target model? Compared by meaning, not by spelling.

Tables, columns (type, NOT NULL, default, identity), keys and unique constraints (by columns),
foreign keys (columns, target, actions), indexes (by shape: names of indexes are free; those backing
keys included, not exclusion indexes),
checks, row level security and policies, partitioning and partitions. Expressions are compared
in a normalized form, because PostgreSQL rewrites what it stores (`x = current_setting('a')::bigint`
comes back as `(x = (current_setting('a'::text))::bigint)`).
"""

from __future__ import annotations

import re

from studio.catalog import Catalog, Table

OURS = ("schema_studio_migration", "schema_studio_quarantine", "schema_studio_archive")


def normalized(expression: str | None) -> str:
    """An expression as PostgreSQL would store it, minus its spelling: casts of literals to text, parentheses, case, spaces."""
    if not expression:
        return ""
    text = expression.strip().rstrip(";")
    text = re.sub(r"::(text|character varying|name|regclass)\b", "", text, flags=re.I)
    text = re.sub(r"\bCHECK\b", "", text, flags=re.I)
    text = re.sub(r"\s+NOT VALID$", "", text, flags=re.I)
    text = re.sub(r'"([a-z_][a-z0-9_$]*)"', r"\1", text)  # needlessly quoted identifiers
    text = text.replace("(", " ").replace(")", " ")
    return " ".join(text.lower().split())


def _index_shape(index) -> tuple:
    keys = tuple((k.column or normalized(k.expression), k.descending) for k in index.keys)
    return (keys, index.unique, index.method, normalized(index.predicate), tuple(index.include))


def _fk_shape(fk) -> tuple:
    return (fk.columns, fk.ref_table, fk.ref_columns, fk.on_delete, fk.on_update, fk.match, fk.deferrable)


def _policy_shape(policy) -> tuple:
    return (policy.name, policy.command, tuple(sorted(policy.roles)), normalized(policy.using),
            normalized(policy.with_check), policy.permissive)


def _column_shape(column) -> tuple:
    default = None if column.identity else normalized(column.default)
    return (column.type, column.nullable, default or None, column.identity, normalized(column.generated))


def _compared_indexes(table: Table) -> list[tuple]:
    """Plain indexes and the ones backing the primary key or a unique constraint (the design keeps those in
    step with their constraints); exclusion indexes are left out: the model spells their keys as expressions."""
    keys = {u.name for u in table.uniques} | ({table.primary_key.name} if table.primary_key else set())
    return [_index_shape(i) for i in table.indexes if i.valid and (not i.constraint or i.constraint in keys)]


def table_differences(target: Table, migrated: Table) -> list[str]:
    out = []
    name = target.qualified
    if target.kind != migrated.kind:
        out.append(f"{name}: {migrated.kind}, the target has a {target.kind}")
    if target.partition_of:
        if migrated.partition_of != target.partition_of:
            out.append(f"{name}: not a partition of {target.partition_of}")
        return out
    want = {c.name: _column_shape(c) for c in target.columns}
    have = {c.name: _column_shape(c) for c in migrated.columns}
    for column in sorted(set(want) | set(have)):
        if want.get(column) != have.get(column):
            out.append(f"{name}.{column}: {have.get(column) or 'missing'}, the target has {want.get(column) or 'no such column'}")
    pairs = (
        ("primary key", [target.primary_key.columns] if target.primary_key else [],
         [migrated.primary_key.columns] if migrated.primary_key else []),
        ("unique constraints", [u.columns for u in target.uniques], [u.columns for u in migrated.uniques]),
        ("foreign keys", [_fk_shape(f) for f in target.foreign_keys], [_fk_shape(f) for f in migrated.foreign_keys]),
        ("checks", [normalized(c.expression) for c in target.checks], [normalized(c.expression) for c in migrated.checks]),
        ("indexes", _compared_indexes(target), _compared_indexes(migrated)),
        ("policies", [_policy_shape(p) for p in target.policies], [_policy_shape(p) for p in migrated.policies]),
        ("row level security", [(target.rls_enabled, target.rls_forced)], [(migrated.rls_enabled, migrated.rls_forced)]),
        ("partitioning", [(target.partitioning.strategy, target.partitioning.columns)] if target.partitioning else [],
         [(migrated.partitioning.strategy, migrated.partitioning.columns)] if migrated.partitioning else []),
    )
    for what, a, b in pairs:
        if sorted(map(repr, a)) != sorted(map(repr, b)):
            missing = [x for x in a if x not in b]
            extra = [x for x in b if x not in a]
            out.append(f"{name}: {what} differ (target only: {missing}; migrated only: {extra})")
    return out


def differences(target: Catalog, migrated: Catalog) -> list[str]:
    out = []
    want = {t.qualified: t for t in target.stored_tables}
    have = {t.qualified: t for t in migrated.stored_tables if t.schema not in OURS}
    for name in sorted(set(want) | set(have)):
        if name not in have:
            out.append(f"{name}: in the target, not in the migrated schema")
        elif name not in want:
            out.append(f"{name}: in the migrated schema, not in the target")
        else:
            out += table_differences(want[name], have[name])
    return out


def unplanned_tables(notes, target: Catalog) -> set[str]:
    """Tables the plan says it leaves to a person: differences there are reported, not failed."""
    text = "\n".join(notes)
    return {t.qualified for t in target.tables if re.search(rf"(?<![\w.]){re.escape(t.qualified)}(?![\w])", text)}
