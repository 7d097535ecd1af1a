"""Verifying a bundle whose design moves tables into tenant schemas (see `tenant_moves`).

- the rows of a moved table are counted where it stands (the pool) plus in every tenant copy
  (a retired copy is not counted), so "no row lost" holds across the move;
- each tenant schema is compared with its template (schema-per-tenant's template schema, or the
  pooled tables a hybrid dedicated schema copies): a copy that differs is a failure.
"""

from __future__ import annotations

import dataclasses
import re

import psycopg

from studio.catalog import Catalog, Table
from studio.design.tenancy import TEMPLATE_SCHEMA
from studio.migrate import backfill, target_check
from studio.migrate.row_counts import relation_rows
from studio.migrate.tenant_moves import (
    MAPPING,
    PREFIX,
    RETIRED_SCHEMA,
    Moves,
    mapping_table,
    moves_of,
)
from studio.sql import qualified


def counted(url: str, moves: Moves, original: Catalog) -> dict[str, int]:
    """Rows of each moved table: where it stands (the pool; a retired copy is not counted) plus every tenant copy."""
    out: dict[str, int] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        mapped = conn.execute("SELECT to_regclass(%s)", (f"{backfill.SCHEMA}.{MAPPING}",)).fetchone()[0]
        schemas = [r[0] for r in conn.execute(f"SELECT schema_name FROM {mapping_table()}").fetchall()] if mapped else []
        for name in moves.tables:
            table = original.table(name)
            if table is None or table.kind == "partitioned_table":
                continue
            relations = [qualified(table.schema, table.name)] + [qualified(schema, moves.local(name)) for schema in schemas]
            out[name] = sum(relation_rows(conn, relation) for relation in relations)
    return out


def _as_template(table: Table, schema: str, templates: dict[str, Table]) -> Table:
    """A tenant copy spelled as its template table, so the two compare by meaning."""
    def repoint(name: str | None) -> str | None:
        if name and name.split(".", 1)[0] == schema and name.split(".", 1)[1] in templates:
            return templates[name.split(".", 1)[1]].qualified
        return name

    template = templates[table.name]
    fks = tuple(dataclasses.replace(fk, ref_table=repoint(fk.ref_table)) for fk in table.foreign_keys)
    return dataclasses.replace(table, schema=template.schema, foreign_keys=fks, partition_of=repoint(table.partition_of))


def separate_copies(design, migrated: Catalog) -> tuple[Catalog, list[str]]:
    """The migrated model without the tenant schemas and the retired tables; each tenant copy compared with its template."""
    moves = moves_of(design)
    if moves is None:
        return migrated, []
    target = design.target
    known = set(target.schema_names)
    created = set(re.findall(r"CREATE TABLE ([\w.]+) \(", "\n".join(design.extra_sql)))
    if moves.retires:
        sources = [t for t in target.stored_tables if t.schema == TEMPLATE_SCHEMA]
    else:  # what provision_dedicated_tenant() copies: every pooled tenant table (blueprints' too) and its partitions
        pooled = set(design.scope.tables) if design.scope else set(moves.tables.values())
        sources = [t for t in target.stored_tables if t.qualified in pooled or t.partition_of in pooled]
    # provisioning copies by CREATE TABLE ... LIKE, which carries no row level security or policies
    templates = {t.name: dataclasses.replace(t, policies=(), rls_enabled=False, rls_forced=False) for t in sources}
    # an index the pool holds INVALID (a failed CONCURRENTLY build) is built valid in the new, empty tables
    invalid = {(t.name, i.keys, i.unique) for t in sources for i in t.indexes if not i.valid}
    kept, failures = [], []
    for table in migrated.tables:
        if table.schema == RETIRED_SCHEMA or table.qualified in created:
            continue
        table = dataclasses.replace(table, indexes=tuple(i for i in table.indexes if (table.name, i.keys, i.unique) not in invalid))
        if table.schema in known or not table.schema.startswith(PREFIX):
            kept.append(table)
            continue
        if not table.is_stored:
            continue
        if table.name not in templates:
            failures.append(f"{table.qualified}: a tenant schema holds a table the template does not have")
            continue
        spelled = _as_template(table, table.schema, templates)
        failures += [f"{table.schema}: {d}" for d in target_check.table_differences(templates[table.name], spelled)]
    return dataclasses.replace(migrated, tables=tuple(kept)), failures
