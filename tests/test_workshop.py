"""The workshop agenda and records: order, themes, open questions, and what decisions change."""

from __future__ import annotations

import pytest

from analyzers.engine import analyze
from studio.design.decisions import Decisions, Partition, parse
from studio.workshop.agenda import (
    AgendaItem,
    big_time_ordered_tables,
    build_agenda,
    effective_decisions,
    progress,
    record,
)

SCHEMA = """
CREATE SCHEMA "Ops";
CREATE TABLE public.tenants (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);
CREATE TABLE public.orders (
    id serial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES public.tenants (id),
    placed_at timestamptz NOT NULL
);
CREATE TABLE "Ops"."SensorReadings" (
    "SensorId" integer NOT NULL,
    "RecordedAt" timestamp NOT NULL,
    value numeric,
    PRIMARY KEY ("SensorId", "RecordedAt")
);
CREATE TABLE "Ops".event_log (id bigint PRIMARY KEY, happened_on date NOT NULL, body text);
CREATE TABLE "Ops".thing (id int, note text);
"""


@pytest.fixture(scope="module")
def catalog():
    from studio.sources import embedded, postgres

    with embedded.scratch_database("test") as name:
        url = embedded.admin_url(name)
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(SCHEMA)
        yield postgres.introspect(url)


def test_findings_come_first_by_severity_grouped_by_theme_then_questions(catalog):
    findings = analyze(catalog).findings
    agenda = build_agenda(catalog, findings)
    kinds = [i.kind for i in agenda]
    assert kinds == sorted(kinds, key=lambda k: k != "finding")  # every finding before every question
    themes = [i.theme for i in agenda if i.kind == "finding"]
    assert themes == sorted(themes, key=themes.index)  # each theme is one contiguous group
    worst = {"error": 0, "warning": 1, "info": 2}
    firsts = [min(worst[i.severity] for i in agenda if i.theme == t) for t in dict.fromkeys(themes)]
    assert firsts == sorted(firsts)  # groups led by their worst finding, errors first
    assert agenda[0].severity == "error"  # "Ops".thing has no primary key
    assert {i.key for i in agenda if i.kind == "finding"} == {f.key for f in findings}
    assert len({i.id for i in agenda}) == len(agenda)


def test_open_questions_cover_tenancy_time_ordered_tables_and_keys(catalog):
    agenda = build_agenda(catalog, [])
    keys = [i.key for i in agenda]
    assert keys[0] == "question:tenancy"
    assert 'question:partition:Ops.SensorReadings' in keys  # mixed case, plural, own schema
    assert "question:partition:Ops.event_log" in keys  # singular word, date column
    assert "question:partition:public.orders" not in keys  # not a table of events
    assert keys[-1] == "question:keys"
    sensor = next(i for i in agenda if i.key == "question:partition:Ops.SensorReadings")
    assert sensor.columns == ("RecordedAt",) and len(sensor.options) == 2
    assert {t.qualified for t, _ in big_time_ordered_tables(catalog)} == {"Ops.SensorReadings", "Ops.event_log"}


def test_answered_questions_leave_the_agenda_unless_the_workshop_answered_them(catalog):
    decided = parse('[tenancy]\nmodel = "rls"\n[keys]\nstrategy = "uuidv7"\n')
    keys = [i.key for i in build_agenda(catalog, [], decided)]
    assert "question:tenancy" not in keys and "question:keys" not in keys
    kept = [i.key for i in build_agenda(catalog, [], decided, recorded={"question:tenancy": {}})]
    assert "question:tenancy" in kept


def test_decisions_follow_the_items(catalog):
    findings = analyze(catalog).findings
    agenda = {i.key: i for i in build_agenda(catalog, findings)}
    no_pk = next(i for i in agenda.values() if i.rule == "no-primary-key")
    other = next(i for i in agenda.values() if i.kind == "finding" and i is not no_pk)
    records = {
        no_pk.key: record(no_pk, author="Ada", decision="reject", rationale="staging table, dropped nightly"),
        other.key: record(other, author="Ada", decision="accept"),
        "question:tenancy": record(agenda["question:tenancy"], author="Bob", decision="accept", option="rls"),
        "question:keys": record(agenda["question:keys"], author="Bob", decision="defer", option="uuidv7"),
        "question:partition:Ops.event_log": record(
            agenda["question:partition:Ops.event_log"], author="Bob", decision="accept",
            option="range on happened_on by month"),
    }
    result = effective_decisions(Decisions(), records)
    assert [(s.rule, s.object, s.reason) for s in result.suppressions] == [
        ("no-primary-key", "Ops.thing", "staging table, dropped nightly")
    ]
    assert result.accepted_fixes == (other.key,)
    assert result.tenancy.model == "rls"
    assert result.key_strategy == "keep"  # deferred: not applied
    assert result.partitions == (Partition("Ops.event_log", "range", "happened_on", interval="month"),)
    assert parse(result.to_toml()) == result  # still a valid design.toml
    assert progress(list(agenda.values()), records) == (5, len(agenda))

    undone = dict(records, **{no_pk.key: record(no_pk, records[no_pk.key], author="Ada", decision="defer")})
    assert effective_decisions(Decisions(), undone).suppressions == ()


def test_record_rejects_unknown_fields_and_decisions():
    item = AgendaItem(key="k", kind="finding", title="t", theme="keys", context="c")
    with pytest.raises(ValueError, match="decision"):
        record(item, author="Ada", decision="maybe")
    with pytest.raises(ValueError, match="unknown field"):
        record(item, author="Ada", colour="red")
    rec = record(item, author="  Ada   L ", notes="n")
    assert rec["author"] == "Ada L" and rec["notes"] == "n" and rec["title"] == "t"
