-- Schema Studio demo: a multi-tenant repair and diagnostics SaaS.
--
-- Tenants (repair businesses) run shops, keep customers and their equipment, open work
-- orders, run diagnostic sessions that record sensor readings and trouble codes, and bill
-- their customers. The vendor keeps a global equipment and repair catalog built partly from
-- scraped manufacturer documents, and bills tenants for subscriptions and API use.
--
-- Every anti-pattern in this schema is deliberate and listed in answer_key.toml, with the
-- exact table and columns. Everything else is meant to be clean: composite tenant keys,
-- identity keys, timestamptz, numeric money, indexed foreign keys, checked status columns,
-- forced row level security with a tenant policy on every tenant table.
--
-- Load order: schema.sql, data.sql, security.sql (RLS and the NOT VALID foreign key come
-- after the rows, so a table owner can load the rows before FORCE ROW LEVEL SECURITY).

CREATE SCHEMA catalog;
CREATE SCHEMA billing;
CREATE SCHEMA scraping;

COMMENT ON SCHEMA catalog IS 'Global equipment, trouble code, repair procedure and parts reference data';
COMMENT ON SCHEMA billing IS 'Customer invoices, payments, and the vendor''s subscriptions and API metering';
COMMENT ON SCHEMA scraping IS 'Manufacturer documents scraped to build the repair procedure library';

-- ---------------------------------------------------------------------------------------
-- catalog: global reference data (no tenant column)
-- ---------------------------------------------------------------------------------------

CREATE TABLE catalog.equipment_types (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    parent_id bigint REFERENCES catalog.equipment_types (id),
    code text NOT NULL UNIQUE,
    name text NOT NULL
);
CREATE INDEX equipment_types_parent_idx ON catalog.equipment_types (parent_id);

CREATE TABLE catalog.manufacturers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code text NOT NULL UNIQUE,
    name text NOT NULL,
    country_code char(2) NOT NULL,
    duns_number text UNIQUE
);

CREATE TABLE catalog.equipment_models (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    manufacturer_id bigint NOT NULL REFERENCES catalog.manufacturers (id),
    equipment_type_id bigint NOT NULL REFERENCES catalog.equipment_types (id),
    designation text NOT NULL,
    name text NOT NULL,
    introduced_on date NOT NULL,
    UNIQUE (manufacturer_id, designation)
);
CREATE INDEX equipment_models_type_idx ON catalog.equipment_models (equipment_type_id);

CREATE TABLE catalog.dtc_definitions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    manufacturer_id bigint REFERENCES catalog.manufacturers (id),
    trouble_code text NOT NULL,
    description text NOT NULL,
    severity text NOT NULL CHECK (severity IN ('info', 'minor', 'major', 'critical')),
    CONSTRAINT dtc_definitions_code_key UNIQUE NULLS NOT DISTINCT (manufacturer_id, trouble_code)
);

CREATE TABLE catalog.repair_procedures (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug text NOT NULL UNIQUE,
    title varchar(200) NOT NULL,
    equipment_type_id bigint NOT NULL REFERENCES catalog.equipment_types (id),
    created_at timestamptz NOT NULL
);
CREATE INDEX repair_procedures_type_idx ON catalog.repair_procedures (equipment_type_id);

CREATE TABLE catalog.parts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku text NOT NULL UNIQUE,
    ean text,
    manufacturer_id bigint NOT NULL REFERENCES catalog.manufacturers (id),
    name text NOT NULL,
    weight_kg double precision NOT NULL
);
CREATE UNIQUE INDEX parts_ean_key ON catalog.parts (ean) WHERE ean IS NOT NULL;
CREATE INDEX parts_manufacturer_idx ON catalog.parts (manufacturer_id);

CREATE TABLE catalog.part_prices (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    part_id integer NOT NULL REFERENCES catalog.parts (id),
    country_code char(2) NOT NULL,
    currency char(3) NOT NULL,
    price numeric(12, 2) NOT NULL CHECK (price >= 0),
    valid_from date NOT NULL,
    valid_to date,
    UNIQUE (part_id, country_code, valid_from)
);

CREATE TABLE catalog.procedure_trouble_codes (
    repair_procedure_id bigint NOT NULL REFERENCES catalog.repair_procedures (id),
    dtc_definition_id bigint NOT NULL REFERENCES catalog.dtc_definitions (id),
    PRIMARY KEY (repair_procedure_id, dtc_definition_id)
);
CREATE INDEX procedure_trouble_codes_dtc_idx ON catalog.procedure_trouble_codes (dtc_definition_id);

-- ---------------------------------------------------------------------------------------
-- scraping: global, feeds the repair procedure library
-- ---------------------------------------------------------------------------------------

CREATE TABLE scraping.sources (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug text NOT NULL UNIQUE,
    base_url text NOT NULL,
    manufacturer_id bigint REFERENCES catalog.manufacturers (id),
    crawl_interval interval NOT NULL,
    is_active boolean NOT NULL
);
CREATE INDEX sources_manufacturer_idx ON scraping.sources (manufacturer_id);

CREATE TABLE scraping.crawl_runs (
    id bigserial PRIMARY KEY,
    source_id bigint NOT NULL REFERENCES scraping.sources (id),
    started_at timestamptz NOT NULL,
    finished_at timestamptz,
    state text NOT NULL CHECK (state IN ('running', 'succeeded', 'failed')),
    stats json
);
CREATE INDEX crawl_runs_source_idx ON scraping.crawl_runs (source_id);

CREATE TABLE scraping.documents (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    source_id bigint NOT NULL REFERENCES scraping.sources (id),
    crawl_run_id bigint NOT NULL REFERENCES scraping.crawl_runs (id),
    url text NOT NULL,
    fetched_at timestamptz NOT NULL,
    http_status smallint NOT NULL CHECK (http_status BETWEEN 100 AND 599),
    content_sha256 bytea NOT NULL,
    language text NOT NULL,
    body text NOT NULL,
    UNIQUE (source_id, url)
);
CREATE INDEX documents_crawl_run_idx ON scraping.documents (crawl_run_id);

-- Classic inheritance: keys, foreign keys and indexes are not inherited, so they are repeated.
CREATE TABLE scraping.pdf_documents (
    page_count integer NOT NULL,
    ocr_applied boolean NOT NULL
) INHERITS (scraping.documents);
ALTER TABLE scraping.pdf_documents
    ADD PRIMARY KEY (id),
    ADD UNIQUE (source_id, url),
    ADD FOREIGN KEY (source_id) REFERENCES scraping.sources (id),
    ADD FOREIGN KEY (crawl_run_id) REFERENCES scraping.crawl_runs (id);
CREATE INDEX pdf_documents_crawl_run_idx ON scraping.pdf_documents (crawl_run_id);

CREATE TABLE scraping.quality_scores (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id bigint NOT NULL REFERENCES scraping.documents (id),
    scorer text NOT NULL CHECK (scorer IN ('heuristic', 'model', 'reviewer')),
    score numeric(4, 3) NOT NULL CHECK (score BETWEEN 0 AND 1),
    scored_at timestamptz NOT NULL,
    notes text,
    UNIQUE (document_id, scorer)
);

CREATE TABLE scraping.crawl_log (
    crawl_run_id bigint NOT NULL REFERENCES scraping.crawl_runs (id),
    logged_at timestamptz NOT NULL,
    level text NOT NULL CHECK (level IN ('debug', 'info', 'warning', 'error')),
    message text NOT NULL
);
CREATE INDEX crawl_log_run_idx ON scraping.crawl_log (crawl_run_id, logged_at);

-- Versioned repair procedures, optionally traced to the scraped document they came from.
CREATE TABLE catalog.repair_procedure_versions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    repair_procedure_id bigint NOT NULL REFERENCES catalog.repair_procedures (id),
    revision integer NOT NULL CHECK (revision > 0),
    source_document_id bigint REFERENCES scraping.documents (id),
    summary text NOT NULL,
    published_at timestamptz,
    UNIQUE (repair_procedure_id, revision)
);
CREATE INDEX repair_procedure_versions_document_idx ON catalog.repair_procedure_versions (source_document_id);

CREATE TABLE catalog.repair_steps (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    repair_procedure_version_id bigint NOT NULL REFERENCES catalog.repair_procedure_versions (id),
    ordinal integer NOT NULL CHECK (ordinal > 0),
    instruction text NOT NULL,
    torque_nm numeric(6, 1),
    estimated_minutes integer NOT NULL,
    UNIQUE (repair_procedure_version_id, ordinal)
);

-- ---------------------------------------------------------------------------------------
-- public: tenants and their operational data
-- ---------------------------------------------------------------------------------------

CREATE TABLE public.tenants (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug text NOT NULL UNIQUE,
    name text NOT NULL,
    created_at timestamptz NOT NULL
);

-- Every tenant table: PRIMARY KEY (tenant_id, id), so other tenant tables reference it with
-- a composite key that includes the tenant, and deleting a tenant cascades to its rows.

CREATE TABLE public.shops (
    tenant_id bigint NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    id bigint GENERATED ALWAYS AS IDENTITY,
    code text NOT NULL,
    name text NOT NULL,
    address_line1 text NOT NULL,
    address_line2 text,
    city text NOT NULL,
    country_code char(2) NOT NULL,
    opens_at time NOT NULL,
    closes_at time NOT NULL,
    manager_id bigint,
    created_at timestamptz NOT NULL,
    deleted_at timestamptz,
    PRIMARY KEY (tenant_id, id)
);
-- A closed shop's code may be reused by a new shop.
CREATE UNIQUE INDEX shops_live_code_key ON public.shops (tenant_id, code) WHERE deleted_at IS NULL;
CREATE INDEX shops_manager_idx ON public.shops (tenant_id, manager_id);

CREATE TABLE public.users (
    tenant_id bigint NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    id bigint GENERATED ALWAYS AS IDENTITY,
    email text NOT NULL,
    display_name text NOT NULL,
    role text NOT NULL CHECK (role IN ('owner', 'manager', 'technician', 'clerk')),
    shop_id bigint,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT users_email_key UNIQUE (email)
);
CREATE INDEX users_shop_idx ON public.users (tenant_id, shop_id);

-- The shop <-> manager cycle, added afterwards as pg_dump would.
ALTER TABLE public.users
    ADD CONSTRAINT users_shop_fkey FOREIGN KEY (tenant_id, shop_id) REFERENCES public.shops (tenant_id, id);
ALTER TABLE public.shops
    ADD CONSTRAINT shops_manager_fkey FOREIGN KEY (tenant_id, manager_id) REFERENCES public.users (tenant_id, id);

CREATE TABLE public.customers (
    tenant_id bigint NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    id bigint GENERATED ALWAYS AS IDENTITY,
    customer_number text NOT NULL,
    name text NOT NULL,
    email text,
    phone1 text NOT NULL,
    phone2 text,
    phone3 text,
    created_at timestamptz NOT NULL,
    deleted_at timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, customer_number)
);

CREATE TABLE public.equipment_units (
    tenant_id bigint NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    id bigint GENERATED ALWAYS AS IDENTITY,
    customer_id bigint NOT NULL,
    equipment_model_id bigint NOT NULL REFERENCES catalog.equipment_models (id),
    serial_number text NOT NULL,
    vin text,
    commissioned_on date NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT equipment_units_serial_number_key UNIQUE (tenant_id, equipment_model_id, serial_number),
    CONSTRAINT equipment_units_customer_fkey
        FOREIGN KEY (tenant_id, customer_id) REFERENCES public.customers (tenant_id, id),
    CONSTRAINT equipment_units_owner_fkey
        FOREIGN KEY (tenant_id, customer_id) REFERENCES public.customers (tenant_id, id)
);
CREATE UNIQUE INDEX equipment_units_vin_key ON public.equipment_units (tenant_id, vin) WHERE vin IS NOT NULL;
CREATE INDEX equipment_units_customer_idx ON public.equipment_units (tenant_id, customer_id);
CREATE INDEX equipment_units_model_idx ON public.equipment_units (equipment_model_id);

-- Tenant-defined custom fields for equipment.
CREATE TABLE public.equipment_unit_attributes (
    tenant_id bigint NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    id bigint GENERATED ALWAYS AS IDENTITY,
    equipment_unit_id bigint NOT NULL,
    attribute_name text NOT NULL,
    value text NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT equipment_unit_attributes_name_key UNIQUE (tenant_id, equipment_unit_id, attribute_name),
    FOREIGN KEY (tenant_id, equipment_unit_id) REFERENCES public.equipment_units (tenant_id, id)
);

CREATE TABLE public.work_orders (
    tenant_id bigint NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    id bigint GENERATED ALWAYS AS IDENTITY,
    shop_id bigint NOT NULL,
    customer_id bigint NOT NULL,
    equipment_unit_id bigint NOT NULL,
    order_number text NOT NULL,
    status text NOT NULL CHECK (status IN ('open', 'in_progress', 'waiting_parts', 'done', 'cancelled')),
    customer_name text NOT NULL,
    "ServiceNotes" text,
    opened_at timestamptz NOT NULL,
    closed_at timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, order_number),
    CONSTRAINT work_orders_id_key UNIQUE (id),
    FOREIGN KEY (tenant_id, shop_id) REFERENCES public.shops (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES public.customers (tenant_id, id),
    FOREIGN KEY (tenant_id, equipment_unit_id) REFERENCES public.equipment_units (tenant_id, id)
);
CREATE INDEX work_orders_shop_idx ON public.work_orders (tenant_id, shop_id);
CREATE INDEX work_orders_customer_idx ON public.work_orders (tenant_id, customer_id);
CREATE INDEX work_orders_equipment_unit_idx ON public.work_orders (tenant_id, equipment_unit_id);
CREATE INDEX work_orders_status_idx ON public.work_orders (tenant_id, status);
CREATE INDEX idx_work_orders_status ON public.work_orders (tenant_id, status);

CREATE TABLE public.work_order_lines (
    tenant_id bigint NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    id bigint GENERATED ALWAYS AS IDENTITY,
    work_order_id bigint NOT NULL,
    sort_order integer NOT NULL,
    part_id bigint REFERENCES catalog.parts (id),
    description text NOT NULL,
    quantity numeric(10, 2) NOT NULL CHECK (quantity > 0),
    unit_price numeric(12, 2) NOT NULL CHECK (unit_price >= 0),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, work_order_id, sort_order),
    FOREIGN KEY (tenant_id, work_order_id) REFERENCES public.work_orders (tenant_id, id)
);

-- Added by an older photo service that references work orders by id alone.
CREATE TABLE public.work_order_photos (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    work_order_id bigint NOT NULL REFERENCES public.work_orders (id),
    storage_path text NOT NULL,
    taken_at timestamptz NOT NULL
);
CREATE INDEX work_order_photos_work_order_idx ON public.work_order_photos (work_order_id);

CREATE TABLE public.diagnostic_sessions (
    tenant_id bigint NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    id bigint GENERATED ALWAYS AS IDENTITY,
    equipment_unit_id bigint NOT NULL,
    work_order_id bigint REFERENCES public.work_orders (id),
    technician_id bigint NOT NULL,
    status text NOT NULL,
    started_at timestamptz NOT NULL,
    ended_at timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, equipment_unit_id) REFERENCES public.equipment_units (tenant_id, id),
    FOREIGN KEY (tenant_id, technician_id) REFERENCES public.users (tenant_id, id)
);
CREATE INDEX diagnostic_sessions_equipment_unit_idx ON public.diagnostic_sessions (tenant_id, equipment_unit_id);
CREATE INDEX diagnostic_sessions_work_order_idx ON public.diagnostic_sessions (work_order_id);
CREATE INDEX diagnostic_sessions_technician_idx ON public.diagnostic_sessions (tenant_id, technician_id);

-- A measurement table: typed values with their unit, not an attribute/value store.
CREATE TABLE public.sensor_readings (
    tenant_id bigint NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    id bigint GENERATED ALWAYS AS IDENTITY,
    diagnostic_session_id bigint NOT NULL,
    sensor_code text NOT NULL,
    value numeric NOT NULL,
    unit text NOT NULL,
    recorded_at timestamp NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, diagnostic_session_id) REFERENCES public.diagnostic_sessions (tenant_id, id)
);
CREATE INDEX sensor_readings_session_idx ON public.sensor_readings (tenant_id, diagnostic_session_id);
CREATE INDEX sensor_readings_session_time_idx
    ON public.sensor_readings (tenant_id, diagnostic_session_id, recorded_at);

CREATE TABLE public.dtc_occurrences (
    tenant_id bigint NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    id bigint GENERATED ALWAYS AS IDENTITY,
    diagnostic_session_id bigint NOT NULL,
    dtc_definition_id bigint NOT NULL,
    occurred_at timestamptz NOT NULL,
    freeze_frame jsonb,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, diagnostic_session_id) REFERENCES public.diagnostic_sessions (tenant_id, id)
);
CREATE INDEX dtc_occurrences_session_idx ON public.dtc_occurrences (tenant_id, diagnostic_session_id);
CREATE INDEX dtc_occurrences_definition_idx ON public.dtc_occurrences (dtc_definition_id);

CREATE TABLE public.attachments (
    tenant_id bigint NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    id bigint GENERATED ALWAYS AS IDENTITY,
    subject_type text NOT NULL CHECK (subject_type IN ('work_order', 'equipment_unit', 'diagnostic_session')),
    subject_id bigint NOT NULL,
    file_name text NOT NULL,
    media_type text NOT NULL CHECK (media_type ~ '^[a-z]+/[-+.a-z0-9]+$'),
    byte_size bigint NOT NULL CHECK (byte_size >= 0),
    uploaded_by bigint NOT NULL,
    uploaded_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, uploaded_by) REFERENCES public.users (tenant_id, id)
);
CREATE INDEX attachments_subject_idx ON public.attachments (tenant_id, subject_type, subject_id);
CREATE INDEX attachments_uploaded_by_idx ON public.attachments (tenant_id, uploaded_by);

CREATE TABLE public.service_reminders (
    tenant_id bigint NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    id bigint GENERATED ALWAYS AS IDENTITY,
    equipment_unit_id bigint NOT NULL,
    due_on date NOT NULL,
    reason text NOT NULL,
    sent_at timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, equipment_unit_id) REFERENCES public.equipment_units (tenant_id, id)
);
CREATE INDEX service_reminders_equipment_unit_idx ON public.service_reminders (tenant_id, equipment_unit_id);

-- ---------------------------------------------------------------------------------------
-- billing: tenants bill their customers; the vendor bills tenants
-- ---------------------------------------------------------------------------------------

CREATE TABLE billing.plans (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code text NOT NULL UNIQUE,
    name text NOT NULL,
    monthly_price numeric(10, 2) NOT NULL CHECK (monthly_price >= 0),
    currency char(3) NOT NULL,
    included_api_calls integer NOT NULL
);

CREATE TABLE billing.subscriptions (
    tenant_id bigint NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    id bigint GENERATED ALWAYS AS IDENTITY,
    plan_id bigint NOT NULL REFERENCES billing.plans (id),
    status text NOT NULL CHECK (status IN ('trialing', 'active', 'past_due', 'cancelled')),
    started_on date NOT NULL,
    ends_on date,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX subscriptions_plan_idx ON billing.subscriptions (plan_id);

CREATE TABLE billing.invoices (
    tenant_id bigint NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    id bigint GENERATED ALWAYS AS IDENTITY,
    customer_id bigint NOT NULL,
    work_order_id bigint,
    invoice_number text NOT NULL,
    status text NOT NULL CHECK (status IN ('draft', 'issued', 'paid', 'void')),
    issued_on date NOT NULL,
    due_on date NOT NULL,
    currency char(3) NOT NULL,
    total numeric(12, 2) NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES public.customers (tenant_id, id),
    FOREIGN KEY (tenant_id, work_order_id) REFERENCES public.work_orders (tenant_id, id)
);
CREATE INDEX invoices_customer_idx ON billing.invoices (tenant_id, customer_id);
CREATE INDEX invoices_work_order_idx ON billing.invoices (tenant_id, work_order_id);

CREATE TABLE billing.invoice_lines (
    tenant_id bigint NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    id bigint GENERATED ALWAYS AS IDENTITY,
    invoice_id bigint NOT NULL,
    description text NOT NULL,
    quantity numeric(10, 2) NOT NULL CHECK (quantity > 0),
    unit_price numeric(12, 2) NOT NULL,
    tax_rate numeric(5, 4) NOT NULL CHECK (tax_rate BETWEEN 0 AND 1),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, invoice_id) REFERENCES billing.invoices (tenant_id, id)
);
CREATE INDEX invoice_lines_invoice_idx ON billing.invoice_lines (tenant_id, invoice_id);

-- The foreign key to invoices is added NOT VALID in security.sql, after the rows.
CREATE TABLE billing.payments (
    tenant_id bigint NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    id bigint GENERATED ALWAYS AS IDENTITY,
    invoice_id bigint NOT NULL,
    amount numeric(12, 2) NOT NULL CHECK (amount > 0),
    processor_fee double precision NOT NULL,
    method text NOT NULL CHECK (method IN ('card', 'bank_transfer', 'cash')),
    paid_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX payments_invoice_idx ON billing.payments (tenant_id, invoice_id);

CREATE TABLE billing.credit_notes (
    tenant_id bigint NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    id bigint GENERATED ALWAYS AS IDENTITY,
    invoice_id bigint NOT NULL,
    credit_amount money NOT NULL,
    reason text NOT NULL,
    issued_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, invoice_id) REFERENCES billing.invoices (tenant_id, id)
);
CREATE INDEX credit_notes_invoice_idx ON billing.credit_notes (tenant_id, invoice_id);

CREATE TABLE billing.api_keys (
    tenant_id bigint NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    id bigint GENERATED ALWAYS AS IDENTITY,
    created_by bigint NOT NULL,
    label text NOT NULL,
    key_prefix text NOT NULL,
    key_hash bytea NOT NULL,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, key_prefix),
    FOREIGN KEY (tenant_id, created_by) REFERENCES public.users (tenant_id, id)
);
CREATE INDEX api_keys_created_by_idx ON billing.api_keys (tenant_id, created_by);

-- One row per metered API request: the fastest-growing table, still on a 4-byte key.
CREATE TABLE billing.api_requests (
    tenant_id bigint NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    id integer GENERATED ALWAYS AS IDENTITY,
    api_key_id bigint NOT NULL,
    endpoint text NOT NULL,
    http_status smallint NOT NULL CHECK (http_status BETWEEN 100 AND 599),
    duration_ms integer NOT NULL,
    requested_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, api_key_id) REFERENCES billing.api_keys (tenant_id, id)
);
CREATE INDEX api_requests_api_key_idx ON billing.api_requests (tenant_id, api_key_id);
-- Years of traffic: the identity is already past 1.5 billion of its 2.1 billion.
ALTER TABLE billing.api_requests ALTER COLUMN id RESTART WITH 1500000000;

-- ---------------------------------------------------------------------------------------
-- functions
-- ---------------------------------------------------------------------------------------

-- Dashboard counter that must see across RLS; its search_path is pinned.
CREATE FUNCTION public.open_work_order_count(p_tenant_id bigint) RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
    SELECT count(*) FROM public.work_orders WHERE tenant_id = p_tenant_id AND status <> 'done'
$$;

CREATE FUNCTION billing.mark_invoice_paid(p_tenant_id bigint, p_invoice_id bigint) RETURNS void
    LANGUAGE sql SECURITY DEFINER
AS $$
    UPDATE billing.invoices SET status = 'paid' WHERE tenant_id = p_tenant_id AND id = p_invoice_id
$$;
