"""Multi-tenancy rules: row level security coverage and policies, tenant-scoped keys and references."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from functools import partial

from analyzers.context import Context
from analyzers.normalization import generated_key, key_columns, replace_unique_fix, unique_keys
from analyzers.registry import Hit, rule
from studio.catalog import ForeignKey, Policy, Table
from studio.ddl import index_keys_sql
from studio.sql import constraint_name, ident, idents, literal, qualified_name

TENANT_SETTING = "app.tenant_id"
COMMANDS = ("SELECT", "INSERT", "UPDATE", "DELETE")


def tenant_expression(table: Table, column: str) -> str:
    """`tenant_id = nullif(current_setting('app.tenant_id', true), '')::<type>`: NULL, so no rows, when unset."""
    column_type = table.column(column).type
    return f"{ident(column)} = nullif(current_setting({literal(TENANT_SETTING)}, true), '')::{column_type}"


def _free_policy_name(table: Table, wanted: str) -> str:
    taken = {p.name for p in table.policies}
    name, n = wanted, 1
    while name in taken:
        n += 1
        name = f"{wanted}_{n}"
    return name


def tenant_policy_fix(table: Table, column: str, *, enable: bool = True) -> str:
    t = qualified_name(table.qualified)
    expression = tenant_expression(table, column)
    steps = []
    if enable:
        steps.append(f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;")
    if not table.rls_forced:
        steps.append(f"ALTER TABLE {t} FORCE ROW LEVEL SECURITY;")
    name = ident(_free_policy_name(table, "tenant_isolation"))
    steps.append(f"CREATE POLICY {name} ON {t} USING ({expression}) WITH CHECK ({expression});")
    steps.append(
        f"-- The application sets the tenant per transaction: SET LOCAL {TENANT_SETTING} = '<tenant id>';"
    )
    return "\n".join(steps)


@rule(
    "tenant-table-without-rls",
    severity="error",
    category="tenancy",
    title="Tenant table without row level security",
    explanation="""This database isolates tenants with row level security, but this table holds tenant rows
    with RLS off, so any query that forgets its tenant filter returns or changes other tenants' data. One
    missing WHERE clause becomes a data breach. Enable and force RLS with a policy on the tenant column.""",
)
def tenant_table_without_rls(ctx: Context) -> Iterable[Hit]:
    """
    Bad:
        CREATE TABLE tenants (id bigint PRIMARY KEY);
        CREATE TABLE projects (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants);
        CREATE TABLE tasks (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants);
        ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
        ALTER TABLE projects FORCE ROW LEVEL SECURITY;
        CREATE POLICY tenant_isolation ON projects
            USING (tenant_id = current_setting('app.tenant_id', true)::bigint);

    Good:
        CREATE TABLE tenants (id bigint PRIMARY KEY);
        CREATE TABLE projects (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants);
        ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
        ALTER TABLE projects FORCE ROW LEVEL SECURITY;
        CREATE POLICY tenant_isolation ON projects
            USING (tenant_id = current_setting('app.tenant_id', true)::bigint);
    """
    if not ctx.rls_adopted:
        return
    for table in ctx.tenant_tables:
        if table.rls_enabled:
            continue
        column = ctx.tenant_column(table)
        yield Hit(
            table.qualified,
            f"{table.qualified} holds tenant rows ({column}) but row level security is off",
            columns=(column,),
            fix=partial(tenant_policy_fix, table, column),
        )


@rule(
    "rls-enabled-without-policy",
    severity="error",
    category="tenancy",
    title="RLS enabled without a policy",
    explanation="""With row level security on and no policy, every role except the owner and superusers sees
    no rows at all, while the owner sees everything. It is almost always a half-finished migration: the
    application either breaks or runs as the owner and is not isolated.""",
)
def rls_enabled_without_policy(ctx: Context) -> Iterable[Hit]:
    """
    Bad:
        CREATE TABLE notes (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, body text);
        ALTER TABLE notes ENABLE ROW LEVEL SECURITY;

    Good:
        CREATE TABLE notes (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, body text);
        ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
        ALTER TABLE notes FORCE ROW LEVEL SECURITY;
        CREATE POLICY tenant_isolation ON notes
            USING (tenant_id = current_setting('app.tenant_id', true)::bigint);
    """
    for table in ctx.catalog.stored_tables:
        if table.kind == "partition" or not table.rls_enabled or table.policies:
            continue
        column = ctx.tenant_column(table)
        if column is not None:
            fix = tenant_policy_fix(table, column, enable=False)
        else:
            t = qualified_name(table.qualified)
            fix = "\n".join(
                [
                    "-- Decide who may see which rows and write that as a policy, e.g.:",
                    f"-- CREATE POLICY owner_rows ON {t} USING (<owner column> = <current user expression>);",
                    f"-- or, if only the owner role should ever read it, say so in a comment on {t} and suppress this.",
                ]
            )
        readers = [
            f"{f.schema}.{f.name}"
            for f in ctx.catalog.functions
            if f.security_definer and _mentions(f.definition, table.name)
        ]
        # No tenant rows, and read through SECURITY DEFINER functions or kept in a private schema: a deliberate
        # deny-all lock-down (graphile-starter's app_private secrets), not a half-done migration.
        locked_down = column is None and (readers or _PRIVATE.search(table.schema) is not None)
        message = (
            f"{table.qualified} has row level security enabled but no policy: only its owner can see its rows"
        )
        if locked_down:
            via = f" (read through SECURITY DEFINER {', '.join(readers[:3])})" if readers else ""
            message += f"{via}; this looks like a deliberate lock-down"
        yield Hit(
            table.qualified,
            message,
            fix=fix,
            severity="info" if locked_down else None,
            explanation=_LOCKED_DOWN_EXPLANATION if locked_down else None,
        )


_PRIVATE = re.compile(r"private|internal|secret", re.IGNORECASE)
_LOCKED_DOWN_EXPLANATION = """Row level security without a policy hides every row from every role but the owner.
Here that looks intended: the table holds no tenant rows and is reached through SECURITY DEFINER functions or
sits in a private schema. Confirm that no application role needs to read it directly, then suppress this."""


def _mentions(text: str | None, name: str) -> bool:
    return bool(text) and re.search(r"(?<![\w$])" + re.escape(name) + r"(?![\w$])", text) is not None


@rule(
    "rls-not-forced",
    severity="info",
    category="tenancy",
    title="RLS not forced",
    explanation="""Row level security does not apply to a table's owner unless it is forced. Applications
    often connect as the role that owns the tables, so the policies silently do nothing for them. FORCE ROW
    LEVEL SECURITY makes the owner obey the policies too (superusers and BYPASSRLS roles still bypass them).""",
)
def rls_not_forced(ctx: Context) -> Iterable[Hit]:
    """
    Bad:
        CREATE TABLE notes (id bigint PRIMARY KEY, tenant_id bigint NOT NULL);
        ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
        CREATE POLICY tenant_isolation ON notes USING (tenant_id = current_setting('app.tenant_id')::bigint);

    Good:
        CREATE TABLE notes (id bigint PRIMARY KEY, tenant_id bigint NOT NULL);
        ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
        ALTER TABLE notes FORCE ROW LEVEL SECURITY;
        CREATE POLICY tenant_isolation ON notes USING (tenant_id = current_setting('app.tenant_id')::bigint);
    """
    for table in ctx.catalog.stored_tables:
        if table.kind == "partition" or not table.rls_enabled or table.rls_forced:
            continue
        yield Hit(
            table.qualified,
            f"{table.qualified} has row level security enabled but not forced, so its owner bypasses the policies",
            fix=f"ALTER TABLE {qualified_name(table.qualified)} FORCE ROW LEVEL SECURITY;",
        )


def _children(ctx: Context) -> dict[str, list[tuple[Table, ForeignKey]]]:
    by_parent: dict[str, list[tuple[Table, ForeignKey]]] = {}
    for table in ctx.catalog.stored_tables:
        if table.kind == "partition":
            continue
        for fk in table.foreign_keys:
            by_parent.setdefault(fk.ref_table, []).append((table, fk))
    return by_parent


@rule(
    "tenant-scope-gap",
    severity="warning",
    category="tenancy",
    title="Tenant data outside the tenant scope",
    explanation="""This table has no tenant column but its rows belong to tenant rows through a foreign key
    (order lines of an order). Row level security keyed on the tenant column cannot see which tenant owns
    them, so they are readable across tenants unless a policy joins to the parent. Carrying the tenant
    column down makes isolation simple and fast.""",
)
def tenant_scope_gap(ctx: Context) -> Iterable[Hit]:
    """
    Bad:
        CREATE TABLE tenants (id bigint PRIMARY KEY);
        CREATE TABLE orders (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants);
        CREATE TABLE order_lines (id bigint PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders);
        ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
        CREATE POLICY tenant_isolation ON orders USING (tenant_id = current_setting('app.tenant_id')::bigint);

    Good:
        CREATE TABLE tenants (id bigint PRIMARY KEY);
        CREATE TABLE orders (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants);
        CREATE TABLE order_lines (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants,
                                  order_id bigint NOT NULL REFERENCES orders);
        ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
        CREATE POLICY tenant_isolation ON orders USING (tenant_id = current_setting('app.tenant_id')::bigint);
        ALTER TABLE order_lines ENABLE ROW LEVEL SECURITY;
        CREATE POLICY tenant_isolation ON order_lines USING (tenant_id = current_setting('app.tenant_id')::bigint);
    """
    if not ctx.rls_adopted:
        return
    children = _children(ctx)
    tenant_table = ctx.tenant_table.qualified if ctx.tenant_table is not None else None
    scoped = {t.qualified for t in ctx.tenant_tables}
    reached: dict[str, tuple[Table, ForeignKey, str]] = {}
    frontier = deque(sorted(scoped))
    while frontier:
        parent = frontier.popleft()
        for child, fk in children.get(parent, ()):
            q = child.qualified
            if q in scoped or q in reached or q in (tenant_table, parent):
                continue
            reached[q] = (child, fk, parent)
            frontier.append(q)
    for q in sorted(reached):
        child, fk, parent = reached[q]
        if child.rls_enabled and child.policies:
            continue  # a policy may join to the parent; the policy rules judge it
        t = qualified_name(q)
        yield Hit(
            q,
            f"{q} has no {ctx.settings.tenant_column} but its rows belong to tenant rows of {parent} through"
            f" {', '.join(fk.columns)}, so row level security cannot isolate them",
            columns=fk.columns,
            related=(parent,),
            fix="\n".join(
                [
                    f"-- Carry the tenant column down from {parent}, then isolate it like the other tenant tables:",
                    f"-- ALTER TABLE {t} ADD COLUMN {ident(ctx.settings.tenant_column)} <type of {parent}'s tenant column>;",
                    f"-- UPDATE {t} c SET {ident(ctx.settings.tenant_column)} = p.<tenant column> FROM {qualified_name(parent)} p"
                    f" WHERE ({', '.join('c.' + ident(c) for c in fk.columns)}) = ({', '.join('p.' + ident(c) for c in fk.ref_columns)});",
                    f"-- ALTER TABLE {t} ALTER COLUMN {ident(ctx.settings.tenant_column)} SET NOT NULL;",
                    f"-- ALTER TABLE {t} ENABLE ROW LEVEL SECURITY; ALTER TABLE {t} FORCE ROW LEVEL SECURITY;",
                    f"-- CREATE POLICY tenant_isolation ON {t} USING (...tenant column = current tenant...);",
                ]
            ),
        )


def _has_unique(table: Table, columns: set[str]) -> bool:
    if table.primary_key and set(table.primary_key.columns) == columns:
        return True
    if any(set(u.columns) == columns for u in table.uniques):
        return True
    return any(
        i.unique and not i.predicate and None not in i.column_keys and set(i.column_keys) == columns
        for i in table.indexes
        if i.valid
    )


@rule(
    "cross-tenant-foreign-key",
    severity="warning",
    category="tenancy",
    title="Foreign key that can cross tenants",
    explanation="""This foreign key between two tenant tables checks only the parent's id, so a row of one
    tenant can reference a row of another tenant, and joins then leak data across the boundary. Including the
    tenant column on both sides makes the database guarantee that references stay inside one tenant.""",
)
def cross_tenant_foreign_key(ctx: Context) -> Iterable[Hit]:
    """
    Bad:
        CREATE TABLE tenants (id bigint PRIMARY KEY);
        CREATE TABLE projects (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants);
        CREATE TABLE tasks (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants,
                            project_id bigint NOT NULL REFERENCES projects);

    Good:
        CREATE TABLE tenants (id bigint PRIMARY KEY);
        CREATE TABLE projects (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants,
                               UNIQUE (tenant_id, id));
        CREATE TABLE tasks (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants,
                            project_id bigint NOT NULL,
                            FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id));
    """
    tenant_table = ctx.tenant_table.qualified if ctx.tenant_table is not None else None
    parent_keys: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for table in ctx.tenant_tables:
        column = ctx.tenant_column(table)
        for fk in table.foreign_keys:
            parent = ctx.catalog.table(fk.ref_table)
            if (
                parent is None
                or fk.ref_table == tenant_table
                or column in fk.columns
                and fk.columns == (column,)
            ):
                continue
            parent_column = ctx.tenant_column(parent)
            if parent_column is None:
                continue
            pairs = dict(zip(fk.columns, fk.ref_columns, strict=True))
            if pairs.get(column) == parent_column:
                continue
            yield Hit(
                table.qualified,
                f"{table.qualified}.{', '.join(fk.columns)} references {fk.ref_table} without {column}, so a row"
                f" can point at another tenant's {fk.ref_table} row",
                columns=tuple(c for c in table.column_names if c in fk.columns),
                related=(fk.ref_table,),
                fix=partial(_composite_fk_fix, ctx, table, column, fk, parent, parent_column, parent_keys),
            )


def _parent_key_steps(ctx: Context, parent: Table, parent_cols: tuple[str, ...]) -> list[str]:
    """The unique key a composite reference needs on the parent, unless one exists."""
    if _has_unique(parent, set(parent_cols)):
        return []
    p = qualified_name(parent.qualified)
    key = ident(ctx.free_name(parent.schema, constraint_name(parent.name, parent_cols, "key")))
    if parent.kind == "partitioned_table":
        return [f"ALTER TABLE {p} ADD CONSTRAINT {key} UNIQUE ({idents(parent_cols)});"]
    return [
        f"CREATE UNIQUE INDEX CONCURRENTLY {key} ON {p} ({idents(parent_cols)});",
        f"ALTER TABLE {p} ADD CONSTRAINT {key} UNIQUE USING INDEX {key};",
    ]


def _composite_fk_fix(
    ctx: Context,
    table: Table,
    column: str,
    fk: ForeignKey,
    parent: Table,
    parent_column: str,
    parent_keys: dict[tuple[str, tuple[str, ...]], list[str]],
) -> str:
    """`parent_keys` memoizes the parent's side per run: many children reference one parent."""
    t, p = qualified_name(table.qualified), qualified_name(parent.qualified)
    child_cols = (column, *fk.columns)
    parent_cols = (parent_column, *fk.ref_columns)
    memo_key = (parent.qualified, parent_cols)
    if memo_key not in parent_keys:
        parent_keys[memo_key] = _parent_key_steps(ctx, parent, parent_cols)
    steps = list(parent_keys[memo_key])
    name = ident(ctx.free_name(table.schema, constraint_name(table.name, child_cols, "fkey")))
    on_delete = fk.on_delete
    if on_delete in ("SET NULL", "SET DEFAULT"):
        on_delete += f" ({idents(fk.columns)})"  # never null out the tenant column itself (PostgreSQL 15+)
    actions = ""
    if fk.on_delete != "NO ACTION":
        actions += f" ON DELETE {on_delete}"
    if fk.on_update != "NO ACTION":
        actions += f" ON UPDATE {fk.on_update}"
    not_valid = " NOT VALID" if table.kind != "partitioned_table" else ""
    steps.append(
        f"ALTER TABLE {t} ADD CONSTRAINT {name} FOREIGN KEY ({idents(child_cols)})"
        f" REFERENCES {p} ({idents(parent_cols)}){actions}{not_valid};"
    )
    if not_valid:
        steps.append(f"ALTER TABLE {t} VALIDATE CONSTRAINT {name};")
    steps.append(f"ALTER TABLE {t} DROP CONSTRAINT {ident(fk.name)};")
    return "\n".join(steps)


def _mentions_tenant(policy: Policy, column: str) -> bool:
    text = " ".join(x for x in (policy.using, policy.with_check) if x)
    return (
        "tenant" in text.lower()
        or re.search(r"(?<![\w$])\"?" + re.escape(column) + r"\"?(?![\w$])", text) is not None
    )


def _policy_clauses(policy: Policy, expression: str) -> str:
    using = f" USING ({expression})" if policy.command != "INSERT" else ""
    check = f" WITH CHECK ({expression})" if policy.command in ("ALL", "INSERT", "UPDATE") else ""
    return using + check


@rule(
    "rls-policy-ignores-tenant",
    severity="error",
    category="tenancy",
    title="Policy that ignores the tenant",
    explanation="""Policies on a table combine with OR, so a permissive policy that does not restrict rows to
    the current tenant opens every tenant's rows to whoever it applies to, however strict the other policies
    are. Every permissive policy on a tenant table should compare the tenant column with the current tenant.""",
)
def rls_policy_ignores_tenant(ctx: Context) -> Iterable[Hit]:
    """
    Bad:
        CREATE TABLE notes (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, author text NOT NULL);
        ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
        CREATE POLICY by_author ON notes USING (author = current_user);

    Good:
        CREATE TABLE notes (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, author text NOT NULL);
        ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
        CREATE POLICY by_tenant ON notes USING (tenant_id = current_setting('app.tenant_id')::bigint);
        CREATE POLICY by_author ON notes AS RESTRICTIVE USING (author = current_user);
    """
    for table in ctx.tenant_tables:
        column = ctx.tenant_column(table)
        for policy in table.policies:
            if not policy.permissive or _mentions_tenant(policy, column):
                continue
            t = qualified_name(table.qualified)
            expression = f"({policy.using or policy.with_check}) AND {tenant_expression(table, column)}"
            yield Hit(
                table.qualified,
                f"policy {policy.name} on {table.qualified} ({policy.command}) never checks {column},"
                " so it admits every tenant's rows",
                columns=(column,),
                fix=f"ALTER POLICY {ident(policy.name)} ON {t}{_policy_clauses(policy, expression)};",
            )


def _is_true(expression: str | None) -> bool:
    return expression is not None and expression.strip().strip("()").strip().lower() == "true"


@rule(
    "rls-policy-always-true",
    severity="error",
    category="tenancy",
    title="Policy that admits every row",
    explanation="""A permissive policy whose condition is simply true lets every row through for the roles
    and commands it covers, and because policies combine with OR it also overrides every stricter policy.
    On tenant data or for writes this disables isolation entirely.""",
)
def rls_policy_always_true(ctx: Context) -> Iterable[Hit]:
    """
    Bad:
        CREATE TABLE notes (id bigint PRIMARY KEY, tenant_id bigint NOT NULL);
        ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
        CREATE POLICY everything ON notes USING (true) WITH CHECK (true);

    Good:
        CREATE TABLE notes (id bigint PRIMARY KEY, tenant_id bigint NOT NULL);
        ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
        CREATE POLICY by_tenant ON notes USING (tenant_id = current_setting('app.tenant_id')::bigint);
    """
    for table in ctx.catalog.stored_tables:
        if table.kind == "partition":
            continue
        column = ctx.tenant_column(table)
        for policy in table.policies:
            clauses = [
                name
                for name, e in (("USING", policy.using), ("WITH CHECK", policy.with_check))
                if _is_true(e)
            ]
            if not policy.permissive or not clauses:
                continue
            t = qualified_name(table.qualified)
            public_read = column is None and policy.command == "SELECT"
            if column is not None:
                fix = f"ALTER POLICY {ident(policy.name)} ON {t}{_policy_clauses(policy, tenant_expression(table, column))};"
            else:
                fix = "\n".join(
                    [
                        "-- Replace the condition with who may see or write which rows, e.g.:",
                        f"-- ALTER POLICY {ident(policy.name)} ON {t}{_policy_clauses(policy, '<condition>')};",
                        "-- or, if every row is meant to be public for these roles, suppress this with that reason.",
                    ]
                )
            yield Hit(
                table.qualified,
                f"policy {policy.name} on {table.qualified} ({policy.command}, {', '.join(policy.roles)})"
                f" has {' and '.join(clauses)} true: it admits every row",
                columns=(column,) if column else (),
                fix=fix,
                # A public read policy on a table without tenant rows is often deliberate (public profiles).
                severity="info" if public_read else None,
                explanation=(
                    "A permissive SELECT policy that is simply true makes every row readable by the roles it"
                    " names. On a table without tenant rows that is often deliberate (public profiles, lookup"
                    " data); check that nothing private lives in this table."
                )
                if public_read
                else None,
            )


def _overlaps(table: Table) -> list[tuple[str, str, tuple[str, ...]]]:
    permissive = [p for p in table.policies if p.permissive]
    if len(permissive) < 2:
        return []
    roles = sorted({r for p in permissive for r in p.roles} | {"public"})
    found, seen = [], set()
    for role in roles:
        for command in COMMANDS:
            names = tuple(
                sorted(
                    p.name
                    for p in permissive
                    if (role in p.roles or "public" in p.roles) and p.command in ("ALL", command)
                )
            )
            if len(names) > 1 and (names, command) not in seen:
                seen.add((names, command))
                found.append((role, command, names))
    return found


@rule(
    "multiple-permissive-policies",
    severity="info",
    category="tenancy",
    title="Several permissive policies for one role and command",
    explanation="""Permissive policies for the same role and command combine with OR: a row visible through
    any of them is visible, which is easy to get wrong when one of them is broad. PostgreSQL also evaluates
    every one of them for each row. Merge them into one policy, or make the extra conditions RESTRICTIVE.""",
)
def multiple_permissive_policies(ctx: Context) -> Iterable[Hit]:
    """
    Bad:
        CREATE TABLE notes (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, published boolean NOT NULL);
        ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
        CREATE POLICY by_tenant ON notes FOR SELECT USING (tenant_id = current_setting('app.tenant_id')::bigint);
        CREATE POLICY published ON notes FOR SELECT USING (published);

    Good:
        CREATE TABLE notes (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, published boolean NOT NULL);
        ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
        CREATE POLICY by_tenant ON notes FOR SELECT USING (tenant_id = current_setting('app.tenant_id')::bigint);
        CREATE POLICY published ON notes AS RESTRICTIVE FOR SELECT USING (published);
    """
    for table in ctx.catalog.stored_tables:
        if table.kind == "partition":
            continue
        overlaps = _overlaps(table)
        if not overlaps:
            continue
        described = "; ".join(
            f"{command} for {role}: {', '.join(names)}" for role, command, names in overlaps
        )
        yield Hit(
            table.qualified,
            f"{table.qualified} has several permissive policies for the same role and command ({described})",
            details=(("overlaps", [{"role": r, "command": c, "policies": list(n)} for r, c, n in overlaps]),),
            fix="\n".join(
                [
                    "-- Merge the overlapping policies into one whose condition ORs theirs, e.g.:",
                    f"-- DROP POLICY {ident(overlaps[0][2][1])} ON {qualified_name(table.qualified)};",
                    f"-- ALTER POLICY {ident(overlaps[0][2][0])} ON {qualified_name(table.qualified)} USING ((...) OR (...));",
                    "-- or, where a policy only narrows the others, recreate it AS RESTRICTIVE.",
                ]
            ),
        )


@rule(
    "unique-without-tenant-key",
    severity="info",
    category="tenancy",
    title="Unique key without the tenant column",
    explanation="""A unique key on a tenant table that leaves out the tenant column is global: one tenant
    taking a value (an email, a slug) blocks every other tenant from using it, and the duplicate-key error
    tells a tenant that the value exists elsewhere. Scope the key with the tenant column unless the value is
    truly global.""",
)
def unique_without_tenant_key(ctx: Context) -> Iterable[Hit]:
    """
    Bad:
        CREATE TABLE tenants (id bigint PRIMARY KEY);
        CREATE TABLE users (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants,
                            email text NOT NULL UNIQUE);

    Good:
        CREATE TABLE tenants (id bigint PRIMARY KEY);
        CREATE TABLE users (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants,
                            email text NOT NULL, UNIQUE (tenant_id, email));
    """
    for table in ctx.tenant_tables:
        column = ctx.tenant_column(table)
        pk = set(table.primary_key.columns) if table.primary_key else set()
        for name, columns, index, is_constraint in unique_keys(table):
            if column in columns or set(columns) == pk or generated_key(table, columns):
                continue  # a database-generated id reveals nothing about another tenant
            keys = f"{ident(column)}, " + (index_keys_sql(index) if index is not None else idents(columns))
            yield Hit(
                table.qualified,
                f"{table.qualified} unique key {name} ({', '.join(columns)}) is global across tenants:"
                f" it leaves out {column}",
                columns=key_columns(table, columns),
                fix=replace_unique_fix(
                    ctx,
                    table,
                    name,
                    columns,
                    index,
                    is_constraint,
                    new_keys=keys,
                    predicate=None,
                    suffix="tenant_key",
                ),
            )
