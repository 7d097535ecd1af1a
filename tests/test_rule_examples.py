"""Every schema rule's docstring examples, run against real PostgreSQL: Bad fires, Good is silent."""

from __future__ import annotations

import pytest

from analyzers.context import Context
from analyzers.registry import all_rules

SCHEMA_RULES = sorted(r for r, rule in all_rules().items() if rule.needs == "schema")


def _hits(rule_id: str, catalog):
    return list(all_rules()[rule_id].check(Context(catalog)))


def test_some_rules_are_registered():
    assert {"no-primary-key", "unindexed-foreign-key", "duplicate-index"} <= set(SCHEMA_RULES)


@pytest.mark.parametrize("rule_id", SCHEMA_RULES)
def test_rule_documents_both_examples(rule_id):
    rule = all_rules()[rule_id]
    assert rule.bad.strip(), f"{rule_id}: docstring has no Bad: example"
    assert rule.good.strip(), f"{rule_id}: docstring has no Good: example"


@pytest.mark.parametrize("rule_id", SCHEMA_RULES)
def test_bad_example_fires(rule_id, catalog_of):
    hits = _hits(rule_id, catalog_of(all_rules()[rule_id].bad))
    assert hits, f"{rule_id}: its Bad example raised no finding"
    for hit in hits:
        assert hit.table.count(".") >= 1 and hit.message


@pytest.mark.parametrize("rule_id", SCHEMA_RULES)
def test_good_example_is_silent(rule_id, catalog_of):
    hits = _hits(rule_id, catalog_of(all_rules()[rule_id].good))
    assert not hits, f"{rule_id}: its Good example raised {[h.message for h in hits]}"
