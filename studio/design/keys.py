"""Surrogate key strategy: bigint identity or UUIDv7, with the foreign-key columns that follow.

A surrogate is a primary-key column filled by an identity or a sequence (or a uuid with a
default). Natural keys (text codes, composite business keys) are kept as they are.
"""

from __future__ import annotations

import dataclasses
import re

from studio.catalog import Catalog, Column
from studio.design.notes import Note

INTEGER_TYPES = ("smallint", "integer", "bigint")

# PostgreSQL 18 has uuidv7(); before it, public.uuidv7() builds one from gen_random_uuid() (core since 13): the
# first 48 bits become the Unix time in milliseconds, and the version nibble is turned from 4 (0100) into 7 (0111)
# by setting bits 52 and 53. Which body is chosen where the DDL runs, not where it was planned: a DDL file is read
# on the embedded server, whose version says nothing about the user's.
UUIDV7_SQL = """DO $setup$
BEGIN
    IF to_regprocedure('pg_catalog.uuidv7()') IS NOT NULL THEN
        CREATE FUNCTION public.uuidv7() RETURNS uuid LANGUAGE sql VOLATILE PARALLEL SAFE
        AS $uuidv7$ SELECT pg_catalog.uuidv7() $uuidv7$;
    ELSE
        CREATE FUNCTION public.uuidv7() RETURNS uuid LANGUAGE sql VOLATILE PARALLEL SAFE
        AS $uuidv7$
        SELECT encode(
            set_bit(set_bit(
                overlay(uuid_send(gen_random_uuid())
                        placing substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                        FROM 1 FOR 6),
                52, 1), 53, 1),
            'hex')::uuid
        $uuidv7$;
    END IF;
END
$setup$"""


def _surrogates(catalog: Catalog) -> dict[tuple[str, str], Column]:
    found = {}
    for t in catalog.stored_tables:
        if t.kind == "partition" or t.primary_key is None:
            continue
        for name in t.primary_key.columns:
            c = t.column(name)
            if c is None:
                continue
            filled = c.identity or c.sequence_filled
            if (c.type in INTEGER_TYPES and filled) or (c.type == "uuid" and c.default):
                found[(t.qualified, name)] = c
    return found


def _mentions(text: str, columns: list[str]) -> bool:
    return any(re.search(rf"(?<![\w$]){re.escape(c)}(?![\w$])", text) for c in columns)


def apply_keys(catalog: Catalog, strategy: str) -> tuple[Catalog, list[str], list[Note]]:
    """Returns (catalog, setup SQL, notes)."""
    if strategy == "keep":
        return catalog, [], []
    surrogates = _surrogates(catalog)
    new_type = "bigint" if strategy == "bigint-identity" else "uuid"
    changed: dict[tuple[str, str], str] = {key: new_type for key in surrogates if strategy == "uuidv7" or surrogates[key].type != "uuid"}
    # Foreign-key columns follow their referenced column, transitively (a key may reference a key).
    grew = True
    while grew:
        grew = False
        for t in catalog.stored_tables:
            for fk in t.foreign_keys:
                for col, ref in zip(fk.columns, fk.ref_columns, strict=False):
                    if (fk.ref_table, ref) in changed and (t.qualified, col) not in changed:
                        changed[(t.qualified, col)] = new_type
                        grew = True
    dropped_sequences = set()
    dropped_checks = []
    tables = []
    for t in catalog.tables:
        owners = (t.qualified, *((t.partition_of,) if t.partition_of else ()), *t.inherits)
        columns = []
        for c in t.columns:
            keys = [(owner, c.name) for owner in owners if (owner, c.name) in changed]
            if not keys:
                columns.append(c)
                continue
            surrogate = any(k in surrogates for k in keys)
            if c.sequence:
                dropped_sequences.add(c.sequence)
            if strategy == "bigint-identity" and surrogate:
                columns.append(dataclasses.replace(c, type="bigint", base_type="bigint", identity=c.identity or "by default", default=None, sequence=None))
            elif strategy == "uuidv7" and surrogate:
                columns.append(dataclasses.replace(c, type="uuid", base_type="uuid", category="U", identity=None, sequence=None, default="public.uuidv7()"))
            else:
                columns.append(dataclasses.replace(c, type=new_type, base_type=new_type, category="N" if new_type == "bigint" else "U", default=None if c.sequence_filled else c.default, sequence=None))
        checks = t.checks
        if strategy == "uuidv7":
            checks = tuple(ch for ch in t.checks if not any((o, col) in changed for o in owners for col in ch.columns))
            dropped_checks += [f"{t.qualified}.{ch.name}" for ch in t.checks if ch not in checks]
        policies = t.policies
        if strategy == "uuidv7":
            converted = [c.name for c in t.columns if any((o, c.name) in changed for o in owners)]
            policies = tuple(p for p in t.policies if not _mentions(f"{p.using} {p.with_check}", converted))
            dropped_checks += [f"policy {t.qualified}.{p.name}" for p in t.policies if p not in policies]
        tables.append(dataclasses.replace(t, columns=tuple(columns), checks=checks, policies=policies))
    sequences = tuple(
        s for s in catalog.sequences
        if f"{s.schema}.{s.name}" not in dropped_sequences
        and not (s.owned_by and tuple(s.owned_by.rsplit(".", 1)) in changed)
    )
    target = dataclasses.replace(catalog, tables=tuple(tables), sequences=sequences)
    setup = []
    notes = []
    follows = len(changed) - len(surrogates)
    if strategy == "uuidv7":
        if not any(f.name == "uuidv7" and f.schema == "public" for f in catalog.functions):
            setup.append(UUIDV7_SQL + ";")
        notes.append(Note(
            "keys",
            f"UUIDv7 keys: {len(surrogates)} primary keys, {follows} foreign-key columns follow",
            "UUIDv7 values are time-ordered, so inserts append to the right of the B-tree like a sequence does, and "
            "ids can be made by the application or another database without a round trip. Each key and each "
            "foreign key is 16 bytes instead of 8 (bigint) or 4 (integer), in the table and in every index that "
            "holds it; the creation time is readable from the id. "
            + "public.uuidv7() calls the built-in uuidv7() on PostgreSQL 18 and later, and before 18 builds one from "
              "gen_random_uuid(). "
            + (f"Checks and policies on converted columns dropped (they compare numbers; rewrite them for uuid): {', '.join(dropped_checks)}." if dropped_checks else ""),
            "primary-key columns filled by an identity, a sequence or a uuid default, and the foreign keys that reference them",
        ))
    else:
        notes.append(Note(
            "keys",
            f"bigint identity keys: {len(surrogates)} primary keys, {follows} foreign-key columns follow",
            "Identity columns replace serial defaults (the sequence belongs to the column, survives dumps and grants "
            "cleanly) and bigint removes the 2.1 billion ceiling of integer; converting an integer key rewrites the "
            "table and every referencing table under an ACCESS EXCLUSIVE lock, so large tables need an online "
            "migration (new column, backfill, swap).",
            "primary-key columns filled by an identity or a sequence, and the foreign keys that reference them",
        ))
    return target, setup, notes
