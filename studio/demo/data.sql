-- Sample rows for the demo: deterministic (generate_series and arithmetic, no random()).
-- Identity columns are left to their sequences; rows are inserted in a fixed order, and
-- references are resolved through natural keys where that reads better than arithmetic.

-- catalog -------------------------------------------------------------------------------

INSERT INTO catalog.equipment_types (parent_id, code, name) VALUES
    (NULL, 'vehicle', 'Vehicles'),
    (NULL, 'stationary', 'Stationary equipment');
INSERT INTO catalog.equipment_types (parent_id, code, name)
SELECT p.id, v.code, v.name
FROM (VALUES ('vehicle', 'truck', 'Trucks'),
             ('vehicle', 'tractor', 'Tractors'),
             ('vehicle', 'van', 'Vans'),
             ('stationary', 'generator', 'Generators'),
             ('stationary', 'compressor', 'Compressors'),
             ('stationary', 'pump', 'Pumps')) AS v (parent, code, name)
JOIN catalog.equipment_types p ON p.code = v.parent
ORDER BY v.code;

INSERT INTO catalog.manufacturers (code, name, country_code, duns_number) VALUES
    ('volvo', 'Volvo Group', 'SE', '354812467'),
    ('deere', 'Deere & Company', 'US', '005267406'),
    ('iveco', 'Iveco', 'IT', NULL),
    ('atlas', 'Atlas Copco', 'SE', '353009142'),
    ('kohler', 'Kohler Power', 'US', NULL),
    ('grundfos', 'Grundfos', 'DK', '305611729');

INSERT INTO catalog.equipment_models (manufacturer_id, equipment_type_id, designation, name, introduced_on)
SELECT m.id, t.id, v.designation, v.name, v.introduced_on::date
FROM (VALUES ('volvo', 'truck', 'FH16', 'FH16 Aero', '2020-03-01'),
             ('volvo', 'truck', 'FM11', 'FM 11-litre', '2019-06-01'),
             ('volvo', 'van', 'VNL', 'VNL Sleeper', '2018-01-15'),
             ('deere', 'tractor', '6R-150', '6R 150', '2021-02-01'),
             ('deere', 'tractor', '8R-410', '8R 410', '2020-09-01'),
             ('iveco', 'van', 'DAILY-35', 'Daily 35S', '2019-04-01'),
             ('iveco', 'truck', 'SWAY', 'S-Way', '2020-11-01'),
             ('atlas', 'compressor', 'GA37', 'GA 37 VSD+', '2017-05-01'),
             ('atlas', 'generator', 'QAS60', 'QAS 60', '2018-08-01'),
             ('kohler', 'generator', 'KD800', 'KD800', '2019-10-01'),
             ('grundfos', 'pump', 'CR64', 'CR 64', '2016-03-01'),
             ('grundfos', 'pump', 'NB80', 'NB 80', '2017-07-01')) AS v (maker, kind, designation, name, introduced_on)
JOIN catalog.manufacturers m ON m.code = v.maker
JOIN catalog.equipment_types t ON t.code = v.kind
ORDER BY v.maker, v.designation;

INSERT INTO catalog.dtc_definitions (manufacturer_id, trouble_code, description, severity)
SELECT NULL, v.code, v.description, v.severity
FROM (VALUES ('P0100', 'Mass air flow circuit malfunction', 'major'),
             ('P0171', 'System too lean, bank 1', 'minor'),
             ('P0217', 'Engine over temperature condition', 'critical'),
             ('P0234', 'Turbocharger overboost condition', 'major'),
             ('P0300', 'Random or multiple cylinder misfire detected', 'major'),
             ('P0301', 'Cylinder 1 misfire detected', 'major'),
             ('P0401', 'Exhaust gas recirculation flow insufficient', 'minor'),
             ('P0420', 'Catalyst efficiency below threshold, bank 1', 'minor'),
             ('P0500', 'Vehicle speed sensor malfunction', 'minor'),
             ('P0562', 'System voltage low', 'info'),
             ('U0100', 'Lost communication with engine control module', 'critical'),
             ('C0035', 'Left front wheel speed sensor circuit', 'major'),
             ('B1000', 'Electronic control unit fault', 'info'),
             ('P2002', 'Diesel particulate filter efficiency below threshold', 'major')) AS v (code, description, severity)
ORDER BY v.code;
INSERT INTO catalog.dtc_definitions (manufacturer_id, trouble_code, description, severity)
SELECT m.id, v.code, v.description, v.severity
FROM (VALUES ('volvo', 'P1000', 'AdBlue dosing pressure low', 'major'),
             ('volvo', 'P1001', 'AdBlue tank heater fault', 'minor'),
             ('deere', 'P1000', 'Hydraulic oil temperature high', 'major'),
             ('deere', 'P1215', 'PTO clutch engagement fault', 'minor'),
             ('atlas', 'A0100', 'Discharge temperature high', 'critical'),
             ('kohler', 'K0042', 'Alternator output under voltage', 'major')) AS v (maker, code, description, severity)
JOIN catalog.manufacturers m ON m.code = v.maker
ORDER BY v.maker, v.code;

INSERT INTO catalog.repair_procedures (slug, title, equipment_type_id, created_at)
SELECT v.slug, v.title, t.id, timestamptz '2023-01-02 09:00+00' + (v.n * interval '11 days')
FROM (VALUES (1, 'replace-maf-sensor', 'Replace the mass air flow sensor', 'truck'),
             (2, 'cylinder-misfire-check', 'Diagnose a cylinder misfire', 'truck'),
             (3, 'egr-valve-cleaning', 'Clean the EGR valve', 'van'),
             (4, 'adblue-pressure-test', 'Test AdBlue dosing pressure', 'truck'),
             (5, 'hydraulic-oil-cooler', 'Flush the hydraulic oil cooler', 'tractor'),
             (6, 'compressor-discharge-temp', 'Lower compressor discharge temperature', 'compressor'),
             (7, 'alternator-regulator', 'Replace the alternator voltage regulator', 'generator'),
             (8, 'pump-seal-replacement', 'Replace a pump mechanical seal', 'pump')) AS v (n, slug, title, kind)
JOIN catalog.equipment_types t ON t.code = v.kind
ORDER BY v.n;

INSERT INTO catalog.parts (sku, ean, manufacturer_id, name, weight_kg)
SELECT 'PRT-' || lpad(n::text, 5, '0'),
       CASE WHEN n % 4 = 0 THEN NULL ELSE (4006381000000 + n * 7)::text END,
       (n - 1) % 6 + 1,
       (ARRAY['Air filter', 'Oil filter', 'Fuel filter', 'Mass air flow sensor', 'EGR valve', 'Glow plug',
              'Alternator regulator', 'Mechanical seal', 'Hydraulic hose', 'Brake pad set'])[(n - 1) % 10 + 1]
           || ' ' || chr(64 + (n - 1) / 10 + 1),
       round((0.2 + n * 0.35)::numeric, 2)::double precision
FROM generate_series(1, 30) AS n
ORDER BY n;

INSERT INTO catalog.part_prices (part_id, country_code, currency, price, valid_from, valid_to)
SELECT p.id, c.country_code, c.currency,
       round((12 + p.id * 4.75) * c.factor * v.factor, 2),
       v.valid_from, v.valid_to
FROM catalog.parts p
CROSS JOIN (VALUES ('US', 'USD', 1.00), ('DE', 'EUR', 0.93)) AS c (country_code, currency, factor)
CROSS JOIN (VALUES (date '2023-01-01', date '2023-12-31', 0.95), (date '2024-01-01', NULL::date, 1.00))
    AS v (valid_from, valid_to, factor)
ORDER BY p.id, c.country_code, v.valid_from;

-- scraping ------------------------------------------------------------------------------

INSERT INTO scraping.sources (slug, base_url, manufacturer_id, crawl_interval, is_active)
SELECT v.slug, v.base_url, m.id, v.crawl_interval::interval, v.is_active
FROM (VALUES (1, 'volvo-service-bulletins', 'https://bulletins.example-volvo.test/', 'volvo', '7 days', true),
             (2, 'deere-tech-library', 'https://library.example-deere.test/', 'deere', '14 days', true),
             (3, 'atlas-manuals', 'https://manuals.example-atlas.test/', 'atlas', '30 days', true),
             (4, 'obd-forum-digest', 'https://forum.example-obd.test/', NULL, '1 day', false))
    AS v (n, slug, base_url, maker, crawl_interval, is_active)
LEFT JOIN catalog.manufacturers m ON m.code = v.maker
ORDER BY v.n;

INSERT INTO scraping.crawl_runs (source_id, started_at, finished_at, state, stats)
SELECT s,
       timestamptz '2024-03-01 02:00+00' + ((s * 2 + r) * interval '1 day'),
       CASE WHEN s = 4 AND r = 2 THEN NULL
            ELSE timestamptz '2024-03-01 02:00+00' + ((s * 2 + r) * interval '1 day') + interval '47 minutes' END,
       CASE WHEN s = 4 AND r = 2 THEN 'running' WHEN s = 3 AND r = 2 THEN 'failed' ELSE 'succeeded' END,
       CASE WHEN s = 4 AND r = 2 THEN NULL
            ELSE json_build_object('pages', 40 + s * 10 + r, 'errors', (s + r) % 3) END
FROM generate_series(1, 4) AS s, generate_series(1, 2) AS r
ORDER BY s, r;

INSERT INTO scraping.documents (source_id, crawl_run_id, url, fetched_at, http_status, content_sha256, language, body)
SELECT r.source_id, r.id,
       s.base_url || 'doc/' || r.id || '-' || d,
       r.started_at + d * interval '1 minute',
       CASE WHEN d = 3 THEN 404 ELSE 200 END,
       sha256(convert_to(s.slug || d, 'UTF8')),
       CASE WHEN s.slug = 'deere-tech-library' THEN 'en-US' ELSE 'en' END,
       'Service information ' || d || ' from ' || s.slug || ', run ' || r.id
FROM scraping.crawl_runs r
JOIN scraping.sources s ON s.id = r.source_id
CROSS JOIN generate_series(1, 3) AS d
ORDER BY r.id, d;

INSERT INTO scraping.pdf_documents
    (id, source_id, crawl_run_id, url, fetched_at, http_status, content_sha256, language, body, page_count, ocr_applied)
SELECT 1000 + r.id * 10 + d, r.source_id, r.id,
       s.base_url || 'pdf/' || d || '.pdf',
       r.started_at + d * interval '2 minutes', 200,
       sha256(convert_to(s.slug || 'pdf' || d, 'UTF8')), 'en',
       'Workshop manual chapter ' || d, 8 + d * 3, d % 2 = 0
FROM scraping.crawl_runs r
JOIN scraping.sources s ON s.id = r.source_id
CROSS JOIN generate_series(1, 3) AS d
WHERE r.id IN (1, 3)
ORDER BY r.id, d;

INSERT INTO scraping.quality_scores (document_id, scorer, score, scored_at, notes)
SELECT d.id, sc.scorer, round(0.5 + ((d.id * 7 + sc.n * 3) % 50) / 100.0, 3),
       d.fetched_at + interval '1 hour' * sc.n,
       CASE WHEN sc.scorer = 'reviewer' THEN 'Checked against the printed manual' END
FROM ONLY scraping.documents d
CROSS JOIN (VALUES (1, 'heuristic'), (2, 'model'), (3, 'reviewer')) AS sc (n, scorer)
WHERE d.id % 2 = 1 OR sc.scorer <> 'reviewer'
ORDER BY d.id, sc.n;

INSERT INTO scraping.crawl_log (crawl_run_id, logged_at, level, message)
SELECT r.id, r.started_at + l * interval '5 minutes',
       (ARRAY['info', 'debug', 'warning', 'info', 'error'])[l],
       (ARRAY['crawl started', 'sitemap parsed', 'slow response', 'documents stored', 'one page failed'])[l]
FROM scraping.crawl_runs r, generate_series(1, 5) AS l
ORDER BY r.id, l;

INSERT INTO catalog.repair_procedure_versions (repair_procedure_id, revision, source_document_id, summary, published_at)
SELECT p.id, v.revision,
       CASE WHEN p.id % 3 = 0 THEN NULL ELSE p.id * 2 + v.revision END,
       'Revision ' || v.revision || ' of ' || p.slug,
       CASE WHEN p.id = 2 AND v.revision = 2 THEN NULL
            ELSE p.created_at + v.revision * interval '30 days' END
FROM catalog.repair_procedures p
CROSS JOIN generate_series(1, 2) AS v (revision)
WHERE v.revision = 1 OR p.id IN (1, 2, 4, 6, 7, 8)
ORDER BY p.id, v.revision;

INSERT INTO catalog.repair_steps (repair_procedure_version_id, ordinal, instruction, torque_nm, estimated_minutes)
SELECT v.id, s,
       (ARRAY['Isolate power and lock out the unit', 'Remove the access cover',
              'Replace or clean the component', 'Refit the cover and torque the fasteners'])[s],
       CASE WHEN s = 4 THEN 18 + v.id ELSE NULL END,
       5 + s * 5
FROM catalog.repair_procedure_versions v, generate_series(1, 4) AS s
ORDER BY v.id, s;

INSERT INTO catalog.procedure_trouble_codes (repair_procedure_id, dtc_definition_id)
SELECT p.id, d.id
FROM (VALUES ('replace-maf-sensor', 'P0100', NULL), ('replace-maf-sensor', 'P0171', NULL),
             ('cylinder-misfire-check', 'P0300', NULL), ('cylinder-misfire-check', 'P0301', NULL),
             ('egr-valve-cleaning', 'P0401', NULL), ('adblue-pressure-test', 'P1000', 'volvo'),
             ('hydraulic-oil-cooler', 'P1000', 'deere'), ('compressor-discharge-temp', 'A0100', 'atlas'),
             ('alternator-regulator', 'K0042', 'kohler'), ('alternator-regulator', 'P0562', NULL))
    AS v (slug, code, maker)
JOIN catalog.repair_procedures p ON p.slug = v.slug
LEFT JOIN catalog.manufacturers m ON m.code = v.maker
JOIN catalog.dtc_definitions d ON d.trouble_code = v.code AND d.manufacturer_id IS NOT DISTINCT FROM m.id;

-- billing: plans ------------------------------------------------------------------------

INSERT INTO billing.plans (code, name, monthly_price, currency, included_api_calls) VALUES
    ('starter', 'Starter', 49.00, 'EUR', 10000),
    ('workshop', 'Workshop', 149.00, 'EUR', 100000),
    ('fleet', 'Fleet', 499.00, 'EUR', 1000000);

-- public: tenants and their data ----------------------------------------------------------

INSERT INTO public.tenants (slug, name, created_at) VALUES
    ('northwind-repair', 'Northwind Repair', '2022-04-01 08:00+00'),
    ('fjord-diagnostics', 'Fjord Diagnostics AS', '2022-09-15 08:00+00'),
    ('sierra-fleet', 'Sierra Fleet Services', '2023-02-20 08:00+00');

-- Two live shops per tenant, plus a closed one in Northwind whose code was reused.
INSERT INTO public.shops
    (tenant_id, code, name, address_line1, address_line2, city, country_code, opens_at, closes_at, created_at, deleted_at)
SELECT t.id, v.code, t.name || ' ' || v.label,
       (t.id * 10 + v.n) || ' ' || v.street, v.line2,
       (ARRAY['Leeds', 'Bergen', 'Reno'])[t.id], (ARRAY['GB', 'NO', 'US'])[t.id],
       v.opens_at::time, v.closes_at::time,
       t.created_at + v.n * interval '20 days',
       CASE WHEN v.n = 0 THEN t.created_at + interval '200 days' END
FROM public.tenants t
CROSS JOIN (VALUES (0, 'EAST', 'East (closed)', 'Mill Lane', NULL, '08:00', '16:00'),
                   (1, 'MAIN', 'Main', 'Harbour Road', 'Unit 4', '07:30', '17:30'),
                   (2, 'EAST', 'East', 'Station Street', NULL, '08:00', '18:00'))
    AS v (n, code, label, street, line2, opens_at, closes_at)
WHERE v.n > 0 OR t.id = 1
ORDER BY t.id, v.n;

INSERT INTO public.users (tenant_id, email, display_name, role, shop_id, created_at)
SELECT t.id, u.handle || '@' || t.slug || '.example', u.display_name || ' (' || t.slug || ')', u.role,
       (SELECT s.id FROM public.shops s
        WHERE s.tenant_id = t.id AND s.code = u.shop_code AND s.deleted_at IS NULL),
       t.created_at + u.n * interval '3 days'
FROM public.tenants t
CROSS JOIN (VALUES (1, 'owner', 'Avery Owner', 'owner', NULL),
                   (2, 'mara', 'Mara Lind', 'manager', 'MAIN'),
                   (3, 'tomas', 'Tomas Berg', 'technician', 'MAIN'),
                   (4, 'ines', 'Ines Okafor', 'technician', 'EAST'),
                   (5, 'kit', 'Kit Marsh', 'clerk', 'EAST')) AS u (n, handle, display_name, role, shop_code)
ORDER BY t.id, u.n;

UPDATE public.shops s
SET manager_id = u.id
FROM public.users u
WHERE u.tenant_id = s.tenant_id AND u.role = 'manager' AND s.code = 'MAIN';

INSERT INTO public.customers
    (tenant_id, customer_number, name, email, phone1, phone2, phone3, created_at, deleted_at)
SELECT t.id, 'C-' || lpad(n::text, 4, '0'),
       (ARRAY['Harbour Haulage', 'Greenfield Farms', 'Metro Buses', 'Quarry Works', 'Valley Dairy',
              'Coastal Cold Store', 'Ridge Construction', 'Lakeside Pumps', 'North Rail Depot', 'Summit Logistics'])
           [(n - 1) % 10 + 1] || CASE WHEN n > 10 THEN ' II' ELSE '' END,
       'accounts' || n || '@customer' || t.id || '.example',
       '+44 113 ' || lpad((t.id * 1000 + n)::text, 6, '0'),
       CASE WHEN n % 3 = 0 THEN '+44 7700 ' || lpad((t.id * 1000 + n)::text, 6, '0') END,
       CASE WHEN n % 9 = 0 THEN '+44 7800 ' || lpad((t.id * 1000 + n)::text, 6, '0') END,
       t.created_at + n * interval '5 days',
       CASE WHEN n = 20 THEN t.created_at + interval '400 days' END
FROM public.tenants t, generate_series(1, 20) AS n
ORDER BY t.id, n;

INSERT INTO public.equipment_units
    (tenant_id, customer_id, equipment_model_id, serial_number, vin, commissioned_on, created_at)
SELECT c.tenant_id, c.id, m.id,
       upper(m.designation) || '-' || lpad((c.id * 10 + k)::text, 6, '0'),
       CASE WHEN t.code IN ('truck', 'van', 'tractor')
            THEN 'YV2' || lpad((c.id * 10 + k)::text, 14, '0') END,
       date '2018-01-01' + ((c.id * 37 + k * 11) % 1800)::integer,
       c.created_at + interval '1 day'
FROM public.customers c
CROSS JOIN generate_series(1, 2) AS k
JOIN catalog.equipment_models m ON m.id = (c.id + k * 5) % 12 + 1
JOIN catalog.equipment_types t ON t.id = m.equipment_type_id
ORDER BY c.tenant_id, c.id, k;

INSERT INTO public.equipment_unit_attributes (tenant_id, equipment_unit_id, attribute_name, value)
SELECT e.tenant_id, e.id, a.attribute_name,
       CASE a.attribute_name WHEN 'fleet_number' THEN 'F-' || e.id
                             WHEN 'paint_colour' THEN (ARRAY['white', 'red', 'green'])[e.id % 3 + 1]
                             ELSE 'depot ' || (e.id % 4 + 1) END
FROM public.equipment_units e
CROSS JOIN (VALUES ('fleet_number'), ('paint_colour'), ('home_depot')) AS a (attribute_name)
WHERE e.id % 4 = 1
ORDER BY e.id, a.attribute_name;

-- 50 work orders per tenant. customer_name was copied when the order was opened; five
-- customers have been renamed since, so those copies have drifted.
INSERT INTO public.work_orders
    (tenant_id, shop_id, customer_id, equipment_unit_id, order_number, status, customer_name, "ServiceNotes",
     opened_at, closed_at)
SELECT e.tenant_id, s.id, e.customer_id, e.id,
       'WO-' || e.tenant_id || '-' || lpad(w.n::text, 5, '0'),
       w.status,
       c.name,
       CASE WHEN w.n % 4 = 0 THEN 'Customer waits on site' END,
       timestamptz '2024-01-08 08:00+00' + w.n * interval '2 days' + e.tenant_id * interval '1 hour',
       CASE WHEN w.status IN ('done', 'cancelled')
            THEN timestamptz '2024-01-08 08:00+00' + w.n * interval '2 days' + interval '6 hours' END
FROM generate_series(1, 50) AS g (n)
CROSS JOIN LATERAL (
    SELECT g.n AS n,
           CASE WHEN g.n <= 35 THEN 'done' WHEN g.n <= 38 THEN 'cancelled' WHEN g.n <= 44 THEN 'in_progress'
                WHEN g.n <= 46 THEN 'waiting_parts' ELSE 'open' END AS status
) AS w
JOIN public.equipment_units e ON TRUE
JOIN public.customers c ON c.tenant_id = e.tenant_id AND c.id = e.customer_id
JOIN public.shops s ON s.tenant_id = e.tenant_id AND s.deleted_at IS NULL
                   AND s.code = CASE WHEN w.n % 2 = 0 THEN 'MAIN' ELSE 'EAST' END
WHERE e.id = (e.tenant_id - 1) * 40 + (w.n - 1) % 40 + 1
ORDER BY e.tenant_id, w.n;

UPDATE public.customers
SET name = name || ' Ltd'
WHERE tenant_id = 1 AND customer_number IN ('C-0001', 'C-0002', 'C-0003', 'C-0004', 'C-0005');

INSERT INTO public.work_order_lines (tenant_id, work_order_id, sort_order, part_id, description, quantity, unit_price)
SELECT w.tenant_id, w.id, l,
       CASE WHEN l = 1 THEN (w.id % 30) + 1 END,
       CASE WHEN l = 1 THEN 'Parts' ELSE 'Labour' END,
       CASE WHEN l = 1 THEN 1 + w.id % 3 ELSE 1.5 + (w.id % 4) * 0.5 END,
       CASE WHEN l = 1 THEN 20 + (w.id % 30) * 4.5 ELSE 85 END
FROM public.work_orders w, generate_series(1, 2) AS l
ORDER BY w.tenant_id, w.id, l;

INSERT INTO public.work_order_photos (work_order_id, storage_path, taken_at)
SELECT w.id, 'photos/' || w.tenant_id || '/' || w.order_number || '/' || p || '.jpg',
       w.opened_at + p * interval '10 minutes'
FROM public.work_orders w, generate_series(1, 2) AS p
WHERE w.id % 10 = 0
ORDER BY w.id, p;

-- One diagnostic session per work order for the first 40 orders of each tenant, plus a few
-- walk-in sessions without a work order.
INSERT INTO public.diagnostic_sessions
    (tenant_id, equipment_unit_id, work_order_id, technician_id, status, started_at, ended_at)
SELECT w.tenant_id, w.equipment_unit_id, w.id,
       (SELECT u.id FROM public.users u
        WHERE u.tenant_id = w.tenant_id AND u.role = 'technician' ORDER BY u.id LIMIT 1 OFFSET (w.id % 2)),
       CASE WHEN w.status = 'open' THEN 'in_progress' ELSE 'completed' END,
       w.opened_at + interval '30 minutes',
       CASE WHEN w.status <> 'open' THEN w.opened_at + interval '90 minutes' END
FROM public.work_orders w
WHERE w.order_number <= 'WO-' || w.tenant_id || '-00040' OR w.status = 'open'
ORDER BY w.tenant_id, w.id;
INSERT INTO public.diagnostic_sessions
    (tenant_id, equipment_unit_id, work_order_id, technician_id, status, started_at, ended_at)
SELECT e.tenant_id, e.id, NULL,
       (SELECT u.id FROM public.users u WHERE u.tenant_id = e.tenant_id AND u.role = 'technician'
        ORDER BY u.id LIMIT 1),
       'completed', timestamptz '2024-05-02 10:00+00' + e.id * interval '1 hour',
       timestamptz '2024-05-02 10:40+00' + e.id * interval '1 hour'
FROM public.equipment_units e
WHERE e.id % 20 = 7
ORDER BY e.id;

INSERT INTO public.sensor_readings (tenant_id, diagnostic_session_id, sensor_code, value, unit, recorded_at)
SELECT d.tenant_id, d.id, s.sensor_code,
       round(s.base + (d.id * 13 + r * 7) % 20 * s.step, 2), s.unit,
       (d.started_at AT TIME ZONE 'UTC') + r * interval '30 seconds'
FROM public.diagnostic_sessions d
CROSS JOIN (VALUES ('coolant_temp', 'degC', 78.0, 1.1), ('oil_pressure', 'kPa', 250.0, 6.5),
                   ('battery_voltage', 'V', 12.1, 0.05)) AS s (sensor_code, unit, base, step)
CROSS JOIN generate_series(1, 2) AS r
ORDER BY d.id, s.sensor_code, r;

-- dtc_definition_id has no foreign key; three rows point at definitions that do not exist.
INSERT INTO public.dtc_occurrences (tenant_id, diagnostic_session_id, dtc_definition_id, occurred_at, freeze_frame)
SELECT d.tenant_id, d.id, (d.id * 7) % 20 + 1,
       d.started_at + interval '5 minutes',
       CASE WHEN d.id % 3 = 0 THEN NULL
            ELSE jsonb_build_object('rpm', 800 + d.id * 10, 'load_pct', 20 + d.id % 60) END
FROM public.diagnostic_sessions d
WHERE d.id % 2 = 1
ORDER BY d.id;
INSERT INTO public.dtc_occurrences (tenant_id, diagnostic_session_id, dtc_definition_id, occurred_at, freeze_frame)
SELECT d.tenant_id, d.id, v.missing, d.started_at + interval '9 minutes', NULL
FROM (VALUES (2, 9001), (4, 9002), (6, 9003)) AS v (session_id, missing)
JOIN public.diagnostic_sessions d ON d.id = v.session_id
ORDER BY d.id;

INSERT INTO public.attachments
    (tenant_id, subject_type, subject_id, file_name, media_type, byte_size, uploaded_by, uploaded_at)
SELECT w.tenant_id, 'work_order', w.id, 'estimate-' || w.order_number || '.pdf', 'application/pdf',
       40000 + w.id * 120,
       (SELECT u.id FROM public.users u WHERE u.tenant_id = w.tenant_id AND u.role = 'clerk'),
       w.opened_at + interval '1 hour'
FROM public.work_orders w
WHERE w.id % 9 = 0
UNION ALL
SELECT d.tenant_id, 'diagnostic_session', d.id, 'scan-' || d.id || '.png', 'image/png', 250000 + d.id,
       d.technician_id, d.started_at + interval '20 minutes'
FROM public.diagnostic_sessions d
WHERE d.id % 15 = 0
ORDER BY 1, 2, 3;

INSERT INTO public.service_reminders (tenant_id, equipment_unit_id, due_on, reason, sent_at)
SELECT e.tenant_id, e.id, e.commissioned_on + interval '1 year' * 6,
       'Annual service',
       CASE WHEN e.id % 4 = 0 THEN timestamptz '2024-06-01 07:00+00' + e.id * interval '1 hour' END
FROM public.equipment_units e
WHERE e.id % 3 = 0
ORDER BY e.id;

-- billing: tenant data -------------------------------------------------------------------

INSERT INTO billing.subscriptions (tenant_id, plan_id, status, started_on, ends_on)
SELECT t.id, p.id, v.status, v.started_on::date, v.ends_on::date
FROM (VALUES (1, 'starter', 'cancelled', '2022-04-01', '2023-03-31'),
             (1, 'workshop', 'active', '2023-04-01', NULL),
             (2, 'fleet', 'active', '2022-09-15', NULL),
             (3, 'workshop', 'trialing', '2023-02-20', NULL)) AS v (tenant, plan, status, started_on, ends_on)
JOIN public.tenants t ON t.id = v.tenant
JOIN billing.plans p ON p.code = v.plan
ORDER BY v.tenant, v.started_on;

-- One invoice per finished work order (35 per tenant), plus five counter sales without a
-- work order. Invoice numbers carry a per-tenant prefix, so they are unique across the
-- database too, except for the two numbers Northwind's old till issued twice.
INSERT INTO billing.invoices
    (tenant_id, customer_id, work_order_id, invoice_number, status, issued_on, due_on, currency, total)
SELECT w.tenant_id, w.customer_id, w.id,
       (ARRAY['NW', 'FJ', 'SF'])[w.tenant_id] || '-2024-' || lpad(row_number() OVER (
           PARTITION BY w.tenant_id ORDER BY w.id)::text, 4, '0'),
       CASE WHEN w.id % 5 = 0 THEN 'issued' ELSE 'paid' END,
       (w.closed_at AT TIME ZONE 'UTC')::date,
       (w.closed_at AT TIME ZONE 'UTC')::date + 30,
       (ARRAY['GBP', 'NOK', 'USD'])[w.tenant_id],
       (SELECT sum(l.quantity * l.unit_price) FROM public.work_order_lines l
        WHERE l.tenant_id = w.tenant_id AND l.work_order_id = w.id)
FROM public.work_orders w
WHERE w.status = 'done'
ORDER BY w.tenant_id, w.id;
INSERT INTO billing.invoices
    (tenant_id, customer_id, work_order_id, invoice_number, status, issued_on, due_on, currency, total)
SELECT c.tenant_id, c.id, NULL,
       (ARRAY['NW', 'FJ', 'SF'])[c.tenant_id] || '-2024-' || lpad((100 + n)::text, 4, '0'),
       'draft', date '2024-07-01' + n, date '2024-07-31' + n,
       (ARRAY['GBP', 'NOK', 'USD'])[c.tenant_id], 25 * n
FROM public.customers c, generate_series(1, 5) AS n
WHERE c.customer_number = 'C-0010' AND c.tenant_id = (n - 1) % 3 + 1
ORDER BY n;
INSERT INTO billing.invoices
    (tenant_id, customer_id, work_order_id, invoice_number, status, issued_on, due_on, currency, total)
SELECT c.tenant_id, c.id, NULL, v.invoice_number, 'void', v.issued_on, v.issued_on + 30, 'GBP', v.total
FROM (VALUES ('NW-2024-0007', date '2024-02-01', 310.00), ('NW-2024-0012', date '2024-02-09', 145.50))
    AS v (invoice_number, issued_on, total)
JOIN public.customers c ON c.tenant_id = 1 AND c.customer_number = 'C-0011'
ORDER BY v.invoice_number;

INSERT INTO billing.invoice_lines (tenant_id, invoice_id, description, quantity, unit_price, tax_rate)
SELECT i.tenant_id, i.id, l.description, l.quantity, l.unit_price,
       (ARRAY[0.2000, 0.2500, 0.0825])[i.tenant_id]
FROM billing.invoices i
JOIN public.work_order_lines l ON l.tenant_id = i.tenant_id AND l.work_order_id = i.work_order_id
ORDER BY i.id, l.id;
INSERT INTO billing.invoice_lines (tenant_id, invoice_id, description, quantity, unit_price, tax_rate)
SELECT i.tenant_id, i.id, 'Counter sale', 1, i.total, (ARRAY[0.2000, 0.2500, 0.0825])[i.tenant_id]
FROM billing.invoices i
WHERE i.work_order_id IS NULL
ORDER BY i.id;

-- The foreign key to invoices is added NOT VALID later: two payments were recorded against
-- invoices that were since purged.
INSERT INTO billing.payments (tenant_id, invoice_id, amount, processor_fee, method, paid_at)
SELECT i.tenant_id, i.id, i.total,
       CASE WHEN i.id % 3 = 0 THEN 0 ELSE round(i.total * 0.029 + 0.30, 2) END,
       CASE WHEN i.id % 3 = 0 THEN 'bank_transfer' WHEN i.id % 7 = 0 THEN 'cash' ELSE 'card' END,
       (i.issued_on + 12)::timestamptz + interval '10 hours'
FROM billing.invoices i
WHERE i.status = 'paid'
ORDER BY i.id;
INSERT INTO billing.payments (tenant_id, invoice_id, amount, processor_fee, method, paid_at) VALUES
    (1, 990001, 120.00, 3.78, 'card', '2023-11-03 10:00+00'),
    (1, 990002, 64.50, 2.17, 'card', '2023-11-09 15:30+00');

INSERT INTO billing.credit_notes (tenant_id, invoice_id, credit_amount, reason, issued_at)
SELECT i.tenant_id, i.id, (i.total * 0.1)::numeric::money, 'Goodwill discount',
       i.issued_on::timestamptz + interval '3 days'
FROM billing.invoices i
WHERE i.status = 'paid' AND i.id % 15 = 1
ORDER BY i.id;

INSERT INTO billing.api_keys (tenant_id, created_by, label, key_prefix, key_hash, created_at, revoked_at)
SELECT u.tenant_id, u.id, v.label, 'sk_' || u.tenant_id || v.suffix,
       sha256(convert_to('demo-key-' || u.tenant_id || v.suffix, 'UTF8')),
       u.created_at + v.n * interval '30 days',
       CASE WHEN v.n = 1 THEN u.created_at + interval '200 days' END
FROM public.users u
CROSS JOIN (VALUES (1, 'Old integration', 'a1'), (2, 'Fleet telematics', 'b2'), (3, 'Accounting export', 'c3'))
    AS v (n, label, suffix)
WHERE u.role = 'owner'
ORDER BY u.tenant_id, v.n;

INSERT INTO billing.api_requests (tenant_id, api_key_id, endpoint, http_status, duration_ms, requested_at)
SELECT k.tenant_id, k.id,
       (ARRAY['/v1/work-orders', '/v1/diagnostics', '/v1/equipment', '/v1/invoices'])[r % 4 + 1],
       CASE WHEN r % 25 = 0 THEN 429 WHEN r % 40 = 0 THEN 500 ELSE 200 END,
       20 + (r * 37) % 400,
       timestamptz '2024-06-01 00:00+00' + r * interval '7 minutes'
FROM billing.api_keys k, generate_series(1, 50) AS r
WHERE k.revoked_at IS NULL
ORDER BY k.tenant_id, k.id, r;
