"""Bad and hostile DDL files: clear errors, nothing reaches the host."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from studio.errors import SourceError
from studio.sources import ddl, embedded


def _marker() -> Path:
    # a path the server process may write to: it runs as another user when tests run as root
    return Path("/tmp") / f"studio-pwned-{uuid.uuid4().hex}"


def test_syntax_error_alone_is_fatal_with_line_and_postgres_text():
    text = "-- header\n\nCREATE TABL t (id int);\n"
    with pytest.raises(SourceError) as caught:
        ddl.load_text(text, filename="schema.sql")
    assert str(caught.value) == 'schema.sql line 3: syntax error at or near "TABL"'


def test_syntax_error_among_good_statements_is_an_error_note_on_its_line(load):
    text = "CREATE TABLE a (id int);\nCREATE TABLE b (\n  id int,\n  name text text text\n);\nCREATE TABLE c (id int);\n"
    catalog = load(text).catalog
    assert {t.name for t in catalog.tables} == {"a", "c"}
    [error] = [n for n in catalog.notes if n.level == "error"]
    assert error.line == 4  # the line PostgreSQL points at, not only where the statement starts
    assert error.message == 'syntax error at or near "text"'
    assert error.object == "table b"


def test_empty_file(tmp_path):
    path = tmp_path / "empty.sql"
    path.write_text("-- nothing here\n/* nor here */\n\n")
    with pytest.raises(
        SourceError, match=r"^empty\.sql is empty: .*give a file with CREATE TABLE statements"
    ):
        ddl.load_file(path)


def test_non_utf8_file_names_the_byte_and_suggests_iconv(tmp_path):
    path = tmp_path / "latin.sql"
    path.write_bytes(b"CREATE TABLE t (id int);\n-- caf\xe9\n")
    with pytest.raises(SourceError) as caught:
        ddl.load_file(path)
    message = str(caught.value)
    assert "latin.sql is not UTF-8" in message and "0xE9" in message and "offset 31" in message
    assert "line 2" in message and "iconv" in message


def test_declared_latin1_dump_and_bom_are_decoded(tmp_path):
    path = tmp_path / "dump.sql"
    path.write_bytes(b"\xef\xbb\xbfSET client_encoding = 'LATIN1';\nCREATE TABLE caf\xe9 (id int);\n")
    with pytest.raises(SourceError):  # a BOM then invalid UTF-8 without an understood declaration
        ddl.decode(b"\xef\xbb\xbfCREATE TABLE caf\xe9 (id int);", "x.sql")
    with ddl.load_file(path) as loaded:
        assert loaded.catalog.table("public.café") is not None


def test_over_size_limit(tmp_path, monkeypatch):
    monkeypatch.setenv(ddl.MAX_MB_ENV, "0.001")
    path = tmp_path / "big.sql"
    path.write_text("CREATE TABLE t (id int);\n" * 100)
    with pytest.raises(
        SourceError, match=r"big\.sql is .* over the 0\.001 MB limit.*SCHEMA_STUDIO_MAX_DDL_MB"
    ):
        ddl.load_file(path)


def test_copy_to_program_is_refused_and_runs_nothing(load):
    marker = _marker()
    loaded = load(f"CREATE TABLE t (id int);\nCOPY (SELECT 1) TO PROGRAM 'touch {marker}';\n")
    assert not marker.exists()
    [note] = [n for n in loaded.catalog.notes if n.line == 2]
    assert note.level == "warning" and note.message.startswith("refused:")
    assert "external program" in note.message


def test_superuser_would_have_run_it(scratch_db):
    """The refusal above is the sandbox role's doing: the same COPY as a superuser does touch the host."""
    marker = _marker()
    scratch_db.execute(f"COPY (SELECT 1) TO PROGRAM 'touch {marker}'")
    try:
        assert marker.exists()
    finally:
        os.path.exists(marker) and os.remove(marker)


def test_psql_shell_escape_is_refused(load):
    marker = _marker()
    loaded = load(f"CREATE TABLE t (id int);\n\\! touch {marker}\n")
    assert not marker.exists()
    [note] = [n for n in loaded.catalog.notes if n.line == 2]
    assert note.level == "warning" and "refused psql meta-command \\!" in note.message


def test_pg_read_file_is_refused(load):
    loaded = load(
        "CREATE TABLE t (id int);\nSELECT pg_read_file('/etc/passwd');\nCOPY t FROM '/etc/passwd';\n"
    )
    notes = {n.line: n for n in loaded.catalog.notes}
    assert notes[2].message.startswith("refused: permission denied for function pg_read_file")
    assert notes[3].message.startswith("refused:")


def test_missing_extension_is_noted_and_its_type_stood_in(load):
    loaded = load(
        "CREATE EXTENSION IF NOT EXISTS postgis;\nCREATE TABLE place (id int, g geometry);\nCREATE TABLE t (id int);\n"
    )
    notes = {n.line: n for n in loaded.catalog.notes}
    assert notes[1].object == "extension postgis" and "not available" in notes[1].message
    assert notes[2].object == "type geometry" and "taken to come from postgis" in notes[2].message
    assert loaded.catalog.table("public.place").column("g").type == "geometry"
    assert loaded.catalog.table("public.t") is not None


def test_a_missing_type_without_a_missing_extension_is_the_files_error(load):
    loaded = load("CREATE TABLE place (id int, g geometry);\nCREATE TABLE t (id int);\n")
    notes = {n.line: n for n in loaded.catalog.notes}
    assert notes[1].level == "error" and 'type "geometry" does not exist' in notes[1].message
    assert loaded.catalog.table("public.place") is None and loaded.catalog.table("public.t") is not None


def test_alter_system_create_role_and_untrusted_language_are_refused(load):
    loaded = load(
        "CREATE TABLE t (id int);\nALTER SYSTEM SET work_mem = '1GB';\nCREATE ROLE intruder SUPERUSER;\n"
        "CREATE FUNCTION evil() RETURNS int LANGUAGE c AS '/bin/sh', 'main';\nSET session_replication_role = replica;\n"
    )
    notes = {n.line: n for n in loaded.catalog.notes}
    assert notes[2].message.startswith("refused:")
    assert notes[3].message.startswith("refused:")
    assert notes[4].message.startswith("refused:")
    assert notes[5].level == "info"
    with embedded.connect() as admin:
        assert admin.execute("SELECT 1 FROM pg_roles WHERE rolname = 'intruder'").fetchone() is None
        written = admin.execute("SELECT count(*) FROM pg_file_settings WHERE name = 'work_mem'").fetchone()[0]
    assert written == 0  # ALTER SYSTEM would have written it to postgresql.auto.conf


def test_reset_role_cannot_escape_the_sandbox_role(load):
    loaded = load(
        "RESET ROLE;\nRESET SESSION AUTHORIZATION;\nCREATE TABLE t AS SELECT current_user AS who;\n"
    )
    import psycopg

    with psycopg.connect(loaded.url) as conn:
        assert conn.execute("SELECT who FROM t").fetchone()[0] == loaded.role


def test_runaway_statement_is_stopped_by_the_timeout():
    with ddl.load_text(
        "CREATE TABLE t (id int);\nSET statement_timeout = 0;\nSELECT pg_sleep(30);\n",
        filename="slow.sql",
        statement_timeout_s=1,
    ) as loaded:
        [note] = [n for n in loaded.catalog.notes if n.line == 3]
    assert note.level == "error" and "statement timeout" in note.message
