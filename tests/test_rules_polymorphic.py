"""polymorphic-association fires only when the `<x>_id` points at other tables' keys and `<x>_type` says which:
generated `<x>_type` / `<x>_id` pairs over the shapes real schemas have (own keys, MIME-like text types,
integer kinds, enums and CHECK lists naming tables or not, `<x>` that is itself a table), with rows."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzers.context import Context
from analyzers.families import all_rules
from studio.sources import embedded, postgres

TYPE_SHAPES = ["text", "integer", "enum naming tables", "enum naming nothing", "check naming tables", "check naming nothing"]
KEY_SHAPES = ["none", "primary key", "unique alone", "unique with type", "unique with another column"]


@st.composite
def pairs(draw):
    stem = draw(st.sampled_from(["owner", "subject", "room"]))  # `room` is a table of the schema
    return stem, draw(st.sampled_from(TYPE_SHAPES)), draw(st.sampled_from(KEY_SHAPES)), draw(st.booleans())


def _ddl(stem, type_shape, key_shape, id_is_text) -> str:
    id_type = "text" if id_is_text else "bigint"
    lines = ["CREATE TABLE g.posts (id bigint PRIMARY KEY);", "CREATE TABLE g.photos (id bigint PRIMARY KEY);",
             "CREATE TABLE g.rooms (id bigint PRIMARY KEY);"]
    type_sql = {
        "text": "text", "integer": "integer", "check naming tables": "text", "check naming nothing": "text",
        "enum naming tables": "g.target_kind", "enum naming nothing": "g.target_kind",
    }[type_shape]
    if type_shape.startswith("enum"):
        labels = "'Post', 'Photo'" if type_shape == "enum naming tables" else "'image/png', 'video/mp4'"
        lines.append(f"CREATE TYPE g.target_kind AS ENUM ({labels});")
    pk = "id bigint PRIMARY KEY, " if key_shape != "primary key" else ""
    lines.append(f"CREATE TABLE g.t ({pk}{stem}_type {type_sql} NOT NULL, {stem}_id {id_type} NOT NULL, note text);")
    if type_shape.startswith("check"):
        values = "'post', 'photo'" if type_shape == "check naming tables" else "'image/png', 'video/mp4'"
        lines.append(f"ALTER TABLE g.t ADD CHECK ({stem}_type IN ({values}));")
    lines.append({
        "none": "",
        "primary key": f"ALTER TABLE g.t ADD PRIMARY KEY ({stem}_id);",
        "unique alone": f"ALTER TABLE g.t ADD UNIQUE ({stem}_id);",
        "unique with type": f"ALTER TABLE g.t ADD UNIQUE ({stem}_type, {stem}_id);",
        "unique with another column": f"ALTER TABLE g.t ADD UNIQUE (note, {stem}_id);",
    }[key_shape])
    value = {"integer": "1", "enum naming tables": "'Post'", "enum naming nothing": "'image/png'",
             "check naming nothing": "'image/png'"}.get(type_shape, "'post'")
    lines.append(f"INSERT INTO g.t ({stem}_type, {stem}_id, note) VALUES ({value}, '1', 'a'), ({value}, '2', 'b');"
                 if key_shape == "primary key" else
                 f"INSERT INTO g.t (id, {stem}_type, {stem}_id, note) VALUES (1, {value}, '1', 'a'), (2, {value}, '2', 'b');")
    return "\n".join(lines)


def expected(stem, type_shape, key_shape, id_is_text) -> bool:
    own_key = key_shape in ("primary key", "unique alone", "unique with another column")
    names_tables = type_shape in ("text", "enum naming tables", "check naming tables")
    return not own_key and names_tables and stem != "room" and not id_is_text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=pairs())
def test_fires_only_on_references_into_the_tables_the_type_names(scratch_db, case):
    with embedded.connect(scratch_db.name) as conn:
        conn.execute("DROP SCHEMA IF EXISTS g CASCADE; CREATE SCHEMA g")
        conn.execute(_ddl(*case))
    catalog = postgres.introspect(scratch_db.url, schemas=["g"])
    found = [(h.table, h.columns) for h in all_rules()["polymorphic-association"].check(Context(catalog))]
    stem = case[0]
    assert found == ([("g.t", (f"{stem}_type", f"{stem}_id"))] if expected(*case) else []), (case, _ddl(*case))


def test_copy_kept_when_the_parent_is_deleted_is_info(catalog_of):
    catalog = catalog_of("""
        CREATE TABLE lists (id bigint PRIMARY KEY, name text NOT NULL);
        CREATE TABLE campaign_lists (id bigint PRIMARY KEY,
                                     list_id bigint REFERENCES lists ON DELETE SET NULL, list_name text NOT NULL);
        CREATE TABLE list_owners (id bigint PRIMARY KEY, list_id bigint REFERENCES lists ON DELETE CASCADE,
                                  list_name text);
    """)
    found = {h.table: h for h in all_rules()["denormalized-column"].check(Context(catalog))}
    assert sorted(found) == ["public.campaign_lists", "public.list_owners"]
    assert found["public.campaign_lists"].severity == "info"
    assert "set to NULL" in found["public.campaign_lists"].explanation
    assert found["public.list_owners"].severity is None
