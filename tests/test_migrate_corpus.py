"""Bundles for the real-world schemas verify: fixes suited to each schema, every phase exercised across them."""

from __future__ import annotations

import pytest

from studio.migrate.export import build_export
from studio.migrate.plan import PHASES
from studio.sources import open_source
from tests.conftest import corpus_file

FIXES = {
    # serial -> identity and the implied foreign keys of the partitioned payment table roll back exactly; a guessed
    # key moves rows only when named, so the cleanse phase is asked for by name
    "pagila-schema.sql": ("all", "implied-foreign-key"),
    "chinook-postgresql.sql": "all",
    "coder-dump.sql": ("all", "implied-foreign-key"),
    "lago-api-structure.sql": ("unindexed-foreign-key", "redundant-index", "json-instead-of-jsonb", "implied-foreign-key"),
    "graphile-starter-schema.sql": "all",
}


@pytest.mark.parametrize("name", sorted(FIXES))
def test_corpus_bundle_verifies(name):
    path = corpus_file(name)
    with open_source(ddl=path) as source:
        export = build_export(source, accepted=FIXES[name], verify_source={"ddl": path})
    assert export.verified is not None and export.verified.ok, export.verified.text()
    assert export.plan.fixed, f"{name}: no fix was planned"
    phases = {s.phase for s in export.plan.steps}
    assert phases <= set(PHASES)
    if name == "pagila-schema.sql":
        rules = {key.split(":")[0] for key in export.plan.fixed}
        assert {"serial-instead-of-identity", "implied-foreign-key"} <= rules, rules
    if name == "coder-dump.sql":  # the largest fix set exercises every phase on a real schema
        assert phases == set(PHASES), phases
