"""Normalization and modelling rules: repeated groups, copied columns, polymorphic ids, EAV,
soft deletes that block re-creation, unconstrained status columns, inconsistent types, inheritance."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from functools import partial

from analyzers import naming
from analyzers.context import Context, type_family
from analyzers.registry import Hit, rule
from analyzers.types import alter_type_fix, own_columns
from studio.catalog import Column, Index, Table
from studio.ddl import index_keys_sql
from studio.sql import constraint_name, ident, idents, qualified_name

_NUMBERED = re.compile(r"(?P<stem>.*?[A-Za-z])_?(?P<n>\d+)\Z")


@rule(
    "repeating-column-group",
    severity="warning",
    category="normalization",
    title="Repeating group of columns",
    explanation="""Numbered columns such as phone1, phone2, phone3 are a list stored sideways: the fourth
    value has nowhere to go, searching means OR-ing every column, and most rows carry empty slots. A child
    table with one row per value holds any number of them and can be indexed and constrained.""",
)
def repeating_column_group(ctx: Context) -> Iterable[Hit]:
    """
    Bad:
        CREATE TABLE contacts (id bigint PRIMARY KEY, phone1 text, phone2 text, phone3 text);

    Good:
        CREATE TABLE contacts (id bigint PRIMARY KEY, address_line1 text, address_line2 text);
        CREATE TABLE contact_phones (contact_id bigint REFERENCES contacts, position smallint, phone text,
                                     PRIMARY KEY (contact_id, position));
    """
    for table in ctx.owner_tables:
        groups: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
        for column in own_columns(ctx.catalog, table):
            if m := _NUMBERED.match(column.name):
                groups[(naming.fold(m.group("stem")), column.type)].append((int(m.group("n")), column.name))
        for members in groups.values():
            numbers = sorted(n for n, _ in members)
            # sha1/sha256/sha512 share a stem but are not slots of one list: require a run 1, 2, 3...
            if (
                len(members) < 3
                or numbers[0] not in (0, 1)
                or numbers != list(range(numbers[0], numbers[0] + len(numbers)))
            ):
                continue
            names = tuple(c.name for c in table.columns if c.name in {name for _, name in members})
            yield Hit(
                table.qualified,
                f"{table.qualified} repeats one value in {len(names)} numbered columns: {', '.join(names)}",
                columns=names,
                fix=_child_table_fix(table, names),
            )


def _child_table_fix(table: Table, names: tuple[str, ...]) -> str:
    stem = _NUMBERED.match(names[0]).group("stem").rstrip("_")
    child = f"{naming.singular(table.name)}_{stem.lower()}s"[:63]
    t = qualified_name(table.qualified)
    child_q = f"{ident(table.schema)}.{ident(child)}"
    column_type = table.column(names[0]).type
    plan = [
        "-- Move the slots into a child table, one row per value; then switch readers and drop the columns."
    ]
    pk = table.primary_key.columns if table.primary_key else ()
    if not pk:
        plan.append(f"-- {table.qualified} has no primary key to reference: add one first.")
        return "\n".join(plan)
    pk_cols = ", ".join(f"{ident(c)} {table.column(c).type} NOT NULL" for c in pk)
    plan.append(
        f"CREATE TABLE {child_q} ({pk_cols}, slot smallint NOT NULL, value {column_type} NOT NULL,"
        f" PRIMARY KEY ({idents(pk)}, slot), FOREIGN KEY ({idents(pk)}) REFERENCES {t} ({idents(pk)}));"
    )
    selects = [
        f"SELECT {idents(pk)}, {i + 1}, {ident(name)} FROM {t} WHERE {ident(name)} IS NOT NULL"
        for i, name in enumerate(names)
    ]
    plan.append(f"INSERT INTO {child_q} ({idents(pk)}, slot, value)\n" + "\nUNION ALL ".join(selects) + ";")
    plan.append(
        f"-- Once nothing reads them: ALTER TABLE {t} "
        + ", ".join(f"DROP COLUMN {ident(n)}" for n in names)
        + ";"
    )
    return "\n".join(plan)


def _prefix_rest(column: str, prefix_words: tuple[str, ...]) -> str | None:
    """`customer_name` with prefix ('customer',) -> 'name'; None when the column does not start with it."""
    words = naming.words(column)
    n = len(prefix_words)
    if len(words) <= n or words[:n] != prefix_words:
        return None
    return "".join(words[n:])


@rule(
    "denormalized-column",
    severity="warning",
    category="normalization",
    title="Column copied from a referenced table",
    explanation="""A column that repeats a value of the row it references (work_orders.customer_name beside
    customer_id) goes stale the moment the original changes, and nothing keeps the copies in step. Read the
    value through the join instead. If the copy is a deliberate snapshot (the price at the time of the
    order), say so in a comment and suppress this finding.""",
)
def denormalized_column(ctx: Context) -> Iterable[Hit]:
    """A column copying a parent's column, reachable through the reference.

    A copy beside a foreign key that is set to NULL when the parent goes (ON DELETE SET NULL / SET DEFAULT)
    outlives the parent row: it is reported at info, as a likely deliberate record.

    Bad:
        CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL);
        CREATE TABLE work_orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers,
                                  customer_name text);

    Good:
        CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL);
        CREATE TABLE work_orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers, title text);
    """
    for table in ctx.owner_tables:
        seen: set[str] = set()
        # A copy starts with the reference's stem (customer_name beside customer_id): look only there.
        own = own_columns(ctx.catalog, table)
        by_first_word: dict[str, list[Column]] = defaultdict(list)
        for column in own:
            if words := naming.words(column.name):
                by_first_word[words[0]].append(column)
        tenant = ctx.tenant_column(table)
        for columns, ref_table, _ref_columns, declared in ctx.references(table):
            parent = ctx.catalog.table(ref_table)
            if parent is None:
                continue
            parent_pk = set(parent.primary_key.columns) if parent.primary_key else set()
            parent_cols = ctx.columns_by_fold(parent)
            for fk_column in columns:
                stem = naming.id_stem(fk_column)
                if stem is None or fk_column == tenant and len(columns) > 1:
                    continue
                prefix = naming.words(stem)
                for column in by_first_word.get(prefix[0], ()) if prefix else own:
                    if column.name in columns or column.name in seen:
                        continue
                    rest = _prefix_rest(column.name, prefix)
                    twin = parent_cols.get(rest) if rest else None
                    if twin is None or twin.name in parent_pk or type_family(twin) != type_family(column):
                        continue
                    seen.add(column.name)
                    how = "foreign key" if declared else "implied reference"
                    outlives = declared and _outlives_parent(table, columns)
                    snapshot = _records_a_moment(table.name) or outlives
                    yield Hit(
                        table.qualified,
                        f"{table.qualified}.{column.name} copies {ref_table}.{twin.name}, already reachable"
                        f" through the {how} {fk_column}",
                        columns=(column.name,),
                        related=(ref_table,),
                        fix="\n".join(
                            [
                                f"-- Read {ref_table}.{twin.name} through a join on {fk_column} instead; once nothing",
                                "-- reads or writes the copy (or keep it and suppress this if it is a snapshot):",
                                f"-- ALTER TABLE {qualified_name(table.qualified)} DROP COLUMN {ident(column.name)};",
                            ]
                        ),
                        severity="info" if snapshot else None,
                        explanation=(_OUTLIVES_EXPLANATION if outlives else _SNAPSHOT_EXPLANATION) if snapshot else None,
                    )


def _outlives_parent(table: Table, columns) -> bool:
    return any(
        fk.columns == tuple(columns) and fk.on_delete in ("SET NULL", "SET DEFAULT") for fk in table.foreign_keys
    )


# Tables that record a moment (invoice lines, order items, history): a copied value is usually the value then.
_RECORD_WORDS = {
    "invoice",
    "invoices",
    "credit",
    "receipt",
    "receipts",
    "order",
    "orders",
    "fee",
    "fees",
    "history",
    "histories",
    "snapshot",
    "snapshots",
    "version",
    "versions",
    "audit",
    "log",
    "logs",
    "quote",
    "quotes",
}
_HISTORY_WORDS = {"history", "histories", "snapshot", "snapshots", "versions", "audit", "log", "logs"}


def _records_a_moment(name: str) -> bool:
    """`invoices_taxes`, `order_items`, `price_history`: yes; `work_orders` (a live entity): no."""
    words = naming.words(name)
    return bool(_RECORD_WORDS & set(words[:-1])) or (bool(words) and words[-1] in _HISTORY_WORDS)


_SNAPSHOT_EXPLANATION = """This table records a business event (an invoice, an order, a history row), where a copy
of the referenced value is often a deliberate snapshot of the value at that time. If so, document it in a
column comment and suppress this; if not, read the value through the join so it cannot go stale."""

_OUTLIVES_EXPLANATION = """The foreign key is set to NULL when the referenced row is deleted, so this copy is the only
place its value survives: most likely a deliberate record (a list's name kept on a campaign after the list is
gone). If it is, say so in a column comment and suppress this; if the copy must follow the parent while it
exists, read it through the join and keep the copy only for deleted parents."""


def _pairs(table: Table) -> Iterable[tuple[str, str]]:
    """(`<x>_type`, `<x>_id`) column pairs, snake_case or CamelCase."""
    type_columns = [
        (c.name, words) for c in table.columns if len(words := naming.words(c.name)) >= 2 and words[-1] == "type"
    ]
    if not type_columns:
        return
    by_fold = {naming.fold(c.name): c.name for c in table.columns}
    for name, words in type_columns:
        stem = "".join(words[:-1])
        if (id_column := by_fold.get(stem + "id")) is not None:
            yield name, id_column


@rule(
    "polymorphic-association",
    severity="warning",
    category="normalization",
    title="Polymorphic association",
    explanation="""A <x>_type column naming a table beside a <x>_id column means one id points into several
    tables, so the database cannot check that the row exists, cannot cascade deletes and cannot index the
    join well. Orphans accumulate silently. One nullable foreign key per target table, with a CHECK that
    exactly one is set, keeps the same flexibility with real integrity.""",
)
def polymorphic_association(ctx: Context) -> Iterable[Hit]:
    """A `<x>_type` / `<x>_id` pair where the id points at other tables' keys and the type says which.

    Not one: the id is the row's own key (in the primary key, unique without the type column, or the key
    of a table with no primary key); the type is a number or names no table (an enum or CHECK whose
    values are no table's name, a `<x>` that is itself a table, so the type is a kind of that row); or
    no table has a key of the id's type.

    Bad:
        CREATE TABLE posts (id bigint PRIMARY KEY);
        CREATE TABLE comments (id bigint PRIMARY KEY, commentable_type text NOT NULL,
                               commentable_id bigint NOT NULL, body text);

    Good:
        CREATE TABLE posts (id bigint PRIMARY KEY);
        CREATE TABLE photos (id bigint PRIMARY KEY);
        CREATE TABLE comments (id bigint PRIMARY KEY, post_id bigint REFERENCES posts,
                               photo_id bigint REFERENCES photos, body text,
                               CHECK (num_nonnulls(post_id, photo_id) = 1));
        CREATE TABLE uploads (media_id text PRIMARY KEY, media_type text NOT NULL);
        CREATE TABLE rooms (id bigint PRIMARY KEY);
        CREATE TABLE room_stats (id bigint PRIMARY KEY, room_id bigint NOT NULL, room_type text);
        CREATE TABLE jobs (id bigint PRIMARY KEY, runner_type integer NOT NULL, runner_id bigint NOT NULL);
        CREATE TYPE file_kind AS ENUM ('image', 'video');
        CREATE TABLE files (id bigint PRIMARY KEY, owner_type file_kind NOT NULL, owner_id bigint NOT NULL);
    """
    for table in ctx.owner_tables:
        in_fk = {c for fk in table.foreign_keys for c in fk.columns}
        for type_column, id_column in _pairs(table):
            if id_column in in_fk or not _points_at_tables(ctx, table, type_column, id_column):
                continue
            t = qualified_name(table.qualified)
            yield Hit(
                table.qualified,
                f"{table.qualified}.{id_column} points into the table named by {type_column},"
                " so no foreign key can protect it",
                columns=tuple(c for c in table.column_names if c in (type_column, id_column)),
                fix="\n".join(
                    [
                        f"-- For each table named in {type_column} (SELECT DISTINCT {ident(type_column)} FROM {t}):",
                        f"--   ALTER TABLE {t} ADD COLUMN <target>_id <type> REFERENCES <target>;",
                        f"--   UPDATE {t} SET <target>_id = {ident(id_column)} WHERE {ident(type_column)} = '<Target>';",
                        f"-- then ALTER TABLE {t} ADD CHECK (num_nonnulls(<target1>_id, <target2>_id, ...) = 1);",
                        f"-- and drop {ident(type_column)} and {ident(id_column)} once nothing reads them.",
                    ]
                ),
            )


def _points_at_tables(ctx: Context, table: Table, type_column: str, id_column: str) -> bool:
    """Whether `id_column` is a reference into the tables `type_column` names (see polymorphic_association)."""
    if _is_own_key(table, type_column, id_column):
        return False
    kind, ident_column = table.column(type_column), table.column(id_column)
    if type_family(kind) != "text" and _enum_labels(ctx, kind) is None:
        return False
    named = _named_values(ctx, table, kind)
    if named is not None and not any(ctx.tables_named_like(naming.singular(v), table.schema) for v in named):
        return False
    if ctx.tables_named_like(naming.id_stem(id_column) or id_column, table.schema):
        return False  # <x>_id references table <x>: <x>_type is a kind of that row
    return type_family(ident_column) in _key_families(ctx)


def _is_own_key(table: Table, type_column: str, id_column: str) -> bool:
    if table.primary_key is not None and id_column in table.primary_key.columns:
        return True
    keys = [set(u.columns) for u in table.uniques]
    keys += [set(i.column_keys) for i in table.indexes if i.unique and not i.predicate and None not in i.column_keys]
    if table.primary_key is None and any(id_column in k for k in keys):
        return True
    return any(id_column in k and type_column not in k for k in keys)


def _enum_labels(ctx: Context, column: Column) -> tuple[str, ...] | None:
    name = column.type.split(".")[-1].strip('"')
    return next((e.labels for e in ctx.catalog.enums if e.name == name), None)


_IN_LIST = re.compile(r"'((?:[^']|'')*)'")


def _named_values(ctx: Context, table: Table, column: Column) -> list[str] | None:
    """The values an enum or a CHECK on the column allows, folded; None when nothing lists them."""
    if (labels := _enum_labels(ctx, column)) is not None:
        return [naming.fold(v) for v in labels]
    for check in table.checks:
        if check.columns == (column.name,) and (values := _IN_LIST.findall(check.expression)):
            return [naming.fold(v.replace("''", "'").split("::")[-1]) for v in values]
    return None


def _key_families(ctx: Context) -> set[str]:
    return {
        type_family(c)
        for t in ctx.catalog.stored_tables
        if t.primary_key is not None and len(t.primary_key.columns) == 1
        and (c := t.column(t.primary_key.columns[0])) is not None
    }


_ATTRIBUTE = re.compile(r"(attr\w*|attribute\w*|key|property|field|name|property_name|field_name|key_name)\Z")
_VALUE = re.compile(r"(value|val|\w+_value|\w+_val)\Z")
_OPEN_ENDED = {
    "tags",
    "metadata",
    "parameters",
    "params",
    "labels",
    "annotations",
    "variables",
    "vars",
    "settings",
    "configs",
    "options",
}
_OPEN_ENDED_EXPLANATION = """Its name says the keys are user-defined (tags, metadata, parameters), where key-value
rows are a reasonable design. The values are still untyped text: check nothing typed or mandatory lives here, and
consider a jsonb column on the owning table if the pairs are always read together."""
_INCIDENTAL = {
    "createdat",
    "updatedat",
    "createdon",
    "updatedon",
    "createdby",
    "updatedby",
    "deletedat",
    "position",
    "sortorder",
    "ordinal",
}


@rule(
    "entity-attribute-value",
    severity="warning",
    category="normalization",
    title="Entity-attribute-value table",
    explanation="""Rows of (entity, attribute name, text value) hide the real columns inside the data: every
    value is text, nothing can be NOT NULL, typed, checked or referenced, and reading one entity back means
    pivoting many rows. Well-known attributes belong in typed columns; truly open-ended ones in a jsonb
    column on the entity.""",
)
def entity_attribute_value(ctx: Context) -> Iterable[Hit]:
    """
    Bad:
        CREATE TABLE products (id bigint PRIMARY KEY, name text NOT NULL);
        CREATE TABLE product_attributes (id bigint PRIMARY KEY, product_id bigint NOT NULL REFERENCES products,
                                         attribute_name text NOT NULL, value text);

    Good:
        CREATE TABLE sensors (id bigint PRIMARY KEY, name text NOT NULL);
        CREATE TABLE readings (id bigint PRIMARY KEY, sensor_id bigint NOT NULL REFERENCES sensors,
                               sensor_code text NOT NULL, value numeric NOT NULL, unit text NOT NULL);
    """
    for table in ctx.owner_tables:
        attribute = next(
            (c for c in table.columns if _ATTRIBUTE.match(c.name.lower()) and type_family(c) == "text"), None
        )
        value = next((c for c in table.columns if _VALUE.match(c.name.lower()) and c is not attribute), None)
        if attribute is None or value is None or type_family(value) != "text":
            continue
        refs = {c for cols, _, _, _ in ctx.references(table) for c in cols}
        tenant = ctx.tenant_column(table)
        pk = set(table.primary_key.columns) if table.primary_key else set()
        entity = [c for c in table.column_names if c in refs and c != tenant]
        if not entity:
            continue
        rest = [
            c
            for c in table.column_names
            if c not in pk
            and c not in refs
            and c != tenant
            and c not in (attribute.name, value.name)
            and naming.fold(c) not in _INCIDENTAL
        ]
        if len(rest) > 2:
            continue
        open_ended = naming.last_word(table.name) in _OPEN_ENDED
        yield Hit(
            table.qualified,
            f"{table.qualified} stores attributes as rows: {attribute.name} names the attribute and"
            f" {value.name} ({value.type}) holds its value for {', '.join(entity)}",
            columns=(entity[0], attribute.name, value.name),
            fix="\n".join(
                [
                    f"-- List the attributes in use: SELECT {ident(attribute.name)}, count(*) FROM"
                    f" {qualified_name(table.qualified)} GROUP BY 1;",
                    "-- Give each well-known attribute a typed column on the entity table (with NOT NULL / CHECK",
                    "-- where it applies) and move open-ended ones into a jsonb column; then retire this table.",
                ]
            ),
            # A table named as user-defined tags/metadata/parameters says its keys are open-ended by design.
            severity="info" if open_ended else None,
            explanation=_OPEN_ENDED_EXPLANATION if open_ended else None,
        )


_SOFT_DELETE = {"deletedat", "deletedon", "isdeleted", "deleted", "discardedat"}


_GENERATED_DEFAULT = re.compile(r"(gen_random_uuid|uuid_generate_v\d\w*|nextval)\(", re.IGNORECASE)


def generated_key(table: Table, columns: tuple[str, ...]) -> bool:
    """Every column is filled by the database (identity, sequence, random uuid): a surrogate, not business data."""
    found = [table.column(name) for name in columns]
    return all(
        c is not None and (c.identity or c.sequence_filled or _GENERATED_DEFAULT.search(c.default or ""))
        for c in found
    )


def key_columns(table: Table, keys: tuple[str, ...]) -> tuple[str, ...]:
    """Table columns a key uses, in table order, including those inside expressions such as lower(email)."""
    return tuple(
        c
        for c in table.column_names
        if c in keys or any(_word_in(c, k) for k in keys if k not in table.column_names)
    )


def unique_keys(table: Table) -> Iterable[tuple[str, tuple[str, ...], Index | None, bool]]:
    """(name, columns, backing index, is_constraint) for each unique key except the primary key."""
    constraint_names = {u.name for u in table.uniques}
    by_constraint = {i.constraint: i for i in table.indexes if i.constraint}
    for u in table.uniques:
        yield u.name, u.columns, by_constraint.get(u.name), True
    for index in table.indexes:
        if (
            index.unique
            and not index.primary
            and index.constraint not in constraint_names
            and not index.constraint
        ):
            yield index.name, index.columns, index, False


def referenced_by_fk(ctx: Context, table: Table, columns: tuple[str, ...]) -> bool:
    return any(set(fk.ref_columns) == set(columns) for _, fk in ctx.foreign_keys_to(table.qualified))


def replace_unique_fix(
    ctx: Context,
    table: Table,
    name: str,
    columns: tuple[str, ...],
    index: Index | None,
    is_constraint: bool,
    *,
    new_keys: str,
    predicate: str | None,
    suffix: str,
) -> str:
    """A new unique index built concurrently, then the old key dropped (a plan where FKs depend on it)."""
    t = qualified_name(table.qualified)
    new_name = ctx.free_name(table.schema, constraint_name(table.name, [c for c in columns if c], suffix))
    method = f" USING {index.method}" if index and index.method != "btree" else ""
    include = f" INCLUDE ({idents(index.include)})" if index and index.include else ""
    conditions = [c for c in ((index.predicate if index else None), predicate) if c]
    where = " WHERE " + " AND ".join(f"({c})" for c in conditions) if conditions else ""
    concurrently = "" if table.kind == "partitioned_table" else " CONCURRENTLY"
    create = (
        f"CREATE UNIQUE INDEX{concurrently} {ident(new_name)} ON {t}{method} ({new_keys}){include}{where};"
    )
    if is_constraint:
        drop = f"ALTER TABLE {t} DROP CONSTRAINT {ident(name)};"
    else:
        drop = f"DROP INDEX{concurrently} {qualified_name(f'{table.schema}.{name}')};"
    if table.kind == "partitioned_table" or referenced_by_fk(ctx, table, columns):
        why = (
            "a partitioned table's unique index must include the partition key"
            if table.kind == "partitioned_table"
            else "foreign keys reference this key"
        )
        return "\n".join([f"-- Plan ({why}; adjust them first):", f"-- {create}", f"-- {drop}"])
    return f"{create}\n{drop}"


@rule(
    "soft-delete-full-unique",
    severity="warning",
    category="normalization",
    title="Soft delete with a full unique key",
    explanation="""Rows marked deleted still occupy their unique keys, so a user who deletes an account, a
    product or a slug cannot create the same one again and gets a confusing duplicate-key error. A partial
    unique index that covers only live rows enforces uniqueness where it matters.""",
)
def soft_delete_full_unique(ctx: Context) -> Iterable[Hit]:
    """
    Bad:
        CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL UNIQUE, deleted_at timestamptz);

    Good:
        CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL, deleted_at timestamptz);
        CREATE UNIQUE INDEX accounts_email_live_key ON accounts (email) WHERE deleted_at IS NULL;
    """
    for table in ctx.owner_tables:
        marker = next(
            (
                c
                for c in table.columns
                if naming.fold(c.name) in _SOFT_DELETE and (c.type == "boolean" or c.category == "D")
            ),
            None,
        )
        if marker is None:
            continue
        live = (
            f"{ident(marker.name)} IS NOT TRUE"
            if marker.type == "boolean"
            else f"{ident(marker.name)} IS NULL"
        )
        pk = table.primary_key.columns if table.primary_key else ()
        for name, columns, index, is_constraint in unique_keys(table):
            if (index is not None and index.predicate) or marker.name in columns or set(columns) == set(pk):
                continue
            if generated_key(table, columns):
                continue  # a generated surrogate is never entered again
            keys = index_keys_sql(index) if index is not None else idents(columns)
            yield Hit(
                table.qualified,
                f"{table.qualified} soft-deletes rows with {marker.name} but its unique key {name}"
                f" ({', '.join(columns)}) still counts deleted rows",
                columns=key_columns(table, columns),
                fix=replace_unique_fix(
                    ctx,
                    table,
                    name,
                    columns,
                    index,
                    is_constraint,
                    new_keys=keys,
                    predicate=live,
                    suffix="live_key",
                ),
            )


_STATUS_NAMES = {"status", "state", "type", "kind"}
# A bare type or kind is as often a class name (single-table inheritance) or an open set of event kinds as a
# closed list: only the values say which.
_OPEN_KIND_NAMES = {"type", "kind"}
_OPEN_KIND_NOTE = (
    "; a bare type may hold class names (single-table inheritance) or an open set of kinds rather than a"
    " closed list: the values in use (the query in the fix) settle whether a CHECK fits"
)
_ADDRESS_WORDS = {"city", "country", "zip", "zipcode", "postal", "postcode", "address", "province", "region"}


def _is_address_state(table: Table, column: str) -> bool:
    """`customers.state` beside city and country is a region of an address, not a status."""
    if naming.fold(column) != "state":
        return False
    return any(_ADDRESS_WORDS & set(naming.words(c)) for c in table.column_names)


@rule(
    "status-without-constraint",
    severity="info",
    category="normalization",
    title="Status column without a constraint",
    explanation="""A free-text status accepts any spelling: 'shipped', 'Shipped' and 'shiped' all go in, and
    reports that group by status quietly split. A CHECK listing the allowed values, an enum type or a foreign
    key to a small lookup table lets the database reject the typo.""",
)
def status_without_constraint(ctx: Context) -> Iterable[Hit]:
    """
    Bad:
        CREATE TABLE orders (id bigint PRIMARY KEY, status text NOT NULL);

    Good:
        CREATE TYPE shipment_state AS ENUM ('packed', 'shipped');
        CREATE TABLE orders (id bigint PRIMARY KEY, status text NOT NULL CHECK (status IN ('open', 'paid')));
        CREATE TABLE shipments (id bigint PRIMARY KEY, state shipment_state NOT NULL);
    """
    domains = {f"{d.schema}.{d.name}": d for d in ctx.catalog.domains}
    domains.update({d.name: d for d in ctx.catalog.domains})
    for table in ctx.owner_tables:
        in_fk = {c for fk in table.foreign_keys for c in fk.columns}
        for column in own_columns(ctx.catalog, table):
            if naming.fold(column.name) not in _STATUS_NAMES or type_family(column) != "text":
                continue
            if column.category == "E" or column.name in in_fk or _is_address_state(table, column.name):
                continue
            domain = domains.get(column.type.strip('"'))
            if domain is not None and domain.checks:
                continue
            if any(
                column.name in check.columns or _word_in(column.name, check.expression)
                for check in table.checks
            ):
                continue
            open_set = naming.fold(column.name) in _OPEN_KIND_NAMES
            yield Hit(
                table.qualified,
                f"{table.qualified}.{column.name} is free text ({column.type}) with no CHECK or lookup table"
                + (_OPEN_KIND_NOTE if open_set else ""),
                columns=(column.name,),
                fix=partial(_status_check_fix, table, column),
            )


def _status_check_fix(table: Table, column: Column) -> str:
    t = qualified_name(table.qualified)
    check_name = ident(constraint_name(table.name, [column.name], "check"))
    return "\n".join(
        [
            f"-- See the values in use: SELECT {ident(column.name)}, count(*) FROM {t} GROUP BY 1;",
            "-- then list the allowed ones (or reference a lookup table):",
            f"-- ALTER TABLE {t} ADD CONSTRAINT {check_name} CHECK ({ident(column.name)} IN ('...', '...')) NOT VALID;",
            f"-- ALTER TABLE {t} VALIDATE CONSTRAINT {check_name};",
        ]
    )


def _word_in(word: str, text: str) -> bool:
    return re.search(r"(?<![\w$])\"?" + re.escape(word) + r"\"?(?![\w$])", text) is not None


@rule(
    "inconsistent-column-type",
    severity="info",
    category="normalization",
    title="One column name, several types",
    explanation="""Columns that mean the same thing (they all reference the same table) but have different
    types force casts in joins, can defeat indexes, and make the narrower ones overflow first. Give them all
    the type of the column they reference.""",
)
def inconsistent_column_type(ctx: Context) -> Iterable[Hit]:
    """
    Bad:
        CREATE TABLE tenants (id bigint PRIMARY KEY);
        CREATE TABLE projects (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants);
        CREATE TABLE tasks (id bigint PRIMARY KEY, tenant_id integer NOT NULL REFERENCES tenants);

    Good:
        CREATE TABLE tenants (id bigint PRIMARY KEY);
        CREATE TABLE projects (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants);
        CREATE TABLE tasks (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants);
    """
    # A name qualifies only while every column of that name references one same target.
    occurrences: dict[str, list[Table]] = defaultdict(list)
    target_of: dict[str, tuple[str, str]] = {}
    ruled_out: set[str] = set()
    for table in ctx.owner_tables:
        single = {
            cols[0]: (ref, ref_cols[0]) for cols, ref, ref_cols, _ in ctx.references(table) if len(cols) == 1
        }
        for column in own_columns(ctx.catalog, table):
            name = column.name
            if name in ruled_out:
                continue
            target = single.get(name)
            if target is None or target_of.setdefault(name, target) != target:
                ruled_out.add(name)
                occurrences.pop(name, None)
                continue
            occurrences[name].append(table)
    for name, found in sorted(occurrences.items()):
        if len(found) < 2:
            continue
        ref, ref_col = target_of[name]
        types = Counter(t.column(name).type for t in found)
        if len(types) < 2:
            continue
        parent = ctx.catalog.table(ref)
        target_type = parent.column(ref_col).type if parent is not None and parent.column(ref_col) else None
        expected = target_type if target_type in types else types.most_common(1)[0][0]
        summary = ", ".join(f"{n} in {c} table(s)" for n, c in types.most_common())
        for table in found:
            actual = table.column(name).type
            if actual == expected:
                continue
            yield Hit(
                table.qualified,
                f"{table.qualified}.{name} is {actual} while other {name} columns referencing {ref} are {expected}"
                f" ({summary})",
                columns=(name,),
                related=(ref,),
                fix=alter_type_fix(
                    ctx.catalog,
                    table,
                    name,
                    expected,
                    f"{ident(name)}::{expected}",
                    notes=("Changing the type rewrites the table under an ACCESS EXCLUSIVE lock.",),
                ),
            )


@rule(
    "table-inheritance",
    severity="info",
    category="normalization",
    title="Classic table inheritance",
    explanation="""Inherited tables do not share the parent's primary key, unique constraints or foreign
    keys, so duplicates across children go unnoticed and nothing can reference the family as a whole.
    Declarative partitioning (for splitting data) or separate tables with a shared key (for subtypes) are
    better supported by PostgreSQL and tools.""",
)
def table_inheritance(ctx: Context) -> Iterable[Hit]:
    """
    Bad:
        CREATE TABLE vehicles (id bigint PRIMARY KEY, name text);
        CREATE TABLE trucks (payload_kg integer) INHERITS (vehicles);

    Good:
        CREATE TABLE vehicles (id bigint PRIMARY KEY, name text);
        CREATE TABLE trucks (id bigint PRIMARY KEY REFERENCES vehicles, payload_kg integer);
    """
    for table in ctx.owner_tables:
        if not table.inherits:
            continue
        t = qualified_name(table.qualified)
        yield Hit(
            table.qualified,
            f"{table.qualified} inherits from {', '.join(table.inherits)} (classic inheritance, not partitioning)",
            related=table.inherits,
            fix="\n".join(
                [
                    "-- Either make it a subtype table with its own key referencing the parent:",
                    *(f"-- ALTER TABLE {t} NO INHERIT {qualified_name(p)};" for p in table.inherits),
                    "-- (copy the parent's columns' rows first), or rebuild the family as a partitioned table.",
                ]
            ),
        )
