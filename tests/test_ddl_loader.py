"""Loading DDL text into the sandbox: splitting, data, transactions, databases, roles, stand-ins."""

from __future__ import annotations

import psycopg

from studio.sources import ddl, embedded
from studio.sources.ddl_script import split


def _rows(loaded, sql: str) -> list[tuple]:
    with psycopg.connect(loaded.url) as conn:
        return conn.execute(sql).fetchall()


def test_splitter_respects_quotes_comments_and_dollar_bodies():
    text = """-- a comment; not a statement
CREATE TABLE "semi;colon" (a text DEFAULT 'x;y', b text DEFAULT E'it\\'s;');
/* outer /* nested; */ still comment; */
CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$ BEGIN RETURN 1; END $body$;
CREATE FUNCTION g() RETURNS text LANGUAGE sql AS $$ SELECT 'a;b' $$;
CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2);
COPY t (a) FROM stdin;
x;1
\\.
SELECT 3"""
    statements = split(text)
    assert [s.line for s in statements] == [2, 4, 5, 6, 7, 10]
    assert statements[0].sql.endswith("E'it\\'s;')")
    assert statements[4].copy_data == "x;1\n"
    assert statements[5].sql == "SELECT 3"


def test_splitter_meta_commands_and_atomic_bodies():
    text = "\\set ON_ERROR_STOP on\nCREATE FUNCTION h() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\nEND;\n\\! rm -rf /\n"
    statements = split(text)
    assert [(s.is_meta, s.line) for s in statements] == [(True, 1), (False, 2), (True, 6)]
    assert statements[1].sql.rstrip().endswith("END")
    assert statements[2].meta_command == "\\!"


def test_copy_data_and_dollar_quoting_load(load):
    loaded = load(
        """CREATE TABLE public.item (id int PRIMARY KEY, label text);
COPY public.item (id, label) FROM stdin;
1\tfirst
2\tsemi;colon
\\.
CREATE FUNCTION public.label_of(i int) RETURNS text LANGUAGE plpgsql AS $fn$
BEGIN
  RETURN (SELECT label FROM public.item WHERE id = i); -- a ; inside
END
$fn$;
"""
    )
    assert _rows(loaded, "SELECT public.label_of(2)") == [("semi;colon",)]
    assert loaded.catalog.table("public.item") is not None
    assert any(f.name == "label_of" for f in loaded.catalog.functions)


def test_begin_commit_are_absorbed_and_a_later_error_keeps_earlier_work(load):
    loaded = load(
        "BEGIN;\nCREATE TABLE a (id int PRIMARY KEY);\nCOMMIT;\nBEGIN;\nCREATE TABLE b (id int);\nROLLBACK;\n"
    )
    assert {t.name for t in loaded.catalog.tables} == {"a", "b"}
    assert not loaded.catalog.notes


def test_connect_and_create_database_stay_in_the_sandbox(load):
    loaded = load(
        "DROP DATABASE IF EXISTS other;\nCREATE DATABASE other;\n\\c other\nCREATE TABLE t (id int);\n"
    )
    assert loaded.catalog.table("public.t") is not None
    with embedded.connect() as admin:
        assert admin.execute("SELECT 1 FROM pg_database WHERE datname = 'other'").fetchone() is None
    assert [n.line for n in loaded.catalog.notes] == [1, 2, 3]
    assert all(n.level == "info" for n in loaded.catalog.notes)


def test_missing_roles_are_noted_and_objects_still_load(load):
    loaded = load(
        """CREATE TABLE t (id int PRIMARY KEY);
ALTER TABLE t OWNER TO app_owner;
GRANT SELECT ON t TO reporting_reader;
CREATE POLICY p ON t TO ghost_role USING (true);
"""
    )
    catalog = loaded.catalog
    assert catalog.table("public.t") is not None
    by_line = {n.line: n for n in catalog.notes}
    assert "OWNER TO" in by_line[2].message
    assert "reporting_reader" in by_line[3].message
    assert by_line[4].object == "policy p on t" and "ghost_role" in by_line[4].message
    assert by_line[4].level == "warning"


def test_real_citext_and_a_uuid_ossp_stand_in_keep_the_columns(load):
    loaded = load(
        """CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;
CREATE TABLE public.account (
  email public.citext NOT NULL CHECK (email OPERATOR(public.~) '@'),
  id uuid DEFAULT public.uuid_generate_v4()
);
CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA public;
"""
    )
    account = loaded.catalog.table("public.account")
    assert account is not None, loaded.catalog.notes
    assert account.column("email").base_type == "citext"  # the embedded server ships citext itself
    assert account.column("id").default.startswith("uuid_generate_v4()")
    approximated = [n for n in loaded.catalog.notes if "approximated" in n.message]
    assert [n.object for n in approximated] == ["extension uuid-ossp"]
    assert _rows(loaded, "SELECT 'A@B'::public.citext OPERATOR(public.~) 'a@b'::public.citext") == [(True,)]


def test_a_statement_that_depends_on_a_later_one_is_retried(load):
    loaded = load(
        """CREATE VIEW v AS SELECT id FROM later;
CREATE TABLE later (id int);
ALTER TABLE ONLY child ADD CONSTRAINT child_fk FOREIGN KEY (parent_id) REFERENCES parent(id);
CREATE TABLE parent (id int PRIMARY KEY);
CREATE TABLE child (parent_id int);
"""
    )
    assert loaded.catalog.table("public.v").kind == "view"
    assert len(loaded.catalog.table("public.child").foreign_keys) == 1
    assert not loaded.catalog.notes


def test_a_skipped_object_explains_what_depends_on_it(load):
    loaded = load(
        # pg_bigm: an extension the embedded server does not ship
        "CREATE EXTENSION pg_bigm;\nCREATE TABLE t (name text);\n"
        "CREATE INDEX t_name ON t USING gin (name gin_bigm_ops);\n"
        "CREATE TABLE broken (x int REFERENCES nosuchtable);\nCOMMENT ON TABLE broken IS 'x';\n"
    )
    notes = {n.line: n for n in loaded.catalog.notes}
    assert "pg_bigm" in notes[1].message
    assert notes[3].object == "index t_name on t" and "needs extension pg_bigm" in notes[3].message
    assert notes[4].level == "error" and 'relation "nosuchtable" does not exist' in notes[4].message
    assert "skipped because table broken (line 4) was skipped" in notes[5].message


HOSTILE = ["Mixed Case", 'quo"te', "semi;colon", "Ünïcødé 表", "select", "sp ace"]


def test_hostile_identifiers_round_trip(load):
    from studio.sql import ident, qualified

    schema = 'Sch"ema'
    columns = ", ".join(f"{ident(c)} text" for c in HOSTILE)
    loaded = load(
        f"CREATE SCHEMA {ident(schema)};\n"
        + "\n".join(
            f"CREATE TABLE {qualified(schema, name)} (id int PRIMARY KEY, {columns});" for name in HOSTILE
        )
    )
    for name in HOSTILE:
        table = loaded.catalog.table(f"{schema}.{name}")
        assert table is not None, name
        assert table.column_names == ("id", *HOSTILE)
    assert not loaded.catalog.notes


def test_loaded_is_a_context_manager_that_drops_database_and_role():
    with ddl.load_text("CREATE TABLE t (id int);", filename="x.sql") as loaded:
        name, role = loaded.database, loaded.role
        assert loaded.catalog.source == "x.sql"
    with embedded.connect() as admin:
        assert admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None
        assert admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is None


def test_sandbox_role_is_unprivileged(load):
    loaded = load("CREATE TABLE t (id int);")
    with embedded.connect() as admin:
        row = admin.execute(
            "SELECT rolsuper, rolcreatedb, rolcreaterole, rolbypassrls, "
            "(SELECT count(*) FROM pg_auth_members WHERE member = r.oid) FROM pg_roles r WHERE rolname = %s",
            (loaded.role,),
        ).fetchone()
    assert row == (False, False, False, False, 0)
    assert _rows(loaded, "SELECT current_user") == [(loaded.role,)]
