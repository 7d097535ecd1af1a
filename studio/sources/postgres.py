"""A live PostgreSQL (13 to 17) read into a Catalog, read-only, with a fixed number of queries.

Each object kind has one catalog query in `queries/*.sql`, batched over every table at once,
so the number of round trips does not grow with the schema (18 queries at most). `scope.sql`
picks the user schemas (optionally filtered) and their relations, leaving out extension-owned
objects, once; the other queries receive those oids. Everything runs in read-only,
repeatable-read transactions on one snapshot: a large schema is read by three connections in
parallel, the extra two importing the first one's exported snapshot.

Sizes (`Table.total_bytes`, `Index.size_bytes`) are pg_class.relpages as of the last VACUUM,
ANALYZE or CREATE INDEX, not pg_total_relation_size(), which opens and stats every relation
and would cost more than all the rest on a large schema; a table never analyzed has None.

Connection strings (libpq or SQLAlchemy URLs, `key=value` conninfo) are read and opened by
`studio.db`; labels and error messages go through its `redact()` and `scrub()`.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cache
from pathlib import Path

import psycopg
import psycopg.adapt

from studio.catalog import (
    Catalog,
    CheckConstraint,
    Column,
    Domain,
    EnumType,
    ExclusionConstraint,
    ForeignKey,
    Function,
    Index,
    IndexKey,
    Note,
    Partitioning,
    Policy,
    PrimaryKey,
    Schema,
    Table,
    Trigger,
    UniqueConstraint,
)
from studio.catalog import Sequence as SequenceInfo
from studio.db import connect_readonly, redact, scrub
from studio.errors import SourceError
from studio.gc_pause import cyclic_gc_paused
from studio.sql import idents

QUERIES = Path(__file__).with_name("queries")

_KIND = {"r": "table", "p": "partitioned_table", "v": "view", "m": "materialized_view", "f": "foreign_table"}
_PERSISTENCE = {"p": "permanent", "u": "unlogged", "t": "temporary"}
_FK_ACTION = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
_FK_MATCH = {"s": "SIMPLE", "f": "FULL", "p": "PARTIAL"}
_POLICY_COMMAND = {"*": "ALL", "r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE"}
_STRATEGY = {"r": "range", "l": "list", "h": "hash"}
_FUNCTION_KIND = {"f": "function", "p": "procedure", "a": "aggregate", "w": "window"}
_IDENTITY = {"a": "always", "d": "by default"}


# Queries ---------------------------------------------------------------------------------------


@cache
def query_text(name: str, server_version_num: int = 160000) -> str:
    """The catalog query `queries/<name>.sql`, with the shared scope and version switches spliced in."""
    text = (QUERIES / f"{name}.sql").read_text(encoding="utf-8")
    scope = (QUERIES / "_scope.sql").read_text(encoding="utf-8")
    nulls_not_distinct = "ci.indnullsnotdistinct" if name == "constraints" else "i.indnullsnotdistinct"
    delete_set_columns = "con.confdelsetcols"  # ON DELETE SET NULL (columns), PostgreSQL 15+
    if server_version_num < 150000:
        nulls_not_distinct, delete_set_columns = "false", "NULL::int2[]"
    return (text.replace("__SCOPE__", scope.strip()).replace("__NULLS_NOT_DISTINCT__", nulls_not_distinct)
            .replace("__DELETE_SET_COLUMNS__", delete_set_columns))


class _CharBinaryLoader(psycopg.adapt.Loader):
    """PostgreSQL's one-byte "char" (relkind, contype, ...) as a str; its empty value is a NUL.

    The queries cast the "char" columns they return to text, which psycopg parses in C (this
    loader is a Python call per value); it stays for any "char" a query returns uncast."""

    format = psycopg.pq.Format.BINARY

    def load(self, data) -> str:
        return bytes(data).rstrip(b"\x00").decode()


def _run(conn: psycopg.Connection, name: str, version: int, params: dict) -> list[tuple]:
    # binary results: arrays of oids and attnums parse several times faster than their text
    with conn.cursor(binary=True) as cur:
        cur.adapters.register_loader('"char"', _CharBinaryLoader)
        cur.execute(query_text(name, version), params)
        return cur.fetchall()


# Introspection ---------------------------------------------------------------------------------


def introspect(
    url: str,
    *,
    schemas: Sequence[str] | None = None,
    statement_timeout_ms: int = 60000,
    connect_timeout_s: int = 10,
) -> Catalog:
    """Read every table, constraint, index, policy, type, sequence and function in scope."""
    timeouts = {"statement_timeout_ms": statement_timeout_ms, "connect_timeout_s": connect_timeout_s}
    with cyclic_gc_paused():  # its closing pass runs after _read's rows are freed, over the catalog only
        return _read(url, schemas, timeouts)


def _read(url: str, schemas: Sequence[str] | None, timeouts: dict) -> Catalog:
    params: dict = {"schemas": list(schemas) if schemas else None}
    label = redact(url)
    statement_timeout_ms = timeouts["statement_timeout_ms"]
    with connect_readonly(url, **timeouts) as conn:
        try:
            database, server_version, version = conn.execute(query_text("server")).fetchone()
            snapshot = _export_snapshot(conn)
            ((namespaces, relations),) = _run(conn, "scope", version, params)
            params.update(nsp=namespaces, rels=relations)
            rows = _read_all(conn, url, version, params, timeouts, snapshot)

            def index_definitions(oids: list[int]) -> dict[int, str]:
                return dict(_run(conn, "index_definitions", version, {"oids": oids}))

            return _assemble(
                rows, index_definitions, database=database, server_version=server_version, source=label
            )
        except psycopg.errors.QueryCanceled:
            raise SourceError(
                f"reading the catalog of {label} took longer than the statement timeout of "
                f"{statement_timeout_ms} ms: raise the statement timeout or narrow it with --schema"
            ) from None
        except psycopg.Error as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise SourceError(scrub(f"could not read the catalog of {label}: {first}", url)) from None


# The queries, in groups of similar server cost. Large schemas read the groups in parallel,
# one connection each, all on the main transaction's exported snapshot. The columns query is
# the longest; what its assembly needs from the others comes first in their groups.
_QUERY_GROUPS = (
    ("columns", "types", "schemas", "enums", "domains", "functions", "extensions", "opclasses"),
    ("column_sequences", "constraints", "tables", "triggers", "policies"),
    ("indexes", "sequences"),
)
PARALLEL_FROM_RELATIONS = 500


def _export_snapshot(conn: psycopg.Connection) -> str | None:
    """The transaction's snapshot for parallel readers; None where the server refuses it (the
    transaction then restarts, before any catalog query, and everything is read on `conn`)."""
    try:
        return conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
    except psycopg.errors.QueryCanceled:
        raise
    except psycopg.Error:
        conn.rollback()
        return None


class _Results(dict):
    """Query results by name. A result another connection reads is waited for when first used,
    so assembling the columns overlaps the other readers' queries. A result of None means that
    connection could not be opened: the main connection reads it then."""

    def __init__(self, rows: dict, pending: dict[str, Future], read_here):
        super().__init__(rows)
        self._pending = pending
        self._read_here = read_here

    def __missing__(self, name: str) -> list[tuple]:
        rows = self._pending[name].result()
        self[name] = rows if rows is not None else self._read_here(name)
        return self[name]


def _read_group(conn: psycopg.Connection, group: tuple[str, ...], version: int, params: dict, publish=None) -> dict:
    rows = {}
    for name in group:
        if name == "types":  # the types the columns use, walked from their oids
            rows[name] = _run(conn, name, version, {"typids": sorted({r[4] for r in rows["columns"]})})
        else:
            rows[name] = _run(conn, name, version, params)
        if publish:
            publish(name, rows[name])
    return rows


def _read_all(
    conn: psycopg.Connection, url: str, version: int, params: dict, timeouts: dict, snapshot: str | None
) -> dict:
    main_group, *other_groups = _QUERY_GROUPS
    if snapshot is None or len(params["rels"]) < PARALLEL_FROM_RELATIONS:
        return {name: rows for group in _QUERY_GROUPS for name, rows in _read_group(conn, group, version, params).items()}
    pending = {name: Future() for group in other_groups for name in group}

    def read_group(group: tuple[str, ...]) -> None:
        futures = {name: pending[name] for name in group}
        outcome: BaseException | None = None
        try:
            with connect_readonly(url, snapshot=snapshot, **timeouts) as worker:
                _read_group(worker, group, version, params, lambda name, rows: futures[name].set_result(rows))
        except SourceError:  # no spare connection: the main one reads what is left of this group
            pass
        except BaseException as exc:  # noqa: BLE001  (re-raised in the main thread where the result is used)
            outcome = exc
        finally:  # every future ends set, or the main thread would wait for ever
            for future in futures.values():
                if future.done():
                    continue
                if outcome is None:
                    future.set_result(None)
                else:
                    future.set_exception(outcome)

    pool = ThreadPoolExecutor(max_workers=len(other_groups))
    for group in other_groups:
        pool.submit(read_group, group)
    pool.shutdown(wait=False)  # the submitted reads go on; the threads end with them
    rows = _read_group(conn, main_group, version, params)
    return _Results(rows, pending, lambda name: _run(conn, name, version, params))


def _assemble(
    rows: dict[str, list[tuple]], index_definitions, *, database: str, server_version: str, source: str
) -> Catalog:
    notes: list[Note] = []  # tables' first, then sequences'
    tables = _tables(rows, index_definitions, notes)
    sequences = _sequences(rows["sequences"], notes)
    return Catalog(
        tables=_roll_up_partitions(tables),
        schemas=tuple(Schema(n, c) for n, c in rows["schemas"]),
        enums=tuple(EnumType(s, n, tuple(labels)) for s, n, labels in rows["enums"]),
        domains=tuple(
            Domain(s, n, base, nullable, default, tuple(checks))
            for s, n, base, nullable, default, checks in rows["domains"]
        ),
        sequences=tuple(sequences),
        functions=tuple(
            Function(
                s, n, args, returns, lang, _FUNCTION_KIND.get(kind, "function"), secdef, tuple(cfg), body
            )
            for s, n, args, returns, lang, kind, secdef, cfg, body in rows["functions"]
        ),
        extensions=tuple(r[0] for r in rows["extensions"]),
        notes=tuple(notes),
        source=source,
        server_version=server_version,
        database=database,
    )


def _tables(rows: dict[str, list[tuple]], index_definitions, notes: list[Note]) -> list[Table]:
    """Every relation with its columns, constraints, indexes, triggers and policies; a note for each
    one the user cannot read."""
    columns, attributes = _columns(rows["columns"], _type_resolver(rows["types"]), rows["column_sequences"])
    constraints = _constraints(rows["constraints"], attributes)
    indexes = _indexes(rows["indexes"], attributes, rows["opclasses"], index_definitions)
    triggers = _group(rows["triggers"], lambda r: Trigger(r[1], r[2], r[3], r[4]))
    policies = _group(
        rows["policies"], lambda r: Policy(r[1], _POLICY_COMMAND[r[2]], tuple(r[3]), r[4], r[5], r[6])
    )

    tables: list[Table] = []
    for r in rows["tables"]:
        (oid, schema, name, relkind, is_partition, persistence, rls, rls_forced, tuples, size,
         comment, view_def, bound, parents, strategy, partkey, partcols, can_select) = r  # fmt: skip
        qualified = f"{schema}.{name}"
        if not can_select:
            notes.append(
                Note("warning", f"no SELECT privilege on {qualified}: its rows cannot be checked", qualified)
            )
        cons = constraints.get(oid, {})
        tables.append(
            Table(
                schema=schema,
                name=name,
                kind="partition" if is_partition else _KIND[relkind],
                columns=columns.get(oid, ()),
                primary_key=cons.get("p"),
                uniques=tuple(cons.get("u", ())),
                foreign_keys=tuple(cons.get("f", ())),
                checks=tuple(cons.get("c", ())),
                exclusions=tuple(cons.get("x", ())),
                indexes=indexes.get(oid, ()),
                triggers=triggers.get(oid, ()),
                rls_enabled=rls,
                rls_forced=rls_forced,
                policies=policies.get(oid, ()),
                partitioning=Partitioning(_STRATEGY[strategy], partkey, tuple(partcols))
                if strategy
                else None,
                partition_of=parents[0] if is_partition and parents else None,
                partition_bound=bound,
                inherits=() if is_partition else tuple(parents),
                persistence=_PERSISTENCE.get(persistence, "permanent"),
                row_estimate=tuples,
                total_bytes=None
                if size is None
                else size + sum(i.size_bytes or 0 for i in indexes.get(oid, ())),
                comment=comment,
                view_definition=view_def,
            )
        )
    return tables


def _sequences(rows: list[tuple], notes: list[Note]) -> list[SequenceInfo]:
    sequences = []
    for schema, name, data_type, max_value, readable, last_value, owned_by in rows:
        if not readable:
            notes.append(
                Note(
                    "warning",
                    f"cannot read sequence {schema}.{name}: its last value is unknown",
                    f"{schema}.{name}",
                )
            )
        sequences.append(SequenceInfo(schema, name, data_type, last_value, max_value, owned_by))
    return sequences


def _group(rows: list[tuple], make) -> dict[int, tuple]:
    grouped: dict[int, list] = defaultdict(list)
    for r in rows:
        grouped[r[0]].append(make(r))
    return {k: tuple(v) for k, v in grouped.items()}


def _type_resolver(rows: list[tuple]):
    """type oid -> (base type name, category, is_array), looking through domains and arrays."""
    types = {r[0]: r for r in rows}
    resolved: dict[int, tuple[str, str, bool]] = {}

    def through_domains(oid: int) -> int:
        seen = 0
        while oid in types and types[oid][1] == "d" and seen < 32:
            oid, seen = types[oid][2], seen + 1
        return oid

    def resolve(oid: int) -> tuple[str, str, bool]:
        if oid not in resolved:
            base = through_domains(oid)
            is_array = False
            if base in types and types[base][4] == "A" and types[base][3]:
                base, is_array = through_domains(types[base][3]), True
            row = types.get(base)
            resolved[oid] = (row[5], row[4], is_array) if row else ("", "", is_array)
        return resolved[oid]

    return resolve


class _Attributes:
    """Per table: attnum -> name, quoted name and collation oid (for constraints and indexes)."""

    def __init__(self):
        self.names: dict[int, dict[int, str]] = {}
        self.quoted: dict[int, dict[int, str]] = {}
        self.collations: dict[int, dict[int, int]] = {}


def _columns(
    rows: list[tuple], resolve, column_sequences: list[tuple]
) -> tuple[dict[int, tuple[Column, ...]], _Attributes]:
    """Rows come ordered by table: each table's containers are looked up once, not per column."""
    sequences = {(relid, attnum): name for relid, attnum, name in column_sequences}
    # Columns repeat across tables (id, tenant_id, created_at ...): equal frozen Columns are shared,
    # which saves time, memory and garbage-collector work on a large schema.
    shared: dict[tuple, Column] = {}
    by_table: dict[int, tuple[Column, ...]] = {}
    attributes = _Attributes()
    current, columns = None, []
    for (relid, attnum, name, type_, typid, nullable, default, identity, generated, coll, comment,
         quoted, collation_oid) in rows:  # fmt: skip
        if relid != current:
            if current is not None:
                by_table[current] = tuple(columns)
            current, columns = relid, []
            names = attributes.names[relid] = {}
            quoted_names = attributes.quoted[relid] = {}
            collations = attributes.collations[relid] = {}
        base, category, is_array = resolve(typid)
        fields = (
            name, type_, nullable, None if generated else default, _IDENTITY.get(identity), sequences.get((relid, attnum)),
            default if generated else None, coll, comment, category, base, is_array,
        )  # fmt: skip
        column = shared.get(fields)
        if column is None:
            column = shared[fields] = Column(*fields)
        columns.append(column)
        names[attnum] = name
        quoted_names[attnum] = quoted
        collations[attnum] = collation_oid
    if current is not None:
        by_table[current] = tuple(columns)
    return by_table, attributes


def _constraints(rows: list[tuple], attributes: _Attributes) -> dict[int, dict[str, object]]:
    out: dict[int, dict[str, object]] = defaultdict(dict)
    for (relid, name, kind, conkey, ref_table, ref_relid, ref_attnums, ref_columns, on_delete, delete_set, on_update,
         match, deferrable, deferred, validated, definition, nulls_not_distinct) in rows:  # fmt: skip
        cols = _names(attributes, relid, conkey)
        slot = out[relid]
        if kind == "p":
            slot["p"] = PrimaryKey(name, cols)
        elif kind == "u":
            slot.setdefault("u", []).append(
                UniqueConstraint(name, cols, bool(nulls_not_distinct), deferrable)
            )
        elif kind == "f":
            slot.setdefault("f", []).append(
                ForeignKey(
                    name,
                    cols,
                    ref_table,
                    tuple(ref_columns) if ref_columns is not None else _names(attributes, ref_relid, ref_attnums),
                    _FK_ACTION[on_delete] + (f" ({idents(_names(attributes, relid, delete_set))})" if delete_set else ""),
                    _FK_ACTION[on_update],
                    _FK_MATCH[match],
                    deferrable,
                    deferred,
                    validated,
                )  # fmt: skip
            )
        elif kind == "c":
            slot.setdefault("c", []).append(CheckConstraint(name, definition, cols, validated))
        elif kind == "x":
            slot.setdefault("x", []).append(ExclusionConstraint(name, definition, cols))
    return out


def _names(attributes: _Attributes, relid: int, attnums) -> tuple[str, ...]:
    names = attributes.names.get(relid, {})
    return tuple(names.get(n, str(n)) for n in attnums or ())


_DEFAULT_COLLATION = 100  # pg_collation "default"


def _key_suffix(option: int) -> str:
    if option & 1:
        return " DESC" if option & 2 else " DESC NULLS LAST"
    return " NULLS FIRST" if option & 2 else ""


def _indexes(
    rows: list[tuple], attributes: _Attributes, lookups: list[tuple], fetch_definitions
) -> dict[int, tuple[Index, ...]]:
    """Indexes per table oid. `fetch_definitions(oids)` returns {oid: pg_get_indexdef} for the
    indexes whose definition cannot be rebuilt from their parts (one query for all of them)."""
    opclasses = {oid: (name, default) for kind, oid, name, default in lookups if kind == "o"}
    collations = {oid: name for kind, oid, name, _ in lookups if kind == "c"}
    # Keys repeat across indexes (the same column names, options and classes): equal frozen
    # IndexKeys are shared, which saves time and memory on a large schema.
    shared_keys: dict[tuple, IndexKey] = {}
    parsed = []
    rebuild_failed: list[int] = []
    no_names: dict[int, str] = {}
    for (relid, oid, name, quoted_name, on_only, quoted_table, nkeys, indkey, indoption, expressions,
         indclass, indcollation, unique, primary, constraint, method, predicate, valid, nulls_not_distinct,
         plain, size) in rows:  # fmt: skip
        names = attributes.names.get(relid, no_names)
        quoted = attributes.quoted.get(relid, no_names)
        column_collations = attributes.collations.get(relid, no_names)
        attnums = indkey or []
        options = indoption or []
        classes = indclass or []
        colls = indcollation or []
        keys = []
        key_texts = []
        for pos in range(nkeys):
            attnum = attnums[pos]
            option = options[pos] if pos < len(options) else 0
            column = names.get(attnum) if attnum else None
            opclass_name, opclass_default = (
                opclasses.get(classes[pos], ("", True)) if pos < len(classes) else ("", True)
            )
            coll = colls[pos] if pos < len(colls) else 0
            usual = column_collations.get(attnum, 0) if column is not None else _DEFAULT_COLLATION
            collation = collations.get(coll) if coll and coll != usual else None
            expression = column if column is not None else ((expressions or [])[pos] or "")
            opclass = None if opclass_default else opclass_name
            shape = (expression, column, option, opclass, collation)
            key = shared_keys.get(shape)
            if key is None:
                key = shared_keys[shape] = IndexKey(expression, column, bool(option & 1), bool(option & 2), opclass, collation)
            keys.append(key)
            plain = plain and column is not None and opclass_default and collation is None
            if plain:
                key_texts.append(quoted[attnum] + _key_suffix(option))
        include = tuple(names.get(n, str(n)) for n in attnums[nkeys:])
        definition = ""
        if plain:
            definition = (
                f"CREATE {'UNIQUE ' if unique else ''}INDEX {quoted_name} ON {'ONLY ' if on_only else ''}"
                f"{quoted_table} USING {method} ({', '.join(key_texts)})"
            )
            if include:
                definition += f" INCLUDE ({', '.join(quoted[n] for n in attnums[nkeys:])})"
            if nulls_not_distinct:
                definition += " NULLS NOT DISTINCT"
        else:
            rebuild_failed.append(oid)
        parsed.append((relid, oid, Index(
            name, tuple(keys), unique, primary, constraint, method, predicate, include, valid,
            bool(nulls_not_distinct), definition, size,
        )))  # fmt: skip
    definitions = fetch_definitions(rebuild_failed) if rebuild_failed else {}
    by_table: dict[int, list[Index]] = defaultdict(list)
    for relid, oid, index in parsed:
        if oid in definitions:
            index = dataclasses.replace(index, definition=definitions[oid])
        by_table[relid].append(index)
    return {k: tuple(v) for k, v in by_table.items()}


def _roll_up_partitions(tables: list[Table]) -> tuple[Table, ...]:
    """A partitioned table stores nothing itself: its size (and, when never analyzed, its row
    estimate) is the sum over its partitions, recursively."""

    children: dict[str, list[Table]] = defaultdict(list)
    for t in tables:
        if t.partition_of:
            children[t.partition_of].append(t)
    if not children:
        return tuple(tables)
    by_name = {t.qualified: t for t in tables}

    def totals(name: str, depth: int = 0) -> tuple[int | None, int | None]:
        t = by_name[name]
        if name not in children or depth > 64:
            return t.total_bytes, t.row_estimate
        size_sum, rows_sum = 0, 0
        any_size = any_rows = False
        for child in children[name]:
            size, rows = totals(child.qualified, depth + 1)
            if size is not None:
                size_sum, any_size = size_sum + size, True
            if rows is not None:
                rows_sum, any_rows = rows_sum + rows, True
        own_rows = t.row_estimate
        return (size_sum if any_size else None), (
            own_rows if own_rows is not None else (rows_sum if any_rows else None)
        )

    out = []
    for t in tables:
        if t.partitioning is not None and t.qualified in children:
            size, rows = totals(t.qualified)
            t = dataclasses.replace(t, total_bytes=size, row_estimate=rows)
        out.append(t)
    return tuple(out)
