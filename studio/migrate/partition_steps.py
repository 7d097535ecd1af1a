"""Partition an existing table without downtime: a partitioned copy kept in sync, filled, checked, swapped.

expand    the partitioned copy `<name>_new` (the design's target: partitions, keys with the
          partition key, foreign keys, indexes on the parent, policies) and sync triggers on the
          table mirroring every INSERT/UPDATE/DELETE (row level) and TRUNCATE (statement level) into
          it, so no write is lost while copying;
backfill  rows copied in key order, a batch per transaction, resumable from the progress table;
validate  both tables hold the same number of rows (RAISE otherwise);
contract  one short transaction under ACCESS EXCLUSIVE renames the table to `<name>_old` and the
          copy to `<name>`, moves names, sequences, triggers and incoming foreign keys across, and
          mirrors writes back into `<name>_old` so a rollback loses nothing; a separate, last step
          drops `<name>_old`.
Every step has a down; the downs together give back the original table, its rows and its names.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from studio import ddl
from studio.catalog import Catalog, Index, Table
from studio.migrate import backfill, quarantine
from studio.migrate.plan import Step, duration_class
from studio.sql import MAX_IDENTIFIER_BYTES, ident, idents, literal, qualified

SYNC_FUNCTIONS = ("ban-drop-function", "only the sync functions this plan created")
SQUAWK_NEW_TABLE = (("require-concurrent-index-creation", "indexes on the new, empty copy: nothing to block"), SYNC_FUNCTIONS,
                    ("ban-drop-table", "rollback of the copy this plan created"),
                    ("prefer-robust-stmts", "runs in one transaction; a failure rolls it all back"),
                    ("constraint-missing-not-valid", "foreign keys of the new, empty copy: validation reads no row"))


def temp_name(name: str, tail: str) -> str:
    base = name.encode()[: MAX_IDENTIFIER_BYTES - len(tail) - 1].decode(errors="ignore")
    return f"{base}_{tail}"


def _slug(*parts: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", "_".join(parts).lower()).strip("_")[:60]


def _plain_indexes(table: Table, valid_only: bool = True) -> list[Index]:
    return [i for i in table.indexes if not i.constraint and (i.valid or not valid_only)]


def _keyed(table: Table) -> list:
    """Constraints that own an index (their names are schema-wide): primary key, uniques, exclusions."""
    return [c for c in (table.primary_key, *table.uniques, *table.exclusions) if c is not None]


Computed = dict[str, Callable[[str], str]]  # a column the table lacks -> its value as SQL over a row alias


def unsupported(current: Catalog, target: Catalog, name: str, computed: Computed | None = None) -> str | None:
    """Why this table cannot be partitioned by the copy-and-swap flow, or None (`computed`: new columns it can fill)."""
    old, new = current.table(name), target.table(name)
    if old is None or new is None or old.kind != "table":
        return "it is not a plain table today"
    if old.primary_key is None:
        return "it has no primary key to copy by and to mirror updates with"
    missing = [c.name for c in new.columns if old.column(c.name) is None and c.name not in (computed or {})]
    if missing:
        return f"the target adds columns the copy cannot fill ({', '.join(missing)})"
    if old.inherits or any(name in t.inherits for t in current.tables):
        return "it takes part in table inheritance"
    if any(fk.ref_table == name for fk in old.foreign_keys):
        return "it references itself"
    if any(v.kind == "materialized_view" and _mentions(v.view_definition, old.name) for v in current.tables):
        return "a materialized view reads it (it would keep reading the old table)"
    return None


def _mentions(text: str | None, name: str) -> bool:
    return re.search(rf'(?<![\w$]){re.escape(name)}(?![\w$])', text or "") is not None


def is_key(catalog: Catalog, table: str, columns) -> bool:
    """A primary key, unique constraint or whole unique index over exactly these columns (what a foreign key needs)."""
    t = catalog.table(table)
    if t is None:
        return False
    keys = [k.columns for k in (t.primary_key, *t.uniques) if k is not None]
    keys += [tuple(k.column for k in i.keys) for i in t.indexes if i.unique and i.valid and not i.predicate]
    return any(set(k) == set(columns) for k in keys)


@dataclasses.dataclass
class PartitionFlow:
    current: Catalog
    target: Catalog
    name: str  # schema-qualified
    computed: Computed = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        self.old = self.current.table(self.name)
        self.new = self.target.table(self.name)
        self.schema = self.old.schema
        self.q = qualified(self.schema, self.old.name)
        self.new_name = temp_name(self.old.name, "new")
        self.old_name = temp_name(self.old.name, "old")
        self.q_new = qualified(self.schema, self.new_name)
        self.q_old = qualified(self.schema, self.old_name)
        self.to_new = temp_name(self.old.name, "sync_to_new")
        self.to_old = temp_name(self.old.name, "sync_to_old")
        self.truncate_to_new = temp_name(self.old.name, "truncate_to_new")
        self.truncate_to_old = temp_name(self.old.name, "truncate_to_old")
        self.key = self.old.primary_key.columns
        self.columns = [c.name for c in self.new.columns if not c.generated]
        self.old_columns = [c for c in self.columns if self.old.column(c) is not None]
        # foreign keys naming a key the design builds later (a tenant-wide key) join the copy after the key swap
        self.later_fks = [fk for fk in self.new.foreign_keys if not is_key(self.current, fk.ref_table, fk.ref_columns)]
        # the old table's own foreign keys go at the swap: from then on it is a rollback copy, written by the sync
        # trigger from the live table, whose own foreign keys check every row; its own would only block what the
        # plan does to the parents later (the key swap dropping keys they name, a tenant move deleting parent rows)
        self.stale_fks = list(self.old.foreign_keys)
        self.partitions = [t for t in self.target.tables if t.partition_of == self.name]
        self.incoming = [(t, fk) for t in self.current.tables if t.qualified != self.name
                         for fk in t.foreign_keys if fk.ref_table == self.name]
        self.views = [v for v in self.current.tables if v.kind == "view" and _mentions(v.view_definition, self.old.name)]
        self.copy_step = _slug("copy", self.old.name, "partitioned")

    # names ------------------------------------------------------------------------------------
    def _table_named(self, table: Table, name: str, tail: str) -> Table:
        """The table under another name, its index-owning constraints and plain indexes renamed with `tail`."""
        return dataclasses.replace(
            table, name=name, foreign_keys=(),
            primary_key=dataclasses.replace(table.primary_key, name=temp_name(table.primary_key.name, tail)) if table.primary_key else None,
            uniques=tuple(dataclasses.replace(u, name=temp_name(u.name, tail)) for u in table.uniques),
            exclusions=tuple(dataclasses.replace(e, name=temp_name(e.name, tail)) for e in table.exclusions),
            indexes=tuple(dataclasses.replace(i, name=temp_name(i.name, tail)) for i in _plain_indexes(table)),
            triggers=(), policies=table.policies)

    def _rename_keyed(self, table_sql: str, table: Table, tail_from: str | None, tail_to: str | None) -> list[str]:
        out = []
        for c in _keyed(table):
            a = temp_name(c.name, tail_from) if tail_from else c.name
            b = temp_name(c.name, tail_to) if tail_to else c.name
            out.append(f"ALTER TABLE {table_sql} RENAME CONSTRAINT {ident(a)} TO {ident(b)};")
        return out

    def _rename_indexes(self, table: Table, tail_from: str | None, tail_to: str | None, valid_only: bool = True) -> list[str]:
        out = []
        for i in _plain_indexes(table, valid_only):
            a = temp_name(i.name, tail_from) if tail_from else i.name
            b = temp_name(i.name, tail_to) if tail_to else i.name
            out.append(f"ALTER INDEX {qualified(self.schema, a)} RENAME TO {ident(b)};")
        return out

    def _identity_columns(self) -> list:
        return [c for c in self.old.columns if c.identity and c.sequence]

    def _serial_sequences(self) -> list[tuple[str, str]]:
        """(sequence, column) of nextval() defaults whose sequence the table's column owns."""
        out = []
        for s in self.current.sequences:
            owner = s.owned_by or ""
            column = owner[len(self.name) + 1:] if owner.startswith(self.name + ".") else None
            if column and self.old.column(column) and not self.old.column(column).identity:
                out.append((qualified(s.schema, s.name), column))
        return out

    def _identity_handover(self, source: str, source_tail: str, dest: str, dest_tail: str) -> list[str]:
        """Under the swap's lock: the receiving table's identity continues where the giving one stopped, names swap."""
        statements = []
        for column in self._identity_columns():
            seq_name = column.sequence.partition(".")[2]
            col = literal(column.name)
            statements.append(
                "DO $identity$\nDECLARE\n    _from regclass := pg_get_serial_sequence(" + literal(source) + f", {col})::regclass;\n"
                "    _to regclass := pg_get_serial_sequence(" + literal(dest) + f", {col})::regclass;\n"
                "    _n bigint;\nBEGIN\n"
                f"    SELECT greatest(coalesce(pg_sequence_last_value(_from), 0), (SELECT coalesce(max({ident(column.name)}), 0) FROM {source})) INTO _n;\n"
                "    PERFORM setval(_to, greatest(1, _n), _n > 0);\n"
                f"    EXECUTE format('ALTER SEQUENCE %s RENAME TO %I', _from, {literal(temp_name(seq_name, source_tail))});\n"
                f"    EXECUTE format('ALTER SEQUENCE %s RENAME TO %I', _to, {literal(seq_name if not dest_tail else temp_name(seq_name, dest_tail))});\n"
                "END\n$identity$;")
        return statements

    def _sync_function(self, function: str, dest: str) -> str:
        match = " AND ".join(f"d.{ident(k)} = OLD.{ident(k)}" for k in self.key)
        to_new = function == self.to_new
        columns = self.columns if to_new else self.old_columns
        computed = self.computed if to_new else {}
        values = ", ".join(computed[c]("NEW") if c in computed else f"NEW.{ident(c)}" for c in columns)
        # a row a new column cannot be filled for stays behind: the cleanse step quarantines it, the count check sees it
        filled = "".join(f" WHERE ({computed[c]('NEW')}) IS NOT NULL" if i == 0 else f" AND ({computed[c]('NEW')}) IS NOT NULL"
                         for i, c in enumerate(computed))
        return (
            f"CREATE OR REPLACE FUNCTION {qualified(self.schema, function)}() RETURNS trigger LANGUAGE plpgsql AS $sync$\n"
            "BEGIN\n"
            "    IF TG_OP = 'TRUNCATE' THEN\n"
            f"        TRUNCATE {dest};\n"
            "        RETURN NULL;\n"
            "    END IF;\n"
            "    IF TG_OP IN ('UPDATE', 'DELETE') THEN\n"
            f"        DELETE FROM {dest} AS d WHERE {match};\n"
            "    END IF;\n"
            "    IF TG_OP IN ('INSERT', 'UPDATE') THEN\n"
            f"        INSERT INTO {dest} ({idents(columns)}) OVERRIDING SYSTEM VALUE SELECT {values}{filled} ON CONFLICT DO NOTHING;\n"
            "    END IF;\n"
            "    RETURN NULL;\n"
            "END\n$sync$;")

    def _sync_triggers(self, function: str, on: str) -> list[str]:
        """Row writes mirrored row by row; a TRUNCATE (statement level only) empties the other table too."""
        truncate = self.truncate_to_new if function == self.to_new else self.truncate_to_old
        return [f"CREATE TRIGGER {ident(function)} AFTER INSERT OR UPDATE OR DELETE ON {on} "
                f"FOR EACH ROW EXECUTE FUNCTION {qualified(self.schema, function)}();",
                f"CREATE TRIGGER {ident(truncate)} AFTER TRUNCATE ON {on} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {qualified(self.schema, function)}();"]

    def _drop_sync_triggers(self, function: str, on: str, if_exists: bool = True) -> list[str]:
        truncate = self.truncate_to_new if function == self.to_new else self.truncate_to_old
        exists = " IF EXISTS" if if_exists else ""
        return [f"DROP TRIGGER{exists} {ident(function)} ON {on};", f"DROP TRIGGER{exists} {ident(truncate)} ON {on};"]

    def _comments(self, table: Table, on: str) -> list[str]:
        out = [f"COMMENT ON TABLE {on} IS {literal(table.comment)};"] if table.comment else []
        out += [f"COMMENT ON COLUMN {on}.{ident(c.name)} IS {literal(c.comment)};" for c in table.columns if c.comment]
        return out

    def _user_triggers(self, table: Table, on_from: str, on_to: str) -> list[str]:
        out = []
        for trigger in table.triggers:
            out.append(re.sub(rf"\bON {re.escape(on_from)}(?= )", f"ON {on_to}", trigger.definition.rstrip(";"), count=1) + ";")
        return out

    # steps ------------------------------------------------------------------------------------
    def expand(self) -> Step:
        copy = self._table_named(self.new, self.new_name, "new")
        up = [ddl.create_table(copy, self.target)]
        for part in self.partitions:
            up.append(ddl.create_table(dataclasses.replace(part, partition_of=f"{self.schema}.{self.new_name}"), self.target))
        # the copy is empty: its foreign keys are checked row by row as the copy fills it
        up += [ddl.add_foreign_key(copy, fk, not_valid=False) for fk in self.new.foreign_keys if fk not in self.later_fks]
        up += [ddl.index_statement(copy, i) for i in copy.indexes]
        up += [ddl.policy_statement(copy, p) for p in self.new.policies]  # enforced from the swap on
        up += self._comments(self.new, self.q_new)
        up += [self._sync_function(self.to_new, self.q_new), *self._sync_triggers(self.to_new, self.q)]
        down = [*self._drop_sync_triggers(self.to_new, self.q),
                f"DROP FUNCTION IF EXISTS {qualified(self.schema, self.to_new)}();",
                f"DROP TABLE IF EXISTS {self.q_new};"]
        return Step(
            phase="expand", name=_slug("partitioned-copy", self.old.name), up=tuple(up), down=tuple(down),
            title=f"create the partitioned copy {self.schema}.{self.new_name} and mirror writes on {self.name} into it",
            lock=f"SHARE ROW EXCLUSIVE on {self.name} while the sync trigger is created (writes wait a moment); the copy is new",
            risk=f"From now on every write to {self.name} also writes the copy (a little slower). The copy's partition key "
                 f"{', '.join(self.new.partitioning.columns)} is NOT NULL: a row without it makes the write fail.",
            duration_class="seconds", tables=(self.name,), squawk_ignore=SQUAWK_NEW_TABLE)

    def copy(self) -> Step:
        return Step(
            phase="backfill", name=_slug("copy-rows", self.old.name), up=("SET row_security = off;", backfill.batched_copy(
                self.copy_step, self.old, self.q_new, self.columns, computed={c: f("x") for c, f in self.computed.items()}),),
            down=(backfill.forget(self.copy_step), f"TRUNCATE {self.q_new};"),
            title=f"copy the rows of {self.name} into its partitioned copy",
            lock=f"FOR SHARE on one batch of {self.name} at a time (writers of those rows wait for the batch); "
                 "ROW EXCLUSIVE on the copy",
            risk=f"Copies {backfill.BATCH_SIZE} rows per transaction in key order: resumable (a rerun continues after the last "
                 "committed key, see schema_studio_migration.progress; rows already copied are skipped). Run it as the table "
                 "owner: row level security makes it fail rather than copy part of the rows.",
            duration_class=duration_class(self.old.row_estimate), transactional=False, tables=(self.name,),
            squawk_ignore=(("ban-truncate-cascade", "rollback empties only the copy this plan filled"),))

    def cleanse(self) -> Step | None:
        """Rows a new NOT NULL column cannot be filled for (no parent to take it from) move to the quarantine."""
        if not self.computed:
            return None
        step = _slug("unfilled", self.old.name)
        return Step(
            phase="cleanse", name=step, title=f"quarantine rows of {self.name} without a value for {', '.join(self.computed)}",
            up=tuple(quarantine.unfilled(step, self.old, c, f("c")) for c, f in self.computed.items()),
            down=(quarantine.restore(step),),
            lock=f"ROW EXCLUSIVE on {self.name} (the rows it moves)",
            risk=f"Moves the rows the copy skipped ({', '.join(self.computed)} has nothing to be filled from) to the quarantine, "
                 "with the reason and the original row; the down puts them back.",
            duration_class=duration_class(self.old.row_estimate), tables=(self.name,))

    def later_foreign_keys(self) -> Step | None:
        if not self.later_fks:
            return None
        up = []
        for fk in self.later_fks:
            up.append(ddl.add_foreign_key(self.new, fk, not_valid=True))
            up.append(f"ALTER TABLE {self.q} VALIDATE CONSTRAINT {ident(fk.name)};")
        return Step(
            phase="contract", name=_slug("foreign-keys-of-partitioned", self.old.name), up=tuple(up),
            down=tuple(f"ALTER TABLE {self.q} DROP CONSTRAINT IF EXISTS {ident(fk.name)};" for fk in self.later_fks),
            title=f"foreign keys of the partitioned {self.name} on the keys the design built",
            lock="SHARE ROW EXCLUSIVE on the table and the referenced tables; VALIDATE reads the rows (writes continue)",
            risk="Added NOT VALID then validated: fails if a row has no parent with the same key; fix the row, rerun.",
            duration_class=duration_class(self.old.row_estimate), tables=(self.name,),
            squawk_ignore=(("constraint-missing-not-valid", "added NOT VALID, then validated in the same short step"),))

    def validate(self) -> Step:
        check = (
            "DO $check$\nDECLARE\n    _old bigint;\n    _new bigint;\nBEGIN\n"
            f"    SELECT (SELECT count(*) FROM ONLY {self.q}), (SELECT count(*) FROM {self.q_new}) INTO _old, _new;\n"
            "    IF _old <> _new THEN\n"
            f"        RAISE EXCEPTION '% holds % rows, its partitioned copy %: rerun the copy step, then this one', "
            f"{literal(self.name)}, _old, _new;\n"
            "    END IF;\n"
            f"    RAISE NOTICE 'row counts equal: % rows in % and in its partitioned copy', _old, {literal(self.name)};\n"
            "END\n$check$;")
        return Step(
            phase="validate", name=_slug("row-counts", self.old.name), up=("SET LOCAL row_security = off;", check),
            down=("-- a check: nothing to undo",), title=f"check the partitioned copy of {self.name} holds every row",
            lock="ACCESS SHARE on both tables (reads every row; writes continue)",
            risk="Fails loudly if a row is missing: nothing changes until both counts are equal.",
            duration_class=duration_class(self.old.row_estimate), tables=(self.name,))

    def swap(self) -> Step:
        old, new = self.old, self.new
        kept = {fk.name: fk for t in self.target.tables for fk in t.foreign_keys if fk.ref_table == self.name}
        up = [f"LOCK TABLE {self.q}, {self.q_new} IN ACCESS EXCLUSIVE MODE;",
              *self._drop_sync_triggers(self.to_new, self.q, if_exists=False)]
        up += [f"ALTER TABLE {qualified(t.schema, t.name)} DROP CONSTRAINT {ident(fk.name)};" for t, fk in self.incoming]
        up += [f"ALTER TABLE {self.q} DISABLE TRIGGER {ident(t.name)};" for t in old.triggers if t.enabled]
        up += self._rename_keyed(self.q, old, None, "old") + self._rename_indexes(old, None, "old", valid_only=False)
        up += [f"ALTER TABLE {self.q} RENAME TO {ident(self.old_name)};", f"ALTER TABLE {self.q_new} RENAME TO {ident(old.name)};"]
        up += [f"ALTER TABLE {self.q_old} DROP CONSTRAINT {ident(fk.name)};" for fk in self.stale_fks]
        up += self._rename_keyed(self.q, new, "new", None) + self._rename_indexes(new, "new", None)
        up += self._identity_handover(self.q_old, "old", self.q, "")
        up += [f"ALTER SEQUENCE {seq} OWNED BY {self.q}.{ident(col)};" for seq, col in self._serial_sequences()]
        if new.rls_enabled:
            up.append(f"ALTER TABLE {self.q} ENABLE ROW LEVEL SECURITY;")
        if new.rls_forced:
            up.append(f"ALTER TABLE {self.q} FORCE ROW LEVEL SECURITY;")
        up += [t.definition.rstrip(";") + ";" for t in new.triggers]
        up += [f"ALTER TABLE {self.q} DISABLE TRIGGER {ident(t.name)};" for t in new.triggers if not t.enabled]
        up += [f"CREATE OR REPLACE VIEW {qualified(v.schema, v.name)} AS {v.view_definition.strip().rstrip(';')};" for v in self.views]
        for t, fk in self.incoming:
            if fk.name in kept:
                up.append(ddl.add_foreign_key(t, kept[fk.name], not_valid=True))
        up += [self._sync_function(self.to_old, self.q_old), *self._sync_triggers(self.to_old, self.q)]

        down = [f"LOCK TABLE {self.q}, {self.q_old} IN ACCESS EXCLUSIVE MODE;",
                *self._drop_sync_triggers(self.to_old, self.q),
                f"DROP FUNCTION IF EXISTS {qualified(self.schema, self.to_old)}();"]
        down += [f"ALTER TABLE {qualified(t.schema, t.name)} DROP CONSTRAINT IF EXISTS {ident(fk.name)};"
                 for t, fk in self.incoming if fk.name in kept]
        down += [f"DROP TRIGGER IF EXISTS {ident(t.name)} ON {self.q};" for t in new.triggers]
        if new.rls_forced and not old.rls_forced:
            down.append(f"ALTER TABLE {self.q} NO FORCE ROW LEVEL SECURITY;")
        if new.rls_enabled and not old.rls_enabled:
            down.append(f"ALTER TABLE {self.q} DISABLE ROW LEVEL SECURITY;")
        down += [f"ALTER SEQUENCE {seq} OWNED BY {self.q_old}.{ident(col)};" for seq, col in self._serial_sequences()]
        down += self._identity_handover(self.q, "new", self.q_old, "")
        down += self._rename_keyed(self.q, new, None, "new") + self._rename_indexes(new, None, "new")
        down += [f"ALTER TABLE {self.q} RENAME TO {ident(self.new_name)};", f"ALTER TABLE {self.q_old} RENAME TO {ident(old.name)};"]
        for fk in self.stale_fks:  # the key swap's down has put the keys they name back
            down.append(ddl.add_foreign_key(old, fk, not_valid=True))
            if fk.validated:
                down.append(f"ALTER TABLE {self.q} VALIDATE CONSTRAINT {ident(fk.name)};")
        down += self._rename_keyed(self.q, old, "old", None) + self._rename_indexes(old, "old", None, valid_only=False)
        down += [f"ALTER TABLE {self.q} ENABLE TRIGGER {ident(t.name)};" for t in old.triggers if t.enabled]
        down += [f"CREATE OR REPLACE VIEW {qualified(v.schema, v.name)} AS {v.view_definition.strip().rstrip(';')};" for v in self.views]
        for t, fk in self.incoming:
            down.append(ddl.add_foreign_key(t, fk, not_valid=True))
            if fk.validated:
                down.append(self._validate_if_whole(t, fk))
        down += self._sync_triggers(self.to_new, self.q)
        dropped = [f"{t.qualified} ({', '.join(fk.columns)})" for t, fk in self.incoming if fk.name not in kept]
        referencing = sorted({t.qualified for t, _ in self.incoming})
        return Step(
            phase="contract", name=_slug("swap-in-partitioned", self.old.name), up=tuple(up), down=tuple(down),
            title=f"swap the partitioned copy in as {self.name} (CONTRACT)",
            lock=f"ACCESS EXCLUSIVE on {self.name} and its copy for a moment (catalog-only renames; waits behind long "
                 f"transactions, lock_timeout bounds the wait)"
                 + (f"; SHARE ROW EXCLUSIVE on {', '.join(referencing)} (their foreign keys change)" if referencing else ""),
            risk=f"Queries wait for the lock for a moment. From here writes go to the partitioned table and are mirrored back "
                 f"into {self.schema}.{self.old_name}, so the down loses nothing. Keys now include the partition key: a value "
                 f"is unique only together with it."
                 + (f" Foreign keys that cannot name the whole new key are dropped, as the design says: {', '.join(dropped)}; "
                    "check those references in the application or a trigger." if dropped else "")
                 + (" Re-pointed foreign keys are added NOT VALID and validated in the next step." if len(dropped) < len(self.incoming) else ""),
            duration_class="seconds", tables=(self.name, *referencing),
            squawk_ignore=(("renaming-object", "the swap: the copy takes the table's name, the table steps aside"),
                           ("renaming-table", "the swap: the copy takes the table's name, the table steps aside"), SYNC_FUNCTIONS,
                           ("ban-drop-constraint", "foreign keys to the old table are dropped or re-pointed at the new one"),
                           ("constraint-missing-not-valid", "the down restores the original foreign keys of a rollback in one step"),
                           ("prefer-robust-stmts", "runs in one transaction; a failure rolls it all back")))

    def _validate_if_whole(self, child: Table, fk) -> str:
        """A dropped reference comes back validated unless rows lost their parent meanwhile (nothing is deleted)."""
        join = " AND ".join(f"p.{ident(r)} = c.{ident(col)}" for col, r in zip(fk.columns, fk.ref_columns, strict=True))
        present = " AND ".join(f"c.{ident(col)} IS NOT NULL" for col in fk.columns)
        name = qualified(child.schema, child.name)
        return (
            "DO $references$\nDECLARE\n    _orphans bigint;\nBEGIN\n"
            f"    SELECT count(*) INTO _orphans FROM {name} AS c WHERE {present}\n"
            f"        AND NOT EXISTS (SELECT 1 FROM {self.q} AS p WHERE {join});\n"
            "    IF _orphans = 0 THEN\n"
            f"        ALTER TABLE {name} VALIDATE CONSTRAINT {ident(fk.name)};\n"
            "    ELSE\n"
            f"        RAISE NOTICE '% left NOT VALID: % row(s) of % reference rows deleted while it was dropped; "
            f"fix or quarantine them, then VALIDATE CONSTRAINT', {literal(fk.name)}, _orphans, {literal(child.qualified)};\n"
            "    END IF;\nEND\n$references$;")

    def validate_references(self) -> Step | None:
        kept = {fk.name: fk for t in self.target.tables for fk in t.foreign_keys if fk.ref_table == self.name}
        moved = [(t, fk) for t, fk in self.incoming if fk.name in kept]
        if not moved:
            return None
        return Step(
            phase="contract", name=_slug("validate-references", self.old.name),
            up=tuple(f"ALTER TABLE {qualified(t.schema, t.name)} VALIDATE CONSTRAINT {ident(fk.name)};" for t, fk in moved),
            down=("-- the swap's down puts the original foreign keys back",),
            title=f"validate the foreign keys re-pointed at the partitioned {self.name}",
            lock="SHARE UPDATE EXCLUSIVE on the referencing tables (reads and writes continue)",
            risk="Fails if a referencing row has no partner in the partitioned table: read the error, fix the row, rerun.",
            duration_class="seconds", tables=tuple(t.qualified for t, _ in moved))

    def drop_old(self) -> Step:
        old = self.old
        up = [*self._drop_sync_triggers(self.to_old, self.q), f"DROP TABLE {self.q_old};",
              f"DROP FUNCTION IF EXISTS {qualified(self.schema, self.to_old)}();",
              f"DROP FUNCTION IF EXISTS {qualified(self.schema, self.to_new)}();"]
        again = self._table_named(old, self.old_name, "old")
        down = [self._sync_function(self.to_new, self.q_new), self._sync_function(self.to_old, self.q_old),
                ddl.create_table(again, self.current),
                f"INSERT INTO {self.q_old} ({idents(self.old_columns)}) OVERRIDING SYSTEM VALUE SELECT {idents(self.old_columns)} FROM {self.q};"]
        for fk in old.foreign_keys:
            if fk in self.stale_fks:  # dropped at the swap; the swap's down adds it back
                continue
            down.append(ddl.add_foreign_key(again, fk, not_valid=True))
            if fk.validated:
                down.append(f"ALTER TABLE {self.q_old} VALIDATE CONSTRAINT {ident(fk.name)};")
        down += [ddl.index_statement(again, i) for i in again.indexes]
        down += [ddl.policy_statement(again, p) for p in old.policies]
        if old.rls_enabled:
            down.append(f"ALTER TABLE {self.q_old} ENABLE ROW LEVEL SECURITY;")
        if old.rls_forced:
            down.append(f"ALTER TABLE {self.q_old} FORCE ROW LEVEL SECURITY;")
        down += self._comments(old, self.q_old)
        down += self._user_triggers(old, self.q, self.q_old)
        down += [f"ALTER TABLE {self.q_old} DISABLE TRIGGER {ident(t.name)};" for t in old.triggers]
        down += self._sync_triggers(self.to_old, self.q)
        return Step(
            phase="contract", name=_slug("drop-pre-partitioning", self.old.name), up=tuple(up), down=tuple(down),
            title=f"drop {self.schema}.{self.old_name}, the table before partitioning (CONTRACT, last)",
            lock=f"ACCESS EXCLUSIVE on {self.schema}.{self.old_name} (nothing reads it any more) and SHARE ROW EXCLUSIVE on "
                 f"{self.name} for a moment (its mirror trigger goes)",
            risk="Run it last, once the partitioned table has served the application for a while: after it, a rollback must "
                 f"rebuild {self.schema}.{self.old_name} and copy every row back in one transaction (its down does so).",
            duration_class="seconds", tables=(self.name,),
            squawk_ignore=(("ban-drop-table", "the table before partitioning, replaced by its partitioned copy"), SYNC_FUNCTIONS,
                           ("require-concurrent-index-creation", "rollback: indexes of a table rebuilt in the same transaction"),
                           ("constraint-missing-not-valid", "rollback: foreign keys of a table rebuilt in the same transaction"),
                           ("prefer-robust-stmts", "runs in one transaction; a failure rolls it all back")))


def partition_steps(current: Catalog, target: Catalog, name: str, computed: Computed | None = None) -> tuple[list[Step], list[Step]]:
    """(steps in phase order, the contract steps to add after every other one: after the key swap, the old table's drop last)."""
    flow = PartitionFlow(current, target, name, computed or {})
    steps = [flow.expand(), flow.copy(), flow.cleanse(), flow.validate(), flow.swap(), flow.validate_references()]
    return [s for s in steps if s is not None], [s for s in (flow.later_foreign_keys(), flow.drop_old()) if s is not None]

