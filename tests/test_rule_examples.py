"""Every schema rule's docstring examples, run against real PostgreSQL: Bad fires, Good is silent."""

from __future__ import annotations

import re

import pytest

from analyzers.context import Context
from analyzers.families import all_rules

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


def _shown(name: str, sql: str) -> bool:
    """The example's text names the object: bare, or double-quoted when it needs quoting."""
    return re.search(rf"(?<![\w$]){re.escape(name)}(?![\w$])", sql) is not None or f'"{name}"' in sql


@pytest.mark.parametrize("rule_id", SCHEMA_RULES)
def test_bad_example_fires_on_the_table_and_columns_it_shows(rule_id, catalog_of):
    bad = all_rules()[rule_id].bad
    catalog = catalog_of(bad)
    hits = _hits(rule_id, catalog)
    assert hits, f"{rule_id}: its Bad example raised no finding"
    functions = {f"{f.schema}.{f.name}": f for f in catalog.functions}
    for hit in hits:
        assert hit.message, f"{rule_id}: the finding on {hit.table} has no message"
        if hit.table in functions:  # rules on functions name the function where others name a table
            assert _shown(functions[hit.table].name, bad), f"{rule_id}: names {hit.table}, not in the Bad example"
            assert not hit.columns, f"{rule_id}: the finding on function {hit.table} names columns {hit.columns}"
            continue
        table = catalog.table(hit.table)
        assert table is not None, f"{rule_id}: a finding names {hit.table!r}, which the Bad example does not create"
        assert _shown(table.name, bad), f"{rule_id}: a finding names {hit.table}, which the Bad example never shows"
        for column in hit.columns:
            assert table.column(column) is not None, (
                f"{rule_id}: the finding on {hit.table} names column {column!r}, which {hit.table} does not have"
            )
            assert _shown(column, bad), f"{rule_id}: the finding names {hit.table}.{column}, not in the Bad example"


@pytest.mark.parametrize("rule_id", SCHEMA_RULES)
def test_good_example_is_silent(rule_id, catalog_of):
    hits = _hits(rule_id, catalog_of(all_rules()[rule_id].good))
    assert not hits, f"{rule_id}: its Good example raised {[h.message for h in hits]}"
