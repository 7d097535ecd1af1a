"""Current vs design target -> operations (what differs), kept apart from rendering (how to change it).

`differences(a, b, key)` pairs two collections by key; comparators split by concern (tables,
columns, constraints, indexes, policies/RLS, partitioning) turn the pairs into `Op`s. The design
renderer (`studio.migrate.design_steps`) turns the ops into phased steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from studio.catalog import Catalog, Table


@dataclass(frozen=True)
class Op:
    concern: str  # tables | columns | constraints | indexes | policies | partitioning
    action: str  # add | drop | change
    table: str  # schema-qualified
    name: str  # the object within the table ("" for the table itself)
    before: Any = None
    after: Any = None


def differences(a: Iterable, b: Iterable, key: Callable[[Any], Any], same: Callable[[Any, Any], bool] | None = None):
    """(action, before, after) for every item added, dropped or changed between a and b."""
    same = same or (lambda x, y: x == y)
    left = {key(x): x for x in a}
    right = {key(y): y for y in b}
    out = []
    for k, x in left.items():
        if k not in right:
            out.append(("drop", x, None))
        elif not same(x, right[k]):
            out.append(("change", x, right[k]))
    out += [("add", None, y) for k, y in right.items() if k not in left]
    return out


def _ops(concern: str, table: str, pairs, name: Callable[[Any], str]) -> list[Op]:
    return [Op(concern, action, table, name(before or after), before, after) for action, before, after in pairs]


def tables(current: Catalog, target: Catalog) -> list[Op]:
    pairs = differences(current.tables, target.tables, lambda t: t.qualified, lambda x, y: True)
    return _ops("tables", "", pairs, lambda t: t.qualified)


def functions(current: Catalog, target: Catalog) -> list[Op]:
    pairs = differences(current.functions, target.functions, lambda f: (f.schema, f.name, f.arguments))
    return _ops("functions", "", pairs, lambda f: f"{f.schema}.{f.name}")


def columns(old: Table, new: Table) -> list[Op]:
    return _ops("columns", new.qualified, differences(old.columns, new.columns, lambda c: c.name), lambda c: c.name)


def constraints(old: Table, new: Table) -> list[Op]:
    ops = []
    if old.primary_key != new.primary_key:
        action = "change" if old.primary_key and new.primary_key else "add" if new.primary_key else "drop"
        ops.append(Op("constraints", action, new.qualified, "primary_key", old.primary_key, new.primary_key))
    ops += _ops("constraints", new.qualified, differences(old.uniques, new.uniques, lambda u: u.name), lambda u: u.name)
    ops += _ops("constraints", new.qualified, differences(old.foreign_keys, new.foreign_keys, lambda f: f.name), lambda f: f.name)
    ops += _ops("constraints", new.qualified, differences(old.checks, new.checks, lambda c: c.name), lambda c: c.name)
    return ops


def _index_shape(index):
    return (index.keys, index.unique, index.method, index.predicate, index.include, index.nulls_not_distinct)


def indexes(old: Table, new: Table) -> list[Op]:
    plain_old = [i for i in old.indexes if not i.constraint and i.valid]
    plain_new = [i for i in new.indexes if not i.constraint and i.valid]  # an INVALID index the target copies is no new index
    pairs = differences(plain_old, plain_new, lambda i: i.name, lambda x, y: _index_shape(x) == _index_shape(y))
    return _ops("indexes", new.qualified, pairs, lambda i: i.name)


def policies(old: Table, new: Table) -> list[Op]:
    ops = _ops("policies", new.qualified, differences(old.policies, new.policies, lambda p: p.name), lambda p: p.name)
    if (old.rls_enabled, old.rls_forced) != (new.rls_enabled, new.rls_forced):
        ops.append(Op("policies", new.qualified, "rls", "change", (old.rls_enabled, old.rls_forced), (new.rls_enabled, new.rls_forced)))
    return ops


def triggers(old: Table, new: Table) -> list[Op]:
    return _ops("triggers", new.qualified, differences(old.triggers, new.triggers, lambda t: t.name), lambda t: t.name)


def partitioning(old: Table, new: Table) -> list[Op]:
    if old.partitioning == new.partitioning:
        return []
    return [Op("partitioning", "change", new.qualified, "", old.partitioning, new.partitioning)]


COMPARATORS = (columns, constraints, indexes, policies, triggers, partitioning)


def operations(current: Catalog, target: Catalog) -> list[Op]:
    ops = tables(current, target) + functions(current, target)
    for new in target.tables:
        old = current.table(new.qualified)
        if old is None or not new.is_stored:
            continue
        for compare in COMPARATORS:
            ops += compare(old, new)
    return ops


def plan_design(catalog: Catalog, decisions, builder, today=None):
    """(design notes for the README, plan notes, {table: names of changed objects}); steps go into the builder."""
    from studio.migrate.design_steps import plan_design as render

    return render(catalog, decisions, builder, today)
