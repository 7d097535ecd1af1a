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


MISSING = Path(__file__).parent / "fixtures" / "missing-types-dump.sql"


@pytest.fixture(scope="module")
def missing():
    with ddl.load_file(MISSING) as result:
        yield result


def test_types_nothing_creates_stand_in_as_text_domains_and_keep_their_tables(missing):
    catalog = missing.catalog
    zones, visits = catalog.table("public.zones"), catalog.table("public.visits")
    assert zones is not None and visits is not None, [n.message for n in catalog.notes]
    assert zones.column_names == ("id", "kind", "area", "centre", "outline", "corners", "body")
    assert (zones.column("area").type, zones.column("centre").type) == ("geometry", "geography")
    assert zones.column("corners").type == "geometry[]"
    assert zones.column("kind").type == "zone_kind", "a type the file creates is never stood in"
    assert [fk.ref_table for fk in visits.foreign_keys] == ["public.zones"]
    stood_in = sorted(n.object for n in catalog.notes if n.object.startswith("type "))
    assert stood_in == ["type public.geography", "type public.geometry"]
    dropped = " ".join(n.message for n in catalog.notes if "type modifiers" in n.message)
    assert "(MultiPolygon,4326)" in dropped and "(Point,4326)" in dropped and "(Point, 4326)" in dropped
    assert not catalog.notes or not [n for n in catalog.notes if n.level == "error"]
    assert missing.failures == ()


def test_an_index_the_engine_cannot_build_stays_in_the_model_marked_approximated(missing):
    zones = missing.catalog.table("public.zones")
    indexes = {i.name: i for i in zones.indexes}
    assert {"zones_area_gist", "zones_outline_nd", "zones_body_rum", "zones_pkey"} <= set(indexes)
    rum = indexes["zones_body_rum"]
    assert (rum.method, rum.columns, rum.keys[0].opclass) == ("rum", ("body",), "rum_tsvector_ops")
    assert "access method" in rum.approximated
    nd = indexes["zones_outline_nd"]
    assert nd.predicate == "(outline IS NOT NULL)" and nd.keys[0].opclass == "public.gist_geometry_ops_nd"
    assert nd.definition.startswith("CREATE INDEX zones_outline_nd ON public.zones USING gist")
    assert indexes["zones_area_gist"].approximated and not indexes["zones_pkey"].approximated
    noted = {n.object for n in missing.catalog.notes if n.message.startswith("approximated:")}
    assert noted == {f"index {name} on public.zones" for name in ("zones_area_gist", "zones_outline_nd", "zones_body_rum")}


def test_a_broken_type_definition_is_reported_not_stood_in(tmp_path):
    path = tmp_path / "broken.sql"
    path.write_text("CREATE TYPE public.mood AS ENUM ('a', 'a');\nCREATE TABLE t (id int, m public.mood);\n"
                    "CREATE TABLE u (id int);\n", encoding="utf-8")
    with ddl.load_file(path) as result:
        assert result.catalog.table("public.t") is None
        assert not [n for n in result.catalog.notes if "domain over text" in n.message]
        assert {n.line for n in result.failures} == {1, 2}
