"""Generated schemas with rows, in the conventions real schemas use, with the rows that break migrations.

`shapes()` is a Hypothesis strategy of `Shape`s; `Shape.sql()` renders one as a DDL file with its rows,
every identifier and value quoted by `studio.sql`. A shape is small (a tenant table, its users, projects,
tasks, optionally an event table partitioned by range) but varies what the planner must not assume:

- naming: plural (`tenants`), singular (`tenant`), PascalCase quoted (`"Tenant"`, `"TenantId"`) or
  quoted names with spaces (`"Work Item"`); the work tables in `public` or in a second, quoted schema;
- keys: bigint identity, uuid or text; the projects' key composite `(tenant, id)` with a composite
  foreign key from the tasks;
- relationships: a declared foreign key, an implied one (`user_id` with no constraint: a guess), a tenant
  column with no foreign key, a foreign-key cycle (projects.lead task -> tasks -> projects), a view over
  the columns a design changes, a natural key (`code`) nothing enforces, a table under FORCE ROW LEVEL
  SECURITY whose policy reads `current_setting('app.tenant_id')` without missing_ok;
- rows that block constraints: orphans under the implied key, tasks pointing at another tenant's
  project, duplicates under the natural key, NULL tenant columns where NOT NULL is coming, rows naming
  a tenant that does not exist.

The harness (tests/test_generated_migrations.py, bench/generated_migrations.py) exports every shape under
every tenancy model and proves every row is kept, quarantined with a reason, or archived.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from hypothesis import strategies as st

from studio.sql import ident, literal, qualified

NAMINGS = ("plural", "singular", "pascal", "spaced")
KEYS = ("bigint", "uuid", "text")
TENANT_NAMES = ("first", "second", "third")

_WORDS = {  # entity -> name under each naming
    "tenant": {"plural": "tenants", "singular": "tenant", "pascal": "Tenant", "spaced": "Tenant Orgs"},
    "user": {"plural": "users", "singular": "user", "pascal": "User", "spaced": "Users"},
    "project": {"plural": "projects", "singular": "project", "pascal": "Project", "spaced": "Work Projects"},
    "task": {"plural": "tasks", "singular": "task", "pascal": "Task", "spaced": "Work Item"},
    "event": {"plural": "events", "singular": "event", "pascal": "Event", "spaced": "Event Log"},
    "view": {"plural": "open_tasks", "singular": "open_task", "pascal": "OpenTask", "spaced": "Open Work"},
}


@dataclass(frozen=True)
class Shape:
    naming: str = "plural"
    schema: str = "public"  # where the work tables live (the tenant table is always in public)
    key: str = "bigint"
    composite: bool = False  # projects keyed (tenant, id); tasks reference them with (tenant, project)
    tenant_on_tasks: bool = True  # tasks carry their own tenant column (else the design backfills it)
    cycle: bool = False  # projects.lead_task -> tasks.id (nullable), tasks.project -> projects
    partitioned: bool = False  # an event table partitioned by range on a date
    view: bool = False  # a view over tasks' columns
    implied: bool = False  # tasks.user_id with no foreign key (the analyzer guesses one)
    natural_key: bool = False  # projects.code NOT NULL, nothing unique
    forced_policy: bool = False  # projects under FORCE ROW LEVEL SECURITY, the policy reading the setting without missing_ok
    tenants: int = 2
    orphans: int = 0  # tasks whose user_id names no user
    cross_tenant: int = 0  # tasks whose tenant differs from their project's
    duplicates: int = 0  # projects repeating another's code
    nulls: int = 0  # tasks with a NULL tenant column
    unknown_tenant: int = 0  # tasks naming a tenant that does not exist

    # names ------------------------------------------------------------------------------------------
    def name(self, entity: str) -> str:
        return _WORDS[entity][self.naming]

    def column(self, entity: str) -> str:
        """The column naming an entity's row: tenant_id, "TenantId" or "tenant id"."""
        singular = _WORDS[entity]["singular"]
        return {"pascal": f"{singular.capitalize()}Id", "spaced": f"{singular} id"}.get(self.naming, f"{singular}_id")

    @property
    def tenant_column(self) -> str:
        return self.column("tenant")

    def table(self, entity: str) -> str:
        return qualified("public" if entity == "tenant" else self.schema, self.name(entity))

    def qualified(self, entity: str) -> str:
        """The model's `schema.table` key."""
        return f"{'public' if entity == 'tenant' else self.schema}.{self.name(entity)}"

    @property
    def work_tables(self) -> tuple[str, ...]:
        entities = ("tenant", "user", "project", "task") + (("event",) if self.partitioned else ())
        return tuple(self.qualified(e) for e in entities)

    # values -----------------------------------------------------------------------------------------
    def _key_type(self) -> str:
        return {"bigint": "bigint", "uuid": "uuid", "text": "text"}[self.key]

    def _key(self, entity: str, n: int) -> str:
        if self.key == "bigint":
            return str(n)
        if self.key == "uuid":
            return literal(str(uuid.UUID(int=(hash_of(entity) << 32) + n)))
        return literal(f"{entity[:2]}-{n:03d}")

    def _key_column(self, entity: str) -> str:
        kind = self._key_type()
        if self.key == "bigint" and entity in ("tenant", "user"):
            return f"id {kind} GENERATED BY DEFAULT AS IDENTITY"
        return f"id {kind}"

    # rendering --------------------------------------------------------------------------------------
    def sql(self) -> str:
        out: list[str] = []
        if self.schema != "public":
            out.append(f"CREATE SCHEMA {ident(self.schema)};")
        tc = ident(self.tenant_column)
        kt = self._key_type()
        tenant, user, project, task = (self.table(e) for e in ("tenant", "user", "project", "task"))
        out.append(f"CREATE TABLE {tenant} ({self._key_column('tenant')} PRIMARY KEY, name text NOT NULL);")
        out.append(f"CREATE TABLE {user} ({self._key_column('user')} PRIMARY KEY, {tc} {kt} NOT NULL REFERENCES {tenant}, "
                   "email text NOT NULL);")
        code = ", code text NOT NULL" if self.natural_key else ""
        project_key = f"PRIMARY KEY ({tc}, id)" if self.composite else "PRIMARY KEY (id)"
        lead = f", {ident(self.column('task'))} {kt}" if self.cycle else ""
        out.append(f"CREATE TABLE {project} ({self._key_column('project')}, {tc} {kt} NOT NULL REFERENCES {tenant}, "
                   f"title text NOT NULL{code}{lead}, {project_key});")
        pc = ident(self.column("project"))
        uc = ident(self.column("user"))
        task_columns = [self._key_column("task") + " PRIMARY KEY"]
        if self.tenant_on_tasks or self.composite:
            task_columns.append(f"{tc} {kt}")  # no foreign key: rows of an unknown tenant can exist
        task_columns.append(f"{pc} {kt} NOT NULL")
        if self.implied:
            task_columns.append(f"{uc} {kt}")
        task_columns.append("title text NOT NULL")
        if self.composite:
            task_columns.append(f"FOREIGN KEY ({tc}, {pc}) REFERENCES {project} ({tc}, id)")
        else:
            task_columns.append(f"FOREIGN KEY ({pc}) REFERENCES {project} (id)")
        out.append(f"CREATE TABLE {task} ({', '.join(task_columns)});")
        if self.cycle:
            out.append(f"ALTER TABLE {project} ADD FOREIGN KEY ({ident(self.column('task'))}) REFERENCES {task} (id);")
        if self.partitioned:
            event = self.table("event")
            out.append(f"CREATE TABLE {event} (id bigint NOT NULL, {tc} {kt} NOT NULL REFERENCES {tenant}, "
                       f"happened_on date NOT NULL, PRIMARY KEY (id, happened_on)) PARTITION BY RANGE (happened_on);")
            for year in (2024, 2025):
                part = qualified(self.schema, f"{self.name('event')}_{year}")
                out.append(f"CREATE TABLE {part} PARTITION OF {event} FOR VALUES FROM ('{year}-01-01') TO ('{year + 1}-01-01');")
        out += self._rows()
        if self.view:
            view = self.table("view")
            out.append(f"CREATE VIEW {view} AS SELECT t.id, t.{pc}, t.title, p.title AS project_title FROM {task} AS t "
                       f"JOIN {project} AS p ON p.id = t.{pc};")
        if self.forced_policy:
            out += [f"ALTER TABLE {project} ENABLE ROW LEVEL SECURITY;", f"ALTER TABLE {project} FORCE ROW LEVEL SECURITY;",
                    f"CREATE POLICY by_tenant ON {project} USING ({tc} = current_setting('app.tenant_id')::{kt});"]
        out.append("ANALYZE;")
        return "\n".join(out) + "\n"

    def _rows(self) -> list[str]:
        tc = ident(self.tenant_column)
        rows: list[str] = []
        tenants = [self._key("tenant", i) for i in range(1, self.tenants + 1)]
        rows.append(_insert(self.table("tenant"), ("id", "name"),
                            [(k, literal(TENANT_NAMES[i % 3] + ("" if i < 3 else str(i)))) for i, k in enumerate(tenants)]))
        users = [(self._key("user", i * 10 + j), t) for i, t in enumerate(tenants) for j in range(2)]
        rows.append(_insert(self.table("user"), ("id", self.tenant_column, "email"),
                            [(k, t, literal(f"u{n}@example.com")) for n, (k, t) in enumerate(users)]))
        projects = [(self._key("project", i * 10 + j), t) for i, t in enumerate(tenants) for j in range(2)]
        project_rows = []
        for n, (k, t) in enumerate(projects):
            row = [k, t, literal(f"project {n}")]
            if self.natural_key:
                row.append(literal(f"P{0 if n < self.duplicates + 1 else n}"))
            if self.cycle:
                row.append("NULL")
            project_rows.append(tuple(row))
        columns = ["id", self.tenant_column, "title"] + (["code"] if self.natural_key else []) + (
            [self.column("task")] if self.cycle else [])
        rows.append(_insert(self.table("project"), columns, project_rows))
        task_rows = []
        with_tenant = self.tenant_on_tasks or self.composite
        n = 0
        for i, (project, project_tenant) in enumerate(projects):
            for _ in range(3):
                n += 1
                tenant = project_tenant
                if not self.composite:
                    if n <= self.cross_tenant:
                        tenant = tenants[(tenants.index(project_tenant) + 1) % len(tenants)]
                    elif n <= self.cross_tenant + self.nulls:
                        tenant = "NULL"
                    elif n <= self.cross_tenant + self.nulls + self.unknown_tenant:
                        tenant = self._key("tenant", 900 + n)
                user = users[i % len(users)][0] if n > self.orphans else self._key("user", 800 + n)
                row = [self._key("task", n)] + ([tenant] if with_tenant else []) + [project]
                row += [user] if self.implied else []
                task_rows.append(tuple(row + [literal(f"task {n}")]))
        columns = ["id"] + ([self.tenant_column] if with_tenant else []) + [self.column("project")]
        columns += [self.column("user")] if self.implied else []
        rows.append(_insert(self.table("task"), columns + ["title"], task_rows))
        if self.cycle:
            rows.append(f"UPDATE {self.table('project')} AS p SET {ident(self.column('task'))} = "
                        f"(SELECT min(t.id) FROM {self.table('task')} AS t WHERE t.{ident(self.column('project'))} = p.id);")
        if self.partitioned:
            rows.append(_insert(self.table("event"), ("id", self.tenant_column, "happened_on"),
                                [(str(n), t, literal(f"{2024 + n % 2}-03-0{1 + n % 7}")) for n, t in enumerate(tenants * 2)]))
        del tc
        return rows


def hash_of(text: str) -> int:
    return sum(ord(c) * 31 ** i for i, c in enumerate(text)) % (1 << 31)


def _insert(table: str, columns, rows) -> str:
    values = ",\n  ".join(f"({', '.join(row)})" for row in rows)
    return f"INSERT INTO {table} ({', '.join(ident(c) for c in columns)}) VALUES\n  {values};"


@st.composite
def shapes(draw) -> Shape:
    naming = draw(st.sampled_from(NAMINGS))
    composite = draw(st.booleans())
    tenant_on_tasks = composite or draw(st.booleans())
    few = st.integers(0, 2)
    return Shape(
        naming=naming,
        schema=draw(st.sampled_from(("public", "work", "Work Area"))),
        key=draw(st.sampled_from(KEYS)),
        composite=composite,
        tenant_on_tasks=tenant_on_tasks,
        cycle=draw(st.booleans()),
        partitioned=draw(st.booleans()),
        view=draw(st.booleans()),
        implied=draw(st.booleans()),
        natural_key=draw(st.booleans()),
        forced_policy=draw(st.booleans()),
        tenants=draw(st.integers(2, 3)),
        orphans=draw(few),
        cross_tenant=0 if composite or not tenant_on_tasks else draw(few),
        duplicates=draw(few),
        nulls=0 if composite or not tenant_on_tasks else draw(few),
        unknown_tenant=0 if composite or not tenant_on_tasks else draw(few),
    )
