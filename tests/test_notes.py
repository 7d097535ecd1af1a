"""Notes on tables and columns (issue 17 item 5): kept in the workspace, starting from the schema's own
comments, shown on hover in the diagram, exported as DBML notes, in the bundle README and, when asked,
as COMMENT ON steps whose downs restore the previous comments, run here on PostgreSQL."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.bundle.manifest import read_bundle
from studio.catalog import Catalog
from studio.erd import Options, build, render
from studio.erd.dot import NOTE_HREF
from studio.erd.layout import has_dot
from studio.migrate.comments import comment_ops, comment_step
from studio.workshop.notes import Note, annotated, comment_changes, notes_of, notes_section

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE_SCHEMA = 'Odd "Sales"'
HOSTILE_TABLE = "order's lines"
SCHEMA_DDL = '''
    CREATE SCHEMA "Odd ""Sales""";
    CREATE TABLE "Odd ""Sales"""."order's lines" (
        id bigint PRIMARY KEY,
        "Qty ""units""" integer,
        price numeric,
        note_free text
    );
    COMMENT ON TABLE "Odd ""Sales"""."order's lines" IS 'One line of an order';
    COMMENT ON COLUMN "Odd ""Sales"""."order's lines".price IS 'Unit price, tax excluded';
    CREATE VIEW "Odd ""Sales""".big_lines AS SELECT id, price FROM "Odd ""Sales"""."order's lines" WHERE price > 100;
    CREATE MATERIALIZED VIEW "Odd ""Sales""".line_count AS SELECT count(*) AS n FROM "Odd ""Sales"""."order's lines";
    CREATE TABLE "Odd ""Sales""".events (id bigint, at date NOT NULL) PARTITION BY RANGE (at);
    CREATE TABLE "Odd ""Sales""".events_2026 PARTITION OF "Odd ""Sales""".events
        FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
    COMMENT ON VIEW "Odd ""Sales""".big_lines IS 'Lines over 100';
'''
LINES = f"{HOSTILE_SCHEMA}.{HOSTILE_TABLE}"
TABLE_NOTE = "Kept 7 years: <script>alert('x')</script> & \"audit\" \\N"
QTY_NOTE = "Counted in 'units'; never\nnegative"


def noted(*notes: Note) -> dict[str, dict]:
    return {n.key: n.record("Ada") for n in notes}


def comments_in(db) -> dict[str, str | None]:
    """Every comment on the noted objects, as PostgreSQL has it."""
    rows = db.query(
        """SELECT c.relname || coalesce('.' || a.attname, ''), d.description
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
           LEFT JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass
                AND d.objsubid = coalesce(a.attnum, 0)
           WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm')
             AND (a.attname IS NULL OR c.relname = %s)
           UNION ALL
           SELECT c.relname, obj_description(c.oid, 'pg_class') FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm')""",
        (HOSTILE_SCHEMA, HOSTILE_TABLE, HOSTILE_SCHEMA),
    )
    return dict(rows)


def test_notes_start_from_the_comments_and_every_format_reads_them(catalog_of):
    catalog = catalog_of(SCHEMA_DDL)
    lines = catalog.table(LINES)
    assert lines.comment == "One line of an order" and lines.column("price").comment == "Unit price, tax excluded"
    items = noted(Note(LINES, None, TABLE_NOTE), Note(LINES, 'Qty "units"', QTY_NOTE), Note(LINES, "price", ""),
                  Note("public.gone", None, "a table this schema does not have"))
    assert [n.target for n in notes_of(items)] == [LINES, f'{LINES}.Qty "units"', f"{LINES}.price", "public.gone"]
    shown = annotated(catalog, items)
    table = shown.table(LINES)
    assert table.comment == TABLE_NOTE
    assert table.column('Qty "units"').comment == QTY_NOTE
    assert table.column("price").comment is None, "an emptied note removes the schema's comment"
    assert table.column("note_free").comment is None
    assert catalog.table(LINES).comment == "One line of an order", "the source catalog is left as it was"
    assert shown.table(f"{HOSTILE_SCHEMA}.big_lines").comment == "Lines over 100", "not noted: the schema's comment"

    dbml = render(build(shown, Options()), "dbml")
    assert "  Note: 'Kept 7 years: <script>alert(\\'x\\')</script> & \"audit\" \\\\N'" in dbml, dbml
    assert re.search(r"\"Qty ”units”\" \"integer\" \[note: 'Counted in \\'units\\'; never negative'\]", dbml), dbml
    assert "Unit price" not in dbml

    if not has_dot():
        pytest.skip("Graphviz `dot` is not installed (the setup script installs it)")
    svg = render(build(shown, Options(views=True)), "svg")
    assert NOTE_HREF not in svg, "no note is a link"
    tips = {g.find(f"{SVG}title").text for g in ET.fromstring(svg).iter(f"{SVG}g") if g.get("class") == "erd-note"}
    assert "Kept 7 years: <script>alert('x')</script> & \"audit\" \u29f5N" in tips  # parsed back: escaped in the file
    assert "Counted in 'units'; never negative" in tips and "Lines over 100" in tips
    assert "<script>" not in svg


def test_notes_as_comment_steps_run_up_and_down_on_postgresql(scratch_db):
    scratch_db.execute(SCHEMA_DDL)
    catalog = scratch_db.catalog()
    items = noted(Note(LINES, None, TABLE_NOTE), Note(LINES, 'Qty "units"', QTY_NOTE), Note(LINES, "price", ""),
                  Note(LINES, "note_free", ""),  # no comment, none wanted: nothing to change
                  Note(f"{HOSTILE_SCHEMA}.big_lines", None, "Lines over 100, for the audit"),
                  Note(f"{HOSTILE_SCHEMA}.line_count", None, "Refreshed nightly"),
                  Note(f"{HOSTILE_SCHEMA}.events", "at", "Day of the event"))
    changes = comment_changes(catalog, items)
    assert {c.target for c in changes} == {LINES, f'{LINES}.Qty "units"', f"{LINES}.price", f"{HOSTILE_SCHEMA}.big_lines",
                                          f"{HOSTILE_SCHEMA}.line_count", f"{HOSTILE_SCHEMA}.events.at"}
    step = comment_step(comment_ops(changes))
    assert step.phase == "expand" and step.transactional
    assert 'COMMENT ON MATERIALIZED VIEW "Odd ""Sales""".line_count IS \'Refreshed nightly\';' in step.up
    before = comments_in(scratch_db)
    for statement in step.up:
        scratch_db.execute(statement)
    after = comments_in(scratch_db)
    assert after[HOSTILE_TABLE] == TABLE_NOTE
    assert after[f'{HOSTILE_TABLE}.Qty "units"'] == QTY_NOTE
    assert after[f"{HOSTILE_TABLE}.price"] is None
    assert after["big_lines"] == "Lines over 100, for the audit" and after["line_count"] == "Refreshed nightly"
    assert scratch_db.query("SELECT col_description('\"Odd \"\"Sales\"\"\".events'::regclass, 2)") == [("Day of the event",)]
    for statement in step.down:
        scratch_db.execute(statement)
    assert comments_in(scratch_db) == before
    assert before[f"{HOSTILE_TABLE}.price"] == "Unit price, tax excluded" and before["line_count"] is None
    assert scratch_db.query("SELECT col_description('\"Odd \"\"Sales\"\"\".events'::regclass, 2)") == [(None,)]


def test_bad_notes_are_refused_with_what_to_do():
    with pytest.raises(ValueError, match=r"note on public\.t\.c: remove the NUL"):
        Note("public.t", "c", "a\x00b")
    with pytest.raises(ValueError, match=r"note on public\.t: 4,001 characters; keep it to 4,000"):
        Note("public.t", None, "x" * 4001)
    assert Note("public.t", None, "  two\r\nlines  \n").text == "two\nlines"


@pytest.fixture(scope="module")
def noted_workspace():
    from studio.sources import embedded
    from studio.workshop.workspace import Store

    with embedded.scratch_database("test") as name:
        store = Store(embedded.admin_url(name))
        created = store.create("Notes", source_kind="demo", source_label="demo", catalog_json=Catalog().to_json(),
                               author="Ada")
        items = noted(Note("public.work_orders", None, "One visit of a customer's equipment to a shop | billed once"),
                      Note("public.work_orders", "ServiceNotes", "Free text the technician writes"))
        yield store.save(created.id, created.head, {"items": items}, "Ada", "notes").workspace


def test_workspace_keeps_notes_and_the_bundle_applies_them_as_comments(noted_workspace):
    from studio.migrate.export import build_export
    from studio.sources import open_source

    notes = notes_of(noted_workspace.items)
    assert [(n.table, n.column) for n in notes] == [("public.work_orders", None), ("public.work_orders", "ServiceNotes")]
    export = build_export(open_source(demo=True), accepted="none", workspace=noted_workspace, notes_as_comments=True)
    assert export.verified.ok, export.verified.text()
    step = next(s for s in export.plan.steps if s.name == "notes_as_comments")
    assert step.up == ("COMMENT ON TABLE public.work_orders IS 'One visit of a customer''s equipment to a shop | billed once';",
                       'COMMENT ON COLUMN public.work_orders."ServiceNotes" IS \'Free text the technician writes\';')
    assert step.down == ('COMMENT ON COLUMN public.work_orders."ServiceNotes" IS NULL;',
                         "COMMENT ON TABLE public.work_orders IS NULL;")
    migrated = export.verified.migrated.table("public.work_orders")
    assert migrated.comment == "One visit of a customer's equipment to a shop | billed once"
    assert migrated.column("ServiceNotes").comment == "Free text the technician writes"
    files = read_bundle(export.data)
    readme = files["README.md"].decode()
    assert "## Notes on tables and columns" in readme and "applied as `COMMENT ON` steps" in readme
    assert "| `public.work_orders` | One visit of a customer's equipment to a shop \\| billed once | (none) |" in readme
    assert "Note: 'One visit of a customer\\'s equipment to a shop | billed once'" in files["erd/current.dbml"].decode()


def test_without_the_option_notes_are_reported_and_the_schema_keeps_its_comments(noted_workspace):
    from studio.migrate.export import build_export
    from studio.sources import open_source

    export = build_export(open_source(demo=True), accepted="none", workspace=noted_workspace, run_verify=False)
    assert not any(s.name == "notes_as_comments" for s in export.plan.steps)
    readme = read_bundle(export.data)["README.md"].decode()
    assert "the schema's comments are not changed by this bundle" in readme
    assert "`public.work_orders.ServiceNotes` | Free text the technician writes" in readme
    assert notes_section(Catalog(), {}, False) == []


def test_cli_refuses_notes_as_comments_without_a_workspace(capsys, tmp_path):
    from studio.cli import main

    assert main(["export", "--demo", "--notes-as-comments", "-o", str(tmp_path / "b.zip")]) == 2
    assert "--notes-as-comments takes the notes from a workspace: add --workspace ID" in capsys.readouterr().err
    assert not (tmp_path / "b.zip").exists()


NOTE_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF, blacklist_categories=("Cs", "Cc"))
                    | st.sampled_from("\n'\"\\<>&;$"), max_size=60)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table_note=NOTE_TEXT, column_note=NOTE_TEXT)
def test_any_note_round_trips_through_comment_on_and_the_diagram(scratch_db, table_note, column_note):
    """Whatever the text (quotes, backslashes, dollar signs, markup, line breaks, any script): PostgreSQL stores
    exactly the note, the down puts the schema's comment back, and the SVG stays well-formed with the note as text."""
    scratch_db.execute(SCHEMA_DDL)
    try:
        catalog = scratch_db.catalog()
        items = noted(Note(LINES, None, table_note), Note(LINES, 'Qty "units"', column_note))
        wanted = [n.text for n in notes_of(items)]
        step = comment_step(comment_ops(comment_changes(catalog, items)))
        for statement in step.up:
            scratch_db.execute(statement)
        table_sql = "'\"Odd \"\"Sales\"\"\".\"order''s lines\"'::regclass"
        stored = scratch_db.query(f"SELECT obj_description({table_sql}, 'pg_class'), col_description({table_sql}, 2)")
        assert stored == [(wanted[0] or None, wanted[1] or None)]
        for statement in step.down:
            scratch_db.execute(statement)
        assert scratch_db.query(f"SELECT obj_description({table_sql}, 'pg_class'), col_description({table_sql}, 2)") == [
            ("One line of an order", None)]
        if has_dot():
            svg = render(build(annotated(catalog, items), Options(tables=(LINES,))), "svg")
            tips = [g.find(f"{SVG}title").text or "" for g in ET.fromstring(svg).iter(f"{SVG}g")
                    if g.get("class") == "erd-note"]
            for text in (t for t in wanted if t):
                shown = " ".join(text.replace("\\", "\u29f5").split())
                assert any(" ".join(tip.split()) == shown for tip in tips), (text, tips)
    finally:
        scratch_db.execute('DROP SCHEMA "Odd ""Sales""" CASCADE')
