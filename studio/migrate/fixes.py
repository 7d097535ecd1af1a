"""Accepted findings' fixes -> steps.

A fix is runnable DDL written for one finding. Each statement is recognised by its shape and
placed in its phase with its reverse, built from the current model (so a dropped index or
constraint comes back exactly as it was). A fix with any statement we do not recognise, or
only a commented plan, is left for a person, with the reason in the README: guessing the
reverse of unknown DDL would make the rollback a lie.
"""

from __future__ import annotations

import dataclasses
import re

from analyzers.registry import Finding
from studio import ddl
from studio.catalog import Catalog, ForeignKey, Table
from studio.migrate import quarantine
from studio.migrate.plan import Builder, Left, Step, duration_class
from studio.migrate.sqltext import column_list, match, qualified_key, unquote
from studio.sources.ddl_script import split
from studio.sql import ident, idents, literal, qualified, qualified_name

SHARE_UPDATE = "SHARE UPDATE EXCLUSIVE (reads and writes continue)"
ACCESS_EXCLUSIVE = "ACCESS EXCLUSIVE (blocks reads and writes while it runs)"
SHORT_EXCLUSIVE = "ACCESS EXCLUSIVE, catalog-only (milliseconds; waits behind long transactions)"


def drop_key_keeping_references(table, key: str) -> str:
    """The down of a key a fix added. Foreign keys restored meanwhile (by a later step's down) may have bound to
    this key's index rather than to the equal unique index they had before; they are re-created after the drop,
    binding to that one again, instead of blocking the drop or being dropped with CASCADE."""
    index = literal(qualified(table.schema, key))
    return (
        "DO $down$\nDECLARE\n    fk record;\n    again text[] := '{}';\n    statement text;\nBEGIN\n"
        "    FOR fk IN SELECT c.conrelid::regclass AS rel, c.conname, pg_get_constraintdef(c.oid) AS definition\n"
        f"              FROM pg_constraint c WHERE c.contype = 'f' AND c.conindid = to_regclass({index}) LOOP\n"
        "        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fk.rel, fk.conname);\n"
        "        again := again || format('ALTER TABLE %s ADD CONSTRAINT %I %s', fk.rel, fk.conname, fk.definition);\n"
        "    END LOOP;\n"
        f"    ALTER TABLE {qualified(table.schema, table.name)} DROP CONSTRAINT IF EXISTS {ident(key)};\n"
        "    FOREACH statement IN ARRAY again LOOP\n        EXECUTE statement;\n    END LOOP;\nEND\n$down$;"
    )
SHARE_ROW = "SHARE ROW EXCLUSIVE on both tables, catalog-only (NOT VALID: no scan)"
ROW_EXCLUSIVE = "ROW EXCLUSIVE (the moved rows only)"


# Fixes that rest on a guess (a relationship or a natural key the schema never declared): by default their
# constraint is added without moving a row; their cleanse runs only when the rule or the finding is named.
UTC_LOCAL = "SET LOCAL TimeZone = 'UTC';"
GUESSED = frozenset({"implied-foreign-key", "natural-key-not-unique"})
GUESSED_PREFIX = "guessed_"  # such a step runs after every other (plan.build_plan)


def _names(accepted) -> set[str]:
    return {accepted} if isinstance(accepted, str) else set(accepted or ())


def accepted_findings(findings, accepted) -> list[Finding]:
    """`accepted` is "all", "none", or rule ids / finding keys, "all" among them accepting every fix."""
    wanted = _names(accepted)
    if "all" in wanted:
        return [f for f in findings if f.fix]
    return [f for f in findings if f.fix and (f.rule in wanted or f.key in wanted)]


def named(finding: Finding, accepted) -> bool:
    wanted = _names(accepted)
    return finding.rule in wanted or finding.key in wanted


def statements(fix: str) -> list[str]:
    out = []
    for st in split(fix):
        if st.is_meta:
            continue
        body = "\n".join(line for line in st.sql.splitlines() if not line.strip().startswith("--")).strip()
        if body:
            out.append(body)
    return out


def plan_fixes(catalog: Catalog, findings, accepted, builder: Builder, left_out: dict[str, str] | None = None):
    """`left_out`: finding keys an earlier verification took out of the plan, with why (left to a person)."""
    fixed: list[str] = []
    left: list[Left] = []
    notes: list[str] = []
    for finding in findings:
        if finding not in accepted_findings(findings, accepted):
            left.append(Left(finding.key, finding.rule, finding.table, "not accepted"))
    for finding in accepted_findings(findings, accepted):
        if left_out and finding.key in left_out:
            left.append(Left(finding.key, finding.rule, finding.table, left_out[finding.key]))
            continue
        sqls = statements(finding.fix)
        if re.match(r"\s*--\s*If\b", finding.fix):
            left.append(Left(finding.key, finding.rule, finding.table, "conditional fix: it needs a person's answer first"))
            continue
        if not sqls:
            left.append(Left(finding.key, finding.rule, finding.table, "its fix is a plan for a person (comments only)"))
            continue
        steps = _translate_fix(catalog, finding, sqls)
        if isinstance(steps, str):
            left.append(Left(finding.key, finding.rule, finding.table, steps))
            continue
        if finding.rule in GUESSED and not named(finding, accepted) and any(s.phase == "cleanse" for s in steps):
            steps, why = _without_moving_rows(catalog, finding, steps)
            if not steps:
                left.append(Left(finding.key, finding.rule, finding.table, why))
                continue
            notes.append(why)
        for step in steps:
            builder.add(step)
        fixed.append(finding.key)
    return fixed, left, notes


def _without_moving_rows(catalog: Catalog, finding: Finding, steps: list[Step]) -> tuple[list[Step], str]:
    """A guessed fix without its cleanse: a foreign key stays NOT VALID (new writes are checked, no row moves);
    a unique key, which has no NOT VALID form, is left. The reason carries the query that lists the rows."""
    name = f"--fix {finding.rule} (or --fix {finding.key})"
    table = catalog.table(finding.table)
    key = next((s for s in steps if s.name.startswith("add_foreign_key")), None)
    if key is not None and key.phase != "expand":  # a partitioned table: no NOT VALID foreign key exists
        return [], (f"a guessed foreign key on a partitioned table cannot be added NOT VALID, and validating it would "
                    f"quarantine its orphans: export with {name} to run it.")
    if key is not None and table is not None:
        fk = next(f for f in _added_foreign_keys(key) if f)
        query = quarantine.orphan_query(table, fk[1], fk[2], fk[3])
        # Last of the ups, so first of the downs: a NOT VALID key refuses the orphans any down puts back (a quarantine
        # restore, a tenant move's rollback) unless it is gone by then.
        last = dataclasses.replace(key, phase="contract", name=GUESSED_PREFIX + key.name,
                                   title=f"guessed foreign key ({', '.join(fk[1])}) -> {fk[2]} on {table.qualified} NOT VALID")
        return [last], (f"{finding.table}: the guessed foreign key {fk[0]} ({', '.join(fk[1])}) -> {fk[2]} is added NOT VALID "
                       f"(new writes are checked; no row moves on a guess). Rows it would reject: `{query};` "
                       f"To quarantine them and VALIDATE, export with {name}.")
    columns = next((c for s in steps if s.phase == "cleanse" for c in [_dedupe_columns(s)] if c), ())
    query = quarantine.duplicate_query(table, columns) if table is not None and columns else "(no query)"
    return [], (f"a guessed natural key: its unique index would quarantine the duplicates. Rows it would move: `{query};` "
                f"Export with {name} to run it.")


def _added_foreign_keys(step: Step):
    for statement in step.up:
        m = match(r"ALTER\s+TABLE\s+(?:ONLY\s+)?{Q}\s+ADD\s+CONSTRAINT\s+({I})\s+FOREIGN\s+KEY\s*(\([^)]*\))\s*REFERENCES\s+({Q})"
                  r"\s*(\([^)]*\))", statement.rstrip(";"))
        yield (unquote(m.group(1)), column_list(m.group(2)), qualified_key(m.group(3)), column_list(m.group(4))) if m else None


def _dedupe_columns(step: Step) -> tuple[str, ...]:
    m = re.search(r"PARTITION BY (.+?) ORDER BY ctid", " ".join(step.up))
    return tuple(unquote(c.strip()) for c in m.group(1).split(",")) if m else ()


def _table(catalog: Catalog, text: str) -> Table | None:
    return catalog.table(qualified_key(text))


def _index_owner(catalog: Catalog, qname: str):
    key = qualified_key(qname)
    schema, _, name = key.partition(".")
    for table in catalog.tables:
        if table.schema == schema:
            for index in table.indexes:
                if index.name == name:
                    return table, index
    return None, None


def _slug(*parts: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", "_".join(parts).lower()).strip("_")[:60]


def _translate_fix(catalog: Catalog, finding: Finding, sqls: list[str]) -> list[Step] | str:
    if any(re.search(r"ADD GENERATED .* AS IDENTITY", s, re.I) for s in sqls) and any(
        re.search(r"DROP DEFAULT", s, re.I) for s in sqls
    ):
        return _identity_conversion(catalog, finding, sqls)
    steps: list[Step] = []
    utc = [s for s in sqls if re.fullmatch(r"\s*SET\s+(?:LOCAL\s+)?TimeZone\s*(?:=|TO)\s*'UTC'\s*;?\s*", s, re.I)]
    if utc:  # the session setting of the type change after it: that step (a transaction) sets it LOCAL
        made = _translate_fix(catalog, finding, [s for s in sqls if s not in utc])
        return made if isinstance(made, str) else [_at_utc(step) for step in made]
    for sql in sqls:
        made = _translate(catalog, finding, sql, sqls)
        if made is None:
            first = " ".join(sql.split())[:80]
            return f"not planned automatically: no safe reverse known for `{first}`"
        steps.extend(made)
    return _keys_before_their_references(steps)


def merged_rewrites(steps: list[Step]) -> list[Step]:
    """The type changes of one table under the same lock and session settings, as one ALTER TABLE: one rewrite (or,
    at UTC, one index rebuild) under one lock instead of one per column; its down reverses them in one statement too.
    Each keeps its findings."""
    out: list[Step] = []
    first: dict[tuple, int] = {}
    for step in steps:
        if not step.name.startswith("change_type") or not step.tables:
            out.append(step)
            continue
        # what runs before the ALTER TABLE (SET LOCAL TimeZone) must be the same for the steps merged
        group = (step.tables[0], step.lock, step.up[:-1], step.down[:-1])
        if group not in first:
            first[group] = len(out)
            out.append(step)
            continue
        into = out[first[group]]
        head = re.match(r"ALTER TABLE (?:ONLY )?.+? (?=ALTER COLUMN)", into.up[-1])
        if head is None or not step.up[-1].startswith(head.group(0)):
            out.append(step)
            continue
        prefix = head.group(0)
        up = [_action(s, prefix) for s in (into.up[-1], step.up[-1])]
        down = [_action(s, prefix) for s in (step.down[-1], into.down[-1])]
        out[first[group]] = dataclasses.replace(
            into, up=(*into.up[:-1], f"{prefix}{up[0]},\n    {up[1]};"),
            down=(*into.down[:-1], f"{prefix}{down[0]},\n    {down[1]};"),
            title=f"change types on {step.tables[0]} (one statement)", fixes=into.fixes + step.fixes)
    return out


def _action(statement: str, prefix: str) -> str:
    return statement.removeprefix(prefix).rstrip().rstrip(";")


def _at_utc(step: Step) -> Step:
    """A timestamp <-> timestamptz change with the session at UTC: PostgreSQL 12+ keeps the table (no rewrite; the
    column's indexes are rebuilt), and its down converts back the same way."""
    if not step.name.startswith("change_type"):
        return step
    down = tuple(re.sub(r"\s+USING\s+.+?\s+AT\s+TIME\s+ZONE\s+'UTC'\s*;$", ";", d, flags=re.I) for d in step.down)
    return dataclasses.replace(
        step, up=(UTC_LOCAL, *step.up), down=(UTC_LOCAL, *down),
        lock="ACCESS EXCLUSIVE while the column's indexes are rebuilt; the table is not rewritten",
        risk="With the session at UTC the type changes without rewriting the table (PostgreSQL 12+); only the indexes on "
             "the column are rebuilt under the lock.")


def _keys_before_their_references(steps: list[Step]) -> list[Step]:
    """A fix that builds a unique key and a foreign key onto it (a composite tenant key): the foreign key waits for
    the key, which is built in the validate phase (PostgreSQL needs the unique key to exist), and so does its
    cleanse (whose down drops and re-adds that foreign key)."""
    if not any(s.phase == "validate" and s.name.startswith(("attach_unique", "primary_key")) for s in steps):
        return steps
    follows = ("add_foreign_key", "orphans")
    return [dataclasses.replace(s, phase="validate") if s.phase in ("expand", "cleanse") and s.name.startswith(follows) else s
            for s in steps]


def _step(finding: Finding, table: Table | None, phase: str, kind: str, up, down, lock, risk, **extra) -> Step:
    name = _slug(kind, table.name if table else finding.table.rpartition(".")[2])
    return Step(
        phase=phase,
        name=name,
        title=extra.pop("title", f"{kind.replace('-', ' ')} on {table.qualified if table else finding.table}"),
        up=tuple(up),
        down=tuple(down),
        lock=lock,
        risk=risk,
        duration_class=duration_class(table.row_estimate if table else None),
        tables=(table.qualified,) if table else (),
        fixes=(finding.key,),
        **extra,
    )


def _translate(catalog: Catalog, finding: Finding, sql: str, all_sqls: list[str]) -> list[Step] | None:
    sql = sql.rstrip().rstrip(";")
    if m := match(r"CREATE\s+(UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?({I})\s+ON\s+(?:ONLY\s+)?({Q})(.*)", sql):
        return _create_index(catalog, finding, sql, bool(m.group(1)), unquote(m.group(2)), m.group(3), m.group(4), all_sqls)
    if m := match(r"DROP\s+INDEX\s+CONCURRENTLY\s+(?:IF\s+EXISTS\s+)?({Q})$", sql):
        return _drop_index(catalog, finding, m.group(1), all_sqls)
    if m := match(r"ALTER\s+TABLE\s+(?:ONLY\s+)?({Q})\s+(.*)$", sql):
        table = _table(catalog, m.group(1))
        if table is None:
            return None
        return _alter_table(catalog, finding, table, m.group(2).strip())
    if m := match(r"ALTER\s+POLICY\s+({I})\s+ON\s+({Q})\s", sql):
        table = _table(catalog, m.group(2))
        policy = next((p for p in table.policies if p.name == unquote(m.group(1))), None) if table else None
        if policy is None:
            return None
        # ALTER POLICY cannot take a WITH CHECK away again: the reverse recreates the policy as it was.
        down = [f"DROP POLICY {ident(policy.name)} ON {qualified(table.schema, table.name)};", ddl.policy_statement(table, policy)]
        return [_step(finding, table, "validate", "alter-policy", [sql + ";"], down, SHORT_EXCLUSIVE,
                      "Changes which rows the application sees: test with the tenant set (SET app.tenant_id).")]
    if m := match(r"CREATE\s+POLICY\s+({I})\s+ON\s+({Q})\s", sql):
        table = _table(catalog, m.group(2))
        if table is None:
            return None
        down = f"DROP POLICY IF EXISTS {ident(unquote(m.group(1)))} ON {qualified(table.schema, table.name)};"
        return [_step(finding, table, "validate", "create-policy", [sql + ";"], [down], SHORT_EXCLUSIVE,
                      "Rows become invisible to sessions that do not set the tenant: deploy the application change first.")]
    if m := match(r"ALTER\s+FUNCTION\s+(.+?)\s+SET\s+search_path\s*(?:=|TO)\s*.+$", sql):
        return [_step(finding, None, "validate", "function-search-path", [sql + ";"],
                      [f"ALTER FUNCTION {m.group(1)} RESET search_path;"], SHORT_EXCLUSIVE,
                      "The function no longer finds objects through the caller's search_path: its body must qualify names.")]
    return None


def _create_index(catalog, finding, sql, unique, name, table_text, rest, all_sqls) -> list[Step] | None:
    table = _table(catalog, table_text)
    if table is None:
        return None
    columns_text = re.match(r"\s*(?:USING\s+\w+\s*)?(\((?:[^()]|\([^()]*\))*\))", rest)
    predicate = re.search(r"\bWHERE\s+(.+)$", rest, re.S)
    up = re.sub(r"CONCURRENTLY\s+(?!IF\s+NOT\s+EXISTS)", "CONCURRENTLY IF NOT EXISTS ", sql, count=1, flags=re.I) + ";"
    down = f"DROP INDEX CONCURRENTLY IF EXISTS {qualified(table.schema, name)};"
    if not unique:
        return [_step(finding, table, "expand", "create-index", [up], [down], SHARE_UPDATE,
                      "Builds while writes continue; a failed build leaves an INVALID index: the down script drops it, then rerun.",
                      transactional=False)]
    steps = []
    columns = column_list(columns_text.group(1)) if columns_text else ()
    if columns and all(table.column(c) for c in columns):
        cleanse = _slug("dedupe", table.name, *columns)
        steps.append(_step(finding, table, "cleanse", "dedupe", [
            quarantine.duplicates(cleanse, table, columns, predicate.group(1) if predicate else None, name)],
            [quarantine.restore(cleanse)], ROW_EXCLUSIVE,
            "Moves all but the first row of each duplicated key to the quarantine; read them there and merge by hand.",
            title=f"quarantine duplicate {', '.join(columns)} on {table.qualified}"))
    steps.append(_step(finding, table, "validate", "create-unique-index", [up], [down], SHARE_UPDATE,
                       "Fails if a duplicate was written after the cleanse: rerun the cleanse, drop the INVALID index (down), rerun.",
                       transactional=False))
    return steps


def _drop_index(catalog, finding, qname, all_sqls) -> list[Step] | None:
    table, index = _index_owner(catalog, qname)
    if index is None:
        return None
    recreated = any(re.search(rf"INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?{re.escape(ident(index.name))}\s+ON", s, re.I) for s in all_sqls)
    up = f"DROP INDEX CONCURRENTLY IF EXISTS {qualified(table.schema, index.name)};"
    if index.valid:
        down = ddl.index_statement(table, index, concurrently=True).replace("CONCURRENTLY", "CONCURRENTLY IF NOT EXISTS", 1)
    else:
        down = f"-- {index.name} was an INVALID index (a failed build); it is not rebuilt."
    # An index dropped to be rebuilt under the same name goes with its rebuild, before it.
    phase = "cleanse" if recreated else "contract"
    return [_step(finding, table, phase, "drop-index", [up], [down], SHARE_UPDATE if not recreated else ACCESS_EXCLUSIVE,
                  "Queries that used the index get slower; the down script rebuilds it concurrently.", transactional=False)]


def _alter_table(catalog: Catalog, finding: Finding, table: Table, action: str) -> list[Step] | None:
    name = qualified(table.schema, table.name)
    alter = f"ALTER TABLE {name} "
    if m := match(r"ADD\s+CONSTRAINT\s+({I})\s+FOREIGN\s+KEY\s*(\([^)]*\))\s*REFERENCES\s+({Q})\s*(\([^)]*\))(.*)$", action):
        constraint, columns, parent, ref_columns = unquote(m.group(1)), column_list(m.group(2)), qualified_key(m.group(3)), column_list(m.group(4))
        up = alter + action if re.search(r"NOT\s+VALID\s*$", action, re.I) else alter + action + " NOT VALID"
        cleanse = _slug("orphans", table.name, *columns)
        if table.kind == "partitioned_table":  # PostgreSQL cannot add a NOT VALID foreign key to a partitioned table
            whole = re.sub(r"\s+NOT\s+VALID\s*$", "", alter + action, flags=re.I) + ";"
            return [
                _step(finding, table, "cleanse", "orphans", [quarantine.orphans(cleanse, table, columns, parent, ref_columns, constraint)],
                      [quarantine.restore(cleanse)], ROW_EXCLUSIVE,
                      "Moves rows whose parent is missing to the quarantine; the application no longer sees them.",
                      title=f"quarantine orphan {', '.join(columns)} on {table.qualified}"),
                _step(finding, table, "validate", "add-foreign-key", [whole],
                      [f"{alter}DROP CONSTRAINT IF EXISTS {ident(constraint)};",
                       *_partition_keys_merged(catalog, table, _added_key(constraint, columns, parent, ref_columns, m.group(5)))],
                      "SHARE ROW EXCLUSIVE on both tables while every partition is scanned",
                      "A partitioned table cannot take a NOT VALID foreign key: the check scans every partition under the "
                      "lock (writes wait); schedule it on a big table.",
                      squawk_ignore=(("constraint-missing-not-valid", "PostgreSQL refuses NOT VALID foreign keys on partitioned tables"),)),
            ]
        return [
            _step(finding, table, "expand", "add-foreign-key", [up + ";"], [f"{alter}DROP CONSTRAINT IF EXISTS {ident(constraint)};"],
                  SHARE_ROW, "New writes are checked at once; existing rows only at VALIDATE."),
            _step(finding, table, "cleanse", "orphans", [quarantine.orphans(cleanse, table, columns, parent, ref_columns, constraint)],
                  [f"{alter}DROP CONSTRAINT IF EXISTS {ident(constraint)};", quarantine.restore(cleanse), up + ";"],
                  ROW_EXCLUSIVE,
                  "Moves rows whose parent is missing to the quarantine; the application no longer sees them.",
                  title=f"quarantine orphan {', '.join(columns)} on {table.qualified}"),
        ]
    if m := match(r"VALIDATE\s+CONSTRAINT\s+({I})$", action):
        constraint = unquote(m.group(1))
        existing = next((fk for fk in table.foreign_keys if fk.name == constraint), None)
        steps = []
        down = []
        if existing is not None:  # validating a constraint that was NOT VALID: back to NOT VALID
            cleanse = _slug("orphans", table.name, *existing.columns)
            steps.append(_step(finding, table, "cleanse", "orphans", [quarantine.orphans(
                cleanse, table, existing.columns, existing.ref_table, existing.ref_columns, constraint)],
                [f"{alter}DROP CONSTRAINT IF EXISTS {ident(constraint)};", quarantine.restore(cleanse),
                 ddl.add_foreign_key(table, existing, not_valid=True)], ROW_EXCLUSIVE,
                "Moves rows whose parent is missing to the quarantine; the application no longer sees them.",
                title=f"quarantine orphan {', '.join(existing.columns)} on {table.qualified}"))
            if existing.validated:
                return None
            down = [f"{alter}DROP CONSTRAINT {ident(constraint)};", ddl.add_foreign_key(table, existing, not_valid=True)]
        steps.append(_step(finding, table, "validate", "validate-constraint", [f"{alter}VALIDATE CONSTRAINT {ident(constraint)};"],
                           down or [f"-- {constraint} is dropped by the reverse of the step that added it"],
                           "SHARE UPDATE EXCLUSIVE (reads and writes continue while rows are checked)",
                           "Fails if a violating row was written meanwhile: rerun the cleanse, then this step."))
        return steps
    if m := match(r"ADD\s+CONSTRAINT\s+({I})\s+(UNIQUE|PRIMARY\s+KEY)\s+USING\s+INDEX\s+({I})$", action):
        return [_step(finding, table, "validate", "attach-unique", [alter + action + ";"],
                      [drop_key_keeping_references(table, unquote(m.group(1)))], SHORT_EXCLUSIVE,
                      "Catalog-only: the index was built concurrently before.")]
    if m := match(r"ADD\s+PRIMARY\s+KEY\s*(\([^)]*\))$", action):
        columns = column_list(m.group(1))
        pkey = f"{table.name}_pkey"
        if table.kind == "partitioned_table":  # no CREATE INDEX CONCURRENTLY, nor PRIMARY KEY USING INDEX, on one
            return [_step(finding, table, "validate", "primary-key", [f"{alter}ADD CONSTRAINT {ident(pkey)} PRIMARY KEY ({idents(columns)});"],
                          [drop_key_keeping_references(table, pkey)], ACCESS_EXCLUSIVE,
                          "PostgreSQL cannot build a partitioned table's index concurrently: each partition's index is built "
                          "under this lock. Run it in a quiet window, or first build each partition's unique index on these "
                          "columns CONCURRENTLY: the primary key then attaches them.",
                          squawk_ignore=(("adding-serial-primary-key-field", "a partitioned table has no concurrent way"),))]
        return [
            _step(finding, table, "validate", "primary-key-index",
                  [f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {ident(pkey)} ON {name} ({', '.join(ident(c) for c in columns)});"],
                  [f"DROP INDEX CONCURRENTLY IF EXISTS {qualified(table.schema, pkey)};"], SHARE_UPDATE,
                  "Builds while writes continue.", transactional=False),
            _step(finding, table, "validate", "primary-key", [f"{alter}ADD CONSTRAINT {ident(pkey)} PRIMARY KEY USING INDEX {ident(pkey)};"],
                  [drop_key_keeping_references(table, pkey)], SHORT_EXCLUSIVE,
                  "Catalog-only: the unique index was built concurrently before."),
        ]
    if m := match(r"ADD\s+COLUMN\s+({I})\s+(.+)$", action):
        column = unquote(m.group(1))
        rewrites = re.search(r"IDENTITY|DEFAULT\s+(nextval|gen_random|random|now|clock)", m.group(2), re.I)
        ignore = ()
        return [_step(finding, table, "expand", "add-column", [alter + action + ";"], [f"{alter}DROP COLUMN IF EXISTS {ident(column)};"],
                      ACCESS_EXCLUSIVE if rewrites else SHORT_EXCLUSIVE,
                      "Fills every row: rewrites the table under its lock; schedule it on a big table." if rewrites
                      else "Catalog-only.", squawk_ignore=ignore)]
    if m := match(r"ALTER\s+COLUMN\s+({I})\s+TYPE\s+(.+?)(?:\s+USING\s+(.+))?$", action):
        column = table.column(unquote(m.group(1)))
        if column is None:
            return None
        new_type = m.group(2).strip()
        using = f"{ident(column.name)} AT TIME ZONE 'UTC'" if column.type.startswith("timestamp without") and "time zone" not in new_type.lower() and "tz" in new_type.lower() else f"{ident(column.name)}::{column.type}"
        return [_step(finding, table, "backfill", "change-type", [alter + action + ";"],
                      [f"{alter}ALTER COLUMN {ident(column.name)} TYPE {column.type} USING {using};"], ACCESS_EXCLUSIVE,
                      "Rewrites the table and its indexes under an ACCESS EXCLUSIVE lock: run it in a quiet window on a big table "
                      "(or plan it as new column + batched backfill + swap).",
                      squawk_ignore=(("changing-column-type", "the finding is the type itself; the lock is stated in the plan"),))]
    if m := match(r"ALTER\s+COLUMN\s+({I})\s+SET\s+NOT\s+NULL$", action):
        column = unquote(m.group(1))
        check = f"{table.name}_{column}_not_null"[:63]
        cleanse = _slug("nulls", table.name, column)
        return [
            _step(finding, table, "cleanse", "nulls", [quarantine.nulls(cleanse, table, column)], [quarantine.restore(cleanse)],
                  ROW_EXCLUSIVE, "Moves rows without a value to the quarantine.", title=f"quarantine empty {column} on {table.qualified}"),
            _step(finding, table, "validate", "set-not-null", [
                f"{alter}ADD CONSTRAINT {ident(check)} CHECK ({ident(column)} IS NOT NULL) NOT VALID;",
                f"{alter}VALIDATE CONSTRAINT {ident(check)};",
                f"{alter}ALTER COLUMN {ident(column)} SET NOT NULL;",
                f"{alter}DROP CONSTRAINT {ident(check)};",
            ], [f"{alter}ALTER COLUMN {ident(column)} DROP NOT NULL;"], SHORT_EXCLUSIVE,
                "SET NOT NULL uses the validated CHECK instead of scanning under the lock.")]
    if m := match(r"DROP\s+CONSTRAINT\s+(?:IF\s+EXISTS\s+)?({I})$", action):
        down = _recreate_constraint(table, unquote(m.group(1)))
        if down is None:
            return None
        return [_step(finding, table, "contract", "drop-constraint", [f"{alter}DROP CONSTRAINT IF EXISTS {ident(unquote(m.group(1)))};"],
                      down, SHORT_EXCLUSIVE, "CONTRACT: run once nothing relies on the old constraint; the down script re-adds it.")]
    if m := match(r"ALTER\s+CONSTRAINT\s+({I})\s+DEFERRABLE", action):
        return [_step(finding, table, "validate", "deferrable", [alter + action + ";"],
                      [f"{alter}ALTER CONSTRAINT {ident(unquote(m.group(1)))} NOT DEFERRABLE;"], SHORT_EXCLUSIVE,
                      "Checks move to commit time for transactions that defer them.")]
    if match(r"ENABLE\s+ROW\s+LEVEL\s+SECURITY$", action):
        return [_step(finding, table, "validate", "enable-rls", [alter + action + ";"], [alter + "DISABLE ROW LEVEL SECURITY;"],
                      SHORT_EXCLUSIVE, "Without a policy the table shows no rows to non-owners: the policy comes in the same phase.")]
    if match(r"FORCE\s+ROW\s+LEVEL\s+SECURITY$", action):
        return [_step(finding, table, "validate", "force-rls", [alter + action + ";"], [alter + "NO FORCE ROW LEVEL SECURITY;"],
                      SHORT_EXCLUSIVE, "The owner role is filtered too: migrations and jobs running as owner must set the tenant.")]
    return None


def _added_key(name: str, columns, parent: str, ref_columns, tail: str) -> ForeignKey:
    """The foreign key an ADD CONSTRAINT ... FOREIGN KEY clause creates (actions and deferral read from its tail)."""
    def action(verb: str) -> str:
        found = re.search(rf"ON\s+{verb}\s+(NO\s+ACTION|RESTRICT|CASCADE|SET\s+NULL|SET\s+DEFAULT)", tail, re.I)
        return " ".join(found.group(1).upper().split()) if found else "NO ACTION"

    deferrable = re.search(r"(?<!NOT\s)DEFERRABLE", tail, re.I) is not None
    return ForeignKey(name, tuple(columns), parent, tuple(ref_columns), action("DELETE"), action("UPDATE"),
                      "FULL" if re.search(r"MATCH\s+FULL", tail, re.I) else "SIMPLE", deferrable,
                      deferrable and re.search(r"INITIALLY\s+DEFERRED", tail, re.I) is not None)


def _fk_shape(fk: ForeignKey) -> tuple:
    return (fk.columns, fk.ref_table, fk.ref_columns, fk.on_delete, fk.on_update, fk.match, fk.deferrable, fk.initially_deferred)


def _partition_keys_merged(catalog: Catalog, parent: Table, added: ForeignKey) -> list[str]:
    """Re-create the partitions' own foreign keys that the parent's new one absorbed.

    Adding a foreign key to a partitioned table attaches every partition's validated foreign key
    of the same shape to it instead of cloning a new one; dropping the parent's key then drops
    them too. The rollback must give each partition back the key it declared itself.
    """
    out = []
    for partition in catalog.tables:
        if partition.partition_of != parent.qualified:
            continue
        for fk in partition.foreign_keys:
            if fk.validated and _fk_shape(fk) == _fk_shape(added):
                out.append(ddl.add_foreign_key(partition, fk, not_valid=True))
                out.append(f"ALTER TABLE {qualified(partition.schema, partition.name)} VALIDATE CONSTRAINT {ident(fk.name)};")
    return out


def _recreate_constraint(table: Table, name: str) -> list[str] | None:
    alter = f"ALTER TABLE {qualified(table.schema, table.name)} "
    for fk in table.foreign_keys:
        if fk.name == name:
            statements = [ddl.add_foreign_key(table, fk, not_valid=True)]
            if fk.validated:
                statements.append(f"{alter}VALIDATE CONSTRAINT {ident(name)};")
            return statements
    for unique in table.uniques:
        if unique.name == name:
            nnd = " NULLS NOT DISTINCT" if unique.nulls_not_distinct else ""
            return [f"{alter}ADD CONSTRAINT {ident(name)} UNIQUE{nnd} ({', '.join(ident(c) for c in unique.columns)});"]
    for check in table.checks:
        if check.name == name:
            return [f"{alter}ADD CONSTRAINT {ident(name)} {check.expression};"]
    return None


def _identity_conversion(catalog: Catalog, finding: Finding, sqls: list[str]) -> list[Step] | str:
    table = catalog.table(finding.table)
    column = table.column(finding.columns[0]) if table and finding.columns else None
    if column is None or not column.sequence_filled:
        return "not planned automatically: the serial column was not found"
    seq = column.sequence or re.search(r"nextval\('([^']+)'", column.default or "").group(1)
    seq_key = seq if "." in seq else f"{table.schema}.{seq}"
    body = [s.rstrip(";") + ";" for s in sqls if not re.match(r"DROP\s+SEQUENCE", s, re.I)]
    drop = [s.rstrip(";") + ";" for s in sqls if re.match(r"DROP\s+SEQUENCE", s, re.I)]
    name = qualified(table.schema, table.name)
    col = ident(column.name)
    sequence = next((s for s in catalog.sequences if f"{s.schema}.{s.name}" == seq_key), None)
    seq_type = sequence.data_type if sequence else "bigint"
    seq_sql = qualified_name(seq_key)
    identity_seq = f"pg_get_serial_sequence({literal(name)}, {literal(column.name)})::regclass"
    down = [
        f"CREATE SEQUENCE IF NOT EXISTS {seq_sql} AS {seq_type};",
        # the old sequence takes over where the identity stopped: no key is handed out twice
        f"SELECT setval({literal(seq_sql)}, greatest(1, n), n > 0) FROM (SELECT greatest((SELECT coalesce(max({col}), 0) FROM {name}), "
        f"coalesce(pg_sequence_last_value({identity_seq}), 0)) AS n) AS position;",
        f"ALTER TABLE {name} ALTER COLUMN {col} DROP IDENTITY IF EXISTS;",
        f"ALTER TABLE {name} ALTER COLUMN {col} SET DEFAULT nextval({literal(seq_sql)}::regclass);",
    ]
    owner = _owner_column(catalog, sequence.owned_by) if sequence and sequence.owned_by else None
    if owner is not None:  # only a sequence that was owned before gets its owner back
        down.append(f"ALTER SEQUENCE {seq_sql} OWNED BY {qualified(owner[0].schema, owner[0].name)}.{ident(owner[1])};")
    steps = [_step(finding, table, "backfill", "serial-to-identity", body, down, SHORT_EXCLUSIVE,
                   "Catalog-only; inserts that name the sequence directly must switch to the identity.")]
    if drop:
        steps.append(_step(finding, table, "contract", "drop-old-sequence", drop, [
            f"CREATE SEQUENCE IF NOT EXISTS {qualified_name(seq_key)} AS {seq_type};"], SHORT_EXCLUSIVE,
            "CONTRACT: the old sequence is no longer used by the column."))
    return steps


def _owner_column(catalog: Catalog, owned_by: str) -> tuple[Table, str] | None:
    """`schema.table.column` -> (table, column), read against the model (names may hold dots)."""
    for table in catalog.tables:
        prefix = f"{table.qualified}."
        if owned_by.startswith(prefix) and table.column(owned_by[len(prefix):]):
            return table, owned_by[len(prefix):]
    return None
