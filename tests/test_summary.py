"""studio.summary: counts, the table list, plain text and the inspect JSON."""

from __future__ import annotations

import json

from studio.catalog import (
    Catalog,
    Column,
    ForeignKey,
    Index,
    IndexKey,
    Note,
    Partitioning,
    Policy,
    PrimaryKey,
    Schema,
    Table,
)
from studio.summary import (
    catalog_text,
    inspect_json,
    note_counts,
    schema_counts,
    totals,
)
from studio.ui.frames import schema_frame, table_frame
from studio.units import human_bytes

HOSTILE = 'Ünïcode <b>&amp; "quoted"'


def _catalog() -> Catalog:
    orgs = Table(
        schema="app",
        name="orgs",
        columns=(Column("id", "bigint", nullable=False, identity="always"), Column("name", "text")),
        primary_key=PrimaryKey("orgs_pkey", ("id",)),
        indexes=(Index("orgs_pkey", (IndexKey("id", "id"),), unique=True, primary=True),),
        row_estimate=10,
        total_bytes=16384,
        comment="tenants",
    )
    users = Table(
        schema="app",
        name=HOSTILE,
        columns=(
            Column("org_id", "bigint", nullable=False),
            Column("email", "text", nullable=False),
            Column("created_at", "timestamp with time zone", default="now()"),
        ),
        primary_key=PrimaryKey("users_pkey", ("org_id", "email")),
        foreign_keys=(ForeignKey("users_org_fk", ("org_id",), "app.orgs", ("id",), on_delete="CASCADE"),),
        indexes=(
            Index("users_pkey", (IndexKey("org_id", "org_id"), IndexKey("email", "email")), unique=True, primary=True),
            Index("users_lower_email", (IndexKey("lower(email)"),), unique=True),
        ),
        rls_enabled=True,
        policies=(Policy("tenant", using="(org_id = current_setting('app.org')::bigint)"),),
        row_estimate=None,
        total_bytes=8192,
    )
    events = Table(
        schema="audit",
        name="events",
        kind="partitioned_table",
        columns=(Column("at", "date", nullable=False),),
        partitioning=Partitioning("range", "RANGE (at)", ("at",)),
        row_estimate=300,
        total_bytes=3000,
    )
    parts = tuple(
        Table(
            schema="audit",
            name=f"events_{i}",
            kind="partition",
            columns=(Column("at", "date", nullable=False),),
            partition_of="audit.events",
            partition_bound=f"FOR VALUES FROM ('202{i}-01-01') TO ('202{i + 1}-01-01')",
            row_estimate=100,
            total_bytes=1000,
        )
        for i in range(3)
    )
    view = Table(schema="app", name="active_orgs", kind="view", columns=(Column("id", "bigint"),))
    return Catalog(
        tables=(orgs, users, view, events, *parts),
        schemas=(Schema("app"), Schema("audit"), Schema("empty")),
        notes=(
            Note("warning", "extension postgis is not available: skipped", "postgis", line=3),
            Note("info", "ownership statements ignored", line=None),
            Note("warning", "function body not checked", "app.f()", line=40),
        ),
        source="unit.sql",
        database="studio_ddl_x",
        server_version="16.4",
    )


def test_schema_counts_count_each_schema_and_partitions_once():
    counts = {c.schema: c for c in schema_counts(_catalog())}
    assert list(counts) == ["app", "audit", "empty"]
    app, audit, empty = counts["app"], counts["audit"], counts["empty"]
    assert (app.tables, app.columns, app.foreign_keys, app.indexes) == (3, 6, 1, 3)
    assert app.row_estimate == 10  # the never-analyzed table adds nothing, the view has no rows
    assert app.total_bytes == 16384 + 8192
    # the partitioned parent already holds its partitions' totals
    assert (audit.tables, audit.row_estimate, audit.total_bytes) == (4, 300, 3000)
    assert (empty.tables, empty.row_estimate, empty.total_bytes) == (0, None, None)
    total = totals(_catalog())
    assert (total.schema, total.tables, total.foreign_keys, total.total_bytes) == ("3", 7, 1, 27576)


def test_table_frame_keeps_numbers_sortable_and_names_verbatim():
    frame = table_frame(_catalog())
    assert list(frame.columns) == [
        "schema", "table", "kind", "columns", "foreign keys", "indexes", "est. rows", "size", "RLS", "comment"
    ]
    assert len(frame) == 7
    hostile = frame[frame["table"] == HOSTILE].iloc[0]
    assert hostile["RLS"] == "on, 1 policy"
    assert hostile["foreign keys"] == 1
    assert frame["size"].dtype.name == "Int64"
    assert frame.sort_values("size", ascending=False).iloc[0]["table"] == "orgs"
    view = frame[frame["table"] == "active_orgs"].iloc[0]
    assert view["kind"] == "view" and view["est. rows"] is __import__("pandas").NA
    assert list(schema_frame(_catalog())["tables"]) == [3, 4, 0]


def test_human_bytes_and_note_counts():
    assert [human_bytes(n) for n in (None, 0, 1023, 1024, 5 * 1024**3, 3 * 1024**5)] == [
        "?", "0 bytes", "1,023 bytes", "1.0 kB", "5.0 GB", "3,072.0 TB"
    ]
    assert note_counts(_catalog().notes) == {"warning": 2, "info": 1}
    assert list(note_counts([Note("info", "a"), Note("warning", "b")])) == ["warning", "info"]


def test_catalog_text_names_every_object_and_note():
    text = catalog_text(_catalog())
    assert text.startswith("Catalog: unit.sql, database studio_ddl_x, PostgreSQL 16.4\n")
    assert "3 schemas, 7 tables, 10 columns, 1 foreign keys, 3 indexes" in text
    assert f"app.{HOSTILE}  (table, 8.0 kB, RLS)" in text
    assert "FK users_org_fk (org_id) -> app.orgs (id) ON DELETE CASCADE" in text
    assert "primary key users_pkey (org_id, email)" in text
    assert "index users_lower_email (lower(email)) [UNIQUE]" in text
    assert "policy tenant ALL to public USING (org_id" in text
    assert "partition of audit.events FOR VALUES FROM ('2020-01-01')" in text
    assert "schema empty: 0 tables" in text
    assert "notes (2 warning, 1 info):" in text
    assert "  warning: line 3, postgis: extension postgis is not available: skipped" in text


def test_inspect_json_adds_index_columns_and_round_trips():
    data = inspect_json(_catalog())
    users = next(t for t in data["tables"] if t["name"] == HOSTILE)
    assert [i["columns"] for i in users["indexes"]] == [["org_id", "email"], ["lower(email)"]]
    assert users["foreign_keys"][0]["ref_table"] == "app.orgs"
    # the extra key is the only difference from the model's own JSON
    for table in data["tables"]:
        for index in table["indexes"]:
            del index["columns"]
    assert Catalog.from_json(json.dumps(data)) == _catalog()


def test_summary_of_an_introspected_schema(catalog_of):
    catalog = catalog_of(
        """
        CREATE SCHEMA "Sales";
        CREATE TABLE "Sales"."Customer" (id bigint PRIMARY KEY, email text UNIQUE);
        CREATE TABLE "Sales".order_line (
            order_id bigint, line int, customer_id bigint REFERENCES "Sales"."Customer"(id),
            PRIMARY KEY (order_id, line));
        CREATE INDEX ON "Sales".order_line (customer_id);
        INSERT INTO "Sales"."Customer" SELECT g, 'c' || g FROM generate_series(1, 50) g;
        INSERT INTO "Sales".order_line SELECT g, 1, 1 + g % 50 FROM generate_series(1, 200) g;
        ANALYZE "Sales"."Customer", "Sales".order_line;
        """
    )
    counts = {c.schema: c for c in schema_counts(catalog)}
    sales = counts["Sales"]
    assert (sales.tables, sales.columns, sales.foreign_keys, sales.indexes) == (2, 5, 1, 4)
    assert sales.row_estimate == 250
    assert sales.total_bytes and sales.total_bytes > 0
    text = catalog_text(catalog)
    assert "FK order_line_customer_id_fkey (customer_id) -> Sales.Customer (id)" in text
    data = inspect_json(catalog)
    line = next(t for t in data["tables"] if t["name"] == "order_line")
    assert sorted(i["columns"] for i in line["indexes"]) == [["customer_id"], ["order_id", "line"]]
