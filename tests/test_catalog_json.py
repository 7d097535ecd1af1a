"""The model's JSON (studio/json_codec.py through msgspec): what json.dumps printed, byte for byte at
every indent, only the declared fields, and a round trip back to an equal Catalog."""

from __future__ import annotations

import dataclasses
import json
import types
import typing

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio import json_codec
from studio.catalog import TABLE_KINDS, Catalog, Column, Index, IndexKey, Table
from studio.summary import inspect_json, inspect_json_bytes
from tests.conftest import schema_catalog

INT64 = st.integers(-(2**63), 2**63 - 1)  # the model's numbers are PostgreSQL bigints at most


def _values(tp) -> st.SearchStrategy:
    if dataclasses.is_dataclass(tp):
        return _model(tp)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return st.one_of([_values(a) for a in args])
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return st.lists(_values(args[0]), max_size=3).map(tuple)
        return st.tuples(*map(_values, args))
    scalars = {str: st.text(max_size=8), bool: st.booleans(), int: INT64, type(None): st.none()}
    return scalars[tp]


def _model(cls) -> st.SearchStrategy:
    """Instances of a model dataclass with every field drawn (any text, including non-ASCII and
    control characters), not only the required ones."""
    hints = typing.get_type_hints(cls)
    drawn = {f.name: _values(hints[f.name]) for f in dataclasses.fields(cls)}
    if cls is Table:
        drawn["kind"] = st.sampled_from(TABLE_KINDS)
    return st.builds(cls, **drawn)


catalogs = _model(Catalog)


@settings(max_examples=60, deadline=None)
@given(catalogs, st.sampled_from([None, 0, 1, 2, 4]))
def test_json_is_what_json_dumps_printed_and_round_trips(catalog, indent):
    text = catalog.to_json(indent)
    # dataclasses.asdict is an independent walk of the same fields, in the same order
    expected = json.dumps(dataclasses.asdict(catalog), indent=indent or None, ensure_ascii=False)
    if indent:
        assert text == expected
    else:
        assert json.loads(text) == json.loads(expected)
        assert "\n" not in text
    assert Catalog.from_json(text) == catalog
    assert Catalog.from_dict(catalog.to_dict()) == catalog
    assert catalog.to_dict() == json.loads(expected)


def test_cached_properties_stay_out_of_the_json():
    index = Index("orders_pkey", (IndexKey("id", "id"),), unique=True, primary=True)
    table = Table("shop", "orders", columns=(Column("id", "bigint", nullable=False),), indexes=(index,))
    catalog = Catalog(tables=(table,))
    # computed and cached on the instances, as the rules do
    assert (table.qualified, index.columns, catalog.stored_tables) == ("shop.orders", ("id",), (table,))
    data = json.loads(catalog.to_json())
    assert list(data) == [f.name for f in dataclasses.fields(Catalog)]
    assert list(data["tables"][0]) == [f.name for f in dataclasses.fields(Table)]
    assert list(data["tables"][0]["indexes"][0]) == [f.name for f in dataclasses.fields(Index)]
    assert "qualified" not in data["tables"][0] and "stored_tables" not in data


def test_inspect_json_adds_only_the_index_columns_last():
    index = Index("orders_lower", (IndexKey("lower(email)"), IndexKey("id", "id", descending=True)))
    catalog = Catalog(tables=(Table("shop", "orders", indexes=(index,)),))
    data = json.loads(inspect_json_bytes(catalog, 2))
    keys = list(data["tables"][0]["indexes"][0])
    assert keys == [*(f.name for f in dataclasses.fields(Index)), "columns"]
    assert data["tables"][0]["indexes"][0]["columns"] == ["lower(email)", "id"]
    assert inspect_json(catalog) == data


def test_non_ascii_is_written_as_it_is():
    catalog = Catalog(tables=(Table("ventes", "commandes_é", comment="日本語 \u2028 \x01 \"q\""),))
    raw = json_codec.dumps(catalog)
    assert "commandes_é".encode() in raw and "日本語".encode() in raw
    assert b"\\u0001" in raw and b'\\"q\\"' in raw
    assert Catalog.from_json(raw) == catalog


def test_a_value_of_the_wrong_type_names_where_it_is():
    text = Catalog(tables=(Table("s", "t", columns=(Column("id", "bigint"),)),)).to_json()
    broken = text.replace('"nullable":true', '"nullable":"yes"')
    with pytest.raises(ValueError, match=r"\$\.tables\[0\]\.columns\[0\]\.nullable"):
        Catalog.from_json(broken)
    with pytest.raises(ValueError, match="unknown kind 'shed'"):
        Catalog.from_json(text.replace('"kind":"table"', '"kind":"shed"'))


def test_negative_indent_is_refused():
    with pytest.raises(ValueError, match="0 or more"):
        json_codec.dumps(Catalog(), -1)


@pytest.mark.parametrize("name", ["demo", "pagila-schema.sql", "lago-api-structure.sql"])
def test_round_trip_of_real_schemas(name):
    with schema_catalog(name) as catalog:
        assert catalog.tables, name
        assert Catalog.from_json(catalog.to_json()) == catalog
        assert Catalog.from_json(catalog.to_json(2)) == catalog
        expected = json.dumps(dataclasses.asdict(catalog), indent=2, ensure_ascii=False)
        assert catalog.to_json(2) == expected
