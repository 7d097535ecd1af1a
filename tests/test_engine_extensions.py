"""A dump using the extensions real schemas use, and ICU collations, loads whole on the embedded server.

The engine ships citext, hstore, ltree, pg_trgm, btree_gist, btree_gin, cube, earthdistance and
unaccent; uuid-ossp, pgcrypto and ICU are stood in (studio/sources/ddl_extensions.py, ddl.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.sources import ddl

DUMP = Path(__file__).parent / "fixtures" / "extensions-dump.sql"


@pytest.fixture(scope="module")
def loaded():
    with ddl.load_file(DUMP) as result:
        yield result


def test_every_table_column_index_and_constraint_reaches_the_model(loaded):
    catalog = loaded.catalog
    tables = {t.qualified: t for t in catalog.tables}
    assert set(tables) == {"public.accounts", "public.categories", "public.places", "public.bookings"}
    accounts = tables["public.accounts"]
    assert accounts.column_names == (
        "id", "email", "handle", "display_name", "api_key", "password_hash", "settings"
    )
    assert accounts.column("email").base_type == "citext"
    assert accounts.column("settings").base_type == "hstore"
    assert tables["public.categories"].column("path").base_type == "ltree"
    assert tables["public.places"].column("box").base_type == "cube"
    assert accounts.column("id").default.startswith("uuid_generate_v4()")
    assert "gen_random_bytes(16)" in accounts.column("api_key").default
    indexes = {i.name for t in catalog.tables for i in t.indexes}
    assert {
        "categories_path_gist", "places_name_trgm", "places_name_unaccent", "places_account_gin",
        "places_earth", "accounts_settings", "bookings_no_overlap", "accounts_email_key",
    } <= indexes
    bookings = tables["public.bookings"]
    assert [x.name for x in bookings.exclusions] == ["bookings_no_overlap"]
    assert len(tables["public.places"].foreign_keys) == 1 and len(bookings.foreign_keys) == 1


def test_icu_collations_stand_in_under_their_own_names(loaded):
    accounts = loaded.catalog.table("public.accounts")
    assert accounts.column("handle").collation.endswith("case_insensitive")
    assert accounts.column("display_name").collation.endswith("und-x-icu")
    stood_in = sorted(n.object for n in loaded.catalog.notes if "collation" in n.object)
    assert stood_in == ["collation public.case_insensitive", "collation und-x-icu"]
    assert all("approximated" in n.message for n in loaded.catalog.notes if "collation" in n.object)


def test_only_documented_stand_ins_are_noted(loaded):
    by_object = {n.object: n for n in loaded.catalog.notes if n.level != "info"}
    assert set(by_object) == {
        "extension uuid-ossp", "extension pgcrypto", "collation public.case_insensitive", "collation und-x-icu",
    }, [(n.line, n.message) for n in loaded.catalog.notes]
    assert not [n for n in loaded.catalog.notes if n.level == "error"]
