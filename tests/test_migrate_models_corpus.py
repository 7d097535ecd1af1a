"""Every tenancy model, with every accepted fix, on real schemas nobody here wrote (their own naming, keys
and views): the bundle verifies. These found views that group by a key the design replaces, ON DELETE SET
NULL (columns), uuid keys in batched backfills, keys on partitioned tables and fix downs whose keys other
foreign keys had bound to."""

from __future__ import annotations

import pytest

from studio.design.decisions import Decisions, Tenancy
from studio.migrate.export import build_export
from studio.sources import open_source
from tests.conftest import corpus_file
from tests.test_migrate_models import MODELS as DEMO_MODELS

MODELS = {**DEMO_MODELS, "hybrid": Tenancy(model="hybrid", dedicated_tenants=("first",))}
CASES = [(f, m) for f in ("coder-dump.sql", "graphile-starter-schema.sql") for m in MODELS]
CASES += [("lago-api-structure.sql", "rls"), ("lago-api-structure.sql", "schema-per-tenant")]


@pytest.mark.slow
@pytest.mark.parametrize("name, model", CASES)
def test_corpus_schema_with_every_fix_verifies_under_each_model(name, model):
    path = corpus_file(name)
    decisions = Decisions(tenancy=MODELS[model])
    with open_source(ddl=path) as source:
        export = build_export(source, accepted="all", decisions=decisions, decisions_toml=decisions.to_toml(),
                              verify_source={"ddl": path})
    assert export.verified.ok, f"{name} under {model}:\n{export.verified.text()}"
    assert export.plan.steps


def test_partitions_that_declare_their_own_foreign_keys_swap_them_with_the_key():
    """Found by bench/migrations.py: pagila's payment partitions each declare their foreign key to customer (the
    parent declares none), and rls's key swap dropped customer_pkey with those still depending on it."""
    path = corpus_file("pagila-schema.sql")
    decisions = Decisions(tenancy=Tenancy(model="rls", tenant_table="public.store", tenant_column="store_id"))
    with open_source(ddl=path) as source:
        export = build_export(source, accepted="all", decisions=decisions, decisions_toml=decisions.to_toml(),
                              verify_source={"ddl": path})
    assert export.verified.ok, export.verified.text()
    swap = next(s for s in export.plan.steps if s.name == "swap_keys")
    assert "payment_p2022_01" in " ".join(swap.up), "the partition's own foreign key is swapped with the key"
