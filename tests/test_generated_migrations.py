"""Migrations proven on generated schemas with rows (tests/schemagen.py), under every tenancy model and both the
default fixes and the guesses named: export, verify, ups -> downs -> ups on a scratch copy, every row kept,
quarantined with its reason, or restored byte for byte (tests/migration_proof.py).

The named cases are the failures the generator found, each as the smallest shape that showed it. The property
test runs a fixed, derandomized list of shapes in CI; bench/generated_migrations.py runs a longer budget."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from tests.migration_proof import FIXES, MODELS, prove
from tests.schemagen import Shape, shapes

EVERY_MODEL = (None, *MODELS)
# database-per-tenant is left out of the generated run until the split bug below is fixed (its xfail says what)
GENERATED_MODELS = tuple(m for m in EVERY_MODEL if m != "database-per-tenant")


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


@pytest.mark.xfail(strict=True, reason="known bug, not fixed: schema-studio split copies a task whose project is "
                   "another tenant's into the task's tenant database without that project, so its foreign key "
                   "fails there; the split must quarantine such rows like the pooled models do")
def test_split_keeps_a_task_pointing_at_another_tenants_project(tmp_path):
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


# Generated shapes ----------------------------------------------------------------------------------------

@pytest.mark.slow
@settings(max_examples=4, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(shape=shapes())
@pytest.mark.parametrize("fixes", sorted(FIXES))
def test_generated_schemas_migrate_under_every_model(fixes, shape, tmp_path_factory):
    failures = []
    for model in GENERATED_MODELS:
        proof = prove(shape, model, fixes, tmp_path_factory.mktemp("proof"))
        if not proof.ok:
            failures.append(proof.text())
    assert not failures, "\n\n".join(failures)
