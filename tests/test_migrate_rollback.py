"""Rollbacks give back exactly what was there: a serial's own sequence (type, owner, position) and
the foreign keys partitions declared themselves when the fix adds one on their parent."""

from __future__ import annotations

from analyzers import families  # noqa: F401  (registers the rules)
from analyzers.engine import analyze
from studio.bundle.verify import model_differences, run_script
from studio.migrate.phases import render
from studio.migrate.plan import build_plan

SCHEMA = """
CREATE SEQUENCE customer_customer_id_seq AS integer;  -- owned by nothing, as pg_dump of pagila has it
CREATE TABLE customer (customer_id integer DEFAULT nextval('customer_customer_id_seq') PRIMARY KEY, name text NOT NULL);
INSERT INTO customer (name) SELECT 'customer ' || g FROM generate_series(1, 40) g;
CREATE TABLE "Order" (order_id serial PRIMARY KEY, customer_id integer NOT NULL REFERENCES customer);
CREATE INDEX ON "Order" (customer_id);
INSERT INTO "Order" (customer_id) SELECT 1 + g % 40 FROM generate_series(1, 25) g;
CREATE TABLE payment (payment_id bigint NOT NULL, customer_id integer NOT NULL, paid_on date NOT NULL, amount numeric,
    PRIMARY KEY (payment_id, paid_on)) PARTITION BY RANGE (paid_on);
CREATE TABLE payment_2024 PARTITION OF payment FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE payment_2025 PARTITION OF payment FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
ALTER TABLE payment_2024 ADD CONSTRAINT payment_2024_customer_fk FOREIGN KEY (customer_id) REFERENCES customer (customer_id);
ALTER TABLE payment_2025 ADD CONSTRAINT payment_2025_customer_fk FOREIGN KEY (customer_id) REFERENCES customer (customer_id);
CREATE INDEX ON payment (customer_id);
INSERT INTO payment SELECT g, 1 + g % 40, date '2024-06-01' + g, g FROM generate_series(1, 300) g;
ANALYZE;
"""


def _up_and_down(db, catalog, rules):
    report = analyze(catalog)
    plan = build_plan(catalog, report.findings, rules)
    assert plan.fixed, [(f.rule, f.table) for f in report.findings]
    scripts = render(plan)
    notices: list[str] = []
    for script in scripts:
        run_script(db.url, script.up, script.up_name, notices)
    migrated = db.catalog()
    for script in reversed(scripts):
        run_script(db.url, script.down, script.down_name, notices)
    return plan, migrated


def test_serial_to_identity_rolls_back_to_the_same_sequences(scratch_db):
    scratch_db.execute(SCHEMA)
    catalog = scratch_db.catalog()
    plan, migrated = _up_and_down(scratch_db, catalog, ("serial-instead-of-identity",))
    assert {"public.customer", "public.Order"} <= {k.split(":")[1] for k in plan.fixed}
    assert migrated.table("public.customer").column("customer_id").identity
    assert model_differences(catalog, scratch_db.catalog()) == []
    owners = dict(scratch_db.query("SELECT sequencename, data_type::text FROM pg_sequences WHERE schemaname = 'public'"))
    assert owners == {"customer_customer_id_seq": "integer", "Order_order_id_seq": "integer"}
    # the restored sequences continue after the rows: the next insert does not collide
    scratch_db.execute("INSERT INTO customer (name) VALUES ('after rollback'); INSERT INTO \"Order\" (customer_id) VALUES (1);")
    assert scratch_db.query("SELECT max(customer_id) FROM customer")[0][0] == 41


def test_foreign_key_on_partitioned_table_rolls_back_to_the_partitions_own_keys(scratch_db):
    scratch_db.execute(SCHEMA)
    catalog = scratch_db.catalog()
    plan, migrated = _up_and_down(scratch_db, catalog, ("implied-foreign-key",))
    assert any(k.startswith("implied-foreign-key:public.payment") for k in plan.fixed), plan.fixed
    assert any(fk.columns == ("customer_id",) for fk in migrated.table("public.payment").foreign_keys)
    assert model_differences(catalog, scratch_db.catalog()) == []
    names = {fk.name for fk in scratch_db.catalog().table("public.payment_2024").foreign_keys}
    assert names == {"payment_2024_customer_fk"}
