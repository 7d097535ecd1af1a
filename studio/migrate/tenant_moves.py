"""Designs that move tables: the rows of pooled tenant tables move into per-tenant schemas.

schema-per-tenant (every tenant table moves into the template schema; each tenant gets a copy):
- expand: the mapping table `schema_studio_migration.tenant_schemas` (tenant key -> schema name);
- backfill: every tenant row gets its schema by `public.provision_tenant(name)`, one commit per
  tenant; then one step per tenant table, parents first, copies each tenant's rows into its
  schema in primary-key batches, a commit per batch, progress per tenant and table (re-run continues);
- cleanse: rows whose tenant is NULL or unknown move to the quarantine (never dropped);
- validate: pooled rows = sum of the per-tenant copies, per table, or the script RAISEs;
- contract: the pooled originals move to `schema_studio_retired` (ALTER TABLE ... SET SCHEMA):
  out of the application's path, not destroyed; the final DROP is a person's, after the window.

hybrid (pooled RLS tables plus dedicated schemas for `dedicated_tenants`), after the RLS contract:
- contract: each dedicated tenant's schema by `public.provision_dedicated_tenant(name)`, then its
  rows copied from the pool and only then deleted from it, counts checked in the same transaction,
  one transaction per tenant (a re-run skips tenants already moved); downs copy them back first.

Schema names (the mapping, collision-free by construction and by a UNIQUE constraint):
- integer keys: `tenant_<slug>_<key>` where slug is the tenant's slug (or code, handle, name) in
  lower case with every run of other characters turned into `_`, cut to fit 40 characters; the key
  after the last `_` has no `_` itself, so two tenants never share a name; `tenant_<key>` without a slug;
- uuid keys: `tenant_<the uuid's 32 hex digits>`;
- other keys: `tenant_<key cleaned and cut to 31>_<first 8 hex digits of md5(key)>`.
A hybrid dedicated tenant name matches the tenant row whose cleaned slug, or whose key, equals it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from studio.catalog import Catalog, Table
from studio.ddl import add_foreign_key, foreign_key_clause
from studio.design.tenancy import TEMPLATE_SCHEMA, move_tables
from studio.migrate import backfill, quarantine
from studio.migrate.plan import Step, duration_class
from studio.sql import ident, literal, qualified, qualified_name

RETIRED_SCHEMA = "schema_studio_retired"
MAPPING = "tenant_schemas"
PREFIX = "tenant_"
MODELS = ("schema-per-tenant", "hybrid")
SLUG_COLUMNS = ("slug", "subdomain", "handle", "code", "short_name", "name")
SETTING = "app.tenant_id"
_MARK = "\x07"  # stands for the tenant schema in a format() string until it is escaped


def mapping_table() -> str:
    return qualified(backfill.SCHEMA, MAPPING)


@dataclass(frozen=True)
class Moves:
    """What moves where: original pooled table -> its name in every tenant schema (same name in the template)."""

    model: str
    tenant_table: str
    tenant_key: str
    tenant_type: str
    tables: dict[str, str]  # original qualified name (partitions included) -> template (or pool) qualified name
    roots: tuple[str, ...]  # original tables copied (not partitions), parents first
    dedicated: tuple[str, ...] = ()

    @property
    def retires(self) -> bool:
        return self.model == "schema-per-tenant"

    def local(self, original: str) -> str:
        return self.tables[original].split(".", 1)[1]


def moves_of(design) -> Moves | None:
    model = design.decisions.tenancy.model
    scope = design.scope
    if model not in MODELS or scope is None:
        return None
    current, target = design.current, design.target
    names = [n for n in scope.tables if current.table(n) is not None]
    if model == "schema-per-tenant":
        _, renames, _ = move_tables(current, names, TEMPLATE_SCHEMA)
    else:
        renames = {n: n for n in names}
        renames |= {t.qualified: t.qualified for t in current.tables if t.partition_of in names}
    renames = {k: v for k, v in renames.items() if target.table(v) is not None}
    roots = _parents_first(current, [n for n in names if n in renames])
    return Moves(model, scope.tenant_table, scope.tenant_key, scope.tenant_type, renames, tuple(roots),
                 dedicated_names(design.decisions.tenancy.dedicated_tenants))


def clean_name(name: str) -> str:
    """A dedicated tenant's name as its schema suffix: what provision_dedicated_tenant() and the mapping accept."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:40].strip("_")


def dedicated_names(names) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c for c in map(clean_name, names) if c))


def _parents_first(catalog: Catalog, names: list[str]) -> list[str]:
    inside = set(names)
    done: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in done or name in path:
            return
        for fk in catalog.table(name).foreign_keys:
            if fk.ref_table in inside and fk.ref_table != name:
                visit(fk.ref_table, (*path, name))
        done.append(name)

    for name in names:
        visit(name, ())
    return done


# SQL pieces -------------------------------------------------------------------------------------


def tenant_condition(scope, catalog: Catalog, name: str, alias: str, key: str, depth: int = 0) -> str:
    """Rows of `name` (as `alias`) that belong to tenant `key`: its tenant column, or its parent path."""
    scoped = scope.tables[name]
    if not scoped.added:
        return f"{alias}.{ident(scoped.column)} = {key}"
    if scoped.parent is None or scoped.via is None or depth > 8:
        return "false"  # no path to a tenant: every row is the quarantine's
    parent = catalog.table(scoped.parent)
    p = f"p{depth}"
    inner = tenant_condition(scope, catalog, scoped.parent, p, key, depth + 1)
    left = ", ".join(f"{alias}.{ident(c)}" for c in scoped.via.columns)
    right = ", ".join(f"{p}.{ident(c)}" for c in scoped.via.ref_columns)
    return f"({left}) IN (SELECT {right} FROM {qualified(parent.schema, parent.name)} AS {p} WHERE {inner})"


def _slug_column(tenant: Table) -> str | None:
    for name in SLUG_COLUMNS:
        column = tenant.column(name)
        if column is not None and (column.type in ("text", "citext") or column.type.startswith(("character", "varchar"))):
            return name
    return None


def _clean(expression: str) -> str:
    return f"trim(both '_' from regexp_replace(lower({expression}), '[^a-z0-9]+', '_', 'g'))"


def tenant_name_sql(tenant: Table, key: str, alias: str = "t") -> str:
    """The tenant's schema name without the prefix (see the module docstring for the mapping)."""
    column = tenant.column(key)
    k = f"{alias}.{ident(key)}"
    if column.type in ("bigint", "integer", "smallint"):
        digits = f"replace({k}::text, '-', 'm')"
        slug = _slug_column(tenant)
        if slug is None:
            return digits
        part = f"trim(both '_' from left({_clean(f'{alias}.{ident(slug)}::text')}, 39 - length({digits})))"
        return f"CASE WHEN {part} = '' THEN {digits} ELSE {part} || '_' || {digits} END"
    if column.type == "uuid":
        return f"replace({k}::text, '-', '')"
    return f"left({_clean(f'{k}::text')}, 31) || '_' || left(md5({k}::text), 8)"


def _fmt(sql: str) -> str:
    """A format() string: % escaped, the tenant schema as %1$I."""
    return literal(sql.replace("%", "%%").replace(_MARK, "%1$I"))


def _insertable(table: Table) -> list[str]:
    return [c.name for c in table.columns if not c.generated]


def _sequence_statements(table: Table, dest_local: str) -> list[str]:
    """Sequences of the copy's identity and serial columns continue after the copied values."""
    out = []
    for c in table.columns:
        if c.identity:
            sequence = f"pg_get_serial_sequence(format('%I.%I', _schema, {literal(dest_local)}), {literal(c.name)})"
        else:
            m = re.match(r"nextval\('(.+)'::regclass\)", c.default or "")
            if m is None:
                continue
            sequence = literal(m.group(1).replace("''", "'"))
        out.append(
            f"        EXECUTE format('SELECT max(%I)::bigint FROM %I.%I', {literal(c.name)}, _schema, {literal(dest_local)}) INTO _max;\n"
            f"        IF _max IS NOT NULL THEN\n"
            f"            PERFORM setval({sequence}, greatest(_max, coalesce(pg_sequence_last_value(({sequence})::regclass), 0)));\n"
            "        END IF;\n")
    return out


# schema-per-tenant ------------------------------------------------------------------------------


def backward_foreign_keys(moves: Moves, target: Catalog) -> list[tuple[str, str, str]]:
    """(local table, constraint, clause with the tenant schema marked) of the template's foreign keys that point at
    a table copied at the same time or later (cycles, self-references): the copies get them after the rows."""
    order = {moves.local(n): i for i, n in enumerate(moves.roots)}
    out = []
    for name in moves.roots:
        table = target.table(moves.tables[name])
        for fk in table.foreign_keys:
            ref = target.table(fk.ref_table)
            if ref is None or fk.ref_table not in moves.tables.values() or order.get(ref.name, -1) < order[table.name]:
                continue
            clause = foreign_key_clause(fk).replace(
                f"REFERENCES {qualified_name(fk.ref_table)} (", f"REFERENCES {_MARK}.{ident(ref.name)} (", 1)
            out.append((table.name, fk.name, clause))
    return out


def mapping_setup(moves: Moves) -> Step:
    table = mapping_table()
    return Step(
        phase="expand", name="tenant_schema_mapping", title=f"create the tenant -> schema mapping {backfill.SCHEMA}.{MAPPING}",
        up=(f"CREATE TABLE IF NOT EXISTS {table} (\n"
            "    tenant_name text PRIMARY KEY CHECK (tenant_name ~ '^[a-z0-9_]{1,40}$'),\n"
            "    tenant_key text UNIQUE,\n"
            "    schema_name text NOT NULL UNIQUE,\n"
            "    provisioned_at timestamptz\n"
            ");",),
        down=(f"DROP TABLE IF EXISTS {table};",),
        lock="none on application tables", risk="None: a new table in the migration's own schema.",
        duration_class="seconds",
        squawk_ignore=(("ban-drop-table", "rollback of the mapping table this plan created"),))


def _refresh_mapping(moves: Moves, tenant: Table) -> str:
    name = tenant_name_sql(tenant, moves.tenant_key)
    return (f"    INSERT INTO {mapping_table()} (tenant_name, tenant_key, schema_name)\n"
            f"    SELECT {name}, t.{ident(moves.tenant_key)}::text, {literal(PREFIX)} || {name}\n"
            f"    FROM {qualified_name(moves.tenant_table)} AS t\n"
            "    ON CONFLICT (tenant_key) DO NOTHING;\n")


def provision_step(moves: Moves, current: Catalog, target: Catalog) -> Step:
    tenant = current.table(moves.tenant_table)
    drops = "".join(
        f"            EXECUTE format('ALTER TABLE %I.%I DROP CONSTRAINT IF EXISTS %I', _tenant.schema_name, {literal(local)}, {literal(fk)});\n"
        for local, fk, _ in backward_foreign_keys(moves, target))
    up = (
        "DO $provision$\nDECLARE\n    _tenant record;\nBEGIN\n"
        + _refresh_mapping(moves, tenant) +
        f"    FOR _tenant IN SELECT tenant_name, schema_name FROM {mapping_table()} ORDER BY schema_name LOOP\n"
        "        IF to_regnamespace(_tenant.schema_name) IS NULL THEN\n"
        "            PERFORM public.provision_tenant(_tenant.tenant_name);\n"
        + drops +
        f"            UPDATE {mapping_table()} SET provisioned_at = now() WHERE tenant_name = _tenant.tenant_name;\n"
        "            RAISE NOTICE 'provisioned schema %', _tenant.schema_name;\n"
        "        END IF;\n"
        "        COMMIT;\n"
        "    END LOOP;\n"
        "END\n$provision$;"
    )
    return Step(
        phase="backfill", name="provision_tenant_schemas", title="provision one schema per tenant (public.provision_tenant)",
        up=(up,), down=(_drop_tenant_schemas(moves),), transactional=False,
        lock="none on application tables (new schemas)",
        risk=f"One schema per row of {moves.tenant_table}, a commit each; a re-run provisions only the missing ones. "
             "Foreign keys of the copies that point at a table copied later (cycles, self-references) are added back by the "
             "validate step, once the rows are in. New tenants created later need provision_tenant() by the application.",
        duration_class=duration_class(tenant.row_estimate * 20 if tenant.row_estimate else 0),
        tables=(moves.tenant_table,),
        squawk_ignore=(("ban-drop-schema", "rollback: tenant schemas go only once the pooled originals are back in place"),))


def _pooled_in_place(moves: Moves) -> str:
    checks = "".join(
        f"    IF to_regclass({literal(qualified_name(name))}) IS NULL THEN\n"
        f"        RAISE EXCEPTION 'the pooled table % is not back in place: run the later downs first', {literal(name)};\n"
        "    END IF;\n" for name in moves.roots)
    return checks


def _drop_tenant_schemas(moves: Moves) -> str:
    return (
        "DO $drop$\nDECLARE\n    _tenant record;\nBEGIN\n"
        f"    IF to_regclass({literal(mapping_table())}) IS NULL THEN\n        RETURN;\n    END IF;\n"
        + _pooled_in_place(moves) +
        f"    FOR _tenant IN SELECT schema_name FROM {mapping_table()} LOOP\n"
        "        EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', _tenant.schema_name);\n"
        "    END LOOP;\n"
        f"    DELETE FROM {mapping_table()};\n"
        "END\n$drop$;"
    )


def _label(name: str) -> str:
    return f"tenant-move:{name}"


def _not_quarantined(name: str, alias: str) -> str:
    return (f"NOT EXISTS (SELECT 1 FROM {quarantine.quarantine_table()} AS q WHERE q.step = {literal(_label(name))} "
            f"AND q.original = to_jsonb({alias}))")


def _quarantine_copy(name: str, table: Table, where: str, reason: str) -> str:
    """The rows stay in the pooled table (retired, not destroyed later); the quarantine holds their copy and the reason."""
    return (f"INSERT INTO {quarantine.quarantine_table()} (step, source_table, reason, original) "
            f"SELECT {literal(_label(name))}, {literal(name)}, {literal(reason)}, to_jsonb(c) "
            f"FROM {qualified(table.schema, table.name)} AS c WHERE {where} AND {_not_quarantined(name, 'c')}")


def _dynamic_move(name: str, table: Table, where: str, reason: str) -> str:
    """A quarantine copy as an EXECUTE statement: `where` names the tenant schema and $1 (the key)."""
    return (f"        EXECUTE format({_fmt(_quarantine_copy(name, table, where, reason))}, _schema) USING _key;\n"
            "        GET DIAGNOSTICS _rows = ROW_COUNT;\n"
            "        IF _rows > 0 THEN\n"
            f"            RAISE NOTICE 'quarantined % row(s) of % (tenant %): %', _rows, {literal(name)}, _key, {literal(reason)};\n"
            "        END IF;\n")


def _orphans_before(moves: Moves, scope, current: Catalog, name: str) -> str:
    """Rows that reference a moved parent row missing from the tenant's copy (never there, or quarantined) cannot follow."""
    table = current.table(name)
    order = {n: i for i, n in enumerate(moves.roots)}
    out = []
    for fk in table.foreign_keys:
        if fk.ref_table not in order or order[fk.ref_table] >= order[name]:
            continue
        present = " AND ".join(f"c.{ident(c)} IS NOT NULL" for c in fk.columns)
        join = " AND ".join(f"p.{ident(r)} = c.{ident(c)}" for c, r in zip(fk.columns, fk.ref_columns, strict=True))
        where = (f"{tenant_condition(scope, current, name, 'c', '$1')} AND {present} AND NOT EXISTS "
                 f"(SELECT 1 FROM {_MARK}.{ident(moves.local(fk.ref_table))} AS p WHERE {join})")
        out.append(_dynamic_move(name, table, where, f"orphan: no {fk.ref_table} row for {', '.join(fk.columns)} in the tenant's schema"))
    return "".join(out)


def _uncopied_after(moves: Moves, scope, current: Catalog, name: str) -> str:
    """Rows the copy skipped (a unique key of the copy they break: duplicates) move to the quarantine."""
    table = current.table(name)
    if not table.primary_key:
        return ""
    match = " AND ".join(f"y.{ident(c)} = c.{ident(c)}" for c in table.primary_key.columns)
    where = (f"{tenant_condition(scope, current, name, 'c', '$1')} AND NOT EXISTS "
             f"(SELECT 1 FROM {_MARK}.{ident(moves.local(name))} AS y WHERE {match})")
    return _dynamic_move(name, table, where, "duplicate: breaks a unique key of the tenant's schema (not copied)")


def copy_step(moves: Moves, scope, current: Catalog, name: str, batch_size: int = backfill.BATCH_SIZE) -> Step:
    table = current.table(name)
    dest = moves.local(name)
    columns = _insertable(table)
    cols = ", ".join(ident(c) for c in columns)
    source = qualified(table.schema, table.name)
    cond = tenant_condition(scope, current, name, "x", "$1")
    progress = backfill.progress_table()
    key = [table.column(c) for c in table.primary_key.columns] if table.primary_key else []
    step_key = f"'move {name} -> ' || _tenant.schema_name"
    select = f"SELECT {', '.join('x.' + ident(c) for c in columns)} FROM {source} AS x"
    if key:
        k = [ident(c.name) for c in key]
        row = f"({', '.join('x.' + c for c in k)})"
        n = len(key)
        last = ", ".join(f"${3 + i}" for i in range(n))
        upper = ", ".join(f"${3 + n + i}" for i in range(n))
        after = f"(NOT $2 OR {row} > ({last}))"
        batch_sql = (f"SELECT {', '.join('b.' + c for c in k)} FROM (SELECT {', '.join('x.' + c for c in k)} FROM {source} AS x "
                     f"WHERE {cond} AND {after} ORDER BY {', '.join('x.' + c for c in k)} LIMIT {batch_size}) AS b "
                     f"ORDER BY {', '.join('b.' + c + ' DESC' for c in k)} LIMIT 1")
        insert_sql = (f"INSERT INTO {_MARK}.{ident(dest)} ({cols}) OVERRIDING SYSTEM VALUE {select} "
                      f"WHERE {cond} AND {after} AND {row} <= ({upper}) AND {_not_quarantined(name, 'x')} ON CONFLICT DO NOTHING")
        ls = [f"_l{i}" for i in range(n)]
        us = [f"_u{i}" for i in range(n)]
        declare = "".join(f"    {a} {c.type};\n    {b} {c.type};\n" for a, b, c in zip(ls, us, key, strict=True))
        restore = "".join(f"            {a} := (_last_text::jsonb ->> {i})::{c.type};\n" for i, (a, c) in enumerate(zip(ls, key, strict=True)))
        reset = "".join(f"        {a} := NULL;\n" for a in ls)
        body = (
            reset +
            "        _started := _last_text IS NOT NULL;\n"
            "        IF _started THEN\n"
            f"            RAISE NOTICE 'resuming the move of % into % after key % (% rows done)', {literal(name)}, _tenant.schema_name, _last_text, _done;\n"
            + restore +
            "        END IF;\n"
            "        LOOP\n"
            f"            EXECUTE format({_fmt(batch_sql)}) INTO {', '.join(us)} USING _key, _started, {', '.join(ls)};\n"
            f"            EXIT WHEN {us[0]} IS NULL;\n"
            f"            EXECUTE format({_fmt(insert_sql)}, _tenant.schema_name) USING _key, _started, {', '.join(ls)}, {', '.join(us)};\n"
            "            GET DIAGNOSTICS _rows = ROW_COUNT;\n"
            "            _done := _done + _rows;\n"
            + "".join(f"            {a} := {b};\n" for a, b in zip(ls, us, strict=True)) +
            "            _started := true;\n"
            f"            UPDATE {progress} SET last_key = jsonb_build_array({', '.join(us)})::text, rows_done = _done, updated_at = now() WHERE step = _step;\n"
            "            COMMIT;\n"
            "        END LOOP;\n"
        )
        batched = True
    else:  # no key to resume from: one transaction per tenant, skipped once finished
        declare = ""
        insert_sql = f"INSERT INTO {_MARK}.{ident(dest)} ({cols}) OVERRIDING SYSTEM VALUE {select} WHERE {cond} AND {_not_quarantined(name, 'x')}"
        body = (
            "        IF _finished IS NULL THEN\n"
            f"            EXECUTE format({_fmt(insert_sql)}, _tenant.schema_name) USING _key;\n"
            "            GET DIAGNOSTICS _rows = ROW_COUNT;\n"
            "            _done := _done + _rows;\n"
            "        END IF;\n"
        )
        batched = False
    up = (
        "DO $move$\nDECLARE\n    _tenant record;\n    _step text;\n    _last_text text;\n    _done bigint;\n    _rows bigint;\n"
        f"    _started boolean;\n    _finished timestamptz;\n    _max bigint;\n    _schema text;\n"
        f"    _key {moves.tenant_type};\n" + declare + "BEGIN\n"
        f"    FOR _tenant IN SELECT tenant_key, schema_name FROM {mapping_table()} WHERE tenant_key IS NOT NULL ORDER BY schema_name LOOP\n"
        f"        _step := {step_key};\n"
        "        _schema := _tenant.schema_name;\n"
        f"        _key := _tenant.tenant_key::{moves.tenant_type};\n"
        f"        INSERT INTO {progress} (step) VALUES (_step) ON CONFLICT (step) DO NOTHING;\n"
        f"        SELECT last_key, rows_done, finished_at INTO _last_text, _done, _finished FROM {progress} WHERE step = _step;\n"
        + _orphans_before(moves, scope, current, name) + body + _uncopied_after(moves, scope, current, name) +
        "".join(_sequence_statements(table, dest)) +
        f"        UPDATE {progress} SET rows_done = _done, finished_at = now(), updated_at = now() WHERE step = _step;\n"
        "        COMMIT;\n"
        f"        RAISE NOTICE 'moved % rows of % into %', _done, {literal(name)}, _tenant.schema_name;\n"
        "    END LOOP;\n"
        "END\n$move$;"
    )
    down = (
        "DO $undo$\nDECLARE\n    _tenant record;\nBEGIN\n"
        f"    IF to_regclass({literal(mapping_table())}) IS NULL THEN\n        RETURN;\n    END IF;\n"
        + _pooled_in_place(moves) +
        f"    FOR _tenant IN SELECT schema_name FROM {mapping_table()} LOOP\n"
        f"        IF to_regclass(format('%I.%I', _tenant.schema_name, {literal(dest)})) IS NOT NULL THEN\n"
        f"            EXECUTE format('TRUNCATE %I.%I CASCADE', _tenant.schema_name, {literal(dest)});  -- copies only\n"
        "        END IF;\n"
        f"        DELETE FROM {progress} WHERE step = {step_key};\n"
        "    END LOOP;\n"
        "END\n$undo$;"
    )
    restore = f"DELETE FROM {quarantine.quarantine_table()} WHERE step = {literal(_label(name))};"
    return Step(
        phase="backfill", name=_slug("move", table.name), title=f"copy each tenant's rows of {name} into its schema",
        up=(up,), down=(down, restore), transactional=False,
        lock=f"ROW EXCLUSIVE on the tenant copies; {name} is only read (reads and writes continue)",
        risk=(f"Batches of {batch_size} rows in key order, a commit each, progress per tenant in {progress}: interrupted, "
              "run it again and it continues after the last committed key. Rows written to the pooled table after the copy "
              "are picked up by a re-run (rows already copied are skipped); changes to rows already copied are not: switch "
              "the application to the tenant schemas, or pause writes, before the validate step. Rows that cannot follow "
              "(their parent is not in the tenant's schema, or they break a unique key there) move to the quarantine.") if batched else
             (f"{name} has no primary key: each tenant's rows are copied in one transaction, skipped once finished; "
              "a re-run does not pick up rows written after that tenant's copy."),
        duration_class=duration_class(table.row_estimate), tables=(name,),
        squawk_ignore=(("prefer-robust-stmts", "the loop commits per batch and is resumable; a re-run continues"),))


def _slug(*parts: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", "_".join(parts).lower()).strip("_")[:60]


def cleanse_step(moves: Moves, scope, current: Catalog) -> Step:
    tenant = qualified_name(moves.tenant_table)
    key = ident(moves.tenant_key)
    up = []
    for name in moves.roots:
        where = f"NOT EXISTS (SELECT 1 FROM {tenant} AS t WHERE {tenant_condition(scope, current, name, 'c', 't.' + key)})"
        reason = f"no tenant: the row's tenant is NULL or not in {moves.tenant_table}"
        up.append(_quarantine_copy(name, current.table(name), where, reason) + ";")
    return Step(
        phase="cleanse", name="quarantine_rows_without_tenant", title="quarantine pooled rows whose tenant is NULL or unknown",
        up=tuple(up), down=(f"DELETE FROM {quarantine.quarantine_table()} WHERE step LIKE 'tenant-move:%';",),
        lock="ACCESS SHARE on the pooled tables (reads only)",
        risk="Rows no tenant owns cannot follow into a tenant schema: the quarantine gets their copy with the reason; they "
             "stay in the pooled table, which the contract step retires without destroying. Review them with the data owners.",
        duration_class=duration_class(max((current.table(n).row_estimate or 0) for n in moves.roots)),
        tables=moves.roots)


def _count_check(moves: Moves, name: str, dest: str, pooled_where: str = "") -> str:
    source = qualified_name(name)
    return (
        f"    SELECT count(*) INTO _pooled FROM {source}{pooled_where};\n"
        "    _copied := 0;\n"
        f"    FOR _tenant IN SELECT schema_name FROM {mapping_table()} WHERE tenant_key IS NOT NULL LOOP\n"
        f"        EXECUTE format('SELECT count(*) FROM %I.%I', _tenant.schema_name, {literal(dest)}) INTO _rows;\n"
        "        _copied := _copied + _rows;\n"
        "    END LOOP;\n"
        f"    SELECT count(*) INTO _rows FROM {quarantine.quarantine_table()} WHERE step = {literal(_label(name))};\n"
        "    IF _pooled <> _copied + _rows THEN\n"
        f"        RAISE EXCEPTION '%: % pooled rows but % in the tenant schemas + % quarantined: re-run the copy steps', {literal(name)}, _pooled, _copied, _rows;\n"
        "    END IF;\n"
        f"    RAISE NOTICE '%: % pooled rows = % copied + % quarantined', {literal(name)}, _pooled, _copied, _rows;\n"
    )


def validate_step(moves: Moves, current: Catalog, target: Catalog) -> Step:
    body = "".join(_count_check(moves, name, moves.local(name)) for name in moves.roots)
    readd = "".join(
        f"        IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = {literal(fk)}\n"
        f"                       AND conrelid = format('%I.%I', _tenant.schema_name, {literal(local)})::regclass) THEN\n"
        f"            EXECUTE format({_fmt(f'ALTER TABLE {_MARK}.{ident(local)} ADD CONSTRAINT {ident(fk)} {clause} NOT VALID')}, _tenant.schema_name);\n"
        f"            EXECUTE format('ALTER TABLE %I.%I VALIDATE CONSTRAINT %I', _tenant.schema_name, {literal(local)}, {literal(fk)});\n"
        "        END IF;\n"
        for local, fk, clause in backward_foreign_keys(moves, target))
    if readd:
        body += (f"    FOR _tenant IN SELECT schema_name FROM {mapping_table()} WHERE provisioned_at IS NOT NULL LOOP\n"
                 + readd + "    END LOOP;\n")
    up = ("DO $validate$\nDECLARE\n    _tenant record;\n    _pooled bigint;\n    _copied bigint;\n    _rows bigint;\nBEGIN\n"
          + body + "END\n$validate$;")
    return Step(
        phase="validate", name="tenant_copies_complete", title="check every pooled row is in its tenant's schema",
        up=(up,), down=("-- nothing to undo: a read-only check",),
        lock="ACCESS SHARE (reads only)",
        risk="RAISEs (and stops the migration) unless each pooled table's rows = the sum of its tenant copies + its "
             "quarantined rows: re-run the copy steps, then this one.",
        duration_class=duration_class(max((current.table(n).row_estimate or 0) for n in moves.roots)), tables=moves.roots)


def retire_step(moves: Moves, current: Catalog, target: Catalog) -> Step:
    up = [f"CREATE SCHEMA IF NOT EXISTS {ident(RETIRED_SCHEMA)};"]
    down = []
    moved = set(moves.tables)
    for seq in current.sequences:  # serial sequences stay where the template's defaults point
        if seq.owned_by and seq.owned_by.rpartition(".")[0] in moved:
            table, _, column = seq.owned_by.rpartition(".")
            if current.table(table).column(column) is None or current.table(table).column(column).identity:
                continue  # an identity's own sequence moves with its table
            up.append(f"ALTER SEQUENCE {qualified(seq.schema, seq.name)} OWNED BY NONE;")
            down.append(f"ALTER SEQUENCE {qualified(seq.schema, seq.name)} OWNED BY {qualified_name(table)}.{ident(column)};")
    for name in moves.tables:
        table = current.table(name)
        local = moves.local(name)
        if local != table.name:
            up.append(f"ALTER TABLE {qualified(table.schema, table.name)} RENAME TO {ident(local)};")
        up.append(f"ALTER TABLE {qualified(table.schema, local)} SET SCHEMA {ident(RETIRED_SCHEMA)};")
        back = [f"ALTER TABLE {qualified(RETIRED_SCHEMA, local)} SET SCHEMA {ident(table.schema)};"]
        if local != table.name:
            back.append(f"ALTER TABLE {qualified(table.schema, local)} RENAME TO {ident(table.name)};")
        down = back + down
    down.append(f"DROP SCHEMA IF EXISTS {ident(RETIRED_SCHEMA)};")
    return Step(
        phase="contract", name="retire_pooled_tables", title=f"retire the pooled tenant tables into {RETIRED_SCHEMA}",
        up=tuple(up), down=tuple(down),
        lock="ACCESS EXCLUSIVE on each pooled table, catalog-only (milliseconds; waits behind long transactions)",
        risk=f"CONTRACT: the pooled originals leave the application's path (their old names stop resolving) but keep every "
             f"row in {RETIRED_SCHEMA}; nothing is dropped. Once the compatibility window is over and the tenant schemas "
             f"are trusted, a person drops {RETIRED_SCHEMA} (DROP SCHEMA {RETIRED_SCHEMA} CASCADE); the down moves them back.",
        duration_class="seconds", tables=tuple(moves.tables),
        squawk_ignore=(("ban-drop-schema", "rollback of the empty retired schema; RESTRICT keeps data"),
                       ("renaming-object", "a pooled table whose name the template gave another schema's table"),
                       ("ban-set-schema", "the pooled originals leave the application's path on purpose: the tenant schemas replace them")))


# hybrid -----------------------------------------------------------------------------------------


def _dedicated_mapping(moves: Moves, tenant: Table) -> str:
    slug = _slug_column(tenant)
    key = f"t.{ident(moves.tenant_key)}"
    match = f"{key}::text = d.name" + (f" OR {_clean(f't.{ident(slug)}::text')} = d.name" if slug else "")
    names = ", ".join(literal(n) for n in moves.dedicated)
    return (f"    INSERT INTO {mapping_table()} (tenant_name, tenant_key, schema_name)\n"
            f"    SELECT d.name, (SELECT {key}::text FROM {qualified_name(moves.tenant_table)} AS t WHERE {match} ORDER BY 1 LIMIT 1),\n"
            f"           {literal(PREFIX)} || d.name\n"
            f"    FROM unnest(ARRAY[{names}]::text[]) WITH ORDINALITY AS d(name, position)\n"
            "    ORDER BY d.position\n"
            "    ON CONFLICT DO NOTHING;  -- two names for one tenant: the first listed wins\n")


def dedicated_provision_step(moves: Moves, current: Catalog) -> Step:
    tenant = current.table(moves.tenant_table)
    up = (
        "DO $provision$\nDECLARE\n    _tenant record;\nBEGIN\n" + _dedicated_mapping(moves, tenant) +
        f"    FOR _tenant IN SELECT tenant_name, tenant_key, schema_name FROM {mapping_table()} ORDER BY schema_name LOOP\n"
        "        IF to_regnamespace(_tenant.schema_name) IS NULL THEN\n"
        "            PERFORM public.provision_dedicated_tenant(_tenant.tenant_name);\n"
        f"            UPDATE {mapping_table()} SET provisioned_at = now() WHERE tenant_name = _tenant.tenant_name;\n"
        "        END IF;\n"
        "        IF _tenant.tenant_key IS NULL THEN\n"
        f"            RAISE NOTICE 'dedicated tenant %: no row of {moves.tenant_table} matches it; its schema % is empty', "
        "_tenant.tenant_name, _tenant.schema_name;\n"
        "        END IF;\n"
        "    END LOOP;\n"
        "END\n$provision$;"
    )
    down = (
        "DO $drop$\nDECLARE\n    _tenant record;\n    _rows bigint;\nBEGIN\n"
        f"    IF to_regclass({literal(mapping_table())}) IS NULL THEN\n        RETURN;\n    END IF;\n"
        f"    FOR _tenant IN SELECT schema_name FROM {mapping_table()} LOOP\n"
        + "".join(
            f"        IF to_regclass(format('%I.%I', _tenant.schema_name, {literal(moves.local(n))})) IS NOT NULL THEN\n"
            f"            EXECUTE format('SELECT count(*) FROM %I.%I', _tenant.schema_name, {literal(moves.local(n))}) INTO _rows;\n"
            "            IF _rows > 0 THEN\n"
            f"                RAISE EXCEPTION '% still holds % rows of %: run the down of the move first', _tenant.schema_name, _rows, {literal(n)};\n"
            "            END IF;\n"
            "        END IF;\n" for n in moves.roots) +
        "        EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', _tenant.schema_name);\n"
        "    END LOOP;\n"
        f"    DELETE FROM {mapping_table()};\n"
        "END\n$drop$;"
    )
    return Step(
        phase="contract", name="provision_dedicated_tenants", title="provision the dedicated tenants' schemas",
        up=(up,), down=(down,), lock="none on application tables (new schemas)",
        risk="CONTRACT (runs after the pooled keys are swapped, so each copy has the final shape): a schema per name in "
             "dedicated_tenants; a name no tenant row matches gets an empty schema and a NOTICE.",
        duration_class="seconds", tables=(moves.tenant_table,),
        squawk_ignore=(("ban-drop-schema", "rollback: only empty dedicated schemas are dropped, after their rows are back"),))


def _same_row(key: list[str], left: str, right: str) -> str:
    return " AND ".join(f"{left}.{k} IS NOT DISTINCT FROM {right}.{k}" for k in key)


def _one_statement(parts: list[str], alias: str, names: list[str]) -> str:
    """Data-modifying CTEs in one statement: foreign keys are checked at its end, so cycles (shops <-> users) pass;
    the statement returns the rows each part touched, by table."""
    ctes = ", ".join(f"{alias}{i} AS ({sql} RETURNING 1)" for i, sql in enumerate(parts))
    counts = ", ".join(f"{literal(n)}, (SELECT count(*) FROM {alias}{i})" for i, n in enumerate(names))
    return f"WITH {ctes} SELECT jsonb_build_object({counts})"


def _dedicated_label(schema: str = "_schema") -> str:
    return f"'dedicated-move:' || {schema}"


def _held(name: str, alias: str, label: str = "_label") -> str:
    """The row `alias` of `name` is held back (in the quarantine under this tenant's move)."""
    return (f"EXISTS (SELECT 1 FROM {quarantine.quarantine_table()} AS h WHERE h.step = {label} "
            f"AND h.source_table = {literal(name)} AND h.original = to_jsonb({alias}))")


def _hold(name: str, pool: str, column: str, where: str, reason: str) -> str:
    return (f"        INSERT INTO {quarantine.quarantine_table()} (step, source_table, reason, original)\n"
            f"        SELECT _label, {literal(name)}, {literal(reason)}, to_jsonb(x) FROM {pool} AS x\n"
            f"        WHERE x.{column} = _key AND {where} AND NOT {_held(name, 'x')};\n"
            "        GET DIAGNOSTICS _rows = ROW_COUNT;\n"
            "        _grew := _grew + _rows;\n")


def _moved_foreign_keys(moves: Moves, target: Catalog):
    """(child, parent, foreign key) between the moved tables, spelled in the pool."""
    inside = {moves.tables[n]: n for n in moves.roots}
    for name in moves.roots:
        for fk in target.table(moves.tables[name]).foreign_keys:
            if fk.ref_table in inside:
                yield name, inside[fk.ref_table], fk


def _held_back(moves: Moves, scope, current: Catalog, target: Catalog) -> str:
    """Rows the dedicated schema cannot take move to the quarantine in the tenant's transaction: duplicates of a unique
    key the pool holds INVALID (the copy's is valid), orphans under a NOT VALID foreign key, and, to a fixpoint, the
    rows that reference a held-back row."""
    seeds, follow = [], []
    for name in moves.roots:
        table = target.table(moves.tables[name])
        pool = qualified(table.schema, table.name)
        column = ident(scope.column(name))
        before = current.table(name)
        invalid = {i.name for i in before.indexes if not i.valid} | {i.name for i in table.indexes if not i.valid}
        order = ([ident(c) for c in table.primary_key.columns] if table.primary_key else ["ctid"])
        for index in table.indexes:
            if not index.unique or index.name not in invalid or index.predicate or any(k.column is None for k in index.keys):
                continue
            compare = "IS NOT DISTINCT FROM" if index.nulls_not_distinct else "="
            same = " AND ".join(f"y.{ident(k.column)} {compare} x.{ident(k.column)}" for k in index.keys)
            first = f"({', '.join('y.' + c for c in order)}) < ({', '.join('x.' + c for c in order)})"
            where = f"EXISTS (SELECT 1 FROM {pool} AS y WHERE y.{column} = _key AND {same} AND {first})"
            seeds.append(_hold(name, pool, column, where,
                               f"duplicate: breaks the unique key ({', '.join(k.column for k in index.keys)}) of the dedicated schema"))
    for child, parent, fk in _moved_foreign_keys(moves, target):
        table, ref = target.table(moves.tables[child]), target.table(moves.tables[parent])
        pool, ref_pool = qualified(table.schema, table.name), qualified(ref.schema, ref.name)
        column = ident(scope.column(child))
        present = " AND ".join(f"x.{ident(c)} IS NOT NULL" for c in fk.columns)
        join = " AND ".join(f"p.{ident(r)} = x.{ident(c)}" for c, r in zip(fk.columns, fk.ref_columns, strict=True))
        if not fk.validated:
            seeds.append(_hold(child, pool, column, f"{present} AND NOT EXISTS (SELECT 1 FROM {ref_pool} AS p WHERE {join})",
                               f"orphan: no {parent} row for {', '.join(fk.columns)}"))
        follow.append(_hold(
            child, pool, column,
            f"{present} AND EXISTS (SELECT 1 FROM {quarantine.quarantine_table()} AS q CROSS JOIN LATERAL "
            f"jsonb_populate_record(NULL::{ref_pool}, q.original) AS p WHERE q.step = _label AND q.source_table = {literal(parent)} AND {join})",
            f"dependent: references a {parent} row the dedicated schema cannot take"))
    if not seeds:
        return ""
    return ("        _grew := 0;\n" + "".join(seeds) +
            "        _held := _grew;\n"
            "        WHILE _grew > 0 LOOP\n"
            "            _grew := 0;\n" + "".join(follow).replace("\n        ", "\n            ").replace("        INSERT", "            INSERT", 1) +
            "            _held := _held + _grew;\n"
            "        END LOOP;\n"
            "        IF _held > 0 THEN\n"
            "            RAISE NOTICE 'tenant %: % row(s) the dedicated schema cannot take moved to the quarantine', _key, _held;\n"
            "        END IF;\n")


def _orphans_back(moves: Moves, target: Catalog) -> tuple[str, str, str]:
    """Down: quarantined orphans go back under a NOT VALID foreign key, which checks new rows: the key is dropped
    for the insert and added back NOT VALID, as it was (in the tenant's transaction). (declarations, relax, restore)"""
    declare, relax, restore = [], [], []
    keys = [(child, fk) for child, _, fk in _moved_foreign_keys(moves, target) if not fk.validated]
    for i, (child, fk) in enumerate(keys):
        table = target.table(moves.tables[child])
        flag = f"_orphans{i}"
        declare.append(f"    {flag} boolean;\n")
        relax.append(
            f"        {flag} := EXISTS (SELECT 1 FROM {quarantine.quarantine_table()} WHERE step = {_dedicated_label()} "
            f"AND source_table = {literal(child)} AND reason LIKE 'orphan:%');\n"
            f"        IF {flag} THEN\n"
            f"            ALTER TABLE {qualified(table.schema, table.name)} DROP CONSTRAINT {ident(fk.name)};\n"
            "        END IF;\n")
        restore.append(f"        IF {flag} THEN\n            {add_foreign_key(table, fk, not_valid=True)}\n        END IF;\n")
    return "".join(declare), "".join(relax), "".join(restore)


def dedicated_move_step(moves: Moves, scope, current: Catalog, target: Catalog) -> Step:
    roots = list(moves.roots)
    copies, checks, back, back_checks, purges = [], [], [], [], []
    for name in roots:
        table = target.table(moves.tables[name])
        there = f"{_MARK}.{ident(moves.local(name))}"
        column = ident(scope.column(name))
        cols = ", ".join(ident(c) for c in _insertable(table))
        pool = qualified(table.schema, table.name)
        key = [ident(c) for c in (table.primary_key.columns if table.primary_key else _insertable(table))]
        same = _same_row(key, "x", "y")
        copies.append(f"INSERT INTO {there} ({cols}) OVERRIDING SYSTEM VALUE SELECT {cols} FROM {pool} AS x "
                      f"WHERE x.{column} = $1 AND NOT {_held(name, 'x', '$2')} ON CONFLICT DO NOTHING")
        checks.append(
            f"        SELECT count(*) INTO _pooled FROM {pool} WHERE {column} = _key;\n"
            f"        EXECUTE format({_fmt(f'SELECT count(*) FROM {pool} AS x WHERE x.{column} = $1 AND EXISTS (SELECT 1 FROM {there} AS y WHERE {same})')}, _schema) USING _key INTO _copied;\n"
            f"        SELECT count(*) INTO _rows FROM {quarantine.quarantine_table()} WHERE step = _label AND source_table = {literal(name)};\n"
            f"        IF _pooled <> _copied + _rows THEN\n"
            f"            RAISE EXCEPTION '%: % pooled rows of tenant % but % copied into % and % quarantined', {literal(name)}, _pooled, _key, _copied, _schema, _rows;\n"
            "        END IF;\n"
            f"        _counts := _counts || jsonb_build_object({literal(name)}, _pooled);\n")
        back.append(f"INSERT INTO {pool} ({cols}) OVERRIDING SYSTEM VALUE SELECT {cols} FROM {there} ON CONFLICT DO NOTHING")
        back.append(f"INSERT INTO {pool} ({cols}) OVERRIDING SYSTEM VALUE SELECT {', '.join('r.' + ident(c) for c in _insertable(table))} "
                    f"FROM {quarantine.quarantine_table()} AS q CROSS JOIN LATERAL jsonb_populate_record(NULL::{pool}, q.original) AS r "
                    f"WHERE q.step = $1 AND q.source_table = {literal(name)} ON CONFLICT DO NOTHING")
        back_checks.append(
            f"        EXECUTE format({_fmt(f'SELECT count(*) FROM {there} AS y WHERE NOT EXISTS (SELECT 1 FROM {pool} AS x WHERE x.{column} = $1 AND {same})')}, _schema) USING _key INTO _rows;\n"
            "        IF _rows > 0 THEN\n"
            f"            RAISE EXCEPTION '%: % rows of % are not back in the pool', {literal(name)}, _rows, _schema;\n"
            "        END IF;\n")
        purges.append(f"DELETE FROM {there}")
    declare, relax, restore = _orphans_back(moves, target)
    deletes = _one_statement([f"DELETE FROM {qualified_name(moves.tables[n])} WHERE {ident(scope.column(n))} = $1" for n in roots], "d", roots)
    seqs = "".join(s for n in roots for s in _sequence_statements(target.table(moves.tables[n]), moves.local(n)))
    progress = backfill.progress_table()
    placements = "public.tenant_placements"
    up = (
        "DO $move$\nDECLARE\n    _tenant record;\n    _schema text;\n    _label text;\n    _step text;\n    _pooled bigint;\n"
        f"    _copied bigint;\n    _rows bigint;\n    _grew bigint;\n    _held bigint;\n    _max bigint;\n    _counts jsonb;\n"
        f"    _deleted jsonb;\n    _key {moves.tenant_type};\nBEGIN\n"
        f"    FOR _tenant IN SELECT tenant_key, schema_name FROM {mapping_table()} WHERE tenant_key IS NOT NULL ORDER BY schema_name LOOP\n"
        "        _schema := _tenant.schema_name;\n"
        f"        _key := _tenant.tenant_key::{moves.tenant_type};\n"
        "        _step := 'dedicated move ' || _schema;\n"
        f"        _label := {_dedicated_label()};\n"
        "        _counts := '{}'::jsonb;\n"
        f"        IF EXISTS (SELECT 1 FROM {progress} WHERE step = _step AND finished_at IS NOT NULL) THEN\n"
        "            RAISE NOTICE 'tenant % already moved into %', _key, _schema;\n"
        "            CONTINUE;\n"
        "        END IF;\n"
        f"        PERFORM set_config({literal(SETTING)}, _tenant.tenant_key, true);  -- the pool's policies see this tenant\n"
        + _held_back(moves, scope, current, target) +
        "        -- one statement per direction: foreign keys (cycles included) are checked when it ends\n"
        f"        EXECUTE format({_fmt(_one_statement(copies, 'c', roots))}, _schema) USING _key, _label;\n"
        + "".join(checks) +
        f"        EXECUTE {literal(deletes)} USING _key INTO _deleted;\n"
        "        IF _deleted <> _counts THEN\n"
        "            RAISE EXCEPTION 'tenant %: deleted % from the pool, but % were copied or quarantined', _key, _deleted, _counts;\n"
        "        END IF;\n"
        + seqs +
        f"        INSERT INTO {placements} (tenant_id, placement, schema_name) VALUES (_key, 'dedicated', _schema)\n"
        "            ON CONFLICT (tenant_id) DO UPDATE SET placement = 'dedicated', schema_name = excluded.schema_name;\n"
        f"        INSERT INTO {progress} (step, rows_done, finished_at) VALUES (_step, (SELECT coalesce(sum(value::bigint), 0) FROM jsonb_each_text(_counts)), now())\n"
        "            ON CONFLICT (step) DO UPDATE SET rows_done = excluded.rows_done, finished_at = now(), updated_at = now();\n"
        "        COMMIT;\n"
        "        RAISE NOTICE 'moved tenant % into %: %', _key, _schema, _counts;\n"
        "    END LOOP;\n"
        "END\n$move$;"
    )
    down = (
        "DO $undo$\nDECLARE\n    _tenant record;\n    _schema text;\n    _rows bigint;\n" + declare +
        f"    _key {moves.tenant_type};\nBEGIN\n"
        f"    IF to_regclass({literal(mapping_table())}) IS NULL THEN\n        RETURN;\n    END IF;\n"
        f"    FOR _tenant IN SELECT tenant_key, schema_name FROM {mapping_table()} WHERE tenant_key IS NOT NULL ORDER BY schema_name LOOP\n"
        "        _schema := _tenant.schema_name;\n"
        f"        _key := _tenant.tenant_key::{moves.tenant_type};\n"
        "        CONTINUE WHEN to_regnamespace(_schema) IS NULL;\n"
        f"        PERFORM set_config({literal(SETTING)}, _tenant.tenant_key, true);\n"
        "        -- the copies and the held-back rows go back in one statement: foreign keys are checked when it ends\n"
        + relax +
        f"        EXECUTE format({_fmt(_one_statement(back, 'b', [f'{n}{side}' for n in roots for side in ('', ' (quarantined)')]))}, _schema) USING {_dedicated_label()};\n"
        + restore + "".join(back_checks) +
        f"        EXECUTE format({_fmt(_one_statement(purges, 'p', roots))}, _schema);\n"
        f"        DELETE FROM {quarantine.quarantine_table()} WHERE step = {_dedicated_label()};\n"
        f"        DELETE FROM {placements} WHERE tenant_id = _key;\n"
        f"        DELETE FROM {progress} WHERE step = 'dedicated move ' || _schema;\n"
        "        COMMIT;\n"
        "    END LOOP;\n"
        "END\n$undo$;"
    )
    rows = max((current.table(n).row_estimate or 0) for n in roots) if roots else 0
    return Step(
        phase="contract", name="move_dedicated_tenants", title="move the dedicated tenants' rows out of the pool",
        up=(up,), down=(down,), transactional=False,
        lock="ROW EXCLUSIVE on the pooled tables (the moved tenant's rows) and its new schema",
        risk="CONTRACT: per dedicated tenant, one transaction copies its rows into its schema, checks every pooled row "
             "arrived (or, when the dedicated schema cannot take it: a duplicate under a unique key the pool holds "
             "INVALID, an orphan under a NOT VALID foreign key, or a row referencing those, went to the quarantine), "
             "and only then deletes them from the pool and switches its placement; copies and deletes are one "
             "statement each, so foreign keys (cycles included) are checked once all rows are in or out. A re-run skips "
             "tenants already moved. Stop that tenant's writes for the move. The down copies the rows (and the "
             "quarantined ones) back into the pool and checks them before anything is deleted from the dedicated schema.",
        duration_class=duration_class(rows), tables=tuple(roots),
        squawk_ignore=(("prefer-robust-stmts", "one transaction per tenant, resumable: a re-run skips tenants already moved"),))


# planner hook -------------------------------------------------------------------------------------


def without_provision_calls(design, statements) -> list[str]:
    """Hybrid: the dedicated schemas are provisioned by the move steps, after the pool has its final shape."""
    if design.decisions.tenancy.model != "hybrid":
        return list(statements)
    return [s for s in statements if not s.lstrip().startswith("SELECT public.provision_dedicated_tenant(")]


def objects_phase(design) -> str:
    """schema-per-tenant: provision_tenant() must exist before the backfill provisions the tenants."""
    return "expand" if design.decisions.tenancy.model == "schema-per-tenant" else "validate"


def plan_moves(planner) -> set[str]:
    """Add the move steps to the planner; returns the original tables they move (no note needed for those)."""
    design = planner.design
    moves = moves_of(design)
    if moves is None or not moves.roots and not moves.dedicated:
        return set()
    current, target, scope = planner.current, planner.target, design.scope
    if design.decisions.tenancy.model == "schema-per-tenant" and current.table(moves.tenant_table) is None:
        return set()
    planner.progress_needed = True
    planner.builder.add(mapping_setup(moves))
    if moves.retires:
        planner.builder.add(provision_step(moves, current, target))
        for name in moves.roots:
            planner.builder.add(copy_step(moves, scope, current, name))
        planner.builder.add(cleanse_step(moves, scope, current))
        planner.builder.add(validate_step(moves, current, target))
        planner.builder.add(retire_step(moves, current, target))
        planner.notes.append(
            f"schema-per-tenant: the rows of {len(moves.roots)} pooled tables are copied into one schema per tenant "
            f"(named {PREFIX}<slug>_<key>, see {backfill.SCHEMA}.{MAPPING}); rows without a known tenant go to the "
            f"quarantine; the pooled originals are retired into {RETIRED_SCHEMA} by the contract step, for a person "
            "to drop after the compatibility window")
        return set(moves.tables)
    planner.builder.add(dedicated_provision_step(moves, current))
    if moves.dedicated:
        planner.builder.add(dedicated_move_step(moves, scope, current, target))
        planner.notes.append(
            f"hybrid: dedicated tenants ({', '.join(moves.dedicated)}) are matched to rows of {moves.tenant_table} by key "
            f"or by cleaned slug; a name no row matches gets an empty schema and a NOTICE of the provisioning step, and "
            f"the move skips it")
    for name in design.decisions.tenancy.dedicated_tenants:
        if clean_name(name) != name:
            planner.notes.append(
                f"hybrid: dedicated tenant {name!r} is not a schema name (lower-case letters, digits, underscores): "
                + (f"planned as {clean_name(name)!r}" if clean_name(name) else "it has none of those, so it is left out"))
    return set()


def moved_tables(design) -> set[str]:
    """Original tables whose rows the move steps carry into tenant schemas (schema-per-tenant)."""
    moves = moves_of(design)
    return set(moves.tables) if moves is not None and moves.retires else set()


def drop_note(design, name: str) -> str:
    if design.decisions.tenancy.model in MODELS:
        return (f"{name} is not in the target: it reads tables the tenancy model moves into tenant schemas; recreate it "
                "in the template so provisioning copies it (see the design notes), then drop the pooled one")
    return (f"{name} is not in the target (the tenancy model moves or drops it): "
            "moving data between schemas or databases is not planned automatically")


# bundle README ------------------------------------------------------------------------------------


def runbook(plan) -> list[str]:
    """README lines for a plan that moves tenant rows: run order, compatibility window, retired schema (none otherwise)."""
    names = {s.name for s in plan.steps}
    if "retire_pooled_tables" in names:
        return [
            "## Tenant moves: schema-per-tenant", "",
            "Run order:", "",
            f"1. expand: the mapping `{backfill.SCHEMA}.{MAPPING}`, the template schema and `provision_tenant()`;",
            "2. backfill: `provision_tenant_schemas` creates one schema per tenant row (a commit per tenant), then one "
            "`move_<table>` step per pooled table, parents first, copies each tenant's rows in key batches; interrupted, "
            "run the same script again: it continues after the last committed key;",
            "3. cleanse: pooled rows whose tenant is NULL or unknown are copied to the quarantine;",
            "4. validate: `tenant_copies_complete` RAISEs unless every pooled table = its tenant copies + its quarantined "
            "rows, then adds the copies' foreign keys that point at tables copied later (cycles);",
            f"5. contract: `retire_pooled_tables` moves the pooled originals into `{RETIRED_SCHEMA}`.", "",
            "Compatibility window: from the first copy to the contract the application still reads and writes the pooled "
            "tables. Rows inserted after a tenant's copy are picked up by running the copy step again; rows updated or "
            "deleted after they were copied are not. Switch the application to the tenant schemas (one search_path per "
            "tenant) or pause writes, run the copy steps and `tenant_copies_complete` again, then run the contract.", "",
            f"Retired schema: the contract drops nothing. `{RETIRED_SCHEMA}` keeps every pooled row (and the quarantine "
            "keeps the rows no tenant owns) so the contract's down can put the pooled tables back. A person drops it "
            f"(`DROP SCHEMA {RETIRED_SCHEMA} CASCADE`) once the application has run on the tenant schemas for the agreed "
            "window, the quarantine is reviewed and a backup is taken; after that the bundle cannot be rolled back past "
            "the contract.", ""]
    if "move_dedicated_tenants" in names:
        return [
            "## Tenant moves: hybrid (dedicated tenants)", "",
            "Run order: the pool first gets its row level security shape (expand to validate, then the key swap of the "
            "contract); then `provision_dedicated_tenants` creates each dedicated tenant's schema from the final pool "
            "(`provision_dedicated_tenant()`), and `move_dedicated_tenants` moves each tenant in one transaction: copy, "
            "count check, delete from the pool, placement switched in `public.tenant_placements`. Interrupted, run it "
            "again: tenants already moved are skipped, the interrupted one starts over.", "",
            "Compatibility window: every tenant stays in the pool until its move; stop that tenant's writes for its move "
            "(one transaction), and route it to its schema once `public.tenant_placements` says `dedicated`. A name in "
            "dedicated_tenants that matches no tenant row gets an empty schema and a NOTICE; the move skips it.", "",
            "No retired schema: a moved tenant's rows leave the pool in the same transaction that checked their copies. "
            "Rows the dedicated schema cannot take (a duplicate under a unique key the pool holds INVALID, an orphan under "
            "a NOT VALID foreign key, or a row that references those) are in the quarantine under step "
            "`dedicated-move:<schema>`. The down copies the tenant's rows and its quarantined rows back into the pool "
            "before it empties the dedicated schema; the provisioning down drops only empty schemas.", ""]
    return []
