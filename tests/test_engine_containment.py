"""The embedded engine ships extensions that reach outside the sandbox (dblink, postgres_fdw, file_fdw) or into
the server's internals (pageinspect, pg_surgery, ...): an uploaded file gets none of them, asked for openly or
from inside a DO block, and the extensions it may have stay exactly the allow-list."""

from __future__ import annotations

import psycopg
import pytest

from studio.sources import embedded
from studio.sources.ddl_extensions import SAFE

OUTSIDE = ("dblink", "postgres_fdw", "file_fdw", "pageinspect", "pg_surgery", "pg_walinspect", "pg_buffercache",
           "pg_visibility", "pgrowlocks", "pg_prewarm", "amcheck", "pg_stat_statements")


def _available() -> set[str]:
    with embedded.connect("postgres") as conn:
        return {r[0] for r in conn.execute("SELECT name FROM pg_available_extensions")}


def test_every_available_extension_outside_the_allow_list_is_named_here():
    """A new engine release with another extension must be judged here before a file can be refused it."""
    unjudged = _available() - SAFE - set(OUTSIDE) - {"autoinc", "bloom", "dict_int", "dict_xsyn", "insert_username", "intagg",
                                                     "moddatetime", "refint", "pg_freespacemap", "pg_logicalinspect",
                                                     "pgstattuple"}
    assert not unjudged, f"extensions the engine ships that nobody judged for the sandbox: {sorted(unjudged)}"
    assert set(OUTSIDE) <= _available(), "the engine still ships them, so the refusals below are real"


@pytest.mark.parametrize("extension", OUTSIDE)
def test_an_extension_outside_the_allow_list_is_refused_openly_and_from_a_do_block(load, extension):
    loaded = load(f'CREATE EXTENSION IF NOT EXISTS "{extension}";\n'
                  f"DO $$ BEGIN EXECUTE 'CREATE EXTENSION IF NOT EXISTS \"{extension}\"'; END $$;\n"
                  "CREATE TABLE t (id int);\n")
    notes = {n.line: n for n in loaded.catalog.notes}
    assert "not on the sandbox's safe list" in notes[1].message, notes[1].message
    assert notes[2].message.startswith("refused:") or "permission denied" in notes[2].message, notes[2].message
    with psycopg.connect(embedded.admin_url(loaded.database)) as conn:
        created = {r[0] for r in conn.execute("SELECT extname FROM pg_extension")}
    assert extension not in created
    assert created <= SAFE, f"the sandbox got {sorted(created - SAFE)}"
    assert loaded.catalog.table("public.t") is not None
