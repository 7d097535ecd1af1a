"""Workload-aware analysis: does the schema serve the queries it must answer?

Each parsed statement is resolved against the model (tables and aliases, CTEs and
subqueries, search path `public` first) and reduced to a `Shape`: per table use, the
columns it is filtered on by equality or range, the expressions it is filtered on, its join
columns, ORDER BY and GROUP BY. Rules read the shapes (pure functions, like every rule);
`analyzers.workload_run.run_workload` adds what only a live database can say: EXPLAIN's verdict on each coverage
finding and which indexes were never scanned.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, traverse_scope
from sqlglot.schema import MappingSchema

from analyzers.context import Context
from analyzers.registry import Hit, rule
from analyzers.workload_input import Statement, Workload
from studio.catalog import Catalog, Index, Table
from studio.sql import constraint_name, ident, idents, needs_quotes, qualified_name
from studio.units import human_bytes

INDEXABLE_KINDS = ("table", "partitioned_table", "partition", "materialized_view")
EQUALITY = (exp.EQ, exp.NullSafeEQ)
RANGE = (exp.GT, exp.GTE, exp.LT, exp.LTE)
MAX_INCLUDE = 3
SEARCH_PATH = ("public",)

# The model of a statement ------------------------------------------------------------------


@dataclass
class TableUse:
    """One appearance of a table in a statement, under one alias."""

    table: str  # schema-qualified
    alias: str
    equality: list[str] = field(default_factory=list)
    range: list[str] = field(default_factory=list)
    expressions: list[tuple[str, str]] = field(default_factory=list)  # (expression SQL, its column)
    join: list[str] = field(default_factory=list)
    order_by: list[str] = field(default_factory=list)
    group_by: list[str] = field(default_factory=list)
    referenced: list[str] = field(default_factory=list)
    reached_by_join: bool = False

    @property
    def filtered(self) -> bool:
        return bool(self.equality or self.range or self.expressions)

    @property
    def needs_index(self) -> bool:
        return self.filtered or (self.reached_by_join and bool(self.join))

    @property
    def lookup_columns(self) -> list[str]:
        """Columns an index may lead with to serve this use: equality first, then range."""
        keys = [*self.equality, *(self.join if self.reached_by_join else ())]
        return _unique([*keys, *self.range])

    def predicate_columns(self) -> tuple[str, ...]:
        own = [*self.equality, *self.range, *(c for _, c in self.expressions)]
        return tuple(_unique(own if self.filtered else self.join))


@dataclass(frozen=True)
class Unknown:
    statement: int
    table: str  # schema-qualified where known, else as written
    column: str | None = None
    written: str = ""


@dataclass
class Shape:
    statement: Statement
    uses: list[TableUse] = field(default_factory=list)
    unknown: list[Unknown] = field(default_factory=list)
    star: bool = False  # SELECT * somewhere: which columns it reads is not known
    note: str | None = None  # why part of the statement was not analyzed


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# Resolving -------------------------------------------------------------------------------------


def _dml_as_select(tree: exp.Expression) -> exp.Expression | None:
    """The reading part of a statement as a SELECT: UPDATE/DELETE become SELECT ... WHERE."""
    if isinstance(tree, (exp.Select, exp.SetOperation)):
        return tree
    if isinstance(tree, exp.Insert):
        inner = tree.expression
        return inner if isinstance(inner, (exp.Select, exp.SetOperation)) else None
    if isinstance(tree, (exp.Update, exp.Delete)):
        target = tree.this
        if not isinstance(target, exp.Table):
            return None
        columns = [e.this.copy() for e in tree.expressions if isinstance(e, exp.EQ)] if isinstance(tree, exp.Update) else []
        select = exp.select(*(columns or [exp.Literal.number(1)])).from_(target.copy())
        extra = tree.args.get("from_") or tree.args.get("from") if isinstance(tree, exp.Update) else tree.args.get("using")
        if isinstance(extra, exp.From):
            select = select.join(extra.this.copy())
        elif isinstance(extra, list):
            for source in extra:
                select = select.join(source.copy())
        where = tree.args.get("where")
        if where is not None:
            select = select.where(where.this.copy())
        with_ = tree.args.get("with_") or tree.args.get("with")
        if with_ is not None:
            select.set("with_" if "with_" in exp.Select.arg_types else "with", with_.copy())
        return select
    return None


def _cte_names(tree: exp.Expression) -> set[str]:
    return {cte.alias_or_name for cte in tree.find_all(exp.CTE)}


def _resolve_tables(tree: exp.Expression, catalog: Catalog, number: int) -> tuple[dict[int, Table], list[Unknown]]:
    """Qualify every table reference in place; returns id(node) -> Table and the unknown ones."""
    ctes = _cte_names(tree)
    found, unknown = {}, []
    for node in tree.find_all(exp.Table):
        name = node.name
        if not name or not isinstance(node.this, exp.Identifier):
            continue  # a table function such as generate_series(...)
        schema = node.db
        if not schema and name in ctes:
            continue
        table = catalog.table(f"{schema}.{name}") if schema else catalog.resolve(name, SEARCH_PATH)
        if table is None:
            written = f"{schema}.{name}" if schema else name
            unknown.append(Unknown(number, written if schema else f"{SEARCH_PATH[0]}.{name}", None, written))
            continue
        node.set("db", exp.to_identifier(table.schema, quoted=True))
        node.set("this", exp.to_identifier(table.name, quoted=True))
        node.set("catalog", None)
        found[id(node)] = table
    return found, unknown


def _schema_of(tables: Iterable[Table], extra: dict[str, set[str]] | None = None) -> MappingSchema:
    """sqlglot's schema of the tables; `extra` adds the unknown columns already reported, so it can go on."""
    mapping: dict = {}
    for t in tables:
        columns = {c.name: "unknown" for c in t.columns}
        columns.update({c: "unknown" for c in (extra or {}).get(t.qualified, ())})
        mapping.setdefault(t.schema, {})[t.name] = columns or {"?": "unknown"}
    return MappingSchema(mapping, dialect="postgres", normalize=False)


def _unknown_qualified_columns(tree: exp.Expression, tables: dict[int, Table], shape: Shape) -> dict[str, set[str]]:
    """`alias.column` where no table under that alias has the column (sqlglot's qualify stops at them)."""
    by_alias: dict[str, list[Table]] = {}
    for node in tree.find_all(exp.Table):
        if id(node) in tables:
            by_alias.setdefault(node.alias_or_name, []).append(tables[id(node)])
    extra: dict[str, set[str]] = {}
    for column in tree.find_all(exp.Column):
        owners = by_alias.get(column.table) if column.table else None
        if not owners or isinstance(column.this, exp.Star):
            continue
        if all(t.column(column.name) is None for t in owners):
            shape.unknown.append(Unknown(shape.statement.number, owners[0].qualified, column.name, column.sql()))
            extra.setdefault(owners[0].qualified, set()).add(column.name)
    return extra


def _has_star(tree: exp.Expression) -> bool:
    return any(not isinstance(s.parent, exp.Count) for s in tree.find_all(exp.Star))


def shape_of(statement: Statement, tree: exp.Expression, catalog: Catalog) -> Shape:
    """What one parsed statement reads, table by table (never raises on odd SQL: it notes it)."""
    shape = Shape(statement)
    tree = normalize_identifiers(tree.copy(), dialect="postgres")
    if isinstance(tree, exp.Insert):
        _check_insert_columns(tree, catalog, shape)
    reading = _dml_as_select(tree)
    if reading is None:
        shape.unknown.extend(_resolve_tables(tree, catalog, statement.number)[1])
        return shape
    shape.star = _has_star(reading)
    tables, missing = _resolve_tables(reading, catalog, statement.number)
    shape.unknown.extend(missing)
    unknown_tables = {u.written.split(".")[-1] for u in missing}
    extra = _unknown_qualified_columns(reading, tables, shape)
    try:
        reading = qualify(
            reading,
            schema=_schema_of(tables.values(), extra),
            dialect="postgres",
            validate_qualify_columns=False,
            quote_identifiers=False,
            identify=False,
        )
        scopes = traverse_scope(reading)
    except Exception as exc:  # sqlglot's optimizer is not total: say so, keep the table-level results
        shape.note = f"columns not resolved ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})"
        return shape
    for scope in scopes:
        if isinstance(scope.expression, exp.Select):
            _read_scope(scope, tables, shape, unknown_tables)
    return shape


def _check_insert_columns(tree: exp.Insert, catalog: Catalog, shape: Shape) -> None:
    target = tree.this
    columns = []
    if isinstance(target, exp.Schema):
        columns = [c.name for c in target.expressions if isinstance(c, exp.Identifier | exp.Column)]
        target = target.this
    if not isinstance(target, exp.Table):
        return
    table = catalog.table(f"{target.db}.{target.name}") if target.db else catalog.resolve(target.name, SEARCH_PATH)
    if table is None:
        return  # reported with the other table references
    for column in columns:
        if table.column(column) is None:
            shape.unknown.append(Unknown(shape.statement.number, table.qualified, column, column))


# Reading one SELECT scope -----------------------------------------------------------------------


@dataclass
class _Side:
    kind: str  # column | expression | constant | correlated | derived | other
    alias: str = ""
    column: str = ""
    sql: str = ""


def _local_select(node: exp.Expression) -> exp.Expression | None:
    return node.find_ancestor(exp.Select)


def _side(node: exp.Expression, scope: Scope, uses: dict[str, TableUse]) -> _Side:
    own = scope.expression
    columns = [c for c in node.find_all(exp.Column) if _local_select(c) is own]
    if any(isinstance(n, (exp.Select, exp.Subquery)) for n in node.find_all(exp.Select, exp.Subquery)) and not columns:
        return _Side("constant")
    local = [c for c in columns if c.table in uses]
    derived = [c for c in columns if c.table in scope.sources and c.table not in uses]
    outer = [c for c in columns if c.table and c.table not in scope.sources]
    if isinstance(node, exp.Column):
        if node.table in uses:
            return _Side("column", node.table, node.name)
        if derived:
            return _Side("derived", node.table, node.name)
        if outer:
            return _Side("correlated")
        return _Side("other")
    if not columns:
        return _Side("constant")
    if derived:
        return _Side("other")
    if len({(c.table, c.name) for c in local}) == 1 and not outer:
        return _Side("expression", local[0].table, local[0].name, expression_key(node))
    if not local and outer:
        return _Side("correlated")
    return _Side("other")


def expression_key(node: exp.Expression) -> str:
    """An expression's text with table qualifiers dropped, so a query's and an index's compare equal."""
    bare = node.copy()
    for column in bare.find_all(exp.Column):
        column.set("table", None)
        column.set("db", None)
        column.this.set("quoted", needs_quotes(column.name))
    text = bare.sql(dialect="postgres", normalize_functions="lower")
    return re.sub(r"\s+", " ", text).strip()


def _conjuncts(condition: exp.Expression | None) -> list[exp.Expression]:
    if condition is None:
        return []
    condition = condition.unnest()
    if isinstance(condition, exp.And):
        return [c.unnest() for c in condition.flatten()]
    return [condition]


def _read_scope(scope: Scope, tables: dict[int, Table], shape: Shape, unknown_tables: set[str]) -> None:
    select = scope.expression
    uses: dict[str, TableUse] = {}
    for alias, source in scope.sources.items():
        if isinstance(source, exp.Table) and id(source) in tables:
            uses[alias] = TableUse(tables[id(source)].qualified, alias)
    table_of = {alias: tables[id(scope.sources[alias])] for alias in uses}
    _check_columns(scope, uses, table_of, shape, unknown_tables)
    for column in scope.columns:
        if column.table in uses:
            uses[column.table].referenced.append(column.name)

    conditions = [select.args.get("where")]
    conditions += [j.args.get("on") for j in select.args.get("joins") or ()]
    edges: list[tuple[str, str]] = []
    driven: set[str] = set()
    for condition in conditions:
        body = condition.this if isinstance(condition, exp.Where) else condition
        for conjunct in _conjuncts(body):
            _classify(conjunct, scope, uses, edges, driven)
    outputs = {e.alias_or_name: e.unalias() for e in select.expressions}
    for ordered in (select.args.get("order") or exp.Order()).expressions:
        key = ordered.this
        if isinstance(key, exp.Column) and not key.table and key.name in outputs:
            key = outputs[key.name]  # ORDER BY an output column
        if isinstance(key, exp.Column) and key.table in uses:
            uses[key.table].order_by.append(key.name)
    for grouped in (select.args.get("group") or exp.Group()).expressions:
        if isinstance(grouped, exp.Column) and grouped.table in uses:
            uses[grouped.table].group_by.append(grouped.name)

    # A table is reached through a join when a filtered (or outer, or derived) source leads to it.
    reached = {a for a, u in uses.items() if u.filtered} | driven
    frontier = list(reached)
    while frontier:
        current = frontier.pop()
        for a, b in edges:
            for here, there in ((a, b), (b, a)):
                if here == current and there not in reached:
                    reached.add(there)
                    frontier.append(there)
    for alias, use in uses.items():
        use.reached_by_join = alias in reached and bool(use.join) and (not use.filtered or alias in driven)
        for attr in ("equality", "range", "join", "order_by", "group_by", "referenced"):
            setattr(use, attr, _unique(getattr(use, attr)))
        use.expressions = _unique(use.expressions)
    shape.uses.extend(uses.values())


def _classify(conjunct, scope: Scope, uses: dict[str, TableUse], edges: list, driven: set) -> None:
    if isinstance(conjunct, exp.Between):
        side = _side(conjunct.this, scope, uses)
        bounds = [_side(conjunct.args[k], scope, uses).kind for k in ("low", "high")]
        if side.kind == "column" and all(k == "constant" for k in bounds):
            uses[side.alias].range.append(side.column)
        return
    if isinstance(conjunct, exp.In):
        side = _side(conjunct.this, scope, uses)
        values = [_side(v, scope, uses).kind for v in conjunct.expressions]
        if side.kind == "column" and (conjunct.args.get("query") is not None or all(k == "constant" for k in values)):
            uses[side.alias].equality.append(side.column)
        return
    if not isinstance(conjunct, (*EQUALITY, *RANGE)):
        return
    left, right = _side(conjunct.this, scope, uses), _side(conjunct.expression, scope, uses)
    for mine, other in ((left, right), (right, left)):
        if mine.kind == "column" and other.kind == "constant":
            target = uses[mine.alias].equality if isinstance(conjunct, EQUALITY) else uses[mine.alias].range
            target.append(mine.column)
        elif mine.kind == "expression" and other.kind == "constant":
            uses[mine.alias].expressions.append((mine.sql, mine.column))
        elif mine.kind == "column" and other.kind in ("correlated", "derived") and isinstance(conjunct, EQUALITY):
            uses[mine.alias].join.append(mine.column)
            driven.add(mine.alias)
        elif (
            mine.kind == "column"
            and other.kind == "column"
            and mine.alias != other.alias
            and isinstance(conjunct, EQUALITY)
        ):
            uses[mine.alias].join.append(mine.column)
            edges.append((mine.alias, other.alias))


def _check_columns(scope: Scope, uses, table_of, shape: Shape, unknown_tables: set[str]) -> None:
    def sources_up(s: Scope | None):
        while s is not None:
            yield s
            s = s.parent

    for column in scope.columns:
        if isinstance(column.this, exp.Star):
            continue
        if column.table:
            if column.table in table_of:
                table = table_of[column.table]
                if table.column(column.name) is None:
                    shape.unknown.append(Unknown(shape.statement.number, table.qualified, column.name, column.sql()))
            elif (
                column.table not in scope.sources
                and column.table not in unknown_tables
                and not any(column.table in s.sources for s in sources_up(scope.parent))
            ):
                shape.unknown.append(
                    Unknown(shape.statement.number, f"{SEARCH_PATH[0]}.{column.table}", None, column.table)
                )
            continue
        # Unqualified and unresolved: no table in reach has it (unless an unknown table might).
        if unknown_tables or any(not isinstance(s, exp.Table) for s in scope.sources.values()):
            continue
        in_select_list = any(column is c or column in c.find_all(exp.Column) for c in scope.expression.expressions)
        if not in_select_list and column.name in scope.expression.named_selects:
            continue  # an output alias (ORDER BY total)
        owner = next(iter(table_of.values()), None)
        if owner is not None:
            shape.unknown.append(Unknown(shape.statement.number, owner.qualified, column.name, column.name))


def shapes_of(workload: Workload, catalog: Catalog) -> list[Shape]:
    return [
        shape_of(s, workload.expression(s.number), catalog)
        for s in workload.statements
        if workload.expression(s.number) is not None
    ]


# Index cover -------------------------------------------------------------------------------------


def _index_expression_key(text: str) -> str | None:
    try:
        node = sqlglot.parse_one(text, read="postgres")
    except sqlglot.errors.SqlglotError:
        return None
    return expression_key(normalize_identifiers(node, dialect="postgres"))


def serving_index(table: Table, use: TableUse) -> Index | None:
    """The valid index that best serves the use: it leads with a lookup column or filtered expression."""
    lookup = use.lookup_columns
    exprs = {sql for sql, _ in use.expressions}
    equal = {*use.equality, *(use.join if use.reached_by_join else ())}
    best, best_score = None, 0
    for index in table.indexes:
        if not index.valid or not index.keys or index.method in ("gin", "gist", "spgist"):
            continue
        first = index.keys[0]
        leads = first.column in lookup if first.column is not None else (
            bool(exprs) and _index_expression_key(first.expression) in exprs
        )
        if not leads:
            continue
        score = 0
        for key in index.keys:
            if key.column in equal or (key.column is None and _index_expression_key(key.expression) in exprs):
                score += 2
                continue
            if key.column in use.range:
                score += 1
            break
        score -= 0.5 if index.predicate else 0
        if best is None or score > best_score:
            best, best_score = index, score
    return best


def suggested_index(context: Context, table: Table, use: TableUse, *, star: bool) -> str:
    """CREATE INDEX CONCURRENTLY: equality columns (tenant first), the range column, INCLUDE for index-only."""
    tenant = context.tenant_column(table)
    if use.filtered:
        equality = _unique([*use.equality, *(use.join if use.reached_by_join else ())])
    else:
        equality = list(use.join)
    equality.sort(key=lambda c: c != tenant)
    keys = [ident(c) for c in equality]
    names = list(equality)
    for sql, column in use.expressions:
        keys.append(f"({sql})")
        names.append(re.sub(r"\W+", "_", sql.split("(")[0].lower()) + "_" + column)
    ranges = [c for c in use.range if c not in equality][:1]
    keys += [ident(c) for c in ranges]
    names += ranges
    key_columns = {*equality, *ranges}
    include = [c for c in use.referenced if c not in key_columns and table.column(c) is not None]
    name = context.free_name(table.schema, constraint_name(table.name, names, "idx"))
    statement = f"CREATE INDEX CONCURRENTLY {ident(name)} ON {qualified_name(table.qualified)} ({', '.join(keys)})"
    if use.filtered and not star and not use.expressions and 0 < len(include) <= MAX_INCLUDE:
        statement += f" INCLUDE ({idents(include)})"
    return statement + ";"


# Rules -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexUsage:
    table: str  # schema-qualified
    index: str
    scans: int
    size_bytes: int
    unique: bool
    constraint: bool  # backs a PRIMARY KEY, UNIQUE or EXCLUDE constraint
    valid: bool
    stats_reset: str | None  # when the database's statistics were last reset (None: never)


@dataclass
class WorkloadContext:
    context: Context
    workload: Workload
    shapes: list[Shape]
    index_usage: tuple[IndexUsage, ...] | None = None  # live databases only

    @property
    def catalog(self) -> Catalog:
        return self.context.catalog


def _quote(statement: Statement) -> str:
    line = statement.first_line
    return line if len(line) <= 100 else line[:97] + "..."


@rule(
    "query-references-unknown-object",
    severity="error",
    category="workload",
    title="A query names a table or column the schema does not have",
    explanation="""The query fails as soon as it runs: PostgreSQL rejects a statement that names a
    table or column the schema lacks. Either the query is out of date or the schema is missing
    something the application expects.""",
    needs="workload",
)
def query_references_unknown_object(wctx: WorkloadContext) -> Iterator[Hit]:
    """The query's columns and tables must exist in the schema.

    Bad:
        CREATE TABLE public.work_orders (id bigint PRIMARY KEY, status text NOT NULL);
        -- query: SELECT id, priority FROM public.work_orders WHERE status = $1;

    Good:
        CREATE TABLE public.work_orders (id bigint PRIMARY KEY, status text NOT NULL, priority int);
        -- query: SELECT id, priority FROM public.work_orders WHERE id = $1;
    """
    by_number = {s.statement.number: s for s in wctx.shapes}
    for shape in by_number.values():
        seen = set()
        for unknown in shape.unknown:
            key = (unknown.table, unknown.column)
            if key in seen:
                continue
            seen.add(key)
            quote = _quote(shape.statement)
            if unknown.column is None:
                what = f"table {unknown.written}, which the schema does not have"
            else:
                what = f"column {unknown.column} of {unknown.table}, which has no such column"
            yield Hit(
                table=unknown.table,
                columns=(unknown.column,) if unknown.column else (),
                message=f"statement {shape.statement.number} `{quote}` references {what}",
                statement=shape.statement.number,
            )


@rule(
    "query-not-covered-by-index",
    severity="warning",
    category="workload",
    title="A query filters or joins a table on columns no index leads with",
    explanation="""Without an index that starts with the filtered or joined column, PostgreSQL reads
    the whole table for every execution, so the query slows down in step with the table's growth.
    A matching index turns that into a few page reads; on a large table it is the difference
    between milliseconds and seconds.""",
    needs="workload",
)
def query_not_covered_by_index(wctx: WorkloadContext) -> Iterator[Hit]:
    """A filtered column, a filtered expression or a join column needs an index that leads with it.

    Bad:
        CREATE TABLE public.work_orders (id bigint PRIMARY KEY, status text NOT NULL, opened_at timestamptz NOT NULL);
        -- query: SELECT id FROM public.work_orders WHERE status = $1 AND opened_at >= $2;

    Good:
        CREATE TABLE public.work_orders (id bigint PRIMARY KEY, status text NOT NULL, opened_at timestamptz NOT NULL);
        CREATE INDEX work_orders_status_opened_at_idx ON public.work_orders (status, opened_at);
        -- query: SELECT id FROM public.work_orders WHERE status = $1 AND opened_at >= $2;
    """
    for shape in wctx.shapes:
        reported = set()
        for use in shape.uses:
            table = wctx.catalog.table(use.table)
            if table is None or table.kind not in INDEXABLE_KINDS or not use.needs_index:
                continue
            if serving_index(table, use) is not None:
                continue
            columns = use.predicate_columns()
            if (use.table, columns) in reported:
                continue
            reported.add((use.table, columns))
            yield Hit(
                table=use.table,
                columns=columns,
                message=f"statement {shape.statement.number} `{_quote(shape.statement)}` {_access(use)}",
                fix=suggested_index(wctx.context, table, use, star=shape.star),
                statement=shape.statement.number,
                details=(("predicates", describe(use)),),
            )


def _access(use: TableUse) -> str:
    if not use.filtered:
        return f"reaches {use.table} through a join on {', '.join(use.join)}, but no index leads with it"
    return f"filters {use.table} on {describe(use)}, but no index leads with any of them"


def describe(use: TableUse) -> str:
    """`status (equality), opened_at (range), lower(email) (expression)`."""
    parts = [f"{c} (equality)" for c in use.equality]
    parts += [f"{c} (range)" for c in use.range if c not in use.equality]
    parts += [f"{sql} (expression)" for sql, _ in use.expressions]
    if use.reached_by_join:
        parts += [f"{c} (join)" for c in use.join if c not in use.equality]
    return ", ".join(parts)


@rule(
    "unused-index",
    severity="info",
    category="workload",
    title="An index was never scanned since statistics were reset",
    explanation="""Every index costs write time on each INSERT and UPDATE, disk and cache space, and
    vacuum work. One that no query has used since the statistics were reset may be dead weight;
    check replicas and rare jobs (month-end reports) before dropping it.""",
    needs="workload",
)
def unused_index(wctx: WorkloadContext) -> Iterator[Hit]:
    """Live databases only: pg_stat_user_indexes.idx_scan = 0; never unique or constraint-backing indexes.

    Bad:
        CREATE TABLE public.customers (id bigint PRIMARY KEY, phone text NOT NULL);
        CREATE INDEX customers_phone_idx ON public.customers (phone);
        -- live: no query ever filters on phone

    Good:
        CREATE TABLE public.customers (id bigint PRIMARY KEY, phone text NOT NULL UNIQUE);
    """
    for usage in wctx.index_usage or ():
        if usage.scans or usage.unique or usage.constraint or not usage.valid:
            continue
        schema = usage.table.split(".", 1)[0]
        since = f"since statistics were reset at {usage.stats_reset}" if usage.stats_reset else "since the statistics began (never reset)"
        yield Hit(
            table=usage.table,
            related=(f"{schema}.{usage.index}",),
            message=f"index {schema}.{usage.index} on {usage.table} has had no scans {since}; it takes {human_bytes(usage.size_bytes)}",
            fix=(
                "-- Check replicas and rare jobs first: their scans are not counted here.\n"
                f"DROP INDEX CONCURRENTLY {qualified_name(f'{schema}.{usage.index}')};"
            ),
            details=(("index_bytes", usage.size_bytes), ("stats_reset", usage.stats_reset)),
        )
