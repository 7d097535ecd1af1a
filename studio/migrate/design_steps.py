"""Design target -> phased steps: the operations of `diff.operations` rendered expand to contract.

- expand: new tables, new columns (nullable, default set for new rows only), indexes built
  concurrently under a temporary name, the progress table, partitioned copies with a sync trigger;
- backfill: the tenant column on child tables copied from the parent, batched and resumable
  (`backfill.batched_update`), partitioned copies filled the same way;
- cleanse: rows the backfill could not fill (no parent) move to the quarantine;
- validate: NOT NULL through a validated CHECK, new unique indexes, composite foreign keys added
  NOT VALID then validated, row level security and policies, the partitioned table swapped in;
- contract: one short transaction swaps keys and foreign keys (old ones dropped, new ones renamed
  into place), old indexes dropped, the pre-partitioning table dropped.
"""

from __future__ import annotations

import dataclasses
import re

from studio import ddl
from studio.catalog import Catalog, Column, PrimaryKey, Table
from studio.design.apply import design
from studio.errors import ConfigError
from studio.migrate import archive, backfill, quarantine, tenant_moves
from studio.migrate.diff import Op, operations
from studio.migrate.partition_steps import is_key, partition_steps, unsupported
from studio.migrate.plan import NEW_KEY, WHOLE_TABLE, Builder, Step, duration_class
from studio.sql import MAX_IDENTIFIER_BYTES, ident, literal, qualified

SHARE_UPDATE = "SHARE UPDATE EXCLUSIVE (reads and writes continue)"
SHORT_EXCLUSIVE = "ACCESS EXCLUSIVE, catalog-only (milliseconds; waits behind long transactions)"
ROW_EXCLUSIVE = "ROW EXCLUSIVE (the rows it changes)"
ARCHIVE_FUNCTION = ("ban-drop-function", "only the archive's sync function this plan created")


def temp_name(name: str, tail: str = "new") -> str:
    base = name.encode()[: MAX_IDENTIFIER_BYTES - len(tail) - 1].decode(errors="ignore")
    return f"{base}_{tail}"


def _slug(*parts: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", "_".join(parts).lower()).strip("_")[:60]


def _q(table: Table) -> str:
    return qualified(table.schema, table.name)


class DesignPlanner:
    def __init__(self, current: Catalog, design, builder: Builder):
        self.current = current
        self.design = design
        self.target = design.target
        self.builder = builder
        self.notes: list[str] = []
        self.key_swap_up: list[str] = []
        self._key_downs: list[list[str]] = []
        self._fk_downs_first: list[str] = []
        self._fk_downs_last: list[str] = []
        self.key_swap_tables: list[str] = []
        self.after_key_swap: list[tuple[Table, list]] = []  # new tables' foreign keys to keys the swap creates
        self.column_drops: list[Step] = []  # after every other contract step: their downs need the column back first
        self.progress_needed = False
        self.archive_ready = False

    def step(self, phase: str, kind: str, table: Table | None, up, down, lock: str, risk: str, **extra) -> None:
        name = _slug(kind, table.name if table else "")
        old = self.current.table(table.qualified) if table else None
        self.builder.add(Step(
            phase=phase, name=name, title=extra.pop("title", f"{kind.replace('-', ' ')} on {table.qualified if table else 'the schema'}"),
            up=tuple(up), down=tuple(down), lock=lock, risk=risk,
            duration_class=duration_class(old.row_estimate if old else 0), tables=(table.qualified,) if table else (),
            fixes=(), **extra))

    # ------------------------------------------------------------------------------------------
    def run(self) -> None:
        ops = operations(self.current, self.target)
        _refuse_integer_to_uuid(ops)
        if self.design.setup_sql:
            self._free_sql("expand", "design-setup", self.design.setup_sql)
        partitioned = {op.table for op in ops if op.concern == "partitioning"}
        ops = [op for op in ops if not _follows_partitioning(op, partitioned)]
        by_table: dict[str, list[Op]] = {}
        for op in ops:
            by_table.setdefault(op.table, []).append(op)
        self._new_schemas_and_types()
        new_tables = [op.after for op in ops if op.concern == "tables" and op.action == "add"]
        functions = [op for op in ops if op.concern == "functions"]
        # SQL-standard bodies (BEGIN ATOMIC) are resolved at creation: those naming a new table follow it
        after_tables = [op for op in functions if op.after is not None and _names_any(op.after.definition, new_tables)]
        self._functions([op for op in functions if op not in after_tables])
        self._new_tables(new_tables)
        self._functions(after_tables)
        self._new_table_triggers(new_tables)  # after every function: a trigger's function may read a new table
        moved = tenant_moves.moved_tables(self.design)
        dropped = [op for op in ops if op.concern == "tables" and op.action == "drop" and op.name not in moved]
        views = [op.before for op in dropped if op.before is not None and op.before.kind in ("view", "materialized_view")]
        if views and self.design.decisions.tenancy.model != "schema-per-tenant":  # there they follow the retired tables
            self._drop_views(views)  # before the key swap: a view grouping by a replaced key depends on it
        else:
            views = []
        for op in dropped:
            if op.before not in views:
                self.notes.append(tenant_moves.drop_note(self.design, op.name))
        last_steps = []
        for name in sorted(partitioned):
            computed = self._tenant_columns(name)
            reason = unsupported(self.current, self.target, name, computed)
            if reason:
                self.notes.append(f"{name}: partitioning it is not planned automatically because {reason}: "
                                  "use the target DDL and the design notes")
                continue
            steps, last = partition_steps(self.current, self.target, name, computed)
            for step in steps:
                self.builder.add(step)
            last_steps += last
            self.progress_needed = True
        scoped = [t for t in self.target.stored_tables if t.qualified in by_table and t.qualified not in partitioned
                  and self.current.table(t.qualified) is not None]
        for table in self._parents_first(scoped):
            self._columns(table, by_table[table.qualified])
        for table in scoped:
            self._indexes(table, by_table[table.qualified])
        for table in scoped:  # every new key's index first: the new foreign keys reference them
            self._keys(table, by_table[table.qualified], foreign=False)
        for table in scoped:
            self._keys(table, by_table[table.qualified], foreign=True)
        for table in scoped:
            self._checks(table, by_table[table.qualified])
        for table in scoped:
            self._policies(table, by_table[table.qualified])
        for table in scoped:
            self._triggers(table, by_table[table.qualified])
        if self.key_swap_up:
            self.builder.add(Step(
                phase="contract", name="swap_keys", title="swap keys and foreign keys to their new columns",
                up=tuple(self.key_swap_up), down=tuple(self._swap_down()),
                lock="ACCESS EXCLUSIVE on " + ", ".join(sorted(set(self.key_swap_tables))) + " (catalog-only: the new indexes and "
                "validated constraints exist already)",
                risk="One short transaction: old keys and foreign keys dropped, the new ones (built and validated before) renamed "
                "into place. Deploy the application that writes the new columns first. The down rebuilds the old keys under lock.",
                duration_class="seconds", tables=tuple(sorted(set(self.key_swap_tables))),
                squawk_ignore=(("ban-drop-constraint", "old keys and foreign keys are replaced by new ones in the same transaction"),
                               ("constraint-missing-not-valid", "the down restores the old foreign keys of a rollback in one step"),
                               ("disallowed-unique-constraint", "the down restores the old keys of a rollback in one step"),
                               ("renaming-object", "the new constraints take back the names of the ones they replace"),
                               ("adding-serial-primary-key-field", "the down rebuilds the old primary key of a rollback under lock"))))
        for table, fks in self.after_key_swap:
            self._new_table_foreign_keys("contract", table, fks)
        for step in self.column_drops:
            self.builder.add(step)
        tenant_moves.plan_moves(self)  # rows of tables the tenancy model moves (after the key swap: copies get the final shape)
        if self.design.decisions.tenancy.model == "database-per-tenant":
            # the control plane lives in a database of its own, which `schema-studio split` creates and fills
            self.notes.append("database-per-tenant: this database keeps its schema; `schema-studio split` creates each "
                              "tenant's database and the control plane's, copies the rows and checks the counts (see the "
                              "README's runbook)")
        elif self.design.decisions.tenancy.model == "citus":
            self._distribute(self.design.extra_sql)
        elif self.design.extra_sql:
            self._free_sql(tenant_moves.objects_phase(self.design), "design-objects",
                           tenant_moves.without_provision_calls(self.design, self.design.extra_sql))
        for step in last_steps:  # the tables before partitioning go last, each in a step of its own
            self.builder.add(step)
        if self.progress_needed:
            self.builder.steps.insert(0, Step(
                phase="expand", name="migration_progress", title=f"create the progress table {backfill.SCHEMA}.{backfill.TABLE}",
                up=backfill.setup_statements(), down=backfill.teardown_statements(), lock="none on application tables",
                risk="None: a new schema.", duration_class="seconds",
                squawk_ignore=(("ban-drop-table", "rollback of the progress table this plan created"),
                               ("ban-drop-schema", "rollback of the progress schema this plan created"))))

    def _swap_down(self) -> list[str]:
        drops = [d for group in self._key_downs for d in group if "DROP" in d]
        adds = [d for group in self._key_downs for d in group if "DROP" not in d]
        return self._fk_downs_first + drops + adds + self._fk_downs_last

    def _tenant_columns(self, name: str) -> dict:
        """New tenant columns of a table partitioned by copy: each value as SQL over a row alias, taken from the parent path."""
        old, new = self.current.table(name), self.target.table(name)
        if old is None or new is None:
            return {}
        out = {}
        for column in new.columns:
            if old.column(column.name) is None and (value := self._tenant_value(name, column.name)) is not None:
                out[column.name] = value
        return out

    def _tenant_value(self, name: str, column: str, depth: int = 0):
        """The tenant of a row of `name` through its foreign key to the parent (and the parent's parent, when the parent
        gains the column in this design too): a function of the row's alias, or None without such a path."""
        scope = self.design.scope
        scoped = scope.tables.get(name) if scope else None
        if depth > 8 or not (scoped and scoped.added and scoped.column == column and scoped.via is not None):
            return None
        fk = scoped.via
        if scoped.parent == scope.tenant_table:
            return lambda row: f"{row}.{ident(fk.columns[0])}"
        parent = self.current.table(scoped.parent)
        parent_column = scope.column(scoped.parent)
        if parent is None:
            return None
        alias = f"_p{depth}"
        inner = ((lambda p: f"{p}.{ident(parent_column)}") if parent.column(parent_column) is not None
                 else self._tenant_value(scoped.parent, parent_column, depth + 1))
        if inner is None:
            return None
        return lambda row: (f"(SELECT {inner(alias)} FROM {_q(parent)} AS {alias} WHERE "
                            + " AND ".join(f"{alias}.{ident(r)} = {row}.{ident(c)}" for c, r in zip(fk.columns, fk.ref_columns, strict=True)) + ")")

    def _parents_first(self, tables: list[Table]) -> list[Table]:
        scope = self.design.scope
        depth: dict[str, int] = {}

        def level(name: str, seen=()) -> int:
            if name in depth:
                return depth[name]
            scoped = scope.tables.get(name) if scope else None
            parent = scoped.parent if scoped and scoped.added else None
            depth[name] = 0 if parent is None or parent in seen else level(parent, (*seen, name)) + 1
            return depth[name]

        return sorted(tables, key=lambda t: level(t.qualified))

    def _new_schemas_and_types(self) -> None:
        """Schemas, enums and domains the target adds (a blueprint in its own schema, say) come first."""
        schemas = [n for n in self.target.schema_names if n not in self.current.schema_names and n != "public"]
        if schemas:
            self.step("expand", "create-schemas", None,
                      [f"CREATE SCHEMA IF NOT EXISTS {ident(n)};" for n in schemas],
                      [f"DROP SCHEMA IF EXISTS {ident(n)};" for n in reversed(schemas)],  # RESTRICT: only if empty
                      "none on application tables", "None: new, empty schemas.",
                      title="create schemas " + ", ".join(schemas),
                      squawk_ignore=(("ban-drop-schema", "rollback of a schema this plan created; RESTRICT keeps data"),))
        known = {(e.schema, e.name) for e in self.current.enums} | {(d.schema, d.name) for d in self.current.domains}
        for enum in self.target.enums:
            if (enum.schema, enum.name) not in known:
                labels = ", ".join(literal(label) for label in enum.labels)
                self.step("expand", "create-type", None,
                          [f"CREATE TYPE {qualified(enum.schema, enum.name)} AS ENUM ({labels});"],
                          [f"DROP TYPE IF EXISTS {qualified(enum.schema, enum.name)};"],
                          "none on application tables", "None: a new type.", title=f"create type {enum.schema}.{enum.name}")
        for domain in _base_types_first([d for d in self.target.domains if (d.schema, d.name) not in known]):
            self.step("expand", "create-domain", None, [ddl.domain_statement(domain)],
                      [f"DROP DOMAIN IF EXISTS {qualified(domain.schema, domain.name)};"],  # RESTRICT: only once unused
                      "none on application tables", "None: a new type, used by the tables and functions created after it.",
                      title=f"create domain {domain.schema}.{domain.name}",
                      squawk_ignore=(("ban-create-domain-with-constraint", "the design's target defines the domain with its "
                                      "checks; it is new, so no existing column is checked against them"),
                                     ("ban-drop-domain", "rollback of a domain this plan created; RESTRICT: only once unused")))

    def _functions(self, ops: list[Op]) -> None:
        for op in ops:
            if op.action != "add" or not op.after.definition:
                self.notes.append(f"function {op.name}: changed or dropped by the design; not planned automatically")
                continue
            f = op.after
            signature = f"{qualified(f.schema, f.name)}({f.arguments})"
            # bodies may name tables this plan creates later (defaults need the function first)
            body = ["SET LOCAL check_function_bodies = off;", f.definition.rstrip().rstrip(";") + ";"]
            self.step("expand", "create-function", None, body,
                      [f"DROP {'PROCEDURE' if f.kind == 'procedure' else 'FUNCTION'} IF EXISTS {signature};"],
                      "none on application tables", "None: a new function, used once its trigger is created.",
                      title=f"create function {op.name}")

    # expand: new tables -----------------------------------------------------------------------
    def _new_tables(self, tables: list[Table]) -> None:
        for table in sorted(tables, key=lambda t: t.partition_of is not None):
            if not table.is_stored:
                continue
            up = [ddl.create_table(table, self.target)]
            up += [ddl.index_statement(table, i) for i in table.indexes if not i.constraint and not table.partition_of]
            if table.rls_enabled:
                up += [ddl.policy_statement(table, p) for p in table.policies]
                up.append(f"ALTER TABLE {_q(table)} ENABLE ROW LEVEL SECURITY;")
                if table.rls_forced:
                    up.append(f"ALTER TABLE {_q(table)} FORCE ROW LEVEL SECURITY;")
            down = [] if table.partition_of else [f"DROP TABLE IF EXISTS {_q(table)};"]
            self.step("expand", "create-table", table, up, down or [f"-- {table.qualified} goes with its parent"],
                      "none on existing tables (a new table)", "None: nothing uses it yet.",
                      squawk_ignore=(("ban-drop-table", "rollback of a table this plan created"),
                                     ("require-concurrent-index-creation", "the table is new and empty"),
                                     ("prefer-robust-stmts", "runs in one transaction; a failure rolls it all back"),
                                     *_TARGET_TYPES))
        for table in tables:
            if table.is_stored and not table.partition_of and table.foreign_keys:
                now = [fk for fk in table.foreign_keys if self._referenced_key_exists(fk)]
                later = [fk for fk in table.foreign_keys if fk not in now]
                if now:
                    self._new_table_foreign_keys("expand", table, now)
                if later:  # the key they reference is built, or gets its new type, at the key swap
                    self.after_key_swap.append((table, later))

    def _new_table_triggers(self, tables: list[Table]) -> None:
        for table in tables:
            if table.is_stored and table.triggers:
                self.step("expand", "triggers-of-new-table", table, [t.definition.rstrip(";") + ";" for t in table.triggers],
                          [f"DROP TRIGGER IF EXISTS {ident(t.name)} ON {_q(table)};" for t in table.triggers],
                          "SHARE ROW EXCLUSIVE on the new table", "None: the table is new.")

    def _referenced_key_exists(self, fk) -> bool:
        """Does the current schema already have the referenced key, with the target's column types?"""
        before, after = self.current.table(fk.ref_table), self.target.table(fk.ref_table)
        if before is None:
            return True  # a new table: created, with its keys, before any foreign key
        same_types = all(
            before.column(c) is not None and after.column(c) is not None and before.column(c).type == after.column(c).type
            for c in fk.ref_columns
        )
        return same_types and is_key(self.current, fk.ref_table, fk.ref_columns)

    def _new_table_foreign_keys(self, phase: str, table: Table, fks) -> None:
        self.step(phase, "foreign-keys-of-new-table", table,
                  [ddl.add_foreign_key(table, fk, not_valid=False) for fk in fks],
                  [f"ALTER TABLE {_q(table)} DROP CONSTRAINT IF EXISTS {ident(fk.name)};" for fk in fks],
                  "SHARE ROW EXCLUSIVE on the referenced tables (the new table is empty: no scan)",
                  "The new table is empty; written meanwhile, it is checked now." if phase == "contract" else
                  "None: the new table is empty.",
                  squawk_ignore=(("constraint-missing-not-valid", "the table is new and empty: validation reads no row"),
                                 ("adding-foreign-key-constraint", "the table is new and empty: no scan, the lock is brief")))

    # columns: expand, backfill, cleanse, validate -----------------------------------------------
    def _columns(self, table: Table, ops: list[Op]) -> None:
        for op in ops:
            if op.concern != "columns":
                continue
            if op.action == "add":
                self._add_column(table, op.after)
            elif op.action == "drop":
                self._drop_column(table, op.before)
            else:
                self._change_column(table, op)

    def _drop_column(self, table: Table, column) -> None:
        """Archive the values with the row's key (kept current by a trigger), drop the column in a contract step of its own;
        the rollback re-adds the column and restores the values from the archive in batches."""
        old = self.current.table(table.qualified)
        key = archive.archive_key(old, column.name)
        views = [v.qualified for v in self.current.tables if v.kind in ("view", "materialized_view")
                 and _mentions(v.view_definition, old.name) and _mentions(v.view_definition, column.name)]
        why = ("it has no primary key or unique key over NOT NULL columns to archive its values by" if key is None
               else "it is an identity or generated column, or owns its sequence" if column.identity or column.generated or column.sequence
               else f"views read it ({', '.join(views)})" if views else None)
        if why:
            self.notes.append(f"{table.qualified}.{column.name}: dropping the column is left to a person because {why} (data would go)")
            return
        name, col = _q(old), ident(column.name)
        stored = archive.archive_table(old, column.name)
        if not self.archive_ready:
            self.archive_ready = True
            self.step("expand", "archive-schema", None, archive.setup_statements(), archive.teardown_statements(),
                      "none on application tables", "None: a new schema.", title=f"create the archive schema {archive.SCHEMA}",
                      squawk_ignore=(("ban-drop-schema", "rollback of the archive schema; RESTRICT keeps any archive left"),))
        self.step("expand", "archive-column", old, archive.create_statements(old, column, key), archive.drop_statements(old, column.name),
                  "SHARE ROW EXCLUSIVE on the table while its trigger is created (writes wait a moment)",
                  f"From now on every write to {table.qualified} also writes {column.name} with the key into {stored}.",
                  title=f"archive table for {table.qualified}.{column.name}, kept current by a trigger",
                  squawk_ignore=(("ban-drop-table", "rollback of the archive this plan created"), ARCHIVE_FUNCTION,
                                 ("prefer-bigint-over-int", "the archive keeps the table's key types as they are"),
                                 ("prefer-robust-stmts", "runs in one transaction; a failure rolls it all back")))
        copy_step, restore_step = _slug("archive", old.name, column.name), _slug("restore", old.name, column.name)
        keyed = old if old.primary_key and old.primary_key.columns == key else dataclasses.replace(old, primary_key=PrimaryKey("archive_key", key))
        self.progress_needed = True
        self.step("backfill", "archive-values", old, ["SET row_security = off;", backfill.batched_copy(copy_step, keyed, stored, [*key, column.name])],
                  self._restore_column(old, column, stored, key, restore_step) + [backfill.forget(copy_step), f"TRUNCATE {stored};"],
                  f"FOR SHARE on one batch of {table.qualified} at a time; ROW EXCLUSIVE on the archive",
                  f"Copies {column.name} with the key in batches of {backfill.BATCH_SIZE} rows, committing each: resumable. The down "
                  "(after the column is back) restores the values in batches: it runs outside a transaction block.",
                  transactional=False, title=f"archive the values of {table.qualified}.{column.name}",
                  squawk_ignore=(("adding-not-nullable-field", "rollback: SET NOT NULL after a validated CHECK"),
                                 ("prefer-robust-stmts", "the rollback's restore commits batch by batch outside a transaction "
                                  "block; after a failure rerun it from the failed statement"),
                                 ("ban-drop-constraint", "rollback: the CHECK only carried NOT NULL until SET NOT NULL")))
        readd = [f"ALTER TABLE {name} ADD COLUMN IF NOT EXISTS {ddl.column_definition(Column(column.name, column.type, collation=column.collation))};"]
        if column.default is not None:
            readd.append(f"ALTER TABLE {name} ALTER COLUMN {col} SET DEFAULT {column.default};")
        if column.comment:
            readd.append(f"COMMENT ON COLUMN {name}.{col} IS {literal(column.comment)};")
        self.column_drops.append(Step(
            phase="contract", name=_slug("drop-column", old.name, column.name),
            title=f"drop {table.qualified}.{column.name} (CONTRACT: its values are in {stored})",
            up=(*archive.drop_sync_statements(old, column.name), f"ALTER TABLE {name} DROP COLUMN {col};"), down=tuple(readd),
            lock="ACCESS EXCLUSIVE on the table, catalog-only (milliseconds; waits behind long transactions)",
            risk=f"Deploy the application that no longer reads or writes {column.name} first. The values stay in {stored} until a "
                 "person drops it; the down re-adds the column (nullable, then its default) and the archive step's down restores "
                 "the values and NOT NULL.",
            duration_class="seconds", tables=(table.qualified,),
            squawk_ignore=(("ban-drop-column", f"the design drops it; its values are archived in {stored}"), ARCHIVE_FUNCTION)))

    def _restore_column(self, old: Table, column, stored: str, key: tuple[str, ...], step: str) -> list[str]:
        join = " AND ".join(f"p.{ident(k)} = c.{ident(k)}" for k in key)
        out = [backfill.batched_update(step, old, column.name, f"p.{ident(column.name)}", (stored, join)), backfill.forget(step)]
        if column.nullable:
            return out
        name, col = _q(old), ident(column.name)
        check = temp_name(f"{old.name}_{column.name}", "not_null")
        if column.default is not None:  # rows written while the column was gone take its default
            out.append(f"UPDATE {name} SET {col} = DEFAULT WHERE {col} IS NULL;")
        return out + [f"ALTER TABLE {name} ADD CONSTRAINT {ident(check)} CHECK ({col} IS NOT NULL) NOT VALID;",
                      f"ALTER TABLE {name} VALIDATE CONSTRAINT {ident(check)};",
                      f"ALTER TABLE {name} ALTER COLUMN {col} SET NOT NULL;",
                      f"ALTER TABLE {name} DROP CONSTRAINT {ident(check)};"]

    def _change_column(self, table: Table, op: Op) -> None:
        name = _q(table)
        if op.before.type != op.after.type:
            col = ident(op.name)
            self.step("backfill", "change-type", table,
                      [f"ALTER TABLE {name} ALTER COLUMN {col} TYPE {op.after.type};"],
                      [f"ALTER TABLE {name} ALTER COLUMN {col} TYPE {op.before.type} USING {col}::{op.before.type};"],
                      "ACCESS EXCLUSIVE (rewrites the table and its indexes)",
                      "Blocks reads and writes while the table is rewritten: a quiet window on a big table, or new column + "
                      "batched backfill + swap.",
                      squawk_ignore=(("changing-column-type", "the design changes the type; the lock is stated in the plan"),))
        if op.after.identity and op.before.identity != op.after.identity:
            self._add_identity(table, op.before, op.after)
        if op.before.nullable and not op.after.nullable:
            self._set_not_null(table, op.name)

    def _add_identity(self, table: Table, before, after) -> None:
        """A serial (nextval default) or a plain key column becomes an identity that continues after its values."""
        name = _q(table)
        col = ident(after.name)
        serial = re.match(r"nextval\('([^']+)'", before.default or "")
        position = f"(SELECT coalesce(max({col}), 0) FROM {name})"
        if serial:
            position = f"greatest({position}, coalesce(pg_sequence_last_value({literal(serial.group(1))}::regclass), 0))"
        identity_seq = f"pg_get_serial_sequence({literal(name)}, {literal(after.name)})"
        up = [f"ALTER TABLE {name} ALTER COLUMN {col} DROP DEFAULT;"] if before.default else []
        up += [f"ALTER TABLE {name} ALTER COLUMN {col} ADD GENERATED {after.identity.upper()} AS IDENTITY;",
               f"SELECT setval({identity_seq}, greatest(1, n), n > 0) FROM (SELECT {position} AS n) AS position;"]
        down = []
        if serial:
            down.append(f"SELECT setval({literal(serial.group(1))}, greatest(1, n), n > 0) FROM (SELECT greatest((SELECT coalesce(max({col}), 0) "
                        f"FROM {name}), coalesce(pg_sequence_last_value({identity_seq}::regclass), 0)) AS n) AS position;")
        down.append(f"ALTER TABLE {name} ALTER COLUMN {col} DROP IDENTITY IF EXISTS;")
        if before.default:
            down.append(f"ALTER TABLE {name} ALTER COLUMN {col} SET DEFAULT {before.default};")
        self.step("backfill", "identity", table, up, down, SHORT_EXCLUSIVE,
                  "Catalog-only; the identity continues after the highest key (and the old sequence's position). Inserts that "
                  "name an old sequence must switch to the identity; the old sequence stays until a person drops it.",
                  title=f"{table.qualified}.{after.name} becomes an identity")

    def _add_column(self, table: Table, column) -> None:
        name = _q(table)
        col = ident(column.name)
        plain = ddl.column_definition(column.__class__(column.name, column.type, collation=column.collation))
        up = [f"ALTER TABLE {name} ADD COLUMN IF NOT EXISTS {plain};"]
        if column.default is not None and not column.identity:
            up.append(f"ALTER TABLE {name} ALTER COLUMN {col} SET DEFAULT {column.default};")
        self.step("expand", "add-column", table, up, [f"ALTER TABLE {name} DROP COLUMN IF EXISTS {col};"], SHORT_EXCLUSIVE,
                  "Catalog-only: the column is nullable and its default applies to new rows only.",
                  title=f"add {table.qualified}.{column.name}",
                  squawk_ignore=(("ban-drop-column", "rollback of a column this plan added"),))
        if column.nullable:
            return
        scope = self.design.scope
        scoped = scope.tables.get(table.qualified) if scope else None
        if scoped and scoped.added and scoped.column == column.name and scoped.via is not None:
            self._backfill_tenant(table, column.name, scoped)
        else:
            self.notes.append(f"{table.qualified}.{column.name}: new NOT NULL column without a source: rows without a value "
                              "move to the quarantine before NOT NULL is set; fill them first if they should stay")
        self._set_not_null(table, column.name)

    def _backfill_tenant(self, table: Table, column: str, scoped) -> None:
        scope = self.design.scope
        parent = self.target.table(scoped.parent)
        fk = scoped.via
        if scoped.parent == scope.tenant_table:
            value, join = f"c.{ident(fk.columns[0])}", None
        else:
            value = f"p.{ident(scope.column(scoped.parent))}"
            join = (_q(parent), " AND ".join(f"p.{ident(r)} = c.{ident(c)}" for c, r in zip(fk.columns, fk.ref_columns, strict=True)))
        old = self.current.table(table.qualified)
        step_name = _slug("backfill", table.name, column)
        self.progress_needed = True
        self.step("backfill", "backfill", table,
                  [backfill.batched_update(step_name, old, column, value, join)],
                  [backfill.forget(step_name)],
                  ROW_EXCLUSIVE + ", one batch per transaction",
                  f"Copies {column} from {scoped.parent} in batches of {backfill.BATCH_SIZE} rows, committing each: resumable "
                  "(rerun continues after the last committed key, see schema_studio_migration.progress).",
                  transactional=False, title=f"backfill {table.qualified}.{column} from {scoped.parent}")

    def _set_not_null(self, table: Table, column: str) -> None:
        name = _q(table)
        col = ident(column)
        check = temp_name(f"{table.name}_{column}", "not_null")
        cleanse = _slug("nulls", table.name, column)
        self.step("cleanse", "nulls", table, [quarantine.nulls(cleanse, table, column)],
                  [quarantine.restore(cleanse)], ROW_EXCLUSIVE,
                  f"Moves rows whose {column} is still empty (no parent to copy from) to the quarantine.",
                  title=f"quarantine empty {column} on {table.qualified}")
        self.step("validate", "not-null-check", table,
                  [f"ALTER TABLE {name} ADD CONSTRAINT {ident(check)} CHECK ({col} IS NOT NULL) NOT VALID;"],
                  [f"ALTER TABLE {name} DROP CONSTRAINT IF EXISTS {ident(check)};"], SHORT_EXCLUSIVE,
                  "Catalog-only: new writes must carry the value at once.", title=f"check {table.qualified}.{column} NOT VALID")
        self.step("validate", "validate-not-null", table, [f"ALTER TABLE {name} VALIDATE CONSTRAINT {ident(check)};"],
                  [f"-- {check} is dropped by the reverse of the step that added it"],
                  "SHARE UPDATE EXCLUSIVE (reads and writes continue while rows are checked)",
                  "Fails if an empty row was written meanwhile: rerun the cleanse, then this step.",
                  title=f"validate {table.qualified}.{column} is never empty")
        self.step("validate", "set-not-null", table,
                  [f"ALTER TABLE {name} ALTER COLUMN {col} SET NOT NULL;", f"ALTER TABLE {name} DROP CONSTRAINT {ident(check)};"],
                  [f"ALTER TABLE {name} ALTER COLUMN {col} DROP NOT NULL;",
                   f"ALTER TABLE {name} ADD CONSTRAINT {ident(check)} CHECK ({col} IS NOT NULL) NOT VALID;"],
                  SHORT_EXCLUSIVE, "SET NOT NULL uses the validated CHECK (PostgreSQL 12+) instead of scanning under the lock.",
                  title=f"{table.qualified}.{column} NOT NULL",
                  squawk_ignore=(("adding-not-nullable-field", "SET NOT NULL after a validated CHECK: no scan under the lock"),
                                 ("ban-drop-not-null", "rollback of the NOT NULL this plan set"),
                                 ("ban-drop-constraint", "the CHECK only carried NOT NULL until SET NOT NULL")))

    # indexes ----------------------------------------------------------------------------------
    def _indexes(self, table: Table, ops: list[Op]) -> None:
        name = _q(table)
        for op in ops:
            if op.concern != "indexes":
                continue
            if op.action == "add":
                self.step("expand", "create-index", table,
                          [ddl.index_statement(table, op.after, concurrently=True).replace("CONCURRENTLY", "CONCURRENTLY IF NOT EXISTS", 1)],
                          [f"DROP INDEX CONCURRENTLY IF EXISTS {qualified(table.schema, op.name)};"], SHARE_UPDATE,
                          "Builds while writes continue; a failed build leaves an INVALID index: run the down, then the up.",
                          transactional=False)
            elif op.action == "drop":
                self.step("contract", "drop-index", table, [f"DROP INDEX CONCURRENTLY IF EXISTS {qualified(table.schema, op.name)};"],
                          [ddl.index_statement(table, op.before, concurrently=True).replace("CONCURRENTLY", "CONCURRENTLY IF NOT EXISTS", 1)],
                          SHARE_UPDATE, "Queries that used the index get slower; the down rebuilds it.", transactional=False)
            else:
                new = dataclasses.replace(op.after, name=temp_name(op.name))
                self.step("expand", "create-index", table,
                          [ddl.index_statement(table, new, concurrently=True).replace("CONCURRENTLY", "CONCURRENTLY IF NOT EXISTS", 1)],
                          [f"DROP INDEX CONCURRENTLY IF EXISTS {qualified(table.schema, new.name)};"], SHARE_UPDATE,
                          f"Builds the new shape of {op.name} beside the old one while writes continue.", transactional=False,
                          title=f"build the new {op.name} on {table.qualified}")
                self.step("contract", "drop-old-index", table, [f"DROP INDEX CONCURRENTLY IF EXISTS {qualified(table.schema, op.name)};"],
                          [ddl.index_statement(table, op.before, concurrently=True).replace("CONCURRENTLY", "CONCURRENTLY IF NOT EXISTS", 1)],
                          SHARE_UPDATE, "The new index replaces it.", transactional=False, title=f"drop the old {op.name} on {table.qualified}")
                self.step("contract", "rename-index", table,
                          [f"ALTER INDEX {qualified(table.schema, new.name)} RENAME TO {ident(op.name)};"],
                          [f"ALTER INDEX {qualified(table.schema, op.name)} RENAME TO {ident(new.name)};"], SHORT_EXCLUSIVE,
                          "Catalog-only.", title=f"rename the new index to {op.name} on {table.qualified}",
                          squawk_ignore=(("renaming-object", "the rebuilt index takes back the name of the one it replaced"),))
        del name

    # keys and foreign keys --------------------------------------------------------------------
    def _keys(self, table: Table, ops: list[Op], foreign: bool) -> None:
        name = _q(table)
        old = self.current.table(table.qualified)
        inherited: set = set()
        if old.kind == "partition":
            # a partition's keys, and the foreign keys its parent declares, follow the parent's (PostgreSQL propagates
            # them); a foreign key the partition declares itself (pg_dump of pagila's payment_p2022_*) is its own
            if not foreign:
                return
            parent = self.current.table(old.partition_of) if old.partition_of else None
            inherited = {(f.columns, f.ref_table) for t in (parent, self.target.table(old.partition_of or "")) if t
                         for f in t.foreign_keys}
        for op in ops:
            if op.concern != "constraints" or op.name in {c.name for c in old.checks} | {c.name for c in table.checks}:
                continue
            if inherited and any((getattr(k, "columns", None), getattr(k, "ref_table", None)) in inherited
                                 for k in (op.before, op.after) if k is not None):
                continue
            kind = "primary key" if op.name == "primary_key" else "foreign key" if op.name in {f.name for f in old.foreign_keys} | {
                f.name for f in table.foreign_keys} else "unique"
            if (kind == "foreign key") != foreign:
                continue
            if foreign:
                self._foreign_key(table, op)
                continue
            before, after = op.before, op.after
            # PostgreSQL builds no index of a partitioned table concurrently, nor attaches one as a key: the swap adds it
            partitioned = old.kind == "partitioned_table"
            if after is not None and not partitioned:
                index = temp_name(after.name)
                self.step("validate", "unique-index", table,
                          [f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {ident(index)} ON {name} ({', '.join(ident(c) for c in after.columns)});"],
                          [f"DROP INDEX CONCURRENTLY IF EXISTS {qualified(table.schema, index)};"], SHARE_UPDATE,
                          "Builds the new key's index while writes continue; a duplicate makes it fail (INVALID): down, fix, up.",
                          transactional=False, title=f"build the index of the new {kind} ({', '.join(after.columns)}) on {table.qualified}")
            self.key_swap_tables.append(table.qualified)
            if before is not None:
                self.key_swap_up.append(f"ALTER TABLE {name} DROP CONSTRAINT {ident(before.name)};")
            if after is not None:
                word = "PRIMARY KEY" if kind == "primary key" else "UNIQUE"
                using = f"({', '.join(ident(c) for c in after.columns)})" if partitioned else f"USING INDEX {ident(temp_name(after.name))}"
                self.key_swap_up.append(f"ALTER TABLE {name} ADD CONSTRAINT {ident(after.name)} {word} {using};")
            down = []
            if after is not None:
                down.append(f"ALTER TABLE {name} DROP CONSTRAINT IF EXISTS {ident(after.name)};")
            if before is not None:
                word = "PRIMARY KEY" if kind == "primary key" else "UNIQUE"
                down.append(f"ALTER TABLE {name} ADD CONSTRAINT {ident(before.name)} {word} ({', '.join(ident(c) for c in before.columns)});")
            # keys are dropped after the foreign keys that use them and restored before them
            self._key_downs.append(down)

    def _foreign_key(self, table: Table, op: Op) -> None:
        name = _q(table)
        self.key_swap_tables.append(table.qualified)
        before, after = op.before, op.after
        if after is not None:
            self._cleanse_for_key(table, after)
            tmp = dataclasses.replace(after, name=temp_name(after.name))
            self.step("validate", "add-foreign-key", table, [ddl.add_foreign_key(table, tmp, not_valid=True)],
                      [f"ALTER TABLE {name} DROP CONSTRAINT IF EXISTS {ident(tmp.name)};"],
                      "SHARE ROW EXCLUSIVE on both tables, catalog-only (NOT VALID: no scan)",
                      "New writes are checked at once; existing rows at VALIDATE.",
                      title=f"foreign key ({', '.join(after.columns)}) -> {after.ref_table} on {table.qualified} NOT VALID")
            self.step("validate", "validate-foreign-key", table, [f"ALTER TABLE {name} VALIDATE CONSTRAINT {ident(tmp.name)};"],
                      [f"-- {tmp.name} is dropped by the reverse of the step that added it"],
                      "SHARE UPDATE EXCLUSIVE (reads and writes continue while rows are checked)",
                      "Fails if a row has no parent with the same tenant: read the error, fix or quarantine the row, rerun.",
                      title=f"validate foreign key ({', '.join(after.columns)}) on {table.qualified}")
        if before is not None:
            self.key_swap_up.insert(0, f"ALTER TABLE {name} DROP CONSTRAINT {ident(before.name)};")
        if after is not None:
            self.key_swap_up.append(f"ALTER TABLE {name} RENAME CONSTRAINT {ident(temp_name(after.name))} TO {ident(after.name)};")
        down_first = [f"ALTER TABLE {name} DROP CONSTRAINT IF EXISTS {ident(after.name)};"] if after is not None else []
        down_last = []
        if before is not None:
            down_last.append(ddl.add_foreign_key(table, before, not_valid=True))
            if before.validated:
                down_last.append(f"ALTER TABLE {name} VALIDATE CONSTRAINT {ident(before.name)};")
        self._fk_downs_first += down_first
        self._fk_downs_last += down_last

    def _cleanse_for_key(self, table: Table, key) -> None:
        """Before a new or widened foreign key is validated, exactly the rows no parent matches under it (a row
        pointing at another tenant's parent, once the key carries the tenant) go to the quarantine with the reason."""
        step_name = _slug("orphans", table.name, *key.columns)
        self.step("cleanse", "orphans", table,
                  [quarantine.orphans(step_name, table, key.columns, key.ref_table, key.ref_columns, key.name)],
                  [quarantine.restore(step_name)], ROW_EXCLUSIVE,
                  f"Moves rows no {key.ref_table} row matches on ({', '.join(key.ref_columns)}) to the quarantine "
                  "(another tenant's parent included); the down puts them back.",
                  title=f"quarantine rows of {table.qualified} that ({', '.join(key.columns)}) would reject")

    def _checks(self, table: Table, ops: list[Op]) -> None:
        name = _q(table)
        old = self.current.table(table.qualified)
        checks = {c.name for c in old.checks} | {c.name for c in table.checks}
        for op in ops:
            if op.concern != "constraints" or op.name not in checks:
                continue
            if op.before is not None:
                self.step("contract", "drop-check", table, [f"ALTER TABLE {name} DROP CONSTRAINT IF EXISTS {ident(op.name)};"],
                          [f"ALTER TABLE {name} ADD CONSTRAINT {ident(op.name)} {op.before.expression} NOT VALID;"]
                          + ([f"ALTER TABLE {name} VALIDATE CONSTRAINT {ident(op.name)};"] if op.before.validated else []),
                          SHORT_EXCLUSIVE,
                          "CONTRACT: the old rule no longer holds.",
                          squawk_ignore=(("ban-drop-constraint", "the design replaces or removes this check"),))
            if op.after is not None:
                tmp = op.name if op.before is None else temp_name(op.name)
                self.step("validate", "add-check", table,
                          [f"ALTER TABLE {name} ADD CONSTRAINT {ident(tmp)} {op.after.expression} NOT VALID;",
                           f"ALTER TABLE {name} VALIDATE CONSTRAINT {ident(tmp)};"],
                          [f"ALTER TABLE {name} DROP CONSTRAINT IF EXISTS {ident(tmp)};"], SHORT_EXCLUSIVE,
                          "Added NOT VALID then validated.")

    # row level security and policies ------------------------------------------------------------
    def _policies(self, table: Table, ops: list[Op]) -> None:
        name = _q(table)
        old = self.current.table(table.qualified)
        mine = [op for op in ops if op.concern == "policies"]
        if not mine:
            return
        up, down = [], []
        for op in mine:
            if op.name == "rls":
                continue
            # IF EXISTS also when new: an accepted fix may have created a policy of that name already
            up.append(f"DROP POLICY IF EXISTS {ident(op.name)} ON {name};")
            if op.after is not None:
                up.append(ddl.policy_statement(table, op.after))
                down.append(f"DROP POLICY IF EXISTS {ident(op.name)} ON {name};")
            if op.before is not None:
                down.append(ddl.policy_statement(old, op.before))
        if table.rls_enabled and not old.rls_enabled:
            up.append(f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY;")
            down.append(f"ALTER TABLE {name} DISABLE ROW LEVEL SECURITY;")
        if table.rls_forced and not old.rls_forced:
            up.append(f"ALTER TABLE {name} FORCE ROW LEVEL SECURITY;")
            down.append(f"ALTER TABLE {name} NO FORCE ROW LEVEL SECURITY;")
        if table.rls_enabled is False and old.rls_enabled:
            up.append(f"ALTER TABLE {name} DISABLE ROW LEVEL SECURITY;")
            down.append(f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY;")
        if not table.rls_forced and old.rls_forced:
            up.append(f"ALTER TABLE {name} NO FORCE ROW LEVEL SECURITY;")
            down.append(f"ALTER TABLE {name} FORCE ROW LEVEL SECURITY;")
        self.step("validate", "row-level-security", table, up, down, SHORT_EXCLUSIVE,
                  "Sessions that do not set app.tenant_id see no rows of this table (the owner too, once forced): deploy the "
                  "application that sets it first.", title=f"row level security on {table.qualified}")

    def _triggers(self, table: Table, ops: list[Op]) -> None:
        name = _q(table)
        for op in ops:
            if op.concern != "triggers":
                continue
            up, down = [], []
            if op.before is not None:
                up.append(f"DROP TRIGGER IF EXISTS {ident(op.name)} ON {name};")
            if op.after is not None:
                up.append(op.after.definition.rstrip(";") + ";")
                down.append(f"DROP TRIGGER IF EXISTS {ident(op.name)} ON {name};")
            if op.before is not None:
                down.append(op.before.definition.rstrip(";") + ";")
            self.step("validate", "trigger", table, up, down, "SHARE ROW EXCLUSIVE (brief)", "Every write now runs the trigger.",
                      title=f"trigger {op.name} on {table.qualified}")

    def _drop_views(self, views: list[Table]) -> None:
        """Views the design leaves out of the target (they read keys or tables it replaces), dropped in the contract
        phase; the down recreates them from their definitions, each after the views it reads."""
        ordered = ddl.view_order(views)
        names = ", ".join(v.qualified for v in ordered)
        drops = [f"DROP {'MATERIALIZED VIEW' if v.kind == 'materialized_view' else 'VIEW'} IF EXISTS {_q(v)};" for v in reversed(ordered)]
        creates = [statement for v in ordered for statement in ddl.view_statements(v)]
        self.step("contract", "drop-views", None, drops, creates, "ACCESS EXCLUSIVE on each view (catalog-only)",
                  f"CONTRACT: the design replaces what these views read (see the design notes: they must be rewritten); "
                  f"queries against them fail until the rewritten views are deployed. The down recreates them as they were, "
                  f"with a materialized view's indexes (grants must be re-applied): {names}.",
                  title=f"drop the views the design replaces: {names}")

    def _distribute(self, statements) -> None:
        """Citus: the distribution calls, in a block that warns and does nothing on a server without Citus
        (a scratch copy, a plain replica) rather than failing the whole migration there."""
        calls = [re.sub(r"^\s*SELECT\s+", "PERFORM ", sql.strip().rstrip(";")) + ";" for sql in statements]
        undo = [re.sub(r"PERFORM (create_reference_table|create_distributed_table)\(('[^']*').*", r"PERFORM undistribute_table(\2);", c)
                for c in reversed(calls)]

        def guarded(body: list[str], done: str) -> str:
            lines = "\n".join(f"    {line}" for line in body)
            return (
                "DO $citus$\nBEGIN\n"
                "    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN\n"
                f"        RAISE WARNING 'citus is not installed in this database: tables not {done}; run this on the Citus coordinator';\n"
                "        RETURN;\n    END IF;\n"
                f"{lines}\nEND\n$citus$;"
            )

        self.step("validate", "distribute-tables", None, [guarded(calls, "distributed")], [guarded(undo, "undistributed")],
                  "ACCESS EXCLUSIVE on each table while Citus copies it to its shards",
                  "Distributing copies each table's rows to the worker nodes: run in a quiet window. Without Citus the block "
                  "only warns.", title="distribute the tenant tables with Citus (reference tables for the shared ones)")

    def _free_sql(self, phase: str, kind: str, statements) -> None:
        downs = []
        for sql in statements:
            m = re.match(r"\s*CREATE\s+(?:OR\s+REPLACE\s+)?(FUNCTION|PROCEDURE|TYPE|SCHEMA|TABLE|VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?"
                         r"([\w.\"]+)\s*(\([^)]*\))?", sql, re.I)
            if m is None:
                continue
            what, obj = m.group(1).upper(), m.group(2)
            args = m.group(3) or "" if what in ("FUNCTION", "PROCEDURE") else ""
            downs.insert(0, f"DROP {what} IF EXISTS {obj}{args}{' CASCADE' if what == 'SCHEMA' else ''};")
        self.step(phase, kind, None, [s.rstrip().rstrip(";") + ";" for s in statements], downs or ["-- nothing to undo"],
                  "none on application tables", "New functions, types or tables the design needs.",
                  squawk_ignore=(("ban-drop-table", "rollback of objects this plan created"),
                                 ("ban-drop-schema", "rollback of objects this plan created"),
                                 ("ban-drop-function", "rollback of functions this plan created")))


# a new table (a tenant template's copy, say) has the column types the design's target gives it; changing them is a
# decision of its own, not something the migration lint should force on a copy
_TARGET_TYPES = tuple((rule, "column types as the design's target has them") for rule in
                      ("prefer-bigint-over-int", "prefer-bigint-over-smallint", "prefer-timestamp-tz", "prefer-text-field"))


def _base_types_first(domains: list) -> list:
    """A domain over another new domain comes after it."""
    done: list = []
    waiting = list(domains)
    while waiting:
        ready = [d for d in waiting if not any(_names_type(d.base_type, o) for o in waiting if o is not d)] or waiting[:1]
        done += ready
        waiting = [d for d in waiting if d not in ready]
    return done


def _names_type(text: str, domain) -> bool:
    return re.search(rf'(?<![\w$]){re.escape(domain.name)}"?(?![\w$])', text) is not None


def _follows_partitioning(op: Op, partitioned: set[str]) -> bool:
    """Changes that only make sense once a table is partitioned: its partitions, FKs dropped because they point at it."""
    if op.concern == "tables":
        return op.after is not None and op.after.partition_of in partitioned
    if op.concern == "constraints" and op.action == "drop" and hasattr(op.before, "ref_table"):
        return op.before.ref_table in partitioned
    return op.table in partitioned


def _refuse_integer_to_uuid(ops: list[Op]) -> None:
    """Existing integer keys turned into uuid (keys.strategy = "uuidv7") change every referencing column with their
    key and rewrite each table under its lock: no lock-safe plan is generated for that; say so instead of failing later."""
    converted = [f"{op.table}.{op.name}" for op in ops if op.concern == "columns" and op.action == "change"
                 and op.before.type in ("smallint", "integer", "bigint") and op.after.type == "uuid"]
    if converted:
        raise ConfigError(
            f'keys.strategy = "uuidv7" turns {len(converted)} existing integer key and foreign-key columns into uuid '
            f"({', '.join(converted[:3])}{', ...' if len(converted) > 3 else ''}), which no lock-safe migration does in "
            'place: plan the migration with keys.strategy = "keep" or "bigint-identity", or build the new schema from '
            "schema/target.sql (schema-studio design) and copy the data into it")


def plan_design(catalog: Catalog, decisions, builder: Builder, today=None):
    if decisions is None or not decisions.changes_structure:
        return [], [], {}
    made = design(catalog, decisions, today=today)
    planner = DesignPlanner(catalog, made, builder)
    planner.run()
    notes = [f"- **{n.title}** ({n.topic}): {n.text}" for n in made.notes]
    touched: dict[str, set[str]] = {}
    for op in operations(catalog, made.target):
        name = op.name if op.name not in ("primary_key", "rls", "") else None
        if op.name == "primary_key":
            name = (op.before or op.after).name
            touched.setdefault(op.table, set()).add(NEW_KEY)
        if name:
            touched.setdefault(op.table, set()).add(name)
    for name in tenant_moves.moved_tables(made):  # its rows leave for tenant schemas: no fix applies to the pool
        touched[name] = {WHOLE_TABLE}
    return notes, planner.notes, touched


def _names_any(definition: str, tables: list[Table]) -> bool:
    """Does the text name one of the tables, qualified or (on the search path) bare?"""
    return any(f"{t.schema}.{t.name}" in definition or qualified(t.schema, t.name) in definition
               or _mentions(definition, t.name) or _mentions(definition, ident(t.name)) for t in tables)


def _mentions(text: str | None, name: str) -> bool:
    return re.search(rf'(?<![\w$]){re.escape(name)}(?![\w$])', text or "") is not None
