"""Migrations proven on generated schemas with rows (tests/schemagen.py), under every tenancy model and both the
default fixes and the guesses named: export, verify, ups -> downs -> ups on a scratch copy, every row kept,
quarantined with its reason, or restored byte for byte (tests/migration_proof.py).

The named cases are the failures the generator found, each as the smallest shape that showed it. CI proves a
fixed list of seed shapes under every model; bench/generated_migrations.py draws many more with Hypothesis."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.migration_proof import MODELS, prove
from tests.schemagen import Shape

EVERY_MODEL = (None, *MODELS)
GENERATED_MODELS = EVERY_MODEL


def _proven(shape: Shape, model, fixes: str, tmp_path):
    proof = prove(shape, model, fixes, tmp_path)
    assert proof.ok, proof.text()
    return proof


# Regression cases: the shapes that found bugs ------------------------------------------------------------

@pytest.mark.parametrize("model", ["rls", "hybrid", "citus"])
def test_tasks_pointing_at_another_tenants_project_are_quarantined_before_validate(model, tmp_path):
    """Found: VALIDATE of the widened (tenant_id, project_id) key failed on a task whose project is another tenant's."""
    proof = _proven(Shape(schema="Work Area", key="uuid", cross_tenant=1), model, "default", tmp_path)
    assert proof.quarantined == 1, "exactly the cross-tenant task moves"


def test_split_keeps_a_task_pointing_at_another_tenants_project_unassigned(tmp_path):
    """Found: the split copied a task whose project is another tenant's into the task's tenant database without
    that project, so its foreign key failed there. Such rows (and rows referencing them) are unassigned, with why."""
    _proven(Shape(schema="Work Area", key="uuid", cross_tenant=1), "database-per-tenant", "default", tmp_path)


def test_a_fixs_tenant_key_is_built_before_the_foreign_key_onto_it(tmp_path):
    """Found: cross-tenant-foreign-key added (tenant_id, project_id) -> projects (tenant_id, id) in expand, before the
    unique key it needs was built ('there is no unique constraint matching given keys')."""
    proof = _proven(Shape(), None, "default", tmp_path)
    assert proof.steps


def test_a_guessed_foreign_key_moves_no_row_unless_named(tmp_path):
    """Found: the default fixes quarantined tasks whose user_id named no user, for a relationship only guessed."""
    shape = Shape(implied=True, orphans=2)
    by_default = _proven(shape, None, "default", tmp_path / "default")
    assert by_default.quarantined == 0
    named = _proven(shape, None, "named guesses", tmp_path / "named")
    assert named.quarantined == 2, "named, the implied key's two orphans are quarantined"


@pytest.mark.parametrize("composite", [False, True], ids=["single key", "composite tenant key"])
def test_duplicates_of_a_named_natural_key_move_with_their_cycle_and_come_back(composite, tmp_path):
    """Found: the dedupe of projects.code deleted projects before the tasks referencing them, and through the
    projects.task_id -> tasks cycle neither order worked (nor for the down's restore); one statement does both."""
    proof = _proven(Shape(natural_key=True, duplicates=1, cycle=True, composite=composite), "rls", "named guesses", tmp_path)
    assert proof.quarantined == 4, "the duplicate project and its three tasks"


def test_a_moved_task_takes_its_whole_cycle_with_it(tmp_path):
    """Found: an orphan task (guessed user key, named) moved the project it leads, but not that project's other
    tasks ('update or delete on table "projects" violates ... tasks_tenant_id_project_id_fkey'): the rows that move
    are the fixpoint over the foreign keys, not one level of them."""
    shape = Shape(composite=True, cycle=True, implied=True, orphans=1)
    proof = _proven(shape, None, "named guesses", tmp_path)
    assert proof.quarantined == 4, "the orphan task, the project it leads and that project's two other tasks"


@dataclass(frozen=True)
class Script:
    """A hand-written schema with rows, proven like a generated shape (no tenancy design)."""
    text: str

    def sql(self) -> str:
        return self.text


# departments <- employees (a manager chain nine deep) and a three-table cycle teams -> leads -> badges -> teams
CHAINS = Script("""
CREATE TABLE departments (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE employees (id bigint PRIMARY KEY, department_id bigint NOT NULL,
                        manager_id bigint REFERENCES employees (id), name text NOT NULL);
INSERT INTO departments VALUES (1, 'ops');
INSERT INTO employees VALUES (1, 99, NULL, 'e1');
INSERT INTO employees SELECT n, 1, n - 1, 'e' || n FROM generate_series(2, 9) AS n;
INSERT INTO employees VALUES (10, 1, NULL, 'e10'), (11, 1, 10, 'e11');
CREATE TABLE teams (id bigint PRIMARY KEY, department_id bigint, badge_id bigint, name text NOT NULL);
CREATE TABLE leads (id bigint PRIMARY KEY, team_id bigint NOT NULL REFERENCES teams (id));
CREATE TABLE badges (id bigint PRIMARY KEY, lead_id bigint NOT NULL REFERENCES leads (id));
ALTER TABLE teams ADD FOREIGN KEY (badge_id) REFERENCES badges (id);
INSERT INTO teams VALUES (1, 98, NULL, 't1'), (2, 1, NULL, 't2');
INSERT INTO leads VALUES (1, 1), (2, 2);
INSERT INTO badges VALUES (1, 1), (2, 2);
UPDATE teams SET badge_id = id;
CREATE TABLE other_teams (id bigint PRIMARY KEY, badge_id bigint REFERENCES badges (id));
INSERT INTO other_teams VALUES (1, 1), (2, 2);
ANALYZE;
""")


def test_moved_rows_take_every_row_that_references_them_however_deep(tmp_path):
    """Beyond the old six-level cap and around a cycle of three tables: each referencing row moves with its
    parent and comes back with it in the down."""
    proof = _proven(CHAINS, None, "named guesses", tmp_path)
    # employees 1..9 (orphan department, then its reports, their reports...); team 1, lead 1, badge 1, other team 1
    assert proof.quarantined == 9 + 4, proof


# notes.owner_id is a guessed key with one orphan; replies cascade on delete, pins are set null on delete
ACTIONS = Script("""
CREATE TABLE owners (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE notes (id bigint PRIMARY KEY, owner_id bigint NOT NULL, body text NOT NULL);
CREATE TABLE replies (id bigint PRIMARY KEY, note_id bigint NOT NULL REFERENCES notes (id) ON DELETE CASCADE);
CREATE TABLE pins (id bigint PRIMARY KEY, note_id bigint REFERENCES notes (id) ON DELETE SET NULL);
CREATE INDEX ON replies (note_id);
CREATE INDEX ON pins (note_id);
INSERT INTO owners VALUES (1, 'o1');
INSERT INTO notes VALUES (1, 99, 'orphan'), (2, 1, 'kept');
INSERT INTO replies VALUES (1, 1), (2, 1), (3, 2);
INSERT INTO pins VALUES (1, 1), (2, 2);
ANALYZE;
""")


def test_rows_under_on_delete_cascade_or_set_null_move_with_their_parent_not_deleted_or_nulled(tmp_path):
    """A move must not let ON DELETE CASCADE delete the replies of a moved note, nor SET NULL blank its pins:
    they move with it (every row accounted for) and the down brings them back unchanged (digests equal)."""
    proof = _proven(ACTIONS, None, "named guesses", tmp_path)
    assert proof.quarantined == 1 + 2 + 1, "note 1, its replies 1 and 2, its pin 1"


@pytest.mark.parametrize("model", [None, "rls"])
def test_rows_move_under_a_forced_policy_that_reads_the_tenant_without_missing_ok(model, tmp_path):
    """Found: under FORCE ROW LEVEL SECURITY the dedupe's DELETE ran the policy, current_setting('app.tenant_id') had
    no value: 'unrecognized configuration parameter'. Scripts that move rows now require BYPASSRLS (and say so)."""
    proof = _proven(Shape(forced_policy=True, natural_key=True, duplicates=1), model, "named guesses", tmp_path)
    assert proof.quarantined == 4, "the duplicate project and its three tasks, all of them seen"


def test_a_script_that_moves_rows_refuses_a_role_that_row_level_security_filters(tmp_path):
    from studio.migrate.phases import ROW_GUARD
    from studio.sources import ddl as ddl_source

    loaded = ddl_source.load_text(Shape(forced_policy=True).sql(), filename="forced.sql")
    try:
        import psycopg

        with psycopg.connect(loaded.url, autocommit=True) as conn, pytest.raises(psycopg.Error, match="BYPASSRLS"):
            conn.execute(ROW_GUARD)
    finally:
        loaded.drop()


@pytest.mark.xfail(strict=True, reason="known bug, not fixed: schema-per-tenant copies a project whose lead task "
                   "(projects.task_id -> tasks, the link that closes the cycle) stays behind (a task of no tenant, an "
                   "unknown tenant or another tenant's), so the tenant schema's foreign key fails at "
                   "tenant_copies_complete; the copy checks only keys to tables copied before it")
@pytest.mark.parametrize("stray", ["nulls", "unknown_tenant", "cross_tenant"])
def test_schema_per_tenant_copies_a_cycle_whose_closing_row_stays_behind(stray, tmp_path):
    """Found by bench/generated_migrations.py (seed 1)."""
    _proven(Shape(cycle=True, **{stray: 1}), "schema-per-tenant", "default", tmp_path)


# Generated shapes ----------------------------------------------------------------------------------------

# The CI's fixed list: between them every naming, schema, key type and relationship, every kind of breaking row,
# each shape under every tenancy model. bench/generated_migrations.py draws many more from `shapes()`.
SEED_SHAPES = (
    Shape(naming="pascal", schema="Work Area", key="uuid", composite=True, cycle=True, view=True, implied=True,
          orphans=2, tenants=3),
    Shape(naming="spaced", schema="work", key="text", partitioned=True, natural_key=True, duplicates=2, cross_tenant=1,
          nulls=1, unknown_tenant=1),
    Shape(naming="singular", key="bigint", tenant_on_tasks=False, cycle=True, implied=True, orphans=1, natural_key=True,
          duplicates=1, forced_policy=True),
    Shape(naming="plural", schema="work", key="uuid", view=True, partitioned=True, cross_tenant=2, nulls=2,
          unknown_tenant=2, forced_policy=True),
)


@pytest.mark.slow
@pytest.mark.parametrize("model", EVERY_MODEL, ids=lambda m: m or "no design")
@pytest.mark.parametrize("index", range(len(SEED_SHAPES)), ids=lambda i: f"shape{i}")
def test_seed_shapes_migrate_under_every_model(index, model, tmp_path):
    fixes = ("default", "named guesses")[index % 2]  # alternately: every model sees both
    _proven(SEED_SHAPES[index], model, fixes, tmp_path)


def test_the_seed_shapes_cover_every_shape_field():
    defaults = Shape()
    for name in Shape.__dataclass_fields__:
        values = {getattr(s, name) for s in SEED_SHAPES}
        assert values - {getattr(defaults, name)}, f"no seed shape varies {name}"
