"""The workspace store on the embedded PostgreSQL: migrations, versions, restore, conflicts, merge."""

from __future__ import annotations

import psycopg
import pytest

from studio.catalog import Catalog
from studio.workshop.workspace import Conflict, Store, WorkspaceNotFound, diff, rebase
from studio.workshop.workspace.store import migrations


@pytest.fixture(scope="module")
def store():
    from studio.sources import embedded

    with embedded.scratch_database("test") as name:
        yield Store(embedded.admin_url(name))


@pytest.fixture
def workspace(store):
    ws = store.create("Review", source_kind="demo", source_label="demo", catalog_json=Catalog().to_json(), author="Ada")
    yield ws
    store.delete(ws.id)


def note(text: str, decision: str | None = None) -> dict:
    return {"title": f"item {text}", "notes": text, "decision": decision}


def test_migrations_are_recorded_once(store):
    store.migrate()
    with psycopg.connect(store.url) as conn:
        rows = conn.execute("SELECT version, name FROM store_schema_version ORDER BY version").fetchall()
    assert [r[0] for r in rows] == [n for n, _, _ in migrations()]
    assert Store(store.url).migrate() == []  # a second process finds nothing to apply


def test_every_change_is_a_version_with_author_and_summary(store, workspace):
    saved = store.save(workspace.id, 1, {"items": {"a": note("first")}}, "  Ada  Lovelace ", "noted a")
    assert saved.stored and saved.workspace.head == 2
    saved = store.save(workspace.id, 2, {"items": {"b": note("second", "accept")}}, "Bob", "decided b")
    history = store.history(workspace.id)
    assert [(v.version, v.author, v.summary) for v in history] == [
        (3, "Bob", "decided b"), (2, "Ada Lovelace", "noted a"), (1, "Ada", "created")
    ]
    assert store.get(workspace.id, 2).items == {"a": note("first")}
    assert store.get(workspace.id).participants == ("Ada", "Ada Lovelace", "Bob")


def test_a_change_that_changes_nothing_stores_no_version(store, workspace):
    store.save(workspace.id, 1, {"items": {"a": note("x")}}, "Ada", "noted")
    again = store.save(workspace.id, 2, {"items": {"a": note("x")}}, "Ada", "noted again")
    assert not again.stored and again.workspace.head == 2


def test_restore_adds_a_version_with_the_old_content(store, workspace):
    store.save(workspace.id, 1, {"items": {"a": note("draft")}}, "Ada", "draft")
    store.save(workspace.id, 2, {"items": {"a": note("final")}, "decisions": "[keys]\nstrategy = \"uuidv7\"\n"},
               "Bob", "final")
    restored = store.restore(workspace.id, 2, base_version=3, author="Ada")
    assert restored.head == 4 and restored.items["a"]["notes"] == "draft" and restored.decisions_toml == ""
    assert store.history(workspace.id)[0].restored_from == 2
    assert store.get(workspace.id, 3).items["a"]["notes"] == "final"  # history kept


def test_save_on_a_stale_version_is_a_conflict_and_stores_nothing(store, workspace):
    store.save(workspace.id, 1, {"items": {"a": note("mine")}}, "Ada", "a")
    with pytest.raises(Conflict) as caught:
        store.save(workspace.id, 1, {"items": {"b": note("theirs")}}, "Bob", "b")
    assert caught.value.head == 2 and caught.value.base == 1
    assert store.get(workspace.id).items == {"a": note("mine")}
    with pytest.raises(Conflict):
        store.restore(workspace.id, 1, base_version=1, author="Bob")


def test_merge_of_different_items_is_clean_and_the_same_item_is_a_choice(store, workspace):
    base = store.get(workspace.id)
    theirs = store.save(workspace.id, 1, {"items": {"a": note("theirs a")}}, "Ada", "a").workspace
    clean = rebase(base.content, {"items": {"b": note("mine b")}}, theirs.content)
    assert clean.conflicts == ()
    assert clean.merged["items"] == {"a": note("theirs a"), "b": note("mine b")}

    clash = rebase(base.content, {"items": {"a": note("mine a")}}, theirs.content)
    assert clash.conflicts == ("item:a",)
    assert clash.settle({"item:a": "mine"})["items"]["a"] == note("mine a")
    assert clash.settle({"item:a": "theirs"})["items"]["a"] == note("theirs a")


def test_diff_reads_as_what_changed(store, workspace):
    store.save(workspace.id, 1, {"items": {"a": note("before")}}, "Ada", "a")
    store.save(workspace.id, 2, {"items": {"a": note("after", "reject")}, "decisions": "[keys]\nstrategy = \"uuidv7\"\n"},
               "Bob", "b")
    text = diff(store.get(workspace.id, 2).content, store.get(workspace.id, 3).content, "v2", "v3")
    assert "~ item item after:" in text
    assert "notes: 'before' -> 'after'" in text
    assert "decision: '' -> 'reject'" in text
    assert '+strategy = "uuidv7"' in text


def test_unknown_workspace_and_version_name_the_input(store, workspace):
    with pytest.raises(WorkspaceNotFound, match="nope"):
        store.get("nope")
    with pytest.raises(WorkspaceNotFound, match="no version 9"):
        store.get(workspace.id, 9)


def test_passwords_are_never_stored(store):
    secret = "s3cr3t-Pa55"
    ws = store.create(
        "Live", source_kind="dsn", source_label=f"postgresql://app:{secret}@db.example.com:5432/fleet?sslmode=require",
        catalog_json=Catalog(source="db.example.com").to_json(), author="Ada",
    )
    keyword = store.create(
        "Live kv", source_kind="dsn", source_label=f"host=db.example.com user=app password={secret} dbname=fleet",
        catalog_json=Catalog().to_json(), author="Ada",
    )
    try:
        assert ws.source_label == "postgresql://app:***@db.example.com:5432/fleet?sslmode=require"
        assert keyword.source_label == "postgresql://app:***@db.example.com/fleet"
        with psycopg.connect(store.url) as conn:
            dump = conn.execute(
                "SELECT string_agg(t::text, ' ') FROM (SELECT * FROM workspace) t"
            ).fetchone()[0] + conn.execute(
                "SELECT string_agg(v::text, ' ') FROM (SELECT * FROM workspace_version) v"
            ).fetchone()[0]
        assert "db.example.com" in dump  # the dump really holds the source reference
        assert secret not in dump
    finally:
        store.delete(ws.id)
        store.delete(keyword.id)


def test_the_default_store_is_a_dedicated_embedded_database(monkeypatch):
    from studio.workshop.workspace.store import EMBEDDED_DATABASE, STORE_URL_ENV, default_url

    monkeypatch.delenv(STORE_URL_ENV, raising=False)
    assert EMBEDDED_DATABASE in default_url()
    monkeypatch.setenv(STORE_URL_ENV, "postgresql://store@shared.example.com/studio")
    assert default_url() == "postgresql://store@shared.example.com/studio"


def test_a_workspace_on_a_ddl_file_keeps_the_file_itself(store, tmp_path):
    from studio.sources import open_source

    ddl = "CREATE TABLE \"Shop\" (id bigint PRIMARY KEY, name text NOT NULL);\n"
    path = tmp_path / "shop.sql"
    path.write_text(ddl, encoding="utf-8")
    with open_source(ddl=path) as source:
        ws = store.create(
            "On a file",
            source_kind=source.kind,
            source_label=source.label,
            source_ddl=source.ddl_text,
            catalog_json=source.catalog.to_json(),
            author="Ada",
        )
    try:
        kept = store.get(ws.id)
        assert kept.source_ddl == ddl
        assert Catalog.from_json(kept.catalog_json).table("public.Shop") is not None
    finally:
        store.delete(ws.id)
