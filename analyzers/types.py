"""Type rules: PostgreSQL's own "don't do this" list, plus free text squeezed into char(n)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator

from analyzers import naming
from analyzers.context import Context, own_columns
from analyzers.registry import Hit, rule
from studio.catalog import Catalog, Column, Table
from studio.sql import MAX_IDENTIFIER_BYTES, ident, literal, needs_quotes, qualified_name

MONEY_WORDS = {"price", "cost", "amount", "total", "fee", "balance", "tax", "salary", "subtotal"}
NOT_MONEY_WORDS = {
    "rate",
    "percent",
    "percentage",
    "pct",
    "ratio",
    "factor",
    "count",
    "weight",
}  # tax_rate is a ratio
FREE_TEXT_WORDS = {
    "name",
    "title",
    "description",
    "notes",
    "note",
    "comment",
    "comments",
    "address",
    "remarks",
    "summary",
    "bio",
    "body",
}
NOT_FREE_TEXT_WORDS = {"email", "ip", "mac", "code", "iso"}
_TIMESTAMP = re.compile(r"timestamp(?P<precision>\(\d+\))? without time zone\Z")
_CHAR_N = re.compile(r"(character varying|character)\(\d+\)\Z")


def columns_typed(ctx: Context, matches: Callable[[str], object]) -> Iterator[tuple[Table, Column]]:
    """Own columns of the owner tables whose type (as printed) `matches`: only those are read."""
    for column_type, found in ctx.columns_by_type.items():
        if matches(column_type):
            yield from found


@functools.lru_cache(maxsize=4096)
def _words_of(text: str) -> frozenset[str]:
    return frozenset(w.lower() for w in re.findall(r"[\w$]+", text))


def _mentions(text: str | None, name: str) -> bool:
    """Whether the SQL text uses the name as a whole word (quoted names with spaces: as a substring)."""
    if not text:
        return False
    if re.fullmatch(r"[\w$]+", name):
        return name.lower() in _words_of(text)
    return name.lower() in text.lower()


def type_change_blockers(catalog: Catalog, table: Table, column: str) -> list[str]:
    """Views and policies that (by their text) use the column: ALTER COLUMN TYPE fails while they exist."""
    blockers = [
        f"view {v.qualified}"
        for v in catalog.tables
        if v.view_definition
        and _mentions(v.view_definition, table.name)
        and _mentions(v.view_definition, column)
    ]
    if table.partitioning is not None and column in table.partitioning.columns:
        blockers.append(f"the partition key of {table.qualified}")
    blockers += [
        f"policy {p.name} on {table.qualified}"
        for p in table.policies
        if _mentions(p.using, column) or _mentions(p.with_check, column)
    ]
    return blockers


def alter_type_fix(
    catalog: Catalog, table: Table, column: str, new_type: str, using: str | None, notes: Iterable[str] = ()
) -> str:
    """`ALTER COLUMN ... TYPE`, or the same as a commented plan when views or policies pin the column."""
    statement = f"ALTER TABLE {qualified_name(table.qualified)} ALTER COLUMN {ident(column)} TYPE {new_type}"
    if using:
        statement += f" USING {using}"
    statement += ";"
    lines = [f"-- {n}" for n in notes]
    blockers = type_change_blockers(catalog, table, column)
    if blockers:
        lines.append(
            f"-- Used by {', '.join(blockers)}: the type cannot change while they exist. Drop and recreate"
            " them around it (a partition key means rebuilding the table):"
        )
        lines.append(f"-- {statement}")
    else:
        lines.append(statement)
    return "\n".join(lines)


@rule(
    "float-for-money",
    severity="error",
    category="types",
    title="Floating point used for money",
    explanation="""Binary floating point cannot represent most decimal amounts exactly, so 0.1 + 0.2 is not
    0.3 and sums drift by fractions of a cent. Invoices, ledgers and tax totals then disagree with what
    customers and accountants compute. Money belongs in numeric, which is exact.""",
)
def float_for_money(ctx: Context) -> Iterable[Hit]:
    """
    Bad:
        CREATE TABLE invoices (id bigint PRIMARY KEY, total_amount double precision NOT NULL);

    Good:
        CREATE TABLE invoices (id bigint PRIMARY KEY, total_amount numeric(12, 2) NOT NULL, weight real);
    """
    for table, column in columns_typed(ctx, lambda t: t in ("real", "double precision")):
        words = set(naming.words(column.name))
        if not MONEY_WORDS & words or NOT_MONEY_WORDS & words:
            continue
        fix = alter_type_fix(
            ctx.catalog,
            table,
            column.name,
            "numeric",
            f"{ident(column.name)}::numeric",
            notes=(
                "Unconstrained numeric keeps every digit the float shows today; rounding to cents",
                "here would silently change stored values. Once the data is checked, narrow it to",
                "numeric(12, 2) (or your currency's scale) in a second step.",
            ),
        )
        yield Hit(
            table.qualified,
            f"{table.qualified}.{column.name} stores money as {column.type}, which cannot hold decimal amounts exactly",
            columns=(column.name,),
            fix=fix,
        )


@rule(
    "money-type",
    severity="warning",
    category="types",
    title="The money type",
    explanation="""The money type's scale and currency symbol follow the server's lc_monetary setting, so
    the same dump restored on a server with another locale reads different amounts. It holds no currency
    code and rounds on division. numeric with an explicit scale is exact and portable.""",
)
def money_type(ctx: Context) -> Iterable[Hit]:
    """
    Bad:
        CREATE TABLE payments (id bigint PRIMARY KEY, amount money NOT NULL);

    Good:
        CREATE TABLE payments (id bigint PRIMARY KEY, amount numeric(12, 2) NOT NULL);
    """
    for table, column in columns_typed(ctx, lambda t: t == "money"):
        fix = alter_type_fix(
            ctx.catalog,
            table,
            column.name,
            "numeric",
            f"{ident(column.name)}::numeric",
            notes=(
                "money converts to numeric exactly; add a scale such as numeric(12, 2) once you know the currencies.",
            ),
        )
        yield Hit(
            table.qualified,
            f"{table.qualified}.{column.name} uses the locale-dependent money type",
            columns=(column.name,),
            fix=fix,
        )


UTC_SESSION = "SET TimeZone = 'UTC';"  # timestamp <-> timestamptz without a rewrite (PostgreSQL 12+)


@rule(
    "timestamp-without-time-zone",
    severity="warning",
    category="types",
    title="timestamp without time zone",
    explanation="""A timestamp without time zone records a wall-clock reading with no zone, so the same
    instant written by servers or sessions in different zones stores different values, and daylight-saving
    changes make hours repeat or vanish. timestamptz stores an absolute instant and converts on display.""",
)
def timestamp_without_time_zone(ctx: Context) -> Iterable[Hit]:
    """
    Bad:
        CREATE TABLE events (id bigint PRIMARY KEY, occurred_at timestamp NOT NULL);

    Good:
        CREATE TABLE events (id bigint PRIMARY KEY, occurred_at timestamptz NOT NULL, occurred_on date);
    """
    for table, column in columns_typed(ctx, _TIMESTAMP.match):
        m = _TIMESTAMP.match(column.type)
        if column.is_array:
            continue
        date_only = ["If it only ever holds dates (a birth date), the right type is date instead."]
        if not {"date", "day", "birth"} & set(naming.words(column.name)):
            date_only = []
        if m.group("precision"):  # the precision's length coercion makes PostgreSQL rewrite, whatever the zone
            fix = alter_type_fix(
                ctx.catalog, table, column.name, f"timestamptz{m.group('precision')}",
                f"{ident(column.name)} AT TIME ZONE {literal('UTC')}",
                notes=(
                    "Assumes the stored values are UTC wall-clock times. If the application wrote local",
                    "time, put that zone here instead (e.g. 'Europe/Paris'). With a precision the change",
                    "rewrites the table under an ACCESS EXCLUSIVE lock: run it in a maintenance window.",
                    *date_only,
                ),
            )
        else:
            fix = f"{UTC_SESSION}\n" + alter_type_fix(
                ctx.catalog, table, column.name, "timestamptz", None,
                notes=(
                    "Assumes the stored values are UTC wall-clock times (else convert with USING col AT TIME",
                    "ZONE 'Europe/Paris' instead, which rewrites the table). With the session at UTC,",
                    "PostgreSQL 12+ changes the type without rewriting the table; indexes on the column are",
                    "rebuilt under the ACCESS EXCLUSIVE lock.",
                    *date_only,
                ),
            )
        yield Hit(
            table.qualified,
            f"{table.qualified}.{column.name} is {column.type}: its values carry no time zone",
            columns=(column.name,),
            fix=fix,
        )


@rule(
    "json-instead-of-jsonb",
    severity="info",
    category="types",
    title="json instead of jsonb",
    explanation="""json stores the text as written and re-parses it on every access; it cannot be indexed
    with GIN and has no equality operator. jsonb is parsed once, indexable and faster to query. Keep json
    only when the exact text (key order, duplicate keys, whitespace) must be preserved.""",
)
def json_instead_of_jsonb(ctx: Context) -> Iterable[Hit]:
    """
    Bad:
        CREATE TABLE webhooks (id bigint PRIMARY KEY, payload json NOT NULL);

    Good:
        CREATE TABLE webhooks (id bigint PRIMARY KEY, payload jsonb NOT NULL);
    """
    for table, column in columns_typed(ctx, lambda t: t == "json"):
        fix = alter_type_fix(
            ctx.catalog,
            table,
            column.name,
            "jsonb",
            f"{ident(column.name)}::jsonb",
            notes=(
                "jsonb drops duplicate keys, key order and whitespace; check nothing relies on them.",
            ),
        )
        if column.default is not None:
            default = f"ALTER TABLE {qualified_name(table.qualified)} ALTER COLUMN {ident(column.name)}"
            fix = f"{default} DROP DEFAULT;\n{fix}\n{default} SET DEFAULT ({column.default})::jsonb;"
        yield Hit(
            table.qualified,
            f"{table.qualified}.{column.name} is json rather than jsonb",
            columns=(column.name,),
            fix=fix,
        )


def sequence_of(column: Column) -> str | None:
    """The sequence a nextval() default reads, as the default spells it (already SQL)."""
    if column.sequence:
        return qualified_name(column.sequence)
    m = re.match(r"nextval\('(?P<seq>(?:[^']|'')+)'::regclass\)", column.default or "")
    return m.group("seq").replace("''", "'") if m else None


@rule(
    "serial-instead-of-identity",
    severity="info",
    category="types",
    title="serial instead of identity",
    explanation="""serial columns are filled by a separate sequence tied to the column by a default; grants,
    copies with CREATE TABLE ... LIKE, and dumps can leave the two out of step. Standard identity columns
    (GENERATED ... AS IDENTITY) keep the sequence part of the column and can refuse manual values.""",
)
def serial_instead_of_identity(ctx: Context) -> Iterable[Hit]:
    """
    Bad:
        CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL);

    Good:
        CREATE TABLE customers (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name text NOT NULL);
    """
    sharers: dict[str, int] | None = None  # counted at the first hit: most schemas have none
    for table in ctx.owner_tables:
        for column in own_columns(ctx.catalog, table):
            if not column.sequence_filled or column.identity:
                continue
            if sharers is None:
                sharers = _sequence_sharers(ctx.catalog)
            seq = sequence_of(column)
            yield Hit(
                table.qualified,
                f"{table.qualified}.{column.name} is filled by a sequence default ({column.default}) rather than an identity",
                columns=(column.name,),
                fix=_identity_fix(table, column, seq, shared=sharers.get(seq or "", 0) > 1),
            )


def _sequence_sharers(catalog: Catalog) -> dict[str, int]:
    """Sequence -> how many columns of any relation it fills."""
    sharers: dict[str, int] = {}
    for table in catalog.tables:
        for column in table.columns:
            if column.sequence_filled and (seq := sequence_of(column)):
                sharers[seq] = sharers.get(seq, 0) + 1
    return sharers


def _identity_fix(table: Table, column: Column, seq: str | None, *, shared: bool) -> str:
    t, c = qualified_name(table.qualified), ident(column.name)
    steps = [
        f"ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT;",
        # Detach the old sequence first, so pg_get_serial_sequence() finds the new identity sequence.
        f"ALTER SEQUENCE {seq} OWNED BY NONE;",
        f"ALTER TABLE {t} ALTER COLUMN {c} ADD GENERATED BY DEFAULT AS IDENTITY;",
        # Continue where the old sequence stopped, and never below the rows already there.
        f"SELECT setval(pg_get_serial_sequence({literal(t)}, {literal(column.name)}),"
        f" greatest((SELECT last_value FROM {seq}), (SELECT coalesce(max({c}), 0) FROM {t})));",
    ]
    if shared:
        steps.append(f"-- {seq} also fills other columns, so it is kept.")
    else:
        steps.append(f"DROP SEQUENCE {seq};")
    supported = naming.fold(column.type) in {"smallint", "integer", "bigint"} and seq is not None
    if table.kind == "partitioned_table" or table.partitioning is not None or not supported:
        reason = (
            "identity needs an integer column"
            if not supported
            else "a partitioned table's identity must be added on the parent and checked on every partition"
        )
        return "\n".join([f"-- Plan ({reason}):", *(f"-- {s}" for s in steps)])
    return "\n".join(steps)


@rule(
    "char-n-type",
    severity="info",
    category="types",
    title="Length-limited type for free text",
    explanation="""Names, titles and descriptions have no natural maximum length; a varchar(n) or char(n)
    limit turns a long but valid value into an insert error, and char(n) also pads with spaces. In
    PostgreSQL text is just as fast; add a CHECK on length if a limit is a real business rule.""",
)
def char_n_type(ctx: Context) -> Iterable[Hit]:
    """
    Bad:
        CREATE TABLE products (id bigint PRIMARY KEY, name varchar(40) NOT NULL);

    Good:
        CREATE TABLE products (id bigint PRIMARY KEY, name text NOT NULL, country_code char(2) NOT NULL);
    """
    for table, column in columns_typed(ctx, _CHAR_N.match):
        if column.is_array:
            continue
        words = naming.words(column.name)
        if not words or words[-1] not in FREE_TEXT_WORDS or NOT_FREE_TEXT_WORDS & set(words):
            continue
        notes = ["varchar to text needs no table rewrite."]
        if column.type.startswith("character("):
            notes = ["char(n) to text drops the trailing padding spaces and rewrites the table."]
        yield Hit(
            table.qualified,
            f"{table.qualified}.{column.name} limits free text to {column.type}",
            columns=(column.name,),
            fix=alter_type_fix(ctx.catalog, table, column.name, "text", None, notes=notes),
        )


@functools.lru_cache(maxsize=65536)
def identifier_problems(name: str) -> tuple[str, ...]:
    problems = []
    if len(name.encode()) >= MAX_IDENTIFIER_BYTES:
        problems.append("is at the 63-byte limit (longer names are silently truncated)")
    if needs_quotes(name):
        if name != name.lower():
            problems.append("has upper-case letters")
        if re.search(r"\s", name):
            problems.append("contains spaces")
        if re.match(r"[a-z_][a-z0-9_$]*\Z", name):
            problems.append("is an SQL keyword")
        elif name == name.lower() and not re.search(r"\s", name):
            problems.append("has characters that need quoting")
    return tuple(problems)


def _plain_name(name: str) -> str:
    words = naming.words(name) or (name.lower(),)
    plain = "_".join(re.sub(r"[^a-z0-9_]", "", w) for w in words).strip("_") or "renamed"
    if needs_quotes(plain):
        plain += "_value" if plain[0].isalpha() or plain[0] == "_" else ""
        if needs_quotes(plain):
            plain = "c_" + plain
    return plain[:MAX_IDENTIFIER_BYTES]


@rule(
    "identifier-hazard",
    severity="info",
    category="normalization",
    title="Identifier that needs quoting",
    explanation="""Names with upper-case letters, spaces or reserved words must be double-quoted in every
    query, by every tool and person, forever; forgetting the quotes gives 'relation does not exist' errors.
    Names at the 63-byte limit were probably truncated by PostgreSQL and no longer match what the code uses.""",
)
def identifier_hazard(ctx: Context) -> Iterable[Hit]:
    """
    Bad:
        CREATE TABLE "Customer" ("CustomerId" integer PRIMARY KEY, "order" integer);

    Good:
        CREATE TABLE customer (customer_id integer PRIMARY KEY, sort_order integer);
    """
    for table in ctx.owner_tables:
        table_problems = identifier_problems(table.name)
        columns = [(c.name, p) for c in own_columns(ctx.catalog, table) if (p := identifier_problems(c.name))]
        if not table_problems and not columns:
            continue
        parts = []
        if table_problems:
            parts.append(f"the table name {table.name!r} {' and '.join(table_problems)}")
        for name, problems in columns:
            parts.append(f"column {name!r} {' and '.join(problems)}")
        plan = [
            "-- Renaming breaks every query, view and function that uses the old name: plan it with",
            "-- the application (or keep the names and always quote them). Suggested renames:",
        ]
        t = qualified_name(table.qualified)
        for name, _ in columns:
            plan.append(f"-- ALTER TABLE {t} RENAME COLUMN {ident(name)} TO {ident(_plain_name(name))};")
        if table_problems:
            plan.append(f"-- ALTER TABLE {t} RENAME TO {ident(_plain_name(table.name))};")
        yield Hit(
            table.qualified,
            f"{table.qualified}: " + "; ".join(parts),
            columns=tuple(name for name, _ in columns),
            fix="\n".join(plan),
        )
