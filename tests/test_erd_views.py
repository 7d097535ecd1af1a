"""Saved ERD views: kept in the workspace store (PostgreSQL), merged per view, on the agenda, in the bundle."""

from __future__ import annotations

import json

import pytest

from studio.erd import build
from studio.workshop.agenda import effective_decisions
from studio.workshop.views import SavedView, saved_views, view_items, views_json
from studio.workshop.workspace import Store, rebase
from studio.workshop.workspace.model import changes_between

SCHEMA = """
CREATE TABLE tenants (id bigint PRIMARY KEY, name text);
CREATE TABLE "Order Lines" (id bigint PRIMARY KEY, tenant_id bigint REFERENCES tenants (id), "order_id" bigint);
CREATE TABLE orders (id bigint PRIMARY KEY, tenant_id bigint REFERENCES tenants (id));
CREATE TABLE audit (id bigint PRIMARY KEY, payload jsonb);
"""


@pytest.fixture(scope="module")
def store():
    from studio.sources import embedded

    with embedded.scratch_database("views") as name:
        yield Store(embedded.admin_url(name))


@pytest.fixture
def workspace(store, catalog_of):
    catalog = catalog_of(SCHEMA)
    ws = store.create("Views", source_kind="demo", source_label="demo", catalog_json=catalog.to_json(), author="Ada")
    yield ws
    store.delete(ws.id)


def test_a_saved_view_comes_back_from_the_store_with_its_tables_and_options(store, workspace):
    view = SavedView("Billing  core", ("public.orders", "public.Order Lines"), columns="all", depth=2,
                     cluster="domain")
    store.save(workspace.id, workspace.head, {"items": {view.key: view.record("Ada")}}, "Ada", "view")
    reopened = saved_views(store.get(workspace.id).items)
    assert reopened == [SavedView("Billing core", ("public.orders", "public.Order Lines"), "all", 2, "domain")]
    assert reopened[0].link(workspace.id) == f"erd?ws={workspace.id}&view=Billing+core"
    diagram = build(store.get(workspace.id).catalog(), reopened[0].options())
    assert sorted(t.qualified for t in diagram.tables) == ["public.Order Lines", "public.orders"]


def test_one_table_view_focuses_with_its_depth(store, workspace):
    view = SavedView("tenants", ("public.tenants",), depth=1)
    options = view.options()
    assert (options.focus, options.depth, options.tables) == ("public.tenants", 1, ())
    drawn = sorted(t.qualified for t in build(workspace.catalog(), options).tables)
    assert drawn == ["public.Order Lines", "public.orders", "public.tenants"]


def test_two_people_saving_two_views_merge_cleanly(store, workspace):
    first = SavedView("orders", ("public.orders",))
    second = SavedView("audit", ("public.audit",))
    store.save(workspace.id, workspace.head, {"items": {first.key: first.record("Ada")}}, "Ada", "one")
    theirs = store.get(workspace.id)
    merged = rebase(workspace.content, {"items": {second.key: second.record("Bo")}}, theirs.content)
    assert merged.conflicts == ()
    store.save(workspace.id, theirs.head, changes_between(theirs.content, merged.merged), "Bo", "two")
    assert [v.name for v in saved_views(store.get(workspace.id).items)] == ["audit", "orders"]


def test_views_are_agenda_items_and_leave_the_decisions_alone(store, workspace):
    view = SavedView("tenancy", ("public.tenants", "public.orders"))
    items = {view.key: view.record("Ada")}
    agenda = view_items(items)
    assert [(i.key, i.kind, i.title) for i in agenda] == [("view:tenancy", "view", "tenancy")]
    assert "public.tenants, public.orders" in agenda[0].context
    decisions = workspace.decisions()
    assert effective_decisions(decisions, items) == decisions
    assert json.loads(views_json(items)) == {"views": [
        {"name": "tenancy", "tables": ["public.tenants", "public.orders"], "columns": "keys", "depth": 1,
         "cluster": "schema"}]}


@pytest.mark.parametrize("name,tables", [("", ("public.orders",)), ("x" * 81, ("public.orders",)), ("ok", ())])
def test_a_bad_view_names_what_to_give(name, tables):
    with pytest.raises(ValueError, match="saved view"):
        SavedView(name, tables)


def test_a_bad_option_is_refused():
    with pytest.raises(ValueError, match="columns"):
        SavedView("v", ("public.orders",), columns="some")
