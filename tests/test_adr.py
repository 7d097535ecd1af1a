"""The decision log (ADR style) and the workshop summary, read from a stored workspace."""

from __future__ import annotations

import pytest

from studio.catalog import Catalog
from studio.workshop.adr import decision_log, workshop_summary
from studio.workshop.agenda import AgendaItem, Option, record
from studio.workshop.workspace import Store

HOSTILE = '<script>alert("x")</script> **bold** | pipe\n# not a heading'

FINDING = AgendaItem(
    key="no-primary-key:public.thing::", kind="finding", title="public.thing has no primary key", theme="keys",
    context="Rows cannot be addressed.", severity="error", table="public.thing", rule="no-primary-key",
    fix="ALTER TABLE public.thing ADD PRIMARY KEY (id); -- ```fenced```",
)
QUESTION = AgendaItem(
    key="question:tenancy", kind="question", title="Which tenancy model?", theme="design questions",
    context="How tenants are kept apart.", options=(Option("rls", "cheap"), Option("schema-per-tenant", "isolated")),
)
OPEN = AgendaItem(key="open:item", kind="finding", title="Not decided", theme="types", context="c", severity="info")


@pytest.fixture(scope="module")
def workspace():
    from studio.sources import embedded

    with embedded.scratch_database("test") as name:
        store = Store(embedded.admin_url(name))
        ws = store.create("Fleet <review>", source_kind="demo", source_label="demo", catalog_json=Catalog().to_json(),
                          author="Ada")
        changes = {"items": {
            FINDING.key: record(FINDING, author="Ada", decision="accept", owner="Grace", notes=HOSTILE,
                                rationale="cheap now"),
        }}
        ws = store.save(ws.id, 1, changes, "Ada", "accepted").workspace
        changes = {"items": {
            QUESTION.key: record(QUESTION, author="Bob", decision="accept", option="rls", rationale=HOSTILE),
            OPEN.key: record(OPEN, author="Bob", notes="talk later"),
        }}
        yield store.save(ws.id, 2, changes, "Bob", "tenancy").workspace


def test_every_decided_item_is_an_adr_with_all_sections(workspace):
    log = decision_log(workspace)
    assert log.count("\n## ADR-") == 2 and "ADR-001: public.thing has no primary key" in log
    assert "ADR-002: Which tenancy model?" in log
    assert "Not decided" not in log  # no decision, no record
    for section in ("### Context", "### Options", "### Decision", "### Consequences"):
        assert log.count(section) == 2
    assert log.count("- Participants: Ada, Bob, Grace") == 2
    assert "- Status: Accepted" in log and "Chosen: **rls**." in log
    assert "- Date: " in log and "- Date: undated" not in log
    assert "ALTER TABLE public.thing ADD PRIMARY KEY (id)" in log
    assert "````sql" in log  # the fence outgrows the backticks inside the fix


def test_typed_text_cannot_become_markup(workspace):
    for text in (decision_log(workspace), workshop_summary(workspace)):
        assert "<script>" not in text and "&lt;script&gt;" in text
        assert "\n# not a heading" not in text
        assert "Fleet &lt;review&gt;" in text


def test_summary_counts_decisions_and_lists_items(workspace):
    summary = workshop_summary(workspace)
    assert "- Decisions: 2 accepted, 0 rejected, 0 deferred" in summary
    assert "- Items with notes or decisions: 3" in summary
    rows = [line for line in summary.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == 4  # header + three items
    assert all(line.count(" | ") == 4 for line in rows)  # a typed pipe does not add a column
    assert "| Open | types | Not decided |" in summary
