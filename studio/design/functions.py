"""Functions that follow tenant tables into the template schema (schema-per-tenant).

A function that names a moved table (in its body or as a row type in its signature), or calls
such a function, belongs to the tenant: it is recreated in the template schema, and
provision_tenant() copies it into each tenant's schema, with its references re-pointed.
Re-pointing is textual, so it is done only where it is reliable: every mention of a moved
table is qualified with its old schema (`app.orders`), is a column qualifier (`orders.id`),
or is a type in the signature; every call to another tenant function is schema-qualified.
A function that names a moved table bare in its body would resolve it through search_path at
run time, which we cannot prove safe; it is left out of the target with a note naming it and
why. Objects that used a function which left its schema (policies, triggers on shared tables,
views, checks, defaults) go too, each listed in a note.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from studio.catalog import Catalog, Function, Table
from studio.design.notes import Note
from studio.sql import ident, qualified

BODY_START = re.compile(r"\n(?:AS |BEGIN ATOMIC)")


@dataclass
class Relocation:
    catalog: Catalog
    relocated: dict[str, Function] = field(default_factory=dict)  # old "schema.name" -> template copy
    left_out: dict[str, str] = field(default_factory=dict)  # "schema.name" -> why
    notes: list[Note] = field(default_factory=list)


@dataclass(frozen=True)
class MovedTable:
    schema: str
    name: str
    target: str  # qualified SQL of the table in the template

    def qualified_pattern(self) -> str:
        schema = rf"(?:{re.escape(self.schema)}|\"{re.escape(self.schema)}\")"
        return rf"(?<![\w$\".]){schema}\s*\.\s*{_name_pattern(self.name)}"

    def bare_pattern(self) -> str:
        return rf"(?<![\w$\"]){_name_pattern(self.name)}(?![\w$\"])"


def _name_pattern(name: str) -> str:
    quoted = re.escape(ident(name))
    return quoted if quoted.startswith('"') else rf"(?:{re.escape(name)}(?![\w$])|\"{re.escape(name)}\")"


def _split(definition: str) -> tuple[str, str]:
    m = BODY_START.search(definition)
    return (definition, "") if m is None else (definition[: m.start()], definition[m.start():])


def _function_name(schema: str, name: str, *, qualified_only: bool) -> str:
    prefix = rf"(?:{re.escape(schema)}|\"{re.escape(schema)}\")\s*\.\s*"
    prefix = prefix if qualified_only else f"(?:{prefix})?"
    return rf"(?<![\w$\".]){prefix}{_name_pattern(name)}"


def _function_call(schema: str, name: str, *, qualified_only: bool) -> str:
    return _function_name(schema, name, qualified_only=qualified_only) + r"\s*\("


def _bare_mentions(text: str, t: MovedTable) -> bool:
    """A mention without the schema that is not a column qualifier (`orders.id`) or another schema's table."""
    rest = re.sub(t.qualified_pattern(), " ", text or "")
    for m in re.finditer(t.bare_pattern(), rest):
        if rest[m.end():m.end() + 3].lstrip().startswith(".") or rest[max(0, m.start() - 1):m.start()] == ".":
            continue
        return True
    return False


class _Rewriter:
    """Re-points one function definition; records why when it cannot."""

    def __init__(self, tables: list[MovedTable], functions: dict[str, str], template: str):
        self.tables = tables
        self.functions = functions  # old "schema.name" -> new qualified SQL name
        self.template = template

    def problems(self, f: Function) -> list[str]:
        _, body = _split(f.definition)
        found = []
        found += [f"names {t.name} without its schema {t.schema}" for t in self.tables if _bare_mentions(body, t)]
        for old in self.functions:
            schema, name = old.split(".", 1)
            rest = re.sub(_function_call(schema, name, qualified_only=True), " ", body)
            if re.search(_function_call(schema, name, qualified_only=False), rest):
                found.append(f"calls {name}() without its schema {schema}")
        return found

    def rewrite(self, f: Function) -> Function:
        header, body = _split(f.definition)
        header = re.sub(
            rf"^(CREATE(?: OR REPLACE)? (?:FUNCTION|PROCEDURE) ){_function_name(f.schema, f.name, qualified_only=False)}\s*\(",
            lambda m: f"{m.group(1)}{qualified(self.template, f.name)}(",
            header,
            count=1,
        )
        arguments, returns = f.arguments, f.returns
        for t in self.tables:
            header = re.sub(t.qualified_pattern(), t.target, header)
            body = re.sub(t.qualified_pattern(), t.target, body)
            type_position = t.bare_pattern() + r"(?=\[|\)|,|\n|$| DEFAULT)"
            header = re.sub(rf"(?<=[\w\"] ){type_position}", t.target, header)
            arguments = re.sub(t.qualified_pattern(), t.target, arguments)
            arguments = re.sub(rf"(?<=[\w\"] ){type_position}", t.target, arguments)
            returns = re.sub(t.qualified_pattern(), t.target, returns)
            returns = re.sub(rf"(?:(?<=^)|(?<=SETOF )){t.bare_pattern()}(?=\[|$)", t.target, returns)
        for old, new in self.functions.items():
            schema, name = old.split(".", 1)
            body = re.sub(_function_call(schema, name, qualified_only=True), f"{new}(", body)
        return dataclasses.replace(f, schema=self.template, definition=header + body, arguments=arguments, returns=returns)


def _mentions_table(f: Function, t: MovedTable) -> bool:
    return re.search(t.qualified_pattern(), f.definition) is not None or re.search(t.bare_pattern(), f.definition) is not None


def _calls(text: str, old: str) -> bool:
    schema, name = old.split(".", 1)
    return re.search(_function_call(schema, name, qualified_only=False), text or "") is not None


def relocate_functions(catalog: Catalog, renames: dict[str, str], template: str) -> Relocation:
    """`catalog` has the tables moved already; `renames` maps their old qualified names to new."""
    moved = []
    for old, new in renames.items():
        schema, name = old.split(".", 1)
        new_schema, new_name = new.split(".", 1)
        if catalog.table(new) is not None and catalog.table(new).kind != "partition":
            moved.append(MovedTable(schema, name, qualified(new_schema, new_name)))
    renamed = {m.name for m in moved if m.target != qualified(template, m.name)}
    by_key = {f"{f.schema}.{f.name}": f for f in catalog.functions if f.schema != template}
    tenant: set[str] = {k for k, f in by_key.items() if any(_mentions_table(f, t) for t in moved)}
    grew = True
    while grew:  # callers of tenant functions are tenant functions
        grew = False
        for key, f in by_key.items():
            if key not in tenant and any(_calls(_split(f.definition)[1], other) for other in tenant):
                tenant.add(key)
                grew = True
    result = Relocation(catalog)
    if not tenant:
        return result
    for key in sorted(tenant):
        f = by_key[key]
        if not f.definition or f.kind in ("aggregate", "window"):
            result.left_out[key] = f"a {f.kind} whose definition cannot be re-pointed"
        elif renamed & {t.name for t in moved if _mentions_table(f, t)}:
            result.left_out[key] = "names a table renamed in the template"
    # A function whose rewrite is unreliable leaves its callers unreliable too, so iterate.
    changed = True
    while changed:
        changed = False
        targets = {k: qualified(template, by_key[k].name) for k in tenant if k not in result.left_out}
        rewriter = _Rewriter(moved, targets, template)
        for key in sorted(tenant):
            if key in result.left_out:
                continue
            f = by_key[key]
            problems = rewriter.problems(f)
            problems += [f"calls {other.split('.', 1)[1]}(), which is left out" for other in result.left_out
                         if _calls(_split(f.definition)[1], other)]
            if problems:
                result.left_out[key] = "; ".join(problems)
                changed = True
    targets = {k: qualified(template, by_key[k].name) for k in tenant if k not in result.left_out}
    rewriter = _Rewriter(moved, targets, template)
    taken: set[tuple[str, str]] = set()
    for key in sorted(tenant):
        if key in result.left_out:
            continue
        f = by_key[key]
        if (f.name, f.arguments) in taken:
            result.left_out[key] = f"another schema's {f.name}({f.arguments}) already moved to {template}"
            continue
        taken.add((f.name, f.arguments))
        result.relocated[key] = rewriter.rewrite(f)
    keep = tuple(f for f in catalog.functions if f"{f.schema}.{f.name}" not in tenant)
    catalog = dataclasses.replace(catalog, functions=(*keep, *result.relocated.values()))
    result.catalog, dependents = _drop_dependents(catalog, result, moved, template)
    result.notes = _notes(result, dependents, template)
    return result


def _drop_dependents(catalog: Catalog, r: Relocation, moved: list[MovedTable], template: str) -> tuple[Catalog, dict[str, list[str]]]:
    gone = set(r.relocated) | set(r.left_out)
    dropped: dict[str, list[str]] = {"policies": [], "triggers": [], "views": [], "checks": [], "defaults": [], "indexes": []}

    def uses(text: str | None) -> bool:
        return any(_calls(text or "", g) for g in gone)

    def names_moved(text: str | None) -> bool:
        return any(re.search(t.qualified_pattern(), text or "") or _bare_mentions(text, t) for t in moved)

    views: list[str] = []
    tables: list[Table] = []
    for t in catalog.tables:
        if t.kind in ("view", "materialized_view"):
            if uses(t.view_definition) or any(re.search(rf"(?<![\w$]){re.escape(v.split('.', 1)[1])}(?![\w$])", t.view_definition or "") for v in views):
                views.append(t.qualified)
                continue
            tables.append(t)
            continue
        in_template = t.schema == template
        policies = tuple(p for p in t.policies if not uses(f"{p.using} {p.with_check}")
                         and (in_template or not names_moved(f"{p.using} {p.with_check}")))
        dropped["policies"] += [f"{t.qualified}.{p.name}" for p in t.policies if p not in policies]
        triggers = []
        for tr in t.triggers:
            function = tr.function or ""
            if function in r.relocated and in_template:
                schema, name = function.split(".", 1)
                replacement = f"{qualified(template, name)}(".replace("\\", "\\\\")
                definition = re.sub(
                    rf"(EXECUTE (?:FUNCTION|PROCEDURE) ){_function_call(schema, name, qualified_only=False)}",
                    rf"\g<1>{replacement}", tr.definition, count=1,
                )
                triggers.append(dataclasses.replace(tr, definition=definition, function=f"{template}.{name}"))
            elif function in gone:
                dropped["triggers"].append(f"{tr.name} on {t.qualified}")
            else:
                triggers.append(tr)
        checks = tuple(c for c in t.checks if not uses(c.expression))
        dropped["checks"] += [f"{t.qualified}.{c.name}" for c in t.checks if c not in checks]
        columns = tuple(dataclasses.replace(c, default=None) if uses(c.default) else c for c in t.columns)
        dropped["defaults"] += [f"{t.qualified}.{c.name}" for c in t.columns if uses(c.default)]
        indexes = tuple(i for i in t.indexes if i.constraint or not (uses(i.predicate) or any(uses(k.expression) for k in i.keys)))
        dropped["indexes"] += [f"{t.qualified}.{i.name}" for i in t.indexes if i not in indexes]
        tables.append(dataclasses.replace(
            t, policies=policies, triggers=tuple(triggers), checks=checks, columns=columns, indexes=indexes,
            rls_enabled=t.rls_enabled and (bool(policies) or not t.policies),
            rls_forced=t.rls_forced and (bool(policies) or not t.policies),
        ))
    dropped["views"] = views
    return dataclasses.replace(catalog, tables=tuple(tables)), dropped


def _notes(r: Relocation, dropped: dict[str, list[str]], template: str) -> list[Note]:
    notes = []
    if r.relocated:
        notes.append(Note(
            "tenancy",
            f"{len(r.relocated)} functions move into the tenant schema",
            f"They read or write tenant tables, so each tenant gets its own copy: they are created in {template} with "
            f"their table and function references re-pointed there, and provision_tenant() copies them into every "
            f"tenant schema pointing at that tenant's tables. Callers use the tenant's schema (tenant_x.f() or "
            f"search_path): " + ", ".join(f"{old} -> {template}.{f.name}" for old, f in r.relocated.items()) + ".",
            "function bodies and signatures that name a moved table, every mention schema-qualified",
        ))
    for key, why in r.left_out.items():
        notes.append(Note(
            "breaks",
            f"Function {key} left out of the target",
            f"It belongs with the tenant tables but cannot be re-pointed reliably: it {why}. A bare table name "
            f"resolves through search_path when the function runs; rewrite it with schema-qualified names (or a "
            f"SET search_path per tenant copy) and add it to the template by hand.",
            "the function's definition",
        ))
    labels = {
        "policies": "policies dropped (they call a function that left its schema, or a shared table's policy names a tenant table)",
        "triggers": "triggers dropped (their function left its schema; a shared table cannot know which tenant schema to touch)",
        "views": "views dropped (they call a function that left its schema)",
        "checks": "check constraints dropped (they call a function that left its schema)",
        "defaults": "column defaults removed (they call a function that left its schema)",
        "indexes": "indexes dropped (their expression calls a function that left its schema)",
    }
    for kind, names in dropped.items():
        if names:
            notes.append(Note(
                "breaks", f"{len(names)} {labels[kind].split(' (')[0]}",
                labels[kind][0].upper() + labels[kind][1:] + ": " + ", ".join(names[:20]) + (" ..." if len(names) > 20 else "") + ".",
                "references to the functions that moved or were left out",
            ))
    return notes
