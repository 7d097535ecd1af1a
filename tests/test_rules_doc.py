"""docs/rules.md is generated from the registry and must be current."""

from pathlib import Path

from analyzers import docs
from analyzers.families import all_rules

DOC = Path(__file__).resolve().parent.parent / "docs" / "rules.md"


def test_rules_doc_is_current():
    assert DOC.read_text(encoding="utf-8") == docs.render(), "run: python -m analyzers.docs > docs/rules.md"


def test_every_rule_of_the_catalog_is_documented():
    text = DOC.read_text(encoding="utf-8")
    for rule_id in all_rules():
        assert f"## {rule_id}\n" in text
