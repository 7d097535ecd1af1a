"""Report rendering: text, JSON (+ baseline), SARIF 2.1.0 (validated against its JSON schema), Markdown."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from analyzers import output
from analyzers.engine import analyze

SARIF_SCHEMA = json.loads((Path(__file__).parent / "fixtures" / "sarif" / "sarif-schema-2.1.0.json").read_text())
SCHEMA = """
CREATE TABLE customers (id bigint PRIMARY KEY);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id));
CREATE TABLE log (msg text);
"""


@pytest.fixture
def report(catalog_of):
    return analyze(catalog_of(SCHEMA))


def test_text_groups_by_severity(report):
    text = output.to_text(report, "x.sql")
    assert text.index("ERROR") < text.index("WARNING")
    assert "[no-primary-key] public.log has no primary key" in text


def test_json_and_baseline(report):
    data = json.loads(output.to_json(report))
    assert data["summary"]["total"] == len(report.findings) == len(data["findings"])
    assert all("key" in f for f in data["findings"])
    assert output.filter_new(report, output.to_json(report)).findings == ()
    partial = {"findings": data["findings"][:1]}
    assert len(output.filter_new(report, json.dumps(partial)).findings) == len(report.findings) - 1


def test_sarif_has_what_code_scanning_requires(report, tmp_path):
    ddl = tmp_path / "schema.sql"
    ddl.write_text("-- header\n" + SCHEMA)
    sarif = output.to_sarif(report, ddl_file=ddl)
    jsonschema.validate(sarif, SARIF_SCHEMA, cls=jsonschema.Draft4Validator)
    assert sarif["version"] == "2.1.0" and sarif["$schema"].endswith("sarif-2.1.0.json")
    run = sarif["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] and driver["informationUri"].startswith("https://")
    ids = [r["id"] for r in driver["rules"]]
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert "Bad:" in rule["help"]["text"] and "Good:" in rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    assert len(run["results"]) == len(report.findings)
    for result in run["results"]:
        assert result["ruleId"] in ids and driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note") and result["message"]["text"]
        assert result["partialFingerprints"]["schemaStudioKey/v1"]
        location = result["locations"][0]
        assert location["logicalLocations"][0]["fullyQualifiedName"].startswith("public.")
    lines = {
        r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]: r["locations"][0]["physicalLocation"]
        for r in run["results"]
    }
    assert lines["public.log"] == {"artifactLocation": {"uri": "schema.sql"}, "region": {"startLine": 5}}


def test_markdown_groups_by_table_with_sql_fixes(report):
    md = output.to_markdown(report, "x.sql")
    assert "| error | 1 |" in md and "## `public.orders`" in md and "```sql\nCREATE INDEX CONCURRENTLY" in md


def test_the_sarif_schema_rejects_what_code_scanning_would(report):
    """The validation can fail: a result without its message is not SARIF."""
    sarif = output.to_sarif(report)
    del sarif["runs"][0]["results"][0]["message"]
    with pytest.raises(jsonschema.ValidationError, match="'message' is a required property"):
        jsonschema.validate(sarif, SARIF_SCHEMA, cls=jsonschema.Draft4Validator)
