"""Data rules: what the rows say (orphans, repeated natural keys, never-NULL columns, drifted copies).

Data rules are registered in the same registry as the static ones, with `needs="data"`.
Their check function stays pure: it takes a `DataContext` (the static `Context`, the run's
options and each table's row estimate) and returns `Probe`s, each one set-based SELECT
over one object plus the function that reads its single result row into `Hit`s. All I/O
lives in `analyzers.data_run.run_data_checks`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from analyzers import data_queries as q
from analyzers import naming, predicates
from analyzers.context import Context
from analyzers.registry import REGISTRY, Hit, rule
from studio.catalog import Catalog, Table
from studio.sql import constraint_name, ident, qualified_name

# Options and context --------------------------------------------------------------------------


@dataclass(frozen=True)
class DataOptions:
    statement_timeout_s: float = 30.0  # per check
    budget_s: float = 600.0  # the whole run
    sample_threshold: int = 5_000_000  # rows (reltuples) above which a table is sampled
    sample_rows: int = 1_000_000  # about how many rows a sampled check reads
    exact: bool = False  # never sample
    never_null_min_rows: int = 10  # column-never-null says nothing about smaller tables
    contradicted_below: float = 0.5  # an implied FK whose values mostly have no parent is not one


@dataclass(frozen=True)
class RowEstimate:
    rows: int
    analyzed: bool  # False: never analyzed, counted from the cumulative statistics' live tuples


@dataclass
class DataContext:
    context: Context
    options: DataOptions = field(default_factory=DataOptions)
    estimates: dict[str, RowEstimate] = field(default_factory=dict)

    @property
    def catalog(self) -> Catalog:
        return self.context.catalog

    def sample_for(self, table: str) -> q.Sample | None:
        """TABLESAMPLE for a table above the threshold, at a rate that reads about `sample_rows` rows.

        A sample scan cannot use parallel workers, so reading half a table by sampling is slower
        than a parallel full scan: the rate aims at a fixed, modest number of rows instead.
        """
        estimate = self.estimates.get(table)
        if self.options.exact or estimate is None or estimate.rows <= self.options.sample_threshold:
            return None
        percent = max(0.01, min(100.0, round(100.0 * self.options.sample_rows / estimate.rows, 2)))
        return q.Sample(percent)

    def checked_tables(self) -> Iterator[Table]:
        """Tables whose rows we read: plain and partitioned tables (a parent covers its partitions)."""
        for table in self.catalog.tables:
            if table.kind in ("table", "partitioned_table"):
                yield table


@dataclass(frozen=True)
class Coverage:
    """How many child values of an implied FK exist in the parent (the data's vote on the guess)."""

    table: str
    column: str
    ref_table: str
    ref_column: str
    checked: int
    matched: int
    sample: q.Sample | None = None

    @property
    def share(self) -> float:
        return self.matched / self.checked if self.checked else 1.0


@dataclass(frozen=True)
class Probe:
    table: str  # the progress unit
    label: str
    sql: str
    read: Callable[[tuple], Iterable[Hit | Coverage]]
    sample: q.Sample | None = None


# Shared wording -------------------------------------------------------------------------------


def _n(value: int) -> str:
    return f"{value:,}"


def _rows(value: int) -> str:
    return f"{value:,} row" if value == 1 else f"{value:,} rows"


def _sampled(sample: q.Sample | None, checked: int | None = None) -> str:
    if sample is None:
        return ""
    rows = f", {_n(checked)} rows checked" if checked is not None else ""
    return f" (sampled: TABLESAMPLE SYSTEM at {sample.percent:g}% of pages{rows}; --exact reads every row)"


def _sample_details(sample: q.Sample | None) -> tuple[tuple[str, object], ...]:
    return (("sampled", sample is not None), ("sample_percent", sample.percent if sample else None))


def _examples(values) -> str:
    return ", ".join(str(v) for v in values)


def _comment(*lines: str) -> str:
    return "\n".join(f"-- {line}" if line else "--" for line in lines)


# orphaned-rows ---------------------------------------------------------------------------------


@rule(
    "orphaned-rows",
    severity="error",
    category="data",
    title="Rows point at parents that do not exist",
    explanation="""Some rows reference a parent row that does not exist. Reports and joins silently drop
    or miscount them, and a foreign key cannot be added or validated until they are deleted, re-pointed
    or their parents restored.""",
    needs="data",
)
def orphaned_rows(dctx: DataContext) -> Iterable[Probe]:
    """Orphans of implied foreign keys and of declared foreign keys added NOT VALID.

    Bad:
        CREATE TABLE customers (id integer PRIMARY KEY);
        CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer NOT NULL);
        INSERT INTO customers VALUES (1), (2), (3);
        INSERT INTO orders VALUES (1, 1), (2, 2), (3, 3), (4, 3), (5, 9);

    Good:
        CREATE TABLE customers (id integer PRIMARY KEY);
        CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer NOT NULL);
        INSERT INTO customers VALUES (1), (2), (3);
        INSERT INTO orders VALUES (1, 1), (2, 2), (3, 3), (4, 3), (5, 1);
    """
    for table in dctx.checked_tables():
        for fk in table.foreign_keys:
            if not fk.validated:
                yield _orphan_probe(dctx, table.qualified, fk.columns, fk.ref_table, fk.ref_columns, fk.name)
    for implied in dctx.context.implied_foreign_keys:
        child = dctx.catalog.table(implied.table)
        if child is not None and child.kind in ("table", "partitioned_table"):
            yield _orphan_probe(
                dctx, implied.table, (implied.column,), implied.ref_table, (implied.ref_column,), None
            )


def _orphan_probe(dctx, child, columns, parent, ref_columns, constraint) -> Probe:
    sample = dctx.sample_for(child)
    listing = q.list_orphans(child, columns, parent, ref_columns)
    column_text = ", ".join(columns)
    threshold = dctx.options.contradicted_below

    def read(row) -> Iterator[Hit | Coverage]:
        checked, orphans, samples = row
        if constraint is None:
            coverage = Coverage(child, columns[0], parent, ref_columns[0], checked, checked - orphans, sample)
            yield coverage
            if coverage.share < threshold:
                return  # the data says it is no reference at all: confirm_implied explains that instead
        if not orphans:
            return
        what = f"declared NOT VALID as {constraint}" if constraint else "implied by its name, not declared"
        message = (
            f"{child}.{column_text}: {_n(orphans)} of {_rows(checked)} point at no row of {parent} "
            f"(e.g. {_examples(samples or ())}); the reference is {what}{_sampled(sample, checked)}. "
            f"List them all with: {listing}"
        )
        if constraint:
            then = f"ALTER TABLE {qualified_name(child)} VALIDATE CONSTRAINT {ident(constraint)};"
        else:
            schema, _, bare = child.partition(".")
            name = dctx.context.free_name(schema, constraint_name(bare, columns, "fkey"))
            then = (
                f"ALTER TABLE {qualified_name(child)} ADD CONSTRAINT {ident(name)} FOREIGN KEY "
                f"({', '.join(ident(c) for c in columns)}) REFERENCES {qualified_name(parent)} "
                f"({', '.join(ident(c) for c in ref_columns)}) NOT VALID; then VALIDATE CONSTRAINT {ident(name)};"
            )
        fix = _comment(
            f"{_rows(orphans)} of {child} reference no row of {parent}. List them:",
            listing,
            "Delete them, set the column to NULL, or restore the missing parents; then:",
            then,
        )
        yield Hit(
            table=child,
            columns=tuple(columns),
            related=(parent,),
            message=message,
            fix=fix,
            details=(
                ("count", orphans),
                ("checked", checked),
                ("samples", list(samples or ())),
                ("query", listing),
                ("declared", constraint is not None),
                ("constraint", constraint),
                *_sample_details(sample),
            ),
        )

    return Probe(
        child,
        f"orphans of {column_text} -> {parent}",
        q.orphans(child, columns, parent, ref_columns, sample),
        read,
        sample,
    )


# duplicate-natural-key-values ------------------------------------------------------------------


def _static_hits(rule_id: str, context: Context) -> list[Hit]:
    """The hits of a static rule, so a data rule checks exactly what that rule reports."""
    static = REGISTRY.get(rule_id)
    return list(static.check(context)) if static is not None else []


@rule(
    "duplicate-natural-key-values",
    severity="error",
    category="data",
    title="Natural-key values already repeat",
    explanation="""A column that names a row's business identity (an invoice number, a SKU) already holds
    the same value more than once. Lookups by that key return several rows, and the unique constraint
    that should guard it cannot be added until the duplicates are merged or renumbered.""",
    needs="data",
)
def duplicate_natural_key_values(dctx: DataContext) -> Iterable[Probe]:
    """Repeated values in the natural-key columns that natural-key-not-unique finds (within a tenant).

    Bad:
        CREATE TABLE invoices (id integer PRIMARY KEY, invoice_number text NOT NULL);
        INSERT INTO invoices VALUES (1, 'INV-1'), (2, 'INV-2'), (3, 'INV-2'), (4, 'INV-3');

    Good:
        CREATE TABLE invoices (id integer PRIMARY KEY, invoice_number text NOT NULL);
        INSERT INTO invoices VALUES (1, 'INV-1'), (2, 'INV-2'), (3, 'INV-3'), (4, 'INV-4');
    """
    for hit in _static_hits("natural-key-not-unique", dctx.context):
        table = dctx.catalog.table(hit.table)
        if table is None or table.kind not in ("table", "partitioned_table"):
            continue
        tenant = dctx.context.tenant_column(table)
        scope = (tenant,) if tenant and tenant not in hit.columns else ()
        yield _duplicate_probe(dctx, table.qualified, scope, tuple(hit.columns))


def _duplicate_probe(dctx, table, scope, key) -> Probe:
    sample = dctx.sample_for(table)
    columns = scope + key
    listing = q.list_duplicates(table, columns)
    key_text = ", ".join(key)
    within = f" within one {', '.join(scope)}" if scope else ""

    def read(row) -> Iterator[Hit]:
        groups, rows, samples, counts = row
        if not groups:
            return
        examples = ", ".join(f"{v} ×{n}" for v, n in zip(samples, counts, strict=True))
        message = (
            f"{table}.{key_text}: {_n(groups)} value(s) repeat{within} across {_rows(rows)} (e.g. {examples}); "
            f"a unique constraint cannot be added until they are resolved{_sampled(sample)}. "
            f"List them with: {listing}"
        )
        schema, _, bare = table.partition(".")
        index = dctx.context.free_name(schema, constraint_name(bare, columns, "key"))
        fix = _comment(
            f"{_n(groups)} values of {table}.{key_text} repeat. List them:",
            listing,
            "Merge or renumber the duplicates, then enforce the key (outside a transaction):",
            f"CREATE UNIQUE INDEX CONCURRENTLY {ident(index)} ON {qualified_name(table)} "
            f"({', '.join(ident(c) for c in columns)});",
        )
        yield Hit(
            table=table,
            columns=key,
            message=message,
            fix=fix,
            details=(
                ("count", groups),
                ("rows", rows),
                ("samples", [f"{v} ×{n}" for v, n in zip(samples, counts, strict=True)]),
                ("query", listing),
                ("scope", list(scope)),
                *_sample_details(sample),
            ),
        )

    return Probe(table, f"duplicates of {key_text}", q.duplicates(table, columns, sample), read, sample)


# column-never-null -----------------------------------------------------------------------------


@rule(
    "column-never-null",
    severity="info",
    category="data",
    title="Nullable column that is never NULL",
    explanation="""The column allows NULL but no row holds one. If that is the rule of the business,
    declaring NOT NULL documents it, stops the first NULL from slipping in, and lets every query and
    report skip NULL handling.""",
    needs="data",
)
def column_never_null(dctx: DataContext) -> Iterable[Probe]:
    """Nullable columns without a NULL, on tables with at least a few rows.

    Bad:
        CREATE TABLE parts (id integer PRIMARY KEY, name text);
        INSERT INTO parts SELECT g, 'part ' || g FROM generate_series(1, 12) AS g;

    Good:
        CREATE TABLE parts (id integer PRIMARY KEY, name text);
        INSERT INTO parts SELECT g, CASE WHEN g % 4 = 0 THEN NULL ELSE 'part ' || g END
        FROM generate_series(1, 12) AS g;
        CREATE TABLE contacts (id integer PRIMARY KEY, email text, phone text,
                               CHECK (email IS NOT NULL OR phone IS NOT NULL));
        INSERT INTO contacts SELECT g, 'c' || g || '@example.com', '555-' || g FROM generate_series(1, 12) AS g;
    """
    for table in dctx.checked_tables():
        # A CHECK such as (email IS NOT NULL OR phone IS NOT NULL) says NULL is allowed on purpose.
        nullable = tuple(
            c.name
            for c in table.columns
            if c.nullable and not c.generated and not predicates.check_allows_null(table, c.name)
        )
        if nullable:
            yield _never_null_probe(dctx, table, nullable)


def _never_null_probe(dctx, table: Table, columns) -> Probe:
    sample = dctx.sample_for(table.qualified)
    minimum = dctx.options.never_null_min_rows

    def read(row) -> Iterator[Hit]:
        rows, *counts = row
        if rows < minimum:
            return
        for column, non_null in zip(columns, counts, strict=True):
            if non_null != rows:
                continue
            yield Hit(
                table=table.qualified,
                columns=(column,),
                message=(
                    f"{table.qualified}.{column} allows NULL but none of its {_n(rows)} rows holds one: "
                    f"a NOT NULL candidate{_sampled(sample, rows)}"
                ),
                fix=_set_not_null(dctx.context, table, column, sampled=sample is not None),
                details=(("rows", rows), *_sample_details(sample)),
            )

    return Probe(
        table.qualified, "NULLs per column", q.null_counts(table.qualified, columns, sample), read, sample
    )


def _set_not_null(context: Context, table: Table, column: str, *, sampled: bool) -> str:
    target = qualified_name(table.qualified)
    if table.kind == "partitioned_table":
        steps = [f"ALTER TABLE {target} ALTER COLUMN {ident(column)} SET NOT NULL;"]
    else:
        # A validated CHECK lets SET NOT NULL skip its full-table scan under the exclusive lock.
        check = ident(context.free_name(table.schema, constraint_name(table.name, (column,), "not_null")))
        steps = [
            f"ALTER TABLE {target} ADD CONSTRAINT {check} CHECK ({ident(column)} IS NOT NULL) NOT VALID;",
            f"ALTER TABLE {target} VALIDATE CONSTRAINT {check};",
            f"ALTER TABLE {target} ALTER COLUMN {ident(column)} SET NOT NULL;",
            f"ALTER TABLE {target} DROP CONSTRAINT {check};",
        ]
    if sampled:  # only a sample was read: a NULL may still exist, so the plan stays a plan
        return _comment("Only a sample was read; confirm with --exact, then:", *steps)
    return "\n".join(steps)


# denormalized-copy-drift -----------------------------------------------------------------------


@rule(
    "denormalized-copy-drift",
    severity="warning",
    category="data",
    title="Copied column disagrees with its source",
    explanation="""A column copies a value from the referenced row (a customer's name on each work order)
    and some copies no longer match the source. Screens and reports now show different answers for the
    same fact depending on which table they read.""",
    needs="data",
)
def denormalized_copy_drift(dctx: DataContext) -> Iterable[Probe]:
    """Rows whose copy (as denormalized-column finds it) differs from the parent's current value.

    Bad:
        CREATE TABLE customers (id integer PRIMARY KEY, name text NOT NULL);
        CREATE TABLE work_orders (id integer PRIMARY KEY,
            customer_id integer NOT NULL REFERENCES customers, customer_name text);
        INSERT INTO customers VALUES (1, 'Acme'), (2, 'Globex');
        INSERT INTO work_orders VALUES (1, 1, 'Acme'), (2, 2, 'Globex Corp'), (3, 2, NULL);

    Good:
        CREATE TABLE customers (id integer PRIMARY KEY, name text NOT NULL);
        CREATE TABLE work_orders (id integer PRIMARY KEY,
            customer_id integer NOT NULL REFERENCES customers, customer_name text);
        INSERT INTO customers VALUES (1, 'Acme'), (2, 'Globex');
        INSERT INTO work_orders VALUES (1, 1, 'Acme'), (2, 2, 'Globex'), (3, 2, 'Globex');
    """
    for hit in _static_hits("denormalized-column", dctx.context):
        table = dctx.catalog.table(hit.table)
        if table is None or table.kind not in ("table", "partitioned_table"):
            continue
        for copy_column in hit.columns:
            source = copy_source(dctx.context, table, copy_column, hit.related)
            if source is not None:
                fk_columns, parent, ref_columns, parent_column = source
                yield _drift_probe(
                    dctx, table.qualified, fk_columns, parent, ref_columns, copy_column, parent_column
                )


def copy_source(
    context: Context, table: Table, copy_column: str, related=()
) -> tuple[tuple[str, ...], str, tuple[str, ...], str] | None:
    """(fk columns, parent, parent key columns, parent column) of a `<p>_<c>` copy reached via `<p>_id` -> P.c."""
    folded = naming.fold(copy_column)
    candidates = []
    for columns, ref_table, ref_columns, _declared in context.references(table):
        parent = context.catalog.table(ref_table)
        if parent is None or copy_column in columns:
            continue
        for fk_column in columns:
            stem = naming.id_stem(fk_column)
            if stem is None or not folded.startswith(naming.fold(stem)):
                continue
            rest = folded[len(naming.fold(stem)) :]
            twin = next((c.name for c in parent.columns if naming.fold(c.name) == rest), None)
            if rest and twin is not None and twin not in ref_columns:
                candidates.append((tuple(columns), ref_table, tuple(ref_columns), twin))
    preferred = [c for c in candidates if c[1] in related]
    chosen = preferred or candidates
    return chosen[0] if chosen else None


def _drift_probe(dctx, child, fk_columns, parent, ref_columns, copy_column, parent_column) -> Probe:
    sample = dctx.sample_for(child)
    listing = q.list_drift(child, fk_columns, parent, ref_columns, copy_column, parent_column)

    def read(row) -> Iterator[Hit]:
        checked, drifted, samples = row
        if not drifted:
            return
        yield Hit(
            table=child,
            columns=(copy_column,),
            related=(parent,),
            message=(
                f"{child}.{copy_column}: {_n(drifted)} of {_rows(checked)} disagree with "
                f"{parent}.{parent_column} (e.g. {'; '.join(samples or ())}){_sampled(sample, checked)}. "
                f"List them with: {listing}"
            ),
            fix=_comment(
                f"{_n(drifted)} copies in {child}.{copy_column} differ from {parent}.{parent_column}. List them:",
                listing,
                f"Decide which side is right; then read {parent_column} through the join and drop the copy,",
                "or keep it deliberately as a snapshot (e.g. the name at the time of the order) and say so.",
            ),
            details=(
                ("count", drifted),
                ("checked", checked),
                ("samples", list(samples or ())),
                ("query", listing),
                *_sample_details(sample),
            ),
        )

    table = dctx.catalog.table(child)
    row_key = table.primary_key.columns if table is not None and table.primary_key else ()
    sql = q.drift(child, fk_columns, parent, ref_columns, copy_column, parent_column, sample, row_key)
    return Probe(child, f"drift of {copy_column} from {parent}.{parent_column}", sql, read, sample)
